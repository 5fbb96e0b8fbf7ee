"""Public reads while another process holds the database's write lock and writes keep trying.

    make bench-busy        # or: .venv/bin/python -m bench.busy [--hold S] [--database-url URL]

Seeds a fresh SQLite database (or --database-url, an empty one) with 1,000 upcoming shows, starts the real
app (main.py as a subprocess on a loopback port, default lock timeout) and prints p50/p95 of the public
reads (GET /api/v1/shows and GET /, each a new search so that none is answered from the cache) from a few
clients for --hold seconds while another process holds the write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL:
LOCK TABLE ... IN EXCLUSIVE MODE, which lets SELECTs through) and --writers clients keep trying to book,
against as long with nothing in the way (half before, half after); with the ratio, and what the writes were
answered.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.exports import p95, start_app
from bench.seed import WORDS, seed
from models import db
from models.migrate import upgrade
from services.config import get_settings

SHOWS = 1_000
READS = {'GET /api/v1/shows': '/api/v1/shows', 'GET /': '/'}
# Run by another interpreter: it holds what every booking needs until it is told the time is up.
HOLDER = """
import sys, time
url, seconds = sys.argv[1], float(sys.argv[2])
if url.startswith('sqlite'):
    import sqlite3
    conn = sqlite3.connect(url.removeprefix('sqlite:///'), isolation_level=None, timeout=30)
    conn.execute('BEGIN IMMEDIATE')
else:
    import psycopg
    conn = psycopg.connect(url.replace('postgresql+psycopg://', 'postgresql://'))
    conn.execute('LOCK TABLE users, theatres, shows, bookings IN EXCLUSIVE MODE')
print('locked', flush=True)
time.sleep(seconds)
conn.rollback()
"""


def read_latencies(base: str, clients: int, seconds: float) -> dict[str, list[float]]:
    """Milliseconds per read, by kind, from `clients` threads reading in turn for `seconds`."""
    samples: dict[str, list[float]] = {name: [] for name in READS}
    lock = threading.Lock()
    stop = threading.Event()
    failures: Counter[int] = Counter()

    def reader(index: int) -> None:
        rng = random.Random(index)
        names = list(READS)
        with httpx.Client(base_url=base, timeout=60) as client:
            turn = index
            while not stop.is_set():
                name = names[turn % len(names)]
                started = time.perf_counter()
                response = client.get(READS[name], params={'q': f'{rng.choice(WORDS)} {rng.randint(0, 10**9)}'})
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    samples[name].append(elapsed)
                    if response.status_code != 200:
                        failures[response.status_code] += 1
                turn += 1

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f'reads answered other than 200: {dict(failures)}')
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--hold', type=float, default=10.0, help='seconds the write lock is held (and reads measured)')
    parser.add_argument('--readers', type=int, default=4, help='clients reading at once')
    parser.add_argument('--writers', type=int, default=8, help='clients trying to book while the lock is held')
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    get_settings.cache_clear()
    url = args.database_url or f'sqlite:///{workdir / "bench.sqlite3"}'
    upgrade(url)
    engine = db.configure(url)
    seed(engine, shows=SHOWS, bookings=SHOWS, managers=2, users=args.writers)
    engine.dispose()
    lock_timeout = get_settings().db_lock_timeout_seconds
    print(f'seeded {SHOWS:,} shows on {engine.dialect.name}; the app waits {lock_timeout:g} s for a lock')

    process, base = start_app(url, workdir)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            tokens = []
            for i in range(args.writers):
                login = client.post('/api/v1/auth/login', json={'username': f'user{i}', 'password': 'bench-password'})
                assert login.status_code == 200, login.text
                tokens.append(login.json()['access_token'])
        read_latencies(base, args.readers, 3.0)  # warm up: first pages, connections, code paths

        free = read_latencies(base, args.readers, args.hold / 2)

        writes: Counter[int] = Counter()
        write_ms: list[float] = []
        holding = threading.Event()
        writes_lock = threading.Lock()

        def writer(token: str, index: int) -> None:
            rng = random.Random(index)
            headers = {'Authorization': f'Bearer {token}'}
            with httpx.Client(base_url=base, timeout=120, headers=headers) as client:
                while holding.is_set():
                    started = time.perf_counter()
                    response = client.post(f'/api/v1/shows/{rng.randint(1, SHOWS)}/bookings', json={'tickets': 1})
                    with writes_lock:
                        writes[response.status_code] += 1
                        write_ms.append((time.perf_counter() - started) * 1000)

        holder = subprocess.Popen(
            [sys.executable, '-c', HOLDER, url, str(args.hold + 2)], stdout=subprocess.PIPE, text=True
        )
        assert holder.stdout is not None and holder.stdout.readline().strip() == 'locked'
        holding.set()
        writers = [threading.Thread(target=writer, args=(t, i)) for i, t in enumerate(tokens)]
        for thread in writers:
            thread.start()
        locked = read_latencies(base, args.readers, args.hold)  # ends before the holder lets go
        holding.clear()
        for thread in writers:
            thread.join()
        holder.wait(timeout=60)
        for name, samples in read_latencies(base, args.readers, args.hold / 2).items():
            free[name] += samples
    finally:
        process.terminate()
        process.wait(timeout=30)

    print(f'\npublic reads, {args.readers} clients, {args.hold:g} s each; milliseconds')
    print(f'{"read":20} {"n":>5} {"p50":>7} {"p95":>7}   {"n":>5} {"p50":>7} {"p95":>7}   {"p95 ratio":>9}')
    print(f'{"":20} {"no lock":>21}   {"write lock held, writes trying":>21}')
    for name in READS:
        a, b = free[name], locked[name]
        print(
            f'{name:20} {len(a):5} {statistics.median(a):7.1f} {p95(a):7.1f}   '
            f'{len(b):5} {statistics.median(b):7.1f} {p95(b):7.1f}   {p95(b) / p95(a):8.2f}x'
        )
    every_free = free['GET /api/v1/shows'] + free['GET /']
    every_locked = locked['GET /api/v1/shows'] + locked['GET /']
    print(
        f'{"all reads":20} {len(every_free):5} {statistics.median(every_free):7.1f} {p95(every_free):7.1f}   '
        f'{len(every_locked):5} {statistics.median(every_locked):7.1f} {p95(every_locked):7.1f}   '
        f'{p95(every_locked) / p95(every_free):8.2f}x'
    )
    answered = ', '.join(f'{status}: {count}' for status, count in sorted(writes.items()))
    print(
        f'\nbookings tried while the lock was held: {sum(writes.values())} ({answered}); '
        f'p50 {statistics.median(write_ms):.0f} ms, max {max(write_ms):.0f} ms'
    )


if __name__ == '__main__':
    main()
