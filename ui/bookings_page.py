"""My bookings: upcoming (cancellable), the waiting lists, cancelled and past."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.events import ValueChangeEventArguments

from models import BookingStatus, ExportKind
from services import booking, ratings, waitlist
from services.booking import BookingView
from services.errors import DomainError
from services.etickets.document import seat_list
from services.formats import money, when
from services.sessions import Principal
from services.words import plural
from ui.account_details import unverified_banner
from ui.common import call, notify_error, path_id
from ui.exports_page import export_buttons
from ui.guard import page_for
from ui.layout import empty_state, frame
from ui.waitlist_section import waitlist_section


@page_for()
async def bookings_page(who: Principal, booked: str | None = None) -> None:
    just_booked = path_id(booked) if booked else None  # the booking just made, said once; anything else: nothing
    with frame('My bookings', who):
        ui.add_css('.called-off { color: #b91c1c; } .body--dark .called-off { color: #fca5a5; }')
        with ui.row().classes('w-full items-center justify-between'):
            ui.label('My bookings').classes('text-3xl font-bold')
            export_buttons(who, ExportKind.BOOKINGS, label='Export history')
        await unverified_banner(who)

        announced: list[int] = []  # the new booking is announced once, not again after a cancel redraws the list

        @ui.refreshable
        async def listing() -> None:
            mine = await call(booking.my_bookings, user_id=who.user_id, read=True)
            scores = await call(ratings.my_ratings, user_id=who.user_id, read=True) if mine.past else {}
            entries = await call(waitlist.my_entries, user_id=who.user_id, read=True)
            first = any(entry.live for entry in entries)  # an offer waits for no one: above the bookings
            if first:
                waitlist_section(entries, who, listing.refresh)
            ui.label('Upcoming').classes('text-xl font-bold mt-2')
            if not any(item.status == BookingStatus.CONFIRMED for item in mine.upcoming):
                empty_state(
                    'confirmation_number',
                    'No upcoming bookings',
                    'Find a show you like and book a few seats.',
                    action=('Browse shows', '/'),
                )
            live = [item for item in mine.upcoming if item.status == BookingStatus.CONFIRMED]
            with ui.column().classes('w-full gap-3').mark('upcoming'):
                for item in live:
                    _booking_row(item, cancel)
            just_made = next((item for item in live if item.id == just_booked), None)
            if just_made is not None and not announced:
                announced.append(just_made.id)
                ui.notify(
                    f'Booked {plural(just_made.booked_tickets, "ticket")} for {just_made.show_name}: '
                    f'{money(just_made.total_cents)}. Your reference is {just_made.reference}.',
                    type='positive',
                )
                ui.navigate.history.replace('/bookings')  # a reload or a bookmark does not say it again
            if not first:
                waitlist_section(entries, who, listing.refresh)
            cancelled = [item for item in mine.upcoming if item.status == BookingStatus.CANCELLED]
            if cancelled:
                ui.label('Cancelled').classes('text-xl font-bold mt-4')
                with ui.column().classes('w-full gap-3').mark('cancelled'):
                    for item in cancelled:
                        _booking_row(item, None)
            if mine.past:
                ui.label('Past').classes('text-xl font-bold mt-4')
                with ui.column().classes('w-full gap-3').mark('past'):
                    for item in mine.past:
                        _booking_row(item, None)
                        if item.status == BookingStatus.CONFIRMED:
                            _rating_row(item, scores.get(item.show_id), rate)

        async def rate(item: BookingView, score: int) -> int | None:
            try:
                saved = await call(ratings.rate_show, user_id=who.user_id, show_id=item.show_id, score=score)
            except DomainError as error:
                notify_error(error)
                return None
            ui.notify(f'Thanks: you rated {item.show_name} {saved} of 5.', type='positive')
            return saved

        async def cancel(item: BookingView) -> None:
            with ui.dialog() as dialog, ui.card().classes('p-6 gap-3').mark('cancel-dialog'):
                ui.label('Cancel this booking?').classes('text-xl font-bold')
                seats = _seats(item)
                ui.label(
                    f'{plural(item.booked_tickets, "ticket")} for {item.show_name}, {when(item.starts_at, item.tz)}. '
                    + (f'The seats ({seats}) go back on sale.' if seats else 'The seats go back on sale.')
                ).classes('break-words')
                with ui.row().classes('w-full justify-end'):
                    ui.button('Keep it', on_click=lambda: dialog.submit(False)).props('flat no-caps')
                    ui.button('Cancel booking', on_click=lambda: dialog.submit(True)).props(
                        'unelevated no-caps color=negative'
                    )
            if not await dialog:
                return
            try:
                await call(booking.cancel_booking, booking_id=item.id, user_id=who.user_id)
            except DomainError as error:
                notify_error(error)
            else:
                ui.notify(f'Booking for {item.show_name} cancelled.', type='positive')
            listing.refresh()

        await listing()
    return None


def _seats(item: BookingView) -> str:
    """A reserved booking's seats, 'Stalls A1, A2'; '' for general admission."""
    return seat_list(t.seat_ref for t in item.tickets if t.seat_ref is not None)


