"""Pieces the waiting list's faces share (the show page's card, the offer page, My bookings): an entry's state in
words, the offer's live countdown, and the accept and leave actions with their confirmation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from nicegui import ui

from models import WaitlistStatus
from models.db import utcnow
from services import waitlist
from services.errors import DomainError
from services.formats import when
from services.waitlist import EntryView
from ui.common import call, notify_error

# An open offer stands out on a light and on a dark page alike: a tint of the amber accent, not a fixed colour.
OFFER_CSS = (
    '.waitlist-offer { border: 2px solid #b45309; background: rgba(245, 158, 11, 0.12) !important; }'
    '.body--dark .waitlist-offer { border-color: #f59e0b; background: rgba(245, 158, 11, 0.16) !important; }'
)


def tickets_text(count: int) -> str:
    return f'{count} ticket' + ('' if count == 1 else 's')


def status_words(entry: EntryView, now: dt.datetime | None = None) -> str:
    """The entry's state as a person reads it ('Waiting: number 2 in line')."""
    if entry.status == WaitlistStatus.WAITING:
        return f'Waiting: number {entry.position} in line' if entry.position else 'Waiting'
    if entry.status == WaitlistStatus.OFFERED:
        return 'Offer open' if entry.offer_open(now) else 'Offer ended'
    if entry.status == WaitlistStatus.BOOKED:
        return 'Booked'
    if entry.status == WaitlistStatus.LEFT:
        return 'Offer declined' if entry.offered_at is not None else 'Left the list'
    if entry.show_status == 'cancelled':
        return 'Closed: performance cancelled'
    return 'Offer expired' if entry.offered_at is not None else 'Closed: the show started'


def status_colour(entry: EntryView, now: dt.datetime | None = None) -> str:
    if entry.offer_open(now):
        return 'accent'
    if entry.status == WaitlistStatus.WAITING:
        return 'primary'
    if entry.status == WaitlistStatus.BOOKED:
        return 'positive'
    return 'grey-8'


def set_aside_text(entry: EntryView) -> str:
    """'2 tickets are set aside for you until Sat 12 Dec 2026, 19:30'."""
    verb = 'is' if entry.tickets == 1 else 'are'
    ends = when(entry.offer_expires_at, entry.tz) if entry.offer_expires_at is not None else 'soon'
    return f'{tickets_text(entry.tickets)} {verb} set aside for you until {ends}'


def left_text(seconds: int) -> str:
    """'1:05:09 left', '4:59 left'."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return (f'{hours}:{minutes:02d}:{secs:02d}' if hours else f'{minutes}:{secs:02d}') + ' left'


# The browser counts down by itself: one label, redrawn each second on the page and never sent over the socket. The
# server sets the first text (and the page's own timer for the end); the script stops once the label is gone.
_TICK = """
(() => {
  const ends = Date.now() + %(ms)d, id = 'c%(id)d', low = 'text-negative';
  const text = (s) => {
    const h = Math.floor(s / 3600), m = Math.floor((s %% 3600) / 60), r = s %% 60;
    const two = (n) => String(n).padStart(2, '0');
    return (h ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`) + ' left';
  };
  const timer = setInterval(() => {
    const label = document.getElementById(id);
    if (!label) return clearInterval(timer);
    const left = Math.max(0, Math.floor((ends - Date.now()) / 1000));
    label.textContent = text(left);
    label.classList.toggle(low, left < 300);
    if (!left) clearInterval(timer);
  }, 1000);
})();
"""


def countdown(ends: dt.datetime, on_end: Callable[[], object], *, size: str = 'text-sm') -> None:
    """A live 'h:mm:ss left' until `ends`, counted in the browser; `on_end` runs once it has passed (the page
    redraws the entry) from a single timer, so an open offer costs the server nothing while it waits."""
    left = (ends - utcnow()).total_seconds()
    look = f'{size} font-bold tabular-nums'
    label = (
        ui.label(left_text(int(left))).classes(look + (' text-negative' if left < 300 else '')).mark('offer-countdown')
    )
    label.props['role'] = 'timer'
    label.props['aria-live'] = 'off'  # a screen reader would otherwise read out every second
    ui.run_javascript(_TICK % {'ms': int(left * 1000), 'id': label.id})
    ui.timer(max(left, 0), on_end, once=True)  # beside the label: it goes with it when the entry is redrawn


async def confirm(title: str, text: str, *, yes: str, no: str, mark: str) -> bool:
    with ui.dialog() as dialog, ui.card().classes('p-6 gap-3 max-w-md').mark(mark):
        ui.label(title).classes('text-xl font-bold')
        ui.label(text).classes('break-words')
        with ui.row().classes('w-full justify-end'):
            ui.button(no, on_click=lambda: dialog.submit(False)).props('flat no-caps')
            ui.button(yes, on_click=lambda: dialog.submit(True)).props('unelevated no-caps color=negative').mark(
                'confirm-yes'
            )
    result = await dialog
    dialog.delete()
    return bool(result)


async def accept_offer(entry: EntryView, user_id: int, button: ui.button) -> bool:
    """Book the offered tickets and go to the new booking's tickets; False (with the reason shown) if refused."""
    button.props('loading')
    try:
        made = await call(waitlist.accept, entry_id=entry.id, user_id=user_id)
    except DomainError as error:
        button.props(remove='loading')
        notify_error(error)
        return False
    ui.navigate.to(f'/bookings/{made.id}')
    return True


async def leave_list(entry: EntryView, user_id: int) -> bool:
    """Leave the waiting list (declining an open offer), after asking; True once it is done."""
    offered = entry.offer_open()
    if offered:
        asked = await confirm(
            'Decline this offer?',
            f'The {tickets_text(entry.tickets)} set aside for you for {entry.show_name} go to the next person in '
            'line, and you leave the waiting list.',
            yes='Decline',
            no='Keep the offer',
            mark='decline-dialog',
        )
    else:
        asked = await confirm(
            'Leave the waiting list?',
            f'You lose your place in line for {entry.show_name}. You can join again, at the back of the line.',
            yes='Leave',
            no='Stay in line',
            mark='leave-dialog',
        )
    if not asked:
        return False
    try:
        await call(waitlist.leave, entry_id=entry.id, user_id=user_id)
    except DomainError as error:
        notify_error(error)
        return True  # it had ended meanwhile: the caller redraws it as it is
    ui.notify('Offer declined.' if offered else 'You have left the waiting list.', type='info')
    return True
