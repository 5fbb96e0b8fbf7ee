"""A show's waiting list for its manager, in a dialog on the dashboard: every entry in the order people joined,
with their place in line, username, tickets, state and the end of an open offer."""

from __future__ import annotations

from nicegui import ui

from models import WaitlistStatus
from services import waitlist
from services.errors import DomainError
from services.formats import theatre_tz, when
from services.sessions import Principal
from services.shows import ShowView
from services.waitlist import EntryView
from ui.common import call, cut_short, notify_error
from ui.waitlist_parts import status_colour, status_words, tickets_text


async def waitlist_dialog(show: ShowView, who: Principal) -> None:
    try:
        entries = await call(waitlist.show_entries, actor_id=who.user_id, show_id=show.id, read=True)
    except DomainError as error:
        notify_error(error)
        return
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-2xl p-4 sm:p-6 gap-3').mark('waitlist-dialog'):
        with ui.row().classes('w-full items-start justify-between no-wrap gap-2'):
            with ui.column().classes('gap-0 min-w-0'):
                ui.label('Waiting list').classes('text-xl font-bold')
                starts = when(show.starts_at, theatre_tz(show.theatre_timezone))
                ui.label(f'{show.name} · {starts}').classes('text-sm text-gray-600 break-words')
            ui.button(icon='close', on_click=dialog.close).props('flat round dense aria-label="Close"').mark(
                'close-waitlist'
            )
        if not entries:
            with ui.column().classes('w-full items-center text-center gap-1 py-6 text-gray-500').mark('no-waitlist'):
                ui.icon('hourglass_empty', size='40px')
                ui.label('No one is on the waiting list').classes('font-medium')
                ui.label('When the show is sold out, people can join it from the show page.').classes('text-sm')
        else:
            waiting = sum(1 for entry in entries if entry.live)
            ui.label(
                f'{waiting} of {len(entries)} still in line or holding an offer; freed tickets go to them in order.'
            ).classes('text-sm text-gray-700').mark('waitlist-summary')
            with ui.column().classes('w-full gap-0').mark('waitlist-entries'):
                for entry in entries:
                    _entry_row(entry)
    dialog.open()
    await dialog
    dialog.delete()


def _entry_row(entry: EntryView) -> None:
    with ui.row().classes('w-full items-center gap-3 border-t py-2 no-wrap').mark('waitlist-entry-row'):
        place = ui.label(str(entry.position) if entry.position else '—').classes(
            'w-8 shrink-0 text-center text-lg font-bold tabular-nums'
        )
        place.props['aria-label'] = f'Place in line {entry.position}' if entry.position else 'Not in line'
        place.mark('waitlist-position')
        with ui.column().classes('gap-0 min-w-0 grow'):
            cut_short(entry.username, 'font-medium').mark('waitlist-username')
            detail = f'{tickets_text(entry.tickets)} · joined {when(entry.joined_at, entry.tz)}'
            if entry.offer_open() and entry.offer_expires_at is not None:
                detail = f'{tickets_text(entry.tickets)} · offer ends {when(entry.offer_expires_at, entry.tz)}'
            ui.label(detail).classes('text-sm text-gray-600').mark('waitlist-detail')
            if entry.seats:
                ui.label(', '.join(entry.seats)).classes('text-sm text-gray-600 break-words')
        words = 'Waiting' if entry.status == WaitlistStatus.WAITING else status_words(entry)  # the place is beside it
        ui.badge(words, color=status_colour(entry)).classes('shrink-0').mark('waitlist-status')
