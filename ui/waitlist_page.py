"""One waiting-list entry, where the offer email's link leads (`/waitlist/{id}`): the show, the tickets (or seats)
set aside and a live countdown to the offer's end, with Accept (to the new booking's tickets) and Decline; an
entry without an open offer says where it stands. Only its owner sees it; anyone else is told there is none."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from models import WaitlistStatus
from services import shows, waitlist
from services.errors import NotFound
from services.formats import money, when
from services.sessions import Principal
from services.waitlist import EntryView
from ui.common import call, path_id
from ui.guard import page_for
from ui.layout import frame
from ui.not_found import not_found
from ui.waitlist_parts import (
    OFFER_CSS,
    accept_offer,
    countdown,
    leave_list,
    set_aside_text,
    status_colour,
    status_words,
    tickets_text,
)


@page_for()
async def waitlist_page(who: Principal, entry_id: str) -> None:
    with frame('Waiting list', who):
        ui.add_css(OFFER_CSS)

        @ui.refreshable
        async def body() -> None:
            try:
                entry = await call(waitlist.get_entry, entry_id=path_id(entry_id), user_id=who.user_id, read=True)
            except NotFound:
                not_found(
                    who,
                    'No such waiting-list entry',
                    'This link leads to no waiting list of yours. Your waiting lists are under My bookings.',
                )
                return
            ui.page_title(f'Waiting list: {entry.show_name} · TicketShow')
            ui.link('← My bookings', '/bookings').classes('text-sm')
            offer = entry.offer_open()
            with (
                ui.card()
                .classes('w-full max-w-2xl p-4 sm:p-6 gap-3' + (' waitlist-offer' if offer else ''))
                .mark('waitlist-entry')
            ):
                with ui.row().classes('w-full items-start justify-between gap-2'):
                    ui.link(entry.show_name, f'/shows/{entry.show_id}').classes(
                        'text-2xl sm:text-3xl font-bold leading-tight no-underline break-words min-w-0'
                    ).mark('entry-show')
                    ui.badge(status_words(entry), color=status_colour(entry)).classes('text-sm px-2 py-1').mark(
                        'entry-status'
                    )
                with ui.column().classes('gap-1 text-gray-700'):
                    for icon, text in (
                        ('event', when(entry.starts_at, entry.tz)),
                        ('place', f'{entry.theatre_name} · {entry.place}'),
                        ('confirmation_number', tickets_text(entry.tickets)),
                    ):
                        with ui.row().classes('items-center gap-2 no-wrap'):
                            ui.icon(icon)
                            ui.label(text).classes('font-medium min-w-0 break-words')
                if offer:
                    price = None
                    if not entry.seats:  # general admission: one price for all (a reserved offer names its seats)
                        price = (await call(shows.public_show, show_id=entry.show_id, read=True)).price_cents
                    _offer(entry, who, body.refresh, price)
                else:
                    _state(entry, who, body.refresh)

        await body()
    return None


def _offer(entry: EntryView, who: Principal, redraw: Callable[[], object], price: int | None) -> None:
    assert entry.offer_expires_at is not None
    ui.separator()
    ui.label(set_aside_text(entry) + '.').classes('text-lg font-bold break-words').mark('offer-text')
    if entry.seats:
        with ui.row().classes('items-start gap-2 no-wrap'):
            ui.icon('event_seat').classes('shrink-0')
            ui.label(', '.join(entry.seats)).classes('font-medium min-w-0 break-words').mark('offer-seats')
    if price is not None:
        ui.label(f'{entry.tickets} × {money(price)} = {money(price * entry.tickets)}').mark('offer-price')
    with ui.row().classes('items-center gap-2'):
        ui.icon('timer', size='28px')
        countdown(entry.offer_expires_at, redraw, size='text-2xl')

    async def accept() -> None:
        if not await accept_offer(entry, who.user_id, accept_button):
            redraw()

    async def decline() -> None:
        if await leave_list(entry, who.user_id):
            redraw()

    with ui.row().classes('w-full gap-2'):
        accept_button = (
            ui.button('Accept and book', icon='check_circle', on_click=accept)
            .props('unelevated no-caps color=positive size=lg')
            .classes('grow')
            .mark('accept-offer')
        )
        ui.button('Decline', on_click=decline).props('outline no-caps color=negative size=lg').mark('decline-offer')
    ui.label('Accepting books these tickets at once; you find them under My bookings.').classes('text-sm text-gray-600')


def _state(entry: EntryView, who: Principal, redraw: Callable[[], object]) -> None:
    """Where an entry without an open offer stands, in words, with what can still be done."""
    ui.separator()
    if entry.status == WaitlistStatus.WAITING:
        position = f'number {entry.position}' if entry.position else 'in line'
        ui.label(f'You are {position} in line for {tickets_text(entry.tickets)}.').classes('text-lg font-medium').mark(
            'entry-text'
        )
        ui.label('We email you as soon as tickets come free for you.').classes('text-sm text-gray-600')

        async def leave() -> None:
            if await leave_list(entry, who.user_id):
                redraw()

        ui.button('Leave the waiting list', icon='logout', on_click=leave).props(
            'outline no-caps color=negative'
        ).classes('self-start').mark('leave-waitlist')
    elif entry.status == WaitlistStatus.BOOKED:
        ui.label('You accepted this offer: the tickets are booked.').classes('text-lg font-medium').mark('entry-text')
        if entry.booking_id is not None:
            target = f'/bookings/{entry.booking_id}'
            ui.button('See your tickets', icon='qr_code_2', on_click=lambda: ui.navigate.to(target)).props(
                'unelevated no-caps'
            ).classes('self-start').mark('open-booking')
    elif entry.status == WaitlistStatus.OFFERED:  # past its end, not yet passed on by the sweep
        ui.label('This offer has ended: its tickets go to the next person in line.').classes(
            'text-lg font-medium'
        ).mark('entry-text')
    elif entry.status == WaitlistStatus.LEFT:
        text = 'You declined this offer.' if entry.offered_at is not None else 'You left this waiting list.'
        ui.label(text).classes('text-lg font-medium').mark('entry-text')
    else:
        if entry.show_status == 'cancelled':
            text = 'The performance was cancelled, so its waiting list has closed.'
        elif entry.offered_at is not None:
            text = 'This offer expired: its tickets went to the next person in line.'
        else:
            text = 'The show has started, so its waiting list has closed.'
        ui.label(text).classes('text-lg font-medium').mark('entry-text')