def price_text(item: BookingView) -> str:
    """'3 × ₹250 = ₹750'; '3 tickets = ₹1,100' when the seats cost different prices."""
    unit = item.unit_price_cents
    if unit is None:
        return f'{plural(item.booked_tickets, "ticket")} = {money(item.total_cents)}'
    return f'{item.booked_tickets} × {money(unit)} = {money(item.total_cents)}'


def _booking_row(item: BookingView, on_cancel: Callable[[BookingView], Awaitable[None]] | None) -> None:
    cancelled = item.status == BookingStatus.CANCELLED
    seats = _seats(item)
    with ui.card().classes('w-full p-4').mark(f'booking-{item.id}'):
        with ui.row().classes('w-full items-center justify-between gap-3'):
            with ui.column().classes('gap-1 min-w-0 grow basis-64'):  # beside the buttons, or above them on a phone
                ui.link(item.show_name, f'/shows/{item.show_id}').classes('text-lg font-bold no-underline')
                ui.label(f'{item.theatre_name} · {item.place} · {when(item.starts_at, item.tz)}').classes(
                    'text-sm text-gray-600'
                )
                if seats:
                    with ui.row().classes('items-start gap-1 no-wrap text-sm w-full'):
                        ui.icon('event_seat', size='18px').classes('text-gray-600 shrink-0')
                        ui.label(seats).classes('font-medium min-w-0 break-words').mark('booking-seats')
                if item.called_off:
                    with ui.row().classes('items-center gap-1 no-wrap text-sm').mark('called-off'):
                        ui.icon('event_busy', size='18px').classes('called-off shrink-0')
                        ui.label('Cancelled — performance called off').classes('called-off font-bold')
                    if item.show_cancel_reason:
                        ui.label(f'Reason: {item.show_cancel_reason}').classes('text-sm break-words').mark(
                            'called-off-reason'
                        )
                with ui.row().classes('items-center gap-3 text-sm'):
                    ui.label(price_text(item)).mark('booking-price')
                    ui.label(f'Ref. {item.reference}').classes('font-mono tracking-wider text-gray-600').mark(
                        'reference'
                    )
            with ui.row().classes('items-center gap-2'):
                ui.badge('Cancelled' if cancelled else 'Confirmed', color='grey-8' if cancelled else 'positive').mark(
                    'status'
                )
                ui.button('Tickets', icon='qr_code_2', on_click=lambda: ui.navigate.to(f'/bookings/{item.id}')).props(
                    'unelevated no-caps' if not cancelled else 'flat no-caps'
                ).mark('open-tickets')
                if on_cancel is not None and item.can_cancel():
                    ui.button('Cancel', on_click=lambda: on_cancel(item)).props('outline no-caps color=negative').mark(
                        'cancel'
                    )


def rated_text(score: int | None) -> str:
    return f'You rated it {score} of 5' if score else 'How was it?'


def _rating_row(
    item: BookingView, score: int | None, on_rate: Callable[[BookingView, int], Awaitable[int | None]]
) -> None:
    """Stars under a past booking: how was it? One rating a show; changing it replaces the old one. The words
    beside the stars say the stored score as soon as it is saved; a refused score puts the stars back."""
    stored = {'score': score}
    with ui.row().classes('items-center gap-2 -mt-2 ml-4').mark(f'rate-{item.id}'):
        # The stars come first: longer words after a click must not slide them from under the pointer.
        stars = ui.rating(value=score, max=5, size='sm', color='amber-8')
        state = ui.label(rated_text(score)).classes('text-sm text-gray-600').mark('rating-state')
        state.props['aria-live'] = 'polite'  # a screen reader hears the confirmation too

        saving = asyncio.Lock()  # quick clicks are saved in their order, so the last one is what stays

        async def chosen(event: ValueChangeEventArguments) -> None:
            choice = int(event.value or 0)
            if choice == (stored['score'] or 0):  # the stars put back below, or the same star again
                return
            async with saving:
                saved = await on_rate(item, choice)
                if saved is not None:
                    stored['score'] = saved
                state.set_text(rated_text(stored['score']))
                stars.set_value(stored['score'])

        stars.on_value_change(chosen)
        stars.props['no-reset'] = True  # clicking the chosen star again keeps it, rather than clearing to 0
        stars.props['aria-label'] = f'Rate {item.show_name}'  # a value, never parsed: names may hold quotes
        stars.mark('rating-stars')
