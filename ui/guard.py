"""The one check in front of every page that needs a login: who is there, and whether their role may see it.

Which theatre, show, booking or export a person may touch is not decided here: the services check ownership.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from nicegui import ui

from models import Role
from services import logs
from ui.common import login_redirect, principal
from ui.layout import frame, not_allowed

Page = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Guard:
    roles: tuple[Role, ...]  # empty: anyone logged in
    title: str  # the page's title, also on the refusal
    refusal: str  # what a wrong role is told

    def admits(self, role: Role) -> bool:
        return not self.roles or role in self.roles


def page_for(*roles: Role, title: str = '', refusal: str = '') -> Callable[[Page], Page]:
    """Let only logged-in people (with one of `roles`, when given) build the page, and hand it `who`.

    A visitor is sent to log in and back here (path and query); a wrong role sees the page's frame with
    `refusal` in a not-allowed card, answered 403. The page takes `who` instead of looking the principal up
    itself; NiceGUI and FastAPI see its other parameters (path and query values), plus the `request` the redirect
    needs.
    """
    if roles and not (title and refusal):
        raise ValueError('a page for some roles needs the title and refusal a wrong role sees')
    guard = Guard(roles, title, refusal)

    def decorate(page: Page) -> Page:
        signature = inspect.signature(page)
        if 'who' not in signature.parameters:
            raise TypeError(f'{page.__qualname__} must take `who`, the principal the guard looked up')
        parameters = [p for p in signature.parameters.values() if p.name != 'who']
        page_takes_request = 'request' in signature.parameters
        if not page_takes_request:
            parameters.insert(
                0, inspect.Parameter('request', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)
            )

        @functools.wraps(page)
        async def guarded(request: Request, **values: Any) -> Any:
            who = await principal()
            if who is None:
                return login_redirect(request)
            logs.set_user(who.user_id)  # the page request's log line names who asked
            if not guard.admits(who.role):
                ui.context.client.status_code = 403  # the page says so in words; the status says it to machines
                with frame(guard.title, who):
                    not_allowed(guard.refusal)
                return None
            if page_takes_request:
                values['request'] = request
            return await page(who=who, **values)

        # NiceGUI and FastAPI read the page's path and query parameters (and `request`) from this signature.
        guarded.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        guarded.guard = guard  # type: ignore[attr-defined]
        return guarded

    return decorate


def guard_of(page: Callable[..., Any]) -> Guard | None:
    """The guard in front of a page, or None for a page anyone may open."""
    found = getattr(page, 'guard', None)
    return found if isinstance(found, Guard) else None
