"""The page guard: every route that needs a login sends a visitor there and back, turns a wrong role away with
the page's own words, and lets the right roles in."""

from __future__ import annotations

import inspect
from urllib.parse import quote

import pytest
from nicegui.testing import User

from models import Role
from tests.factories import PASSWORD, make_user
from tests.ui.helpers import elements, landed_on, log_in, shows_error_pages
from ui.guard import guard_of, page_for
from ui.pages import ROUTES

ROLES = tuple(Role)
GUARDED = {path: guard for path, page in ROUTES.items() if (guard := guard_of(page)) is not None}
ADMITTED = [(path, role) for path, guard in GUARDED.items() for role in ROLES if guard.admits(role)]
TURNED_AWAY = [(path, role) for path, guard in GUARDED.items() for role in ROLES if not guard.admits(role)]


def test_the_pages_that_need_a_login_are_guarded() -> None:
    assert GUARDED.keys() == {
        '/bookings',
        '/bookings/{booking_id}',
        '/waitlist/{entry_id}',
        '/checkin',
        '/manage',
        '/theatres/{theatre_id}/seatmap',
        '/summary',
        '/audit',
        '/exports',
        '/account',
        '/admin/users',
        '/admin/mail',
        '/admin/system',
    }
    assert {path: guard.roles for path, guard in GUARDED.items() if guard.roles} == {
        '/manage': (Role.MANAGER, Role.ADMIN),
        '/theatres/{theatre_id}/seatmap': (Role.MANAGER, Role.ADMIN),
        '/summary': (Role.MANAGER, Role.ADMIN),
        '/audit': (Role.MANAGER, Role.ADMIN),
        '/admin/users': (Role.ADMIN,),
        '/admin/mail': (Role.ADMIN,),
        '/admin/system': (Role.ADMIN,),
    }
    for guard in GUARDED.values():
        assert set(guard.roles) <= set(ROLES)


def test_a_guarded_page_shows_nicegui_its_parameters_and_the_request_not_who() -> None:
    parameters = inspect.signature(ROUTES['/bookings']).parameters
    assert list(parameters) == ['request', 'booked']
    assert parameters['booked'].default is None


def test_a_page_for_some_roles_must_say_what_the_others_are_told() -> None:
    with pytest.raises(ValueError):
        page_for(Role.ADMIN)
    with pytest.raises(TypeError):
        page_for()(lambda request: None)


@pytest.mark.parametrize('path', GUARDED)
async def test_a_visitor_is_sent_to_log_in_and_back(user: User, path: str) -> None:
    make_user(username='root', role=Role.ADMIN)  # let in everywhere
    shows_error_pages(user)  # a path's `{id}` left in leads to no booking, theatre or entry
    target = f'{path}?from=guard'
    response = await user.http_client.get(target, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers['location'] == f'/login?redirect_to={quote(target, safe="")}'
    await user.open(target)
    await user.should_see(marker='login-reason')
    assert not elements(user, marker='header-name')
    user.find('Username').type('root')
    user.find('Password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await landed_on(user, target)
    await user.should_see(marker='header-name')
    assert not elements(user, marker='not-allowed')


@pytest.mark.parametrize(('path', 'role'), TURNED_AWAY)
async def test_a_wrong_role_is_not_allowed(user: User, path: str, role: str) -> None:
    make_user(username='someone', role=role, name='Some One')
    shows_error_pages(user)
    await log_in(user, 'someone', target=path)
    await landed_on(user, path)
    await user.should_see(marker='not-allowed')
    await user.should_see(GUARDED[path].refusal)
    await user.should_see('Some One')  # inside the page's frame, as the person they are
    assert (await user.http_client.request('GET', path)).status_code == 403  # not the helper's `get`


@pytest.mark.parametrize(('path', 'role'), ADMITTED)
async def test_the_right_role_gets_in(user: User, path: str, role: str) -> None:
    make_user(username='someone', role=role, name='Some One')
    shows_error_pages(user)  # a path's `{id}` left in leads to no booking, theatre or entry
    await log_in(user, 'someone', target=path)
    await landed_on(user, path)
    await user.should_see('Some One')
    assert not elements(user, marker='not-allowed')
    assert not elements(user, marker='login-reason')
