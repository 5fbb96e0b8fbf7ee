"""A theatre's door staff, in a dialog on the dashboard: who may check tickets in there, added by username and
removed (after a confirmation) by the theatre's manager or an admin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from services import staff
from services.errors import DomainError
from services.formats import local
from services.sessions import Principal
from services.staff import StaffView
from services.theatres import TheatreView
from ui.common import call, cut_short, notify_error, show_errors


async def staff_dialog(theatre: TheatreView, who: Principal) -> None:
    """Open the door-staff dialog of `theatre`; it stays open for several changes, until it is closed."""
    with ui.dialog() as dialog, ui.card().classes('w-full max-w-lg p-6 gap-3').mark('staff-dialog'):
        with ui.row().classes('w-full items-start justify-between no-wrap gap-2'):
            with ui.column().classes('gap-0 min-w-0'):
                ui.label('Door staff').classes('text-xl font-bold')
                ui.label(theatre.name).classes('text-sm text-gray-600')
            ui.button(icon='close', on_click=dialog.close).props('flat round dense aria-label="Close"')
        ui.label(
            'They can check tickets in at this theatre from the Check-in page, and see nothing else of it.'
        ).classes('text-sm text-gray-700')

        @ui.refreshable
        async def members() -> None:
            try:
                people = await call(staff.list_staff, actor_id=who.user_id, theatre_id=theatre.id, read=True)
            except DomainError as error:
                notify_error(error)
                return
            if not people:
                with ui.column().classes('w-full items-center text-center gap-1 py-4 text-gray-500'):
                    ui.icon('badge', size='40px')
                    ui.label('No door staff yet: add someone by their username.').mark('no-staff')
                return
            with ui.column().classes('w-full gap-0').mark('staff-list'):
                for person in people:
                    _member_row(person, remove)

        async def add() -> None:
            add_button.props('loading')
            try:
                added = await call(
                    staff.add_staff, actor_id=who.user_id, theatre_id=theatre.id, username=username.value
                )
            except DomainError as error:
                show_errors(error, {'username': username})
                return
            finally:
                add_button.props(remove='loading')
            username.error = None
            username.value = ''
            ui.notify(f'{added.username} can now check tickets in at {theatre.name}.', type='positive')
            members.refresh()

        async def remove(person: StaffView) -> None:
            if not await _confirm_removal(person, theatre):
                return
            try:
                await call(staff.remove_staff, actor_id=who.user_id, theatre_id=theatre.id, user_id=person.user_id)
            except DomainError as error:
                notify_error(error)
            else:
                ui.notify(f'{person.username} is no longer on the door staff of {theatre.name}.', type='positive')
            members.refresh()

        await members()
        with ui.row().classes('w-full items-start gap-2 no-wrap mt-2'):
            username = (
                ui.input('Add by username')
                .props('outlined dense autocomplete=off autocapitalize=off spellcheck=false')
                .classes('grow')
                .without_auto_validation()
                .mark('staff-username')
            )
            add_button = ui.button('Add', icon='person_add', on_click=add).props('unelevated no-caps').mark('add-staff')
        username.on('keydown.enter', add)
        username.on_value_change(lambda: setattr(username, 'error', None))
    dialog.open()
    await dialog
    dialog.delete()


def _member_row(person: StaffView, on_remove: Callable[[StaffView], Awaitable[None]]) -> None:
    with (
        ui.row()
        .classes('w-full items-center justify-between gap-2 border-t py-2 no-wrap')
        .mark(f'staff-{person.user_id}')
    ):
        with ui.column().classes('gap-0 min-w-0'):
            cut_short(person.username, 'font-medium').mark('staff-username-label')
            ui.label(f'{person.name} · added {local(person.added_at):%d %b %Y}').classes('text-sm text-gray-600')
        button = ui.button(icon='person_remove', on_click=lambda: on_remove(person)).props(
            'flat round dense color=negative'
        )
        button.props['aria-label'] = f'Remove {person.username}'  # a value, never parsed
        button.mark('remove-staff').tooltip('Remove from the door staff')


async def _confirm_removal(person: StaffView, theatre: TheatreView) -> bool:
    with ui.dialog() as dialog, ui.card().classes('p-6 gap-3').mark('remove-staff-dialog'):
        ui.label(f'Remove {person.username}?').classes('text-xl font-bold')
        ui.label(f'{person.name} can no longer check tickets in at {theatre.name}.')
        with ui.row().classes('w-full justify-end'):
            ui.button('Keep', on_click=lambda: dialog.submit(False)).props('flat no-caps')
            ui.button('Remove', on_click=lambda: dialog.submit(True)).props('unelevated no-caps color=negative').mark(
                'confirm-remove'
            )
    result = await dialog
    dialog.delete()
    return bool(result)
