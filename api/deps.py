"""Who is calling: a bearer token (API clients) or, for the GET routes a page embeds, the browser's session."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from services import logs, passwords, sessions, workers
from services.errors import (
    Busy,
    Conflict,
    DomainError,
    Invalid,
    NotAllowed,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from services.sessions import Principal
from services.workers import in_transaction as _in_transaction

T = TypeVar('T')
STATUS = {
    Unauthenticated: 401,
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    TooManyAttempts: 429,
    Busy: 503,
}
READ_METHODS = frozenset({'GET', 'HEAD'})
_reading: ContextVar[bool] = ContextVar('reading', default=False)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get('authorization')
    if header is None:
        return None
    scheme, _, token = header.partition(' ')
    if scheme.lower() != 'bearer' or not token.strip():
        raise HTTPException(401, 'Use "Authorization: Bearer <token>".', headers={'WWW-Authenticate': 'Bearer'})
    return token.strip()


def _lookup(token: str | None, browser: str | None) -> Principal | None:
    with workers.transaction() as session:
        if token is not None:
            return sessions.for_token(session, token=token)
        return sessions.for_browser(session, browser_id=browser)


async def caller(request: Request) -> Principal:
    """The logged-in person. The browser's cookie counts only for reads (GET): a page's <img> or a download link."""
    token = bearer_token(request)
    browser = request.session.get('id') if token is None and request.method == 'GET' else None
    who = await workers.run_read(_lookup, token, browser if isinstance(browser, str) else None)
    if who is None:
        raise HTTPException(
            401, 'Please log in: the token is missing, expired or revoked.', {'WWW-Authenticate': 'Bearer'}
        )
    logs.set_user(who.user_id)
    return who


class ReadsByMethod:
    """Marks each GET and HEAD request as a read, so that `call` runs its services on the read threads."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        reading = _reading.set(scope['type'] == 'http' and scope['method'] in READ_METHODS)
        try:
            await self.inner(scope, receive, send)
        finally:
            _reading.reset(reading)


async def call(fn: Callable[..., T], **kwargs: Any) -> T:
    """A service in its own transaction, off the event loop (domain errors become their status codes): on the read
    threads for a GET or HEAD, else on the write threads, so writes waiting for a lock never hold up a read."""
    run_on = workers.run_read if _reading.get() else workers.run_write
    return await run_on(_in_transaction, fn, kwargs)


async def call_hashing(fn: Callable[..., T], **kwargs: Any) -> T:
    """`call` for a service that hashes or checks a password, on the password pool (pages keep their threads)."""
    work = functools.partial(_in_transaction, fn, kwargs)
    return await asyncio.wrap_future(passwords.submit(work))


def domain_error_response(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, DomainError)
    status = next((code for kind, code in STATUS.items() if isinstance(error, kind)), 400)
    headers = {'Retry-After': str(error.retry_after)} if isinstance(error, TooManyAttempts | Busy) else None
    if isinstance(error, Unauthenticated):
        headers = {'WWW-Authenticate': 'Bearer'}
    return JSONResponse({'detail': error.message, **error.extra}, status_code=status, headers=headers)
