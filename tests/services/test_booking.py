import datetime as dt

import pytest
from sqlalchemy import func, select

from models import Booking, BookingStatus, Role, Show
from models.db import session_scope, utcnow
from services import booking
from services.errors import Conflict, Invalid, NotFound
from tests.factories import make_booking, make_show, make_theatre, make_user, tickets_sold


@pytest.fixture
def stage(database):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, capacity=100)
    show = make_show(theatre, num_tickets=10, price_cents=25050)
    return make_user(), show


def _booking_count() -> int:
    with session_scope() as s:
        return s.scalar(select(func.count(Booking.id)))


def test_book_stores_unit_price_and_total_and_sells_seats(stage):
    buyer, show = stage
    with session_scope() as s:
        made = booking.book(s, show_id=show.id, user_id=buyer.id, tickets=3)
    assert (made.booked_tickets, made.price_cents, made.total_cents) == (3, 25050, 75150)
    assert made.status is BookingStatus.CONFIRMED
    assert tickets_sold(show.id) == 3


def test_price_change_does_not_touch_existing_bookings(stage):
    buyer, show = stage
    with session_scope() as s:
        made = booking.book(s, show_id=show.id, user_id=buyer.id, tickets=2)
    with session_scope() as s:
        s.get_one(Show, show.id).price_cents = 99900
    with session_scope() as s:
        mine = booking.my_bookings(s, user_id=buyer.id)
    assert [(b.id, b.price_cents, b.total_cents) for b in mine.upcoming] == [(made.id, 25050, 50100)]


@pytest.mark.parametrize(
    'tickets, message',
    [
        (0, 'Number of tickets must be between 1 and 10.'),
        (-1, 'Number of tickets must be between 1 and 10.'),
        (11, 'Number of tickets must be between 1 and 10.'),
        (10**30, 'Number of tickets must be between 1 and 10.'),
        ('three', 'Number of tickets must be a whole number.'),
        ('', 'Number of tickets is required.'),
        (None, 'Number of tickets is required.'),
        (2.5, 'Number of tickets must be a whole number.'),
        (True, 'Number of tickets must be a whole number.'),
    ],
)
def test_bad_ticket_counts_are_refused_and_change_nothing(stage, tickets, message):
    buyer, show = stage
    with pytest.raises(Invalid) as error, session_scope() as s:
        booking.book(s, show_id=show.id, user_id=buyer.id, tickets=tickets)
    assert error.value.errors == {'tickets': message}
    assert tickets_sold(show.id) == 0 and _booking_count() == 0


def test_more_than_left_is_a_conflict_that_says_how_many_are_left(stage):
    buyer, show = stage
    with session_scope() as s:
        booking.book(s, show_id=show.id, user_id=buyer.id, tickets=8)
    with pytest.raises(Conflict, match='only 2 left'), session_scope() as s:
        booking.book(s, show_id=show.id, user_id=buyer.id, tickets=3)
    assert tickets_sold(show.id) == 8 and _booking_count() == 1


def test_sold_out_show_says_housefull(stage):
    buyer, show = stage
    with session_scope() as s:
        booking.book(s, show_id=show.id, user_id=buyer.id, tickets=10)
    with pytest.raises(Conflict, match='Housefull'), session_scope() as s:
        booking.book(s, show_id=show.id, user_id=buyer.id, tickets=1)


def test_started_show_cannot_be_booked(database):
    theatre = make_theatre(make_user(role=Role.MANAGER))
    show = make_show(theatre, starts_in=-dt.timedelta(minutes=1))
    buyer = make_user()
    with pytest.raises(Conflict, match='already started'), session_scope() as s:
        booking.book(s, show_id=show.id, user_id=buyer.id, tickets=1)
    assert tickets_sold(show.id) == 0


def test_show_starting_between_check_and_write_is_still_refused(stage):
    buyer, show = stage
    later = utcnow() + dt.timedelta(days=4)  # the show starts in 3 days
    with pytest.raises(Conflict, match='already started'), session_scope() as s:
        booking.book(s, show_id=show.id, user_id=buyer.id, tickets=1, now=later)


@pytest.mark.parametrize('show_id', [999_999, -1, 'abc', None, 2**70])
def test_unknown_show_is_not_found(stage, show_id):
    buyer, _ = stage
    with pytest.raises(NotFound, match='No such show'), session_scope() as s:
        booking.book(s, show_id=show_id, user_id=buyer.id, tickets=1)


def test_cancel_releases_seats_once(stage):
    buyer, show = stage
    with session_scope() as s:
        made = booking.book(s, show_id=show.id, user_id=buyer.id, tickets=4)
    with session_scope() as s:
        cancelled = booking.cancel_booking(s, booking_id=made.id, user_id=buyer.id)
    assert cancelled.status is BookingStatus.CANCELLED and cancelled.cancelled_at is not None
    assert tickets_sold(show.id) == 0
    with pytest.raises(Conflict, match='already cancelled'), session_scope() as s:
        booking.cancel_booking(s, booking_id=made.id, user_id=buyer.id)
    assert tickets_sold(show.id) == 0


def test_nobody_cancels_another_persons_booking(stage):
    buyer, show = stage
    with session_scope() as s:
        made = booking.book(s, show_id=show.id, user_id=buyer.id, tickets=2)
    stranger = make_user()
    with pytest.raises(NotFound), session_scope() as s:
        booking.cancel_booking(s, booking_id=made.id, user_id=stranger.id)
    assert tickets_sold(show.id) == 2


def test_started_show_booking_cannot_be_cancelled(database):
    theatre = make_theatre(make_user(role=Role.MANAGER))
    show = make_show(theatre, starts_in=-dt.timedelta(hours=1))
    buyer = make_user()
    made = make_booking(buyer, show, tickets=2)
    with pytest.raises(Conflict, match='already started'), session_scope() as s:
        booking.cancel_booking(s, booking_id=made.id, user_id=buyer.id)
    assert tickets_sold(show.id) == 2


def test_my_bookings_splits_upcoming_and_past_and_shows_only_mine(database):
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Ranga Shankara', place='Bengaluru')
    past = make_show(theatre, name='Old', starts_in=-dt.timedelta(days=2))
    soon = make_show(theatre, name='Soon', starts_in=dt.timedelta(days=1))
    later = make_show(theatre, name='Later', starts_in=dt.timedelta(days=9))
    me, other = make_user(), make_user()
    for show in (later, past, soon):
        make_booking(me, show)
    make_booking(other, soon)
    with session_scope() as s:
        mine = booking.my_bookings(s, user_id=me.id)
    assert [b.show_name for b in mine.upcoming] == ['Soon', 'Later']
    assert [b.show_name for b in mine.past] == ['Old']
    assert {b.theatre_name for b in mine.upcoming} == {'Ranga Shankara'}


def test_database_refuses_overselling_even_without_the_service(stage):
    _, show = stage
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), session_scope() as s:
        s.get_one(Show, show.id).tickets_sold = 11
    assert tickets_sold(show.id) == 0
