"""The JSON API against its contract (docs/API.md): every endpoint's success and its documented errors.

Each test starts main.py in process (NiceGUI's `user` fixture) on a fresh SQLite database; the factories
write to the same database, and every refused request is checked to have changed nothing in it.
Bugs this file found (non-finite numbers, extreme dates, NUL characters, chunked bodies) are fixed; their tests stay.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import io
import secrets
from collections.abc import AsyncIterator, Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pandas as pd
import pytest
from nicegui import core
from nicegui.testing import User
from sqlalchemy import select

import models
from models import BookingStatus, Role
from models.db import session_scope, utcnow
from services.auth import verify_password
from tests.factories import PASSWORD, make_booking, make_show, make_theatre, make_user
from tests.ui.helpers import open_as

API = '/api/v1'
IST = ZoneInfo('Asia/Kolkata')  # the app's time zone in these tests (tests/api/conftest.py)
PNG = b'\x89PNG\r\n\x1a\n'
JOB_SECONDS = 60  # an export runs in a worker process that the first export of the app spawns
USER_FIELDS = {'id', 'username', 'name', 'email', 'role', 'email_verified', 'pending_email'}
SHOW_FIELDS = {
    'id',
    'theatre_id',
    'theatre_name',
    'place',
    'name',
    'rating',
    'audience_rating',
    'ratings',
    'tags',
    'ticket_price',
    'num_tickets',
    'tickets_left',
    'starts_at',
    'status',
    'cancel_reason',
}
BOOKING_FIELDS = {
    'id',
    'show_id',
    'show_name',
    'theatre_name',
    'starts_at',
    'booked_tickets',
    'price',
    'total',
    'status',
    'created_at',
}
# Every path of API.md, with its path parameters as the app names them.
CONTRACT_PATHS = {
    '/healthz': {'get', 'head'},
    '/readyz': {'get', 'head'},
    '/api/v1/auth/signup': {'post'},
    '/api/v1/auth/login': {'post'},
    '/api/v1/auth/logout': {'post'},
    '/api/v1/me': {'get', 'patch', 'delete'},
    '/api/v1/me/email/verification': {'post'},
    '/api/v1/me/email/pending': {'delete'},
    '/api/v1/auth/verify-email': {'post'},
    '/api/v1/auth/confirm-email': {'post'},
    '/api/v1/theatres': {'get', 'post'},
    '/api/v1/theatres/{theatre_id}': {'get', 'put', 'delete'},
    '/api/v1/dashboard': {'get'},
    '/api/v1/theatres/{theatre_id}/trend.png': {'get'},
    '/api/v1/shows': {'get'},
    '/api/v1/shows/{show_id}': {'get', 'put', 'delete'},
    '/api/v1/theatres/{theatre_id}/shows': {'post'},
    '/api/v1/shows/{show_id}/bookings': {'post'},
    '/api/v1/bookings': {'get'},
    '/api/v1/bookings/{booking_id}': {'get', 'delete'},
    '/api/v1/me/password': {'put'},
    '/api/v1/auth/password-reset': {'post'},
    '/api/v1/auth/password-reset/confirm': {'post'},
    '/api/v1/shows/{show_id}/rating': {'post'},
    '/api/v1/summary': {'get'},
    '/api/v1/theatres/{theatre_id}/export': {'post'},
    '/api/v1/shows/{show_id}/export': {'post'},
    '/api/v1/bookings/export': {'post'},
    '/api/v1/exports/{job_id}': {'get'},
    '/api/v1/exports/{job_id}/file': {'get'},
    '/api/v1/shows/{show_id}/waitlist': {'get', 'post'},
    '/api/v1/waitlist': {'get'},
    '/api/v1/waitlist/{entry_id}': {'delete'},
    '/api/v1/waitlist/{entry_id}/accept': {'post'},
    '/api/v1/shows/{show_id}/cancel': {'get', 'post'},
}


# --- helpers ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def frozen_heap() -> None:
    """NiceGUI's `user` fixture runs two full `gc.collect()` per test (0.15 s each here). What is alive before a
    test starts (modules, the previous app's leftovers) is frozen out of them: the file runs in half the time,
    for some 45 MB that the frozen leftovers keep."""
    gc.collect()
    gc.freeze()


async def bearer(user: User, username: str, password: str = PASSWORD) -> dict[str, str]:
    """The Authorization header of a fresh API login."""
    response = await user.http_client.post(f'{API}/auth/login', json={'username': username, 'password': password})
    assert response.status_code == 200, response.text
    return {'Authorization': f'Bearer {response.json()["access_token"]}'}


@contextlib.asynccontextmanager
async def raw_client() -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-less client that gets a 5xx as a response (the `user` fixture's client raises the app's error)."""
    transport = httpx.ASGITransport(core.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url='http://test') as client:
        yield client


def database() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table: compared before and after a refused request. Not `instances`: the running app's
    heartbeat writes its own row there every few seconds, whatever the requests."""
    with session_scope() as session:
        return {
            table.name: sorted(tuple(row) for row in session.execute(select(table)))
            for table in models.Base.metadata.sorted_tables
            if table.name != 'instances'
        }


def count(model: type[Any]) -> int:
    with session_scope() as session:
        return len(session.scalars(select(model)).all())


def evening(days: int) -> dt.datetime:
    """19:30 in the app's time zone, `days` from today (14:00 UTC)."""
    day = (dt.datetime.now(IST) + dt.timedelta(days=days)).date()
    return dt.datetime.combine(day, dt.time(19, 30), tzinfo=IST)


def moment(text: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(text)
    assert parsed.tzinfo is not None, f'{text} has no offset'
    return parsed


def show_json(show_id: int) -> dict[str, Any]:
    """What the contract says GET /shows/{id} answers, read from the database (starts_at as a datetime)."""
    with session_scope() as session:
        show = session.get_one(models.Show, show_id)
        return {
            'id': show.id,
            'theatre_id': show.theatre_id,
            'theatre_name': show.theatre.name,
            'place': show.theatre.place,
            'name': show.name,
            'rating': show.rating,
            **audience_json(session, show),
            'tags': show.tags,
            'ticket_price': show.price_cents / 100,
            'num_tickets': show.num_tickets,
            'tickets_sold': show.tickets_sold,
            'tickets_left': show.num_tickets - show.tickets_sold - show.tickets_offered,
            'starts_at': show.starts_at,
            'seating': 'reserved' if show.reserved else 'general',
            'section_prices': {row.section: row.price_cents / 100 for row in show.price_rows},
            'status': show.status.value,
            'cancel_reason': show.cancel_reason,
            'description': show.description,
            'duration_minutes': show.duration_minutes,
            'language': show.language,
            'age_rating': show.age_rating.value if show.age_rating else None,
            'theatre_address': show.theatre.address,
            'theatre_timezone': show.theatre.timezone,
            'poster': (
                {str(w): f'/media/posters/{show.poster_key}-{w}.webp' for w in (240, 480, 960)}
                if show.poster_key
                else None
            ),
        }


def audience_json(session: Any, show: models.Show) -> dict[str, Any]:
    """`audience_rating` and `ratings`: every score of the show's production (its theatre, its name in any case),
    averaged here in Python and rounded half up to one decimal."""
    scores = [
        rating.score
        for rating in session.scalars(select(models.ShowRating))
        if (rated := session.get_one(models.Show, rating.show_id)).theatre_id == show.theatre_id
        and rated.name.lower() == show.name.lower()
    ]
    if not scores:
        return {'audience_rating': None, 'ratings': 0}
    average = (Decimal(sum(scores)) / len(scores)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)
    return {'audience_rating': float(average), 'ratings': len(scores)}


def part(body: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """The fields of `body` that `expected` names (so a failed comparison shows only those)."""
    return {key: body.get(key, '<missing>') for key in expected}


def as_read(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, 'starts_at': moment(body['starts_at'])}


def theatre_json(theatre: models.Theatre) -> dict[str, Any]:
    with session_scope() as session:
        row = session.get_one(models.Theatre, theatre.id)
        return {
            'id': row.id,
            'name': row.name,
            'place': row.place,
            'capacity': row.capacity,
            'owner_id': row.owner_id,
            'trend': f'/api/v1/theatres/{row.id}/trend.png',
            'address': row.address,
            'timezone': row.timezone,
        }


def show_body(**changes: Any) -> dict[str, Any]:
    body = {
        'name': 'Hamlet',
        'rating': 4.5,
        'tags': ['drama'],
        'ticket_price': 250,
        'num_tickets': 50,
        'starts_at': evening(10).isoformat(),
    }
    return {**body, **changes}


def make_export_job(owner: models.User, *, status: str = 'pending') -> str:
    """An export job row as the API records one, without a worker to run it."""
    now = utcnow()
    job_id = secrets.token_hex(16)
    with session_scope() as session:
        session.add(
            models.ExportJob(
                id=job_id,
                owner_id=owner.id,
                kind='bookings',
                target_id=None,
                title='My bookings',
                format='csv',
                status=status,
                progress=0,
                rows=0,
                created_at=now,
                heartbeat_at=now,
            )
        )
    return job_id


async def finished(user: User, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """The job once it is neither pending nor running (polled; the worker process may take a while to start)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + JOB_SECONDS
    while True:
        response = await user.http_client.get(f'{API}/exports/{job_id}', headers=headers)
        assert response.status_code == 200, response.text
        job = response.json()
        if job['status'] not in ('pending', 'running'):
            return job
        assert loop.time() < deadline, f'export {job_id} still {job["status"]} after {JOB_SECONDS} s'
        await asyncio.sleep(0.2)


def manager_with_show(**show: Any) -> tuple[models.User, models.Theatre, models.Show]:
    meera = make_user(username='meera', role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi', place='Mumbai', capacity=200)
    return meera, theatre, make_show(theatre, name='Hamlet', **show)


# --- accounts --------------------------------------------------------------------------------------------

SIGNUP = {'username': 'Asha_R', 'name': ' Asha Rao ', 'email': 'asha@example.com', 'password': 'long-enough-1'}


async def test_signup_creates_an_audience_member_by_default(user: User) -> None:
    response = await user.http_client.post(f'{API}/auth/signup', json=SIGNUP)
    assert response.status_code == 201
    with session_scope() as session:
        created = session.scalars(select(models.User)).one()
        assert response.json() == {
            'id': created.id,
            'username': 'asha_r',
            'name': 'Asha Rao',
            'email': 'asha@example.com',
            'role': 'user',
            'email_verified': False,  # until the link mailed to it is opened
            'pending_email': None,
        }
        assert created.role == 'user'
        assert verify_password('long-enough-1', created.password_hash)
    assert 'password' not in response.text
    assert 'long-enough-1' not in response.text
    await bearer(user, 'ASHA_R', 'long-enough-1')  # usernames are case-insensitive


async def test_signup_creates_a_theatre_manager(user: User) -> None:
    response = await user.http_client.post(f'{API}/auth/signup', json={**SIGNUP, 'role': 'manager'})
    assert response.status_code == 201
    assert response.json()['role'] == 'manager'
    assert set(response.json()) == USER_FIELDS
    with session_scope() as session:
        assert session.scalars(select(models.User.role)).all() == ['manager']


async def test_signup_refuses_a_taken_username_whatever_its_case(user: User) -> None:
    make_user(username='asha_r')
    before = database()
    response = await user.http_client.post(f'{API}/auth/signup', json={**SIGNUP, 'username': 'ASHA_R'})
    assert response.status_code == 409
    assert 'taken' in response.json()['detail']
    assert database() == before


@pytest.mark.parametrize(
    'changes',
    [
        pytest.param({'name': None}, id='missing-name'),
        pytest.param({'username': 12345}, id='number-as-username'),
        pytest.param({'username': 'ab'}, id='username-2-chars'),
        pytest.param({'username': 'a' * 33}, id='username-33-chars'),
        pytest.param({'username': 'asha rao'}, id='username-with-space'),
        pytest.param({'email': 'asha.example.com'}, id='bad-email'),
        pytest.param({'email': 'a' * 243 + '@example.com'}, id='email-255-chars'),
        pytest.param({'password': 'short-7'}, id='password-7-chars'),
        pytest.param({'password': 'p' * 129}, id='password-129-chars'),
        pytest.param({'role': 'admin'}, id='role-admin'),
        pytest.param({'is_admin': True}, id='unknown-field'),
        pytest.param({'name': '<b>Asha</b>'}, id='markup-in-name'),
    ],
)
async def test_signup_refuses_invalid_input(user: User, changes: dict[str, Any]) -> None:
    body = {k: v for k, v in {**SIGNUP, **changes}.items() if v is not None}
    before = database()
    response = await user.http_client.post(f'{API}/auth/signup', json=body)
    assert response.status_code == 422
    assert response.json()['detail']
    assert database() == before


async def test_login_gives_a_bearer_token_that_works(user: User) -> None:
    asha = make_user(username='asha')
    response = await user.http_client.post(f'{API}/auth/login', json={'username': 'asha', 'password': PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {'access_token', 'token_type', 'expires_in'}
    assert body['token_type'] == 'bearer'
    assert isinstance(body['expires_in'], int)
    assert body['expires_in'] > 0
    assert len(body['access_token']) >= 32
    me = await user.http_client.get(f'{API}/me', headers={'Authorization': f'Bearer {body["access_token"]}'})
    assert me.json()['id'] == asha.id


async def test_login_answers_a_wrong_password_and_an_unknown_user_alike(user: User) -> None:
    make_user(username='asha')
    wrong = await user.http_client.post(f'{API}/auth/login', json={'username': 'asha', 'password': 'not-it-at-all'})
    unknown = await user.http_client.post(f'{API}/auth/login', json={'username': 'nobody', 'password': PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {'detail': 'Wrong username or password.'}


async def test_login_is_refused_for_a_while_after_five_failures(user: User) -> None:
    make_user(username='asha')
    for _ in range(5):
        failed = await user.http_client.post(f'{API}/auth/login', json={'username': 'asha', 'password': 'wrong-pass'})
        assert failed.status_code == 401
    refused = await user.http_client.post(f'{API}/auth/login', json={'username': 'Asha', 'password': PASSWORD})
    assert refused.status_code == 429
    assert 'Too many failed logins' in refused.json()['detail']
    assert 0 < int(refused.headers['Retry-After']) <= 15 * 60


async def test_logout_ends_the_token_at_once(user: User) -> None:
    make_user(username='asha')
    headers = await bearer(user, 'asha')
    response = await user.http_client.post(f'{API}/auth/logout', headers=headers)
    assert response.status_code == 204
    assert response.content == b''
    after = await user.http_client.get(f'{API}/me', headers=headers)
    assert after.status_code == 401


async def test_the_browser_session_counts_for_reads_only(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show()
    make_user(username='asha')
    await open_as(user, 'asha', '/')  # the page's login: a session cookie, no bearer token
    me = await user.http_client.get(f'{API}/me')
    assert me.status_code == 200
    assert me.json()['username'] == 'asha'
    before = database()
    response = await user.http_client.post(f'{API}/shows/{hamlet.id}/bookings', json={'tickets': 1})
    assert response.status_code == 401
    assert database() == before


async def test_me_is_the_caller(user: User) -> None:
    asha = make_user(username='asha', name='Asha Rao')
    make_user(username='ravi')
    response = await user.http_client.get(f'{API}/me', headers=await bearer(user, 'asha'))
    assert response.status_code == 200
    assert response.json() == {
        'id': asha.id,
        'username': 'asha',
        'name': 'Asha Rao',
        'email': 'asha@example.com',
        'role': 'user',
        'email_verified': True,
        'pending_email': None,
    }


@pytest.mark.parametrize(
    'authorization',
    [
        pytest.param(None, id='no-token'),
        pytest.param('Bearer', id='scheme-without-token'),
        pytest.param('Basic YXNoYTpwdw==', id='basic-scheme'),
        pytest.param('Bearer-token', id='malformed'),
        pytest.param('Bearer not-a-token-of-anyone', id='unknown-token'),
        pytest.param('Bearer ' + 'x' * 500, id='oversized-token'),
    ],
)
@pytest.mark.parametrize('method, path', [('GET', '/me'), ('POST', '/auth/logout')])
async def test_a_missing_or_bad_token_is_401(user: User, authorization: str | None, method: str, path: str) -> None:
    make_user(username='asha')
    await bearer(user, 'asha')  # a live session exists, but not for these headers
    headers = {} if authorization is None else {'Authorization': authorization}
    response = await user.http_client.request(method, API + path, headers=headers)
    assert response.status_code == 401
    assert response.json()['detail']


# --- theatres --------------------------------------------------------------------------------------------


async def test_a_manager_lists_their_own_theatres_and_an_admin_all(user: User) -> None:
    meera, omar = make_user(username='meera', role=Role.MANAGER), make_user(username='omar', role=Role.MANAGER)
    make_user(username='root', role=Role.ADMIN)
    prithvi = make_theatre(meera, name='Prithvi', place='Mumbai', capacity=300)
    nehru = make_theatre(meera, name='Nehru Centre', place='Mumbai')
    ranga = make_theatre(omar, name='Ranga Shankara', place='Bengaluru')
    own = await user.http_client.get(f'{API}/theatres', headers=await bearer(user, 'meera'))
    assert own.status_code == 200
    assert own.json() == [theatre_json(nehru), theatre_json(prithvi)]
    every = await user.http_client.get(f'{API}/theatres', headers=await bearer(user, 'root'))
    assert every.status_code == 200
    assert sorted(t['id'] for t in every.json()) == sorted([prithvi.id, nehru.id, ranga.id])


async def test_a_manager_adds_a_theatre(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    body = {'name': ' Prithvi ', 'place': 'Mumbai', 'capacity': 100_000}
    response = await user.http_client.post(f'{API}/theatres', json=body, headers=await bearer(user, 'meera'))
    assert response.status_code == 201
    created = response.json()
    assert created['trend'] == f'/api/v1/theatres/{created["id"]}/trend.png'
    with session_scope() as session:
        row = session.get_one(models.Theatre, created['id'])
        assert (row.name, row.place, row.capacity, row.owner_id) == ('Prithvi', 'Mumbai', 100_000, meera.id)
    assert created == theatre_json(row)


async def test_a_manager_reads_their_theatre(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    prithvi = make_theatre(meera, name='Prithvi')
    response = await user.http_client.get(f'{API}/theatres/{prithvi.id}', headers=await bearer(user, 'meera'))
    assert response.status_code == 200
    assert response.json() == theatre_json(prithvi)


async def test_a_manager_changes_their_theatre(user: User) -> None:
    _meera, prithvi, _hamlet = manager_with_show(num_tickets=50)
    body = {'name': 'Prithvi Theatre', 'place': 'Juhu', 'capacity': 50}
    response = await user.http_client.put(
        f'{API}/theatres/{prithvi.id}', json=body, headers=await bearer(user, 'meera')
    )
    assert response.status_code == 200
    assert response.json() == theatre_json(prithvi)
    assert part(response.json(), body) == body


async def test_capacity_cannot_drop_below_a_shows_tickets(user: User) -> None:
    _meera, prithvi, _hamlet = manager_with_show(num_tickets=50)
    headers = await bearer(user, 'meera')
    before = database()
    body = {'name': 'Prithvi', 'place': 'Mumbai', 'capacity': 49}
    response = await user.http_client.put(f'{API}/theatres/{prithvi.id}', json=body, headers=headers)
    assert response.status_code == 409
    assert '50' in response.json()['detail']
    assert database() == before


async def test_a_manager_deletes_a_theatre_without_live_bookings(user: User) -> None:
    _meera, prithvi, hamlet = manager_with_show()
    make_booking(make_user(username='asha'), hamlet, status=BookingStatus.CANCELLED)
    response = await user.http_client.delete(f'{API}/theatres/{prithvi.id}', headers=await bearer(user, 'meera'))
    assert response.status_code == 204
    assert response.content == b''
    assert (count(models.Theatre), count(models.Show), count(models.Booking)) == (0, 0, 0)


async def test_a_theatre_with_live_bookings_is_not_deleted(user: User) -> None:
    _meera, prithvi, hamlet = manager_with_show()
    make_booking(make_user(username='asha'), hamlet, tickets=2)
    headers = await bearer(user, 'meera')
    before = database()
    response = await user.http_client.delete(f'{API}/theatres/{prithvi.id}', headers=headers)
    assert response.status_code == 409
    assert '1 confirmed booking for 2 tickets' in response.json()['detail']
    assert database() == before


async def test_the_dashboard_lists_own_theatres_with_their_shows(user: User) -> None:
    _meera, prithvi, hamlet = manager_with_show()
    past = make_show(prithvi, name='Yesterday', starts_in=-dt.timedelta(days=1))
    make_theatre(make_user(username='omar', role=Role.MANAGER), name='Ranga Shankara')
    response = await user.http_client.get(f'{API}/dashboard', headers=await bearer(user, 'meera'))
    assert response.status_code == 200
    (entry,) = response.json()
    assert entry['theatre'] == theatre_json(prithvi)
    assert sorted(s['id'] for s in entry['shows']) == sorted([hamlet.id, past.id])
    for show in entry['shows']:
        assert as_read(show) == {**show_json(show['id']), 'checked_in': 0}  # tickets let in at the door


async def test_a_manager_gets_the_trend_chart_of_their_theatre(user: User) -> None:
    _meera, prithvi, hamlet = manager_with_show()
    make_booking(make_user(username='asha'), hamlet)
    response = await user.http_client.get(f'{API}/theatres/{prithvi.id}/trend.png', headers=await bearer(user, 'meera'))
    assert response.status_code == 200
    assert response.headers['content-type'] == 'image/png'
    assert response.content.startswith(PNG)


THEATRE: dict[str, Any] = {'name': 'Prithvi', 'place': 'Mumbai', 'capacity': 200}


@pytest.mark.parametrize(
    'changes',
    [
        pytest.param({'capacity': 0}, id='capacity-0'),
        pytest.param({'capacity': 100_001}, id='capacity-100001'),
        pytest.param({'capacity': '5'}, id='capacity-as-string'),
        pytest.param({'capacity': 2**70}, id='capacity-2**70'),
        pytest.param({'capacity': 2.5}, id='capacity-fraction'),
        pytest.param({'name': None}, id='missing-name'),
        pytest.param({'name': 'x' * 101}, id='name-101-chars'),
        pytest.param({'name': '<b>Prithvi</b>'}, id='markup-in-name'),
        pytest.param({'place': '   '}, id='blank-place'),
    ],
)
@pytest.mark.parametrize('method', ['POST', 'PUT'])
async def test_theatre_input_is_checked(user: User, changes: dict[str, Any], method: str) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    prithvi = make_theatre(meera, **THEATRE)
    headers = await bearer(user, 'meera')
    body = {k: v for k, v in {**THEATRE, **changes}.items() if v is not None}
    path = f'{API}/theatres' if method == 'POST' else f'{API}/theatres/{prithvi.id}'
    before = database()
    response = await user.http_client.request(method, path, json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()['detail']
    assert database() == before


# --- who may do what -------------------------------------------------------------------------------------


FOREIGN = [
    ('GET', '/theatres/{theatre}', None),
    ('PUT', '/theatres/{theatre}', THEATRE),
    ('DELETE', '/theatres/{theatre}', None),
    ('GET', '/theatres/{theatre}/trend.png', None),
    ('POST', '/theatres/{theatre}/shows', show_body()),
    ('POST', '/theatres/{theatre}/export', None),
    ('PUT', '/shows/{show}', show_body()),
    ('DELETE', '/shows/{show}', None),
    ('POST', '/shows/{show}/export', None),
]


@pytest.mark.parametrize('method, path, body', FOREIGN, ids=[f'{m} {p}' for m, p, _ in FOREIGN])
async def test_another_managers_theatre_or_show_is_404(user: User, method: str, path: str, body: Any) -> None:
    _meera, prithvi, hamlet = manager_with_show()
    make_booking(make_user(username='asha'), hamlet)
    make_user(username='omar', role=Role.MANAGER)
    headers = await bearer(user, 'omar')
    before = database()
    url = API + path.format(theatre=prithvi.id, show=hamlet.id)
    response = await user.http_client.request(method, url, json=body, headers=headers)
    assert response.status_code == 404
    assert response.json()['detail'] in ('No such theatre.', 'No such show.')
    assert database() == before


AUDIENCE_REFUSED = [
    ('GET', '/theatres', None),
    ('POST', '/theatres', THEATRE),
    ('GET', '/dashboard', None),
    ('GET', '/summary', None),
    ('GET', '/theatres/{theatre}', None),
    ('POST', '/theatres/{theatre}/shows', show_body()),
    ('PUT', '/shows/{show}', show_body()),
    ('POST', '/theatres/{theatre}/export', None),
]


@pytest.mark.parametrize('method, path, body', AUDIENCE_REFUSED, ids=[f'{m} {p}' for m, p, _ in AUDIENCE_REFUSED])
async def test_an_audience_member_may_not_manage(user: User, method: str, path: str, body: Any) -> None:
    _meera, prithvi, hamlet = manager_with_show()
    make_user(username='asha')
    headers = await bearer(user, 'asha')
    before = database()
    url = API + path.format(theatre=prithvi.id, show=hamlet.id)
    response = await user.http_client.request(method, url, json=body, headers=headers)
    assert response.status_code == 403
    assert 'Only' in response.json()['detail']
    assert database() == before


@pytest.mark.parametrize(
    'theatre_id, statuses',
    [
        pytest.param('999', {404}, id='unknown'),
        pytest.param(str(2**63), {404, 422}, id='2**63'),
        pytest.param('-1', {404, 422}, id='negative'),
        pytest.param('abc', {422}, id='not-a-number'),
    ],
)
@pytest.mark.parametrize('method', ['GET', 'PUT', 'DELETE'])
async def test_theatre_ids_that_cannot_be_found(user: User, theatre_id: str, statuses: set[int], method: str) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    make_theatre(meera)
    headers = await bearer(user, 'meera')
    before = database()
    body = THEATRE if method == 'PUT' else None
    response = await user.http_client.request(method, f'{API}/theatres/{theatre_id}', json=body, headers=headers)
    assert response.status_code in statuses
    assert response.json()['detail']
    assert database() == before


# --- shows -----------------------------------------------------------------------------------------------


async def test_anyone_lists_upcoming_shows_soonest_first(user: User) -> None:
    _meera, prithvi, hamlet = manager_with_show(starts_in=dt.timedelta(days=2), tags=('drama', 'english'))
    soon = make_show(prithvi, name='Soon', starts_in=dt.timedelta(hours=2))
    later = make_show(prithvi, name='Later', starts_in=dt.timedelta(days=9))
    make_show(prithvi, name='Started', starts_in=-dt.timedelta(minutes=5))
    make_booking(make_user(username='asha'), hamlet, tickets=4)
    response = await user.http_client.get(f'{API}/shows')
    assert response.status_code == 200
    page = response.json()
    assert page['total'] == 3
    assert [s['id'] for s in page['items']] == [soon.id, hamlet.id, later.id]
    assert all(set(s) >= SHOW_FIELDS for s in page['items'])
    assert as_read(page['items'][1]) == show_json(hamlet.id)
    assert page['items'][1]['tickets_left'] == 46


@pytest.mark.parametrize(
    'query, expected, total',
    [
        pytest.param({'q': 'HAML'}, ['Hamlet'], 1, id='q-show-name'),
        pytest.param({'q': 'ranga'}, ['Tughlaq'], 1, id='q-theatre-name'),
        pytest.param({'place': 'bengaluru'}, ['Tughlaq'], 1, id='place'),
        pytest.param({'tag': 'Drama'}, ['Hamlet', 'Tughlaq'], 2, id='tag'),
        pytest.param({'min_rating': 4}, ['Hamlet', 'Comedy Night'], 2, id='min-rating'),
        pytest.param({'starts_after': '{d2}T19:30:00'}, ['Tughlaq', 'Comedy Night'], 2, id='after-local'),
        pytest.param({'starts_after': '{d2}T19:30:00Z'}, ['Comedy Night'], 1, id='after-utc'),
        pytest.param({'starts_before': '{d2}T19:30:00+05:30'}, ['Hamlet'], 1, id='before-with-offset'),
        pytest.param(
            {'starts_after': '{d1}T00:00:00', 'starts_before': '{d3}T00:00:00'}, ['Hamlet', 'Tughlaq'], 2, id='between'
        ),
        pytest.param({'limit': 2}, ['Hamlet', 'Tughlaq'], 3, id='limit'),
        pytest.param({'limit': 2, 'offset': 2}, ['Comedy Night'], 3, id='offset'),
    ],
)
async def test_the_listing_filters(user: User, query: dict[str, Any], expected: list[str], total: int) -> None:
    d1, d2, d3 = evening(5), evening(6), evening(7)
    meera = make_user(username='meera', role=Role.MANAGER)
    prithvi = make_theatre(meera, name='Prithvi', place='Mumbai')
    ranga = make_theatre(meera, name='Ranga Shankara', place='Bengaluru')
    make_show(prithvi, name='Hamlet', rating=4.5, tags=('drama',), starts_at=d1)
    make_show(ranga, name='Tughlaq', rating=3.0, tags=('drama', 'history'), starts_at=d2)
    make_show(prithvi, name='Comedy Night', rating=4.0, tags=('comedy',), starts_at=d3)
    dates = {'d1': d1.date().isoformat(), 'd2': d2.date().isoformat(), 'd3': d3.date().isoformat()}
    params = {k: v.format(**dates) if isinstance(v, str) else v for k, v in query.items()}
    response = await user.http_client.get(f'{API}/shows', params=params)
    assert response.status_code == 200
    assert [s['name'] for s in response.json()['items']] == expected
    assert response.json()['total'] == total


@pytest.mark.parametrize(
    'query',
    [
        pytest.param({'limit': 101}, id='limit-101'),
        pytest.param({'limit': 0}, id='limit-0'),
        pytest.param({'min_rating': 6}, id='min-rating-6'),
        pytest.param({'offset': -1}, id='offset-negative'),
        pytest.param(
            {'starts_after': '2030-01-02T00:00:00', 'starts_before': '2030-01-01T00:00:00'}, id='before<after'
        ),
        pytest.param({'starts_after': 'tomorrow'}, id='not-a-date'),
    ],
)
async def test_the_listing_refuses_invalid_queries(user: User, query: dict[str, Any]) -> None:
    manager_with_show()
    response = await user.http_client.get(f'{API}/shows', params=query)
    assert response.status_code == 422
    assert response.json()['detail']


async def test_anyone_reads_a_show(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show(tags=('drama',), price_cents=25050, rating=4.5)
    response = await user.http_client.get(f'{API}/shows/{hamlet.id}')
    assert response.status_code == 200
    assert as_read(response.json()) == show_json(hamlet.id)
    assert response.json()['ticket_price'] == 250.5


@pytest.mark.parametrize('show_id', ['999', str(2**63), '0'])
async def test_an_unknown_show_is_404(user: User, show_id: str) -> None:
    manager_with_show()
    response = await user.http_client.get(f'{API}/shows/{show_id}')
    assert response.status_code == 404
    assert response.json() == {'detail': 'No such show.'}


async def test_a_manager_adds_a_show(user: User) -> None:
    _meera, prithvi, _hamlet = manager_with_show()
    start = evening(10)
    body = show_body(
        name='Tughlaq',
        ticket_price=250.5,
        rating=4,
        tags=['Drama', ' history '],
        num_tickets=200,
        starts_at=start.replace(tzinfo=None).isoformat(),  # no offset: read in the app's zone
    )
    headers = await bearer(user, 'meera')
    response = await user.http_client.post(f'{API}/theatres/{prithvi.id}/shows', json=body, headers=headers)
    assert response.status_code == 201
    created = response.json()
    assert set(created) >= SHOW_FIELDS
    assert moment(created['starts_at']) == dt.datetime.combine(start.date(), dt.time(14, 0), tzinfo=dt.UTC)
    assert as_read(created) == show_json(created['id'])
    assert created['ticket_price'] == 250.5
    assert created['tags'] == ['drama', 'history']
    assert (created['theatre_id'], created['theatre_name'], created['tickets_left']) == (prithvi.id, 'Prithvi', 200)
    with session_scope() as session:
        assert session.get_one(models.Show, created['id']).price_cents == 25050
    read = await user.http_client.get(f'{API}/shows/{created["id"]}')
    assert read.json()['starts_at'].replace('+00:00', 'Z') == f'{start.date().isoformat()}T14:00:00Z'
    assert read.json()['ticket_price'] == 250.5


@pytest.mark.parametrize(
    'changes',
    [
        pytest.param({'ticket_price': 2.555}, id='price-3-decimals'),
        pytest.param({'ticket_price': -1}, id='price-negative'),
        pytest.param({'ticket_price': '250'}, id='price-as-string'),
        pytest.param({'rating': 5.5}, id='rating-5.5'),
        pytest.param({'rating': 4.55}, id='rating-4.55'),
        pytest.param({'num_tickets': 201}, id='tickets-over-capacity'),
        pytest.param({'num_tickets': 0}, id='tickets-0'),
        pytest.param({'tags': 'drama'}, id='tags-not-a-list'),
        pytest.param({'tags': [f'tag{i}' for i in range(11)]}, id='11-tags'),
        pytest.param({'tags': ['t' * 31]}, id='tag-31-chars'),
        pytest.param({'starts_at': '2020-01-01T19:30:00+05:30'}, id='starts-in-the-past'),
        pytest.param({'starts_at': 'tomorrow'}, id='starts-tomorrow-as-a-word'),
        pytest.param({'name': None}, id='missing-name'),
        pytest.param({'name': 'x' * 101}, id='name-101-chars'),
    ],
)
async def test_show_input_is_checked(user: User, changes: dict[str, Any]) -> None:
    _meera, prithvi, _hamlet = manager_with_show()
    headers = await bearer(user, 'meera')
    body = {k: v for k, v in show_body(**changes).items() if v is not None}
    before = database()
    response = await user.http_client.post(f'{API}/theatres/{prithvi.id}/shows', json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()['detail']
    assert database() == before


async def test_a_manager_changes_a_show(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show(num_tickets=50, price_cents=25000)
    make_booking(make_user(username='asha'), hamlet, tickets=5)
    body = show_body(name='Hamlet (revival)', ticket_price=300.25, num_tickets=5, tags=['classic'], rating=3.5)
    response = await user.http_client.put(f'{API}/shows/{hamlet.id}', json=body, headers=await bearer(user, 'meera'))
    assert response.status_code == 200
    changed = response.json()
    assert as_read(changed) == show_json(hamlet.id)
    expected = {
        'name': 'Hamlet (revival)',
        'ticket_price': 300.25,
        'num_tickets': 5,
        'tickets_left': 0,
        'tags': ['classic'],
        'rating': 3.5,
    }
    assert part(changed, expected) == expected
    assert moment(changed['starts_at']) == moment(body['starts_at'])
    with session_scope() as session:
        assert session.scalars(select(models.Booking.price_cents)).all() == [25000]  # booked at the old price


async def test_a_show_keeps_at_least_the_tickets_sold(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show(num_tickets=50)
    make_booking(make_user(username='asha'), hamlet, tickets=5)
    headers = await bearer(user, 'meera')
    before = database()
    response = await user.http_client.put(f'{API}/shows/{hamlet.id}', json=show_body(num_tickets=4), headers=headers)
    assert response.status_code == 409
    assert response.json()['detail'] == '5 tickets are already sold; the number of tickets cannot be lower.'
    assert database() == before


async def test_a_manager_deletes_a_show_without_live_bookings(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show()
    make_booking(make_user(username='asha'), hamlet, status=BookingStatus.CANCELLED)
    response = await user.http_client.delete(f'{API}/shows/{hamlet.id}', headers=await bearer(user, 'meera'))
    assert response.status_code == 204
    assert (count(models.Show), count(models.Booking), count(models.Theatre)) == (0, 0, 1)
    assert (await user.http_client.get(f'{API}/shows/{hamlet.id}')).status_code == 404


async def test_a_show_with_live_bookings_is_not_deleted(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show()
    make_booking(make_user(username='asha'), hamlet, tickets=3)
    headers = await bearer(user, 'meera')
    before = database()
    response = await user.http_client.delete(f'{API}/shows/{hamlet.id}', headers=headers)
    assert response.status_code == 409
    assert '1 confirmed booking for 3 tickets' in response.json()['detail']
    assert database() == before


# --- bookings --------------------------------------------------------------------------------------------


async def test_an_audience_member_books_tickets(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show(num_tickets=50, price_cents=25050)
    asha = make_user(username='asha')
    headers = await bearer(user, 'asha')
    sent = utcnow()
    response = await user.http_client.post(f'{API}/shows/{hamlet.id}/bookings', json={'tickets': 3}, headers=headers)
    answered = utcnow()
    assert response.status_code == 201
    booking = response.json()
    assert set(booking) >= BOOKING_FIELDS
    with session_scope() as session:
        row = session.scalars(select(models.Booking)).one()
        assert (row.id, row.user_id, row.booked_tickets, row.price_cents, row.total_cents, row.status) == (
            booking['id'],
            asha.id,
            3,
            25050,
            75150,
            'confirmed',
        )
        assert session.get_one(models.Show, hamlet.id).tickets_sold == 3
    expected = {
        'show_id': hamlet.id,
        'show_name': 'Hamlet',
        'theatre_name': 'Prithvi',
        'booked_tickets': 3,
        'price': 250.5,
        'total': 751.5,
        'status': 'confirmed',
    }
    assert part(booking, expected) == expected
    assert moment(booking['starts_at']) == show_json(hamlet.id)['starts_at']
    assert sent <= moment(booking['created_at']) <= answered
    show = await user.http_client.get(f'{API}/shows/{hamlet.id}')
    assert show.json()['tickets_left'] == 47


async def test_a_manager_books_for_themselves(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show()
    headers = await bearer(user, 'meera')
    response = await user.http_client.post(f'{API}/shows/{hamlet.id}/bookings', json={'tickets': 1}, headers=headers)
    assert response.status_code == 201


async def test_no_more_tickets_than_are_left(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show(num_tickets=5)
    make_booking(make_user(username='ravi'), hamlet, tickets=3)
    make_user(username='asha')
    headers = await bearer(user, 'asha')
    before = database()
    response = await user.http_client.post(f'{API}/shows/{hamlet.id}/bookings', json={'tickets': 3}, headers=headers)
    assert response.status_code == 409
    assert response.json() == {'detail': 'Not enough tickets left: only 2 left.'}
    assert database() == before


async def test_a_show_that_has_started_cannot_be_booked(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show(starts_in=-dt.timedelta(minutes=1))
    make_user(username='asha')
    headers = await bearer(user, 'asha')
    before = database()
    response = await user.http_client.post(f'{API}/shows/{hamlet.id}/bookings', json={'tickets': 1}, headers=headers)
    assert response.status_code == 409
    assert 'already started' in response.json()['detail']
    assert database() == before


@pytest.mark.parametrize(
    'body',
    [
        pytest.param({'tickets': 0}, id='0'),
        pytest.param({'tickets': 11}, id='11'),
        pytest.param({'tickets': '2'}, id='string'),
        pytest.param({'tickets': 2.5}, id='fraction'),
        pytest.param({'tickets': True}, id='boolean'),
        pytest.param({}, id='missing'),
        pytest.param({'tickets': 2, 'user_id': 1}, id='user-id-in-body'),
    ],
)
async def test_the_number_of_tickets_is_checked(user: User, body: dict[str, Any]) -> None:
    _meera, _prithvi, hamlet = manager_with_show()
    make_user(username='asha')
    headers = await bearer(user, 'asha')
    before = database()
    response = await user.http_client.post(f'{API}/shows/{hamlet.id}/bookings', json=body, headers=headers)
    assert response.status_code == 422
    assert response.json()['detail']
    assert database() == before


async def test_booking_an_unknown_show_is_404(user: User) -> None:
    manager_with_show()
    make_user(username='asha')
    headers = await bearer(user, 'asha')
    before = database()
    response = await user.http_client.post(f'{API}/shows/999/bookings', json={'tickets': 1}, headers=headers)
    assert response.status_code == 404
    assert response.json() == {'detail': 'No such show.'}
    assert database() == before


async def test_booking_needs_a_token(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show()
    before = database()
    response = await user.http_client.post(f'{API}/shows/{hamlet.id}/bookings', json={'tickets': 1})
    assert response.status_code == 401
    assert response.json()['detail']
    assert database() == before


async def test_my_bookings_are_my_own_newest_first(user: User) -> None:
    _meera, prithvi, hamlet = manager_with_show()
    tughlaq = make_show(prithvi, name='Tughlaq', starts_in=dt.timedelta(days=1))
    asha, ravi = make_user(username='asha'), make_user(username='ravi')
    now = utcnow()
    older = make_booking(asha, hamlet, tickets=1, created_at=now - dt.timedelta(days=2))
    newer = make_booking(
        asha, tughlaq, tickets=2, created_at=now - dt.timedelta(days=1), status=BookingStatus.CANCELLED
    )
    make_booking(ravi, hamlet, tickets=4)
    response = await user.http_client.get(f'{API}/bookings', headers=await bearer(user, 'asha'))
    assert response.status_code == 200
    bookings = response.json()
    assert [b['id'] for b in bookings] == [newer.id, older.id]
    expected = {'show_id': tughlaq.id, 'booked_tickets': 2, 'price': 250.0, 'total': 500.0, 'status': 'cancelled'}
    assert part(bookings[0], expected) == expected
    assert all(set(b) >= BOOKING_FIELDS for b in bookings)


async def test_cancelling_releases_the_seats(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show(num_tickets=50)
    make_user(username='asha')
    headers = await bearer(user, 'asha')
    booked = await user.http_client.post(f'{API}/shows/{hamlet.id}/bookings', json={'tickets': 4}, headers=headers)
    assert (await user.http_client.get(f'{API}/shows/{hamlet.id}')).json()['tickets_left'] == 46
    response = await user.http_client.delete(f'{API}/bookings/{booked.json()["id"]}', headers=headers)
    assert response.status_code == 200
    voided = [{**ticket, 'status': 'cancelled'} for ticket in booked.json()['tickets']]
    assert response.json() == {**booked.json(), 'status': 'cancelled', 'tickets': voided}
    assert (await user.http_client.get(f'{API}/shows/{hamlet.id}')).json()['tickets_left'] == 50
    with session_scope() as session:
        assert session.scalars(select(models.Booking.status)).all() == ['cancelled']
        assert session.get_one(models.Show, hamlet.id).tickets_sold == 0


@pytest.mark.parametrize(
    'situation, status, detail',
    [
        pytest.param('another-users', 404, 'No such booking.', id='another-users-booking'),
        pytest.param('cancelled', 409, 'This booking is already cancelled.', id='cancelled-twice'),
        pytest.param('started', 409, 'already started', id='show-started'),
        pytest.param('unknown', 404, 'No such booking.', id='unknown'),
    ],
)
async def test_a_booking_that_cannot_be_cancelled(user: User, situation: str, status: int, detail: str) -> None:
    _meera, prithvi, hamlet = manager_with_show()
    asha, ravi = make_user(username='asha'), make_user(username='ravi')
    started = make_show(prithvi, name='Started', starts_in=-dt.timedelta(minutes=1))
    booking_id = {
        'another-users': lambda: make_booking(ravi, hamlet).id,
        'cancelled': lambda: make_booking(asha, hamlet, status=BookingStatus.CANCELLED).id,
        'started': lambda: make_booking(asha, started).id,
        'unknown': lambda: 999,
    }[situation]()
    headers = await bearer(user, 'asha')
    before = database()
    response = await user.http_client.delete(f'{API}/bookings/{booking_id}', headers=headers)
    assert response.status_code == status
    assert detail in response.json()['detail']
    assert database() == before


async def test_a_past_show_that_was_booked_is_rated(user: User) -> None:
    _meera, _prithvi, hamlet = manager_with_show(starts_in=-dt.timedelta(days=1))
    asha = make_user(username='asha')
    make_booking(asha, hamlet)
    headers = await bearer(user, 'asha')
    response = await user.http_client.post(f'{API}/shows/{hamlet.id}/rating', json={'score': 4}, headers=headers)
    assert response.status_code == 200
    assert response.json() == {'show_id': hamlet.id, 'score': 4}
    with session_scope() as session:
        rating = session.scalars(select(models.ShowRating)).one()
        assert (rating.user_id, rating.show_id, rating.score) == (asha.id, hamlet.id, 4)


@pytest.mark.parametrize(
    'situation, status',
    [
        pytest.param('not-booked', 409, id='without-a-booking'),
        pytest.param('before-start', 409, id='before-the-show-starts'),
        pytest.param('cancelled', 409, id='booking-cancelled'),
        pytest.param('score-0', 422, id='score-0'),
        pytest.param('score-6', 422, id='score-6'),
        pytest.param('unknown-show', 404, id='unknown-show'),
    ],
)
async def test_a_rating_that_is_refused(user: User, situation: str, status: int) -> None:
    _meera, prithvi, past = manager_with_show(starts_in=-dt.timedelta(days=1))
    upcoming = make_show(prithvi, name='Upcoming')
    asha = make_user(username='asha')
    show_id, score = past.id, 4
    if situation == 'before-start':
        make_booking(asha, upcoming)
        show_id = upcoming.id
    elif situation == 'cancelled':
        make_booking(asha, past, status=BookingStatus.CANCELLED)
    elif situation.startswith('score-'):
        make_booking(asha, past)
        score = int(situation.removeprefix('score-'))
    elif situation == 'unknown-show':
        show_id = 999
    headers = await bearer(user, 'asha')
    before = database()
    response = await user.http_client.post(f'{API}/shows/{show_id}/rating', json={'score': score}, headers=headers)
    assert response.status_code == status
    assert response.json()['detail']
    assert database() == before


# --- summary and exports ---------------------------------------------------------------------------------


async def test_the_summary_sums_up_each_theatre(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    prithvi = make_theatre(meera, name='Prithvi', place='Mumbai', capacity=200)
    hamlet = make_show(prithvi, name='Hamlet', num_tickets=50, price_cents=25000)
    tughlaq = make_show(prithvi, name='Tughlaq', num_tickets=30, price_cents=25000)
    asha = make_user(username='asha')
    make_booking(asha, hamlet, tickets=3)
    make_booking(asha, tughlaq, tickets=2)
    make_booking(asha, tughlaq, tickets=4, status=BookingStatus.CANCELLED)
    ranga = make_theatre(make_user(username='omar', role=Role.MANAGER), name='Ranga Shankara', place='Bengaluru')
    make_user(username='root', role=Role.ADMIN)
    response = await user.http_client.get(f'{API}/summary', headers=await bearer(user, 'meera'))
    assert response.status_code == 200
    (figures,) = response.json()
    expected = {
        'theatre_id': prithvi.id,
        'name': 'Prithvi',
        'place': 'Mumbai',
        'shows': 2,
        'tickets_sold': 5,
        'capacity': 200,
        'occupancy': 5 / 80,
        'revenue': 1250.0,
        'trend': f'/api/v1/theatres/{prithvi.id}/trend.png',
    }
    assert part(figures, expected) == expected
    every = await user.http_client.get(f'{API}/summary', headers=await bearer(user, 'root'))
    assert sorted(t['theatre_id'] for t in every.json()) == sorted([prithvi.id, ranga.id])
    empty = next(t for t in every.json() if t['theatre_id'] == ranga.id)
    assert (empty['shows'], empty['tickets_sold'], empty['occupancy'], empty['revenue']) == (0, 0, 0, 0)


async def test_exports_run_in_the_background_and_are_downloaded(user: User) -> None:
    _meera, prithvi, hamlet = manager_with_show(price_cents=25050)
    make_booking(make_user(username='asha'), hamlet, tickets=3)
    meera_headers, asha_headers = await bearer(user, 'meera'), await bearer(user, 'asha')
    started = {
        'theatre.csv': await user.http_client.post(f'{API}/theatres/{prithvi.id}/export', headers=meera_headers),
        'show.xlsx': await user.http_client.post(
            f'{API}/shows/{hamlet.id}/export', params={'format': 'xlsx'}, headers=meera_headers
        ),
        'bookings.csv': await user.http_client.post(f'{API}/bookings/export', headers=asha_headers),
    }
    for response in started.values():
        assert response.status_code == 202
        job = response.json()
        assert (len(job['job_id']), job['status'], job['download_url']) == (32, 'pending', None)
    with session_scope() as session:
        assert session.scalars(select(models.ExportJob.kind).order_by(models.ExportJob.kind)).all() == [
            'bookings',
            'show',
            'theatre',
        ]
    for name, response in started.items():
        job_id = response.json()['job_id']
        headers = asha_headers if name.startswith('bookings') else meera_headers
        job = await finished(user, job_id, headers)
        assert job['status'] == 'done', job
        assert job['download_url'] == f'/api/v1/exports/{job_id}/file'
        file = await user.http_client.get(job['download_url'], headers=headers)
        assert file.status_code == 200
        if name.endswith('.xlsx'):
            assert file.content.startswith(b'PK')
            table = pd.read_excel(io.BytesIO(file.content), sheet_name=None)
            assert 'Hamlet' in table['Show']['Show'].tolist()  # Excel's headers are for people
        else:
            assert file.headers['content-type'].startswith('text/csv')
            table = pd.read_csv(io.BytesIO(file.content), encoding='utf-8-sig')
            assert 'Hamlet' in table['show'].tolist()
    someone_elses = started['theatre.csv'].json()['job_id']
    assert (await user.http_client.get(f'{API}/exports/{someone_elses}', headers=asha_headers)).status_code == 404


async def test_a_file_is_not_there_before_the_export_is_done(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    job_id = make_export_job(meera, status='pending')
    headers = await bearer(user, 'meera')
    job = await user.http_client.get(f'{API}/exports/{job_id}', headers=headers)
    assert job.status_code == 200
    expected = {'job_id': job_id, 'status': 'pending', 'download_url': None}
    assert part(job.json(), expected) == expected
    before = database()
    response = await user.http_client.get(f'{API}/exports/{job_id}/file', headers=headers)
    assert response.status_code == 409
    assert response.json() == {'detail': 'This export is not ready yet.'}
    assert database() == before


@pytest.mark.parametrize('suffix', ['', '/file'])
@pytest.mark.parametrize('status', ['pending', 'done'])
async def test_another_users_export_is_404(user: User, suffix: str, status: str) -> None:
    job_id = make_export_job(make_user(username='meera', role=Role.MANAGER), status=status)
    make_user(username='omar', role=Role.MANAGER)
    response = await user.http_client.get(f'{API}/exports/{job_id}{suffix}', headers=await bearer(user, 'omar'))
    assert response.status_code == 404
    assert response.json() == {'detail': 'No such export.'}


@pytest.mark.parametrize('job_id', ['0' * 32, 'x' * 64, 'nope'])
async def test_an_unknown_export_is_404(user: User, job_id: str) -> None:
    make_user(username='asha')
    response = await user.http_client.get(f'{API}/exports/{job_id}', headers=await bearer(user, 'asha'))
    assert response.status_code == 404


@pytest.mark.parametrize('path', ['/theatres/{theatre}/export', '/shows/{show}/export', '/bookings/export'])
async def test_an_export_format_other_than_csv_or_xlsx_is_422(user: User, path: str) -> None:
    _meera, prithvi, hamlet = manager_with_show()
    headers = await bearer(user, 'meera')
    before = database()
    url = API + path.format(theatre=prithvi.id, show=hamlet.id)
    response = await user.http_client.post(url, params={'format': 'pdf'}, headers=headers)
    assert response.status_code == 422
    assert response.json()['detail']
    assert database() == before


async def test_exports_need_a_token(user: User) -> None:
    before = database()
    response = await user.http_client.post(f'{API}/bookings/export')
    assert response.status_code == 401
    assert database() == before


# --- every request ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    'content',
    [
        pytest.param(b'{"name": "Prithvi", ', id='truncated'),
        pytest.param(b"{'name': 'Prithvi'}", id='single-quotes'),
        pytest.param(b'[{"name": "Prithvi", "place": "Mumbai", "capacity": 10}]', id='array'),
        pytest.param(b'"Prithvi"', id='string'),
        pytest.param(b'', id='empty'),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_422(user: User, content: bytes) -> None:
    make_user(username='meera', role=Role.MANAGER)
    headers = {**await bearer(user, 'meera'), 'Content-Type': 'application/json'}
    before = database()
    response = await user.http_client.post(f'{API}/theatres', content=content, headers=headers)
    assert response.status_code == 422
    assert response.json()['detail']
    assert database() == before


@pytest.mark.parametrize(
    'content',
    [
        pytest.param(b'{"name": "\xff", "place": "Mumbai", "capacity": 10}', id='invalid-utf-8'),
        pytest.param(b'[' * 30_000 + b']' * 30_000, id='nested-30000-deep'),
        pytest.param(
            b'{"name": "Prithvi", "place": "Mumbai", "capacity": 1' + b'0' * 5000 + b'}', id='5001-digit-number'
        ),
    ],
)
async def test_a_body_that_cannot_be_decoded_is_422(user: User, content: bytes) -> None:
    make_user(username='meera', role=Role.MANAGER)
    headers = {**await bearer(user, 'meera'), 'Content-Type': 'application/json'}
    before = database()
    response = await user.http_client.post(f'{API}/theatres', content=content, headers=headers)
    assert response.status_code == 422
    assert response.json()['detail']
    assert database() == before


@pytest.mark.parametrize(
    'path, content',
    [
        pytest.param('/auth/login', b'{"username": "meera", "password": NaN}', id='login-NaN'),
        pytest.param('/auth/signup', b'{"username": "meera2", "name": Infinity}', id='signup-Infinity'),
        pytest.param('/theatres', b'{"name": "Prithvi", "place": "Mumbai", "capacity": NaN}', id='theatre-NaN'),
        pytest.param('/theatres', b'{"name": "Prithvi", "place": "Mumbai", "capacity": 1e400}', id='valid-json-1e400'),
    ],
)
async def test_nan_in_a_body_is_422(user: User, path: str, content: bytes) -> None:
    make_user(username='meera', role=Role.MANAGER)
    headers = {**await bearer(user, 'meera'), 'Content-Type': 'application/json'}
    before = database()
    async with raw_client() as client:
        response = await client.post(API + path, content=content, headers=headers)
    assert database() == before
    assert response.status_code == 422


async def test_a_body_over_64_kib_is_413(user: User) -> None:
    make_user(username='meera', role=Role.MANAGER)
    headers = {**await bearer(user, 'meera'), 'Content-Type': 'application/json'}
    body = b'{"name": "' + b'x' * (64 * 1024) + b'", "place": "Mumbai", "capacity": 10}'
    before = database()
    response = await user.http_client.post(f'{API}/theatres', content=body, headers=headers)
    assert response.status_code == 413
    assert response.json() == {'detail': 'The request body is larger than 64 KiB.'}
    assert database() == before


async def test_a_chunked_body_over_64_kib_is_413(user: User) -> None:
    make_user(username='meera', role=Role.MANAGER)
    headers = {**await bearer(user, 'meera'), 'Content-Type': 'application/json'}

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(8):
            yield b'x' * 10_000
        yield b'", "place": "Mumbai", "capacity": 10}'

    before = database()
    response = await user.http_client.post(f'{API}/theatres', content=chunks(), headers=headers)
    assert 'content-length' not in response.request.headers
    assert database() == before
    assert response.status_code == 413


@pytest.mark.parametrize('method', ['GET', 'POST', 'DELETE'])
async def test_an_unknown_api_path_is_a_json_404(user: User, method: str) -> None:
    response = await user.http_client.request(method, f'{API}/nope')
    assert response.status_code == 404
    assert response.headers['content-type'] == 'application/json'
    assert response.json() == {'detail': f'No such endpoint: {method} /api/v1/nope'}


async def test_no_answer_leaks_a_password_or_someone_elses_email(user: User) -> None:
    _meera, prithvi, hamlet = manager_with_show()
    make_user(username='ravi', email='ravi@private.example')
    make_booking(make_user(username='asha', email='asha@private.example'), hamlet)
    make_user(username='root', role=Role.ADMIN)
    signup = await user.http_client.post(f'{API}/auth/signup', json=SIGNUP)
    asha, meera, root = await bearer(user, 'asha'), await bearer(user, 'meera'), await bearer(user, 'root')
    answers = {
        'signup': (signup, set()),
        'asha /me': (await user.http_client.get(f'{API}/me', headers=asha), {'asha@private.example'}),
        'asha /bookings': (await user.http_client.get(f'{API}/bookings', headers=asha), set()),
        '/shows': (await user.http_client.get(f'{API}/shows'), set()),
        '/shows/id': (await user.http_client.get(f'{API}/shows/{hamlet.id}'), set()),
        'meera /theatres': (await user.http_client.get(f'{API}/theatres', headers=meera), set()),
        'meera /dashboard': (await user.http_client.get(f'{API}/dashboard', headers=meera), set()),
        'meera /summary': (await user.http_client.get(f'{API}/summary', headers=meera), set()),
        'root /theatres': (await user.http_client.get(f'{API}/theatres', headers=root), set()),
        'root /theatre': (await user.http_client.get(f'{API}/theatres/{prithvi.id}', headers=root), set()),
    }
    for name, (response, own_emails) in answers.items():
        assert response.status_code in (200, 201), name
        text = response.text.lower()
        assert 'password' not in text, name
        assert '$2b$' not in text, name  # a bcrypt hash
        for email in {'ravi@private.example', 'asha@private.example', 'meera@example.com'} - own_emails:
            assert email not in text, name


async def test_the_openapi_document_lists_every_path_of_the_contract(user: User) -> None:
    response = await user.http_client.get('/openapi.json')
    assert response.status_code == 200
    paths = response.json()['paths']
    for path, methods in CONTRACT_PATHS.items():
        assert path in paths, path
        assert methods <= set(paths[path]), path


async def test_the_interactive_docs_are_served(user: User) -> None:
    response = await user.http_client.get('/docs')
    assert response.status_code == 200
    assert 'swagger' in response.text.lower()


@pytest.mark.parametrize(
    'query',
    [
        pytest.param({'starts_after': '0001-01-01T00:00:00'}, id='year-1-local'),
        pytest.param({'starts_before': '9999-12-31T23:59:59-12:00'}, id='year-9999-west-of-utc'),
    ],
)
async def test_extreme_listing_dates_are_not_a_server_error(user: User, query: dict[str, str]) -> None:
    manager_with_show()
    async with raw_client() as client:
        response = await client.get(f'{API}/shows', params=query)
    assert response.status_code in (200, 422)


async def test_an_email_with_a_control_character_is_422(user: User) -> None:
    before = database()
    response = await user.http_client.post(f'{API}/auth/signup', json={**SIGNUP, 'email': 'asha\x00@example.com'})
    assert response.status_code == 422
    assert database() == before


# --- the binary routes beside the contract (charts, outbox, unsubscribe) ---------------------------------


async def test_the_sales_and_comparison_charts(user: User) -> None:
    _meera, prithvi, _hamlet = manager_with_show()
    headers = await bearer(user, 'meera')
    for path in (f'/theatres/{prithvi.id}/sales.png', '/summary/theatres.png'):
        response = await user.http_client.get(API + path, headers=headers)
        assert response.status_code == 200, path
        assert response.content.startswith(PNG), path


@pytest.mark.parametrize(
    'who, method, path, status',
    [
        pytest.param('root', 'GET', '/api/v1/admin/outbox/20261125-120000-0123abcd.eml', 404, id='outbox-missing'),
        pytest.param('root', 'GET', '/api/v1/admin/outbox/..%2F..%2Fstorage_secret', 404, id='outbox-traversal'),
        pytest.param('asha', 'GET', '/api/v1/admin/outbox/20261125-120000-0123abcd.eml', 403, id='outbox-not-admin'),
        pytest.param(None, 'POST', '/unsubscribe?t=forged-token-of-nobody', 404, id='unsubscribe-forged'),
        pytest.param(None, 'POST', '/unsubscribe?t=' + 'é' * 12, 404, id='unsubscribe-not-ascii'),
    ],
)
async def test_outbox_and_unsubscribe_refusals(
    user: User, who: str | None, method: str, path: str, status: int
) -> None:
    make_user(username='root', role=Role.ADMIN)
    make_user(username='asha')
    headers = await bearer(user, who) if who else {}
    before = database()
    response = await user.http_client.request(method, path, headers=headers)
    assert response.status_code == status
    assert response.json()['detail']
    assert database() == before


def test_a_nul_character_is_not_a_server_error_on_postgresql(
    live_app: Callable[..., Any], fresh_postgres_url: str
) -> None:
    app = live_app(fresh_postgres_url)
    requests = {
        'q': ('GET', '/api/v1/shows', {'params': {'q': 'ham\x00'}}),
        'place': ('GET', '/api/v1/shows', {'params': {'place': 'Mumbai\x00'}}),
        'tag': ('GET', '/api/v1/shows', {'params': {'tag': 'drama\x00'}}),
        'login': ('POST', '/api/v1/auth/login', {'json': {'username': 'asha\x00', 'password': PASSWORD}}),
        'signup': ('POST', '/api/v1/auth/signup', {'json': {**SIGNUP, 'email': 'asha\x00@example.com'}}),
    }
    with app.client() as client:
        statuses = {
            name: client.request(method, path, **kw).status_code for name, (method, path, kw) in requests.items()
        }
    assert {name: status for name, status in statuses.items() if status >= 500} == {}
