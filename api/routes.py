"""Mount the API: its routers, its error answers (JSON, never a page), and its request size limit."""

from __future__ import annotations

import re

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from nicegui import app
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import accounts, files, posters, seating, v1, waitlist
from api.deps import domain_error_response
from services.errors import DomainError

MAX_BODY_BYTES = 64 * 1024
SEATMAP_MAX_BYTES = 16 * 1024 * 1024  # a 100,000-seat map with every seat's position
SEATMAP_PATH = re.compile(r'/api/v1/theatres/[^/]+/seatmap')
POSTER_MAX_BYTES = 10 * 1024 * 1024  # the image itself: services.posters refuses anything larger too
POSTER_PATH = re.compile(r'/api/v1/shows/[^/]+/poster')
# The pages' file uploads (a poster, a seat map's JSON) go to NiceGUI's own route, which reads any size to disk.
UPLOAD_MAX_BYTES = SEATMAP_MAX_BYTES + 64 * 1024  # the largest file a page takes, and the form around it
UPLOAD_PATH = re.compile(r'/_nicegui/client/[^/]+/upload/[^/]+')


def _too_large_text(limit: int) -> str:
    return f'The request body is larger than {limit // 1024:,} KiB.'


TOO_LARGE = _too_large_text(MAX_BODY_BYTES)


class BodyLimit:
    """Requests to /api and /unsubscribe carry at most 64 KiB (a seat map 16 MiB, a poster 10 MiB), a page's file
    upload 16 MiB; a larger one is answered 413 unread."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http' or not (
            scope['path'].startswith(('/api/', '/unsubscribe')) or UPLOAD_PATH.fullmatch(scope['path'])
        ):
            await self.inner(scope, receive, send)
            return
        limit = _limit_for(scope['path'])
        length = dict(scope['headers']).get(b'content-length')
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(send, limit)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message['type'] == 'http.request':
                seen += len(message.get('body', b''))
                if seen > limit:
                    # An HTTPException is the one error FastAPI's body reading passes through as it is.
                    raise HTTPException(413, _too_large_text(limit))
            return message

        await self.inner(scope, limited, send)


def _limit_for(path: str) -> int:
    if SEATMAP_PATH.fullmatch(path):
        return SEATMAP_MAX_BYTES
    if POSTER_PATH.fullmatch(path):
        return POSTER_MAX_BYTES
    if UPLOAD_PATH.fullmatch(path):
        return UPLOAD_MAX_BYTES
    return MAX_BODY_BYTES


async def _too_large(send: Send, limit: int) -> None:
    response = JSONResponse({'detail': _too_large_text(limit)}, 413)
    await send({'type': 'http.response.start', 'status': 413, 'headers': response.raw_headers})
    await send({'type': 'http.response.body', 'body': response.body})


async def invalid_request(_request: Request, error: Exception) -> JSONResponse:
    """FastAPI's field errors without the echoed input: a NaN or 1e400 in it cannot be written as JSON."""
    assert isinstance(error, RequestValidationError)
    fields = [
        {'loc': list(e.get('loc', ())), 'msg': str(e.get('msg', '')), 'type': str(e.get('type', ''))}
        for e in error.errors()
    ]
    return JSONResponse({'detail': fields}, status_code=422)


async def unparsable_body(request: Request, error: Exception) -> JSONResponse:
    """FastAPI answers a body it cannot decode (not UTF-8) with 400; the API's rule for bad input is 422."""
    if request.url.path.startswith(('/api/', '/unsubscribe')):
        return JSONResponse({'detail': 'The request body is not JSON in UTF-8.'}, status_code=422)
    return JSONResponse({'detail': getattr(error, 'detail', 'Bad request.')}, status_code=400)


def register_api() -> None:
    app.include_router(v1.router)
    app.include_router(accounts.router)
    app.include_router(seating.router)
    app.include_router(waitlist.router)
    app.include_router(posters.router)
    app.include_router(posters.media_router)
    app.include_router(files.router)
    app.include_router(files.unsubscribe_router)
    app.add_exception_handler(DomainError, domain_error_response)
    app.add_exception_handler(400, unparsable_body)
    app.add_exception_handler(RequestValidationError, invalid_request)

    @app.api_route('/api/{rest:path}', methods=['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], include_in_schema=False)
    async def no_such_endpoint(request: Request, rest: str) -> JSONResponse:
        """Unknown API paths answer JSON, not the app's HTML error page."""
        return JSONResponse({'detail': f'No such endpoint: {request.method} /api/{rest}'}, status_code=404)

    app.add_middleware(BodyLimit)
