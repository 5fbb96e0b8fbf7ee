"""Sessions end at once: logout, ending a device, a password change, an admin disabling the account."""

import pytest
from nicegui.testing import User

from models import Role
from models.db import session_scope
from services import auth, sessions
from services.errors import TooManyAttempts, Unauthenticated
from tests.factories import PASSWORD, make_user
from tests.ui.helpers import api_token, landed_on, live_sessions, log_in, shows_error_pages, token_works


async def test_account_lists_devices_and_ends_another_one(user: User) -> None:
    make_user(username='asha', name='Asha Rao')
    phone = api_token('asha', device='Safari on iPhone', client='10.0.0.7')
    await log_in(user, 'asha', target='/account')
    await user.should_see('Where you are logged in')
    await user.should_see('Safari on iPhone')
    await user.should_see('This device')
    user.find(marker='end-session').click()  # the only other device
    await user.should_see('That device is logged out.')
    assert not token_works(phone)
    assert [s.kind for s in live_sessions('asha')] == ['browser']  # this one stays


async def test_password_change_logs_out_other_devices_and_checks_input(user: User) -> None:
    make_user(username='asha')
    laptop = api_token('asha', device='Firefox on Linux')
    await log_in(user, 'asha', target='/account')
    await user.should_see('Change password')
    user.find(marker='current_password').type('not-my-password')
    user.find(marker='new_password').type('new-password-1')
    user.find(marker='new_password_confirm').type('new-password-1')
    user.find(marker='change-password').click()
    await user.should_see('This is not your current password.')
    assert token_works(laptop)
    user.find(marker='current_password').clear().type(PASSWORD)
    user.find(marker='change-password').click()
    await user.should_see('Password changed; your other devices are logged out.')
    assert not token_works(laptop)
    await user.open('/bookings')
    await user.should_see('My bookings')  # this device stays logged in


async def test_a_revoked_session_is_sent_to_log_in_at_the_next_page(user: User) -> None:
    make_user(username='asha')
    await log_in(user, 'asha', target='/bookings')
    await user.should_see('No upcoming bookings')
    await landed_on(user, '/bookings')
    (mine,) = live_sessions('asha')
    with session_scope() as s:
        sessions.end(s, user_id=mine.user_id, session_id=mine.id)
    await user.open('/bookings')
    await user.should_see('Please log in to continue.')


async def test_admin_disables_an_account_and_its_sessions_end(user: User) -> None:
    make_user(username='root', role=Role.ADMIN)
    make_user(username='ravi', name='Ravi Kumar')
    ravi_token = api_token('ravi')
    await log_in(user, 'root', target='/admin/users')
    await user.should_see('Ravi Kumar (@ravi)')
    await user.should_see('Audience member · ')  # the role by its name, not the stored 'user'
    user.find(marker='toggle-user').click()  # an admin has no button for themself
    await user.should_see('Disable ravi?')  # asked first: keeping the account changes nothing
    user.find('Cancel').click()
    await user.should_not_see('Disable ravi?')
    assert token_works(ravi_token)
    user.find(marker='toggle-user').click()
    await user.should_see(marker='confirm-disable')
    user.find(marker='confirm-disable').click()
    await user.should_see('ravi is disabled and logged out.')
    assert not token_works(ravi_token)


async def test_only_admins_see_the_user_list(user: User) -> None:
    make_user(username='meera', role=Role.MANAGER)
    shows_error_pages(user)  # the refusal answers 403
    await log_in(user, 'meera', target='/admin/users')
    await user.should_see(marker='not-allowed')
    await user.should_not_see('(@meera)')


async def test_failures_from_elsewhere_do_not_keep_the_owner_out(user: User) -> None:
    make_user(username='asha')
    for attempt in range(8):  # someone else guessing, from another address
        with pytest.raises(Exception), session_scope() as s:
            auth.log_in(s, username='asha', password=f'wrong-{attempt}', client='10.6.6.6', device='script')
    await log_in(user, 'asha', target='/bookings')
    await landed_on(user, '/bookings')
    await user.should_see(marker='upcoming')


async def test_login_throttling_says_when_to_try_again(user: User) -> None:
    make_user(username='asha')
    for attempt in range(5):  # five failures for this account from this browser's address (the test client's)
        with pytest.raises(Unauthenticated), session_scope() as s:
            auth.log_in(s, username='asha', password=f'wrong-{attempt}', client='127.0.0.1', device='script')
    await user.open('/login')
    user.find('Username').type('asha')
    user.find('Password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await user.should_see('Too many failed logins. Try again in 15 minutes.')
    assert live_sessions('asha') == []


async def test_an_admin_lifts_the_login_limits_of_an_account(user: User) -> None:
    make_user(username='root', role=Role.ADMIN)
    make_user(username='ravi', name='Ravi Kumar')
    for attempt in range(5):
        with pytest.raises(Unauthenticated), session_scope() as s:
            auth.log_in(s, username='ravi', password=f'wrong-{attempt}', client='10.7.7.7', device='script')
    with pytest.raises(TooManyAttempts), session_scope() as s:
        auth.log_in(s, username='ravi', password=PASSWORD, client='10.7.7.7', device='script')
    await log_in(user, 'root', target='/admin/users')
    await user.should_see('Ravi Kumar (@ravi)')
    user.find(marker='lift-ravi').click()
    await user.should_see('ravi may try to log in again from anywhere.')
    with session_scope() as s:
        assert (
            auth.log_in(s, username='ravi', password=PASSWORD, client='10.7.7.7', device='script')[0].username == 'ravi'
        )
