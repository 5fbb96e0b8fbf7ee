"""Sign-up, log-in and log-out as a person meets them: messages beside the fields, sessions that start and end."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlalchemy import select

from models import LoginSession, Role, SessionKind
from models import User as Account
from models.db import session_scope
from tests.factories import PASSWORD, make_user
from tests.ui.helpers import (
    count,
    elements,
    error_of,
    eventually,
    field,
    landed_on,
    live_sessions,
    log_in,
)

SIGNUP_FIELDS = {
    'username': 'Username',
    'name': 'Full name',
    'email': 'Email',
    'password': 'Password',
    'password_confirm': 'Password again',
}
GOOD_SIGNUP = {
    'username': 'asha',
    'name': 'Asha Rao',
    'email': 'asha@example.com',
    'password': 'long-enough-1',
    'password_confirm': 'long-enough-1',
}


async def sign_up(user: User, **changes: str) -> None:
    await user.open('/signup')
    for name, value in {**GOOD_SIGNUP, **changes}.items():
        field(user, SIGNUP_FIELDS[name]).type(value)
    user.find(marker='signup-submit').click()


async def test_sign_up_logs_the_person_in(user: User) -> None:
    await sign_up(user)
    await user.should_see('Welcome, Asha Rao!')
    await eventually(lambda: 'Asha Rao' in [e.text for e in elements(user, marker='header-name')])
    with session_scope() as session:
        accounts = session.scalars(select(Account)).all()
        assert [(a.username, a.name, a.email, a.role) for a in accounts] == [
            ('asha', 'Asha Rao', 'asha@example.com', Role.USER)
        ]
    await landed_on(user, '/')
    assert [s.kind for s in live_sessions('asha')] == [SessionKind.BROWSER]


async def test_sign_up_as_a_manager_opens_the_dashboard(user: User) -> None:
    await user.open('/signup')
    for name, value in GOOD_SIGNUP.items():
        field(user, SIGNUP_FIELDS[name]).type(value)
    user.find(marker='role').elements.pop().value = Role.MANAGER
    user.find(marker='signup-submit').click()
    await user.should_see(marker='header-name')
    assert count(Account, Account.username == 'asha', Account.role == Role.MANAGER) == 1
    await user.open('/manage')
    await user.should_see('No theatres yet')


async def test_a_taken_username_is_refused_beside_the_field(user: User) -> None:
    make_user(username='asha', name='The First Asha')
    await sign_up(user, username='Asha')  # usernames are case-insensitive
    await user.should_see('The username "asha" is taken; choose another.')
    assert error_of(user, 'Username') == 'The username "asha" is taken; choose another.'
    assert count(Account) == 1
    assert count(LoginSession) == 0
    await user.should_not_see(marker='header-name')


async def test_the_two_passwords_must_match(user: User) -> None:
    await sign_up(user, password_confirm='long-enough-2')
    await user.should_see('The two passwords differ.')
    assert error_of(user, 'Password again') == 'The two passwords differ.'
    assert error_of(user, 'Password') is None
    assert count(Account) == 0


@pytest.mark.parametrize(
    ('changes', 'label', 'message'),
    [
        ({'username': ''}, 'Username', 'Username is required.'),
        ({'username': 'ab'}, 'Username', 'Username must be 3–32 letters, digits, dots, dashes or underscores.'),
        ({'username': 'asha rao!'}, 'Username', 'Username must be 3–32 letters, digits, dots, dashes or underscores.'),
        ({'name': ''}, 'Full name', 'Full name is required.'),
        ({'name': '<script>alert(1)</script>'}, 'Full name', 'Full name must not contain < or >.'),
        ({'name': 'A' * 101}, 'Full name', 'Full name must be at most 100 characters.'),
        ({'email': 'asha@example'}, 'Email', 'Enter an email address like name@example.com.'),
        ({'password': 'short', 'password_confirm': 'short'}, 'Password', 'Password must be 8–128 characters.'),
    ],
    ids=[
        'empty-username',
        'short-username',
        'bad-characters',
        'empty-name',
        'script-in-name',
        'name-101-chars',
        'bad-email',
        'short-password',
    ],
)
async def test_bad_sign_up_input_is_shown_beside_its_field(
    user: User, changes: dict[str, str], label: str, message: str
) -> None:
    await sign_up(user, **changes)
    await user.should_see(message)
    assert error_of(user, label) == message
    assert all(error_of(user, other) is None for other in SIGNUP_FIELDS.values() if other != label)
    assert count(Account) == 0
    assert count(LoginSession) == 0


@pytest.mark.parametrize('username', ['asha', 'nobody'], ids=['wrong-password', 'unknown-user'])
async def test_wrong_logins_get_one_neutral_message(user: User, username: str) -> None:
    make_user(username='asha')
    await user.open('/login')
    user.find('Username').type(username)
    user.find('Password').type('not-the-password')
    user.find(marker='login-submit').click()
    await user.should_see('Wrong username or password.')
    assert user.notify.messages == ['Wrong username or password.']  # nothing hints which part was wrong
    assert count(LoginSession) == 0
    await user.should_not_see(marker='header-name')


async def test_login_returns_to_the_page_asked_for(user: User) -> None:
    make_user(username='asha', name='Asha Rao')
    await user.open('/login?redirect_to=/bookings')
    await user.should_see(marker='login-reason')
    user.find('Username').type('Asha')
    user.find('Password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await landed_on(user, '/bookings')
    await user.should_see(marker='upcoming')
    assert [e.text for e in elements(user, marker='header-name')] == ['Asha Rao']


async def test_login_never_redirects_to_another_site(user: User) -> None:
    make_user(username='asha')
    await log_in(user, 'asha', target='//evil.example.com/')
    await landed_on(user, '/')
    await user.should_see('Upcoming shows')


async def test_logout_ends_the_session(user: User) -> None:
    make_user(username='asha')
    await log_in(user, 'asha', target='/bookings')
    await landed_on(user, '/bookings')
    await user.should_see(marker='upcoming')
    assert len(live_sessions('asha')) == 1
    await user.open('/logout')  # a link only asks
    await user.should_see('Log out of TicketShow')
    assert len(live_sessions('asha')) == 1
    user.find(marker='logout-submit').click()
    await landed_on(user, '/auth/renew')
    await user.should_not_see(marker='header-name')
    assert live_sessions('asha') == []
    await user.open('/bookings')
    await user.should_see(marker='login-reason')
    await user.should_not_see(marker='upcoming')
