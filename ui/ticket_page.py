"""A booking's tickets: one big, high-contrast QR code per ticket for a phone held up at the door, the PDF of them,
and a print that fits A4 (no header, navigation or buttons; no ticket split across two pages)."""

from __future__ import annotations

import datetime as dt

from nicegui import run, ui

from models import TicketStatus
from services import etickets
from services.errors import DomainError, NotFound
from services.etickets import TicketDocument, TicketLine, qr
from services.etickets import pdf as ticket_pdf
from services.formats import local, money, when, zone_abbreviation
from services.sessions import Principal
from ui.common import call, notify_error, path_id
from ui.guard import page_for
from ui.layout import frame
from ui.not_found import not_found

QR_SCALE = 10  # pixels a module: a 33-module code (quiet zone included) is 330 px, shown at 280 CSS px

TICKET_CSS = """
.ticket-qr { width: 280px; max-width: 100%; height: auto; aspect-ratio: 1; image-rendering: pixelated; display: block; }
.ticket-void .ticket-qr { filter: grayscale(1); opacity: 0.25; }
.ticket-void .ticket-code { text-decoration: line-through; }
.ticket-stamp { transform: translate(-50%, -50%) rotate(-18deg); left: 50%; top: 50%; }
.ticket-reference { letter-spacing: 0.08em; word-spacing: 0.2em; }
@media print {
  @page { size: A4; margin: 12mm; }
  .ticket-grid { grid-template-columns: 1fr 1fr !important; gap: 6mm !important; }
  .ticket-card, .ticket-head { break-inside: avoid; page-break-inside: avoid; box-shadow: none !important;
    border: 1px solid #9ca3af !important; }
  .ticket-qr { width: 60mm; }
  .ticket-card .q-badge { background: none !important; color: #000 !important; border: 1px solid #000; }
}
"""


def booking_id_of(text: str) -> int | None:
    """The booking id in the page's path; anything that is not a plain number is no booking (None)."""
    return path_id(text)


def spaced(reference: str) -> str:
    """'K7QD3MXPQR' as 'K7Q D3M XPQR': groups of three (a last one of four) to read out over the phone."""
    groups = [reference[i : i + 3] for i in range(0, len(reference), 3)]
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-2:] = [groups[-2] + groups[-1]]
    return ' '.join(groups)


def checked_in_text(moment: dt.datetime, now: dt.datetime | None = None, *, tz: dt.tzinfo | None = None) -> str:
    """'Checked in 19:02 IST' on the day it happened, with the date on any other day: in `tz`, the theatre's time
    zone (the door's clock), else the app's."""
    at = local(moment, tz)
    if at.date() == local(now or dt.datetime.now(dt.UTC), tz).date():
        return f'Checked in {at:%H:%M} {zone_abbreviation(moment, tz)}'
    return f'Checked in {when(moment, tz)}'


def _codes(document: TicketDocument) -> list[str]:
    """Each ticket's QR code as a data URI (PNG encoding: kept off the event loop by the caller)."""
    return [qr.data_uri(line.code, scale=QR_SCALE) for line in document.tickets]


@page_for()
async def ticket_page(who: Principal, booking_id: str) -> None:
    with frame('Tickets', who):
        ui.add_css(TICKET_CSS)
        try:
            document = await call(
                etickets.ticket_document, booking_id=booking_id_of(booking_id), actor_id=who.user_id, read=True
            )
        except NotFound:
            not_found(
                who, 'No such booking', 'This link leads to no booking of yours. Your tickets are under My bookings.'
            )
            return None
        images = await run.io_bound(_codes, document)
        if images is None:  # the app is shutting down
            return None
        ui.page_title(f'Tickets: {document.show_name} · TicketShow')
        ui.link('← My bookings', '/bookings').classes('text-sm print-hide')

        async def download() -> None:
            pdf_button.props('loading')
            try:
                fresh = await call(
                    etickets.ticket_document, booking_id=document.booking_id, actor_id=who.user_id, read=True
                )
                content = await run.io_bound(ticket_pdf.render, fresh)
            except DomainError as error:
                notify_error(error)
                return
            finally:
                pdf_button.props(remove='loading')
            if content is not None:  # None: the app is shutting down
                ui.download.content(content, f'tickets-{fresh.reference}.pdf', media_type='application/pdf')

        _header(document)
        with ui.row().classes('w-full gap-2 print-hide'):
            pdf_button = (
                ui.button('Download PDF', icon='picture_as_pdf', on_click=download)
                .props('unelevated no-caps')
                .mark('download-pdf')
            )
            ui.button('Print', icon='print').props('outline no-caps').on(
                'click', js_handler='() => window.print()'
            ).mark('print')
        count = len(document.tickets)
        with ui.grid().classes('ticket-grid w-full gap-4 grid-cols-1 md:grid-cols-2').mark('ticket-grid'):
            for number, (line, image) in enumerate(zip(document.tickets, images, strict=True), start=1):
                _ticket_card(document, line, image, number, count)
    return None


