"""The top of a show's page: its poster beside what it is, where and when (above it on a phone), then what the
manager wrote about it and the production's other dates."""

from __future__ import annotations

from nicegui import ui

from services.formats import duration, local, money, theatre_tz, when
from services.productions import OtherDate
from services.show_details import age_rating_label
from services.shows import ShowView
from services.words import plural
from ui.components import WRAP_ANYWHERE, availability, poster_image, poster_placeholder, ratings

HERO_SIZES = '(min-width: 768px) 256px, (min-width: 640px) 224px, 176px'


def _fact(icon: str, text: str, *, mark: str) -> None:
    with ui.row().classes('items-start gap-2 no-wrap text-gray-700'):
        ui.icon(icon, size='20px').classes('mt-0.5')
        ui.label(text).classes('min-w-0 whitespace-pre-line').style(WRAP_ANYWHERE).mark(mark)


def hero(show: ShowView) -> None:
    tz = theatre_tz(show.theatre_timezone)
    with ui.card().classes('w-full p-4 sm:p-6').mark('show-hero'):
        with ui.element('div').classes('flex no-wrap flex-col md:flex-row items-center md:items-start gap-6 w-full'):
            with ui.element('div').classes(
                'relative shrink-0 w-44 sm:w-56 md:w-64 aspect-[2/3] overflow-hidden rounded-lg shadow-lg'
            ):
                if show.poster_key is None:
                    poster_placeholder(show.name, text='text-2xl sm:text-3xl')
                else:
                    poster_image(show, sizes=HERO_SIZES, classes='absolute inset-0 w-full h-full object-cover')
            with ui.column().classes('min-w-0 self-stretch grow gap-3'):
                ui.label(show.name).classes('w-full text-3xl font-bold leading-tight min-w-0').style(
                    WRAP_ANYWHERE
                ).mark('show-title')
                ratings(show, size='text-base')
                _fact('place', f'{show.theatre_name} · {show.place}', mark='show-theatre')
                if show.theatre_address:
                    _fact('map', show.theatre_address, mark='show-address')
                with ui.row().classes('items-center gap-2 no-wrap text-gray-700'):
                    ui.icon('event', size='20px')
                    ui.label(when(show.starts_at, tz)).classes(
                        'font-medium' + (' line-through' if show.cancelled else '')
                    ).mark('show-when')
                _facts_row(show)
                if show.tags:
                    with ui.row().classes('gap-1'):
                        for tag in show.tags:
                            ui.badge(tag, color='secondary').props('outline')
                _price(show)
                if show.cancelled:
                    ui.badge('Cancelled', color='negative').classes('text-sm px-2 py-1').mark('show-cancelled')
                else:
                    with ui.element('div').classes('w-full max-w-sm'):
                        availability(show)


def _facts_row(show: ShowView) -> None:
    """Duration, language and age rating, each only when the manager gave it."""
    age = age_rating_label(show.age_rating)
    if show.duration_minutes is None and not show.language and age is None:
        return
    with ui.row().classes('items-center gap-x-4 gap-y-2 text-gray-700'):
        if show.duration_minutes is not None:
            with ui.row().classes('items-center gap-1 no-wrap'):
                ui.icon('schedule', size='20px')
                ui.label(duration(show.duration_minutes)).mark('show-duration')
        if show.language:
            with ui.row().classes('items-center gap-1 no-wrap min-w-0'):
                ui.icon('translate', size='20px')
                ui.label(show.language).classes('min-w-0').style(WRAP_ANYWHERE).mark('show-language')
        if age is not None:
            badge = ui.badge(age, color='grey-9').classes('text-sm px-2 py-1').mark('show-age')
            badge.props['aria-label'] = f'Age rating: {age}'
            badge.tooltip('Age rating')


def _price(show: ShowView) -> None:
    if show.reserved and show.section_prices:
        low = min([show.price_cents, *show.section_prices.values()])
        ui.label(f'From {money(low)} per seat').classes('text-xl font-bold')
    else:
        ui.label(f'{money(show.price_cents)} per ticket').classes('text-xl font-bold')


def about(show: ShowView, dates: list[OtherDate]) -> bool:
    """The description and the other dates, in a column; False (and nothing drawn) when there are neither."""
    if not show.description and not dates:
        return False
    with ui.column().classes('grow basis-80 min-w-0 gap-4'):
        if show.description:
            with ui.card().classes('w-full p-4 sm:p-6 gap-2'):
                ui.label('About the show').classes('text-xl font-bold')
                ui.label(show.description).classes('whitespace-pre-line text-gray-700').style(WRAP_ANYWHERE).mark(
                    'show-description'
                )
        if dates:
            other_dates(show, dates)
    return True


def other_dates(show: ShowView, dates: list[OtherDate]) -> None:
    """The production's other upcoming performances as links, each with its day, time and tickets left."""
    tz = theatre_tz(show.theatre_timezone)
    with ui.card().classes('w-full p-4 sm:p-6 gap-3').mark('other-dates'):
        ui.label('Other dates').classes('text-xl font-bold')
        with ui.row().classes('gap-2'):
            for date in dates:
                moment = local(date.starts_at, tz)
                left = 'Housefull' if date.housefull else f'{plural(date.tickets_left, "ticket")} left'
                with (
                    ui.link(target=f'/shows/{date.show_id}')
                    .classes('flex flex-col gap-0 px-3 py-2 rounded-lg border no-underline hover:bg-black/5')
                    .mark('other-date')
                ):
                    ui.label(moment.strftime('%a %d %b, %H:%M')).classes('text-sm font-bold')
                    ui.label(left).classes(
                        'text-xs ' + ('text-negative font-medium' if date.housefull else 'text-gray-600')
                    )
