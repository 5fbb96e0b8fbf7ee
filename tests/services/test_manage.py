import datetime as dt

import pytest
from sqlalchemy import func, select

from models import Booking, BookingStatus, Role, Show, ShowTag, Theatre
from models.db import session_scope, utcnow
from services import shows, theatres
from services.errors import Conflict, Invalid, NotAllowed, NotFound
from tests.factories import make_booking, make_show, make_theatre, make_user

TOMORROW = utcnow() + dt.timedelta(days=1)
SHOW = dict(
    name='Hamlet',
    rating='4.5',
    tags='Drama, English, drama',
    ticket_price='250.50',
    num_tickets='100',
    starts_at=TOMORROW,
)


def _count(model) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def manager(database):
    return make_user(role=Role.MANAGER)


def test_manager_creates_theatre_and_show(manager):
    with session_scope() as s:
        theatre = theatres.create_theatre(s, actor_id=manager.id, name=' Prithvi ', place='Mumbai', capacity='150')
        show = shows.create_show(s, actor_id=manager.id, theatre_id=theatre.id, **SHOW)
    assert (theatre.name, theatre.capacity) == ('Prithvi', 150)
    assert (show.price_cents, show.rating, show.tags, show.tickets_left) == (25050, 4.5, ['drama', 'english'], 100)


def test_audience_member_cannot_manage(database):
    member = make_user()
    with pytest.raises(NotAllowed, match='Only theatre managers or admins'), session_scope() as s:
        theatres.create_theatre(s, actor_id=member.id, name='X', place='Y', capacity=10)
    with pytest.raises(NotAllowed), session_scope() as s:
        theatres.dashboard(s, actor_id=member.id)
    assert _count(Theatre) == 0


def test_managers_see_and_touch_only_their_own(manager):
    other = make_user(role=Role.MANAGER)
    mine, theirs = make_theatre(manager, name='Mine'), make_theatre(other, name='Theirs')
    their_show = make_show(theirs)
    with session_scope() as s:
        assert [e.theatre.name for e in theatres.dashboard(s, actor_id=manager.id)] == ['Mine']
        assert [t.name for t in theatres.list_theatres(s, actor_id=manager.id)] == ['Mine']
    for attempt in (
        lambda s: theatres.update_theatre(
            s, actor_id=manager.id, theatre_id=theirs.id, name='Hacked', place='P', capacity=10
        ),
        lambda s: theatres.delete_theatre(s, actor_id=manager.id, theatre_id=theirs.id),
        lambda s: shows.create_show(s, actor_id=manager.id, theatre_id=theirs.id, **SHOW),
        lambda s: shows.update_show(s, actor_id=manager.id, show_id=their_show.id, **SHOW),
        lambda s: shows.delete_show(s, actor_id=manager.id, show_id=their_show.id),
    ):
        with pytest.raises(NotFound), session_scope() as s:
            attempt(s)
    with session_scope() as s:
        assert s.get_one(Theatre, theirs.id).name == 'Theirs'
        assert s.get_one(Show, their_show.id).name == their_show.name
    assert mine.id


def test_admin_sees_and_manages_every_theatre(manager):
    admin = make_user(role=Role.ADMIN)
    theatre = make_theatre(manager, name='Mine')
    with session_scope() as s:
        assert [e.theatre.owner_id for e in theatres.dashboard(s, actor_id=admin.id)] == [manager.id]
        theatres.update_theatre(s, actor_id=admin.id, theatre_id=theatre.id, name='Renamed', place='Pune', capacity=300)
    with session_scope() as s:
        assert s.get_one(Theatre, theatre.id).name == 'Renamed'


