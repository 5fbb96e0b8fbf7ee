"""The race through HTTP: 50 people on 50 connections book a 100-ticket show at once, against a real server.

Each books 1–3 tickets a time until refused, then tries single tickets until those are refused too, so
the show must end exactly sold out: never more sold than it has, never a seat left unsold.
"""

from __future__ import annotations

import random
import threading
from collections import Counter

import httpx

PEOPLE = 50
CAPACITY = 100


def _token(client: httpx.Client, username: str, role: str = 'user') -> str:
    created = client.post(
        '/api/v1/auth/signup',
        json={
            'username': username,
            'name': username.title(),
            'email': f'{username}@example.com',
            'password': 'race-password-1',
            'role': role,
        },
    )
    assert created.status_code == 201, created.text
    login = client.post('/api/v1/auth/login', json={'username': username, 'password': 'race-password-1'})
    assert login.status_code == 200, login.text
    return str(login.json()['access_token'])


def race(urls: list[str]) -> None:
    """The race against one server or several (person i talks to server i mod n), asserting the outcome."""
    with httpx.Client(base_url=urls[0], timeout=60) as setup:
        manager = {'Authorization': f'Bearer {_token(setup, "racemanager", "manager")}'}
        theatre = setup.post(
            '/api/v1/theatres', json={'name': 'Race Hall', 'place': 'Pune', 'capacity': 500}, headers=manager
        )
        assert theatre.status_code == 201, theatre.text
        show = setup.post(
            f'/api/v1/theatres/{theatre.json()["id"]}/shows',
            json={
                'name': 'Opening Night',
                'rating': 4.5,
                'tags': ['drama'],
                'ticket_price': 300,
                'num_tickets': CAPACITY,
                'starts_at': '2030-01-01T19:30:00+05:30',
            },
            headers=manager,
        )
        assert show.status_code == 201, show.text
        show_id = show.json()['id']
    tokens = []
    for i in range(PEOPLE):  # signed up and logged in on their own server too
        with httpx.Client(base_url=urls[i % len(urls)], timeout=60) as client:
            tokens.append(_token(client, f'racer{i:02d}'))

    statuses: Counter[int] = Counter()
    per_server: Counter[str] = Counter()
    bought: Counter[str] = Counter()
    start = threading.Barrier(PEOPLE)
    lock = threading.Lock()

    def person(index: int) -> None:
        rng = random.Random(index)
        url = urls[index % len(urls)]
        headers = {'Authorization': f'Bearer {tokens[index]}'}
        with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
            start.wait()
            want = rng.randint(1, 3)
            while True:
                response = client.post(f'/api/v1/shows/{show_id}/bookings', json={'tickets': want})
                with lock:
                    statuses[response.status_code] += 1
                    per_server[url] += 1
                if response.status_code == 201:
                    assert response.json()['booked_tickets'] == want
                    with lock:
                        bought[tokens[index]] += want
                    want = rng.randint(1, 3)
                    continue
                assert response.status_code == 409, response.text
                assert 'left' in response.json()['detail']
                if want == 1:
                    return
                want = 1  # fewer left than wanted: try for a single seat until the house is full

    threads = [threading.Thread(target=person, args=(i,)) for i in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

    lefts = []
    for url in urls:
        with httpx.Client(base_url=url, timeout=60) as check:
            lefts.append(check.get(f'/api/v1/shows/{show_id}').json()['tickets_left'])
    confirmed = valid = 0
    with httpx.Client(base_url=urls[-1], timeout=60) as check:
        for token in tokens:
            mine = check.get('/api/v1/bookings', headers={'Authorization': f'Bearer {token}'}).json()
            confirmed += sum(
                b['booked_tickets'] for b in mine if b['status'] == 'confirmed' and b['show_id'] == show_id
            )
            valid += sum(t['status'] == 'valid' for b in mine if b['show_id'] == show_id for t in b['tickets'])
    print(
        f'\n[http race, {len(urls)} server(s)] people={PEOPLE} capacity={CAPACITY} requests={sum(statuses.values())} '
        f'per server={[per_server[url] for url in urls]} booked={statuses[201]} refused={statuses[409]} '
        f'sold={confirmed} left={lefts}'
    )
    assert set(statuses) <= {201, 409}  # no 5xx, no other answer
    assert all(per_server[url] > 0 for url in urls)
    assert sum(bought.values()) == CAPACITY
    assert confirmed == CAPACITY
    assert valid == CAPACITY  # one valid ticket row per seat sold, as the seat count says
    assert lefts == [0] * len(urls)


def test_the_http_race_sells_exactly_the_capacity_on_sqlite(live_app):
    race([live_app().base_url])


def test_the_http_race_sells_exactly_the_capacity_on_postgres(live_app, fresh_postgres_url):
    race([live_app(database_url=fresh_postgres_url).base_url])
