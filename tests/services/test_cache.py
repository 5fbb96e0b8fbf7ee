"""Cached reads are fresh after every kind of write, and a stale cache never decides a booking."""

import datetime as dt

import pytest
from pydantic import TypeAdapter
from sqlalchemy import update

from models import BookingStatus, Role, Show
from models.db import session_scope, utcnow
from services import booking, cache, search, shows, theatres
from services.errors import Conflict
from services.kv import KV
from tests.factories import make_booking, make_show, make_theatre, make_user

SHOW = dict(
    name='Tughlaq',
    rating=4,
    tags='drama',
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
    return manager, theatre, show, make_user()


def listing() -> list[tuple[str, int]]:
    with session_scope() as s:
        return [(x.name, x.tickets_left) for x in search.search_shows(s, limit=20).items]


def detail(show_id: int):
    with session_scope() as s:
        return shows.public_show(s, show_id=show_id)


def board(actor_id: int) -> list[tuple[str, list[str]]]:
    with session_scope() as s:
        return [(e.theatre.name, [x.name for x in e.shows]) for e in theatres.dashboard(s, actor_id=actor_id)]


def warm(stage_show_id: int, manager_id: int) -> None:
    """Read everything twice: the second read must be a hit, so the test below proves invalidation."""
    for _ in range(2):
        listing(), detail(stage_show_id), board(manager_id)


def test_reads_are_served_from_the_cache(stage, store):
    manager, _, show, _ = stage
    warm(show.id, manager.id)
    assert store.hits == 3 and store.misses == 4  # the listing's first page computed its total, cached on its own


def test_fresh_after_booking_and_cancel(stage, store):
    manager, _, show, buyer = stage
    warm(show.id, manager.id)
    with session_scope() as s:
        made = booking.book(s, show_id=show.id, user_id=buyer.id, tickets=4)
    assert listing() == [('Hamlet', 6)] and detail(show.id).tickets_left == 6
    with session_scope() as s:
        booking.cancel_booking(s, booking_id=made.id, user_id=buyer.id)
    assert listing() == [('Hamlet', 10)] and detail(show.id).tickets_left == 10


def test_fresh_after_show_create_edit_delete(stage, store):
    manager, theatre, show, _ = stage
    warm(show.id, manager.id)
    with session_scope() as s:
        created = shows.create_show(s, actor_id=manager.id, theatre_id=theatre.id, **SHOW)
    assert [n for n, _ in listing()] == ['Hamlet', 'Tughlaq']
    assert board(manager.id) == [('Prithvi', ['Hamlet', 'Tughlaq'])]
    detail(created.id)
    with session_scope() as s:
        shows.update_show(s, actor_id=manager.id, show_id=created.id, **{**SHOW, 'name': 'Tughlaq II'})
    assert detail(created.id).name == 'Tughlaq II' and [n for n, _ in listing()][-1] == 'Tughlaq II'
    with session_scope() as s:
        shows.delete_show(s, actor_id=manager.id, show_id=created.id)
    assert [n for n, _ in listing()] == ['Hamlet'] and board(manager.id) == [('Prithvi', ['Hamlet'])]
    with pytest.raises(Exception, match='No such show'):
        detail(created.id)


def test_fresh_after_theatre_create_edit_delete(stage, store):
    manager, theatre, show, _ = stage
    warm(show.id, manager.id)
    with session_scope() as s:
        added = theatres.create_theatre(s, actor_id=manager.id, name='Ranga', place='Bengaluru', capacity=50)
    assert [name for name, _ in board(manager.id)] == ['Prithvi', 'Ranga']
    with session_scope() as s:
        theatres.update_theatre(
            s, actor_id=manager.id, theatre_id=theatre.id, name='Prithvi House', place='Pune', capacity=100
        )
    assert detail(show.id).theatre_name == 'Prithvi House' and detail(show.id).place == 'Pune'
    with session_scope() as s:
        assert search.places(s) == ['Pune']
    with session_scope() as s:
        theatres.delete_theatre(s, actor_id=manager.id, theatre_id=added.id)
    assert [name for name, _ in board(manager.id)] == ['Prithvi House']


def test_a_rolled_back_write_does_not_invalidate(stage, store):
    manager, _, show, buyer = stage
    warm(show.id, manager.id)
    misses = store.misses
    with pytest.raises(RuntimeError), session_scope() as s:
        booking.book(s, show_id=show.id, user_id=buyer.id, tickets=1)
        raise RuntimeError('the request failed after the booking')
    assert listing() == [('Hamlet', 10)] and store.misses == misses


def test_dashboard_is_cached_per_person(stage, store):
    manager = stage[0]
    other = make_user(role=Role.MANAGER)
    make_theatre(other, name='Elsewhere')
    assert board(manager.id) == [('Prithvi', ['Hamlet'])]
    assert board(other.id) == [('Elsewhere', [])]  # not the first manager's cached board
    key_a = store.key_for(f'dashboard:{manager.id}:manager')
    key_b = store.key_for(f'dashboard:{other.id}:manager')
    assert key_a != key_b and store.kv.get(key_a) != store.kv.get(key_b)


def test_a_stale_cache_never_accepts_an_oversell(stage):
    _, _, show, buyer = stage
    assert detail(show.id).tickets_left == 10  # now cached
    with session_scope() as s:  # sold elsewhere, behind the cache's back
        s.execute(update(Show).where(Show.id == show.id).values(tickets_sold=10))
    assert detail(show.id).tickets_left == 10  # the page may show stale seats...
    with pytest.raises(Conflict, match='Housefull'), session_scope() as s:
        booking.book(s, show_id=show.id, user_id=buyer.id, tickets=1)  # ...the booking asks the database


def test_a_stale_cache_never_refuses_a_real_seat(stage):
    _, _, show, buyer = stage
    other = make_user()
    made = make_booking(other, show, tickets=10)
    assert detail(show.id).tickets_left == 0  # cached as housefull
    with session_scope() as s:
        s.execute(update(Show).where(Show.id == show.id).values(tickets_sold=0))
        s.execute(update(type(made)).where(type(made).id == made.id).values(status=BookingStatus.CANCELLED))
    with session_scope() as s:
        assert booking.book(s, show_id=show.id, user_id=buyer.id, tickets=2).booked_tickets == 2


def test_a_value_computed_while_a_write_commits_is_not_served_after_it(store):
    """The entry carries the versions read before computing: a bump during the computation makes it stale."""
    numbers = TypeAdapter(int)

    def racing() -> int:
        store.bump('race')  # a write commits while the value is computed from what it replaced
        return 1

    assert store.get_or_compute('raced', ['race'], racing, numbers) == 1
    assert store.get_or_compute('raced', ['race'], lambda: 2, numbers) == 2
    assert store.get_or_compute('raced', ['race'], lambda: 3, numbers) == 2 and store.hits == 1
