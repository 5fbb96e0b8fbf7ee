"""The manager's dashboard: their theatres, each with its shows; add, edit and delete in dialogs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from models import ExportKind, Role
from services import shows, theatres, waitlist
from services.errors import DomainError
from services.formats import duration, money, theatre_tz, when
from services.sessions import Principal
from services.show_details import age_rating_label
from services.shows import ShowView
from services.theatres import DashboardEntry, TheatreView
from services.words import plural
from ui.cancel_show_dialog import cancel_show_dialog
from ui.common import call, notify_error
from ui.components import ratings
from ui.confirm import confirm
from ui.exports_page import export_buttons
from ui.guard import page_for
from ui.layout import empty_state, frame
from ui.manage_forms import form_dialog, show_fields, show_values, theatre_fields, zone_label
from ui.poster_dialog import poster_dialog
from ui.show_seats_dialog import show_seats_dialog
from ui.staff_dialog import staff_dialog
from ui.waitlist_dialog import waitlist_dialog


@page_for(
    Role.MANAGER,
    Role.ADMIN,
    title='Dashboard',
    refusal='The dashboard is for theatre managers. Sign up as a manager to run a theatre.',
)
async def manage_page(who: Principal) -> None:
    with frame('Dashboard', who):
        with ui.row().classes('w-full items-center justify-between'):
            ui.label('All theatres' if who.role == Role.ADMIN else 'My theatres').classes('text-3xl font-bold')
            ui.button('Add theatre', icon='add', on_click=lambda: add_theatre()).props('unelevated no-caps').mark(
                'add-theatre'
            )

        @ui.refreshable
        async def board() -> None:
            entries = await call(theatres.dashboard, actor_id=who.user_id, read=True)
            if not entries:
                empty_state('theaters', 'No theatres yet', 'Add your first theatre, then add shows to it.')
                return
            upcoming = [show.id for entry in entries for show in entry.shows if _open(show)]
            waiting = await call(waitlist.live_counts, actor_id=who.user_id, show_ids=upcoming, read=True)
            for entry in entries:
                _theatre_card(entry, who, admin=who.role == Role.ADMIN, actions=actions, waiting=waiting)

        async def add_theatre() -> None:
            if await form_dialog(
                'Add a theatre',
                lambda: theatre_fields(None),
                lambda v: call(theatres.create_theatre, actor_id=who.user_id, **v),
                mark='theatre-dialog',
            ):
                ui.notify('Theatre added.', type='positive')
                board.refresh()

        async def edit_theatre(theatre: TheatreView) -> None:
            if await form_dialog(
                f'Edit {theatre.name}',
                lambda: theatre_fields(theatre),
                lambda v: call(theatres.update_theatre, actor_id=who.user_id, theatre_id=theatre.id, **v),
                mark='theatre-dialog',
            ):
                ui.notify('Theatre saved.', type='positive')
                board.refresh()

        async def delete_theatre(theatre: TheatreView) -> None:
            if not await confirm(
                f'Delete {theatre.name}?',
                'Its shows are deleted with it. A theatre whose shows have confirmed bookings cannot be deleted.',
            ):
                return
            try:
                await call(theatres.delete_theatre, actor_id=who.user_id, theatre_id=theatre.id)
            except DomainError as error:
                notify_error(error)
                return
            ui.notify('Theatre deleted.', type='positive')
            board.refresh()

        async def add_show(theatre: TheatreView) -> None:
            if await form_dialog(
                f'Add a show at {theatre.name}',
                lambda: show_fields(None, theatre),
                lambda v: call(shows.create_show, actor_id=who.user_id, theatre_id=theatre.id, **show_values(v)),
                mark='show-dialog',
            ):
                ui.notify('Show added.', type='positive')
                board.refresh()

        async def edit_show(show: ShowView, theatre: TheatreView) -> None:
            if await form_dialog(
                f'Edit {show.name}',
                lambda: show_fields(show, theatre),
                lambda v: call(shows.update_show, actor_id=who.user_id, show_id=show.id, **show_values(v, show)),
                mark='show-dialog',
            ):
                ui.notify('Show saved.', type='positive')
                board.refresh()

        async def delete_show(show: ShowView) -> None:
            if not await confirm(f'Delete {show.name}?', 'A show with confirmed bookings cannot be deleted.'):
                return
            try:
                await call(shows.delete_show, actor_id=who.user_id, show_id=show.id)
            except DomainError as error:
                notify_error(error)
                return
            ui.notify('Show deleted.', type='positive')
            board.refresh()

        async def cancel_show(show: ShowView) -> None:
            if await cancel_show_dialog(show, who):
                board.refresh()

        actions: dict[str, Callable[..., Any]] = {
            'waitlist': lambda show: waitlist_dialog(show, who),
            'cancel_show': cancel_show,
            'door_staff': lambda theatre: staff_dialog(theatre, who),
            'edit_theatre': edit_theatre,
            'delete_theatre': delete_theatre,
            'add_show': add_show,
            'edit_show': edit_show,
            'delete_show': delete_show,
        }
        await board()
    return None


def _open(show: ShowView) -> bool:
    """Still to come and not called off: the show's waiting list is live and it can be cancelled."""
    return not show.cancelled and not show.has_started()


