import datetime as dt

import pytest

from models import Role
from models.db import session_scope, utcnow
from services import search
from services.errors import Invalid
from tests.factories import make_show, make_theatre, make_user

DAY = dt.timedelta(days=1)


@pytest.fixture
def catalogue(database):
    manager = make_user(role=Role.MANAGER)
    mumbai = make_theatre(manager, name='Prithvi Theatre', place='Mumbai')
    bengaluru = make_theatre(manager, name='Ranga Shankara', place='Bengaluru')
    make_show(mumbai, name='Old Hamlet', starts_in=-dt.timedelta(hours=1), tags=('drama',))
    make_show(mumbai, name='Hamlet', starts_in=dt.timedelta(days=2), rating=4.5, tags=('drama', 'english'))
    make_show(mumbai, name='Jazz at Dusk', starts_in=dt.timedelta(days=1), rating=3.0, tags=('music',))
    make_show(bengaluru, name='Tughlaq', starts_in=dt.timedelta(days=10), rating=4.0, tags=('drama', 'kannada'))
    make_show(bengaluru, name='100% Improv_Night', starts_in=dt.timedelta(days=5), rating=2.0, tags=('comedy',))


def names(**filters) -> list[str]:
    with session_scope() as s:
        return [show.name for show in search.search_shows(s, **filters).items]


def test_upcoming_only_soonest_first(catalogue):
    assert names() == ['Jazz at Dusk', 'Hamlet', '100% Improv_Night', 'Tughlaq']


@pytest.mark.parametrize(
    'filters, expected',
    [
        ({'q': 'hamlet'}, ['Hamlet']),
        ({'q': 'RANGA'}, ['100% Improv_Night', 'Tughlaq']),  # theatre name
        ({'q': '%'}, ['100% Improv_Night']),  # LIKE wildcards are matched literally
        ({'q': '_'}, ['100% Improv_Night']),
        ({'q': 'nothing like this'}, []),
        ({'place': 'mumbai'}, ['Jazz at Dusk', 'Hamlet']),
        ({'tag': 'Drama'}, ['Hamlet', 'Tughlaq']),
        ({'min_rating': 4}, ['Hamlet', 'Tughlaq']),
        ({'place': 'Bengaluru', 'tag': 'drama', 'min_rating': 3.5}, ['Tughlaq']),
        ({'starts_after': utcnow() + dt.timedelta(days=3)}, ['100% Improv_Night', 'Tughlaq']),
        ({'starts_before': utcnow() + dt.timedelta(days=3)}, ['Jazz at Dusk', 'Hamlet']),
    ],
)
def test_filters(catalogue, filters, expected):
    assert names(**filters) == expected


def test_pages_and_total(catalogue):
    with session_scope() as s:
        first = search.search_shows(s, limit=3)
        second = search.search_shows(s, limit=3, offset=3)
    assert (first.total, len(first.items), [x.name for x in second.items]) == (4, 3, ['Tughlaq'])


@pytest.mark.parametrize(
    'filters, field',
    [
        ({'limit': 0}, 'limit'),
        ({'limit': 101}, 'limit'),
        ({'offset': -1}, 'offset'),
        ({'min_rating': 6}, 'min_rating'),
        ({'starts_after': utcnow() + dt.timedelta(days=2), 'starts_before': utcnow()}, 'starts_before'),
    ],
)
def test_bad_filters(catalogue, filters, field):
    with pytest.raises(Invalid) as error, session_scope() as s:
        search.search_shows(s, **filters)
    assert field in error.value.errors


def test_filter_choices_come_from_upcoming_shows(catalogue):
    with session_scope() as s:
        assert search.places(s) == ['Bengaluru', 'Mumbai']
        assert search.tags(s) == ['comedy', 'drama', 'english', 'kannada', 'music']


# --- free text over places and tags, sort orders, stable pages ---------------------------------------------------


@pytest.mark.parametrize(
    'q, expected',
    [
        ('bengal', ['100% Improv_Night', 'Tughlaq']),  # the theatre's place
        ('MUMBAI', ['Jazz at Dusk', 'Hamlet']),
        ('kannada', ['Tughlaq']),  # a tag
        ('ENGL', ['Hamlet']),  # part of a tag
        ('music', ['Jazz at Dusk']),
    ],
)
def test_free_text_matches_the_place_and_tags(catalogue, q, expected):
    assert names(q=q) == expected