@pytest.mark.parametrize(
    'field, value, message',
    [
        ('name', '', 'Name is required.'),
        ('name', 'n' * 101, 'Name must be at most 100 characters.'),
        ('name', '<b>Hi</b>', 'Name must not contain < or >.'),
        ('place', '  ', 'Place is required.'),
        ('capacity', '0', 'Capacity must be between 1 and 100,000.'),
        ('capacity', -5, 'Capacity must be between 1 and 100,000.'),
        ('capacity', '100001', 'Capacity must be between 1 and 100,000.'),
        ('capacity', 'many', 'Capacity must be a whole number.'),
        ('capacity', '', 'Capacity is required.'),
        ('capacity', 12.5, 'Capacity must be a whole number.'),
    ],
)
def test_bad_theatre_input(manager, field, value, message):
    values = {'name': 'Prithvi', 'place': 'Mumbai', 'capacity': 100, field: value}
    with pytest.raises(Invalid) as error, session_scope() as s:
        theatres.create_theatre(s, actor_id=manager.id, **values)
    assert error.value.errors == {field: message}
    assert _count(Theatre) == 0


@pytest.mark.parametrize(
    'field, value, message',
    [
        ('name', '', 'Show name is required.'),
        ('name', '<script>x</script>', 'Show name must not contain < or >.'),
        ('rating', '6', 'Rating must be a number from 0 to 5.'),
        ('rating', '-1', 'Rating must be a number from 0 to 5.'),
        ('rating', 'great', 'Rating must be a number from 0 to 5.'),
        ('rating', '4.55', 'Rating can have at most one decimal.'),
        ('rating', 'NaN', 'Rating must be a number from 0 to 5.'),
        ('tags', ['ok', ''], 'A tag must not be empty.'),
        ('tags', ','.join(f't{i}' for i in range(11)), 'At most 10 tags.'),
        ('tags', 'x' * 31, 'Each tag must be at most 30 characters.'),
        ('tags', '<b>', 'Tags must not contain < or > or control characters.'),
        ('ticket_price', '-1', 'Ticket price must not be negative.'),
        ('ticket_price', 'free', 'Ticket price must be a number, like 250 or 250.50.'),
        ('ticket_price', '1.234', 'Ticket price can have at most two decimals.'),
        ('ticket_price', 'Infinity', 'Ticket price must be a number, like 250 or 250.50.'),
        ('ticket_price', '', 'Ticket price is required.'),
        ('ticket_price', '1e9', 'Ticket price must be at most 1,000,000.'),
        ('num_tickets', '0', 'Number of tickets must be between 1 and 200.'),
        ('num_tickets', '201', 'Number of tickets must be between 1 and 200.'),
        ('num_tickets', 'lots', 'Number of tickets must be a whole number.'),
        ('starts_at', utcnow() - dt.timedelta(minutes=5), 'Date and time must be in the future.'),
        ('starts_at', utcnow() + dt.timedelta(days=6 * 366), 'Date and time must be within the next five years.'),
        ('starts_at', None, 'Date and time is required.'),
        ('starts_at', ('', '19:30'), 'Date is required.'),
        ('starts_at', ('2030-02-30', '19:30'), 'Enter a date like 2026-12-24.'),
        ('starts_at', ('2030-01-01', '25:00'), 'Enter a time like 19:30.'),
        ('starts_at', ('2020-01-01', '19:30'), 'Date and time must be in the future.'),
    ],
)
def test_bad_show_input(manager, field, value, message):
    theatre = make_theatre(manager, capacity=200)
    with pytest.raises(Invalid) as error, session_scope() as s:
        shows.create_show(s, actor_id=manager.id, theatre_id=theatre.id, **{**SHOW, field: value})
    assert error.value.errors == {field: message}
    assert _count(Show) == 0 and _count(ShowTag) == 0


def test_every_bad_field_is_reported_at_once(manager):
    theatre = make_theatre(manager)
    with pytest.raises(Invalid) as error, session_scope() as s:
        shows.create_show(
            s,
            actor_id=manager.id,
            theatre_id=theatre.id,
            name='',
            rating='9',
            tags=None,
            ticket_price='x',
            num_tickets='0',
            starts_at=None,
        )
    assert set(error.value.errors) == {'name', 'rating', 'ticket_price', 'num_tickets', 'starts_at'}


