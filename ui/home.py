"""The public listing: search, filter and sort upcoming shows, a page of cards at a time.

Everything a person chooses lives in the address (ui/listing_url.py). A change pushes a history entry; further
edits of the same text field replace it, so Back skips keystrokes. Back and Forward redraw that state without a
reload, and a reload or a shared link opens it. The controls are ui/listing_controls.py.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request
from nicegui import ui
from nicegui.events import GenericEventArguments

from services import search
from services.config import get_settings
from services.errors import DomainError
from ui.account_details import account_deleted_notice
from ui.common import call, principal, show_errors
from ui.components import show_card
from ui.layout import empty_state, frame
from ui.listing_controls import LISTING_CSS, ListingControls
from ui.listing_url import PARAM_NAMES, ListingState, quick_ranges

TYPED = {'q', 'date_from', 'date_to'}  # typed into: further edits replace the field's own history entry
ADDRESS_EVENT = 'listing_address'
# Back and Forward between the listing's own entries stay on this page: tell the server which address is shown.
_FOLLOW_HISTORY = (
    f'<script>window.addEventListener("popstate", () => emitEvent("{ADDRESS_EVENT}", window.location.search));</script>'
)


async def home_page(request: Request) -> None:
    ui.add_body_html(_FOLLOW_HISTORY)
    ui.add_css(LISTING_CSS)
    state, ignored = ListingState.from_query(request.query_params)
    who = await principal()
    places, tags = await call(lambda s: (search.places(s), search.tags(s)), read=True)
    with frame('Upcoming shows', who):
        ui.label('Upcoming shows').classes('text-2xl sm:text-3xl font-bold')
        deleted = request.query_params.get('account_deleted') == '1' and who is None
        if deleted:
            account_deleted_notice()
        listing = Listing(state, places=places, tags=tags)
        ui.on(ADDRESS_EVENT, listing.follow_address)
        listing.say_left_out(ignored)
        if ignored or deleted:  # a reload does not repeat the notice
            ui.navigate.history.replace(listing.address)
        await listing.show_results()


class Listing:
    """One visitor's listing: its controls, its results, and the address kept in step with both."""

    def __init__(self, state: ListingState, *, places: list[str], tags: list[str]) -> None:
        self.state = state
        self.page_size = get_settings().page_size
        self.typing: str | None = None  # the text field whose next edit replaces its own history entry
        self.searches = 0  # the newest search draws; an older one that ends later is dropped
        self.controls = ListingControls(
            places=places,
            tags=tags,
            on_change=lambda name, value: self.change(source=name, **{name: value}),
            on_pick=self.pick,
            on_clear=self.clear,
            on_search_done=self.end_typing,
        )
        with ui.row().classes('w-full items-center justify-between gap-2'):
            self.status = ui.label().classes('text-sm text-gray-600').mark('result-count')
            self.controls.add_sort()
        self.note = ui.label().classes('text-sm text-gray-600').mark('url-note')
        self.results = ui.column().classes('w-full gap-4')
        self.address = state.url()  # what the browser's address bar shows
        self.controls.show(state)
        self.controls.listen()

    def publish(self, *, replace: bool = False) -> None:
        """Put the state in the address bar: a new history entry, or (`replace`) instead of the current one."""
        address = self.state.url()
        if address != self.address:
            (ui.navigate.history.replace if replace else ui.navigate.history.push)(address)
            self.address = address

    def say_left_out(self, ignored: list[str]) -> None:
        names = ', '.join(PARAM_NAMES[name] for name in ignored)
        self.note.text = f'Left out of this link, as it could not be read: {names}.' if ignored else ''
        self.note.set_visibility(bool(ignored))

    # --- changes ---------------------------------------------------------------------------------------------

    async def change(self, *, source: str | None = None, **values: Any) -> None:
        """A person changed something (with the `source` control, if one): the state, the address, the other
        controls, the results."""
        if self._apply(source, values):
            await self.show_results()

    def _apply(self, source: str | None, values: dict[str, Any]) -> bool:
        if all(getattr(self.state, name) == value for name, value in values.items()):
            return False
        for name, value in values.items():
            setattr(self.state, name, value)
        if 'page' not in values:
            self.state.page = 1
        typing = source if source in TYPED else None
        self.publish(replace=typing is not None and typing == self.typing)
        self.typing = typing
        self.say_left_out([])
        self.controls.show(self.state, skip=[source] if source else [])
        return True

    async def end_typing(self, event: GenericEventArguments) -> None:
        """Enter in (or leaving) the search box ends a search: what it holds counts now, without waiting for the
        debounce, and the next edit makes a history entry of its own."""
        text = event.args.strip()[:100] if isinstance(event.args, str) else self.state.q
        changed = self._apply('q', {'q': text})
        self.typing = None
        if changed:
            await self.show_results()

    async def pick(self, label: str) -> None:
        """A quick choice sets both dates; picking the one already chosen clears them."""
        dates = quick_ranges(dt.datetime.now(get_settings().tz).date())[label]
        chosen = (self.state.date_from, self.state.date_to) == dates
        await self.change(date_from='' if chosen else dates[0], date_to='' if chosen else dates[1])

    async def go_to_page(self, number: int) -> None:
        await self.change(page=number)
        with self.results:  # the clicked pagination is gone with the old page
            ui.run_javascript('window.scrollTo({top: 0, behavior: "smooth"})')

    async def clear(self) -> None:
        self.controls.set_sheet(False)
        await self.follow(ListingState(), push=True)

    async def follow_address(self, event: GenericEventArguments) -> None:
        """Back or Forward to another of the listing's addresses: show that state (and tidy what cannot be read)."""
        query = event.args if isinstance(event.args, str) else ''
        state, ignored = ListingState.from_query(dict(parse_qsl(query.removeprefix('?'), keep_blank_values=True)))
        # The browser shows that address already; one that could not be read is replaced by the tidy one.
        self.address = '' if ignored else state.url()
        self.controls.set_sheet(False)  # Back on a phone with the filters up: they fold as well
        await self.follow(state, push=False)
        self.say_left_out(ignored)

    async def follow(self, state: ListingState, *, push: bool) -> None:
        self.state = state
        self.typing = None
        self.publish(replace=not push)
        self.say_left_out([])
        self.controls.show(self.state)
        await self.show_results()

    # --- results ---------------------------------------------------------------------------------------------

    async def show_results(self) -> None:
        self.searches += 1
        this_search, state = self.searches, self.state
        starts_after, starts_before, errors = state.window(get_settings().tz)
        if errors:
            for name, element in {'date_from': self.controls.date_from, 'date_to': self.controls.date_to}.items():
                element.error = errors.get(name)
            self.show_nothing()
            return
        query = {
            'q': state.q,
            'place': state.place,
            'tag': state.tag,
            'min_rating': state.min_rating or None,
            'starts_after': starts_after,
            'starts_before': starts_before,
            'sort': state.sort,
            'limit': self.page_size,
        }
        try:
            page = await call(search.search_shows, read=True, **query, offset=(state.page - 1) * self.page_size)
            pages = max(1, math.ceil(page.total / self.page_size))
            if state.page > pages and this_search == self.searches:  # an old link past the end: the last page
                state.page = pages
                self.publish(replace=True)
                page = await call(search.search_shows, read=True, **query, offset=(pages - 1) * self.page_size)
        except DomainError as error:
            if this_search == self.searches:
                show_errors(error, self.controls.error_fields)
                self.show_nothing()
            return
        if this_search != self.searches:
            return
        for element in self.controls.error_fields.values():
            element.error = None
        self.status.text = f'{page.total} show{"" if page.total == 1 else "s"} found' + (
            f' · page {state.page} of {pages}' if pages > 1 else ''
        )
        self.results.clear()
        with self.results:
            if not page.items:
                empty_state(
                    'event_busy',
                    'No shows match your search',
                    'Try another place or tag, widen the dates, or clear the filters.',
                )
                if state != ListingState():
                    with ui.row().classes('w-full justify-center'):
                        ui.button('Clear the filters', icon='filter_alt_off', on_click=self.clear).props('no-caps')
                return
            with ui.grid().classes('w-full gap-4 grid-cols-1 sm:grid-cols-2 lg:grid-cols-3'):
                for show in page.items:
                    show_card(show)
            if pages > 1:
                with ui.row().classes('w-full justify-center'):
                    ui.pagination(
                        1,
                        pages,
                        direction_links=True,
                        value=state.page,
                        on_change=lambda e: self.go_to_page(e.value),
                    ).props('max-pages=5 boundary-numbers').mark('pagination')

    def show_nothing(self) -> None:
        """No count and no cards while the filters cannot be searched: nothing stale that looks like an answer."""
        self.status.text = ''
        self.results.clear()
