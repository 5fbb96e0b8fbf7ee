"""Mount the API: an app of its own (routers, JSON error answers, request size limit) served ahead of the pages.

The API is a FastAPI app apart from NiceGUI's, and `ApiFirst` hands it its requests before NiceGUI's middleware
sees them: the pages need that stack (sessions re-signed on every answer, request tracking, redirects, cache
headers, three of them Starlette's BaseHTTPMiddleware), a bearer-token client does not, and on a booking it cost more
than the booking's own database work. Only pure ASGI middleware wraps the API: the body limit, reads marked as reads,
gzip for large answers, and the session cookie read (for the GETs a page embeds) with the pages' own secret.
"""

from __future__ import annotations

import functools
import re

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from nicegui import app
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import accounts, files, ops, posters, seating, v1, waitlist
from api.deps import ReadsByMethod, domain_error_response
from services.config import Settings
from services.errors import DomainError
from services.logs import RequestIds
from services.metrics import HttpMetrics

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


async def unexpected(_request: Request, _error: Exception) -> JSONResponse:
    """A fault of ours answers JSON without its text (the log has the traceback), never a page or a stack."""
    return JSONResponse({'detail': 'Something went wrong on our side; nothing was changed by this request.'}, 500)


# What the API app serves: its paths, its documents, poster images, the operator's probes, and the one-click
# unsubscribe (a POST; the unsubscribe page itself, a GET, is a page).
API_PREFIXES = ('/api/', '/media/posters/')
API_PATHS = frozenset({'/openapi.json', '/docs', '/docs/oauth2-redirect', '/redoc', '/healthz', '/readyz', '/metrics'})


def build_api(settings: Settings) -> FastAPI:
    """The API as an app of its own, with its documents at /openapi.json, /docs and /redoc."""
    api = FastAPI(title='TicketShow API', version='1')
    for router in (
        v1.router,
        accounts.router,
        seating.router,
        waitlist.router,
        posters.router,
        posters.media_router,
        files.router,
        files.unsubscribe_router,
        ops.router,
    ):
        api.include_router(router)
    api.add_exception_handler(DomainError, domain_error_response)
    api.add_exception_handler(400, unparsable_body)
    api.add_exception_handler(RequestValidationError, invalid_request)
    api.add_exception_handler(500, unexpected)

    @api.api_route('/api/{rest:path}', methods=['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], include_in_schema=False)
    async def no_such_endpoint(request: Request, rest: str) -> JSONResponse:
        """Unknown API paths answer JSON, not the app's HTML error page."""
        return JSONResponse({'detail': f'No such endpoint: {request.method} /api/{rest}'}, status_code=404)

    # Outermost last. The session cookie is the pages' own (same name, secret and flags), read for the GET routes a
    # page embeds; a bearer-token request carries none and costs nothing here.
    api.add_middleware(
        SessionMiddleware, secret_key=settings.storage_secret(), https_only=settings.https, same_site='lax'
    )
    api.add_middleware(ReadsByMethod)  # the API's GET and HEAD run on the read threads
    api.add_middleware(GZipMiddleware, minimum_size=1024)
    api.add_middleware(BodyLimit)
    return api


def is_api(scope: Scope) -> bool:
    path = scope['path']
    return (
        path.startswith(API_PREFIXES)
        or path in API_PATHS
        or (path == '/unsubscribe' and scope['method'] == 'POST')
        or path == '/api'
    )


class ApiFirst:
    """The outermost layer of the served app: API requests go to the API app, everything else (pages, the
    websocket, NiceGUI's files, the server's lifespan) to NiceGUI's own stack."""

    def __init__(self, api: ASGIApp, pages: ASGIApp) -> None:
        self.api = api
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] == 'http' and is_api(scope):
            await self.api(scope, receive, send)
        else:
            await self.pages(scope, receive, send)


def register_api(settings: Settings) -> None:
    api = build_api(settings)
    # Starlette builds the served stack once, on the first request or the lifespan; NiceGUI's own stack, built by
    # its class's method (never a wrapper left from an earlier start in the same process: the page tests start the
    # app again for every test), goes behind ApiFirst.
    pages_stack = functools.partial(type(app).build_middleware_stack, app)

    def served() -> ASGIApp:
        stack: ASGIApp = ApiFirst(api, pages_stack())
        if settings.metrics_token:  # every request timed, the API's and the pages' alike
            stack = HttpMetrics(stack)
        if settings.log_format == 'json':  # every request with its id, and its one `request` line
            stack = RequestIds(stack)
        return stack

    app.build_middleware_stack = served  # type: ignore[method-assign]
    app.add_middleware(BodyLimit)  # the pages' file uploads
