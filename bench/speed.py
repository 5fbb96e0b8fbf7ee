"""Booking through the API against its floors: the bare route, the raw transaction; a race; and overload.

    make bench-speed   # or: .venv/bin/python -m bench.speed [--seconds S] [--app-at REF] [--database-url URL]

Seeds a fresh SQLite database (or --database-url, an empty one) with 10,000 upcoming shows and 64 audience members,
starts the real app (main.py on a loopback port; with --app-at REF, main.py of that commit, checked out into a
temporary git worktree and seeded by that checkout's own code: the "before" of a change, measured by this same
harness) and, beside it, the bare route (bench/bare_route.py: a FastAPI POST with the same uvicorn settings and
nothing behind it). Prints, as a table of figures with their floors and ratios:
- bookings of 1 ticket on random shows through POST /api/v1/shows/{id}/bookings at 1, 8 and 32 connections (each
  its own bearer token): bookings/s against the bare route's requests/s at as many connections, p95 latency;
- the raw transaction: the booking's conditional UPDATE and its INSERTs (booking, ticket) as SQL text in one
  transaction, without the ORM or HTTP, from 1 and 8 threads;
- a race of 50 clients for one show of 3,000 tickets until it is sold out: bookings/s, and whether it sold exactly
  3,000 (never more);
- overload: bookings sent at 4× the rate measured at 8 connections, whatever the answers (an open loop), for
  --seconds: the rate served, p95 from the moment each request was due, the answers by status (no 5xx but 503
  with Retry-After), and the home page's p95 meanwhile against the quiet home page.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from bench.exports import ROOT, free_port, start_app, worktree
from bench.report import Figure, p50, p95, table

SHOWS = 10_000
USERS = 64
RACE_TICKETS = 3_000
RACE_CLIENTS = 50
# Seeds an empty database with a checkout's own schema and seed code (run inside that checkout), then adds the race's
# show: the last theatre's, RACE_TICKETS tickets, nothing sold.
SEED = """
import sys
from sqlalchemy import update
from bench.seed import seed
from models import Show, db
from models.migrate import upgrade
upgrade(sys.argv[1])
engine = db.make_engine(sys.argv[1])
seed(engine, shows=int(sys.argv[2]) + 1, bookings=int(sys.argv[2]), managers=10, users=int(sys.argv[3]))
with engine.begin() as conn:
    race = update(Show).where(Show.id == int(sys.argv[2]) + 1)
    conn.execute(race.values(num_tickets=int(sys.argv[4]), tickets_sold=0))
