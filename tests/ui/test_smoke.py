from nicegui.testing import User

from models import Role
from tests.factories import PASSWORD, make_show, make_theatre, make_user


async def test_login_and_book(user: User) -> None:
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Prithvi', place='Mumbai')
    make_show(theatre, name='Hamlet', tags=('drama',))
    audience = make_user(username='asha')
    await user.open('/')
    await user.should_see('Hamlet')
    await user.open('/bookings')
    await user.should_see('Please log in to continue.')
    user.find('Username').type('asha')
    user.find('Password').type(PASSWORD)
    user.find(marker='login-submit').click()
    await user.should_see('My bookings')
    await user.should_see('No upcoming bookings')
    assert audience.id
