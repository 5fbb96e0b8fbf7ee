"""What a page that could not be built shows instead of NiceGUI's error page: no traceback, no exception text.

A busy database (`Busy`) says to try again, and the response is 503 with Retry-After rather than 500.
"""

from __future__ import annotations

from nicegui import ui
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.errors import Busy

BUSY_MARK = 'ticketshow.busy_retry_after'  # set on the request's scope by the error page, read by BusyStatus
FAILED = 'This page could not be shown. Please try again.'


def error_page(error: Exception) -> None:
    """app.on_page_exception: drawn into the response of the page that raised `error` (NiceGUI logs it)."""
    if isinstance(error, Busy):
        icon, title, message = 'hourglass_top', 'TicketShow is busy right now', error.message
        client = ui.context.client
        if client.request is not None:
            client.request.scope[BUSY_MARK] = error.retry_after
    else:
        icon, title, message = 'error_outline', 'Something went wrong', FAILED
    ui.page_title('TicketShow')
    with ui.column().classes('w-full items-center text-center gap-3 py-16 px-4').mark('error-page'):
        ui.icon(icon, size='56px', color='primary')
        ui.label(title).classes('text-2xl font-bold')
        ui.label(message).classes('text-gray-600').mark('error-message')
        with ui.row().classes('gap-2'):
            ui.button('Try again', icon='refresh', on_click=lambda: ui.navigate.reload()).props('unelevated no-caps')
            ui.button('All shows', icon='theater_comedy', on_click=lambda: ui.navigate.to('/')).props('outline no-caps')


class BusyStatus:
    """NiceGUI answers every page error with 500; a page that failed on a busy database answers 503 with
    Retry-After instead, as the API does, so clients and proxies know to come back."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.inner(scope, receive, send)
            return

        async def send_busy(message: Message) -> None:
            retry_after = scope.get(BUSY_MARK)
            if message['type'] == 'http.response.start' and message['status'] == 500 and retry_after is not None:
                message['status'] = 503
                MutableHeaders(scope=message)['Retry-After'] = str(retry_after)
            await send(message)

        await self.inner(scope, receive, send_busy)
