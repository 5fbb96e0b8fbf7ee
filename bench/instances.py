"""One instance against two, SQLite against PostgreSQL: booking throughput and show search through the API.

    make bench-instances   # or: .venv/bin/python -m bench.instances [--seconds S] [--postgres-url URL]

Seeds 10,000 upcoming shows into a new SQLite file and a new PostgreSQL database (created on the
server of --postgres-url, default the local one at 127.0.0.1:5432, and dropped afterwards),
then, for each setup — one instance on SQLite, one on PostgreSQL, two on PostgreSQL (the clients
split between them, as a proxy would), all on one Redis — prints confirmed bookings per second and
p50/p95 latency of POST /shows/{id}/bookings with 8 and 32 concurrent clients, and the p50/p95 of
GET /api/v1/shows with new filters (cache misses), with the ratios PostgreSQL/SQLite and 2/1.
Loopback only; the machine has 2 cores, so two instances compete with the database for them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.exports import p95, start_app
from bench.seed import PLACES, TAGS, WORDS, seed
from bench.speed import SHOWS, USERS, hammer
from models import db
from models.migrate import upgrade
from services.config import get_settings


@contextmanager
def throwaway_postgres(admin_url: str) -> Iterator[str]:
    admin = create_engine(admin_url, isolation_level='AUTOCOMMIT', hide_parameters=True)
    name = f'ticketshow_bench_{uuid.uuid4().hex[:10]}'
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE {name}'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
        admin.dispose()


def prepare(url: str) -> None:
    upgrade(url)
    engine = db.configure(url)
    seed(engine, shows=SHOWS, bookings=SHOWS, managers=10, users=USERS)
    engine.dispose()


def measure(bases: list[str], seconds: float) -> dict[str, tuple[float, float, float]]:
    """Bookings per second and p50/p95 ms at 8 and 32 clients, spread over `bases`; search p50/p95."""
    tokens = []
    for i in range(USERS):
        base = bases[i % len(bases)]
        login = httpx.post(f'{base}/api/v1/auth/login', json={'username': f'user{i}', 'password': 'bench-password'})
        assert login.status_code == 200, login.text
        tokens.append((base, login.json()['access_token']))
    clients = [httpx.Client(base_url=b, timeout=30, headers={'Authorization': f'Bearer {t}'}) for b, t in tokens]

    def book(index: int, rng: random.Random) -> float:
        started = time.perf_counter()
        response = clients[index].post(f'/api/v1/shows/{rng.randint(1, SHOWS)}/bookings', json={'tickets': 1})
        assert response.status_code == 201, response.text
        return (time.perf_counter() - started) * 1000

    figures = {}
    for workers in (8, 32):
        rate, latencies = hammer(workers, seconds, book)
        figures[f'book x{workers}'] = (rate, statistics.median(latencies), p95(latencies))
    rng = random.Random(3)
    searches = []
    for i in range(200):
        started = time.perf_counter()
        clients[i % len(clients)].get(
            '/api/v1/shows',
            params={'q': f'{rng.choice(WORDS)} {i}', 'place': rng.choice(PLACES), 'tag': rng.choice(TAGS)},
        )
        searches.append((time.perf_counter() - started) * 1000)
    figures['search'] = (0.0, statistics.median(searches), p95(searches))
    for client in clients:
        client.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=5.0)
    parser.add_argument(
        '--postgres-url',
        default=os.environ.get('TICKETSHOW_BENCH_POSTGRES_URL', 'postgresql+psycopg://postgres@127.0.0.1:5432/test'),
    )
    parser.add_argument(
        '--redis-url', default=os.environ.get('TICKETSHOW_BENCH_REDIS_URL', 'redis://127.0.0.1:6379/14')
    )
    args = parser.parse_args()
    os.environ['TICKETSHOW_BCRYPT_ROUNDS'] = '4'
    get_settings.cache_clear()
    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    results: dict[str, dict[str, tuple[float, float, float]]] = {}

    # Every setup on the same Redis, so that only the database and the number of instances differ.
    def shared() -> dict[str, str]:
        return {'TICKETSHOW_REDIS_URL': args.redis_url, 'TICKETSHOW_REDIS_PREFIX': f'bench-{uuid.uuid4().hex[:8]}:'}

    sqlite_url = f'sqlite:///{workdir / "bench.sqlite3"}'
    prepare(sqlite_url)
    process, base = start_app(sqlite_url, workdir, **shared())
    try:
        results['1 instance, SQLite'] = measure([base], args.seconds)
    finally:
        process.terminate()
        process.wait(timeout=30)

    with throwaway_postgres(args.postgres_url) as pg_url:
        prepare(pg_url)
        for setup, count in (('1 instance, PostgreSQL', 1), ('2 instances, PostgreSQL', 2)):
            settings = shared()
            started = [start_app(pg_url, workdir, **settings) for _ in range(count)]
            try:
                results[setup] = measure([b for _, b in started], args.seconds)
            finally:
                for process, _ in started:
                    process.terminate()
                    process.wait(timeout=30)

    print(f'\n{SHOWS:,} shows; bookings of 1 ticket on random shows for {args.seconds:g} s per line')
    print(f'{"setup":26} {"measure":10} {"bookings/s":>11} {"p50 ms":>8} {"p95 ms":>8}')
    for setup, figures in results.items():
        for name, (rate, p50, high) in figures.items():
            rate_text = f'{rate:11.0f}' if name != 'search' else f'{"":>11}'
            print(f'{setup:26} {name:10} {rate_text} {p50:8.2f} {high:8.2f}')
    for workers in (8, 32):
        key = f'book x{workers}'
        sqlite, pg1, pg2 = (results[s][key][0] for s in results)
        print(f'{workers} clients: PostgreSQL/SQLite {pg1 / sqlite:.2f}x, 2 instances/1 on PostgreSQL {pg2 / pg1:.2f}x')


if __name__ == '__main__':
    main()
