"""A database that another process keeps locked, against a real server: writes are refused with 503 and
Retry-After, change nothing and log nothing secret; reads go on answering, promptly.

The server waits one second for a lock (TICKETSHOW_DB_LOCK_TIMEOUT_SECONDS). The test holds SQLite's write lock
(or, on PostgreSQL, the tables the writes need, in a mode that lets reads through) until every write it fired has
been answered, while other threads read the listing, a show and the home page without pause.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import create_engine, text

from services.errors import Busy
from tests.api.conftest import LiveApp
from tests.api.test_race import _token
from tests.locks import writers_locked_out

LOCK_TIMEOUT = '1'
BUYERS = 6
SIGNUPS = 4
READERS = 6
PASSWORD = 'busy-password-1'  # never in the log, nor its hash
READ_SANITY_SECONDS = 3.0  # NiceGUI's response_timeout for a page; not a benchmark (that is bench/busy.py)


@dataclass
class Answer:
    kind: str
    status: int
    seconds: float
    retry_after: str | None = None
    detail: object = None


def counts(url: str, show_id: int) -> tuple[int, int, int]:
    """(tickets sold of the show, bookings, users), read straight from the database."""
    engine = create_engine(url, hide_parameters=True)
    try:
        with engine.connect() as conn:
            sold = conn.execute(text('SELECT tickets_sold FROM shows WHERE id = :id'), {'id': show_id}).scalar_one()
            bookings = conn.execute(text('SELECT count(*) FROM bookings')).scalar_one()
            users = conn.execute(text('SELECT count(*) FROM users')).scalar_one()
    finally:
        engine.dispose()
    return sold, bookings, users


def a_show(client: httpx.Client) -> int:
    manager = {'Authorization': f'Bearer {_token(client, "busymanager", "manager")}'}
    theatre = client.post(
        '/api/v1/theatres', json={'name': 'Busy Hall', 'place': 'Pune', 'capacity': 100}, headers=manager
    )
    assert theatre.status_code == 201, theatre.text
    show = client.post(
        f'/api/v1/theatres/{theatre.json()["id"]}/shows',
        json={
            'name': 'Rush Hour',
            'rating': 4,
            'tags': ['drama'],
            'ticket_price': 200,
            'num_tickets': 50,
            'starts_at': '2030-01-01T19:30:00+05:30',
        },
        headers=manager,
    )
    assert show.status_code == 201, show.text
    return int(show.json()['id'])


def timed(client: httpx.Client, kind: str, method: str, path: str, **kwargs: object) -> Answer:
    started = time.perf_counter()
    response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    is_json = response.headers.get('content-type', '').startswith('application/json')
    return Answer(kind, response.status_code, seconds, response.headers.get('retry-after'), is_json and response.json())


def under_a_held_lock(app: LiveApp, url: str) -> tuple[int, list[str], list[Answer], list[Answer]]:
    """Fire bookings and signups while the writers are locked out, and read all along; returns the show id, the
    buyers' tokens, the writes' answers and the reads' answers."""
    with app.client() as client:
        show_id = a_show(client)
        tokens = [_token(client, f'buyer{i}') for i in range(BUYERS)]
    writes: list[Answer] = []
    reads: list[Answer] = []
    lock = threading.Lock()
    writes_done = threading.Event()
    readers_done: list[int] = []

    def book(token: str) -> Callable[[httpx.Client], Answer]:
        headers = {'Authorization': f'Bearer {token}'}
        return lambda c: timed(
            c, 'booking', 'POST', f'/api/v1/shows/{show_id}/bookings', json={'tickets': 2}, headers=headers
        )

    def sign_up(i: int) -> Callable[[httpx.Client], Answer]:
        fields = {'name': 'Late Comer', 'email': f'late{i}@example.com', 'password': PASSWORD, 'role': 'user'}
        return lambda c: timed(c, 'signup', 'POST', '/api/v1/auth/signup', json={'username': f'late{i}', **fields})

    def write(act: Callable[[httpx.Client], Answer]) -> None:
        with app.client() as c:
            answer = act(c)
        with lock:
            writes.append(answer)

    def read(index: int) -> None:
        paths = [('listing', '/api/v1/shows'), ('show', f'/api/v1/shows/{show_id}'), ('home page', '/')]
        with app.client() as c:
            turn = index
            while not writes_done.is_set():
                kind, path = paths[turn % len(paths)]
                answer = timed(c, kind, 'GET', path)
                with lock:
                    reads.append(answer)
                turn += 1
        readers_done.append(index)

    with writers_locked_out(url):
        writers = [threading.Thread(target=write, args=(book(token),)) for token in tokens]
        writers += [threading.Thread(target=write, args=(sign_up(i),)) for i in range(SIGNUPS)]
        readers = [threading.Thread(target=read, args=(i,)) for i in range(READERS)]
        for thread in readers + writers:
            thread.start()
        for thread in writers:
            thread.join(timeout=120)
        writes_done.set()  # the lock is held until every write has had its answer
        for thread in readers:
            thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in readers + writers)
    assert sorted(readers_done) == list(range(READERS))  # no reader died of an exception
    return show_id, tokens, writes, reads


