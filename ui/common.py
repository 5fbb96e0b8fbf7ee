"""Small pieces every page uses: calling services off the event loop, formatting, form errors."""

from __future__ import annotations

import asyncio
import functools
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, ui
from sqlalchemy.orm import Session

from services import access, passwords, sessions, workers
from services.auth import load_actor
from services.errors import DomainError, Invalid, Unauthenticated
from services.sessions import Principal, describe_device
from services.workers import transaction

T = TypeVar('T')


class SessionEnded(Unauthenticated):
    pass


def _in_transaction(session_id: str | None, fn: Callable[..., T], kwargs: dict[str, Any]) -> T:
    with transaction(fn) as session:
        if session_id and not sessions.is_live(session, session_id=session_id):
            raise SessionEnded('Your session has ended; please log in again.')
        return fn(session, **kwargs)


async def call(fn: Callable[..., T], *, read: bool = False, **kwargs: Any) -> T:
    """Run a service in its own transaction on a worker thread, so one slow query freezes no page.

    `read=True` is for a page's read-only loads: they run on threads of their own, which writes waiting for a
    database lock never hold up. A write that cannot get the lock in time raises `Busy` (nothing was changed).

    A browser that was logged in is checked against the session store first: a revoked or expired
    session ends at this click, and the person is sent to log in.
    """
    try:
        run_on = workers.run_read if read else workers.run_write
        return await run_on(_in_transaction, app.storage.client.get('session_id'), fn, kwargs)
    except SessionEnded:
        app.storage.client.pop('session_id', None)
        ui.navigate.to('/login')
        raise


async def call_hashing(fn: Callable[..., T], **kwargs: Any) -> T:
    """`call` for a service that hashes or checks a password: on the password pool, so that a flood of
    logins or signups leaves the threads that serve pages alone."""
    work = functools.partial(_in_transaction, app.storage.client.get('session_id'), fn, kwargs)
    return await asyncio.wrap_future(passwords.submit(work))


def browser_id() -> str | None:
    """This browser's id, from NiceGUI's signed `session` cookie: what a browser's login is bound to."""
    value = app.storage.browser.get('id')
    return value if isinstance(value, str) else None


def _at_the_door(session: Session, *, browser_id: str | None) -> tuple[Principal | None, bool]:
    """The browser's person and whether they may check tickets in anywhere. The user row is already in the
    session, and managers and admins need no query: only a plain user costs one indexed look-up."""
    who = sessions.for_browser(session, browser_id=browser_id)
    return who, who is not None and access.works_a_door(session, load_actor(session, who.user_id))


async def principal() -> Principal | None:
    """The logged-in person, looked up (off the event loop) on every page; remembered for this page's clicks,
    each of which checks that the session still stands. `door_worker()` then says whether the check-in page
    is theirs (the menu offers it)."""
    who, door = await workers.run_read(workers.in_transaction, _at_the_door, {'browser_id': browser_id()})
    app.storage.client['door'] = door
    if who is None:
        app.storage.client.pop('session_id', None)
    else:
        app.storage.client['session_id'] = who.session_id
    return who


def door_worker() -> bool:
    """Whether the person this page was built for may check tickets in somewhere (looked up with `principal`)."""
    return bool(app.storage.client.get('door'))


async def log_out() -> None:
    """The logout button: end this browser's session, then give the browser a new id."""
    try:
        await workers.run_write(workers.in_transaction, sessions.revoke_browser, {'browser_id': browser_id()})
    except DomainError as error:
        notify_error(error)
        return
    app.storage.client.pop('session_id', None)
    ui.navigate.to('/auth/renew')


def client_of(request: Request) -> dict[str, str]:
    """Who is on the other end, for the session list and login throttling."""
    return {
        'client': request.client.host if request.client else '',
        'device': describe_device(request.headers.get('user-agent')),
    }


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f'?{request.url.query}' if request.url.query else '')
    return RedirectResponse(f'/login?redirect_to={quote(target, safe="")}', status_code=303)


def safe_target(target: str | None) -> str:
    """Only a path on this site is followed after a login; anything else goes to `/` (refused, not repaired).

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so `/%09/evil.example` or
    `/%5C/evil.example`, once decoded, leads to `//evil.example`: another host. A target with whitespace, a
    control character or a backslash is refused, and so is one whose start, decoded any number of times,
    is a second slash or backslash.
    """
    if not target or not target.startswith('/') or any(ch == '\\' or _dropped_by_browsers(ch) for ch in target):
        return '/'
    if _decoded(target)[1:2] in ('/', '\\'):
        return '/'
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return '/'
    return target


def _dropped_by_browsers(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch).startswith('C')


def _decoded(target: str) -> str:
    """Percent-decoded until nothing changes, less what a browser drops: the worst a chain of decoders makes of it."""
    previous = None
    while target != previous:
        previous, target = target, unquote(target)
    return ''.join(ch for ch in target if not _dropped_by_browsers(ch))


def show_errors(error: DomainError, fields: Mapping[str, Any]) -> None:
    """Put each message beside its field; what has no field goes to a notification."""
    for element in fields.values():
        element.error = None
    messages = error.errors if isinstance(error, Invalid) else {error.field or '': error.message}
    unplaced = [message for field, message in messages.items() if field not in fields]
    for field, message in messages.items():
        if field in fields:
            fields[field].error = message
    if unplaced:
        ui.notify(' '.join(unplaced), type='negative')


def notify_error(error: DomainError) -> None:
    if isinstance(error, Unauthenticated):
        ui.notify(error.message, type='warning')
        ui.navigate.to('/login')
        return
    message = ' '.join(error.errors.values()) if isinstance(error, Invalid) else error.message
    ui.notify(message, type='negative')


def path_id(text: str) -> int | None:
    """An id in a page's path; anything that is not a plain number is no id (None), so the page says "not found"
    rather than FastAPI answering 422."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def cut_short(text: str, classes: str = '') -> ui.label:
    """A one-line label cut short with an ellipsis when its box is too narrow; the whole text stays readable as its
    tooltip (the `title` attribute: plain text, never HTML)."""
    label = ui.label(text).classes(f'truncate {classes}'.strip())
    label.props['title'] = text
    return label