engine.dispose()
"""
RAW_BOOKING = [
    'UPDATE shows SET tickets_sold = tickets_sold + 1 WHERE id = :show AND tickets_sold + tickets_offered + 1 '
    "<= num_tickets AND starts_at > :now AND status = 'scheduled'",
    'INSERT INTO bookings (reference, user_id, show_id, booked_tickets, price_cents, total_cents, status, created_at) '
    "VALUES (:ref, :user, :show, 1, 100, 100, 'confirmed', :now)",
    'INSERT INTO tickets (booking_id, show_id, code, price_cents, status) '
    "SELECT id, show_id, :code, 100, 'valid' FROM bookings WHERE reference = :ref",
]


def hammer(workers: int, seconds: float, act: Callable[[int, random.Random], float]) -> tuple[float, list[float]]:
    """`workers` threads call `act` (which returns its latency in ms) for `seconds`; (calls per second, latencies)."""
    latencies: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(workers + 1)
    stop = threading.Event()

    def work(index: int) -> None:
        rng = random.Random(index)
        start.wait()
        while not stop.is_set():
            elapsed = act(index, rng)
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - began), latencies


def timed(fn: Callable[[], httpx.Response], expect: tuple[int, ...]) -> float:
    started = time.perf_counter()
    response = fn()
    if response.status_code not in expect:
        raise SystemExit(f'unexpected answer {response.status_code}: {response.text[:300]}')
    return (time.perf_counter() - started) * 1000


@contextmanager
def bare_route() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, '-m', 'bench.bare_route', str(port)], cwd=ROOT)
    base = f'http://127.0.0.1:{port}'
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(base + '/docs', timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)


_raw_numbers = itertools.count()


def raw_rate(url: str, workers: int, seconds: float) -> float:
    """Bookings/s of the raw transaction (SQL text, no ORM, no HTTP) from `workers` threads."""
    engine = create_engine(url, pool_size=workers + 2, connect_args={'timeout': 30} if url.startswith('sqlite') else {})
    lock = threading.Lock()

    def book(index: int, rng: random.Random) -> float:
        with lock:
            number = next(_raw_numbers)
        started = time.perf_counter()
        params = {'show': rng.randint(1, SHOWS), 'user': 11 + index % USERS, 'now': '2000-01-01 00:00:00.000000'}
        params |= {'ref': f'R{os.getpid() % 1000:03d}{number:08d}', 'code': f'raw-{os.getpid()}-{number}'}
        with engine.begin() as conn:
            for statement in RAW_BOOKING:
                conn.execute(text(statement), params)
        return (time.perf_counter() - started) * 1000

    rate, _ = hammer(workers, seconds, book)
    engine.dispose()
    return rate


def login_all(base: str) -> list[str]:
    tokens = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for i in range(USERS):
            login = client.post('/api/v1/auth/login', json={'username': f'user{i}', 'password': 'bench-password'})
            assert login.status_code == 200, login.text
            tokens.append(login.json()['access_token'])
    return tokens


def race(base: str, tokens: list[str], show_id: int) -> tuple[float, int, int]:
    """RACE_CLIENTS clients book 1 ticket each until the show is sold out: (bookings/s, sold per the answers,
    tickets sold per the API)."""
    sold = 0
    lock = threading.Lock()
    start = threading.Barrier(RACE_CLIENTS + 1)

    def work(index: int) -> None:
        nonlocal sold
        headers = {'Authorization': f'Bearer {tokens[index % len(tokens)]}'}
        with httpx.Client(base_url=base, timeout=60, headers=headers) as client:
            start.wait()
            while True:
                response = client.post(f'/api/v1/shows/{show_id}/bookings', json={'tickets': 1})
                if response.status_code == 201:
                    with lock:
                        sold += 1
                elif response.status_code == 503:
                    time.sleep(float(response.headers.get('Retry-After', '1')))
                elif response.status_code == 409:
                    return
                else:
                    raise SystemExit(f'race: {response.status_code} {response.text[:200]}')

    threads = [threading.Thread(target=work, args=(i,)) for i in range(RACE_CLIENTS)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    with httpx.Client(base_url=base, timeout=30) as client:
        left = client.get(f'/api/v1/shows/{show_id}').json()['tickets_left']
    return sold / wall, sold, RACE_TICKETS - left


def overload(base: str, tokens: list[str], rate: float, seconds: float) -> tuple[float, list[float], dict[int, int]]:
    """Bookings due at `rate` per second for `seconds`, sent whatever the answers (64 connections): (served per
    second, latencies in ms from when each was due, count per status)."""
    due: queue.Queue[float | None] = queue.Queue()
    latencies: list[float] = []
    statuses: collections.Counter[int] = collections.Counter()
    lock = threading.Lock()

    def work(index: int) -> None:
        rng = random.Random(1000 + index)
        headers = {'Authorization': f'Bearer {tokens[index % len(tokens)]}'}
        with httpx.Client(base_url=base, timeout=60, headers=headers) as client:
            while (when := due.get()) is not None:
                try:
                    status = client.post(f'/api/v1/shows/{rng.randint(1, SHOWS)}/bookings', json={'tickets': 1})
                    code = status.status_code
                    if code == 503 and 'retry-after' not in status.headers:
                        code = 599  # a 503 without Retry-After counts as broken
                except httpx.HTTPError:
                    code = 0  # refused or dropped connection
                with lock:
                    latencies.append((time.perf_counter() - when) * 1000)
                    statuses[code] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(64)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    sent = 0
    while (now := time.perf_counter()) - began < seconds:
        while sent < (now - began) * rate:
            due.put(began + sent / rate)
            sent += 1
        time.sleep(0.001)
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    return sum(statuses.values()) / (time.perf_counter() - began), latencies, dict(statuses)


def page_p95(base: str, stop: threading.Event | None, count: int = 40) -> float:
    """p95 of GET / (a new search word each time, so never a cached answer), `count` times or until `stop`."""
    samples: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as client:
        while (len(samples) < count) if stop is None else not stop.is_set():
            samples.append(timed(lambda: client.get('/', params={'q': f'Night {len(samples)}'}), (200, 503)))
            time.sleep(0.05)
    return p95(samples)


def figures(seconds: float, url: str | None, app_at: str | None, workdir: Path) -> list[Figure]:
    url = url or f'sqlite:///{workdir / "bench.sqlite3"}'
    out: list[Figure] = []
    code_context = worktree(app_at, workdir) if app_at else nullcontext(ROOT)
    with code_context as code:
        subprocess.run(
            [sys.executable, '-c', SEED, url, str(SHOWS), str(USERS), str(RACE_TICKETS)], cwd=code, check=True
        )
        process, base = start_app(url, workdir, code=code, TICKETSHOW_BCRYPT_ROUNDS='4')
        try:
            tokens = login_all(base)
            clients = [
                httpx.Client(base_url=base, timeout=60, headers={'Authorization': f'Bearer {t}'}) for t in tokens
            ]

            def book_over_http(index: int, rng: random.Random) -> float:
                client = clients[index % len(clients)]
                return timed(
                    lambda: client.post(f'/api/v1/shows/{rng.randint(1, SHOWS)}/bookings', json={'tickets': 1}), (201,)
                )

            with bare_route() as bare:
                bare_clients = [httpx.Client(base_url=bare, timeout=60) for _ in range(32)]

                def post_bare(index: int, rng: random.Random) -> float:
                    client = bare_clients[index]
                    return timed(
                        lambda: client.post(f'/api/v1/shows/{rng.randint(1, SHOWS)}/bookings', json={'tickets': 1}),
                        (201,),
                    )

                for connections in (1, 8, 32):
                    floor, _ = hammer(connections, seconds, post_bare)
                    rate, latencies = hammer(connections, seconds, book_over_http)
                    goal = 0.5 if connections == 8 else None
                    out.append(
                        Figure(
                            f'API booking, {connections} conn.',
                            rate,
                            'bookings/s',
                            floor,
                            'bare route',
                            goal,
                            goal_is_ratio=True,
                        )
                    )
                    out.append(
                        Figure(
                            f'API booking p95, {connections} conn.',
                            p95(latencies),
                            'ms',
                            p50(latencies),
                            'p50',
                            50.0 if connections == 8 else None,
                            higher_is_better=False,
                        )
                    )
                    if connections == 8:
                        sustainable = rate
            for workers in (1, 8):
                out.append(
                    Figure(f'raw transaction, {workers} thread(s)', raw_rate(url, workers, seconds), 'bookings/s')
                )
            race_rate, answered, sold = race(base, tokens, SHOWS + 1)
            out.append(
                Figure(f'race of {RACE_CLIENTS} clients, {RACE_TICKETS:,} tickets', race_rate, 'bookings/s', goal=300.0)
            )
            out.append(
                Figure(
                    'race: tickets sold (201s, API count)',
                    sold,
                    'tickets',
                    answered,
                    '201s',
                    RACE_TICKETS,
                    higher_is_better=False,
                )
            )
            quiet = page_p95(base, None)
            stop = threading.Event()
            pages: list[float] = []
            watcher = threading.Thread(target=lambda: pages.append(page_p95(base, stop)))
            watcher.start()
            served, latencies, statuses = overload(base, tokens, 4 * sustainable, seconds)
            stop.set()
            watcher.join()
            broken = sum(
                count for status, count in statuses.items() if (status >= 500 and status != 503) or status == 0
            )
            out.append(Figure('overload 4×: served', served, 'answers/s', 4 * sustainable, 'sent'))
            out.append(Figure('overload 4×: p95 from due', p95(latencies), 'ms'))
            out.append(
                Figure('overload 4×: 5xx but 503, or dropped', broken, 'answers', goal=0.0, higher_is_better=False)
            )
            out.append(Figure('overload 4×: home page p95', pages[0], 'ms', quiet, 'quiet p95'))
            print('overload answers by status:', dict(sorted(statuses.items())))
        finally:
            process.terminate()
            process.wait(30)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=5.0, help='per measured line')
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    parser.add_argument('--app-at', default=None, help='git ref of the app to measure (default: this checkout)')
    args = parser.parse_args()
    os.environ['TICKETSHOW_BCRYPT_ROUNDS'] = '4'
    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    which = f'the app at {args.app_at}' if args.app_at else 'this checkout'
    print(table(figures(args.seconds, args.database_url, args.app_at, workdir), f'Booking through the API, {which}'))


if __name__ == '__main__':
    main()
