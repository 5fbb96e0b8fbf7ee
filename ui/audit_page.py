"""The audit trail: who did what to which object and when, filtered by person, theatre, show, kind and days.

The service decides what each person may read (admins: everything; managers: their theatres and shows); this
page only reads the filters, shows each refusal beside its field, and draws the events as plain text.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui

from models import Role
from services import audit
from services.audit import AuditEntry, AuditPage
from services.errors import DomainError, Invalid
from services.formats import local
from services.sessions import Principal
from ui.common import call, notify_error, show_errors
from ui.components import responsive_table
from ui.guard import page_for
from ui.layout import empty_state, frame

HALF = 'w-[calc(50%-0.375rem)] sm:w-auto sm:min-w-[10rem]'  # two filters a row on a phone
COLUMNS = [
    {'name': name, 'label': label, 'field': name, 'align': 'left'}
    for name, label in [
        ('at', 'When'),
        ('who', 'Who'),
        ('what', 'What'),
        ('subject', 'Object'),
        ('details', 'Changes'),
    ]
]


def _row(entry: AuditEntry) -> dict[str, Any]:
    """Plain strings only: the table renders each cell as text, never as HTML."""
    return {
        'id': entry.id,
        'at': local(entry.at).strftime('%a %d %b %Y, %H:%M:%S'),
        'who': entry.who,
        'what': entry.what,
        'subject': entry.subject,
        'details': entry.details,
    }


def _text(label: str, mark: str, props: str) -> ui.input:
    return ui.input(label).props(f'outlined dense {props}').classes(HALF).mark(mark)


def _choice(options: dict[Any, str], label: str, mark: str) -> ui.select:
    return ui.select(options, value=None, label=label).props('outlined dense').classes(HALF).mark(mark)


@page_for(
    Role.MANAGER,
    Role.ADMIN,
    title='Audit trail',
    refusal='The audit trail is for theatre managers and admins.',
)
async def audit_page(who: Principal) -> None:
    with frame('Audit trail', who):
        ui.label('Audit trail').classes('text-3xl font-bold')
        ui.label(
            'Every booking, cancellation, change to a theatre or show, account action and export of personal data.'
            if who.role == Role.ADMIN
            else 'Bookings, cancellations, changes and exports concerning your theatres and shows, and your own.'
        ).classes('text-sm text-gray-600')
        theatre_options = await call(audit.theatre_choices, actor_id=who.user_id, read=True)
        with ui.card().classes('w-full p-3'), ui.row().classes('w-full items-start gap-3').mark('audit-filters'):
            fields: dict[str, Any] = {
                'person': _text('Person (username)', 'audit-person', 'clearable debounce=400'),
                'theatre_id': _choice({None: 'Any theatre', **dict(theatre_options)}, 'Theatre', 'audit-theatre'),
                'show_id': _choice({None: 'Any show'}, 'Show', 'audit-show'),
                'action': _choice({None: 'Any kind', **audit.ACTION_LABELS}, 'Kind', 'audit-kind'),
                'date_from': _text('From', 'audit-from', 'type=date stack-label'),
                'date_to': _text('To', 'audit-to', 'type=date stack-label'),
            }
            ui.button('Clear', icon='filter_alt_off', on_click=lambda: ui.navigate.to('/audit')).props('flat no-caps')
        fields['show_id'].set_enabled(False)  # a show is picked within a theatre
        status = ui.label().classes('text-sm text-gray-600').mark('audit-count')
        state = {'page': 1, 'latest': 0}

        def filters() -> dict[str, Any]:
            return {name: element.value for name, element in fields.items()}

        @ui.refreshable
        async def listing() -> None:
            # Quick filter changes overlap: only the newest read draws, or an older one would draw over it.
            state['latest'] += 1
            this_read = state['latest']
            try:
                page = await call(audit.trail, read=True, actor_id=who.user_id, page=state['page'], **filters())
            except Invalid as error:
                if this_read == state['latest']:
                    show_errors(error, fields)
                    status.text = ''
                    empty_state('filter_alt', 'Check the filters', 'Correct the filter marked in red to see events.')
                return
            if this_read != state['latest']:
                return
            for element in fields.values():
                element.error = None
            _draw(page, filtered=any(value not in (None, '') for value in filters().values()))

        def _draw(page: AuditPage, *, filtered: bool) -> None:
            status.text = f'{page.total:,} event{"s" if page.total != 1 else ""}' + (
                f' · page {page.page} of {page.pages}' if page.pages > 1 else ''
            )
            if not page.items:
                if filtered:
                    empty_state('search_off', 'No events match these filters', 'Clear a filter or widen the dates.')
                else:
                    empty_state(
                        'history',
                        'Nothing recorded yet',
                        'Bookings, cancellations and changes to theatres and shows appear here as they happen.',
                    )
                return
            responsive_table([_row(entry) for entry in page.items], COLUMNS, marker='audit-table')
            if page.pages > 1:
                with ui.row().classes('w-full justify-center'):
                    ui.pagination(
                        1, page.pages, direction_links=True, value=page.page, on_change=lambda e: go_to(e.value)
                    ).mark('audit-pages')

        async def go_to(number: int) -> None:
            if number != state['page']:
                state['page'] = number
                listing.refresh()

        async def on_filter_change() -> None:
            state['page'] = 1
            listing.refresh()

        async def on_theatre_change() -> None:
            show_select = fields['show_id']
            theatre_id = fields['theatre_id'].value
            options: dict[Any, str] = {None: 'Any show'}
            if theatre_id is not None:
                try:
                    options.update(
                        await call(audit.show_choices, actor_id=who.user_id, theatre_id=theatre_id, read=True)
                    )
                except DomainError as error:
                    notify_error(error)
            show_select.set_options(options, value=None)
            show_select.set_enabled(theatre_id is not None)
            await on_filter_change()

        for name, element in fields.items():
            element.on_value_change(on_theatre_change if name == 'theatre_id' else on_filter_change)
        await listing()
    return None
