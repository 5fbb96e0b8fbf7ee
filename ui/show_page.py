"""One show: its details and, for a logged-in person, the booking step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from nicegui import ui

from services import booking, productions, shows, waitlist
from services.booking import MAX_TICKETS_PER_BOOKING
from services.errors import DomainError, NotFound
from services.formats import money, theatre_tz, when
from ui.common import call, notify_error, path_id, principal
from ui.layout import frame
from ui.not_found import not_found
from ui.seat_picker import seat_picker
from ui.show_hero import about, hero
from ui.waitlist_card import cancelled_banner, waitlist_card


async def show_page(show_id: str) -> None:
    who = await principal()
    with frame('Show', who):
        stale: dict[str, Any] = {}  # a refusal's message, shown again once the card is redrawn with fresh seats

        @ui.refreshable
        async def detail() -> None:
            try:
                show = await call(shows.public_show, show_id=path_id(show_id), read=True)
            except NotFound:
                not_found(who, 'No such show', 'This show does not exist. It may have been removed.')
                return
            ui.page_title(f'{show.name} · TicketShow')
            ui.link('← All shows', '/').classes('text-sm')
            if show.cancelled:
                cancelled_banner(show)
            closed = show.cancelled or show.has_started()  # no booking, no waiting list
            entry = None
            if who is not None and not closed:
                entry = await call(waitlist.my_entry, show_id=show.id, user_id=who.user_id, read=True)
            dates = await call(productions.other_dates, show_id=show.id, read=True)
            wanted = stale.pop('wanted', None)  # a refusal for too few tickets unfolds the waiting list
            refusal = stale.pop('error', None)
            hero(show)
            with ui.row().classes('w-full gap-6 items-start'):
                about(show, dates)
                if show.cancelled:
                    return

                def the_list() -> None:
                    waitlist_card(show, who, entry, changed=detail.refresh, open_form=wanted is not None, wanted=wanted)

                # Someone may want more than are left only when fewer than a booking's most are (or they were refused).
                short = show.tickets_left < MAX_TICKETS_PER_BOOKING or wanted is not None or entry is not None
                if show.reserved and not show.has_started() and not show.housefull:
                    reserved.append(show)
                    if who is not None and short:  # for those who cannot find enough free seats on the map below
                        with ui.column().classes('grow basis-72 gap-4 max-sm:order-first'):
                            the_list()
                    return
                offered = entry is not None and entry.offer_open()
                with ui.column().classes('grow basis-72 gap-4 max-sm:order-first'):
                    if offered:  # first: it is what this person came for
                        the_list()
                    with ui.card().classes('w-full p-6 gap-3').mark('booking-card'):
                        ui.label('Book tickets').classes('text-xl font-bold')
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
                            _booking_form(show, who.user_id, refused=redraw, error=refusal)
                    if not offered and not show.has_started() and ((who is not None and short) or show.housefull):
                        the_list()

        def redraw(message: str, wanted: int) -> None:
            """Someone else was quicker: show the seats as they are now, with the reason, and the waiting list."""
            stale['error'], stale['wanted'] = message, wanted
            detail.refresh()

        reserved: list[shows.ShowView] = []  # a reserved show's picker goes below the details, drawn once
        await detail()
        if reserved:
            await seat_picker(reserved[0], who)


def _booking_form(
    show: shows.ShowView, user_id: int, *, refused: Callable[[str, int], None], error: str | None = None
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
            ui.label(f'{count} × {show.name}, {when(show.starts_at, theatre_tz(show.theatre_timezone))}')
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
                refused(failure.message, count)
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
