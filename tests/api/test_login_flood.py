"""Logins and signups hammered through a real server: limits that no burst gets past, an owner never locked
out by someone else's guesses, and pages that keep answering — never a 5xx.

The server runs on loopback, so it takes the client's address from X-Forwarded-For (as behind a proxy);
each "address" below is such a header.
"""

from __future__ import annotations

import collections
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.api.conftest import LiveApp

PASSWORD = 'flood-password-1'


def _from(address: str) -> dict[str, str]:
    return {'X-Forwarded-For': address}


def _signup(client: httpx.Client, username: str, address: str = '198.51.100.1') -> httpx.Response:
    body = {'username': username, 'name': 'Flood', 'email': f'{username}@example.com', 'password': PASSWORD}
    return client.post('/api/v1/auth/signup', json=body, headers=_from(address))


def _login(client: httpx.Client, username: str, password: str, address: str) -> httpx.Response:
    return client.post('/api/v1/auth/login', json={'username': username, 'password': password}, headers=_from(address))


def _strict(live_app) -> LiveApp:
    return live_app(
        TICKETSHOW_LOGIN_MAX_FAILURES='5',
        TICKETSHOW_LOGIN_ADDRESS_MAX_FAILURES='20',
        TICKETSHOW_SIGNUPS_PER_HOUR='5',
    )


def test_forty_parallel_wrong_guesses_get_exactly_five_checks(live_app) -> None:
    app = _strict(live_app)
    with app.client() as client:
        assert _signup(client, 'asha').status_code == 201

        def guess(n: int) -> httpx.Response:
            with app.client() as own:
                return _login(own, 'asha', f'wrong-{n}', '203.0.113.9')

        with ThreadPoolExecutor(max_workers=40) as pool:
            answers = list(pool.map(guess, range(40)))
        statuses = collections.Counter(r.status_code for r in answers)
        assert statuses == {401: 5, 429: 35}
        refused = next(r for r in answers if r.status_code == 429)
        assert int(refused.headers['Retry-After']) > 0 and 'Too many failed logins' in refused.json()['detail']
        # The owner, from another address, is let in at once.
        assert _login(client, 'asha', PASSWORD, '198.51.100.7').status_code == 200


def test_an_address_guessing_many_accounts_is_stopped_for_all_of_them(live_app) -> None:
    app = _strict(live_app)
    with app.client() as client:
        for name in ('ravi', 'meera'):
            assert _signup(client, name, address=f'192.0.2.{len(name)}').status_code == 201
        statuses = [_login(client, f'guess{n}', 'wrong', '203.0.113.50').status_code for n in range(20)]
        assert set(statuses) == {401}
        assert _login(client, 'ravi', PASSWORD, '203.0.113.50').status_code == 429  # from your network
        assert _login(client, 'meera', PASSWORD, '192.0.2.200').status_code == 200


def test_a_parallel_burst_of_signups_makes_exactly_the_limit_of_accounts(live_app) -> None:
    app = _strict(live_app)

    def signup(n: int) -> httpx.Response:
        with app.client() as own:
            return _signup(own, f'burst{n}')

    with ThreadPoolExecutor(max_workers=30) as pool:
        answers = list(pool.map(signup, range(30)))
    assert collections.Counter(r.status_code for r in answers) == {201: 5, 429: 25}
    assert all('Too many new accounts' in r.json()['detail'] for r in answers if r.status_code == 429)
    with app.client() as client:
        assert _signup(client, 'elsewhere', address='192.0.2.77').status_code == 201


def test_pages_and_the_listing_keep_answering_through_a_flood_of_logins_and_signups(live_app) -> None:
    """Twelve signup loops and twelve guessing loops with the throttles lifted, so every request runs bcrypt
    at the production cost; meanwhile the home page and the public listing answer, and nothing is a 5xx."""
    app = live_app(
        TICKETSHOW_BCRYPT_ROUNDS='12',
        TICKETSHOW_LOGIN_MAX_FAILURES='100000',
        TICKETSHOW_LOGIN_ADDRESS_MAX_FAILURES='100000',
        TICKETSHOW_SIGNUPS_PER_HOUR='100000',
    )
    stop = threading.Event()
    flood: collections.Counter[int] = collections.Counter()
    lock = threading.Lock()
    counter = iter(range(10**9))

    def loop(kind: str) -> None:
        with httpx.Client(base_url=app.base_url, timeout=120) as client:
            while not stop.is_set():
                n = next(counter)
                response = (
                    _signup(client, f'flood{n}', address=f'10.0.{n % 250}.1')
                    if kind == 'signup'
                    else _login(client, 'nobody', f'guess-{n}', f'10.1.{n % 250}.1')
                )
                with lock:
                    flood[response.status_code] += 1

    threads = [threading.Thread(target=loop, args=(kind,)) for kind in ('signup', 'login') for _ in range(12)]
    for thread in threads:
        thread.start()
    pages: collections.Counter[int] = collections.Counter()
    try:
        with app.client() as reader:
            deadline = time.monotonic() + 20
            n = 0  # until the flood has had real work done (bcrypt at cost 12 is slow), 40 rounds at least
            while n < 40 or (min(flood[201], flood[401]) < 3 and time.monotonic() < deadline):
                pages[reader.get('/', params={'q': f'night {n}'}).status_code] += 1
                pages[reader.get('/api/v1/shows', params={'q': f'night {n}'}).status_code] += 1
                n += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(pages) == {200}
    assert not [status for status in flood if status >= 500], flood
    assert flood[201] > 0 and flood[401] > 0, flood  # the flood really ran bcrypt
