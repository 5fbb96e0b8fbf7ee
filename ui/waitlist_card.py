"""The waiting list on a show's page: join it when too few tickets are left, see one's place in line and leave, or
take up (or decline) the tickets an offer set aside. A cancelled show's banner lives here too."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from nicegui import ui

from models import WaitlistStatus
from services import waitlist
from services.booking import MAX_TICKETS_PER_BOOKING
from services.errors import DomainError
from services.formats import money
from services.sessions import Principal
from services.shows import ShowView
from services.waitlist import EntryView
from ui.common import call, show_errors
from ui.waitlist_parts import OFFER_CSS, accept_offer, countdown, leave_list, set_aside_text, tickets_text

HOW_IT_WORKS = (
    'When tickets come free, they are offered to the people waiting in the order they joined. We email you, and '
    'the tickets are kept for you for a while.'
)


def cancelled_banner(show: ShowView) -> None:
    """A called-off performance: said first and plainly, with the manager's reason (as text)."""
    with ui.card().classes('w-full p-4 sm:p-6 gap-2 bg-negative text-white').props('flat').mark('cancelled-banner'):
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.icon('event_busy', size='32px')
            ui.label('Cancelled').classes('text-2xl font-bold')
        ui.label('This performance has been called off and can no longer be booked.').classes('font-medium')
        if show.cancel_reason:
            ui.label(f'Reason: {show.cancel_reason}').classes('break-words').mark('cancel-reason')
        ui.label('Every booking was cancelled and everyone who booked has been emailed.').classes('text-sm')


def waitlist_card(
    show: ShowView,
    who: Principal | None,
    entry: EntryView | None,
    *,
    changed: Callable[[], object],
    open_form: bool = False,
    wanted: int | None = None,
) -> None:
    """The show's waiting-list card for this person. Without an entry and with tickets left, it starts folded as a
    'Want more?' link (`open_form` unfolds it, e.g. after a booking was refused for too few tickets). `changed`
    redraws the page after a join, a leave or a lapsed offer."""
    ui.add_css(OFFER_CSS)
    if entry is not None and entry.status == WaitlistStatus.OFFERED:
        _offer_card(show, who, entry, changed)
    elif entry is not None:
        _waiting_card(who, entry, changed)
    else:
        _join_card(show, who, changed, open_form=open_form or show.housefull, wanted=wanted)


def _join_card(
    show: ShowView, who: Principal | None, changed: Callable[[], object], *, open_form: bool, wanted: int | None
) -> None:
    with ui.card().classes('w-full p-6 gap-3').mark('waitlist-card'):
        folded = ui.column().classes('w-full gap-0')
        body = ui.column().classes('w-full gap-3')
        with folded:
            ui.button(
                'Want more tickets than are left? Join the waiting list',
                icon='hourglass_top',
                on_click=lambda: (folded.set_visibility(False), body.set_visibility(True)),
            ).props('flat no-caps dense align=left').classes('w-full').mark('want-more')
        with body:
            ui.label('Join the waiting list').classes('text-xl font-bold')
            ui.label(HOW_IT_WORKS).classes('text-sm text-gray-700')
            if who is None:
                target = quote(f'/shows/{show.id}')
                ui.button(
                    'Log in to join the waiting list',
                    icon='login',
                    on_click=lambda: ui.navigate.to(f'/login?redirect_to={target}'),
                ).props('unelevated no-caps').mark('join-waitlist')
            else:
                _join_form(show, who, changed, wanted=wanted)
        folded.set_visibility(not open_form)
        body.set_visibility(open_form)


def _join_form(show: ShowView, who: Principal, changed: Callable[[], object], *, wanted: int | None) -> None:
    start = wanted or (1 if show.housefull else show.tickets_left + 1)
    start = max(1, min(MAX_TICKETS_PER_BOOKING, start))
    with ui.row().classes('w-full items-start gap-2'):  # the button goes under the field when both do not fit
        tickets = (
            ui.number('Tickets wanted', value=start, min=1, max=MAX_TICKETS_PER_BOOKING, step=1, precision=0)
            .props(f'outlined dense hint="1 to {MAX_TICKETS_PER_BOOKING}"')
            .classes('w-36 shrink-0')
            .without_auto_validation()
            .mark('waitlist-tickets')
        )

        async def join() -> None:
            button.props('loading')
            try:
                await call(waitlist.join, show_id=show.id, user_id=who.user_id, tickets=tickets.value)
            except DomainError as error:
                show_errors(error, {'tickets': tickets})
                return
            finally:
                button.props(remove='loading')
            ui.notify('You are on the waiting list.', type='positive')
            changed()

        button = (
            ui.button('Join the waiting list', icon='hourglass_top', on_click=join)
            .props('unelevated no-caps no-wrap')
            .classes('grow mt-0.5')
            .mark('join-waitlist')
        )
    tickets.on_value_change(lambda: setattr(tickets, 'error', None))


def _waiting_card(who: Principal | None, entry: EntryView, changed: Callable[[], object]) -> None:
    with ui.card().classes('w-full p-6 gap-3').mark('waitlist-card'):
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.icon('hourglass_top', size='28px', color='primary')
            ui.label('You are on the waiting list').classes('text-xl font-bold')
        position = f'number {entry.position}' if entry.position else 'in line'
        ui.label(f'You are {position} in line for {tickets_text(entry.tickets)}.').classes('text-lg font-medium').mark(
            'waitlist-position'
        )
        ui.label(HOW_IT_WORKS).classes('text-sm text-gray-700')
        if who is not None:

            async def leave() -> None:
                if await leave_list(entry, who.user_id):
                    changed()

            ui.button('Leave the waiting list', icon='logout', on_click=leave).props(
                'outline no-caps color=negative'
            ).classes('self-start').mark('leave-waitlist')


def _offer_card(show: ShowView, who: Principal | None, entry: EntryView, changed: Callable[[], object]) -> None:
    with ui.card().classes('waitlist-offer w-full p-6 gap-3').mark('waitlist-card', 'offer-card'):
        if not entry.offer_open() or entry.offer_expires_at is None:
            ui.label('Your offer has ended').classes('text-xl font-bold')
            ui.label('Its tickets went to the next person in line.').mark('offer-ended')
            return
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.icon('celebration', size='28px').classes('text-amber-700')
            ui.label('Tickets for you').classes('text-xl font-bold')
        ui.label(set_aside_text(entry) + '.').classes('text-lg font-medium break-words').mark('offer-text')
        if entry.seats:
            with ui.row().classes('items-start gap-1 no-wrap'):
                ui.icon('event_seat', size='20px').classes('shrink-0')
                ui.label(', '.join(entry.seats)).classes('font-medium min-w-0 break-words').mark('offer-seats')
        elif not show.reserved:
            ui.label(f'{entry.tickets} × {money(show.price_cents)} = {money(show.price_cents * entry.tickets)}').mark(
                'offer-price'
            )
        countdown(entry.offer_expires_at, changed)
        if who is None:
            return

        async def accept() -> None:
            if not await accept_offer(entry, who.user_id, accept_button):
                changed()

        async def decline() -> None:
            if await leave_list(entry, who.user_id):
                changed()

        with ui.row().classes('w-full gap-2'):
            accept_button = (
                ui.button('Accept and book', icon='check_circle', on_click=accept)
                .props('unelevated no-caps color=positive')
                .classes('grow')
                .mark('accept-offer')
            )
            ui.button('Decline', on_click=decline).props('outline no-caps color=negative').mark('decline-offer')
        ui.label('Accepting books them at once; then they are under My bookings.').classes('text-xs text-gray-600')
