"""Door check-in throughput: scanners posting codes to the API, against the admit-once UPDATE's own ceiling.

    make bench-checkin     # or: .venv/bin/python -m bench.checkin [--tickets N] [--database-url URL]

Seeds a fresh SQLite database (or --database-url, an empty one) with one show of --tickets tickets (default
6,000; two a booking) and one door-staff member of its theatre, starts the real app (main.py as a subprocess
on a loopback port), logs the door person in through the API and prints, for 2 and 8 scanners at once (each
its own connection, every scan a code not scanned before, a sixth of the tickets per line):
- POST /api/v1/checkin through the API: check-ins per second, p50/p95 latency;
- the ceiling measured in the same run: the check-in's conditional UPDATE (valid → checked_in, by code) run
  directly through SQLAlchemy, one transaction per ticket, from as many threads; and the ratio API/direct;
- between the two, `services.checkin.check_in` called directly (its reads, the UPDATE and the door's count in
  one transaction, no HTTP), from as many threads: where the gap goes.
Then checks that every code was admitted exactly once: each scan answered 200 (or updated one row), the
database holds as many checked-in tickets as codes scanned, the door's count says the same, and scanning a
sample of codes again is refused with 409.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, insert, select, update

from bench.exports import p95, start_app
from bench.report import Figure
from bench.seed import seed
from models import Booking, BookingStatus, Show, TheatreStaff, Ticket, TicketStatus, db
from models.db import session_scope, utcnow
from models.migrate import upgrade
from services import checkin
from services.config import get_settings
from services.tickets import new_code

PER_BOOKING = 2
AUDIENCE = 200  # people holding the bookings
WARM_UP = 40  # scans before the measured ones: connections, code paths
RESCANS = 50  # codes scanned a second time at the end, each to be refused
SCANNERS = (2, 8)


def seed_show(engine: Engine, *, tickets: int) -> tuple[int, int, list[str]]:
    """One theatre, one show tonight sold out with `tickets` tickets, one door person (user0); returns the show's
    id, the door person's id and every ticket's code, in booking order."""
    ids = seed(engine, shows=1, bookings=0, managers=1, users=AUDIENCE + 1, theatres_per_manager=1)
    door_id, show_id, price = ids['user_id'], 1, 25_000
    now = utcnow()
    bookings = -(-tickets // PER_BOOKING)
    codes = [new_code() for _ in range(tickets)]
    with engine.begin() as conn:
        conn.execute(
            update(Show)
            .where(Show.id == show_id)
            .values(num_tickets=tickets, tickets_sold=tickets, price_cents=price, starts_at=now)
        )
        conn.execute(insert(TheatreStaff), [{'theatre_id': 1, 'user_id': door_id, 'added_by_id': 1, 'added_at': now}])
        rows = []
        for b in range(bookings):
            count = min(PER_BOOKING, tickets - b * PER_BOOKING)
            rows.append(
                {
                    'id': b + 1,
                    'reference': f'B{b + 1:09d}',
                    'user_id': door_id + 1 + b % AUDIENCE,
                    'show_id': show_id,
                    'booked_tickets': count,
                    'price_cents': price,
                    'total_cents': price * count,
                    'status': BookingStatus.CONFIRMED,
                    'created_at': now,
                }
            )
        conn.execute(insert(Booking), rows)
        conn.execute(
            insert(Ticket),
            [
                {'booking_id': i // PER_BOOKING + 1, 'show_id': show_id, 'code': code, 'price_cents': price}
                for i, code in enumerate(codes)
            ],
        )
    return show_id, door_id, codes


def scan(workers: int, codes: list[str], act: Callable[[int, str], None]) -> tuple[float, list[float]]:
    """`workers` threads take the next code from `codes` until none is left and call `act(worker, code)` on it;
    returns (wall seconds, milliseconds per call)."""
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = iter(codes)
    start = threading.Barrier(workers + 1)
    failures: list[BaseException] = []

    def work(index: int) -> None:
        start.wait()
        mine = []
        try:
            while True:
                with lock:
                    code = next(remaining, None)
                if code is None:
                    break
                began = time.perf_counter()
                act(index, code)
                mine.append((time.perf_counter() - began) * 1000)
        except BaseException as error:  # noqa: BLE001 - carried to the main thread and raised there
            failures.append(error)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if failures:
        raise failures[0]
    return wall, latencies


def admit_directly(code: str, door_id: int) -> None:
    """The admit-once write alone, in a transaction of its own: what the check-in cannot be faster than."""
    with session_scope() as session:
        admitted = session.execute(
            update(Ticket)
            .where(Ticket.code == code, Ticket.status == TicketStatus.VALID)
            .values(status=TicketStatus.CHECKED_IN, checked_in_at=utcnow(), checked_in_by_id=door_id)
            .returning(Ticket.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
    if admitted is None:
        raise AssertionError(f'{code} was not valid')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--tickets', type=int, default=6_000, help='codes scanned in the measured runs')
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    parser.add_argument('--json', default=None, help='also write the figures here (for make bench)')
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    os.environ['TICKETSHOW_BCRYPT_ROUNDS'] = '4'  # logins are not what is measured
    get_settings.cache_clear()
    url = args.database_url or f'sqlite:///{workdir / "bench.sqlite3"}'
    upgrade(url)
    engine = db.configure(url)
    show_id, door_id, codes = seed_show(engine, tickets=args.tickets + WARM_UP)
    print(f'seeded one show with {len(codes):,} tickets on {engine.dialect.name}')
    warm_up, codes = codes[:WARM_UP], codes[WARM_UP:]
    runs = len(SCANNERS) * 3
    share = len(codes) // runs
    batches = [codes[i * share : (i + 1) * share] for i in range(runs)]
    scanned = list(warm_up)

    process, base = start_app(url, workdir)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            login = client.post('/api/v1/auth/login', json={'username': 'user0', 'password': 'bench-password'})
            assert login.status_code == 200, login.text
            headers = {'Authorization': f'Bearer {login.json()["access_token"]}'}
        clients = [httpx.Client(base_url=base, timeout=30, headers=headers) for _ in range(max(SCANNERS))]

        def admit_over_http(index: int, code: str) -> None:
            response = clients[index].post('/api/v1/checkin', json={'code': code, 'show_id': show_id})
            assert response.status_code == 200, f'{response.status_code} {response.text}'
            assert response.json()['result'] == 'checked_in', response.text

        def admit_by_service(_index: int, code: str) -> None:
            with session_scope() as session:
                checkin.check_in(session, actor_id=door_id, show_id=show_id, code=code)

        third = WARM_UP // 3
        scan(2, warm_up[:third], admit_over_http)
        scan(2, warm_up[third : 2 * third], admit_by_service)
        scan(2, warm_up[2 * third :], lambda _index, code: admit_directly(code, door_id))

        print(f'\ncheck-ins of distinct codes, {share:,} codes per line, as fast as the scanners go')
        print(f'{"path":30} {"scanners":>8} {"check-ins/s":>12} {"p50 ms":>8} {"p95 ms":>8}')
        ceiling: dict[int, float] = {}
        over_api: dict[int, tuple[float, float]] = {}  # check-ins/s and p95 ms through the API, per scanner count
        for workers in SCANNERS:
            batch = batches.pop()
            wall, latencies = scan(workers, batch, lambda _index, code: admit_directly(code, door_id))
            scanned += batch
            ceiling[workers] = share / wall
            figures = f'{share / wall:12.0f} {statistics.median(latencies):8.2f} {p95(latencies):8.2f}'
            print(f'{"direct UPDATE (no HTTP)":30} {workers:8} {figures}')
        for workers in SCANNERS:
            batch = batches.pop()
            wall, latencies = scan(workers, batch, admit_by_service)
            scanned += batch
            rate = share / wall
            print(
                f'{"check_in service (no HTTP)":30} {workers:8} {rate:12.0f} {statistics.median(latencies):8.2f} '
                f'{p95(latencies):8.2f}   {rate / ceiling[workers]:.2f}x direct'
            )
        for workers in SCANNERS:
            batch = batches.pop()
            wall, latencies = scan(workers, batch, admit_over_http)
            scanned += batch
            rate = share / wall
            over_api[workers] = rate, p95(latencies)
            print(
                f'{"POST /api/v1/checkin":30} {workers:8} {rate:12.0f} {statistics.median(latencies):8.2f} '
                f'{p95(latencies):8.2f}   {rate / ceiling[workers]:.2f}x direct'
            )

        refused = 0
        for code in scanned[:: max(1, len(scanned) // RESCANS)]:
            again = clients[0].post('/api/v1/checkin', json={'code': code, 'show_id': show_id})
            assert again.status_code == 409, f'{code} scanned again: {again.status_code} {again.text}'
            refused += 1
        door = clients[0].get(f'/api/v1/shows/{show_id}/checkin')
        assert door.status_code == 200, door.text
        for client in clients:
            client.close()
    finally:
        process.terminate()
        process.wait(timeout=30)

    with session_scope() as session:
        checked_in = set(session.scalars(select(Ticket.code).where(Ticket.status == TicketStatus.CHECKED_IN)))
        stamped = session.scalar(select(func.count(Ticket.id)).where(Ticket.checked_in_at.is_not(None)))
    assert len(scanned) == len(set(scanned)), 'a code was scanned twice in the measured runs'
    assert checked_in == set(scanned), 'the checked-in tickets are not the scanned ones'
    assert stamped == len(scanned), 'a ticket not checked in has a check-in time'
    counts = door.json()
    assert counts['checked_in'] == len(scanned) and counts['tickets_sold'] == len(codes) + WARM_UP, counts
    print(
        f'\ncorrect: {len(scanned):,} codes scanned, {len(checked_in):,} tickets checked in, each once; the door '
        f'counts {counts["checked_in"]:,} of {counts["tickets_sold"]:,}; {refused} codes scanned again, all 409'
    )
    engine.dispose()
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(figure) for figure in checkin_figures(over_api, ceiling)]))


def checkin_figures(over_api: dict[int, tuple[float, float]], ceiling: dict[int, float]) -> list[Figure]:
    """The check-in rates through the API against the admit-once UPDATE alone, and the p95 at the most scanners."""
    most = max(over_api)
    rows = [
        Figure(
            f'check-ins, {workers} scanners',
            rate,
            'check-ins/s',
            floor=ceiling[workers],
            floor_name='direct UPDATE',
            goal=500.0 if workers == most else None,
        )
        for workers, (rate, _) in sorted(over_api.items())
    ]
    rows.append(Figure(f'check-in p95, {most} scanners', over_api[most][1], 'ms', higher_is_better=False))
    return rows


if __name__ == '__main__':
    main()
