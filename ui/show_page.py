"""One show: its details and, for a logged-in person, the booking step."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from nicegui import ui

from services import booking, shows
from services.booking import MAX_TICKETS_PER_BOOKING
from services.errors import DomainError, NotFound
from services.formats import money, when
from ui.common import call, notify_error, principal
from ui.components import availability, rating_badge
from ui.layout import empty_state, frame
from ui.seat_picker import seat_picker


async def show_page(show_id: int) -> None:
    who = await principal()
    with frame('Show', who):
        stale: dict[str, str] = {}  # a refusal's message, shown again once the card is redrawn with fresh seats

        @ui.refreshable
        async def detail() -> None:
            try:
                show = await call(shows.public_show, show_id=show_id, read=True)
            except NotFound:
                empty_state(
                    'search_off', 'This show does not exist', 'It may have been removed.', action=('Browse shows', '/')
                )
                return
            ui.page_title(f'{show.name} · TicketShow')
            ui.link('← All shows', '/').classes('text-sm')
            with ui.row().classes('w-full gap-6 items-start'):
                with ui.card().classes('grow basis-80 p-6 gap-3'):
                    with ui.row().classes('w-full items-start justify-between no-wrap'):
                        ui.label(show.name).classes('text-3xl font-bold').mark('show-title')
                        rating_badge(show.rating)
                    with ui.row().classes('items-center gap-2 text-gray-700'):
                        ui.icon('place')
                        ui.label(f'{show.theatre_name} · {show.place}')
                    with ui.row().classes('items-center gap-2 text-gray-700'):
                        ui.icon('event')
                        ui.label(when(show.starts_at)).classes('font-medium')
                    if show.tags:
                        with ui.row().classes('gap-1'):
                            for tag in show.tags:
                                ui.badge(tag, color='secondary').props('outline')
                    if show.reserved and show.section_prices:
                        low = min([show.price_cents, *show.section_prices.values()])
                        ui.label(f'From {money(low)} per seat').classes('text-xl font-bold')
                    else:
                        ui.label(f'{money(show.price_cents)} per ticket').classes('text-xl font-bold')
                    availability(show)
                if show.reserved and not show.has_started() and not show.housefull:
                    reserved.append(show)
                    return
                with ui.card().classes('grow basis-72 p-6 gap-3').mark('booking-card'):
                    ui.label('Book tickets').classes('text-xl font-bold')
                    refusal = stale.pop('error', None)
                    if show.has_started():
                        ui.label('This show has already started; it can no longer be booked.').mark('started')
                    elif show.housefull:
                        ui.label(refusal or 'Housefull: every ticket is sold.').classes('text-negative font-medium')
                        ui.button(
                            'Browse other shows', icon='theater_comedy', on_click=lambda: ui.navigate.to('/')
                        ).props('outline no-caps')
                    elif who is None:
                        ui.label('Log in to book tickets for this show.')
                        ui.button(
                            'Log in to book',
                            icon='login',
                            on_click=lambda: ui.navigate.to(f'/login?redirect_to={quote(f"/shows/{show.id}")}'),
                        ).props('unelevated no-caps')
                    else:
                        _booking_form(show, who.user_id, refused=lambda message: redraw(message), error=refusal)

        def redraw(message: str) -> None:
            """Someone else was quicker: show the seats as they are now, with the reason."""
            stale['error'] = message
            detail.refresh()

        reserved: list[shows.ShowView] = []  # a reserved show's picker goes below the details, drawn once
        await detail()
        if reserved:
            await seat_picker(reserved[0], who)


def _booking_form(
    show: shows.ShowView, user_id: int, *, refused: Callable[[str], None], error: str | None = None
) -> None:
    most = min(MAX_TICKETS_PER_BOOKING, show.tickets_left)
    tickets = (
        ui.number('Tickets', value=1, min=1, max=most, step=1, precision=0)
        .props(f'outlined hint="1 to {most} per booking"')
        .classes('w-full')
        .mark('tickets')
        .without_auto_validation()  # else NiceGUI's own check clears the error update_total has just set
    )
    with ui.column().classes('w-full gap-0'):
        with ui.row().classes('w-full justify-between'):
            ui.label('Unit price')
            ui.label(money(show.price_cents)).mark('unit-price')
        with ui.row().classes('w-full justify-between text-lg font-bold'):
            ui.label('Total')
            total = ui.label().mark('total')

    def update_total() -> None:
        count = tickets.value
        valid = isinstance(count, (int, float)) and count == int(count) and 1 <= count <= most
        total.text = money(show.price_cents * int(count)) if valid else '—'
        tickets.error = None if valid else f'Choose between 1 and {most} tickets.'
        book_button.enabled = valid

    async def confirm() -> None:
        count = int(tickets.value)
        with ui.dialog() as dialog, ui.card().classes('p-6 gap-3').mark('confirm-dialog'):
            ui.label('Confirm your booking').classes('text-xl font-bold')
            ui.label(f'{count} × {show.name}, {when(show.starts_at)}')
            ui.label(f'{count} × {money(show.price_cents)} = {money(show.price_cents * count)}').classes(
                'text-lg font-bold'
            )
            with ui.row().classes('w-full justify-end'):
                ui.button('Back', on_click=lambda: dialog.submit(False)).props('flat no-caps')
                ui.button('Confirm booking', on_click=lambda: dialog.submit(True)).props('unelevated no-caps autofocus')
        if not await dialog:
            return
        book_button.props('loading')
        try:
            made = await call(booking.book, show_id=show.id, user_id=user_id, tickets=count)
        except DomainError as failure:
            book_button.props(remove='loading')
            notify_error(failure)
            if failure.field == 'tickets':
                refused(failure.message)
            return
        ui.navigate.to(f'/bookings?booked={made.id}')  # My bookings says so: a notice here would go with the page

    book_button = (
        ui.button('Book now', icon='confirmation_number', on_click=confirm)
        .props('unelevated no-caps size=lg')
        .classes('w-full')
        .mark('book')
    )
    tickets.on_value_change(update_total)
    update_total()
    tickets.error = error or tickets.error  # why the last try was refused, beside the field it is about
