"""What the pure-ASGI layers outermost in the served app share: watching one HTTP request to its answer."""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/api/v1/shows/{show_id}`), never the path with its ids;
    `unmatched` when no route did."""
    return getattr(scope.get('route'), 'path', None) or 'unmatched'


async def watch(
    inner: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    done: Callable[[int, float], None],
    headers: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """Serve the request with `inner`, adding `headers` to its answer; `done(status, seconds)` once it is answered
    (500 when `inner` raised before answering)."""
    began = time.perf_counter()
    status = 500

    async def sending(message: Message) -> None:
        nonlocal status
        if message['type'] == 'http.response.start':
            status = message['status']
            if headers:
                message['headers'] = [*message.get('headers', []), *headers]
        await send(message)

    try:
        await inner(scope, receive, sending)
    finally:
        done(status, time.perf_counter() - began)
