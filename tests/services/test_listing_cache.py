"""The listing's cache at scale: seat counts fresh while the page stays cached, totals, places and tags cached apart
from bookings, and a cache hit costing one Redis command."""

import datetime as dt

import pytest
from sqlalchemy import update

from models import Role, Show, ShowStatus
from models.db import session_scope, utcnow
from services import cache, search, shows, theatres
from services.kv import KV
from tests.factories import make_show, make_theatre, make_user

SHOW = dict(
    name='Tughlaq',
    rating=4,
    tags='kannada',
    ticket_price='300',
    num_tickets=20,
    starts_at=utcnow() + dt.timedelta(days=5),
)


@pytest.fixture(params=['memory', 'redis'])
def store(request, database):
    kv = KV(None) if request.param == 'memory' else KV(request.getfixturevalue('redis_url'))
    yield cache.configure(kv, ttl=60)
    cache.configure(None)


@pytest.fixture
def stage(store):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Prithvi', place='Mumbai', capacity=100)
    show = make_show(theatre, name='Hamlet', num_tickets=10, tags=('drama',))
    return manager, theatre, show


def listing(**filters) -> search.ShowPage:
    with session_scope() as s:
        return search.search_shows(s, **{'limit': 20, **filters})


def seats_sold(show: Show, sold: int) -> None:
    """What a booking does to the seat counts, and the invalidation the booking path asks for."""
    with session_scope() as s:
        s.execute(update(Show).where(Show.id == show.id).values(tickets_sold=sold))
        search.seats_changed(s, show_id=show.id, theatre_id=show.theatre_id)


def choices() -> tuple[list[str], list[str]]:
    with session_scope() as s:
        return search.places(s), search.tags(s)


def test_seat_counts_are_fresh_while_the_page_stays_cached(stage, store):
    _, _, show = stage
    assert [x.tickets_left for x in listing().items] == [10]
    hits, misses = store.hits, store.misses
    seats_sold(show, 4)
    page = listing()
    assert (store.hits, store.misses) == (hits + 1, misses)  # the page itself came from the cache...
    assert [(x.tickets_left, x.housefull) for x in page.items] == [(6, False)]  # ...with today's seats
    seats_sold(show, 10)
    assert [(x.tickets_left, x.housefull) for x in listing().items] == [(0, True)]
    assert store.misses == misses


def test_a_change_of_seats_refreshes_the_show_page_and_the_dashboard(stage, store):
    manager, _, show = stage

    def board() -> list[int]:
        with session_scope() as s:
            return [x.tickets_sold for e in theatres.dashboard(s, actor_id=manager.id) for x in e.shows]

    def detail() -> int:
        with session_scope() as s:
            return shows.public_show(s, show_id=show.id).tickets_left

    assert (board(), detail()) == ([0], 10)
    seats_sold(show, 3)
    assert (board(), detail()) == ([3], 7)


def test_a_rolled_back_change_of_seats_invalidates_nothing(stage, store):
    _, _, show = stage
    listing()
    misses = store.misses
    with pytest.raises(RuntimeError), session_scope() as s:
        search.seats_changed(s, show_id=show.id, theatre_id=show.theatre_id)
        raise RuntimeError('the request failed')
    with session_scope() as s:
        shows.public_show(s, show_id=show.id)
    assert store.misses == misses + 1  # only the show page, read for the first time


def test_the_total_is_shared_by_every_page_and_order_of_a_filter_set(stage, store):
    _, theatre, _ = stage
    for number in range(4):
        make_show(theatre, name=f'Play {number}', tags=('drama',))
    assert listing(tag='drama', limit=2).total == 5
    misses = store.misses
    assert listing(tag='drama', limit=2, offset=2, sort='price').total == 5
    assert store.misses == misses + 1  # the new page; its total was a hit


def test_total_places_and_tags_follow_show_and_theatre_changes(stage, store):
    manager, theatre, show = stage
    assert (listing().total, choices()) == (1, (['Mumbai'], ['drama']))
    other = make_theatre(manager, name='Ranga', place='Bengaluru')
    with session_scope() as s:
        created = shows.create_show(s, actor_id=manager.id, theatre_id=other.id, **SHOW)
    assert (listing().total, choices()) == (2, (['Bengaluru', 'Mumbai'], ['drama', 'kannada']))
    with session_scope() as s:
        shows.update_show(s, actor_id=manager.id, show_id=created.id, **{**SHOW, 'tags': 'comedy'})
    assert choices() == (['Bengaluru', 'Mumbai'], ['comedy', 'drama'])
    with session_scope() as s:
        theatres.update_theatre(
            s, actor_id=manager.id, theatre_id=theatre.id, name='Prithvi', place='Pune', capacity=100
        )
    assert choices() == (['Bengaluru', 'Pune'], ['comedy', 'drama']) and listing(place='pune').total == 1
    with session_scope() as s:
        shows.delete_show(s, actor_id=manager.id, show_id=created.id)
    assert (listing().total, choices()) == (1, (['Pune'], ['drama']))
    assert [x.name for x in listing().items] == [show.name]


def test_places_and_tags_leave_out_past_and_cancelled_shows(database):
    manager = make_user(role=Role.MANAGER)
    make_show(make_theatre(manager, place='Mumbai'), tags=('drama', 'music'))
    make_show(make_theatre(manager, place='Delhi'), starts_in=-dt.timedelta(hours=1), tags=('classic',))
    called_off = make_show(make_theatre(manager, place='Chennai'), tags=('dance', 'drama'))
    with session_scope() as s:
        s.execute(update(Show).where(Show.id == called_off.id).values(status=ShowStatus.CANCELLED))
    assert choices() == (['Mumbai'], ['drama', 'music'])


def test_tags_of_no_show_at_all_are_empty(database):
    assert choices() == ([], [])


def test_a_popularity_page_lives_shorter_than_the_others(stage, store):
    listing(sort='popularity'), listing()
    popular = search.ShowQuery(sort=search.SortOrder.POPULARITY, limit=20).cache_key()
    by_date = search.ShowQuery(limit=20).cache_key()
    assert 0 < store.kv.ttl(store.key_for(popular)) <= search.POPULARITY_TTL < store.kv.ttl(store.key_for(by_date))


class CountingClient:
    """The real Redis client, recording the name of every command sent through it (pipelines aside)."""

    def __init__(self, client) -> None:
        self.client = client
        self.sent: list[str] = []
        self.real = client.execute_command

    def __call__(self, *args, **options):
        self.sent.append(str(args[0]).upper())
        return self.real(*args, **options)


def test_a_cache_hit_is_one_redis_command(database, redis_url):
    store = cache.configure(KV(redis_url), ttl=60)
    try:
        make_show(make_theatre(make_user(role=Role.MANAGER)), name='Hamlet')
        listing(), choices()
        assert store is not None and store.kv.using_redis
        redis_store = store.kv._redis
        counting = CountingClient(redis_store.client)
        redis_store.client.execute_command = counting
        hits = store.hits
        with session_scope() as s:
            search.places(s)
        listing()
        assert store.hits == hits + 2 and counting.sent == ['MGET', 'MGET']  # versions and value together, each
    finally:
        cache.configure(None)