def check_busy_database(app: LiveApp, url: str) -> None:
    show_id, tokens, writes, reads = under_a_held_lock(app, url)

    latencies = sorted(answer.seconds * 1000 for answer in reads)
    p95 = statistics.quantiles(latencies, n=20)[-1]
    print(
        f'\n[busy database, {url.split(":")[0]}] writes={len(writes)} '
        f'statuses={sorted({a.status for a in writes})} reads={len(reads)} during the lock: '
        f'p50={statistics.median(latencies):.0f} ms p95={p95:.0f} ms max={latencies[-1]:.0f} ms'
    )
    assert len(writes) == BUYERS + SIGNUPS
    for answer in writes:  # refused while the lock was held: 503, a JSON reason, and when to come back
        assert answer.status == 503, answer
        assert answer.retry_after is not None and int(answer.retry_after) >= 1, answer
        assert answer.detail == {'detail': Busy.MESSAGE}, answer
    assert len(reads) >= READERS
    assert {a.kind for a in reads} == {'listing', 'show', 'home page'}
    assert [a for a in reads if a.status != 200] == []
    assert p95 < READ_SANITY_SECONDS * 1000

    # Nothing half-done: no seat sold, no booking, no account made by a refused write.
    assert counts(url, show_id) == (0, 0, 1 + BUYERS)
    with app.client() as client:
        assert client.get(f'/api/v1/shows/{show_id}').json()['tickets_left'] == 50
        for token in tokens:
            mine = client.get('/api/v1/bookings', headers={'Authorization': f'Bearer {token}'})
            assert mine.status_code == 200 and mine.json() == []
        # With the lock gone the same writes go through.
        booked = client.post(
            f'/api/v1/shows/{show_id}/bookings', json={'tickets': 2}, headers={'Authorization': f'Bearer {tokens[0]}'}
        )
        assert booked.status_code == 201, booked.text
        assert _token(client, 'late0')
    assert counts(url, show_id) == (2, 1, 2 + BUYERS)


def check_the_log_keeps_no_secret(app: LiveApp, url: str) -> None:
    """A signup whose INSERT (username, email, bcrypt hash) fails on the lock, and a booking with a bearer token:
    the log says the database was busy, and holds neither the password, nor a hash, nor the token."""
    with app.client() as client:
        show_id = a_show(client)
        token = _token(client, 'buyer')
    with writers_locked_out(url), app.client() as client:
        signup = client.post(
            '/api/v1/auth/signup',
            json={'username': 'secretive', 'name': 'S', 'email': 's@example.com', 'password': PASSWORD, 'role': 'user'},
        )
        booking = client.post(
            f'/api/v1/shows/{show_id}/bookings', json={'tickets': 1}, headers={'Authorization': f'Bearer {token}'}
        )
    assert (signup.status_code, booking.status_code) == (503, 503), (signup.text, booking.text)
    log = app.log.read_text(errors='replace')
    assert 'Database busy' in log
    for secret in ('$2b$', '$2a$', PASSWORD, token, 'race-password-1', 'parameters:'):
        assert secret not in log, f'{secret!r} is in the log'


def test_a_held_write_lock_refuses_writes_with_503_while_reads_go_on_on_sqlite(live_app, tmp_path):
    url = f'sqlite:///{tmp_path / "busy.sqlite3"}'
    check_busy_database(live_app(database_url=url, TICKETSHOW_DB_LOCK_TIMEOUT_SECONDS=LOCK_TIMEOUT), url)


def test_a_held_write_lock_refuses_writes_with_503_while_reads_go_on_on_postgres(live_app, fresh_postgres_url):
    url = fresh_postgres_url
    check_busy_database(live_app(database_url=url, TICKETSHOW_DB_LOCK_TIMEOUT_SECONDS=LOCK_TIMEOUT), url)


def test_a_busy_database_logs_no_hash_password_or_token_on_sqlite(live_app, tmp_path):
    url = f'sqlite:///{tmp_path / "busy.sqlite3"}'
    check_the_log_keeps_no_secret(live_app(database_url=url, TICKETSHOW_DB_LOCK_TIMEOUT_SECONDS=LOCK_TIMEOUT), url)


def test_a_busy_database_logs_no_hash_password_or_token_on_postgres(live_app, fresh_postgres_url):
    url = fresh_postgres_url
    check_the_log_keeps_no_secret(live_app(database_url=url, TICKETSHOW_DB_LOCK_TIMEOUT_SECONDS=LOCK_TIMEOUT), url)
