"""The password routes of API.md's Accounts addition, through the app in process: changing one's password,
asking for a reset link (the email lands in the app's outbox) and using it, once, even when two try at once."""

from __future__ import annotations

import asyncio
import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from nicegui.testing import User

from services import password_reset
from services.config import get_settings
from services.mail import outbox as email_outbox
from tests.api.test_contract import database
from tests.factories import PASSWORD, make_user

API = '/api/v1'
NEW_PASSWORD = 'a-brand-new-one-9'
INVALID_LINK = 'This reset link is invalid or has expired; ask for a new one.'


async def bearer(user: User, username: str, password: str = PASSWORD) -> dict[str, str]:
    response = await user.http_client.post(f'{API}/auth/login', json={'username': username, 'password': password})
    assert response.status_code == 200, response.text
    return {'Authorization': f'Bearer {response.json()["access_token"]}'}


async def can_log_in(user: User, username: str, password: str) -> bool:
    response = await user.http_client.post(f'{API}/auth/login', json={'username': username, 'password': password})
    return response.status_code == 200


async def outbox() -> list[EmailMessage]:
    """The app's sent emails (no SMTP server is configured): once every reset asked for so far is handled and its
    queued email delivered (the tests run the app without its scheduler, which would deliver it within seconds)."""
    assert await asyncio.to_thread(password_reset.settle)
    await asyncio.to_thread(email_outbox.deliver_due, settings=get_settings())
    folder: Path = get_settings().outbox_dir
    files = sorted(folder.glob('*.eml')) if folder.is_dir() else []
    return [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]  # type: ignore[misc]


def link_token(message: EmailMessage) -> str:
    found = re.search(r'/reset-password\?token=([A-Za-z0-9_-]+)', message.get_body(('plain',)).get_content())
    assert found
    return found.group(1)


async def reset_token(user: User, address: str) -> str:
    before = len(await outbox())
    response = await user.http_client.post(f'{API}/auth/password-reset', json={'email': address})
    assert response.status_code == 202, response.text
    sent = await outbox()
    assert len(sent) == before + 1
    return link_token(sent[-1])


# --- PUT /me/password ----------------------------------------------------------------------------------


async def test_changing_the_password_ends_every_other_session_and_keeps_this_one(user: User) -> None:
    make_user(username='asha')
    this, other = await bearer(user, 'asha'), await bearer(user, 'asha')
    response = await user.http_client.put(
        f'{API}/me/password', json={'current_password': PASSWORD, 'new_password': NEW_PASSWORD}, headers=this
    )
    assert response.status_code == 204
    assert response.content == b''
    assert (await user.http_client.get(f'{API}/me', headers=other)).status_code == 401
    assert (await user.http_client.get(f'{API}/me', headers=this)).json()['username'] == 'asha'
    assert await can_log_in(user, 'asha', NEW_PASSWORD)
    assert not await can_log_in(user, 'asha', PASSWORD)


