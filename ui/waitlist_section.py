"""My bookings' "Waiting lists": the person's entries (live ones first), each with its state in words, the place in
line or the offer's end with a link to accept it, and a way to leave."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from services.formats import when
from services.sessions import Principal
from services.waitlist import EntryView
from ui.waitlist_parts import OFFER_CSS, leave_list, status_colour, status_words, tickets_text


def waitlist_section(entries: list[EntryView], who: Principal, redraw: Callable[[], object]) -> None:
    """Nothing at all for someone on no waiting list."""
    if not entries:
        return
    ui.add_css(OFFER_CSS)

    async def leave(entry: EntryView) -> None:
        if await leave_list(entry, who.user_id):
            redraw()

    ui.label('Waiting lists').classes('text-xl font-bold mt-2')
    with ui.column().classes('w-full gap-3').mark('waitlists'):
        for entry in entries:
            _entry_row(entry, leave)


def _entry_row(entry: EntryView, on_leave: Callable[[EntryView], Awaitable[None]]) -> None:
    offer = entry.offer_open()
    with ui.card().classes('w-full p-4' + (' waitlist-offer' if offer else '')).mark(f'waitlist-{entry.id}'):
        with ui.row().classes('w-full items-center justify-between gap-3'):
            with ui.column().classes('gap-1 min-w-0 grow basis-64'):  # beside the buttons, or above them on a phone
                ui.link(entry.show_name, f'/shows/{entry.show_id}').classes(
                    'text-lg font-bold no-underline break-words'
                ).mark('waitlist-show')
                ui.label(f'{entry.theatre_name} · {entry.place} · {when(entry.starts_at, entry.tz)}').classes(
                    'text-sm text-gray-600'
                )
                what = tickets_text(entry.tickets) + (f': {", ".join(entry.seats)}' if entry.seats else '')
                with ui.row().classes('items-start gap-1 no-wrap text-sm w-full'):
                    ui.icon('confirmation_number', size='18px').classes('text-gray-600 shrink-0')
                    ui.label(what).classes('font-medium min-w-0 break-words').mark('waitlist-tickets-text')
                if offer and entry.offer_expires_at is not None:
                    ui.label(f'Set aside for you until {when(entry.offer_expires_at, entry.tz)}').classes(
                        'text-sm font-bold'
                    ).mark('waitlist-offer-end')
            with ui.row().classes('items-center gap-2'):
                ui.badge(status_words(entry), color=status_colour(entry)).mark('waitlist-status')
                if offer:
                    ui.button(
                        'Accept…', icon='check_circle', on_click=lambda: ui.navigate.to(f'/waitlist/{entry.id}')
                    ).props('unelevated no-caps color=positive').mark('open-offer')
                elif entry.booking_id is not None:
                    target = f'/bookings/{entry.booking_id}'
                    ui.button('Tickets', icon='qr_code_2', on_click=lambda: ui.navigate.to(target)).props(
                        'flat no-caps'
                    ).mark('open-booking')
                if entry.live:
                    ui.button('Leave', on_click=lambda: on_leave(entry)).props('outline no-caps color=negative').mark(
                        'leave-waitlist'
                    )
