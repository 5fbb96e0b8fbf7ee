"""Cached reads vs misses: the home listing (several filter sets), a manager's dashboard and summary figures.

    make bench-listing            # or: .venv/bin/python -m bench.listing [--shows N] [--bookings N] [--runs N]

Seeds a fresh SQLite database (or --database-url) with 10,000 shows and 100,000 bookings, then times
each read through the real cache, on Redis (TICKETSHOW_BENCH_REDIS_URL, default db 14 on the local
server) and in process memory: a miss forces the namespace version forward before every call; a hit
repeats the same call. Prints medians and the miss/hit ratio.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis
from sqlalchemy.orm import Session

import models
from bench.seed import seed
from models import db
from models.db import session_scope
from services import cache, search, summary, theatres
from services.kv import KV


def median_ms(fn: Callable[[], object], runs: int, before: Callable[[], None] | None = None) -> float:
    samples = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--shows', type=int, default=10_000)
    parser.add_argument('--bookings', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=30)
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    url = args.database_url or f'sqlite:///{workdir / "bench.sqlite3"}'
    engine = db.configure(url)
    models.Base.metadata.create_all(engine)
    started = time.perf_counter()
    ids = seed(engine, shows=args.shows, bookings=args.bookings)
    print(
        f'seeded {args.shows:,} shows and {args.bookings:,} bookings on {engine.dialect.name} '
        f'in {time.perf_counter() - started:.1f} s'
    )

    reads: dict[str, Callable[[Session], object]] = {
        'listing, no filter, page 1': lambda s: search.search_shows(s, limit=12),
        'listing, place + tag': lambda s: search.search_shows(s, place='Pune', tag='drama', limit=12),
        'listing, free text': lambda s: search.search_shows(s, q='hamlet', limit=12),
        'listing, page 100': lambda s: search.search_shows(s, limit=12, offset=1188),
        'dashboard (10 theatres)': lambda s: theatres.dashboard(s, actor_id=ids['manager_id']),
        'summary (10 theatres)': lambda s: summary.summary(s, actor_id=ids['manager_id']),
    }
    redis_url = os.environ.get('TICKETSHOW_BENCH_REDIS_URL', 'redis://127.0.0.1:6379/14')
    stores: list[tuple[str, KV]] = [('memory', KV(None))]
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
        stores.insert(0, ('redis', KV(redis_url, prefix=f'bench-{uuid.uuid4().hex[:8]}:')))
    except redis.RedisError as error:
        print(f'Redis at {redis_url} unreachable ({error}): measuring the in-process store only')

    print(f'\nmedian of {args.runs} runs, milliseconds')
    print(f'{"read":32} {"store":7} {"miss":>9} {"hit":>9} {"miss/hit":>9}')
    for store_name, kv in stores:
        configured = cache.configure(kv, ttl=600)
        assert configured is not None
        for name, read in reads.items():
            with session_scope() as session:
                bound = functools.partial(read, session)
                miss = median_ms(bound, args.runs, before=functools.partial(configured.bump, 'listing'))
                bound()
                hit = median_ms(bound, args.runs)
            print(f'{name:32} {store_name:7} {miss:9.2f} {hit:9.3f} {miss / hit:8.1f}x')
    cache.configure(None)
    engine.dispose()


if __name__ == '__main__':
    main()
