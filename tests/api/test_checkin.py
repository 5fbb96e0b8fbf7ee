"""Door staff and check-in through the API (API.md, "Door staff and check-in"): every route, its statuses and
details, other people's ids, bad bodies; what door staff may and may not read; the counts on the dashboard and the
summary. The race of one code scanned at many doors at once runs against a real server (`live_app`)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from nicegui.testing import User
from sqlalchemy import select

from models import BookingStatus, Role, Ticket
from models.db import session_scope
from services.checkin import UNKNOWN
from tests.api.test_contract import API, IST, bearer, database, evening
from tests.api.test_race import _token
from tests.factories import make_booking, make_show, make_theatre, make_user

STAFF_FIELDS = {'user_id', 'username', 'name', 'theatre_id', 'added_at'}
TICKET_FIELDS = {'id', 'code', 'seat', 'price', 'status', 'checked_in_at'}


def codes_of(booking_id: int) -> list[str]:
    with session_scope() as s:
        return list(s.scalars(select(Ticket.code).where(Ticket.booking_id == booking_id).order_by(Ticket.id)))


def clock(moment: dt.datetime) -> set[str]:
    """How the door says a time: '19:02' on the day, 'Fri 6 Dec 19:02' on another (either, near midnight)."""
    at = moment.astimezone(IST)
    return {at.strftime('%H:%M'), f'{at:%a} {at.day} {at:%b %H:%M}'}


class Stage:
    """Meera's Prithvi (Hamlet tonight, Tughlaq in three days) with Dora on its door; Omar's Ranga with Sam on
    its door; Asha's bookings at both; Ravi's cancelled one; an admin."""

    def __init__(self) -> None:
        self.meera = make_user(username='meera', role=Role.MANAGER)
        self.omar = make_user(username='omar', role=Role.MANAGER)
        make_user(username='root', role=Role.ADMIN)
        self.dora = make_user(username='dora', name='Dora Door')
        self.sam = make_user(username='sam')
        self.asha = make_user(username='asha', name='Asha Rao')
        ravi = make_user(username='ravi')
        self.prithvi = make_theatre(self.meera, name='Prithvi')
        self.ranga = make_theatre(self.omar, name='Ranga')
        self.hamlet = make_show(self.prithvi, name='Hamlet', starts_at=evening(1))
        self.tughlaq = make_show(self.prithvi, name='Tughlaq', starts_at=evening(3))
        self.naga = make_show(self.ranga, name='Nagamandala')
        self.booking = make_booking(self.asha, self.hamlet, tickets=2)
        self.codes = codes_of(self.booking.id)
        self.cancelled = codes_of(make_booking(ravi, self.hamlet, tickets=1, status=BookingStatus.CANCELLED).id)[0]
        self.elsewhere = make_booking(self.asha, self.naga, tickets=1)
        self.other_theatre = codes_of(self.elsewhere.id)[0]
        self.other_show = codes_of(make_booking(self.asha, self.tughlaq, tickets=1).id)[0]

    async def add_staff(self, user: User) -> None:
        for manager, theatre, username in (('meera', self.prithvi, 'dora'), ('omar', self.ranga, 'sam')):
            added = await user.http_client.post(
                f'{API}/theatres/{theatre.id}/staff', json={'username': username}, headers=await bearer(user, manager)
            )
            assert added.status_code == 201, added.text


async def test_a_manager_adds_lists_and_removes_door_staff(user: User) -> None:
    stage = Stage()
    who = {name: await bearer(user, name) for name in ('meera', 'omar', 'root', 'asha', 'dora')}
    meera = who['meera']
    staff_url = f'{API}/theatres/{stage.prithvi.id}/staff'

    added = await user.http_client.post(staff_url, json={'username': 'Dora'}, headers=meera)
    assert added.status_code == 201, added.text
    body = added.json()
    assert set(body) == STAFF_FIELDS
    assert (body['user_id'], body['username'], body['name'], body['theatre_id']) == (
        stage.dora.id,
        'dora',
        'Dora Door',
        stage.prithvi.id,
    )
    assert dt.datetime.fromisoformat(body['added_at']).tzinfo is not None
    listed = await user.http_client.get(staff_url, headers=meera)
    assert (listed.status_code, listed.json()) == (200, [body])
    every = await user.http_client.get(staff_url, headers=who['root'])
    assert (every.status_code, every.json()) == (200, [body])

    before = database()
    refusals: list[tuple[str, str, Any, dict[str, str], int, Any]] = [
        ('POST', staff_url, {'username': 'dora'}, meera, 409, 'dora is already on the door staff of Prithvi.'),
        ('POST', staff_url, {'username': 'nobody'}, meera, 422, 'No active account has the username “nobody”.'),
        ('POST', staff_url, {'username': ''}, meera, 422, 'Username is required.'),
        ('POST', staff_url, {}, meera, 422, None),
        ('POST', staff_url, {'username': 7}, meera, 422, None),
        ('POST', staff_url, {'username': 'sam', 'theatre_id': stage.ranga.id}, meera, 422, None),
        ('POST', staff_url, ['sam'], meera, 422, None),
        ('POST', f'{API}/theatres/{stage.ranga.id}/staff', {'username': 'sam'}, meera, 404, 'No such theatre.'),
        ('GET', f'{API}/theatres/{stage.ranga.id}/staff', None, meera, 404, 'No such theatre.'),
        ('DELETE', f'{API}/theatres/{stage.ranga.id}/staff/{stage.sam.id}', None, meera, 404, 'No such theatre.'),
        ('GET', f'{API}/theatres/999999/staff', None, meera, 404, 'No such theatre.'),
        (
            'DELETE',
            f'{staff_url}/{stage.asha.id}',
            None,
            meera,
            404,
            'That person is not on this theatre’s door staff.',
        ),
        ('DELETE', f'{staff_url}/x', None, meera, 422, None),
    ]
    for name, status in (('asha', 403), ('dora', 403), ('omar', 404)):
        refusals += [
            ('GET', staff_url, None, who[name], status, None),
            ('POST', staff_url, {'username': 'sam'}, who[name], status, None),
            ('DELETE', f'{staff_url}/{stage.dora.id}', None, who[name], status, None),
        ]
    refusals += [('GET', staff_url, None, {}, 401, None), ('POST', staff_url, {'username': 'sam'}, {}, 401, None)]
    for method, url, json, headers, status, detail in refusals:
        response = await user.http_client.request(method, url, json=json, headers=headers)
        assert response.status_code == status, (method, url, json, response.text)
        assert response.json()['detail'], (method, url)
        if detail is not None:
            assert response.json() == {'detail': detail}, (method, url, json)
    assert database() == before

    removed = await user.http_client.delete(f'{staff_url}/{stage.dora.id}', headers=meera)
    assert (removed.status_code, removed.content) == (204, b'')
    assert (await user.http_client.get(staff_url, headers=meera)).json() == []
    again = await user.http_client.delete(f'{staff_url}/{stage.dora.id}', headers=meera)
    assert again.status_code == 404


async def test_door_staff_check_tickets_in_once_and_every_refusal_says_why(user: User) -> None:
    stage = Stage()
    await stage.add_staff(user)
    who = {name: await bearer(user, name) for name in ('meera', 'omar', 'root', 'asha', 'dora', 'sam')}
    dora = who['dora']
    code, second = stage.codes

    admitted = await user.http_client.post(
        f'{API}/checkin', json={'code': code, 'show_id': stage.hamlet.id}, headers=dora
    )
    assert admitted.status_code == 200, admitted.text
    body = admitted.json()
    ticket = body.pop('ticket')
    checked_in_at = dt.datetime.fromisoformat(ticket['checked_in_at'])
    assert set(ticket) == TICKET_FIELDS
    assert (ticket['code'], ticket['status'], ticket['seat'], ticket['price']) == (code, 'checked_in', None, 250.0)
    assert body == {
        'result': 'checked_in',
        'booking_id': stage.booking.id,
        'booking_reference': stage.booking.reference,
        'show_id': stage.hamlet.id,
        'seat': None,
        'holder_name': 'Asha Rao',
        'tickets_in_booking': 2,
        'count': {'show_id': stage.hamlet.id, 'tickets_sold': 2, 'checked_in': 1},
    }

    before = database()
    hamlet = stage.hamlet.id
    refusals: list[tuple[dict[str, str], Any, int, str | set[str] | None]] = [
        (dora, {'code': code, 'show_id': hamlet}, 409, {f'Already checked in at {t}.' for t in clock(checked_in_at)}),
        (dora, {'code': stage.cancelled, 'show_id': hamlet}, 409, checkin_cancelled()),
        (dora, {'code': 'A' * 22, 'show_id': hamlet}, 404, UNKNOWN),
        (dora, {'code': stage.other_theatre, 'show_id': hamlet}, 404, UNKNOWN),
        (dora, {'code': stage.other_show, 'show_id': hamlet}, 422, other_show(stage.tughlaq.starts_at)),
        (dora, {'code': stage.other_theatre, 'show_id': stage.naga.id}, 404, 'No such show.'),  # not Dora's door
        (dora, {'code': second, 'show_id': 999999}, 404, 'No such show.'),
        (who['asha'], {'code': second, 'show_id': hamlet}, 404, 'No such show.'),  # her own ticket
        (who['omar'], {'code': second, 'show_id': hamlet}, 404, 'No such show.'),
        (who['sam'], {'code': second, 'show_id': hamlet}, 404, 'No such show.'),
        ({}, {'code': second, 'show_id': hamlet}, 401, None),
        (dora, {'code': '', 'show_id': hamlet}, 422, 'Ticket code is required.'),
        (dora, {'code': 'x' * 65, 'show_id': hamlet}, 422, 'Ticket code must be at most 64 characters.'),
        (dora, {'code': second}, 422, None),
        (dora, {'show_id': hamlet}, 422, None),
        (dora, {'code': second, 'show_id': str(hamlet)}, 422, None),
        (dora, {'code': 12, 'show_id': hamlet}, 422, None),
        (dora, {'code': second, 'show_id': hamlet, 'admit': 2}, 422, None),
        (dora, [second, hamlet], 422, None),
    ]
    for headers, json, status, detail in refusals:
        response = await user.http_client.post(f'{API}/checkin', json=json, headers=headers)
        assert response.status_code == status, (json, response.text)
        if isinstance(detail, set):
            assert response.json()['detail'] in detail, (json, response.text)
        elif detail is not None:
            assert response.json() == {'detail': detail}, json
        else:
            assert response.json()['detail'], json
    assert database() == before

    count = await user.http_client.get(f'{API}/shows/{hamlet}/checkin', headers=dora)
    assert (count.status_code, count.json()) == (200, {'show_id': hamlet, 'tickets_sold': 2, 'checked_in': 1})
    for name in ('asha', 'omar', 'sam'):
        hidden = await user.http_client.get(f'{API}/shows/{hamlet}/checkin', headers=who[name])
        assert (hidden.status_code, hidden.json()) == (404, {'detail': 'No such show.'}), name
    for name in ('meera', 'root'):
        seen = await user.http_client.get(f'{API}/shows/{hamlet}/checkin', headers=who[name])
        assert seen.json()['checked_in'] == 1, name

    listed = await user.http_client.get(f'{API}/checkin/shows', headers=dora)
    assert listed.status_code == 200
    assert [(s['id'], s['theatre_name'], s['tickets_sold'], s['checked_in']) for s in listed.json()] == [
        (stage.hamlet.id, 'Prithvi', 2, 1),
        (stage.tughlaq.id, 'Prithvi', 1, 0),
    ]
    assert (await user.http_client.get(f'{API}/checkin/shows', headers=who['asha'])).json() == []


async def test_a_mistaken_scan_is_undone_by_the_theatres_door_only(user: User) -> None:
    stage = Stage()
    await stage.add_staff(user)
    who = {name: await bearer(user, name) for name in ('meera', 'omar', 'asha', 'dora', 'sam')}
    dora = who['dora']
    code = stage.codes[0]
    scanned = await user.http_client.post(
        f'{API}/checkin', json={'code': code, 'show_id': stage.hamlet.id}, headers=dora
    )
    assert scanned.status_code == 200

    before = database()
    for headers, url, status, detail in [
        (who['sam'], f'{API}/checkin/{code}', 404, UNKNOWN),  # another theatre's door
        (who['asha'], f'{API}/checkin/{code}', 404, UNKNOWN),  # the ticket's own holder
        (who['omar'], f'{API}/checkin/{code}', 404, UNKNOWN),
        (dora, f'{API}/checkin/{"A" * 22}', 404, UNKNOWN),
        (dora, f'{API}/checkin/{stage.codes[1]}', 409, 'This ticket is not checked in.'),
        (dora, f'{API}/checkin/{stage.cancelled}', 409, 'Cancelled: this ticket was cancelled.'),
        (dora, f'{API}/checkin/{"x" * 65}', 422, 'Ticket code must be at most 64 characters.'),
        ({}, f'{API}/checkin/{code}', 401, None),
    ]:
        response = await user.http_client.delete(url, headers=headers)
        assert response.status_code == status, (url, response.text)
        if detail is not None:
            assert response.json() == {'detail': detail}, url
    assert database() == before

    undone = await user.http_client.delete(f'{API}/checkin/{code}', headers=dora)
    assert undone.status_code == 200, undone.text
    assert undone.json() == {**scanned.json()['ticket'], 'status': 'valid', 'checked_in_at': None}
    again = await user.http_client.delete(f'{API}/checkin/{code}', headers=dora)
    assert (again.status_code, again.json()) == (409, {'detail': 'This ticket is not checked in.'})
    rescanned = await user.http_client.post(
        f'{API}/checkin', json={'code': code, 'show_id': stage.hamlet.id}, headers=await bearer(user, 'meera')
    )
    assert rescanned.status_code == 200 and rescanned.json()['count']['checked_in'] == 1
    trail = await user.http_client.get(
        f'{API}/audit', params={'action': 'checkin_undone'}, headers=await bearer(user, 'meera')
    )
    assert [(e['actor'], e['object_type'], e['object_id']) for e in trail.json()['items']] == [
        ('dora', 'booking', str(stage.booking.id))
    ]


async def test_door_staff_read_their_theatres_bookings_and_nothing_else_of_it(user: User) -> None:
    stage = Stage()
    await stage.add_staff(user)
    dora = await bearer(user, 'dora')
    seen = await user.http_client.get(f'{API}/bookings/{stage.booking.id}', headers=dora)
    assert seen.status_code == 200, seen.text
    owners = await user.http_client.get(f'{API}/bookings/{stage.booking.id}', headers=await bearer(user, 'asha'))
    assert seen.json() == owners.json()  # the booking and its tickets, as its owner sees it: no name, no email
    assert 'Asha Rao' not in seen.text and '@' not in seen.text
    hidden = await user.http_client.get(f'{API}/bookings/{stage.elsewhere.id}', headers=dora)
    assert (hidden.status_code, hidden.json()) == (404, {'detail': 'No such booking.'})

    before = database()
    for method, path in [
        ('GET', '/dashboard'),
        ('GET', '/summary'),
        ('GET', '/theatres'),
        ('GET', f'/theatres/{stage.prithvi.id}'),
        ('GET', f'/theatres/{stage.prithvi.id}/trend.png'),
        ('GET', f'/theatres/{stage.prithvi.id}/staff'),
        ('POST', f'/shows/{stage.hamlet.id}/export'),
        ('POST', f'/theatres/{stage.prithvi.id}/export'),
        ('DELETE', f'/bookings/{stage.booking.id}'),
    ]:
        response = await user.http_client.request(method, API + path, headers=dora)
        assert response.status_code in (403, 404), (method, path, response.status_code)
    assert database() == before

    await user.http_client.delete(
        f'{API}/theatres/{stage.prithvi.id}/staff/{stage.dora.id}', headers=await bearer(user, 'meera')
    )
    gone = await user.http_client.get(f'{API}/bookings/{stage.booking.id}', headers=dora)
    assert gone.status_code == 404  # off the staff: refused at once, with the same token
    refused = await user.http_client.post(
        f'{API}/checkin', json={'code': stage.codes[0], 'show_id': stage.hamlet.id}, headers=dora
    )
    assert (refused.status_code, refused.json()) == (404, {'detail': 'No such show.'})


async def test_the_dashboard_and_the_summary_count_check_ins(user: User) -> None:
    stage = Stage()
    await stage.add_staff(user)
    meera = await bearer(user, 'meera')
    assert (await user.http_client.get(f'{API}/dashboard', headers=meera)).status_code == 200  # warms the cache
    for code in stage.codes:
        scanned = await user.http_client.post(
            f'{API}/checkin', json={'code': code, 'show_id': stage.hamlet.id}, headers=await bearer(user, 'dora')
        )
        assert scanned.status_code == 200
    dashboard = await user.http_client.get(f'{API}/dashboard', headers=meera)
    (entry,) = dashboard.json()
    assert {s['name']: s['checked_in'] for s in entry['shows']} == {'Hamlet': 2, 'Tughlaq': 0}
    (summary,) = (await user.http_client.get(f'{API}/summary', headers=meera)).json()
    assert (summary['tickets_sold'], summary['checked_in']) == (3, 2)
    every = (await user.http_client.get(f'{API}/summary', headers=await bearer(user, 'root'))).json()
    assert {t['name']: t['checked_in'] for t in every} == {'Prithvi': 2, 'Ranga': 0}


async def test_the_openapi_document_lists_the_door_routes(user: User) -> None:
    paths = (await user.http_client.get('/openapi.json')).json()['paths']
    for path, methods in {
        '/api/v1/theatres/{theatre_id}/staff': {'get', 'post'},
        '/api/v1/theatres/{theatre_id}/staff/{user_id}': {'delete'},
        '/api/v1/checkin': {'post'},
        '/api/v1/checkin/{code}': {'delete'},
        '/api/v1/checkin/shows': {'get'},
        '/api/v1/shows/{show_id}/checkin': {'get'},
    }.items():
        assert methods <= set(paths[path]), path
        assert all(paths[path][m]['tags'] == ['door'] for m in methods), path


def checkin_cancelled() -> str:
    return 'Cancelled: this ticket was cancelled and does not admit anyone.'


def other_show(starts_at: dt.datetime) -> set[str]:
    return {f'Other show: Tughlaq, {t}.' for t in clock(starts_at)}


# --- the same codes at many doors at once, through a real server -----------------------------------------

DOORS = 8
CODES = 6


@dataclass
class DoorRace:
    """What a door race left behind, for a caller that looks further."""

    manager: dict[str, str]  # the theatre manager's Authorization header
    show_id: int
    codes: list[str]
    statuses: Counter[int]
    per_server: Counter[str]


def door_race(urls: list[str]) -> DoorRace:
    """DOORS door staff (door i talks to server i mod n) scan the same CODES codes at the same instant, each in its
    own order: every code gets exactly one 200 and DOORS - 1 409s that say when."""
    with httpx.Client(base_url=urls[0], timeout=60) as setup:
        manager = {'Authorization': f'Bearer {_token(setup, "doormanager", "manager")}'}
        theatre = setup.post(
            '/api/v1/theatres', json={'name': 'Door Hall', 'place': 'Pune', 'capacity': 500}, headers=manager
        ).json()
        show = setup.post(
            f'/api/v1/theatres/{theatre["id"]}/shows',
            json={
                'name': 'Opening Night',
                'rating': 4,
                'tags': [],
                'ticket_price': 300,
                'num_tickets': CODES,
                'starts_at': '2030-01-01T19:30:00+05:30',
            },
            headers=manager,
        ).json()
        buyer = {'Authorization': f'Bearer {_token(setup, "doorbuyer")}'}
        booked = setup.post(f'/api/v1/shows/{show["id"]}/bookings', json={'tickets': CODES}, headers=buyer)
        assert booked.status_code == 201, booked.text
        codes = [t['code'] for t in booked.json()['tickets']]
        for i in range(DOORS):
            _token(setup, f'door{i}')  # signed up (the token is not used: each logs in where they scan)
            staff_url = f'/api/v1/theatres/{theatre["id"]}/staff'
            added = setup.post(staff_url, json={'username': f'door{i}'}, headers=manager)
            assert added.status_code == 201, added.text
    tokens = []
    for i in range(DOORS):  # each logged in on the server it scans at
        with httpx.Client(base_url=urls[i % len(urls)], timeout=60) as client:
            login = client.post('/api/v1/auth/login', json={'username': f'door{i}', 'password': 'race-password-1'})
            assert login.status_code == 200, login.text
            tokens.append(login.json()['access_token'])

    statuses: Counter[int] = Counter()
    per_server: Counter[str] = Counter()
    admitted: dict[str, list[str]] = {code: [] for code in codes}
    details: set[str] = set()
    lock = threading.Lock()
    start = threading.Barrier(DOORS)

    def door(index: int) -> None:
        order = codes[index % CODES :] + codes[: index % CODES]
        url = urls[index % len(urls)]
        with httpx.Client(base_url=url, timeout=60, headers={'Authorization': f'Bearer {tokens[index]}'}) as client:
            start.wait()
            for code in order:
                response = client.post('/api/v1/checkin', json={'code': code, 'show_id': show['id']})
                with lock:
                    statuses[response.status_code] += 1
                    per_server[url] += 1
                    if response.status_code == 200:
                        admitted[code].append(f'door{index}')
                    else:
                        details.add(response.json()['detail'])

    threads = [threading.Thread(target=door, args=(i,)) for i in range(DOORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    counts = []
    for url in urls:
        with httpx.Client(base_url=url, timeout=60) as check:
            counts.append(check.get(f'/api/v1/shows/{show["id"]}/checkin', headers=manager).json())
            tickets = check.get(f'/api/v1/bookings/{booked.json()["id"]}', headers=buyer).json()['tickets']
            assert {t['status'] for t in tickets} == {'checked_in'}
    admitters = sorted({d for by in admitted.values() for d in by})
    print(
        f'\n[http door race, {len(urls)} server(s)] doors={DOORS} codes={CODES} statuses={dict(statuses)} '
        f'per server={[per_server[url] for url in urls]} admitted by={admitters}'
    )
    assert set(statuses) <= {200, 409}, statuses  # no 5xx, no 503, nothing else
    assert {code: len(by) for code, by in admitted.items()} == dict.fromkeys(codes, 1)
    assert statuses == {200: CODES, 409: CODES * (DOORS - 1)}
    assert details and all(d.startswith('Already checked in at ') for d in details), details
    assert counts == [{'show_id': show['id'], 'tickets_sold': CODES, 'checked_in': CODES}] * len(urls)
    assert all(per_server[url] == CODES * len(range(i, DOORS, len(urls))) for i, url in enumerate(urls))
    return DoorRace(manager, show['id'], codes, statuses, per_server)


def test_one_code_at_many_doors_at_once_is_admitted_once(live_app):
    """On SQLite, or on PostgreSQL with TICKETSHOW_TEST_DATABASE=postgres; tests/test_checkin_instances.py runs it
    across two instances on PostgreSQL."""
    door_race([live_app().base_url])
