"""The listing's state lives in the address: a link opens that state, a change writes the address (a new history
entry, or the same one while typing), Back/Forward redraw without a reload, unreadable values are left out."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nicegui import ui
from nicegui.functions.navigate import History
from nicegui.testing import User

from models import Role
from models.db import utcnow
from tests.factories import make_show, make_theatre, make_user
from tests.ui.helpers import elements, eventually, texts
from tests.ui.test_browse import set_value, shows_listed

DAY = dt.timedelta(days=1)
KOLKATA = ZoneInfo('Asia/Kolkata')  # the app's time zone in these tests (tests/ui/conftest.py)
EVERYTHING = ('Hamlet', 'Tughlaq', 'Stand-up Night', 'Kathak Evening')


def seed() -> None:
    manager = make_user(role=Role.MANAGER)
    prithvi = make_theatre(manager, name='Prithvi', place='Mumbai')
    ranga = make_theatre(manager, name='Ranga Shankara', place='Bengaluru')
    natak = make_theatre(manager, name='Natak Ghar', place='Pune')
    make_show(prithvi, name='Hamlet', starts_in=2 * DAY, rating=4.6, price_cents=60000, tags=('drama', 'english'))
    make_show(prithvi, name='Tughlaq', starts_in=4 * DAY, rating=3.5, price_cents=20000, tags=('drama', 'hindi'))
    make_show(ranga, name='Stand-up Night', starts_in=6 * DAY, rating=4.1, price_cents=40000, tags=('comedy',))
    make_show(natak, name='Kathak Evening', starts_in=8 * DAY, rating=4.9, price_cents=30000, tags=('dance',))


@pytest.fixture
def history(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every history entry the page asks the browser to push or replace: ('push' or 'replace', address)."""
    calls: list[tuple[str, str]] = []
    for kind in ('push', 'replace'):
        original = getattr(History, kind)

        def record(self: History, url: str, kind: str = kind, original: Any = original) -> None:
            calls.append((kind, url))
            original(self, url)

        monkeypatch.setattr(History, kind, record)
    return calls


def browser_shows(user: User, query: str) -> None:
    """What the browser tells the page on Back or Forward: the address it now shows (its query string)."""
    layout = user.client.layout
    for listener_id, listener in list(layout._event_listeners.items()):
        if listener.type == 'listing_address':
            layout._handle_event({'listener_id': listener_id, 'args': query})


def value(user: User, marker: str) -> object:
    (element,) = elements(user, marker=marker)
    return element.value


def today() -> dt.date:
    return utcnow().astimezone(KOLKATA).date()


async def test_a_link_opens_its_filters_sort_and_page(user: User) -> None:
    seed()
    await user.open('/?q=a&place=mumbai&tag=Drama&min_rating=3&sort=price')
    await shows_listed(user, 'Tughlaq', 'Hamlet')  # cheapest first
    assert value(user, 'search') == 'a'
    assert value(user, 'place') == 'Mumbai'  # the known place, whatever the link's letter case
    assert value(user, 'tag') == 'drama'
    assert value(user, 'min-rating') == 3
    assert value(user, 'sort') == 'price'
    assert texts(user, 'url-note') == ['']


async def test_a_link_with_dates_and_a_sort_order(user: User) -> None:
    seed()
    start, end = today() + 3 * DAY, today() + 8 * DAY
    await user.open(f'/?from={start}&to={end}&sort=rating')
    await shows_listed(user, 'Kathak Evening', 'Stand-up Night', 'Tughlaq')
    assert (value(user, 'date-from'), value(user, 'date-to')) == (start.isoformat(), end.isoformat())
    assert texts(user, 'result-count') == ['3 shows found']


async def test_a_link_may_ask_for_a_rating_the_menu_does_not_offer(user: User) -> None:
    seed()
    await user.open('/?min_rating=4.2')  # the API takes any rating from 0 to 5: so does a link
    await shows_listed(user, 'Hamlet', 'Kathak Evening')
    (rating,) = elements(user, marker='min-rating')
    assert rating.value == 4.2 and rating.options[4.2] == '4.2+ stars'
    assert texts(user, 'url-note') == ['']


async def test_a_link_to_a_page(user: User) -> None:
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    for number in range(1, 15):  # 12 to a page
        make_show(theatre, name=f'Play {number:02d}', starts_in=number * DAY)
    await user.open('/?page=2')
    await shows_listed(user, 'Play 13', 'Play 14')
    assert texts(user, 'result-count') == ['14 shows found · page 2 of 2']
    (pagination,) = elements(user, marker='pagination')
    assert pagination.value == 2


async def test_a_page_past_the_end_shows_the_last_page_and_says_so_in_the_address(
    user: User, history: list[tuple[str, str]]
) -> None:
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    for number in range(1, 15):
        make_show(theatre, name=f'Play {number:02d}', starts_in=number * DAY)
    await user.open('/?page=7')
    await shows_listed(user, 'Play 13', 'Play 14')
    assert texts(user, 'result-count') == ['14 shows found · page 2 of 2']
    await eventually(lambda: history == [('replace', '/?page=2')], message=lambda: f'history: {history}')


