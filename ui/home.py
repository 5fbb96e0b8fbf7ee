"""The public listing: search and filter upcoming shows, a page of cards at a time."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from nicegui import ui

from services import search
from services.config import get_settings
from services.errors import DomainError
from ui.common import call, principal, show_errors
from ui.components import show_card
from ui.layout import empty_state, frame

HALF = 'w-[calc(50%-0.375rem)] sm:w-auto sm:min-w-[9rem]'  # two filters a row on a phone
RATINGS = {0: 'Any rating', 3: '3+ stars', 4: '4+ stars', 4.5: '4.5+ stars'}


@dataclass
class Filters:
    q: str = ''
    place: str | None = None
    tag: str | None = None
    min_rating: float = 0
    date_from: str = ''
    date_to: str = ''
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)

    def window(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The date range as local midnights: 'to' includes its whole day."""
        tz = get_settings().tz
        start = end = None
        self.errors.clear()
        try:
            if self.date_from:
                start = dt.datetime.combine(dt.date.fromisoformat(self.date_from), dt.time(), tzinfo=tz)
        except ValueError:
            self.errors['date_from'] = 'Enter a date like 2026-12-24.'
        try:
            if self.date_to:
                end = dt.datetime.combine(
                    dt.date.fromisoformat(self.date_to) + dt.timedelta(days=1), dt.time(), tzinfo=tz
                )
        except ValueError:
            self.errors['date_to'] = 'Enter a date like 2026-12-24.'
        return start, end


async def home_page(q: str = '', place: str = '', tag: str = '') -> None:
    who = await principal()
    page_size = get_settings().page_size
    filters = Filters(q=q[:100], place=place or None, tag=tag or None)
    place_options, tag_options = await call(lambda s: (search.places(s), search.tags(s)), read=True)

    with frame('Upcoming shows', who):
        ui.label('Upcoming shows').classes('text-3xl font-bold')
        with ui.card().classes('w-full p-3'):
            with ui.row().classes('w-full items-start gap-3'):
                query = (
                    ui.input('Search shows or theatres')
                    .props('outlined dense clearable debounce=350')
                    .classes('w-full sm:w-auto grow sm:min-w-[14rem]')
                    .mark('search')
                )
                query.props('prepend-inner-icon=search')
                if filters.place not in place_options:
                    filters.place = None
                if filters.tag not in tag_options:
                    filters.tag = None
                place_select = (
                    ui.select({None: 'Any place', **{p: p for p in place_options}}, label='Place')
                    .props('outlined dense')
                    .classes(HALF)
                    .mark('place')
                    .bind_value(filters, 'place')
                )
                tag_select = (
                    ui.select({None: 'Any tag', **{t: t for t in tag_options}}, label='Tag')
                    .props('outlined dense')
                    .classes(HALF)
                    .mark('tag')
                    .bind_value(filters, 'tag')
                )
                rating_select = (
                    ui.select(RATINGS, label='Rating')
                    .props('outlined dense')
                    .classes(HALF)
                    .mark('min-rating')
                    .bind_value(filters, 'min_rating')
                )
                date_from = (
                    ui.input('From')
                    .props('outlined dense type=date stack-label')
                    .classes(HALF)
                    .mark('date-from')
                    .bind_value(filters, 'date_from')
                )
                date_to = (
                    ui.input('To')
                    .props('outlined dense type=date stack-label')
                    .classes(HALF)
                    .mark('date-to')
                    .bind_value(filters, 'date_to')
                )
                ui.button('Clear', icon='filter_alt_off', on_click=lambda: ui.navigate.to('/')).props('flat no-caps')
            query.bind_value(filters, 'q', forward=lambda v: v or '', backward=lambda v: v)
        status = ui.label().classes('text-sm text-gray-600').mark('result-count')
        latest = {'search': 0}

        @ui.refreshable
        async def results() -> None:
            # Quick filter changes overlap: only the newest search draws, or each older one adds its cards too.
            latest['search'] += 1
            this_search = latest['search']
            starts_after, starts_before = filters.window()
            date_fields = {'date_from': date_from, 'date_to': date_to}
            for name, element in date_fields.items():
                element.error = filters.errors.get(name)
            if filters.errors:
                return
            try:
                page = await call(
                    search.search_shows,
                    read=True,
                    q=filters.q,
                    place=filters.place,
                    tag=filters.tag,
                    min_rating=filters.min_rating or None,
                    starts_after=starts_after,
                    starts_before=starts_before,
                    limit=page_size,
                    offset=(filters.page - 1) * page_size,
                )
            except DomainError as error:
                if this_search == latest['search']:
                    show_errors(error, {'starts_before': date_to})
                return
            if this_search != latest['search']:
                return
            pages = max(1, math.ceil(page.total / page_size))
            status.text = f'{page.total} show{"s" if page.total != 1 else ""} found' + (
                f' · page {filters.page} of {pages}' if pages > 1 else ''
            )
            if not page.items:
                empty_state(
                    'event_busy',
                    'No shows match your search',
                    'Try another place or tag, widen the dates, or clear the filters.',
                )
                return
            with ui.grid().classes('w-full gap-4 grid-cols-1 sm:grid-cols-2 lg:grid-cols-3'):
                for show in page.items:
                    show_card(show)
            if pages > 1:
                with ui.row().classes('w-full justify-center'):
                    ui.pagination(
                        1, pages, direction_links=True, value=filters.page, on_change=lambda e: go_to_page(e.value)
                    ).mark('pagination')

        async def go_to_page(number: int) -> None:
            if number != filters.page:
                filters.page = number
                results.refresh()

        async def on_filter_change() -> None:
            filters.page = 1
            results.refresh()

        for element in (query, date_from, date_to, place_select, tag_select, rating_select):
            element.on_value_change(on_filter_change)
        await results()
