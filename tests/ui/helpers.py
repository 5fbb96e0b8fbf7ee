"""Steps several UI tests share."""

from nicegui.testing import User

from tests.factories import PASSWORD


async def log_in(user: User, username: str, password: str = PASSWORD, *, target: str = '/') -> None:
    await user.open(f'/login?redirect_to={target}')
    user.find('Username').type(username)
    user.find('Password').type(password)
    user.find(marker='login-submit').click()