async def test_a_wrong_current_password_is_422_and_changes_nothing(user: User) -> None:
    make_user(username='asha')
    headers = await bearer(user, 'asha')
    other = await bearer(user, 'asha')
    before = database()
    response = await user.http_client.put(
        f'{API}/me/password',
        json={'current_password': 'not-my-password', 'new_password': NEW_PASSWORD},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json() == {'detail': 'This is not your current password.'}
    assert database() == before
    assert (await user.http_client.get(f'{API}/me', headers=other)).status_code == 200


@pytest.mark.parametrize(
    'body',
    [
        pytest.param({'current_password': PASSWORD, 'new_password': 'short-7'}, id='new-7-chars'),
        pytest.param({'current_password': PASSWORD, 'new_password': 'p' * 129}, id='new-129-chars'),
        pytest.param({'current_password': PASSWORD, 'new_password': ''}, id='new-empty'),
        pytest.param({'current_password': PASSWORD}, id='new-missing'),
        pytest.param({'current_password': PASSWORD, 'new_password': 12345678}, id='new-a-number'),
        pytest.param({'current_password': PASSWORD, 'new_password': NEW_PASSWORD, 'user_id': 1}, id='unknown-field'),
    ],
)
async def test_a_bad_new_password_is_422_and_changes_nothing(user: User, body: dict[str, Any]) -> None:
    make_user(username='asha')
    headers = await bearer(user, 'asha')
    before = database()
    response = await user.http_client.put(f'{API}/me/password', json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()['detail']
    assert database() == before


async def test_changing_the_password_needs_a_bearer_token(user: User) -> None:
    make_user(username='asha')
    before = database()
    response = await user.http_client.put(
        f'{API}/me/password', json={'current_password': PASSWORD, 'new_password': NEW_PASSWORD}
    )
    assert response.status_code == 401
    assert database() == before


# --- POST /auth/password-reset and /confirm ------------------------------------------------------------


async def test_a_reset_is_202_alike_for_a_known_and_an_unknown_address(user: User) -> None:
    make_user(username='asha', email='asha@example.com')
    known = await user.http_client.post(f'{API}/auth/password-reset', json={'email': 'asha@example.com'})
    unknown = await user.http_client.post(f'{API}/auth/password-reset', json={'email': 'nobody@example.com'})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json() == {'detail': password_reset.SENT}
    (sent,) = await outbox()
    assert sent['To'] == 'asha@example.com'
    assert '"asha"' in sent.get_body(('plain',)).get_content()


async def test_the_link_works_once_and_ends_every_session(user: User) -> None:
    make_user(username='asha', email='asha@example.com')
    phone = await bearer(user, 'asha')
    token = await reset_token(user, 'asha@example.com')
    body = {'token': token, 'password': NEW_PASSWORD}
    response = await user.http_client.post(f'{API}/auth/password-reset/confirm', json=body)
    assert response.status_code == 204
    assert response.content == b''
    assert (await user.http_client.get(f'{API}/me', headers=phone)).status_code == 401
    assert await can_log_in(user, 'asha', NEW_PASSWORD)
    before = database()
    again = await user.http_client.post(
        f'{API}/auth/password-reset/confirm', json={'token': token, 'password': 'yet-another-one-7'}
    )
    assert again.status_code == 422
    assert again.json() == {'detail': INVALID_LINK}
    assert database() == before


async def test_a_bad_new_password_keeps_the_link_usable(user: User) -> None:
    make_user(username='asha', email='asha@example.com')
    token = await reset_token(user, 'asha@example.com')
    before = database()
    response = await user.http_client.post(
        f'{API}/auth/password-reset/confirm', json={'token': token, 'password': 'short-7'}
    )
    assert response.status_code == 422
    assert response.json() == {'detail': 'Password must be 8–128 characters.'}
    assert database() == before
    ok = await user.http_client.post(
        f'{API}/auth/password-reset/confirm', json={'token': token, 'password': NEW_PASSWORD}
    )
    assert ok.status_code == 204


@pytest.mark.parametrize('token', ['made-up', '', 'x' * 200])
async def test_an_unknown_token_is_422(user: User, token: str) -> None:
    make_user(username='asha')
    before = database()
    response = await user.http_client.post(
        f'{API}/auth/password-reset/confirm', json={'token': token, 'password': NEW_PASSWORD}
    )
    assert response.status_code == 422
    assert response.json() == {'detail': INVALID_LINK}
    assert database() == before


async def test_two_confirmations_at_once_give_one_204_and_one_422(user: User) -> None:
    make_user(username='asha', email='asha@example.com')
    token = await reset_token(user, 'asha@example.com')
    first, second = await asyncio.gather(
        *(
            user.http_client.post(f'{API}/auth/password-reset/confirm', json={'token': token, 'password': password})
            for password in ('parallel-one-1', 'parallel-two-2')
        )
    )
    assert sorted([first.status_code, second.status_code]) == [204, 422]
    winner, loser = (
        ('parallel-one-1', 'parallel-two-2') if first.status_code == 204 else ('parallel-two-2', 'parallel-one-1')
    )
    assert (first if first.status_code == 422 else second).json() == {'detail': INVALID_LINK}
    assert await can_log_in(user, 'asha', winner)
    assert not await can_log_in(user, 'asha', loser)


@pytest.mark.parametrize(
    'body',
    [
        pytest.param({'email': 'asha.example.com'}, id='no-at'),
        pytest.param({'email': 'asha@example.com, eve@example.com'}, id='two-addresses'),
        pytest.param({'email': 'asha@example.com\r\nBcc: eve@example.com'}, id='line-break'),
        pytest.param({'email': 'a' * 243 + '@example.com'}, id='255-chars'),
        pytest.param({}, id='missing'),
        pytest.param({'email': 'asha@example.com', 'username': 'asha'}, id='unknown-field'),
    ],
)
async def test_a_malformed_address_is_422_and_sends_nothing(user: User, body: dict[str, Any]) -> None:
    make_user(username='asha', email='asha@example.com')
    response = await user.http_client.post(f'{API}/auth/password-reset', json=body)
    assert response.status_code == 422
    assert response.json()['detail']
    assert await outbox() == []


async def test_one_network_address_asking_too_often_is_429_with_retry_after(user: User) -> None:
    for number in range(5):
        response = await user.http_client.post(f'{API}/auth/password-reset', json={'email': f'p{number}@example.com'})
        assert response.status_code == 202
    refused = await user.http_client.post(f'{API}/auth/password-reset', json={'email': 'asha@example.com'})
    assert refused.status_code == 429
    assert 'Too many requests for a new password' in refused.json()['detail']
    assert 0 < int(refused.headers['Retry-After']) <= 3600


async def test_one_email_address_gets_three_emails_an_hour_and_the_same_answer_after(user: User) -> None:
    make_user(username='asha', email='asha@example.com')
    answers = []
    for _ in range(4):
        response = await user.http_client.post(f'{API}/auth/password-reset', json={'email': 'asha@example.com'})
        answers.append((response.status_code, response.json()))
    assert answers == [(202, {'detail': password_reset.SENT})] * 4
    assert len(await outbox()) == 3


async def test_the_password_routes_are_documented(user: User) -> None:
    paths = (await user.http_client.get('/openapi.json')).json()['paths']
    assert {'204', '401', '422'} <= set(paths[f'{API}/me/password']['put']['responses'])
    assert {'202', '422', '429'} <= set(paths[f'{API}/auth/password-reset']['post']['responses'])
    assert {'204', '422'} <= set(paths[f'{API}/auth/password-reset/confirm']['post']['responses'])
