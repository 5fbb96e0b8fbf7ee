"""The public listing: only upcoming shows, every filter, pages, the empty state, badges, text shown as text."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from nicegui import ui
from nicegui.testing import User

from models import Role
from models.db import utcnow
from tests.factories import make_show, make_theatre, make_user
from tests.ui.helpers import elements, eventually, texts

DAY = dt.timedelta(days=1)
KOLKATA = ZoneInfo('Asia/Kolkata')  # the app's time zone in these tests (tests/ui/conftest.py)


async def shows_listed(user: User, *names: str) -> None:
    """Wait until the listing shows exactly these show names, in this order."""
    await eventually(
        lambda: texts(user, 'show-name') == list(names),
        message=lambda: f'listing {names}, but the page lists {texts(user, "show-name")}',
    )


def set_value(user: User, marker: str, value: object) -> None:
    (element,) = elements(user, marker=marker)
    with user.client:
        element.value = value


def seed_catalogue() -> None:
    manager = make_user(role=Role.MANAGER)
    prithvi = make_theatre(manager, name='Prithvi', place='Mumbai')
    ranga = make_theatre(manager, name='Ranga Shankara', place='Bengaluru')
    make_show(prithvi, name='Hamlet', starts_in=2 * DAY, rating=4.6, tags=('drama', 'english'))
    make_show(prithvi, name='Tughlaq', starts_in=4 * DAY, rating=3.5, tags=('drama', 'hindi'))
    make_show(ranga, name='Stand-up Night', starts_in=6 * DAY, rating=4.1, tags=('comedy',))
    make_show(ranga, name='Yesterday Once More', starts_in=-DAY, rating=5.0, tags=('comedy',))


async def test_home_lists_upcoming_shows_only(user: User) -> None:
    seed_catalogue()
    await user.open('/')
    await shows_listed(user, 'Hamlet', 'Tughlaq', 'Stand-up Night')
    await user.should_not_see('Yesterday Once More')
    assert texts(user, 'result-count') == ['3 shows found']


async def test_free_text_finds_show_names_and_theatre_names(user: User) -> None:
    seed_catalogue()
    await user.open('/')
    await shows_listed(user, 'Hamlet', 'Tughlaq', 'Stand-up Night')
    user.find(marker='search').type('HAML')
    await shows_listed(user, 'Hamlet')
    user.find(marker='search').clear().type('ranga')  # the theatre's name, not the show's
    await shows_listed(user, 'Stand-up Night')
    user.find(marker='search').clear().type('yesterday')  # a past show stays hidden when searched for
    await user.should_see('No shows match your search')
    assert texts(user, 'show-name') == []


async def test_search_text_from_the_address(user: User) -> None:
    seed_catalogue()
    await user.open('/?q=tughlaq')
    await shows_listed(user, 'Tughlaq')


async def test_filter_by_place(user: User) -> None:
    seed_catalogue()
    await user.open('/')
    await shows_listed(user, 'Hamlet', 'Tughlaq', 'Stand-up Night')
    (place,) = elements(user, marker='place')
    assert list(place.options) == [None, 'Bengaluru', 'Mumbai']  # places with upcoming shows
    set_value(user, 'place', 'Bengaluru')
    await shows_listed(user, 'Stand-up Night')
    set_value(user, 'place', 'Mumbai')
    await shows_listed(user, 'Hamlet', 'Tughlaq')


async def test_filter_by_tag(user: User) -> None:
    seed_catalogue()
    await user.open('/')
    await shows_listed(user, 'Hamlet', 'Tughlaq', 'Stand-up Night')
    set_value(user, 'tag', 'drama')
    await shows_listed(user, 'Hamlet', 'Tughlaq')
    set_value(user, 'tag', 'comedy')  # the past comedy is not listed
    await shows_listed(user, 'Stand-up Night')


async def test_filter_by_minimum_rating(user: User) -> None:
    seed_catalogue()
    await user.open('/')
    await shows_listed(user, 'Hamlet', 'Tughlaq', 'Stand-up Night')
    set_value(user, 'min-rating', 4)
    await shows_listed(user, 'Hamlet', 'Stand-up Night')
    set_value(user, 'min-rating', 4.5)
    await shows_listed(user, 'Hamlet')


async def test_filters_combine(user: User) -> None:
    seed_catalogue()
    await user.open('/')
    await shows_listed(user, 'Hamlet', 'Tughlaq', 'Stand-up Night')
    set_value(user, 'tag', 'drama')
    set_value(user, 'min-rating', 4)
    await shows_listed(user, 'Hamlet')
    set_value(user, 'place', 'Bengaluru')
    await user.should_see('No shows match your search')


async def test_filter_by_date_range(user: User) -> None:
    seed_catalogue()
    today = utcnow().astimezone(KOLKATA).date()
    await user.open('/')
    await shows_listed(user, 'Hamlet', 'Tughlaq', 'Stand-up Night')
    user.find(marker='date-from').type((today + 3 * DAY).isoformat())
    await shows_listed(user, 'Tughlaq', 'Stand-up Night')
    user.find(marker='date-to').type((today + 5 * DAY).isoformat())  # 'to' includes its whole day
    await shows_listed(user, 'Tughlaq')


async def test_an_end_date_before_the_start_date_is_shown_beside_it(user: User) -> None:
    seed_catalogue()
    today = utcnow().astimezone(KOLKATA).date()
    await user.open('/')
    await shows_listed(user, 'Hamlet', 'Tughlaq', 'Stand-up Night')
    user.find(marker='date-from').type((today + 5 * DAY).isoformat())
    user.find(marker='date-to').type((today + 2 * DAY).isoformat())
    await user.should_see('The end date is before the start date.')
    (date_to,) = elements(user, marker='date-to')
    assert date_to.error == 'The end date is before the start date.'


async def test_more_shows_than_a_page_are_paginated(user: User) -> None:
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    names = [f'Play {number:02d}' for number in range(1, 15)]  # 14 shows, 12 to a page
    for number, name in enumerate(names, start=1):
        make_show(theatre, name=name, starts_in=number * DAY)
    await user.open('/')
    await shows_listed(user, *names[:12])
    assert texts(user, 'result-count') == ['14 shows found · page 1 of 2']
    (pagination,) = elements(user, marker='pagination')
    assert pagination.max == 2
    set_value(user, 'pagination', 2)
    await shows_listed(user, 'Play 13', 'Play 14')
    assert texts(user, 'result-count') == ['14 shows found · page 2 of 2']


async def test_a_single_page_has_no_pagination(user: User) -> None:
    seed_catalogue()
    await user.open('/')
    await shows_listed(user, 'Hamlet', 'Tughlaq', 'Stand-up Night')
    await user.should_not_see(marker='pagination')


async def test_changing_a_filter_goes_back_to_page_one(user: User) -> None:
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    for number in range(1, 15):
        make_show(theatre, name=f'Play {number:02d}', starts_in=number * DAY, tags=('drama',))
    await user.open('/')
    await eventually(lambda: elements(user, marker='pagination'))
    set_value(user, 'pagination', 2)
    await shows_listed(user, 'Play 13', 'Play 14')
    set_value(user, 'tag', 'drama')
    await shows_listed(user, *[f'Play {number:02d}' for number in range(1, 13)])


async def test_no_match_shows_the_empty_state(user: User) -> None:
    seed_catalogue()
    await user.open('/?q=no-such-show')
    await user.should_see('No shows match your search')
    assert texts(user, 'show-name') == []
    assert texts(user, 'result-count') == ['0 shows found']


async def test_a_sold_out_show_is_housefull(user: User) -> None:
    theatre = make_theatre(make_user(role=Role.MANAGER))
    sold_out = make_show(theatre, name='Sold Out', num_tickets=5, tickets_sold=5)
    selling = make_show(theatre, name='Selling', num_tickets=5, tickets_sold=2)
    await user.open('/')
    await shows_listed(user, 'Sold Out', 'Selling')
    with user.scope(marker=f'show-{sold_out.id}'):
        await user.should_see(marker='housefull')
        await user.should_not_see(marker='tickets-left')
    with user.scope(marker=f'show-{selling.id}'):
        await user.should_not_see(marker='housefull')
        await user.should_see('3 of 5 tickets left')


async def test_markup_in_names_is_shown_as_text(user: User) -> None:
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='<b>bold</b>', place='<i>Pune</i>')  # written past the services' checks
    make_show(theatre, name='<img src=x onerror=alert(1)>')
    await user.open('/')
    await shows_listed(user, '<img src=x onerror=alert(1)>')
    labels = [e.text for e in elements(user, kind=ui.label)]
    assert '<b>bold</b> · <i>Pune</i>' in labels
    assert elements(user, kind=ui.html) == []
    assert elements(user, kind=ui.markdown) == []
