"""The dashboard's forms: a dialog that keeps errors beside its fields, and the theatre and show fields."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from services.config import get_settings
from services.errors import DomainError
from services.formats import local, money, theatre_tz, zone_names
from services.seating.show_config import prices_text
from services.show_details import AGE_RATING_LABELS, DESCRIPTION_LENGTH, LANGUAGE_LENGTH
from services.shows import ShowView
from services.theatres import ADDRESS_LENGTH, TheatreView
from ui.common import show_errors

Fields = dict[str, Any]
NOT_GIVEN = ''  # a select's "nothing chosen": the services read a blank choice as none


async def form_dialog(
    title: str, build: Callable[[], Fields], save: Callable[[dict[str, Any]], Awaitable[Any]], *, mark: str
) -> bool:
    """A dialog with a form; errors stay beside the fields until the save succeeds."""
    with ui.dialog().props('persistent') as dialog, ui.card().classes('w-full max-w-lg p-6 gap-2').mark(mark):
        ui.label(title).classes('text-xl font-bold break-words')
        fields = build()
        for element in fields.values():
            element.classes('w-full')

        async def submit() -> None:
            values = {name: element.value for name, element in fields.items()}
            save_button.props('loading')
            try:
                await save(values)
            except DomainError as error:
                show_errors(error, fields)
                return
            finally:
                save_button.props(remove='loading')
            dialog.submit(True)

        with ui.row().classes('w-full justify-end mt-2'):
            ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat no-caps')
            save_button = ui.button('Save', on_click=submit).props('unelevated no-caps').mark('save')
    result = await dialog
    dialog.delete()
    return bool(result)


def zone_label(name: str | None) -> str:
    """A theatre's time zone as the dashboard says it: its IANA name, or the app's marked as the default."""
    return name or f'{get_settings().tz_name} (app default)'


def theatre_fields(current: TheatreView | None) -> Fields:
    zones = {NOT_GIVEN: f'App default ({get_settings().tz_name})', **{name: name for name in zone_names()}}
    chosen = current.timezone if current is not None and current.timezone else NOT_GIVEN
    zones.setdefault(chosen, chosen)  # a zone this machine's database has since dropped is still shown as set
    return {
        'name': ui.input('Theatre name', value=current.name if current else '').props('outlined'),
        'place': ui.input('Place (city or area)', value=current.place if current else '').props('outlined'),
        'capacity': ui.input('Capacity (seats)', value=str(current.capacity) if current else '').props(
            'outlined inputmode=numeric'
        ),
        'address': ui.textarea('Address', value=(current.address or '') if current else '')
        .props(f'outlined autogrow counter maxlength={ADDRESS_LENGTH} hint="Street, area, city and PIN code"')
        .mark('theatre-address'),
        'timezone': ui.select(zones, value=chosen, label='Time zone', with_input=True)
        .props('outlined hint="Type to search, e.g. Kolkata or London. Show times are in this zone."')
        .mark('theatre-timezone'),
    }


def start_text(show: ShowView) -> tuple[str, str]:
    """The show's date and time at its theatre, as the form's inputs hold them."""
    start = local(show.starts_at, theatre_tz(show.theatre_timezone))
    return start.strftime('%Y-%m-%d'), start.strftime('%H:%M')


def show_fields(current: ShowView | None, theatre: TheatreView) -> Fields:
    day, clock = start_text(current) if current else ('', '19:30')
    fields: Fields = {
        'name': ui.input('Show name', value=current.name if current else '').props('outlined'),
        'description': ui.textarea('Description', value=(current.description or '') if current else '')
        .props(f'outlined autogrow counter maxlength={DESCRIPTION_LENGTH} hint="What the show is, in a few lines"')
        .mark('show-description'),
    }
    with ui.row().classes('w-full gap-2 sm:flex-nowrap'):
        minutes = current.duration_minutes if current else None
        fields['duration_minutes'] = ui.input('Duration (minutes)', value=str(minutes) if minutes else '').props(
            'outlined inputmode=numeric'
        )
        fields['language'] = ui.input('Language', value=(current.language or '') if current else '').props(
            f'outlined maxlength={LANGUAGE_LENGTH}'
        )
        fields['age_rating'] = ui.select(
            {NOT_GIVEN: 'Not given', **AGE_RATING_LABELS},
            value=(current.age_rating or NOT_GIVEN) if current else NOT_GIVEN,
            label='Age rating',
        ).props('outlined')
    fields['rating'] = ui.input('Rating (0–5)', value=f'{current.rating:g}' if current else '').props(
        'outlined inputmode=decimal'
    )
    fields['tags'] = ui.input('Tags, separated by commas', value=', '.join(current.tags) if current else '').props(
        'outlined hint="e.g. drama, hindi"'
    )
    fields['ticket_price'] = ui.input(
        'Ticket price', value=money(current.price_cents)[1:].replace(',', '') if current else ''
    ).props('outlined inputmode=decimal')
    fields['starts_at'] = ui.input('Date', value=day).props('outlined type=date stack-label')
    fields['time'] = ui.input('Time', value=clock).props(
        f'outlined type=time stack-label hint="At the theatre: {zone_label(theatre.timezone)}"'
    )
    reserved = current.reserved if current is not None else theatre.has_seatmap
    if theatre.has_seatmap or reserved:
        fields['seating'] = ui.select(
            {'general': 'General admission: a number of tickets', 'reserved': 'Reserved seats from the seat map'},
            value='reserved' if reserved else 'general',
            label='Seating',
        ).props('outlined')
        fields['section_prices'] = (
            ui.input(
                'Section prices',
                value=prices_text(current.section_prices) if current else '',
                placeholder='e.g. Balcony: 299; Stalls: 450',
            )
            .props('outlined hint="Other sections cost the ticket price"')
            .bind_visibility_from(fields['seating'], 'value', value='reserved')
        )
    fields['num_tickets'] = ui.input(
        f'Number of tickets (at most {theatre.capacity:,})', value=str(current.num_tickets) if current else ''
    ).props('outlined inputmode=numeric')
    if 'seating' in fields:
        fields['num_tickets'].bind_visibility_from(fields['seating'], 'value', value='general')
    return fields


def show_values(values: dict[str, Any], current: ShowView | None = None) -> dict[str, Any]:
    """The form's values as the show services take them (a date and time pair is read in the theatre's zone)."""
    values = dict(values)
    start = (values['starts_at'], values.pop('time'))
    # An untouched start goes back as it was, so a show that has begun can still be edited (services/shows.py).
    values['starts_at'] = current.starts_at if current is not None and start == start_text(current) else start
    if values.get('seating') == 'reserved':
        values['num_tickets'] = None  # the seat map's seats for sale
    return values