def _header(document: TicketDocument) -> None:
    with ui.card().classes('ticket-head w-full p-4 sm:p-6 gap-3').mark('ticket-header'):
        if document.cancelled:
            with (
                ui.row()
                .classes('w-full items-center gap-2 rounded bg-negative text-white px-3 py-2 no-wrap')
                .mark('cancelled-banner')
            ):
                ui.icon('block', size='28px')
                ui.label('CANCELLED — these tickets no longer let anyone in.').classes('text-lg font-bold')
        ui.label(document.show_name).classes('text-2xl sm:text-3xl font-bold leading-tight').mark('ticket-show')
        with ui.column().classes('gap-1 text-gray-700'):
            for icon, text, mark in (
                ('event', when(document.starts_at, document.tz), 'ticket-when'),
                ('place', f'{document.theatre_name} · {document.place}', 'ticket-place'),
                ('event_seat', document.seats, 'ticket-seats'),  # 'Stalls C7, C8'; None for general admission
                ('person', document.holder_name, 'ticket-holder'),
            ):
                if text is None:
                    continue
                with ui.row().classes('items-center gap-2 no-wrap'):
                    ui.icon(icon)
                    ui.label(text).classes('font-medium min-w-0 break-words').mark(mark)
        with ui.row().classes('w-full items-end justify-between gap-4'):
            with ui.column().classes('gap-0'):
                ui.label('Booking reference').classes('text-xs uppercase tracking-wide text-gray-600')
                reference = ui.label(spaced(document.reference)).classes(
                    'ticket-reference font-mono text-3xl sm:text-4xl font-bold select-all'
                )
                reference.props['aria-label'] = ' '.join(document.reference)  # read out one character at a time
                reference.mark('ticket-reference')
            with ui.column().classes('gap-0 items-start sm:items-end'):
                tickets = f'{len(document.tickets)} ticket' + ('' if len(document.tickets) == 1 else 's')
                ui.label(f'Total · {tickets}').classes('text-xs uppercase tracking-wide text-gray-600')
                ui.label(money(document.total_cents)).classes('text-2xl font-bold').mark('ticket-total')


def _status(document: TicketDocument, line: TicketLine) -> tuple[str, str]:
    """What a ticket's status says, and its colour."""
    if document.cancelled or line.status == TicketStatus.CANCELLED:
        return 'Cancelled', 'negative'
    if line.status == TicketStatus.CHECKED_IN and line.checked_in_at is not None:
        return checked_in_text(line.checked_in_at, tz=document.tz), 'grey-8'
    return 'Valid: lets one person in, once', 'positive'


def _ticket_card(document: TicketDocument, line: TicketLine, image: str, number: int, count: int) -> None:
    void = document.cancelled or line.status == TicketStatus.CANCELLED
    with (
        ui.card()
        .classes('ticket-card w-full items-center text-center p-4 gap-2' + (' ticket-void' if void else ''))
        .mark('ticket-card', f'ticket-{line.id}')
    ):
        ui.label(f'Ticket {number} of {count}').classes('text-sm font-bold uppercase tracking-wide').mark(
            'ticket-number'
        )
        # White around the code whatever the page's mode: a scanner needs dark on light, with a quiet zone.
        with ui.element('div').classes('relative bg-white rounded-lg p-1 max-w-full'):
            code_image = ui.element('img').classes('ticket-qr').mark('ticket-qr')
            code_image.props['src'] = image
            code_image.props['alt'] = f'QR code of ticket {number} of {count}'
            if void:
                ui.label('CANCELLED').classes(
                    'ticket-stamp absolute text-3xl font-black text-negative border-4 border-negative rounded'
                    ' bg-white px-3 py-1'
                )
        ui.label(line.seat_line).classes('text-xl font-bold').mark('ticket-seat')  # 'Stalls · Row C · Seat 7'
        text, color = _status(document, line)
        ui.badge(text, color=color).classes('text-sm px-3 py-1').mark('ticket-status')
        with ui.row().classes('items-center justify-center gap-2 text-sm text-gray-600'):
            ui.label(money(line.price_cents))
            ui.label('·')
            ui.label(line.code).classes('ticket-code font-mono break-all select-all').mark('ticket-code')
