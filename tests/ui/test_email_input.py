"""The sign-up page refuses anything but one email address, with the message beside the Email field."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from models import User as Account
from tests.ui.helpers import count, error_of
from tests.ui.test_signup_login import SIGNUP_FIELDS, sign_up

HINT = 'Enter an email address like name@example.com.'


@pytest.mark.parametrize(
    'email',
    [
        pytest.param('x@example.com,postmaster', id='comma-second-recipient'),
        pytest.param('x@example.com; eve@example.com', id='semicolon'),
        pytest.param('Asha <asha@example.com>', id='display-name-and-brackets'),
        pytest.param('asha@example.com\r\nBcc: eve@example.com', id='crlf-header'),
    ],
)
async def test_anything_but_one_address_is_refused_beside_the_field(user: User, email: str) -> None:
    await sign_up(user, email=email)
    await user.should_see(HINT)
    assert error_of(user, 'Email') == HINT
    assert all(error_of(user, label) is None for label in SIGNUP_FIELDS.values() if label != 'Email')
    assert count(Account) == 0
