"""Calling a performance off, from the dashboard: a dialog that says whom it touches (bookings, people, tickets,
the waiting list), asks for the reason everyone is told, and cancels only on the red button."""

from __future__ import annotations

from nicegui import ui

from services import cancellation
from services.cancellation import REASON_LENGTH, Affected
from services.errors import DomainError
from services.formats import theatre_tz, when
from services.sessions import Principal
from services.shows import ShowView
from ui.common import call, notify_error, show_errors


def _count(number: int, one: str, many: str) -> str:
    return f'{number:,} {one if number == 1 else many}'


def affected_text(affected: Affected) -> str:
    """'3 bookings by 2 people (7 tickets) will be cancelled and everyone emailed; 4 people on the waiting list.'"""
    if affected.bookings:
        told = (
            f'{_count(affected.bookings, "booking", "bookings")} by {_count(affected.people, "person", "people")} '
            f'({_count(affected.tickets, "ticket", "tickets")}) will be cancelled and everyone emailed'
        )
    else:
        told = 'No one has booked it yet, so no booking is cancelled'
    waiting = _count(affected.waiting, 'person', 'people')
    return f'{told}; {waiting} on the waiting list.'


async def cancel_show_dialog(show: ShowView, who: Principal) -> bool:
    """True once the show is cancelled."""
    try:
        affected = await call(cancellation.affected, actor_id=who.user_id, show_id=show.id, read=True)
    except DomainError as error:
        notify_error(error)
        return False
    with (
        ui.dialog().props('persistent') as dialog,
        ui.card().classes('w-full max-w-lg p-4 sm:p-6 gap-3').mark('cancel-show-dialog'),
    ):
        ui.label(f'Cancel {show.name}?').classes('text-xl font-bold break-words')
        ui.label(when(show.starts_at, theatre_tz(show.theatre_timezone))).classes('text-sm text-gray-600')
        with ui.row().classes('w-full items-start gap-2 no-wrap'):
            ui.icon('warning', size='24px', color='negative').classes('shrink-0')
            ui.label(affected_text(affected)).classes('font-medium break-words min-w-0').mark('cancel-affected')
        ui.label('The performance leaves the listing and can no longer be booked. This cannot be undone.').classes(
            'text-sm text-gray-700'
        )
        reason = (
            ui.textarea('Reason', placeholder='e.g. The lead actor is ill; we are sorry.')
            .props(f'outlined counter maxlength={REASON_LENGTH} autogrow hint="Everyone who booked is told it."')
            .classes('w-full')
            .without_auto_validation()
            .mark('cancel-reason')
        )
        reason.on_value_change(lambda: setattr(reason, 'error', None))

        async def submit() -> None:
            confirm_button.props('loading')
            try:
                await call(cancellation.cancel_show, actor_id=who.user_id, show_id=show.id, reason=reason.value)
            except DomainError as error:
                show_errors(error, {'reason': reason})
                return
            finally:
                confirm_button.props(remove='loading')
            dialog.submit(True)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Keep it', on_click=lambda: dialog.submit(False)).props('flat no-caps').mark('keep-show')
            confirm_button = (
                ui.button('Cancel performance', icon='event_busy', on_click=submit)
                .props('unelevated no-caps color=negative')
                .mark('confirm-cancel-show')
            )
    result = await dialog
    dialog.delete()
    if result:
        who_told = 'everyone who booked is being emailed' if affected.bookings else 'no one had booked it'
        ui.notify(f'{show.name} is cancelled; {who_told}.', type='positive')
    return bool(result)
