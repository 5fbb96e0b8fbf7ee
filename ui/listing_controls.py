"""The listing's controls: the filter bar (a sheet on a phone, behind a "Filters" button that counts what is set),
the quick date choices and the sort order. They are set by hand from a `ListingState`, not bound (no polling), and
setting them raises no change event: only a person's changes reach the page's handlers.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from nicegui import ui
from nicegui.events import GenericEventArguments, ValueChangeEventArguments

from services.config import get_settings
from services.search import SortOrder
from ui.listing_url import QUICK_CHOICES, ListingState, quick_ranges

RATINGS: dict[float, str] = {0: 'Any rating', 3: '3+ stars', 4: '4+ stars', 4.5: '4.5+ stars'}
SORTS = {
    SortOrder.DATE: 'Soonest first',
    SortOrder.PRICE: 'Lowest price',
    SortOrder.RATING: 'Highest rated',
    SortOrder.POPULARITY: 'Most popular',  # tickets sold
}
# Each state field's control (an attribute of ListingControls), and how the control's value reads into the state.
CONTROLS = {
    'q': 'search_box',
    'place': 'place_select',
    'tag': 'tag_select',
    'min_rating': 'rating_select',
    'date_from': 'date_from',
    'date_to': 'date_to',
    'sort': 'sort_select',
}
READERS: dict[str, Callable[[Any], Any]] = {
    'q': lambda value: (value or '').strip(),
    'place': lambda value: value,
    'tag': lambda value: value,
    'min_rating': lambda value: value or 0,
    'date_from': lambda value: value or '',
    'date_to': lambda value: value or '',
    'sort': lambda value: SortOrder(value or SortOrder.DATE),
}
QUICK_ICONS = {'Tonight': 'nightlife', 'This weekend': 'weekend', 'Next 7 days': 'date_range'}
# Plain CSS rather than utility classes: the fold must work whatever builds the page's other styles.
LISTING_CSS = """
.listing-search { flex: 1 1 12rem; min-width: 0; }
.listing-panel { display: contents; }
.listing-field { flex: 0 0 8.75rem; min-width: 0; }  /* the bar fits one line on a laptop */
.listing-sort { width: 10.5rem; }
.listing-phone-only, .listing-backdrop { display: none !important; }
@layer overrides { .body--dark .listing-quick.q-chip--outline { color: #c4b5fd !important; } }
.body--dark .listing-field input[type=date] { color-scheme: dark; }  /* a light calendar icon on the dark field */
@media (max-width: 639.98px) {
  .listing-search { flex-basis: 0; }
  .listing-filters-button { display: inline-flex !important; }
  .listing-panel { display: none; }
  .listing-open .listing-panel {
    display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: flex-start;
    position: fixed; left: 0; right: 0; bottom: 0; z-index: 5000; max-height: 85vh; overflow-y: auto;
    padding: 1rem 1rem calc(1rem + env(safe-area-inset-bottom)); border-radius: 1rem 1rem 0 0;
    background: #fff; box-shadow: 0 -8px 24px rgba(0, 0, 0, 0.3);
  }
  .body--dark .listing-open .listing-panel { background: var(--q-dark, #1d1d1d); }
  .listing-open .listing-backdrop {
    display: block !important; position: fixed; inset: 0; z-index: 4999; background: rgba(0, 0, 0, 0.45);
  }
  .listing-open .listing-sheet-part { display: flex !important; }
  .listing-field { flex: 0 0 calc(50% - 0.375rem); }
  .listing-quick .q-chip__icon--left { display: none; }  /* the three choices fit one line; chosen is filled */
}
"""


class ListingControls:
    """Built where the filter card goes; `add_sort()` puts the sort order where the page wants it."""

    def __init__(
        self,
        *,
        places: list[str],
        tags: list[str],
        on_change: Callable[[str, Any], Awaitable[None]],
        on_pick: Callable[[str], Awaitable[None]],
        on_clear: Callable[[], Awaitable[None]],
        on_search_done: Callable[[GenericEventArguments], Awaitable[None]],
    ) -> None:
        self.places, self.tags = places, tags
        self.on_change = on_change
        self.sheet_open = False
        self.syncing = False  # while the controls are set from the state, their changes are not a person's
        with ui.element('div').classes('w-full') as self.shell:  # 'listing-open' while the phone's sheet is up
            with ui.card().classes('w-full p-3 gap-3'):
                with ui.row().classes('w-full items-start gap-3'):
                    self._search_and_sheet(on_clear)
                with ui.row().classes('w-full items-center gap-2'):
                    self.chips = {
                        label: ui.chip(label, icon=QUICK_ICONS[label], on_click=functools.partial(on_pick, label))
                        .props('outline dense role=button')
                        .classes('listing-quick m-0')
                        .mark('quick-' + label.lower().replace(' ', '-'))
                        for label in QUICK_CHOICES
                    }
        for event in ('keydown.enter', 'blur'):
            self.search_box.on(event, on_search_done, js_handler='(e) => emit(e?.target?.value ?? null)')
        self.error_fields = {'starts_after': self.date_from, 'starts_before': self.date_to, 'q': self.search_box}

    def _search_and_sheet(self, on_clear: Callable[[], Awaitable[None]]) -> None:
        self.search_box = (
            ui.input('Search shows, places, tags')
            .props('outlined dense clearable debounce=350 maxlength=100')
            .classes('listing-search')
            .mark('search')
        )
        with (
            ui.button('Filters', icon='tune', on_click=lambda: self.set_sheet(not self.sheet_open))
            .props('outline no-caps aria-expanded=false')
            .classes('listing-phone-only listing-filters-button')
            .mark('filters-button') as self.filters_button
        ):
            self.badge = ui.badge().props('floating color=accent').mark('filters-count')
        ui.element('div').classes('listing-backdrop').on('click', lambda: self.set_sheet(False))
        with ui.element('div').classes('listing-panel').props('role=group aria-label=Filters'):
            with ui.row().classes('listing-phone-only listing-sheet-part w-full items-center'):
                ui.label('Filters').classes('text-lg font-bold grow')
                ui.button(icon='close', on_click=lambda: self.set_sheet(False)).props(
                    'flat round aria-label="Close filters"'
                )
            self.place_select = self._select({None: 'Any place', **{p: p for p in self.places}}, 'Place')
            self.tag_select = self._select({None: 'Any tag', **{t: t for t in self.tags}}, 'Tag')
            self.rating_select = self._select(dict(RATINGS), 'Rating', marker='min-rating')
            self.date_from = self._date('From', 'date-from')
            self.date_to = self._date('To', 'date-to')
            ui.button('Clear', icon='filter_alt_off', on_click=on_clear).props('flat no-caps').mark('clear')
            with ui.row().classes('listing-phone-only listing-sheet-part w-full'):
                ui.button('Show results', on_click=lambda: self.set_sheet(False)).props('unelevated no-caps').classes(
                    'w-full'
                )

    def add_sort(self) -> None:
        self.sort_select = (
            ui.select(dict(SORTS), label='Sort by', value=SortOrder.DATE)
            .props('outlined dense options-dense')
            .classes('listing-sort')
            .mark('sort')
        )

    @staticmethod
    def _select(options: dict[Any, str], label: str, *, marker: str | None = None) -> ui.select:
        return (
            ui.select(options, label=label, value=next(iter(options)))
            .props('outlined dense')
            .classes('listing-field')
            .mark(marker or label.lower())
        )

    @staticmethod
    def _date(label: str, marker: str) -> ui.input:
        return (
            ui.input(label)
            .props('outlined dense type=date stack-label debounce=400')
            .classes('listing-field')
            .mark(marker)
        )

    def listen(self) -> None:
        """After the first `show()`: from now on a value change is a person's."""
        for name in READERS:
            getattr(self, CONTROLS[name]).on_value_change(functools.partial(self._changed, name))

    def _changed(self, name: str, event: ValueChangeEventArguments[Any]) -> Awaitable[None] | None:
        return None if self.syncing else self.on_change(name, READERS[name](event.value))

    def show(self, state: ListingState, *, skip: Iterable[str] = ()) -> None:
        """Show the state; `skip` the control a person just changed (it shows it already, and newer input may be
        on its way from it). A place or tag in other letter case becomes the known one, in the state too."""
        self.syncing = True
        try:
            self._show(state, set(skip))
        finally:
            self.syncing = False

    def _show(self, state: ListingState, skip: set[str]) -> None:
        if 'q' not in skip:
            self.search_box.value = state.q
        if 'place' not in skip:
            state.place = _offer(self.place_select, state.place, self.places, str)
        if 'tag' not in skip:
            state.tag = _offer(self.tag_select, state.tag, self.tags, str)
        if 'min_rating' not in skip:
            _offer(self.rating_select, state.min_rating, list(RATINGS), lambda v: f'{v:g}+ stars')
        if 'date_from' not in skip:
            self.date_from.value = state.date_from
        if 'date_to' not in skip:
            self.date_to.value = state.date_to
        if 'sort' not in skip:
            self.sort_select.value = state.sort
        today = dt.datetime.now(get_settings().tz).date()
        for label, dates in quick_ranges(today).items():
            on = (state.date_from, state.date_to) == dates
            chip = self.chips[label]
            chip.props['selected'] = on  # Quasar shows a tick
            chip.props['outline'] = not on
            chip.props['aria-pressed'] = str(on).lower()
        active = state.active_filters()
        self.badge.text = str(active)
        self.badge.set_visibility(active > 0)
        self.filters_button.props['aria-label'] = f'Filters, {active} set'

    def set_sheet(self, open_: bool) -> None:
        """Unfold the filters as a sheet from the bottom (on a phone; a wider screen shows them anyway), or fold."""
        self.sheet_open = open_
        if open_:
            self.shell.classes('listing-open')
        else:
            self.shell.classes(remove='listing-open')
        self.filters_button.props['aria-expanded'] = str(open_).lower()


def _offer(select: ui.select, value: Any, known: list[Any], label: Any) -> Any:
    """Set the select to `value`, offering it first if it is not among the choices (a shared link's place that
    has no shows now, a rating the API allows); a known choice in other letter case is that choice."""
    if isinstance(value, str):
        value = next((k for k in known if isinstance(k, str) and k.lower() == value.lower()), value)
    options = select.options
    assert isinstance(options, dict)  # every select here is built from a dict
    if value not in options:
        select.set_options({**options, value: label(value)}, value=value)
    else:
        select.value = value
    return value
