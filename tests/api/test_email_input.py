"""Signing up through the API with something other than one email address: 422 with the sentence a person reads."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from tests.api.test_contract import API, SIGNUP, database

HINT = 'Enter an email address like name@example.com.'


@pytest.mark.parametrize(
    'email',
    [
        pytest.param('x@example.com,postmaster', id='comma-second-recipient'),
        pytest.param('x@example.com;eve@example.com', id='semicolon'),
        pytest.param('asha rao@example.com', id='space-inside'),
        pytest.param('Asha <asha@example.com>', id='display-name-and-brackets'),
        pytest.param('"asha rao"@example.com', id='quotes-with-space'),
        pytest.param('asha@example.com\r\nBcc: eve@example.com', id='crlf-header'),
        pytest.param('asha@example.com\n', id='trailing-newline'),
        pytest.param('asha\u200b@example.com', id='zero-width-space'),
        pytest.param('asha@example.test', id='special-use-domain'),
    ],
)
async def test_signup_refuses_anything_but_one_address(user: User, email: str) -> None:
    before = database()
    response = await user.http_client.post(f'{API}/auth/signup', json={**SIGNUP, 'email': email})
    assert response.status_code == 422
    assert response.json() == {'detail': HINT}
    assert database() == before


async def test_signup_keeps_the_address_as_typed_but_for_the_domains_case(user: User) -> None:
    response = await user.http_client.post(f'{API}/auth/signup', json={**SIGNUP, 'email': ' Asha.Rao@Example.COM '})
    assert response.status_code == 201
    assert response.json()['email'] == 'Asha.Rao@example.com'