async def test_unreadable_link_values_are_left_out_and_named(user: User, history: list[tuple[str, str]]) -> None:
    seed()
    await user.open('/?page=abc&min_rating=9&from=garbage&to=2026-02-30&sort=cheapest&tag=drama')
    await shows_listed(user, 'Hamlet', 'Tughlaq')  # what could be read still applies
    assert texts(user, 'url-note') == [
        'Left out of this link, as it could not be read: minimum rating, From date, To date, sort order, page number.'
    ]
    assert (value(user, 'min-rating'), value(user, 'date-from'), value(user, 'sort')) == (0, '', 'date')
    await eventually(lambda: history == [('replace', '/?tag=drama')], message=lambda: f'history: {history}')
    set_value(user, 'tag', 'comedy')  # the note was about the link; a change of one's own ends it
    await shows_listed(user, 'Stand-up Night')
    assert texts(user, 'url-note') == ['']


async def test_a_place_without_shows_now_stays_chosen(user: User) -> None:
    seed()
    await user.open('/?place=Chennai')
    await user.should_see('No shows match your search')
    assert value(user, 'place') == 'Chennai'
    assert texts(user, 'result-count') == ['0 shows found']


async def test_each_change_writes_the_address(user: User, history: list[tuple[str, str]]) -> None:
    seed()
    await user.open('/')
    await shows_listed(user, *EVERYTHING)
    set_value(user, 'place', 'Mumbai')
    await shows_listed(user, 'Hamlet', 'Tughlaq')
    set_value(user, 'sort', 'price')
    await shows_listed(user, 'Tughlaq', 'Hamlet')
    set_value(user, 'min-rating', 4)
    await shows_listed(user, 'Hamlet')
    assert history == [
        ('push', '/?place=Mumbai'),
        ('push', '/?place=Mumbai&sort=price'),
        ('push', '/?place=Mumbai&min_rating=4&sort=price'),
    ]


async def test_typing_replaces_its_own_history_entry(user: User, history: list[tuple[str, str]]) -> None:
    seed()
    await user.open('/')
    await shows_listed(user, *EVERYTHING)
    user.find(marker='search').type('pu')
    await shows_listed(user, 'Kathak Evening')  # the place: Pune
    user.find(marker='search').type('ne')
    await eventually(lambda: len(history) == 2)
    set_value(user, 'tag', 'dance')
    await eventually(lambda: len(history) == 3)
    assert history == [('push', '/?q=pu'), ('replace', '/?q=pune'), ('push', '/?q=pune&tag=dance')]


async def test_enter_ends_a_search_so_the_next_one_is_its_own_entry(user: User, history: list[tuple[str, str]]) -> None:
    seed()
    await user.open('/')
    await shows_listed(user, *EVERYTHING)
    user.find(marker='search').type('drama').trigger('keydown.enter', args='drama')
    await shows_listed(user, 'Hamlet', 'Tughlaq')
    user.find(marker='search').clear().type('comedy')
    await shows_listed(user, 'Stand-up Night')
    assert history == [('push', '/?q=drama'), ('push', '/'), ('replace', '/?q=comedy')]


async def test_back_and_forward_redraw_that_state_without_writing_history(
    user: User, history: list[tuple[str, str]]
) -> None:
    seed()
    await user.open('/?place=Mumbai&sort=price')
    await shows_listed(user, 'Tughlaq', 'Hamlet')
    set_value(user, 'tag', 'english')
    await shows_listed(user, 'Hamlet')
    browser_shows(user, '?place=Mumbai&sort=price')  # Back
    await shows_listed(user, 'Tughlaq', 'Hamlet')
    assert (value(user, 'place'), value(user, 'tag'), value(user, 'sort')) == ('Mumbai', None, 'price')
    browser_shows(user, '')  # Back again, to the plain listing
    await shows_listed(user, *EVERYTHING)
    assert (value(user, 'place'), value(user, 'sort')) == (None, 'date')
    browser_shows(user, '?place=Mumbai&tag=english&sort=price')  # Forward twice
    await shows_listed(user, 'Hamlet')
    assert history == [('push', '/?place=Mumbai&tag=english&sort=price')]  # Back and Forward wrote nothing


