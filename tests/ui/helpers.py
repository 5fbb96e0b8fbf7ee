"""Steps several UI tests share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from nicegui import ElementFilter, ui
from nicegui.element import Element
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from sqlalchemy import func, select

from models import LoginSession
from models import User as Account
from models.db import session_scope
from services import sessions
from tests.factories import PASSWORD


async def log_in(user: User, username: str, password: str = PASSWORD, *, target: str = '/') -> None:
    await user.open(f'/login?redirect_to={target}')
    user.find('Username').type(username)
    user.find('Password').type(password)
    user.find(marker='login-submit').click()


async def open_as(user: User, username: str, path: str) -> None:
    """Log in as `username` on the way to `path`, and wait until the page is there."""
    await log_in(user, username, target=path)
    await landed_on(user, path)


async def open_not_found(user: User, path: str) -> None:
    """Open a page that answers 404, after checking that it does: the simulated browser's `open` takes only a 200,
    so it is handed the very response the app gave (the page it built, status aside) to connect to."""
    response = await user.http_client.get(path, follow_redirects=True)
    assert response.status_code == 404, f'{path} answered {response.status_code}, not 404'
    response.status_code = 200

    async def the_same(*_args: Any, **_kwargs: Any) -> httpx.Response:
        return response

    user.http_client.get = the_same  # type: ignore[method-assign]
    try:
        await user.open(path)
    finally:
        del user.http_client.get


def shows_error_pages(user: User) -> None:
    """Let the simulated browser open pages that answer 404 (nothing here) or 403 (not for your role) wherever it
    goes (its `open` takes only a 200), as a real browser shows them: for tests that pass through such a page (the
    guard's, with a path's `{id}` left in; a wrong role's refusal). The statuses themselves are what
    `open_not_found`, tests/ui/test_not_found.py and tests/ui/test_guard.py check."""
    get = user.http_client.get

    async def get_showing_error_pages(*args: Any, **kwargs: Any) -> httpx.Response:
        response = await get(*args, **kwargs)
        if response.status_code in (403, 404) and response.headers.get('x-nicegui-content') == 'page':
            response.status_code = 200
        return response

    user.http_client.get = get_showing_error_pages  # type: ignore[method-assign]


async def eventually(
    condition: Callable[[], Any], *, timeout: float = 5.0, message: str | Callable[[], str] = ''
) -> None:
    """Wait until `condition()` is truthy: clicks run their handlers (and services) in the background."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f'timed out waiting for {(message() if callable(message) else message) or condition}')
        await asyncio.sleep(0.05)


def elements(user: User, *, marker: str | None = None, kind: type[Element] | None = None) -> list[Element]:
    """The page's elements with this marker or of this kind (an empty list where `user.find` would fail)."""
    with user.client:
        return list(ElementFilter(kind=kind, marker=marker, local_scope=False))


def texts(user: User, marker: str) -> list[str]:
    return [getattr(e, 'text', '') for e in elements(user, marker=marker)]


def current_path(user: User) -> str:
    """The path the simulated browser is on (after the redirect of a login)."""
    return _arrived(user.back_history[-1]) if user.back_history else ''


def _arrived(opened: str) -> str:
    """Where an opened path ends: a login goes through /auth/session, which redirects to its `next`."""
    parts = urlsplit(opened)
    if parts.path == '/auth/session':
        return parse_qs(parts.query).get('next', ['/'])[0]
    return opened


async def landed_on(user: User, path: str) -> None:
    """The simulated browser's last opened path (navigations run as background tasks)."""
    await eventually(lambda: current_path(user) == path, message=f'navigation to {path}')


def live_sessions(username: str) -> list[LoginSession]:
    """The person's sessions that still let them in (a browser's once its login is complete)."""
    with session_scope() as session:
        user = session.scalar(select(Account).where(Account.username == username))
        assert user is not None
        return [
            row
            for row in session.scalars(select(LoginSession).where(LoginSession.user_id == user.id))
            if sessions.is_live(session, session_id=row.id) and (row.kind == 'api' or row.bound)
        ]


def api_token(username: str, **details: str) -> str:
    """A bearer token for the person, as the API's login would give (another device of theirs)."""
    with session_scope() as session:
        user = session.scalar(select(Account).where(Account.username == username))
        return sessions.open_api_session(session, user, **details)


def token_works(token: str) -> bool:
    with session_scope() as session:
        return sessions.for_token(session, token=token) is not None


def field(user: User, label: str) -> UserInteraction[Any]:
    """The one form field whose label is exactly `label` ('Password' must not also find 'Password again')."""
    found = {e for e in user.find(content=label).elements if e.props.get('label') == label}
    assert len(found) == 1, f'expected one field labelled {label!r}, found {len(found)}'
    return UserInteraction(user, found, label)


def error_of(user: User, label: str) -> str | None:
    (element,) = field(user, label).elements
    return element.error


async def open_dialog(user: User, marker: str) -> ui.dialog:
    """The dialog around the card marked `marker`, once it is really open (a closed one's text counts as seen)."""
    await eventually(lambda: elements(user, marker=marker), message=f'a dialog marked {marker}')
    card = max(elements(user, marker=marker), key=lambda e: e.id)  # the newest, should an older one linger
    dialog = card.parent_slot.parent if card.parent_slot else None
    assert isinstance(dialog, ui.dialog)
    await eventually(lambda: dialog.value, message=f'dialog {marker} to open')
    return dialog


def count(model: type[Any], *conditions: Any) -> int:
    """How many rows of `model` the database holds (matching `conditions`)."""
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0
