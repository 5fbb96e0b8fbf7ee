"""A show that has started keeps its time, tickets and price: a new time would put a past show back on sale.

Its name, tags and rating may still change, and sending the frozen fields back unchanged (in any spelling the
form or the API uses) is no change.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import Booking, BookingStatus, Role, Show, ShowTag
from models.db import session_scope, utcnow
from services import booking, shows
from services.errors import Conflict
from tests.factories import make_booking, make_show, make_theatre, make_user

STARTED = 'This show has started: its time, tickets and price can no longer change.'


@dataclass(frozen=True)
class Started:
    id: int
    manager_id: int
    starts_at: dt.datetime


@pytest.fixture
def started(database) -> Started:
    """Hamlet (drama, rated 4), 50 tickets at 250.00, started an hour ago, 3 tickets of it sold."""
    manager = make_user(role=Role.MANAGER, username='meera')
    theatre = make_theatre(manager, capacity=200)
    show = make_show(
        theatre,
        name='Hamlet',
        tags=('drama',),
        rating=4.0,
        num_tickets=50,
        price_cents=25000,
        starts_in=-dt.timedelta(hours=1),
    )
    make_booking(make_user(username='asha'), show, tickets=3)
    return Started(show.id, manager.id, show.starts_at)


def _as_sent(show: Started, **changes: Any) -> dict[str, Any]:
    """The show's fields as the manage dialog sends them back untouched, with `changes`."""
    unchanged = dict(name='Hamlet', rating='4', tags='drama', ticket_price='250.00', num_tickets='50')
    return {**unchanged, 'starts_at': show.starts_at, **changes}


def _update(show: Started, *, now: dt.datetime | None = None, **changes: Any) -> shows.ShowView:
    with session_scope() as s:
        return shows.update_show(s, actor_id=show.manager_id, show_id=show.id, now=now, **_as_sent(show, **changes))


def _snapshot(show_id: int) -> tuple[Any, ...]:
    """Everything an edit could touch: the show, its tags, its bookings."""
    with session_scope() as s:
        row = s.get_one(Show, show_id)
        tags = s.scalars(select(ShowTag.tag).where(ShowTag.show_id == show_id).order_by(ShowTag.tag)).all()
        bookings = s.execute(select(Booking.booked_tickets, Booking.price_cents, Booking.status)).all()
        return (row.name, row.rating, row.price_cents, row.num_tickets, row.tickets_sold, row.starts_at, tags, bookings)


Changes = Callable[[Started], dict[str, Any]]
REFUSED: dict[str, tuple[str, Changes]] = {
    'moved-into-the-future': ('starts_at', lambda show: {'starts_at': utcnow() + dt.timedelta(days=7)}),
    'moved-a-minute-later': ('starts_at', lambda show: {'starts_at': show.starts_at + dt.timedelta(minutes=1)}),
    'moved-earlier': ('starts_at', lambda show: {'starts_at': show.starts_at - dt.timedelta(days=1)}),
    'new-date-and-time-in-the-form': ('starts_at', lambda show: {'starts_at': ('2030-12-24', '19:30')}),
    'more-tickets': ('num_tickets', lambda show: {'num_tickets': '60'}),
    'fewer-tickets': ('num_tickets', lambda show: {'num_tickets': '40'}),
    'higher-price': ('ticket_price', lambda show: {'ticket_price': '300'}),
    'free': ('ticket_price', lambda show: {'ticket_price': '0'}),
    'price-by-one-cent': ('ticket_price', lambda show: {'ticket_price': '250.01'}),
    'renamed-and-moved': ('starts_at', lambda show: {'name': 'Hamlet again', 'starts_at': utcnow() + dt.timedelta(1)}),
}


@pytest.mark.parametrize(('field', 'changes'), REFUSED.values(), ids=REFUSED.keys())
def test_a_started_shows_time_tickets_and_price_are_frozen(started: Started, field: str, changes: Changes) -> None:
    before = _snapshot(started.id)
    with pytest.raises(Conflict) as error:
        _update(started, **changes(started))
    assert (error.value.message, error.value.field) == (STARTED, field)
    assert _snapshot(started.id) == before


def test_a_started_show_moved_into_the_future_is_still_not_bookable(started: Started) -> None:
    with pytest.raises(Conflict, match='has started'):
        _update(started, starts_at=utcnow() + dt.timedelta(days=7))
    with pytest.raises(Conflict, match='already started'), session_scope() as s:
        booking.book(s, show_id=started.id, user_id=make_user().id, tickets=1)
    assert _snapshot(started.id)[4] == 3  # tickets sold


SAME: dict[str, Changes] = {
    'as-the-form-sends-them': lambda show: {},
    'numbers-as-numbers': lambda show: {'ticket_price': 250, 'num_tickets': 50},
    'numbers-as-floats': lambda show: {'ticket_price': 250.0, 'num_tickets': 50.0},
    'price-without-decimals': lambda show: {'ticket_price': '250'},
    'start-in-another-time-zone': lambda show: {'starts_at': show.starts_at.astimezone(ZoneInfo('Asia/Kolkata'))},
}


@pytest.mark.parametrize('same', SAME.values(), ids=SAME.keys())
def test_a_started_show_is_still_renamed_retagged_and_rerated(started: Started, same: Changes) -> None:
    updated = _update(started, name='Hamlet (last night)', tags='classic', rating='4.5', **same(started))
    assert (updated.name, updated.tags, updated.rating) == ('Hamlet (last night)', ['classic'], 4.5)
    assert (updated.price_cents, updated.num_tickets, updated.starts_at) == (25000, 50, started.starts_at)
    name, rating, price, tickets, sold, starts_at, tags, bookings = _snapshot(started.id)
    assert (name, rating, tags) == ('Hamlet (last night)', 4.5, ['classic'])
    assert (price, tickets, sold, starts_at) == (25000, 50, 3, started.starts_at)
    assert bookings == [(3, 25000, BookingStatus.CONFIRMED)]


def test_a_show_is_frozen_from_its_start_time_on(started: Started) -> None:
    """At its very start time (`starts_at <= now`) a show is started; a second before, it may still move."""
    before = _snapshot(started.id)
    with pytest.raises(Conflict, match='has started'):
        _update(started, now=started.starts_at, num_tickets='51')
    assert _snapshot(started.id) == before
    next_day = started.starts_at + dt.timedelta(days=1)
    now = started.starts_at - dt.timedelta(seconds=1)
    moved = _update(started, now=now, starts_at=next_day, num_tickets='51', ticket_price='260')
    assert (moved.starts_at, moved.num_tickets, moved.price_cents) == (next_day, 51, 26000)