async def test_quick_choices_set_the_dates_and_show_as_chosen(user: User, history: list[tuple[str, str]]) -> None:
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    make_show(theatre, name='Tomorrow', starts_in=DAY)
    make_show(theatre, name='In Six Days', starts_in=6 * DAY)  # the seventh day, today being the first
    make_show(theatre, name='In Ten Days', starts_in=10 * DAY)
    await user.open('/')
    await shows_listed(user, 'Tomorrow', 'In Six Days', 'In Ten Days')
    user.find('Next 7 days').click()
    await shows_listed(user, 'Tomorrow', 'In Six Days')
    week = (today().isoformat(), (today() + 6 * DAY).isoformat())
    assert (value(user, 'date-from'), value(user, 'date-to')) == week
    (chip,) = elements(user, marker='quick-next-7-days')
    assert chip.props['selected'] is True and chip.props['aria-pressed'] == 'true'
    (tonight,) = elements(user, marker='quick-tonight')
    assert tonight.props['selected'] is False
    assert history == [('push', f'/?from={week[0]}&to={week[1]}')]
    user.find('Next 7 days').click()  # chosen again: off
    await shows_listed(user, 'Tomorrow', 'In Six Days', 'In Ten Days')
    assert (value(user, 'date-from'), value(user, 'date-to'), chip.props['selected']) == ('', '', False)
    set_value(user, 'date-from', week[0])
    set_value(user, 'date-to', week[1])  # the same dates typed in: the chip shows them as chosen
    await eventually(lambda: chip.props['selected'] is True)


async def test_tonight_is_the_rest_of_today(user: User) -> None:
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    midnight = dt.datetime.combine(today() + DAY, dt.time(), tzinfo=KOLKATA)
    soon = utcnow() + dt.timedelta(minutes=5)
    make_show(theatre, name='Soon', starts_at=soon)
    make_show(theatre, name='After Midnight', starts_at=midnight + dt.timedelta(minutes=1))
    await user.open('/')
    user.find('Tonight').click()
    expected = ['Soon'] if soon < midnight else []  # in the last minutes of a day, nothing is left of it
    await eventually(lambda: texts(user, 'show-name') == expected and texts(user, 'result-count') != [''])
    assert (value(user, 'date-from'), value(user, 'date-to')) == (today().isoformat(), today().isoformat())


async def test_clear_resets_everything_and_the_address(user: User, history: list[tuple[str, str]]) -> None:
    seed()
    await user.open(f'/?q=a&place=Mumbai&tag=drama&min_rating=3&from={today()}&sort=price')
    await shows_listed(user, 'Tughlaq', 'Hamlet')
    user.find('Clear').click()
    await shows_listed(user, *EVERYTHING)
    assert [value(user, m) for m in ('search', 'place', 'tag', 'min-rating', 'date-from', 'sort')] == [
        '',
        None,
        None,
        0,
        '',
        'date',
    ]
    assert history == [('push', '/')]


async def test_a_reversed_range_shows_its_error_and_no_count(user: User) -> None:
    seed()
    await user.open('/')
    await shows_listed(user, *EVERYTHING)
    set_value(user, 'date-from', (today() + 5 * DAY).isoformat())
    await shows_listed(user, 'Stand-up Night', 'Kathak Evening')
    assert texts(user, 'result-count') == ['2 shows found']
    set_value(user, 'date-to', (today() + 2 * DAY).isoformat())
    await eventually(lambda: value_error(user, 'date-to') == 'The end date is before the start date.')
    assert texts(user, 'result-count') == ['']  # no stale count
    assert texts(user, 'show-name') == []
    set_value(user, 'date-to', (today() + 7 * DAY).isoformat())
    await shows_listed(user, 'Stand-up Night')
    assert value_error(user, 'date-to') is None


async def test_a_link_with_a_reversed_range_opens_with_its_error(user: User) -> None:
    seed()
    await user.open(f'/?from={today() + 5 * DAY}&to={today() + 2 * DAY}')
    await eventually(lambda: value_error(user, 'date-to') == 'The end date is before the start date.')
    assert texts(user, 'result-count') == [''] and texts(user, 'show-name') == []


def value_error(user: User, marker: str) -> str | None:
    (element,) = elements(user, marker=marker)
    return element.error


async def test_the_folded_filters_count_what_is_set(user: User) -> None:
    seed()
    await user.open('/?q=a&sort=price')  # the search box and the order are always in sight: not counted
    await shows_listed(user, 'Tughlaq', 'Kathak Evening', 'Stand-up Night', 'Hamlet')
    (badge,) = elements(user, marker='filters-count')
    assert not badge.visible
    set_value(user, 'place', 'Mumbai')
    set_value(user, 'date-from', today().isoformat())
    await eventually(lambda: badge.text == '2' and badge.visible)
    (button,) = elements(user, marker='filters-button')
    assert button.props['aria-label'] == 'Filters, 2 set'
    assert not sheet_open(user)  # folded until asked for (on a phone; a desktop shows them all along)
    user.find(marker='filters-button').click()
    assert sheet_open(user) and button.props['aria-expanded'] == 'true'
    user.find('Show results').click()
    assert not sheet_open(user) and button.props['aria-expanded'] == 'false'


def sheet_open(user: User) -> bool:
    return any('listing-open' in element.classes for element in elements(user, kind=ui.element))
