"""Ratings: only people who booked a show rate it, once it has started, 1 to 5; a new score replaces the old."""

import datetime as dt

import pytest
from sqlalchemy import select

from models import BookingStatus, Role, ShowRating
from models.db import session_scope
from services import ratings
from services.errors import Conflict, Invalid, NotFound
from tests.factories import make_booking, make_show, make_theatre, make_user

NOW = dt.datetime(2026, 12, 10, 13, 0, tzinfo=dt.UTC)


@pytest.fixture
def shows(database):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    past = make_show(theatre, name='Yesterday', starts_at=NOW - dt.timedelta(days=1))
    future = make_show(theatre, name='Tomorrow', starts_at=NOW + dt.timedelta(days=1))
    return past, future


def stored() -> list[tuple[int, int, int, dt.datetime]]:
    with session_scope() as s:
        return [
            (r.user_id, r.show_id, r.score, r.rated_at)
            for r in s.scalars(select(ShowRating).order_by(ShowRating.user_id, ShowRating.show_id))
        ]


def test_someone_who_booked_a_show_that_started_rates_it(shows):
    past, _ = shows
    person = make_user()
    make_booking(person, past, created_at=NOW - dt.timedelta(days=5))

    with session_scope() as s:
        assert ratings.rate_show(s, user_id=person.id, show_id=past.id, score=4, now=NOW) == 4

    assert stored() == [(person.id, past.id, 4, NOW)]


def test_a_show_that_has_just_started_can_be_rated(shows):
    past, _ = shows
    person = make_user()
    make_booking(person, past, created_at=NOW - dt.timedelta(days=5))
    with session_scope() as s:
        ratings.rate_show(s, user_id=person.id, show_id=past.id, score=2, now=past.starts_at)
    assert [score for _, _, score, _ in stored()] == [2]


@pytest.mark.parametrize('history', ['none', 'cancelled only', 'someone else booked'])
def test_only_people_with_a_confirmed_booking_may_rate(shows, history):
    past, _ = shows
    person = make_user()
    if history == 'cancelled only':
        make_booking(person, past, status=BookingStatus.CANCELLED, created_at=NOW - dt.timedelta(days=5))
    if history == 'someone else booked':
        make_booking(make_user(), past, created_at=NOW - dt.timedelta(days=5))

    with session_scope() as s, pytest.raises(Conflict) as refused:
        ratings.rate_show(s, user_id=person.id, show_id=past.id, score=5, now=NOW)

    assert refused.value.message == 'Only people who booked this show can rate it.'
    assert stored() == []


def test_a_show_that_has_not_started_cannot_be_rated(shows):
    _, future = shows
    person = make_user()
    make_booking(person, future, created_at=NOW - dt.timedelta(days=5))

    with session_scope() as s, pytest.raises(Conflict) as refused:
        ratings.rate_show(s, user_id=person.id, show_id=future.id, score=5, now=NOW)

    assert refused.value.message == 'You can rate this show once it has started.'
    assert stored() == []


@pytest.mark.parametrize(
    'score, message',
    [
        (0, 'Rating must be between 1 and 5.'),
        (6, 'Rating must be between 1 and 5.'),
        (-1, 'Rating must be between 1 and 5.'),
        ('x', 'Rating must be a whole number.'),
        (2.5, 'Rating must be a whole number.'),
        (True, 'Rating must be a whole number.'),
        (None, 'Rating is required.'),
        ('', 'Rating is required.'),
    ],
)
def test_bad_scores_are_refused_and_change_nothing(shows, score, message):
    past, _ = shows
    person = make_user()
    make_booking(person, past, created_at=NOW - dt.timedelta(days=5))
    with session_scope() as s:
        ratings.rate_show(s, user_id=person.id, show_id=past.id, score=3, now=NOW - dt.timedelta(hours=1))

    with session_scope() as s, pytest.raises(Invalid) as refused:
        ratings.rate_show(s, user_id=person.id, show_id=past.id, score=score, now=NOW)

    assert refused.value.errors == {'score': message}
    assert stored() == [(person.id, past.id, 3, NOW - dt.timedelta(hours=1))]


def test_rating_again_replaces_the_score(shows):
    past, _ = shows
    person = make_user()
    make_booking(person, past, created_at=NOW - dt.timedelta(days=5))
    with session_scope() as s:
        ratings.rate_show(s, user_id=person.id, show_id=past.id, score=2, now=NOW)
    with session_scope() as s:
        ratings.rate_show(s, user_id=person.id, show_id=past.id, score=5, now=NOW + dt.timedelta(days=1))

    assert stored() == [(person.id, past.id, 5, NOW + dt.timedelta(days=1))]


@pytest.mark.parametrize('show_id', [987654, 0, -1, 2**40, 'abc', None, 1.0])
def test_an_unknown_show_is_not_found(shows, show_id):
    person = make_user()
    with session_scope() as s, pytest.raises(NotFound):
        ratings.rate_show(s, user_id=person.id, show_id=show_id, score=3, now=NOW)
    assert stored() == []


def test_my_ratings_are_my_scores_by_show(shows):
    past, _ = shows
    other_past = make_show(make_theatre(make_user(role=Role.MANAGER)), starts_at=NOW)
    me, someone = make_user(), make_user()
    for person in (me, someone):
        make_booking(person, past, created_at=NOW - dt.timedelta(days=5))
    make_booking(me, other_past, created_at=NOW - dt.timedelta(days=5))
    with session_scope() as s:
        ratings.rate_show(s, user_id=me.id, show_id=past.id, score=4, now=NOW)
        ratings.rate_show(s, user_id=me.id, show_id=other_past.id, score=1, now=NOW)
        ratings.rate_show(s, user_id=someone.id, show_id=past.id, score=2, now=NOW)

    with session_scope() as s:
        assert ratings.my_ratings(s, user_id=me.id) == {past.id: 4, other_past.id: 1}
        assert ratings.my_ratings(s, user_id=someone.id) == {past.id: 2}
        assert ratings.my_ratings(s, user_id=make_user().id) == {}
