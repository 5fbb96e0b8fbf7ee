"""The input and account points of the security review, once more against the real server process.

An email field that took `x@example.com,postmaster`, a started show moved back into the future, a password
change that left the other sessions alive, and a reset link that worked twice — each through HTTP on a
loopback port, on SQLite or PostgreSQL as the suite runs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import ExitStack
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.api.conftest import LiveApp, start_live_app
from tests.conftest import TEST_DATABASE, throwaway_postgres

PASSWORD = 'live-password-1'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LiveApp, str]]:
    """The app as a server process, and the URL of its database (to age a show, as time would). Its scheduler runs,
    as in production: it delivers the queued emails (a reset link) into the outbox folder."""
    with ExitStack() as stack:
        var = tmp_path / 'var'
        if TEST_DATABASE == 'postgres':
            url = stack.enter_context(throwaway_postgres())
        else:
            url = f'sqlite:///{var / "ticketshow.sqlite3"}'
        app = start_live_app(var, database_url=url, TICKETSHOW_SCHEDULER='on')
        try:
            yield app, url
        finally:
            app.process.terminate()
            app.process.wait(timeout=20)


def _account(client: httpx.Client, username: str, role: str = 'user') -> str:
    body = {'username': username, 'name': username.title(), 'email': f'{username}@example.com', 'password': PASSWORD}
    assert client.post('/api/v1/auth/signup', json={**body, 'role': role}).status_code == 201
    login = client.post('/api/v1/auth/login', json={'username': username, 'password': PASSWORD})
    return str(login.json()['access_token'])


def _bearer(token: str) -> dict[str, str]:
    return {'Authorization': f'Bearer {token}'}


@pytest.mark.parametrize(
    'email', ['x@example.com,postmaster', 'x@example.com postmaster', 'x@example.com;y@example.com', '<x@example.com>']
)
def test_an_email_is_one_address(server, email: str) -> None:
    app, _url = server
    with app.client() as client:
        body = {'username': 'kiran', 'name': 'Kiran', 'email': email, 'password': PASSWORD}
        answer = client.post('/api/v1/auth/signup', json=body)
        assert answer.status_code == 422
        assert answer.json()['detail'] == 'Enter an email address like name@example.com.'
        assert client.post('/api/v1/auth/login', json={'username': 'kiran', 'password': PASSWORD}).status_code == 401


def test_a_started_show_keeps_its_time_tickets_and_price(server) -> None:
    app, url = server
    with app.client() as client:
        manager = _account(client, 'meera', role='manager')
        theatre = client.post(
            '/api/v1/theatres', json={'name': 'Old Hall', 'place': 'Pune', 'capacity': 100}, headers=_bearer(manager)
        ).json()
        show = client.post(
            f'/api/v1/theatres/{theatre["id"]}/shows',
            json={
                'name': 'Matinee',
                'rating': 4,
                'tags': [],
                'ticket_price': 200,
                'num_tickets': 50,
                'starts_at': '2031-01-01T15:00:00+05:30',
            },
            headers=_bearer(manager),
        ).json()
        engine = create_engine(url)
        started = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        value = started.replace(tzinfo=None) if url.startswith('sqlite') else started
        with engine.begin() as conn:  # time passes: the show has started
            conn.execute(text('UPDATE shows SET starts_at = :t WHERE id = :id'), {'t': value, 'id': show['id']})
        engine.dispose()
        now = client.get(f'/api/v1/shows/{show["id"]}').json()
        same = {k: now[k] for k in ('name', 'rating', 'tags', 'ticket_price', 'num_tickets', 'starts_at')}
        moved = client.put(
            f'/api/v1/shows/{show["id"]}',
            json={**same, 'starts_at': '2031-06-01T19:00:00+05:30'},
            headers=_bearer(manager),
        )
        assert moved.status_code == 409, moved.text
        assert 'has started' in moved.json()['detail']
        renamed = client.put(
            f'/api/v1/shows/{show["id"]}', json={**same, 'name': 'Matinee (recorded)'}, headers=_bearer(manager)
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()['name'] == 'Matinee (recorded)'
        booker = _account(client, 'asha')
        booking = client.post(f'/api/v1/shows/{show["id"]}/bookings', json={'tickets': 1}, headers=_bearer(booker))
        assert booking.status_code == 409  # still not bookable


def test_a_password_change_and_a_reset_end_the_other_sessions(server) -> None:
    app, _url = server
    with app.client() as client:
        this = _account(client, 'asha')
        other = client.post('/api/v1/auth/login', json={'username': 'asha', 'password': PASSWORD}).json()
        change = {'current_password': PASSWORD, 'new_password': 'live-password-2'}
        assert client.put('/api/v1/me/password', json=change, headers=_bearer(this)).status_code == 204
        assert client.get('/api/v1/me', headers=_bearer(other['access_token'])).status_code == 401
        assert client.get('/api/v1/me', headers=_bearer(this)).status_code == 200

        for address in ('asha@example.com', 'nobody@example.com'):  # the same answer, known or not
            answer = client.post('/api/v1/auth/password-reset', json={'email': address})
            assert answer.status_code == 202
        outbox = app.log.parent / 'outbox'

        def resets() -> list[EmailMessage]:  # the signup's verification link is in the outbox too
            sent = [message_from_bytes(m.read_bytes(), policy=policy.default) for m in outbox.glob('*.eml')]
            return [m for m in sent if m['Subject'] == 'Choose a new TicketShow password']

        deadline = dt.datetime.now() + dt.timedelta(seconds=20)
        while not resets() and dt.datetime.now() < deadline:
            pass
        (message,) = resets()
        assert message['To'] == 'asha@example.com'
        body = message.get_body(preferencelist=('plain',)).get_content()
        token = re.search(r'reset-password\?token=([A-Za-z0-9_\-]+)', body).group(1)
        confirm = {'token': token, 'password': 'live-password-3'}
        assert client.post('/api/v1/auth/password-reset/confirm', json=confirm).status_code == 204
        assert client.post('/api/v1/auth/password-reset/confirm', json=confirm).status_code == 422  # once
        assert client.get('/api/v1/me', headers=_bearer(this)).status_code == 401  # every session ended
        login = client.post('/api/v1/auth/login', json={'username': 'asha', 'password': 'live-password-3'})
        assert login.status_code == 200
