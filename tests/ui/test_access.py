"""Who sees what: the dashboard by role and owner, and pages that need a login sending people there and back."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from models import Role, Theatre
from tests.factories import PASSWORD, make_show, make_theatre, make_user
from tests.ui.helpers import count, landed_on, log_in, shows_error_pages, texts


def two_managers_theatres() -> tuple[Theatre, Theatre]:
    meera = make_user(username='meera', role=Role.MANAGER, name='Meera Nair')
    ravi = make_user(username='ravi', role=Role.MANAGER, name='Ravi Kumar')
    mine = make_theatre(meera, name='Prithvi', place='Mumbai')
    theirs = make_theatre(ravi, name='Ranga Shankara', place='Bengaluru')
    make_show(mine, name='Hamlet')
    make_show(theirs, name='Tughlaq')
    return mine, theirs


async def test_an_audience_member_is_not_allowed_on_the_dashboard(user: User) -> None:
    two_managers_theatres()
    make_user(username='asha')
    shows_error_pages(user)  # the refusal answers 403
    await log_in(user, 'asha', target='/manage')
    await landed_on(user, '/manage')
    await user.should_see(marker='not-allowed')
    await user.should_not_see(marker='add-theatre')
    await user.should_not_see('Prithvi')
    await user.should_not_see('Ranga Shankara')
    await user.should_not_see('Dashboard')  # and the navigation does not offer it


async def test_a_manager_sees_only_their_own_theatres(user: User) -> None:
    mine, theirs = two_managers_theatres()
    await log_in(user, 'meera', target='/manage')
    await landed_on(user, '/manage')
    await user.should_see(marker=f'theatre-{mine.id}')
    assert texts(user, 'theatre-name') == ['Prithvi']
    assert texts(user, 'manage-show-name') == ['Hamlet']
    await user.should_not_see(marker=f'theatre-{theirs.id}')
    await user.should_not_see('Tughlaq')
    await user.should_see('My theatres')


async def test_an_admin_sees_every_theatre_with_its_owner(user: User) -> None:
    mine, theirs = two_managers_theatres()
    make_user(username='root', role=Role.ADMIN)
    await log_in(user, 'root', target='/manage')
    await landed_on(user, '/manage')
    await user.should_see('All theatres')
    await user.should_see(marker=f'theatre-{mine.id}')
    await user.should_see(marker=f'theatre-{theirs.id}')
    assert texts(user, 'theatre-name') == ['Prithvi', 'Ranga Shankara']
    assert texts(user, 'manage-show-name') == ['Hamlet', 'Tughlaq']
    await user.should_see('owner Meera Nair')
    await user.should_see('owner Ravi Kumar')
    assert count(Theatre) == 2


@pytest.mark.parametrize(('path', 'marker'), [('/manage', 'add-theatre'), ('/bookings', 'upcoming')])
async def test_logged_out_pages_send_to_login_and_back(user: User, path: str, marker: str) -> None:
    make_user(username='meera', role=Role.MANAGER)
    response = await user.http_client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers['location'] == f'/login?redirect_to={path.replace("/", "%2F")}'
    await user.open(path)
    await user.should_see(marker='login-reason')
    await user.should_not_see(marker=marker)
    user.find('Username').type('meera')
    user.find('Password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await landed_on(user, path)
    await user.should_see(marker=marker)


async def test_a_logged_in_person_opening_login_goes_on_to_the_target(user: User) -> None:
    make_user(username='asha')
    await log_in(user, 'asha', target='/bookings')
    await landed_on(user, '/bookings')
    await user.open('/login?redirect_to=/bookings')
    await user.should_see(marker='upcoming')
    await user.should_not_see(marker='login-submit')
