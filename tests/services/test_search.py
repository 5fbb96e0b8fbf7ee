import datetime as dt

import pytest

from models import Role
from models.db import session_scope, utcnow
from services import search
from services.errors import Invalid
from tests.factories import make_show, make_theatre, make_user


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