def test_free_text_on_tags_matches_wildcards_literally(database):
    theatre = make_theatre(make_user(role=Role.MANAGER), place='Pune')
    make_show(theatre, name='Plain', tags=('drama',))
    make_show(theatre, name='Marked', tags=('50%_off',))
    assert names(q='%_') == ['Marked']
    assert names(q='0%') == ['Marked']
    assert names(q='a_a') == []  # '_' is no wildcard: 'drama' does not match


@pytest.mark.parametrize(
    'sort, expected',
    [
        ('date', ['Jazz at Dusk', 'Hamlet', '100% Improv_Night', 'Tughlaq']),
        ('price', ['Tughlaq', 'Jazz at Dusk', '100% Improv_Night', 'Hamlet']),
        ('rating', ['Hamlet', 'Tughlaq', 'Jazz at Dusk', '100% Improv_Night']),
        ('popularity', ['100% Improv_Night', 'Hamlet', 'Tughlaq', 'Jazz at Dusk']),
        (search.SortOrder.PRICE, ['Tughlaq', 'Jazz at Dusk', '100% Improv_Night', 'Hamlet']),
    ],
)
def test_sort_orders(priced_catalogue, sort, expected):
    assert names(sort=sort) == expected


@pytest.fixture
def priced_catalogue(database):
    """Prices and sales that each order differently from the dates (the soonest show is neither cheapest,
    best rated nor most booked)."""
    manager = make_user(role=Role.MANAGER)
    mumbai = make_theatre(manager, place='Mumbai')
    make_show(mumbai, name='Jazz at Dusk', starts_in=DAY, price_cents=30000, rating=3.0, tickets_sold=1)
    make_show(mumbai, name='Hamlet', starts_in=2 * DAY, price_cents=90000, rating=4.5, tickets_sold=30)
    make_show(mumbai, name='100% Improv_Night', starts_in=5 * DAY, price_cents=50000, rating=2.0, tickets_sold=45)
    make_show(mumbai, name='Tughlaq', starts_in=10 * DAY, price_cents=20000, rating=4.0, tickets_sold=12)


def test_ties_go_by_start_time_then_id(database):
    theatre = make_theatre(make_user(role=Role.MANAGER))
    same_moment = utcnow().replace(microsecond=0) + 3 * DAY
    later = make_show(theatre, name='Later', starts_in=4 * DAY, price_cents=10000, rating=4.0)
    first = make_show(theatre, name='Same A', starts_at=same_moment, price_cents=10000, rating=4.0)
    second = make_show(theatre, name='Same B', starts_at=same_moment, price_cents=10000, rating=4.0)
    assert first.id < second.id
    earlier = make_show(theatre, name='Earlier', starts_in=2 * DAY, price_cents=10000, rating=4.0)
    for sort in search.SortOrder:
        assert names(sort=sort) == [earlier.name, first.name, second.name, later.name], sort


def test_pages_neither_repeat_nor_skip_a_show_in_any_order(database):
    """Many shows with equal prices, ratings and sales: every order's pages together list each show once."""
    theatre = make_theatre(make_user(role=Role.MANAGER))
    moment = utcnow().replace(microsecond=0) + 2 * DAY
    for number in range(23):
        make_show(
            theatre,
            name=f'Play {number:02d}',
            starts_at=moment + (number % 3) * DAY,  # three start times, many ties within each
            price_cents=10000 * (1 + number % 2),
            rating=4.0,
            tickets_sold=number % 4,
        )
    with session_scope() as s:
        for sort in search.SortOrder:
            pages = [search.search_shows(s, sort=sort, limit=5, offset=offset) for offset in range(0, 23, 5)]
            seen = [show.name for page in pages for show in page.items]
            assert sorted(seen) == [f'Play {number:02d}' for number in range(23)], sort


def test_an_unknown_sort_is_refused(catalogue):
    with pytest.raises(Invalid) as error, session_scope() as s:
        search.search_shows(s, sort='cheapest')
    assert error.value.errors == {'sort': 'Sort by date, price, rating or popularity.'}


def test_the_sort_order_is_part_of_the_cache_key():
    assert search.ShowQuery(sort=search.SortOrder.PRICE).cache_key() != search.ShowQuery().cache_key()
