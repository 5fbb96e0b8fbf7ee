"""Booking through the API with 1, 8 and 32 concurrent clients, against the database's own ceiling; show search.

    make bench-api         # or: .venv/bin/python -m bench.api [--seconds S] [--database-url URL]

Seeds a fresh SQLite database (or --database-url, an empty one) with 10,000 upcoming shows, starts the
real app (main.py as a subprocess on a loopback port) and prints:
- booking throughput (confirmed bookings per second) and p50/p95 latency of POST /shows/{id}/bookings
  with 1, 8 and 32 concurrent clients (each its own connection and bearer token), for a few seconds each;
- the ceiling measured in the same run: `services.booking.book` (the same conditional UPDATE plus
  INSERT in one transaction) called directly, without HTTP, from 1 and 8 threads; and the ratio;
- GET /api/v1/shows with filters over the 10,000 shows, p50/p95: every request a new filter set (a
  cache miss) and the same filter set again (a hit).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.exports import p95, start_app
from bench.seed import PLACES, TAGS, WORDS, seed
from bench.speed import USERS, hammer, login_all
from models import db
from models.db import session_scope
from models.migrate import upgrade
from services import booking
from services.config import get_settings

SHOWS = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=5.0, help='per concurrency level')
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    os.environ['TICKETSHOW_BCRYPT_ROUNDS'] = '4'  # logins are not what is measured
    get_settings.cache_clear()
    url = args.database_url or f'sqlite:///{workdir / "bench.sqlite3"}'
    upgrade(url)
    engine = db.configure(url)
    ids = seed(engine, shows=SHOWS, bookings=SHOWS, managers=10, users=USERS)
    first_user = ids['user_id']
    print(f'seeded {SHOWS:,} shows on {engine.dialect.name}')

    process, base = start_app(url, workdir)
    try:
        tokens = login_all(base)  # USERS audience members, each its own bearer token
        clients = [httpx.Client(base_url=base, timeout=30, headers={'Authorization': f'Bearer {t}'}) for t in tokens]

        def book_over_http(index: int, rng: random.Random) -> float:
            started = time.perf_counter()
            response = clients[index].post(f'/api/v1/shows/{rng.randint(1, SHOWS)}/bookings', json={'tickets': 1})
            assert response.status_code == 201, response.text
            return (time.perf_counter() - started) * 1000

        def book_directly(index: int, rng: random.Random) -> float:
            started = time.perf_counter()
            with session_scope() as session:
                booking.book(session, show_id=rng.randint(1, SHOWS), user_id=first_user + index, tickets=1)
            return (time.perf_counter() - started) * 1000

        print(f'\nbookings of 1 ticket on random shows, {args.seconds:g} s per line')
        print(f'{"path":22} {"clients":>7} {"bookings/s":>11} {"p50 ms":>8} {"p95 ms":>8}')
        ceiling = {}
        for workers in (1, 8):
            ceiling[workers], latencies = hammer(workers, args.seconds, book_directly)
            figures = f'{ceiling[workers]:11.0f} {statistics.median(latencies):8.2f} {p95(latencies):8.2f}'
            print(f'{"direct (no HTTP)":22} {workers:7} {figures}')
        best = max(ceiling.values())
        for workers in (1, 8, 32):
            rate, latencies = hammer(workers, args.seconds, book_over_http)
            print(
                f'{"HTTP API":22} {workers:7} {rate:11.0f} {statistics.median(latencies):8.2f} {p95(latencies):8.2f}'
                f'   {rate / best:.2f}x the ceiling'
            )
        for client in clients:
            client.close()

        print('\nGET /api/v1/shows with filters over 10,000 shows, 300 requests each, one client')
        print(f'{"":24} {"p50 ms":>8} {"p95 ms":>8}')
        rng = random.Random(1)
        with httpx.Client(base_url=base, timeout=30) as client:

            def search(params: dict[str, object]) -> float:
                started = time.perf_counter()
                response = client.get('/api/v1/shows', params=params)
                assert response.status_code == 200, response.text
                return (time.perf_counter() - started) * 1000

            distinct = [
                search(
                    {
                        'q': f'{rng.choice(WORDS)} {i}',
                        'place': rng.choice(PLACES),
                        'tag': rng.choice(TAGS),
                        'min_rating': rng.choice([0, 3, 4]),
                        'limit': 20,
                    }
                )
                for i in range(300)
            ]
            same = [search({'place': 'Pune', 'tag': 'drama', 'min_rating': 3, 'limit': 20}) for _ in range(300)]
        print(f'{"new filters (miss)":24} {statistics.median(distinct):8.2f} {p95(distinct):8.2f}')
        print(f'{"same filters (hit)":24} {statistics.median(same):8.2f} {p95(same):8.2f}')
    finally:
        process.terminate()
        process.wait(timeout=30)
    engine.dispose()


if __name__ == '__main__':
    main()
