"""My bookings: upcoming (cancellable) and past."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from models import BookingStatus, ExportKind
from services import booking, ratings
from services.booking import BookingView
from services.errors import DomainError
from services.formats import money, when
from services.sessions import Principal
from ui.common import call, notify_error
from ui.exports_page import export_buttons
from ui.guard import page_for
from ui.layout import empty_state, frame


@page_for()
async def bookings_page(who: Principal, booked: int | None = None) -> None:
    with frame('My bookings', who):
        with ui.row().classes('w-full items-center justify-between'):
            ui.label('My bookings').classes('text-3xl font-bold')
            export_buttons(who, ExportKind.BOOKINGS, label='Export history')

        announced: list[int] = []  # the new booking is announced once, not again after a cancel redraws the list

        @ui.refreshable
        async def listing() -> None:
            mine = await call(booking.my_bookings, user_id=who.user_id, read=True)
            scores = await call(ratings.my_ratings, user_id=who.user_id, read=True) if mine.past else {}
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
            just_made = next((item for item in live if item.id == booked), None)
            if just_made is not None and not announced:
                announced.append(just_made.id)
                ui.notify(
                    f'Booked {just_made.booked_tickets} ticket(s) for {just_made.show_name}: '
                    f'{money(just_made.total_cents)}. Your reference is {just_made.reference}.',
                    type='positive',
                )
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

        async def rate(item: BookingView, score: float | None) -> None:
            try:
                await call(ratings.rate_show, user_id=who.user_id, show_id=item.show_id, score=int(score or 0))
            except DomainError as error:
                notify_error(error)
                return
            ui.notify(f'Thanks: you rated {item.show_name} {int(score or 0)} of 5.', type='positive')

        async def cancel(item: BookingView) -> None:
            with ui.dialog() as dialog, ui.card().classes('p-6 gap-3').mark('cancel-dialog'):
                ui.label('Cancel this booking?').classes('text-xl font-bold')
                ui.label(
                    f'{item.booked_tickets} ticket(s) for {item.show_name}, {when(item.starts_at)}. '
                    'The seats go back on sale.'
                )
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


def _booking_row(item: BookingView, on_cancel: Callable[[BookingView], Awaitable[None]] | None) -> None:
    cancelled = item.status == BookingStatus.CANCELLED
    with ui.card().classes('w-full p-4').mark(f'booking-{item.id}'):
        with ui.row().classes('w-full items-center justify-between gap-3'):
            with ui.column().classes('gap-1'):
                ui.link(item.show_name, f'/shows/{item.show_id}').classes('text-lg font-bold no-underline')
                ui.label(f'{item.theatre_name} · {item.place} · {when(item.starts_at)}').classes(
                    'text-sm text-gray-600'
                )
                with ui.row().classes('items-center gap-3 text-sm'):
                    ui.label(f'{item.booked_tickets} × {money(item.price_cents)} = {money(item.total_cents)}')
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


def _rating_row(
    item: BookingView, score: int | None, on_rate: Callable[[BookingView, float | None], Awaitable[None]]
) -> None:
    """Stars under a past booking: how was it? One rating a show; changing it replaces the old one."""
    with ui.row().classes('items-center gap-2 -mt-2 ml-4').mark(f'rate-{item.id}'):
        ui.label('Your rating' if score else 'How was it?').classes('text-sm text-gray-600')
        stars = ui.rating(value=score, max=5, size='sm', color='amber-8', on_change=lambda e: on_rate(item, e.value))
        stars.props['aria-label'] = f'Rate {item.show_name}'  # a value, never parsed: names may hold quotes
        stars.mark('rating-stars')
