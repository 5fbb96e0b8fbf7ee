"""The listing's address ↔ state (ui/listing_url.py): what a link may hold, what is left out, the quick dates."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlsplit

import pytest

from services.search import SortOrder
from ui.listing_url import ListingState, quick_ranges

KOLKATA = dt.timezone(dt.timedelta(hours=5, minutes=30))


def test_the_defaults_are_the_bare_address():
    assert ListingState().url() == '/'
    assert ListingState.from_query({}) == (ListingState(), [])


def test_an_address_round_trips_in_a_fixed_order():
    state = ListingState(
        q='Hamlet & co',
        place='Navi Mumbai',
        tag='drama',
        min_rating=4.5,
        date_from='2026-12-24',
        date_to='2026-12-31',
        sort=SortOrder.POPULARITY,
        page=3,
    )
    url = state.url()
    assert url == (
        '/?q=Hamlet%20%26%20co&place=Navi%20Mumbai&tag=drama&min_rating=4.5&from=2026-12-24&to=2026-12-31'
        '&sort=popularity&page=3'
    )
    assert ListingState.from_query(dict(parse_qsl(urlsplit(url).query))) == (state, [])


@pytest.mark.parametrize(
    'params, left_out',
    [
        ({'page': 'abc'}, ['page']),
        ({'page': '0'}, ['page']),
        ({'page': '-2'}, ['page']),
        ({'page': '１２'}, ['page']),  # full-width digits are digits to Python, not to a person's address bar
        ({'min_rating': '9'}, ['min_rating']),
        ({'min_rating': 'nan'}, ['min_rating']),
        ({'min_rating': 'inf'}, ['min_rating']),
        ({'from': 'garbage'}, ['from']),
        ({'to': '2026-02-30'}, ['to']),
        ({'from': '1900-01-01'}, ['from']),
        ({'sort': 'cheapest'}, ['sort']),
        ({'q': 'x' * 101}, ['q']),
        ({'q': 'bad\x00text'}, ['q']),
        ({'tag': 'x' * 31}, ['tag']),
        ({'place': 'Pune\u202e'}, ['place']),
        ({'unknown': 'anything', 'utm_source': 'mail'}, []),  # not ours: not mentioned
    ],
)
def test_unreadable_values_fall_back_and_are_named(params, left_out):
    state, ignored = ListingState.from_query(params)
    assert state == ListingState()
    assert ignored == left_out


def test_readable_values_are_kept_beside_unreadable_ones():
    state, ignored = ListingState.from_query({'tag': ' Drama ', 'page': 'x', 'min_rating': '3.5', 'sort': 'rating'})
    assert (state.tag, state.min_rating, state.sort, state.page) == ('drama', 3.5, SortOrder.RATING, 1)
    assert ignored == ['page']


def test_active_filters_count_dates_once_and_leave_out_search_and_sort():
    assert ListingState(q='x', sort=SortOrder.PRICE, page=2).active_filters() == 0
    assert ListingState(place='Pune', date_from='2026-01-01', date_to='2026-01-02').active_filters() == 2
    assert ListingState(tag='drama', min_rating=4, date_to='2026-01-02').active_filters() == 3


def test_the_window_is_local_midnights_and_to_includes_its_day():
    start, end, errors = ListingState(date_from='2026-12-24', date_to='2026-12-24').window(KOLKATA)
    assert (start, end, errors) == (
        dt.datetime(2026, 12, 24, tzinfo=KOLKATA),
        dt.datetime(2026, 12, 25, tzinfo=KOLKATA),
        {},
    )
    assert ListingState(date_from='24/12', date_to='9999-12-31').window(KOLKATA)[2] == {
        'date_from': 'Enter a date like 2026-12-24.',
        'date_to': 'Enter a date like 2026-12-24.',
    }


@pytest.mark.parametrize(
    'today, weekend',
    [
        (dt.date(2026, 12, 7), ('2026-12-12', '2026-12-13')),  # Monday
        (dt.date(2026, 12, 11), ('2026-12-12', '2026-12-13')),  # Friday
        (dt.date(2026, 12, 12), ('2026-12-12', '2026-12-13')),  # Saturday
        (dt.date(2026, 12, 13), ('2026-12-13', '2026-12-13')),  # Sunday: what is left of it
        (dt.date(2026, 12, 31), ('2027-01-02', '2027-01-03')),  # over the year's end
    ],
)
def test_quick_ranges(today, weekend):
    ranges = quick_ranges(today)
    assert ranges['Tonight'] == (today.isoformat(), today.isoformat())
    assert ranges['This weekend'] == weekend
    assert ranges['Next 7 days'] == (today.isoformat(), (today + dt.timedelta(days=6)).isoformat())
