"""Small pieces every page uses: calling services off the event loop, formatting, form errors."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, run, ui

from services import sessions, workers
from services.errors import DomainError, Invalid, Unauthenticated
from services.sessions import Principal, describe_device
from services.workers import transaction

T = TypeVar('T')


class SessionEnded(Unauthenticated):
    pass


def _in_transaction(token: str | None, fn: Callable[..., T], kwargs: dict[str, Any]) -> T:
    if token and sessions.store().get(token) is None:
        raise SessionEnded('Your session has ended; please log in again.')
    with transaction(fn) as session:
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
        return await run_on(_in_transaction, app.storage.user.get('token'), fn, kwargs)
    except SessionEnded:
        app.storage.user.clear()
        ui.navigate.to('/login')
        raise


async def principal() -> Principal | None:
    """The logged-in person, checked against the session store (off the event loop) on every page."""
    token = app.storage.user.get('token')
    if not token:
        return None
    who = await run.io_bound(sessions.store().get, token)
    if who is None:
        app.storage.user.clear()
    return who


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
