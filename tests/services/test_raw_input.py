"""Service inputs are typed for what the pages and the API hand over, but a browser keeps no promise about types:
a value of a type outside the signature is refused beside its field, like any other wrong value, and changes
nothing. An id that is not a whole number names nothing."""

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from models import Booking, Role, Show, Theatre, User
from models.db import session_scope, utcnow
from services import auth, booking, shows, theatres
from services.errors import Invalid, NotFound
from tests.factories import make_show, make_theatre, make_user, tickets_sold

THEATRE = {'name': 'Prithvi', 'place': 'Mumbai', 'capacity': 150}
SHOW = {
    'name': 'Hamlet',
    'rating': 4.5,
    'tags': 'drama',
    'ticket_price': '250',
    'num_tickets': 100,
    'starts_at': utcnow() + dt.timedelta(days=2),
}
SIGNUP = {'username': 'asha', 'name': 'Asha Rao', 'email': 'asha@example.com', 'password': 's3cret-pass'}


def _count(model: Any) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def manager(database):
    return make_user(role=Role.MANAGER)


@pytest.mark.parametrize(
    ('field', 'value', 'message'),
    [
        ('name', 42, 'Name must be text.'),
        ('place', ['Mumbai'], 'Place must be text.'),
        ('capacity', [150], 'Capacity must be a whole number.'),
        ('capacity', {'seats': 150}, 'Capacity must be a whole number.'),
    ],
)
def test_a_theatre_field_of_the_wrong_type_is_refused(manager, field, value, message):
    with pytest.raises(Invalid) as error, session_scope() as s:
        theatres.create_theatre(s, actor_id=manager.id, **{**THEATRE, field: value})
    assert error.value.errors == {field: message}
    assert _count(Theatre) == 0


@pytest.mark.parametrize(
    ('field', 'value', 'message'),
    [
        ('name', b'Hamlet', 'Show name must be text.'),
        ('rating', [4.5], 'Rating must be a number from 0 to 5.'),
        ('tags', 42, 'Tags must be a list of words.'),
        ('tags', ['drama', 7], 'Each tag must be text.'),
        ('ticket_price', {'amount': 250}, 'Ticket price must be a number, like 250 or 250.50.'),
        ('num_tickets', [100], 'Number of tickets must be a whole number.'),
        ('starts_at', 1_900_000_000, 'Date and time is required.'),
        ('starts_at', ('2030-01-01',), 'Date and time is required.'),
    ],
)
def test_a_show_field_of_the_wrong_type_is_refused(manager, field, value, message):
    theatre = make_theatre(manager)
    with pytest.raises(Invalid) as error, session_scope() as s:
        shows.create_show(s, actor_id=manager.id, theatre_id=theatre.id, **{**SHOW, field: value})
    assert error.value.errors == {field: message}
    assert _count(Show) == 0


@pytest.mark.parametrize('tickets', [[2], {'count': 2}, b'2'])
def test_a_ticket_count_of_the_wrong_type_is_refused(manager, tickets):
    show = make_show(make_theatre(manager))
    buyer = make_user()
    with pytest.raises(Invalid) as error, session_scope() as s:
        booking.book(s, show_id=show.id, user_id=buyer.id, tickets=tickets)
    assert error.value.errors == {'tickets': 'Number of tickets must be a whole number.'}
    assert (_count(Booking), tickets_sold(show.id)) == (0, 0)


@pytest.mark.parametrize(
    ('field', 'value', 'message'),
    [
        ('username', 42, 'Username is required.'),
        ('email', ['asha@example.com'], 'Email is required.'),
        ('password', 12345678, 'Password is required.'),
        ('role', ['manager'], 'Choose audience member or theatre manager.'),
        ('role', Role.ADMIN, 'Choose audience member or theatre manager.'),  # a member, but not one to sign up as
    ],
)
def test_a_signup_field_of_the_wrong_type_is_refused(database, field, value, message):
    with pytest.raises(Invalid) as error, session_scope() as s:
        auth.signup(s, **{**SIGNUP, field: value})
    assert error.value.errors == {field: message}
    assert _count(User) == 0


def test_a_signup_role_as_the_form_sends_it_is_stored_as_a_member(database):
    with session_scope() as s:
        user = auth.signup(s, **SIGNUP, role='manager')
    with session_scope() as s:
        assert s.get_one(User, user.id).role is Role.MANAGER


def test_an_id_given_as_text_names_nothing(manager):
    theatre = make_theatre(manager)
    show = make_show(theatre)
    buyer = make_user()
    with pytest.raises(NotFound), session_scope() as s:
        booking.book(s, show_id=str(show.id), user_id=buyer.id, tickets=1)
    with pytest.raises(NotFound), session_scope() as s:
        theatres.update_theatre(s, actor_id=manager.id, theatre_id=str(theatre.id), **THEATRE)
    assert (_count(Booking), tickets_sold(show.id)) == (0, 0)
    with session_scope() as s:
        assert s.get_one(Theatre, theatre.id).name != THEATRE['name']
