"""The account routes of API.md, through the app in process: signup's verification link (the email lands in the
app's outbox) and `POST /auth/verify-email`, the resend, `PATCH /me` with a change of address confirmed by
`POST /auth/confirm-email`, and `DELETE /me`; every refusal is a 4xx with a readable detail and changes nothing."""

from __future__ import annotations

import re
from email.message import EmailMessage

from nicegui.testing import User

from models import Role
from tests.api.test_password_api import API, bearer, can_log_in, database, outbox
from tests.factories import PASSWORD, make_theatre, make_user


def token_of(message: EmailMessage, path: str) -> str:
    found = re.search(rf'/{path}/([A-Za-z0-9_-]+)', message.get_body(('plain',)).get_content())
    assert found, message.get_body(('plain',)).get_content()
    return found.group(1)


def sent_to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in messages if m['To'] == address]


async def me(user: User, headers: dict[str, str]) -> dict:
    response = await user.http_client.get(f'{API}/me', headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_signup_is_unverified_until_the_link_is_opened(user: User) -> None:
    signup = {'username': 'asha', 'name': 'Asha', 'email': 'asha@example.com', 'password': PASSWORD}
    response = await user.http_client.post(f'{API}/auth/signup', json=signup)
    assert response.status_code == 201, response.text
    assert response.json()['email_verified'] is False and response.json()['pending_email'] is None
    headers = await bearer(user, 'asha')
    (link,) = sent_to(await outbox(), 'asha@example.com')
    token = token_of(link, 'verify-email')

    response = await user.http_client.post(f'{API}/me/email/verification', headers=headers)
    assert response.status_code == 202 and 'new link' in response.json()['detail']
    again = await user.http_client.post(f'{API}/me/email/verification', headers=headers)
    assert again.status_code == 429 and 'Retry-After' in again.headers

    for bad in ('nope', 'x' * 100):
        refused = await user.http_client.post(f'{API}/auth/verify-email', json={'token': bad})
        assert refused.status_code == 422 and 'invalid, used or expired' in refused.json()['detail']
    assert (await me(user, headers))['email_verified'] is False

    done = await user.http_client.post(f'{API}/auth/verify-email', json={'token': token})
    assert done.status_code == 204
    assert (await me(user, headers))['email_verified'] is True
    used = await user.http_client.post(f'{API}/auth/verify-email', json={'token': token})
    assert used.status_code == 422
    verified = await user.http_client.post(f'{API}/me/email/verification', headers=headers)
    assert verified.status_code == 409 and verified.json()['detail'] == 'Your email address is already verified.'


async def test_patch_me_renames_at_once_and_changes_the_address_through_its_link(user: User) -> None:
    make_user(username='asha', name='Asha', email='asha@example.com')
    headers = await bearer(user, 'asha')
    renamed = await user.http_client.patch(f'{API}/me', headers=headers, json={'name': 'Asha Rao'})
    assert renamed.status_code == 200 and renamed.json()['name'] == 'Asha Rao'

    changing = await user.http_client.patch(
        f'{API}/me', headers=headers, json={'email': 'new@example.com', 'current_password': PASSWORD}
    )
    assert changing.status_code == 200, changing.text
    body = changing.json()
    assert (body['email'], body['pending_email'], body['email_verified']) == (
        'asha@example.com',
        'new@example.com',
        True,
    )
    sent = await outbox()
    assert len(sent_to(sent, 'asha@example.com')) == 1  # the notice
    token = token_of(sent_to(sent, 'new@example.com')[0], 'confirm-email')

    done = await user.http_client.post(f'{API}/auth/confirm-email', json={'token': token})
    assert done.status_code == 204
    now = await me(user, headers)
    assert (now['email'], now['pending_email'], now['email_verified']) == ('new@example.com', None, True)
    again = await user.http_client.post(f'{API}/auth/confirm-email', json={'token': token})
    assert again.status_code == 422 and 'invalid, used or expired' in again.json()['detail']


async def test_refused_changes_are_4xx_with_a_detail_and_change_nothing(user: User) -> None:
    make_user(username='asha', name='Asha', email='asha@example.com')
    make_user(username='bina', email='bina@example.com')
    headers = await bearer(user, 'asha')
    before = database()
    cases = [
        ({}, 422, 'Give a new name, a new email address, or both.'),
        ({'email': 'new@example.com'}, 422, 'Give your current password to change your email address.'),
        ({'email': 'new@example.com', 'current_password': 'wrong-one-123'}, 422, 'This is not your current password.'),
        ({'name': 'New', 'email': 'bina@example.com', 'current_password': PASSWORD}, 409, 'Another account uses'),
        ({'name': '<script>'}, 422, None),
        ({'email': 'a@b@c', 'current_password': PASSWORD}, 422, None),
        ({'name': 5}, 422, None),
        ({'username': 'root'}, 422, None),
    ]
    for body, status, detail in cases:
        response = await user.http_client.patch(f'{API}/me', headers=headers, json=body)
        assert response.status_code == status, (body, response.text)
        if detail is not None:
            assert response.json()['detail'].startswith(detail), response.text
    assert database() == before
    assert (await user.http_client.patch(f'{API}/me', json={'name': 'X'})).status_code == 401


async def test_delete_me_logs_out_and_keeps_no_way_back_in(user: User) -> None:
    make_user(username='asha', email='asha@example.com')
    headers = await bearer(user, 'asha')
    before = database()
    wrong = await user.http_client.request(
        'DELETE', f'{API}/me', headers=headers, json={'current_password': 'not-it-12345'}
    )
    assert wrong.status_code == 422 and wrong.json()['detail'] == 'This is not your current password.'
    missing = await user.http_client.request('DELETE', f'{API}/me', headers=headers, json={})
    assert missing.status_code == 422
    assert database() == before

    done = await user.http_client.request('DELETE', f'{API}/me', headers=headers, json={'current_password': PASSWORD})

    assert done.status_code == 204
    assert (await user.http_client.get(f'{API}/me', headers=headers)).status_code == 401
    assert not await can_log_in(user, 'asha', PASSWORD)


async def test_a_manager_with_theatres_and_the_last_admin_get_409(user: User) -> None:
    meera = make_user(role=Role.MANAGER, username='meera')
    make_theatre(meera)
    make_user(role=Role.ADMIN, username='root')
    for username, detail in (('meera', 'You still own 1 theatre'), ('root', 'You are the last active admin')):
        headers = await bearer(user, username)
        response = await user.http_client.request(
            'DELETE', f'{API}/me', headers=headers, json={'current_password': PASSWORD}
        )
        assert response.status_code == 409 and response.json()['detail'].startswith(detail), response.text
        assert (await me(user, headers))['username'] == username
