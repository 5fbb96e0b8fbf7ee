"""Where a booking's server CPU goes: the app sampled by py-spy while 8 connections book through the API.

    make bench-profile   # or: .venv/bin/python -m bench.profile [--seconds S] [--top N] [--database-url URL]

Seeds a fresh SQLite database (or --database-url, an empty one) as bench/speed.py does, starts the real app
under `py-spy record` (100 samples a second of every thread on the CPU; a thread waiting is not sampled), books
1 ticket on random shows from 8 connections for --seconds, stops the profiler and prints: the functions that were
on the CPU themselves (self time, as a share of all samples), and the share of samples under each of a few named
stages of the booking path (inclusive: the web stack, the session lookup, the ORM, the database driver, Redis,
JSON). The raw collapsed stacks are kept beside the app's log for a flame graph.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from bench.exports import ROOT, start_app
from bench.speed import RACE_TICKETS, SEED, SHOWS, USERS, hammer, login_all, timed

# Inclusive stages: a sample counts for a stage when any frame of its stack matches (first match wins per stage).
STAGES = {
    'uvicorn + starlette + fastapi (the web stack)': ('uvicorn/', 'starlette/', 'fastapi/'),
    "NiceGUI's middleware (the pages')": ('nicegui/middlewares.py', 'nicegui/storage.py'),
    'session lookup (bearer token)': ('services/sessions.py',),
    'booking service (services/booking.py)': ('services/booking.py',),
    'SQLAlchemy ORM': ('sqlalchemy/orm/',),
    'SQLAlchemy core + engine': ('sqlalchemy/engine/', 'sqlalchemy/sql/'),
    'database driver (sqlite3 / psycopg)': ('sqlite3', 'psycopg'),
    'Redis (services/kv.py)': ('services/kv.py', 'redis/'),
    'pydantic (validation, JSON)': ('pydantic',),
    'thread hand-offs (concurrent.futures, asyncio)': ('concurrent/futures', 'asyncio/'),
}


# Leaf frames of threads that wait for work, which py-spy samples as running (the wait is in C, holding no GIL).
IDLE = ('_worker (concurrent/futures/thread.py:81)', 'Runner.run (asyncio/runners.py:118)', 'Condition.wait (')


def parse(raw: Path) -> tuple[collections.Counter[str], collections.Counter[str], int]:
    """(self samples per leaf function, samples per stage, all samples) of py-spy's raw (collapsed) output."""
    leaves: collections.Counter[str] = collections.Counter()
    stages: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(' ')
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(';')
        if frames and frames[0].startswith(('process ', 'thread ')):
            frames = [f for f in frames if not f.startswith(('process ', 'thread '))]
        if not frames or any('importlib._bootstrap' in frame for frame in frames) or frames[-1].startswith(IDLE):
            continue  # the app starting (imports), or a thread waiting that py-spy still counted as running
        total += count
        leaves[frames[-1]] += count
        for stage, marks in STAGES.items():
            if any(mark in frame for frame in frames for mark in marks):
                stages[stage] += count
    return leaves, stages, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=15.0)
    parser.add_argument('--top', type=int, default=15)
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    args = parser.parse_args()
    os.environ['TICKETSHOW_BCRYPT_ROUNDS'] = '4'
    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    url = args.database_url or f'sqlite:///{workdir / "bench.sqlite3"}'
    subprocess.run([sys.executable, '-c', SEED, url, str(SHOWS), str(USERS), str(RACE_TICKETS)], cwd=ROOT, check=True)
    raw = workdir / 'booking.collapsed'
    spy = (str(Path(sys.executable).parent / 'py-spy'), 'record', '--format', 'raw', '--rate', '100')
    spy += ('--output', str(raw), '--')
    process, base = start_app(url, workdir, wrapper=spy, TICKETSHOW_BCRYPT_ROUNDS='4')
    try:
        tokens = login_all(base)
        clients = [httpx.Client(base_url=base, timeout=60, headers={'Authorization': f'Bearer {t}'}) for t in tokens]

        def book(index: int, rng: random.Random) -> float:
            path = f'/api/v1/shows/{rng.randint(1, SHOWS)}/bookings'
            return timed(lambda: clients[index].post(path, json={'tickets': 1}), (201,))

        hammer(8, 2, book)  # warm
        rate, _ = hammer(8, args.seconds, book)
    finally:
        process.send_signal(signal.SIGINT)  # py-spy writes its file and stops the app
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
    leaves, stages, total = parse(raw)
    busy = total
    print(f'{rate:.0f} bookings/s at 8 connections under the profiler; {total:,} samples on the CPU')
    print(f'\nself time (top {args.top}), share of samples on the CPU')
    for leaf, count in leaves.most_common(args.top):
        print(f'{count / busy:6.1%}  {leaf}')
    print('\nstages (inclusive; a sample can count for several), share of samples on the CPU')
    for stage, count in stages.most_common():
        print(f'{count / busy:6.1%}  {stage}')
    print(f'\nraw stacks: {raw}')


if __name__ == '__main__':
    main()
