"""The log: plain text for a terminal (the default), or one JSON object per line (`TICKETSHOW_LOG_FORMAT=json`) for
a log pipeline, each line of a request carrying its request id.

The request id comes from the proxy (`X-Request-ID`, when it is a sane token) or is made fresh, is sent back in the
answer's `X-Request-ID`, and is on every line logged while the request is served, on the database threads too. Each
request ends with one `request` line: method, route template (never the path with its ids or query), status,
duration and the user id when someone was logged in. What a line never holds: a token, a password or its hash, an
email body, a query string, a cookie or any header but the request id.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import traceback
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from starlette.types import ASGIApp, Receive, Scope, Send

from services.asgi import route_template, watch

LogFormat = Literal['text', 'json']
TEXT_FORMAT = '%(asctime)s %(levelname)s %(name)s: %(message)s'
HEADER = b'x-request-id'
SANE_ID = re.compile(rb'[A-Za-z0-9._:-]{1,64}')  # what a proxy's id looks like; anything else is replaced
ACCESS = logging.getLogger('ticketshow.request')
# The fields a `request` line adds (passed as `extra`), in the order they are written.
ACCESS_FIELDS = ('method', 'route', 'status', 'duration_ms', 'user_id')


@dataclass
class RequestInfo:
    id: str
    user_id: int | None = None


_current: ContextVar[RequestInfo | None] = ContextVar('request', default=None)


def current() -> RequestInfo | None:
    return _current.get()


def set_user(user_id: int) -> None:
    """The request being served is this person's (its `request` line says so)."""
    info = _current.get()
    if info is not None:
        info.user_id = user_id


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC), level, logger, message, the request id when there is one, the
    `request` line's fields, and the traceback of an exception as one string."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            'time': dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec='milliseconds'),
            'level': record.levelname,
            'logger': record.name,
            'message': record.getMessage(),
        }
        request_id = getattr(record, 'request_id', None)
        if request_id:
            line['request_id'] = request_id
        for name in ACCESS_FIELDS:
            if hasattr(record, name):
                line[name] = getattr(record, name)
        if record.exc_info:
            line['exception'] = ''.join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (the handler's filter: records of every logger pass it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        info = _current.get()
        record.request_id = info.id if info is not None else None
        return True


def configure(log_format: LogFormat) -> None:
    """The root logger's one handler, on standard error, in the format asked for (nothing changes when the root
    logger has handlers already: a test runner's, capturing)."""
    handler = logging.StreamHandler()
    if log_format == 'json':
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler])


class RequestIds:
    """Pure ASGI, outermost: gives each HTTP request its id (the proxy's or a fresh one), sends it back, and logs
    the request's one `request` line when it is answered."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.inner(scope, receive, send)
            return
        given = next((value for name, value in scope['headers'] if name == HEADER), b'')
        info = RequestInfo(given.decode() if SANE_ID.fullmatch(given) else uuid.uuid4().hex)
        token = _current.set(info)

        def answered(status: int, seconds: float) -> None:
            ACCESS.info(
                'request',
                extra={
                    'method': scope['method'][:10],
                    'route': route_template(scope),
                    'status': status,
                    'duration_ms': round(seconds * 1000, 2),
                    'user_id': info.user_id,
                },
            )

        try:
            await watch(self.inner, scope, receive, send, done=answered, headers=((HEADER, info.id.encode()),))
        finally:
            _current.reset(token)
