"""The door: pick a show, then scan ticket codes (a keyboard-wedge scanner types the code and Enter) or type them.
Each answer fills the width in green or red, with words, to be read at arm's length; the count of people in
follows every scan, here and at the other doors."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from nicegui import ui
from sqlalchemy.orm import Session

from services import checkin, shows
from services.checkin import Admission, DoorCount, DoorShow
from services.errors import DomainError, Invalid, NotFound, Unauthenticated
from services.etickets.document import seat_line
from services.formats import local, theatre_tz, when
from services.sessions import Principal
from services.shows import ShowView
from services.words import percent
from ui.common import call, door_worker, notify_error
from ui.guard import page_for
from ui.layout import empty_state, frame
from ui.ticket_page import spaced

log = logging.getLogger(__name__)

COUNT_SECONDS = 5.0  # how often the count is read again, for the scans of the other doors

# An answer's background, icon and test marker: admitted, or refused.
LOOKS = {True: ('bg-positive', 'check_circle', 'door-admit'), False: ('bg-negative', 'dangerous', 'door-refuse')}

DOOR_CSS = """
@keyframes door-answer { from { transform: scale(0.96); opacity: 0.5; } to { transform: none; opacity: 1; } }
.door-answer { animation: door-answer 0.18s ease-out; }
.door-code input { font-size: 1.2rem; letter-spacing: 0.02em; }
"""


def count_text(count: DoorCount | DoorShow) -> str:
    """'312 of 400 in'."""
    return f'{count.checked_in:,} of {count.tickets_sold:,} in'


def door_view(session: Session, *, actor_id: int, show_id: int | None) -> tuple[ShowView, DoorCount]:
    """The show at this door and its count; a show the person may not check in is NotFound."""
    count = checkin.door_count(session, actor_id=actor_id, show_id=show_id)
    return shows.public_show(session, show_id=count.show_id), count


def show_id_of(text: str | None) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) <= 12 else None


@dataclass
class Answer:
    """The last scan's answer: green (admitted) or red (refused)."""

    admitted: bool
    title: str
    detail: str
    at: dt.datetime


@page_for()
async def checkin_page(who: Principal, show: str | None = None) -> None:
    with frame('Check-in', who):
        if not door_worker():
            _not_door_staff(who)
        elif show is None:
            await _show_picker(who)
        else:
            await _door(who, show_id_of(show))
    return None


def _not_door_staff(who: Principal) -> None:
    with ui.column().classes('w-full items-center text-center gap-2 py-10').mark('not-door-staff'):
        ui.icon('qr_code_scanner', size='56px').classes('text-gray-500')
        ui.label('You are not on the door staff of any theatre').classes('text-xl font-medium')
        ui.label(
            f'A theatre’s manager can add you to its door staff by your username, {who.username}; '
            'then its shows appear here for checking tickets in.'
        ).classes('text-gray-600 max-w-md')
        ui.button('Back to shows', on_click=lambda: ui.navigate.to('/')).props('outline no-caps')


async def _show_picker(who: Principal, *, note: str = '') -> None:
    door_shows = await call(checkin.door_shows, actor_id=who.user_id, read=True)
    ui.label('Check-in').classes('text-3xl font-bold')
    if note:
        ui.label(note).classes('text-negative font-medium').mark('door-note')
    if not door_shows:
        empty_state(
            'event_busy',
            'No shows to check in',
            'Shows of your theatres appear here from the morning of their day.',
        )
        return
    ui.label('Which show is at your door?').classes('text-gray-700')
    now = dt.datetime.now(dt.UTC)
    sections = (
        ('Today', [s for s in door_shows if s.is_today(now)]),
        ('Coming up', [s for s in door_shows if not s.is_today(now)]),
    )
    for title, listed in sections:
        if not listed:
            continue
        ui.label(title).classes('text-lg font-bold mt-2')
        with ui.column().classes('w-full gap-2'):
            for door_show in listed:
                _show_choice(door_show)


def _show_choice(door_show: DoorShow) -> None:
    target = f'/checkin?show={door_show.id}'
    card = (
        ui.card()
        .classes('w-full p-4 cursor-pointer hover:shadow-lg transition-shadow')
        .props('role=button tabindex=0')
        .mark(f'door-show-{door_show.id}')
    )
    card.on('click', lambda: ui.navigate.to(target))
    card.on('keydown.enter', lambda: ui.navigate.to(target))
    with card, ui.row().classes('w-full items-center justify-between gap-3 no-wrap'):
        with ui.column().classes('gap-0 min-w-0'):
            ui.label(door_show.name).classes('text-lg font-bold leading-tight').mark('door-show-name')
            ui.label(f'{when(door_show.starts_at, door_show.tz)} · {door_show.theatre_name}').classes(
                'text-sm text-gray-600'
            )
        with ui.column().classes('gap-0 items-end shrink-0'):
            ui.label(count_text(door_show)).classes('text-lg font-bold whitespace-nowrap').mark('door-show-count')
            ui.icon('chevron_right', size='24px').classes('text-gray-500')


