"""Sessions end at once: logout, ending a device, a password change, an admin disabling the account."""

import pytest
from nicegui import app
from nicegui.testing import User

from models.db import session_scope
from services import auth, sessions
from services.errors import Unauthenticated
from services.sessions import Principal
from tests.factories import PASSWORD, make_user
from tests.ui.helpers import log_in


async def test_account_lists_devices_and_ends_another_one(user: User) -> None:
    asha = make_user(username='asha', name='Asha Rao')
    phone = sessions.store().create(Principal.of(asha), device='Safari on iPhone', client='10.0.0.7')
    await log_in(user, 'asha', target='/account')
    await user.should_see('Where you are logged in')
    await user.should_see('Safari on iPhone')
    await user.should_see('This device')
    user.find(marker='end-session').click()  # the only other device
    await user.should_see('That device is logged out.')
    assert sessions.store().get(phone) is None
    assert sessions.store().get(app.storage.user['token']) is not None


async def test_password_change_logs_out_other_devices_and_checks_input(user: User) -> None:
    asha = make_user(username='asha')
    laptop = sessions.store().create(Principal.of(asha), device='Firefox on Linux')
    await log_in(user, 'asha', target='/account')
    await user.should_see('Change password')
    user.find(marker='current_password').type('not-my-password')
    user.find(marker='new_password').type('new-password-1')
    user.find(marker='new_password_confirm').type('new-password-1')
    user.find(marker='change-password').click()
    await user.should_see('This is not your current password.')
    assert sessions.store().get(laptop) is not None
    user.find(marker='current_password').clear().type(PASSWORD)
    user.find(marker='change-password').click()
    await user.should_see('Password changed; your other devices are logged out.')
    assert sessions.store().get(laptop) is None
    await user.open('/bookings')
    await user.should_see('My bookings')  # this device stays logged in


async def test_a_revoked_session_is_sent_to_log_in_at_the_next_page(user: User) -> None:
    make_user(username='asha')
    await log_in(user, 'asha', target='/bookings')
    await user.should_see('No upcoming bookings')
    sessions.store().revoke(app.storage.user['token'])
    await user.open('/bookings')
    await user.should_see('Please log in to continue.')


async def test_admin_disables_an_account_and_its_sessions_end(user: User) -> None:
    make_user(username='root', role='admin')
    ravi = make_user(username='ravi', name='Ravi Kumar')
    ravi_token = sessions.store().create(Principal.of(ravi))
    await log_in(user, 'root', target='/admin/users')
    await user.should_see('Ravi Kumar (@ravi)')
    user.find(marker='toggle-user').click()  # an admin has no button for themself
    await user.should_see('ravi is disabled and logged out.')
    assert sessions.store().get(ravi_token) is None


async def test_only_admins_see_the_user_list(user: User) -> None:
    make_user(username='meera', role='manager')
    await log_in(user, 'meera', target='/admin/users')
    await user.should_see(marker='not-allowed')
    await user.should_not_see('(@meera)')


async def test_login_throttling_says_when_to_try_again(user: User) -> None:
    make_user(username='asha')
    for attempt in range(5):  # five failures for this username, from another address
        with pytest.raises(Unauthenticated), session_scope() as s:
            auth.log_in(s, username='asha', password=f'wrong-{attempt}', client='10.6.6.6', device='script')
    await user.open('/login')
    user.find('Username').type('asha')
    user.find('Password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await user.should_see('Too many failed logins. Try again in 15 minutes.')
    assert 'token' not in app.storage.user
