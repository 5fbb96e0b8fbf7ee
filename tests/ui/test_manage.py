"""The manager's dashboard: theatres and shows added, edited and deleted in dialogs; bad input and refusals."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from nicegui.testing import User
from sqlalchemy import select

from models import Booking, BookingStatus, Role, Show, Theatre
from models import User as Account
from models.db import session_scope, utcnow
from tests.factories import make_booking, make_show, make_theatre, make_user, tickets_sold
from tests.ui.helpers import count, error_of, field, landed_on, log_in, open_dialog

KOLKATA = ZoneInfo('Asia/Kolkata')  # the app's time zone in these tests (tests/ui/conftest.py)
THEATRE_LABELS = {'name': 'Theatre name', 'place': 'Place (city or area)', 'capacity': 'Capacity (seats)'}
GOOD_THEATRE = {'name': 'Prithvi', 'place': 'Mumbai', 'capacity': '200'}
SHOW_LABELS = {
    'name': 'Show name',
    'rating': 'Rating (0–5)',
    'tags': 'Tags, separated by commas',
    'ticket_price': 'Ticket price',
    'num_tickets': 'Number of tickets (at most 200)',
    'date': 'Date',
    'time': 'Time',
}


def in_days(days: int) -> str:
    return (utcnow().astimezone(KOLKATA).date() + dt.timedelta(days=days)).isoformat()


def good_show() -> dict[str, str]:
    return {
        'name': 'Hamlet',
        'rating': '4.5',
        'tags': 'Drama, english',
        'ticket_price': '250.50',
        'num_tickets': '120',
        'date': in_days(10),
        'time': '19:30',
    }


def fill(user: User, labels: dict[str, str], values: dict[str, str]) -> None:
    for name, value in values.items():
        field(user, labels[name]).clear().type(value)


def make_manager() -> Account:
    return make_user(username='meera', role=Role.MANAGER, name='Meera Nair')


async def open_dashboard(user: User, username: str = 'meera') -> None:
    """Log in and open /manage; seed data first (the factories write past the cache the dashboard reads)."""
    await log_in(user, username, target='/manage')
    await landed_on(user, '/manage')
    await user.should_see(marker='add-theatre')


async def dashboard_as_manager(user: User) -> None:
    make_manager()
    await open_dashboard(user)


def only_theatre() -> Theatre:
    with session_scope() as session:
        return session.scalars(select(Theatre)).one()


def shows_of(theatre_id: int) -> list[Show]:
    with session_scope() as session:
        return list(session.scalars(select(Show).where(Show.theatre_id == theatre_id)))


async def test_add_a_theatre(user: User) -> None:
    await dashboard_as_manager(user)
    await user.should_see('No theatres yet')
    user.find(marker='add-theatre').click()
    await open_dialog(user, 'theatre-dialog')
    fill(user, THEATRE_LABELS, {'name': ' Prithvi ', 'place': 'Mumbai', 'capacity': '250'})
    user.find(marker='save').click()
    await user.should_see('Theatre added.')
    theatre = only_theatre()
    assert (theatre.name, theatre.place, theatre.capacity) == ('Prithvi', 'Mumbai', 250)
    with session_scope() as session:
        assert session.get_one(Theatre, theatre.id).owner.username == 'meera'
    await user.should_see(marker=f'theatre-{theatre.id}')  # the board redraws after the notification
    with user.scope(marker=f'theatre-{theatre.id}'):
        await user.should_see('Prithvi')
        await user.should_see('Mumbai · 250 seats · 0 shows')
    await user.should_not_see(marker='theatre-dialog')


async def test_cancelling_the_theatre_dialog_adds_nothing(user: User) -> None:
    await dashboard_as_manager(user)
    user.find(marker='add-theatre').click()
    await open_dialog(user, 'theatre-dialog')
    fill(user, THEATRE_LABELS, GOOD_THEATRE)
    user.find('Cancel').click()
    await user.should_not_see(marker='theatre-dialog')
    assert count(Theatre) == 0


@pytest.mark.parametrize(
    ('changes', 'label', 'message'),
    [
        ({'name': ''}, 'Theatre name', 'Name is required.'),
        ({'capacity': '0'}, 'Capacity (seats)', 'Capacity must be between 1 and 100,000.'),
        ({'capacity': 'abc'}, 'Capacity (seats)', 'Capacity must be a whole number.'),
        ({'capacity': '100001'}, 'Capacity (seats)', 'Capacity must be between 1 and 100,000.'),
        ({'place': '<b>Mumbai</b>'}, 'Place (city or area)', 'Place must not contain < or >.'),
    ],
    ids=['empty-name', 'capacity-0', 'capacity-abc', 'capacity-100001', 'markup-in-place'],
)
async def test_bad_theatre_input_is_shown_beside_its_field(
    user: User, changes: dict[str, str], label: str, message: str
) -> None:
    await dashboard_as_manager(user)
    user.find(marker='add-theatre').click()
    await open_dialog(user, 'theatre-dialog')
    fill(user, THEATRE_LABELS, {**GOOD_THEATRE, **changes})
    user.find(marker='save').click()
    await user.should_see(message)
    assert error_of(user, label) == message
    assert all(error_of(user, other) is None for other in THEATRE_LABELS.values() if other != label)
    assert count(Theatre) == 0
    await user.should_see(marker='theatre-dialog')  # still open, the input kept for correcting
    assert field(user, 'Theatre name').elements.pop().value == {**GOOD_THEATRE, **changes}['name']


async def test_a_corrected_theatre_form_saves(user: User) -> None:
    await dashboard_as_manager(user)
    user.find(marker='add-theatre').click()
    await open_dialog(user, 'theatre-dialog')
    fill(user, THEATRE_LABELS, {**GOOD_THEATRE, 'capacity': 'abc'})
    user.find(marker='save').click()
    await user.should_see('Capacity must be a whole number.')
    fill(user, THEATRE_LABELS, {'capacity': '300'})
    user.find(marker='save').click()
    await user.should_see('Theatre added.')
    assert only_theatre().capacity == 300


async def test_capacity_cannot_drop_below_a_show(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi', capacity=200)
    make_show(theatre, name='Hamlet', num_tickets=150)
    await open_dashboard(user)
    with user.scope(marker=f'theatre-{theatre.id}'):
        user.find(marker='edit-theatre').click()
    await open_dialog(user, 'theatre-dialog')
    fill(user, THEATRE_LABELS, {'capacity': '100'})
    user.find(marker='save').click()
    message = 'Capacity cannot drop below 150: a show of this theatre offers that many tickets.'
    await user.should_see(message)
    assert error_of(user, 'Capacity (seats)') == message
    assert only_theatre().capacity == 200


async def open_show_dialog(user: User, *, add_to: Theatre | None = None, edit: Show | None = None) -> None:
    if add_to is not None:
        with user.scope(marker=f'theatre-{add_to.id}'):
            user.find(marker='add-show').click()
    else:
        assert edit is not None
        with user.scope(marker=f'manage-show-{edit.id}'):
            user.find(marker='edit-show').click()
    await open_dialog(user, 'show-dialog')


async def test_add_a_show(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi', capacity=200)
    await open_dashboard(user)
    await user.should_see('No shows yet: add one to start selling tickets.')
    await open_show_dialog(user, add_to=theatre)
    fill(user, SHOW_LABELS, good_show())
    user.find(marker='save').click()
    await user.should_see('Show added.')
    (show,) = shows_of(theatre.id)
    starts_at = dt.datetime.combine(dt.date.fromisoformat(in_days(10)), dt.time(19, 30), tzinfo=KOLKATA)
    assert (show.name, show.rating, show.tags, show.price_cents, show.num_tickets, show.tickets_sold) == (
        'Hamlet',
        4.5,
        ['drama', 'english'],
        25050,
        120,
        0,
    )
    assert show.starts_at == starts_at
    await user.should_see(marker=f'manage-show-{show.id}')  # the board redraws after the notification
    with user.scope(marker=f'manage-show-{show.id}'):
        await user.should_see('Hamlet')
        await user.should_see('₹250.50 · 0/120 sold · drama, english')
    await user.open('/')  # on sale at once
    await user.should_see(marker=f'show-{show.id}')


@pytest.mark.parametrize(
    ('changes', 'label', 'message'),
    [
        ({'rating': '6'}, 'Rating (0–5)', 'Rating must be a number from 0 to 5.'),
        ({'rating': 'x'}, 'Rating (0–5)', 'Rating must be a number from 0 to 5.'),
        ({'ticket_price': '-1'}, 'Ticket price', 'Ticket price must not be negative.'),
        ({'ticket_price': 'abc'}, 'Ticket price', 'Ticket price must be a number, like 250 or 250.50.'),
        ({'ticket_price': '1.234'}, 'Ticket price', 'Ticket price can have at most two decimals.'),
        (
            {'num_tickets': '201'},
            'Number of tickets (at most 200)',
            'Number of tickets must be between 1 and 200.',
        ),
        ({'date': in_days(-1)}, 'Date', 'Date and time must be in the future.'),
        ({'date': ''}, 'Date', 'Date is required.'),
    ],
    ids=[
        'rating-6',
        'rating-x',
        'price-negative',
        'price-abc',
        'price-3-decimals',
        'tickets-above-capacity',
        'date-in-the-past',
        'empty-date',
    ],
)
async def test_bad_show_input_is_shown_beside_its_field(
    user: User, changes: dict[str, str], label: str, message: str
) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi', capacity=200)
    await open_dashboard(user)
    await open_show_dialog(user, add_to=theatre)
    fill(user, SHOW_LABELS, {**good_show(), **changes})
    user.find(marker='save').click()
    await user.should_see(message)
    assert error_of(user, label) == message
    assert all(error_of(user, other) is None for other in SHOW_LABELS.values() if other != label)
    assert count(Show) == 0
    await user.should_see(marker='show-dialog')


async def test_edit_a_show(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi', capacity=200)
    show = make_show(theatre, name='Hamlet', num_tickets=50, price_cents=25000, rating=4.0, tags=('drama',))
    make_booking(make_user(), show, tickets=2)
    await open_dashboard(user)
    await open_show_dialog(user, edit=show)
    assert field(user, 'Show name').elements.pop().value == 'Hamlet'
    assert field(user, 'Ticket price').elements.pop().value == '250'
    fill(user, SHOW_LABELS, {'name': 'Hamlet (revival)', 'ticket_price': '300', 'num_tickets': '80', 'tags': 'classic'})
    user.find(marker='save').click()
    await user.should_see('Show saved.')
    (saved,) = shows_of(theatre.id)
    assert (saved.name, saved.price_cents, saved.num_tickets, saved.tags, saved.tickets_sold) == (
        'Hamlet (revival)',
        30000,
        80,
        ['classic'],
        2,
    )
    assert saved.starts_at == show.starts_at  # the untouched date and time leave the start as it was
    with session_scope() as session:
        assert session.scalars(select(Booking.price_cents)).one() == 25000  # bookings keep their price
    await user.should_see('Hamlet (revival)')  # the redrawn board, not the row it replaces
    with user.scope(marker=f'manage-show-{show.id}'):
        await user.should_see('Hamlet (revival)')
        await user.should_see('₹300 · 2/80 sold · classic')


async def test_tickets_cannot_drop_below_those_sold(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi', capacity=200)
    show = make_show(theatre, name='Hamlet', num_tickets=50)
    make_booking(make_user(), show, tickets=5)
    await open_dashboard(user)
    await open_show_dialog(user, edit=show)
    fill(user, SHOW_LABELS, {'num_tickets': '3', 'name': 'Renamed'})
    user.find(marker='save').click()
    message = '5 tickets are already sold; the number of tickets cannot be lower.'
    await user.should_see(message)
    assert error_of(user, 'Number of tickets (at most 200)') == message
    (unchanged,) = shows_of(theatre.id)
    assert (unchanged.name, unchanged.num_tickets, unchanged.tickets_sold) == ('Hamlet', 50, 5)


async def test_a_started_show_can_still_be_edited(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi', capacity=200)
    show = make_show(theatre, name='Hamlet', starts_in=-dt.timedelta(hours=1))
    await open_dashboard(user)
    await open_show_dialog(user, edit=show)
    fill(user, SHOW_LABELS, {'rating': '4.8'})
    user.find(marker='save').click()
    await user.should_see('Show saved.')
    (saved,) = shows_of(theatre.id)
    assert saved.rating == 4.8
    assert saved.starts_at == show.starts_at


async def test_delete_a_show(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi')
    show = make_show(theatre, name='Hamlet')
    kept = make_show(theatre, name='Tughlaq')
    make_booking(make_user(), show, tickets=2, status=BookingStatus.CANCELLED)  # cancelled bookings do not hold a show
    await open_dashboard(user)
    with user.scope(marker=f'manage-show-{show.id}'):
        user.find(marker='delete-show').click()
    await open_dialog(user, 'confirm-dialog')
    user.find(marker='confirm-delete').click()
    await user.should_see('Show deleted.')
    assert [s.id for s in shows_of(theatre.id)] == [kept.id]
    await user.should_not_see(marker=f'manage-show-{show.id}')
    await user.should_see(marker=f'manage-show-{kept.id}')


async def test_keeping_a_show_deletes_nothing(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi')
    show = make_show(theatre, name='Hamlet')
    await open_dashboard(user)
    with user.scope(marker=f'manage-show-{show.id}'):
        user.find(marker='delete-show').click()
    await open_dialog(user, 'confirm-dialog')
    user.find('Keep').click()
    await user.should_not_see(marker='confirm-dialog')
    assert count(Show) == 1


async def test_a_show_with_confirmed_bookings_is_not_deleted(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi')
    show = make_show(theatre, name='Hamlet')
    make_booking(make_user(), show, tickets=2)
    await open_dashboard(user)
    with user.scope(marker=f'manage-show-{show.id}'):
        user.find(marker='delete-show').click()
    await open_dialog(user, 'confirm-dialog')
    user.find(marker='confirm-delete').click()
    await user.should_see('"Hamlet" has 1 confirmed booking for 2 tickets; it can be deleted once none are left.')
    assert count(Show) == 1
    assert count(Booking) == 1
    assert tickets_sold(show.id) == 2
    await user.should_see(marker=f'manage-show-{show.id}')


async def test_delete_a_theatre_with_its_shows(user: User) -> None:
    manager = make_manager()
    theatre = make_theatre(manager, name='Prithvi')
    make_show(theatre, name='Hamlet')
    other = make_theatre(manager, name='Ranga Shankara')
    await open_dashboard(user)
    with user.scope(marker=f'theatre-{theatre.id}'):
        user.find(marker='delete-theatre').click()
    await open_dialog(user, 'confirm-dialog')
    user.find(marker='confirm-delete').click()
    await user.should_see('Theatre deleted.')
    assert only_theatre().id == other.id
    assert count(Show) == 0
    await user.should_not_see(marker=f'theatre-{theatre.id}')


async def test_a_theatre_with_confirmed_bookings_is_not_deleted(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi')
    make_show(theatre, name='Hamlet')
    booked = make_show(theatre, name='Tughlaq')
    make_booking(make_user(), booked, tickets=3)
    await open_dashboard(user)
    with user.scope(marker=f'theatre-{theatre.id}'):
        user.find(marker='delete-theatre').click()
    await open_dialog(user, 'confirm-dialog')
    user.find(marker='confirm-delete').click()
    await user.should_see('"Prithvi" has 1 confirmed booking for 3 tickets; it can be deleted once none are left.')
    assert count(Theatre) == 1
    assert count(Show) == 2
    assert count(Booking) == 1
    await user.should_see(marker=f'theatre-{theatre.id}')
