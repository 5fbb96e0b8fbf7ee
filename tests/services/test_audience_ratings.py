"""The audience's rating of a show: the average and number of scores over its production (every performance at
its theatre under its name, in any case), carried by every ShowView; the listing's minimum rating and "Highest
rated" use it once enough people rated; rating a show refreshes whatever showed the old average."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from models import Role, Show, Theatre, User
from models.db import engine, session_scope
from services import cache, cancellation, ratings, search, shows, theatres
from services.kv import KV
from tests.factories import make_booking, make_show, make_theatre, make_user

DAY = dt.timedelta(days=1)


def rate(show: Show, *scores: int) -> None:
    """Each score from a new person who booked the (started) show, through the service."""
    for score in scores:
        person = make_user()
        make_booking(person, show, tickets=1)
        with session_scope() as s:
            ratings.rate_show(s, user_id=person.id, show_id=show.id, score=score)


def listed(**filters: object) -> dict[str, tuple[float | None, int]]:
    with session_scope() as s:
        return {v.name: (v.audience_rating, v.ratings) for v in search.search_shows(s, **filters).items}  # type: ignore[arg-type]


def names(**filters: object) -> list[str]:
    with session_scope() as s:
        return [v.name for v in search.search_shows(s, **filters).items]  # type: ignore[arg-type]


def detail(show_id: int) -> shows.ShowView:
    with session_scope() as s:
        return shows.public_show(s, show_id=show_id)


def board(actor_id: int) -> dict[int, tuple[float | None, int]]:
    with session_scope() as s:
        return {
            v.id: (v.audience_rating, v.ratings)
            for entry in theatres.dashboard(s, actor_id=actor_id)
            for v in entry.shows
        }


@pytest.fixture
def run(database) -> tuple[User, Theatre, Show, Show, Show]:
    """Hamlet at Prithvi: two past performances and an upcoming one."""
    manager = make_user(role=Role.MANAGER)
    prithvi = make_theatre(manager, name='Prithvi')
    first = make_show(prithvi, name='Hamlet', starts_in=-3 * DAY, rating=3.0)
    second = make_show(prithvi, name='hamlet', starts_in=-DAY, rating=3.0)  # the same show, whatever its case
    upcoming = make_show(prithvi, name='HAMLET', starts_in=2 * DAY, rating=3.0)
    return manager, prithvi, first, second, upcoming


def test_the_audience_rating_is_the_average_and_count_over_the_production(run):
    manager, prithvi, first, second, upcoming = run
    rate(first, 5, 4)
    rate(second, 4)
    other = make_show(prithvi, name='Tughlaq', starts_in=-DAY)  # another show of the same theatre
    rate(other, 1)
    elsewhere = make_show(make_theatre(manager, name='Ranga'), name='Hamlet', starts_in=-DAY)  # another theatre
    rate(elsewhere, 2, 2)

    expected = (4.3, 3)  # 13 / 3 = 4.33...
    assert listed() == {'HAMLET': expected}
    for show in (first, second, upcoming):
        assert (detail(show.id).audience_rating, detail(show.id).ratings) == expected
    assert board(manager.id) == {
        first.id: expected,
        second.id: expected,
        upcoming.id: expected,
        other.id: (1.0, 1),
        elsewhere.id: (2.0, 2),
    }
    assert detail(upcoming.id).rating == 3.0  # the manager's rating stays what it was


def test_a_show_nobody_rated_has_no_audience_rating(run):
    manager, _, first, _, _upcoming = run
    assert listed() == {'HAMLET': (None, 0)}
    assert (detail(first.id).audience_rating, detail(first.id).ratings) == (None, 0)
    assert set(board(manager.id).values()) == {(None, 0)}


@pytest.mark.parametrize(
    'scores, average',
    [
        ((4, 4, 4, 5), 4.3),  # 4.25: rounded half up, not to even
        ((1, 2), 1.5),
        ((2, 2, 3), 2.3),
        ((5, 4, 4), 4.3),
        ((5,), 5.0),
    ],
)
def test_the_average_has_one_decimal_rounded_half_up(run, scores, average):
    _, _, first, _, upcoming = run
    rate(first, *scores)
    assert detail(upcoming.id).audience_rating == average
    assert listed() == {'HAMLET': (average, len(scores))}


def test_the_views_a_write_returns_carry_the_audience_rating(run):
    manager, prithvi, first, _, upcoming = run
    rate(first, 5, 3)
    with session_scope() as s:
        added = shows.create_show(
            s,
            actor_id=manager.id,
            theatre_id=prithvi.id,
            name='Hamlet',
            rating=4,
            tags='drama',
            ticket_price='300',
            num_tickets=20,
            starts_at=upcoming.starts_at + DAY,
        )
    assert (added.audience_rating, added.ratings) == (4.0, 2)  # a new date of a rated production
    with session_scope() as s:
        called_off = cancellation.cancel_show(s, actor_id=manager.id, show_id=upcoming.id, reason='The lead is ill.')
    assert (called_off.audience_rating, called_off.ratings) == (4.0, 2)


# --- the listing's minimum rating and "Highest rated" --------------------------------------------------------


@pytest.fixture
def rated_catalogue(database) -> tuple[Show, Show]:
    """Two productions with an upcoming date each: Hamlet (the manager says 4.5), Tughlaq (the manager says 3.5).
    Returns Hamlet's and Tughlaq's past performances, for the audience to rate."""
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    hamlet_past = make_show(theatre, name='Hamlet', starts_in=-DAY, rating=4.5)
    tughlaq_past = make_show(theatre, name='Tughlaq', starts_in=-DAY, rating=3.5)
    make_show(theatre, name='Hamlet', starts_in=DAY, rating=4.5)
    make_show(theatre, name='Tughlaq', starts_in=2 * DAY, rating=3.5)
    return hamlet_past, tughlaq_past


def test_the_threshold_is_three_ratings():
    assert ratings.MIN_AUDIENCE_RATINGS == 3


def test_minimum_rating_uses_the_managers_rating_until_enough_people_rated(rated_catalogue):
    hamlet_past, tughlaq_past = rated_catalogue
    assert names(min_rating=4) == ['Hamlet']

    rate(hamlet_past, 2, 3)  # two people found it poor: too few to outvote the manager
    rate(tughlaq_past, 5, 5)
    assert listed(min_rating=4) == {'Hamlet': (2.5, 2)}
    with session_scope() as s:
        assert search.search_shows(s, min_rating=4).total == 1

    rate(hamlet_past, 2)  # the third: now the audience's 2.3 counts
    rate(tughlaq_past, 4)  # 4.7
    assert names(min_rating=4) == ['Tughlaq']
    assert names(min_rating=2.3) == ['Hamlet', 'Tughlaq']
    assert names(min_rating=2.4) == ['Tughlaq']  # the rounded average is what is compared, as shown
    with session_scope() as s:
        assert search.search_shows(s, min_rating=4).total == 1


def test_highest_rated_uses_the_audience_once_enough_people_rated(rated_catalogue):
    hamlet_past, tughlaq_past = rated_catalogue
    assert names(sort='rating') == ['Hamlet', 'Tughlaq']  # the managers' 4.5 and 3.5
    rate(tughlaq_past, 5, 5)
    rate(hamlet_past, 3, 3)
    assert names(sort='rating') == ['Hamlet', 'Tughlaq']  # two scores each: still the managers' ratings
    rate(tughlaq_past, 5)
    assert names(sort='rating') == ['Tughlaq', 'Hamlet']  # the audience's 5.0 over the manager's 4.5
    rate(hamlet_past, 1)
    assert listed(sort='rating') == {'Tughlaq': (5.0, 3), 'Hamlet': (2.3, 3)}


# --- the cache --------------------------------------------------------------------------------------------------


@pytest.fixture(params=['memory', 'redis'])
def store(request, database) -> Iterator[cache.Cache | None]:
    kv = KV(None) if request.param == 'memory' else KV(request.getfixturevalue('redis_url'))
    yield cache.configure(kv, ttl=60)
    cache.configure(None)


def test_rating_refreshes_the_listing_the_show_pages_and_the_dashboard(run, store):
    manager, _, first, second, upcoming = run
    rate(first, 5)
    for _ in range(2):  # the second round is served from the cache
        assert listed() == {'HAMLET': (5.0, 1)}
        assert [detail(s.id).ratings for s in (first, second, upcoming)] == [1, 1, 1]
        assert board(manager.id)[upcoming.id] == (5.0, 1)
    assert store is not None and store.hits >= 5

    rate(second, 2)  # a sibling performance: every date of the run shows the new average
    assert listed() == {'HAMLET': (3.5, 2)}
    assert [(detail(s.id).audience_rating, detail(s.id).ratings) for s in (first, second, upcoming)] == [(3.5, 2)] * 3
    assert board(manager.id)[upcoming.id] == (3.5, 2)

    person = make_user()
    make_booking(person, first, tickets=1)
    with session_scope() as s:
        ratings.rate_show(s, user_id=person.id, show_id=first.id, score=3)
    assert detail(upcoming.id).ratings == 3
    with session_scope() as s:  # changing one's mind refreshes as well
        ratings.rate_show(s, user_id=person.id, show_id=first.id, score=5)
    assert detail(upcoming.id).audience_rating == 4.0 and listed() == {'HAMLET': (4.0, 3)}


def test_a_refused_rating_leaves_the_cache_alone(run, store):
    _, _, first, _, upcoming = run
    rate(first, 4)
    assert detail(upcoming.id).ratings == 1
    misses = store.misses
    with pytest.raises(Exception, match='Only people who booked'), session_scope() as s:
        ratings.rate_show(s, user_id=make_user().id, show_id=first.id, score=1)
    assert detail(upcoming.id).ratings == 1 and store.misses == misses


def test_renaming_a_rated_performance_moves_its_scores_and_refreshes_both_runs(run, store):
    manager, prithvi, first, second, upcoming = run
    revival = make_show(prithvi, name='Hamlet Revival', starts_in=3 * DAY)
    rate(first, 5)
    rate(second, 1)
    assert (detail(upcoming.id).audience_rating, detail(revival.id).audience_rating) == (3.0, None)
    with session_scope() as s:
        current = shows.public_show(s, show_id=second.id)
        shows.update_show(
            s,
            actor_id=manager.id,
            show_id=second.id,
            name='Hamlet Revival',
            rating=current.rating,
            tags=current.tags,
            ticket_price=current.price_cents / 100,
            num_tickets=current.num_tickets,
            starts_at=current.starts_at,
        )
    assert (detail(upcoming.id).audience_rating, detail(upcoming.id).ratings) == (5.0, 1)
    assert (detail(revival.id).audience_rating, detail(revival.id).ratings) == (1.0, 1)


# --- queries --------------------------------------------------------------------------------------------------


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement sent while the block runs."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine(), 'before_cursor_execute', record)
    try:
        yield sent
    finally:
        event.remove(engine(), 'before_cursor_execute', record)


def _catalogue(count: int) -> User:
    """`count` productions at one theatre, each with a rated past performance and an upcoming one."""
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Prithvi')
    for number in range(count):
        past = make_show(theatre, name=f'Play {number}', starts_in=-DAY, tags=('drama',))
        rate(past, 1 + number % 5)
        make_show(theatre, name=f'Play {number}', starts_in=(number + 1) * DAY, tags=('drama',))
    return manager


@pytest.mark.parametrize('filters', [{}, {'min_rating': 1, 'sort': 'rating'}])
def test_a_page_of_the_listing_reads_the_ratings_in_no_query_per_show(database, filters):
    _catalogue(12)
    with session_scope() as s, statements() as small:
        few = search.search_shows(s, limit=2, **filters)
    with session_scope() as s, statements() as large:
        many = search.search_shows(s, limit=12, **filters)
    assert (len(few.items), len(many.items)) == (2, 12)
    assert {v.ratings for v in many.items} == {1}
    assert len(large) == len(small)  # as many statements for 12 shows as for 2
    scored = [sql for sql in large if 'show_ratings' in sql]
    assert len(scored) == (2 if filters else 1)  # joined into the page's query (and the count's, to filter by it)


def test_the_dashboard_reads_the_ratings_in_one_query(database):
    manager = _catalogue(2)
    with session_scope() as s, statements() as small:
        theatres.dashboard(s, actor_id=manager.id)
    more = _catalogue(8)
    with session_scope() as s, statements() as large:
        entries = theatres.dashboard(s, actor_id=more.id)
    assert sum(1 for sql in large if 'show_ratings' in sql) == 1
    assert len(large) == len(small)
    assert {v.ratings for entry in entries for v in entry.shows} == {1}