def _theatre_card(
    entry: DashboardEntry,
    who: Principal,
    *,
    admin: bool,
    actions: dict[str, Callable[..., Any]],
    waiting: dict[int, int],
) -> None:
    theatre = entry.theatre
    tz = theatre_tz(theatre.timezone)
    with ui.card().classes('w-full p-4 gap-3').mark(f'theatre-{theatre.id}'):
        with ui.row().classes('w-full items-center justify-between gap-2'):
            with ui.column().classes('gap-0 min-w-0'):
                ui.label(theatre.name).classes('text-xl font-bold break-words').mark('theatre-name')
                detail = f'{theatre.place} · {theatre.capacity:,} seats · {plural(len(entry.shows), "show")}'
                ui.label(detail + (f' · owner {theatre.owner_name}' if admin else '')).classes('text-sm text-gray-600')
                if theatre.address:
                    ui.label(theatre.address).classes('text-sm text-gray-600 whitespace-pre-line break-words').mark(
                        'theatre-address'
                    )
                ui.label(f'Times in {zone_label(theatre.timezone)}').classes('text-sm text-gray-600').mark(
                    'theatre-zone'
                )
            with ui.row().classes('gap-1 items-center'):
                export_buttons(who, ExportKind.THEATRE, theatre.id)
                ui.button(
                    'Seat map', icon='event_seat', on_click=lambda: ui.navigate.to(f'/theatres/{theatre.id}/seatmap')
                ).props('outline no-caps dense').mark('seat-map-button')
                ui.button('Door staff', icon='badge', on_click=lambda: actions['door_staff'](theatre)).props(
                    'outline no-caps dense'
                ).mark('door-staff')
                ui.button('Add show', icon='add', on_click=lambda: actions['add_show'](theatre)).props(
                    'unelevated no-caps dense'
                ).mark('add-show')
                ui.button(icon='edit', on_click=lambda: actions['edit_theatre'](theatre)).props(
                    'flat round aria-label="Edit theatre"'
                ).mark('edit-theatre').tooltip('Edit theatre')
                ui.button(icon='delete', on_click=lambda: actions['delete_theatre'](theatre)).props(
                    'flat round color=negative aria-label="Delete theatre"'
                ).mark('delete-theatre').tooltip('Delete theatre')
        if not entry.shows:
            ui.label('No shows yet: add one to start selling tickets.').classes('text-gray-500 text-sm')
            return
        with ui.column().classes('w-full gap-0'):
            for show in entry.shows:
                with (
                    ui.row()
                    .classes('w-full items-center justify-between border-t py-2 gap-2')
                    .mark(f'manage-show-{show.id}')
                ):
                    with ui.column().classes('gap-0 min-w-0'):
                        with ui.row().classes('items-center gap-2'):
                            ui.label(show.name).classes('font-medium break-words min-w-0').mark('manage-show-name')
                            if show.cancelled:
                                ui.badge('Cancelled', color='negative').mark('manage-show-cancelled')
                        ui.label(
                            f'{when(show.starts_at, tz)} · {money(show.price_cents)} · '
                            f'{show.tickets_sold:,}/{show.num_tickets:,} sold'
                            + (f' · {", ".join(show.tags)}' if show.tags else '')
                        ).classes('text-sm text-gray-600 break-words').mark('manage-show-when')
                        if about := _about(show):
                            ui.label(about).classes('text-sm text-gray-600 break-words').mark('manage-show-about')
                        ratings(show)
                        if show.cancelled and show.cancel_reason:
                            ui.label(f'Reason: {show.cancel_reason}').classes('text-sm text-gray-600 break-words').mark(
                                'manage-show-reason'
                            )
                        if show.tickets_sold:
                            ui.label(
                                f'Checked in {entry.checked_in_for(show.id):,} of {show.tickets_sold:,} sold'
                            ).classes('text-sm text-gray-600').mark('manage-show-checked-in')
                    with ui.row().classes('gap-1 items-center'):
                        export_buttons(who, ExportKind.SHOW, show.id, label='')
                        _waitlist_button(show, waiting.get(show.id, 0), actions)
                        if show.reserved and not show.cancelled:
                            ui.button(icon='event_seat', on_click=lambda s=show: show_seats_dialog(s, who)).props(
                                'flat round dense aria-label="Seats"'
                            ).mark('show-seats').tooltip('Seats: sold, held, free; house seats')
                        if show.cancelled:
                            continue  # kept as it is for its bookers: nothing more to change
                        ui.button(icon='edit', on_click=lambda s=show: actions['edit_show'](s, theatre)).props(
                            'flat round dense aria-label="Edit show"'
                        ).mark('edit-show')
                        ui.button(icon='image', on_click=lambda s=show: poster_dialog(s, who)).props(
                            'flat round dense aria-label="Poster"'
                        ).mark('show-poster').tooltip('Poster')
                        if _open(show):
                            ui.button(icon='event_busy', on_click=lambda s=show: actions['cancel_show'](s)).props(
                                'flat round dense color=negative aria-label="Cancel performance"'
                            ).mark('cancel-show').tooltip('Cancel performance')
                        ui.button(icon='delete', on_click=lambda s=show: actions['delete_show'](s)).props(
                            'flat round dense color=negative aria-label="Delete show"'
                        ).mark('delete-show')


def _about(show: ShowView) -> str:
    """'2 h 30 min · Hindi · 12+': what the show's details say, those it has."""
    parts = [
        duration(show.duration_minutes) if show.duration_minutes else None,
        show.language,
        age_rating_label(show.age_rating),
    ]
    return ' · '.join(part for part in parts if part)


def _waitlist_button(show: ShowView, waiting: int, actions: dict[str, Callable[..., Any]]) -> None:
    """The show's waiting list, with a badge saying how many are in it now."""
    label = 'Waiting list' + (f': {waiting} waiting' if waiting else '')
    button = ui.button(icon='hourglass_top', on_click=lambda: actions['waitlist'](show)).props('flat round dense')
    button.props['aria-label'] = label
    button.mark('show-waitlist').tooltip(label)
    if waiting:
        with button:
            ui.badge(str(waiting), color='accent').props('floating rounded').mark('waitlist-count')