def test_show_date_and_time_are_read_in_the_app_time_zone(manager, monkeypatch):
    from services.config import get_settings

    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    get_settings.cache_clear()
    theatre = make_theatre(manager)
    with session_scope() as s:
        show = shows.create_show(
            s, actor_id=manager.id, theatre_id=theatre.id, **{**SHOW, 'starts_at': ('2030-12-24', '19:30')}
        )
    assert show.starts_at == dt.datetime(2030, 12, 24, 14, 0, tzinfo=dt.UTC)


def test_edit_cannot_drop_tickets_below_sold_and_keeps_booking_prices(manager):
    theatre = make_theatre(manager, capacity=100)
    show = make_show(theatre, num_tickets=50, price_cents=10000, tags=('old',))
    make_booking(make_user(), show, tickets=5)
    with pytest.raises(Conflict, match='5 tickets are already sold') as error, session_scope() as s:
        shows.update_show(s, actor_id=manager.id, show_id=show.id, **{**SHOW, 'num_tickets': 4})
    assert error.value.field == 'num_tickets'
    with session_scope() as s:
        updated = shows.update_show(s, actor_id=manager.id, show_id=show.id, **{**SHOW, 'num_tickets': 5})
    assert (updated.num_tickets, updated.tickets_left, updated.price_cents, updated.tags) == (
        5,
        0,
        25050,
        ['drama', 'english'],
    )
    with session_scope() as s:
        assert s.scalars(select(Booking.price_cents)).one() == 10000


def test_past_show_can_be_edited_without_moving_it(manager):
    theatre = make_theatre(manager)
    # SHOW's tickets and price: a started show keeps its time, tickets and price (tests/services/test_started_show.py)
    show = make_show(theatre, starts_in=-dt.timedelta(days=1), num_tickets=100, price_cents=25050)
    with session_scope() as s:
        updated = shows.update_show(s, actor_id=manager.id, show_id=show.id, **{**SHOW, 'starts_at': show.starts_at})
    assert updated.name == 'Hamlet'


def test_theatre_capacity_cannot_drop_below_a_shows_tickets(manager):
    theatre = make_theatre(manager, capacity=200)
    make_show(theatre, num_tickets=120)
    with pytest.raises(Conflict, match='below 120') as error, session_scope() as s:
        theatres.update_theatre(s, actor_id=manager.id, theatre_id=theatre.id, name='T', place='P', capacity=119)
    assert error.value.field == 'capacity'
    with session_scope() as s:
        assert s.get_one(Theatre, theatre.id).capacity == 200


def test_delete_is_refused_while_confirmed_bookings_exist(manager):
    theatre = make_theatre(manager)
    show = make_show(theatre)
    make_booking(make_user(), show, tickets=3)
    with pytest.raises(Conflict, match='1 confirmed booking'), session_scope() as s:
        shows.delete_show(s, actor_id=manager.id, show_id=show.id)
    with pytest.raises(Conflict, match='1 confirmed booking'), session_scope() as s:
        theatres.delete_theatre(s, actor_id=manager.id, theatre_id=theatre.id)
    assert (_count(Theatre), _count(Show), _count(Booking)) == (1, 1, 1)


def test_delete_takes_cancelled_bookings_and_tags_along(manager):
    theatre = make_theatre(manager)
    show = make_show(theatre, tags=('drama',))
    other = make_show(theatre)
    make_booking(make_user(), show, tickets=3, status=BookingStatus.CANCELLED)
    with session_scope() as s:
        shows.delete_show(s, actor_id=manager.id, show_id=show.id)
    assert (_count(Show), _count(Booking), _count(ShowTag)) == (1, 0, 0)
    with session_scope() as s:
        theatres.delete_theatre(s, actor_id=manager.id, theatre_id=theatre.id)
    assert (_count(Theatre), _count(Show)) == (0, 0)
    assert other.id