async def _door(who: Principal, show_id: int | None) -> None:
    try:
        show, first_count = await call(door_view, actor_id=who.user_id, show_id=show_id, read=True)
    except NotFound:
        await _show_picker(who, note='That show is not one you can check tickets in for. Choose one below.')
        return
    ui.add_css(DOOR_CSS)
    ui.page_title(f'Check-in: {show.name} · TicketShow')
    latest: list[Answer] = []
    last_admitted: list[Admission] = []  # what "Undo last scan" takes back
    counts = [first_count]
    tz = theatre_tz(show.theatre_timezone)  # the door's clock: every time here is the theatre's

    with ui.row().classes('w-full items-center justify-between gap-2'):
        ui.link('← Change show', '/checkin').classes('text-sm')
    with ui.card().classes('w-full p-4 gap-1'):
        ui.label(show.name).classes('text-2xl font-bold leading-tight').mark('door-show-title')
        ui.label(f'{when(show.starts_at, tz)} · {show.theatre_name}').classes('text-sm text-gray-600')

        @ui.refreshable
        def count_line() -> None:
            current = counts[0]
            share = current.checked_in / current.tickets_sold if current.tickets_sold else 0.0
            with ui.row().classes('w-full items-baseline justify-between mt-2'):
                ui.label(count_text(current)).classes('text-3xl font-bold').mark('door-count')
                ui.label(percent(current.checked_in, current.tickets_sold)).classes('text-gray-600')
            ui.linear_progress(value=share, show_value=False, size='8px', color='positive').props(
                'rounded track-color=grey-3 aria-label="Checked in"'
            ).classes('w-full')

        count_line()

    with ui.row().classes('w-full items-start gap-2 no-wrap'):
        code = (
            ui.input('Ticket code', placeholder='Scan or type a code')
            .props(
                'outlined autofocus clearable autocomplete=off autocorrect=off autocapitalize=off spellcheck=false'
                ' enterkeyhint=go'
            )
            .classes('door-code grow')
            .mark('code')
        )
        ui.button('Check in', on_click=lambda: scan()).props('unelevated no-caps no-wrap').classes(
            'h-14 shrink-0 text-base'
        ).mark('check-in')

    @ui.refreshable
    def answer() -> None:
        if not latest:
            with (
                ui.column()
                .classes('w-full items-center text-center gap-1 p-6 rounded-xl border-2 border-dashed text-gray-600')
                .mark('door-ready')
            ):
                ui.icon('qr_code_scanner', size='48px')
                ui.label('Ready: scan the first ticket.').classes('text-lg')
            return
        shown = latest[-1]
        colour, icon, mark = LOOKS[shown.admitted]
        with (
            ui.column()
            .classes(f'door-answer w-full items-center text-center gap-1 p-6 rounded-xl text-white {colour}')
            .props('role=status aria-live=assertive')
            .mark(mark)
        ):
            ui.icon(icon, size='72px')
            ui.label(shown.title).classes('text-3xl sm:text-4xl font-black leading-tight').mark('door-answer-title')
            ui.label(shown.detail).classes('text-xl font-medium').mark('door-answer-detail')
            ui.label(f'Scanned {local(shown.at, tz):%H:%M:%S}').classes('text-sm opacity-90')

    answer()

    @ui.refreshable
    def undo_line() -> None:
        if not last_admitted:
            return
        admitted = last_admitted[-1]
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(f'Last admitted: {admitted.holder_name} · Ref. {spaced(admitted.booking_reference)}').classes(
                'text-sm text-gray-600'
            )
            ui.button('Undo last scan', icon='undo', on_click=lambda: undo()).props('outline no-caps').mark('undo')

    undo_line()

    def show_count(current: DoorCount) -> None:
        if current != counts[0]:
            counts[0] = current
            count_line.refresh()

    def show_answer(found: Answer) -> None:
        latest[:] = [found]
        answer.refresh()
        code.run_method('focus')

    async def scan() -> None:
        typed = (code.value or '').strip()
        code.value = ''  # ready for the next scan at once
        code.run_method('focus')
        if not typed:
            return
        try:
            admission = await call(checkin.check_in, actor_id=who.user_id, show_id=show.id, code=typed)
        except Unauthenticated as error:
            notify_error(error)
            return
        except DomainError as error:
            if isinstance(error, NotFound) and error.field != 'code':  # taken off this theatre's door meanwhile
                message = 'You can no longer check tickets in for this show.'
            else:
                message = ' '.join(error.errors.values()) if isinstance(error, Invalid) else error.message
            show_answer(Answer(False, message, 'Do not admit.', dt.datetime.now(dt.UTC)))
            await refresh_count()
            return
        place = seat_line(admission.ticket.seat_ref)  # 'Stalls · Row C · Seat 7', or 'General admission'
        show_answer(
            Answer(
                True,
                f'Admit 1 — {place}',
                f'{admission.holder_name} · Ref. {spaced(admission.booking_reference)}',
                dt.datetime.now(dt.UTC),
            )
        )
        last_admitted[:] = [admission]
        undo_line.refresh()
        show_count(admission.count)

    async def undo() -> None:
        if not last_admitted:
            return
        admitted = last_admitted[-1]
        try:
            await call(checkin.undo_check_in, actor_id=who.user_id, code=admitted.ticket.code)
        except DomainError as error:
            notify_error(error)
        else:
            ui.notify(
                f'Scan undone: the ticket of {admitted.holder_name} (Ref. {spaced(admitted.booking_reference)}) '
                'is valid again.',
                type='info',
            )
            latest.clear()
            answer.refresh()
        last_admitted.clear()
        undo_line.refresh()
        code.run_method('focus')
        await refresh_count()

    busy = [False]

    async def refresh_count() -> None:
        """The count as the database has it (other doors scan too); skipped while the last read is under way."""
        if busy[0]:
            return
        busy[0] = True
        try:
            show_count(await call(checkin.door_count, actor_id=who.user_id, show_id=show.id, read=True))
        except DomainError as error:  # busy database, ended session: the next tick (or scan) tries again
            log.info('door count not refreshed: %s', type(error).__name__)
        finally:
            busy[0] = False

    code.on('keydown.enter', scan)
    ui.timer(COUNT_SECONDS, refresh_count, immediate=False)
