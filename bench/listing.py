"""The listing and the home page's data at 100,000 shows: misses, hits, and hits while bookings go on.

    make bench-listing            # or: .venv/bin/python -m bench.listing [--shows N] [--bookings N] [--runs N]

Seeds a fresh SQLite database (or --database-url, an empty one) with 100,000 upcoming shows and 100,000 bookings,
then times the reads through the real cache, on Redis (TICKETSHOW_BENCH_REDIS_URL, default db 14 on the local
server; process memory when it does not answer). Prints a table of figures (bench/report.py), each beside its floor
measured in the same run: the page's own SELECT (one page of shows, no count, no distinct).
- listing miss: the first page, soonest first, after a show edit bumped the `listing` namespace (its total too);
- listing hit: the same call again;
- listing hit while bookings go on: a thread books tickets through `services.booking.book`, half of them on the
  shown page's shows, and each read waits for one more booking to commit; the share of reads that were cache
  hits is printed beside it (a booking path that bumps `listing` turns them into misses);
- home page data miss and hit: what ui/home.py computes, the places, the tags and the first page with its total;
- a filtered listing (place + tag) and a cheapest-first listing, miss and hit.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

import models
from bench.report import Figure, p50, p95, table
from bench.seed import seed
from models import Show, ShowStatus, db
from models.db import session_scope, utcnow
from services import booking, cache, search
from services.cache import LISTING
from services.errors import DomainError
from services.kv import KV

PAGE = 12
MISS_GOAL_MS = 50.0
HIT_GOAL_MS = 5.0


def samples_ms(fn: Callable[[], object], runs: int, before: Callable[[], None] | None = None) -> list[float]:
    samples = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def page_select(session: Session) -> None:
    """The floor: one page of upcoming shows, soonest first, as one SELECT (no count, no distinct, no cache)."""
    query = (
        select(Show.__table__)
        .where(Show.starts_at > utcnow(), Show.status == ShowStatus.SCHEDULED)
        .order_by(Show.starts_at, Show.id)
        .limit(PAGE)
    )
    session.execute(query).all()


def home_data(session: Session) -> None:
    """What the home page computes: the filter's choices and the first page with its total."""
    search.places(session), search.tags(session), search.search_shows(session, limit=PAGE)


class Bookings:
    """A thread booking one ticket at a time through the service, on the first page's shows and on random ones."""

    def __init__(self, shows: int, page_ids: list[int], user_ids: range) -> None:
        self.stop = threading.Event()
        self.made = 0
        self.refused = 0
        self._landed = threading.Condition()
        self._rng = random.Random(11)
        self._shows, self._page_ids, self._users = shows, page_ids, user_ids
        self._thread = threading.Thread(target=self._run, name='bench-bookings', daemon=True)

    def __enter__(self) -> Bookings:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self.stop.is_set():
            on_page = self._rng.random() < 0.5
            show_id = self._rng.choice(self._page_ids) if on_page else self._rng.randint(1, self._shows)
            try:
                with session_scope() as s:
                    booking.book(s, show_id=show_id, user_id=self._rng.choice(self._users), tickets=1, send_email=False)
                with self._landed:
                    self.made += 1
                    self._landed.notify_all()
            except DomainError:
                self.refused += 1

    def next_booking(self) -> None:
        """Wait until one more booking has committed (a second at most), so that every read follows one."""
        with self._landed:
            seen = self.made
            self._landed.wait_for(lambda: self.made > seen, timeout=1.0)


def _store(redis_url: str) -> tuple[str, KV]:
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        print(f'Redis at {redis_url} unreachable ({error}): measuring the in-process store')
        return 'memory', KV(None)
    return 'redis', KV(redis_url, prefix=f'bench-{uuid.uuid4().hex[:8]}:')


def figures(
    *,
    shows: int = 100_000,
    bookings: int = 100_000,
    runs: int = 50,
    database_url: str | None = None,
    redis_url: str | None = None,
) -> list[Figure]:
    """Seed, measure and return the figures (the `make bench` driver calls this; `main` prints them)."""
    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    engine = db.configure(database_url or f'sqlite:///{workdir / "bench.sqlite3"}')
    models.Base.metadata.create_all(engine)
    started = time.perf_counter()
    ids = seed(engine, shows=shows, bookings=bookings)
    took = time.perf_counter() - started
    print(f'seeded {shows:,} shows and {bookings:,} bookings on {engine.dialect.name} in {took:.1f} s')
    url = redis_url or os.environ.get('TICKETSHOW_BENCH_REDIS_URL', 'redis://127.0.0.1:6379/14')
    store_name, kv = _store(url)
    configured = cache.configure(kv, ttl=600)
    assert configured is not None
    bump = functools.partial(configured.bump, LISTING)  # what a show or theatre edit does
    result: list[Figure] = []
    try:
        with session_scope() as session:
            floor = p50(samples_ms(functools.partial(page_select, session), runs))
            floor_p95 = p95(samples_ms(functools.partial(page_select, session), runs))
            reads: dict[str, Callable[[], object]] = {
                'listing': functools.partial(search.search_shows, session, limit=PAGE),
                'home page data': functools.partial(home_data, session),
                'listing, place + tag': functools.partial(
                    search.search_shows, session, place='Pune', tag='drama', limit=PAGE
                ),
                'listing, cheapest first': functools.partial(search.search_shows, session, sort='price', limit=PAGE),
            }
            for name, read in reads.items():
                miss = samples_ms(read, runs, before=bump)
                read()
                hit = samples_ms(read, runs)
                for kind, values in (('miss', miss), ('hit', hit)):
                    goal = MISS_GOAL_MS if kind == 'miss' else HIT_GOAL_MS
                    for label, value, base in (('p50', p50(values), floor), ('p95', p95(values), floor_p95)):
                        result.append(_figure(f'{name} {kind} {label} ({store_name})', value, base, goal))
            page_ids = [x.id for x in search.search_shows(session, limit=PAGE).items]
        users = range(ids['user_id'], ids['user_id'] + 1000)
        hits, misses = configured.hits, configured.misses
        with Bookings(shows, page_ids, users) as running, session_scope() as session:
            read = functools.partial(search.search_shows, session, limit=PAGE)
            during = samples_ms(read, runs, before=running.next_booking)
        share = (configured.hits - hits) / max(1, configured.hits - hits + configured.misses - misses)
        print(
            f'while {running.made} bookings ({running.refused} refused) went on, {share:.0%} of listing reads were '
            'cache hits'
        )
        for label, value, base in (('p50', p50(during), floor), ('p95', p95(during), floor_p95)):
            result.append(_figure(f'listing hit {label} during bookings ({store_name})', value, base, HIT_GOAL_MS))
    finally:
        cache.configure(None)
        engine.dispose()
    return result


def _figure(name: str, value: float, floor: float, goal: float) -> Figure:
    return Figure(
        name, value, 'ms', floor=floor, floor_name='page SELECT', goal=goal, goal_is_ratio=False, higher_is_better=False
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--shows', type=int, default=100_000)
    parser.add_argument('--bookings', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=50)
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    args = parser.parse_args()
    measured = figures(shows=args.shows, bookings=args.bookings, runs=args.runs, database_url=args.database_url)
    print()
    print(table(measured, title=f'The listing at {args.shows:,} shows, {args.runs} runs each (milliseconds)'))


if __name__ == '__main__':
    main()
