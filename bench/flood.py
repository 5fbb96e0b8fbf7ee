"""Pages and the public listing while logins and signups are hammered.

    make bench-flood       # or: .venv/bin/python -m bench.flood [--seconds S] [--clients N]

Seeds a fresh SQLite database with 1,000 upcoming shows, starts the real app (main.py as a subprocess on a
loopback port, bcrypt at its production cost of 12) and prints the home page's and GET /api/v1/shows' p50/p95:
- quiet (the baseline, measured in the same run);
- while N clients loop signups and N loop wrong-password logins, with the default throttles (most of the
  flood is refused before any bcrypt runs);
- the same flood with every throttle lifted, so every request hashes or checks a password: what the
  password pool of its own alone is worth;
with the ratio to the baseline and a count of every answer the flood got (no 5xx is expected).
"""

from __future__ import annotations

import argparse
import collections
import itertools
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.exports import p95, page_latencies, start_app
from bench.seed import seed
from models import db
from models.migrate import upgrade

SHOWS = 1_000
UNLIMITED = {
    'TICKETSHOW_SIGNUPS_PER_HOUR': '1000000',
    'TICKETSHOW_LOGIN_MAX_FAILURES': '1000000',
    'TICKETSHOW_LOGIN_ADDRESS_MAX_FAILURES': '1000000',
}


def listing_latencies(base: str, keep_going: threading.Event, minimum: int) -> list[float]:
    samples: list[float] = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for index in itertools.count():
            if len(samples) >= minimum and not keep_going.is_set():
                break
            started = time.perf_counter()
            response = client.get('/api/v1/shows', params={'q': f'Night {index}'})
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
    return samples


def flood(
    base: str, clients: int, stop: threading.Event, answers: collections.Counter[str], tag: str
) -> list[threading.Thread]:
    """`clients` threads signing up new accounts and as many guessing a password, until `stop`."""
    counter = itertools.count()
    lock = threading.Lock()

    def count(status: int) -> None:
        with lock:
            answers[str(status)] += 1

    def signups() -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while not stop.is_set():
                name = f'{tag}{next(counter)}'
                body = {'username': name, 'name': 'Flood', 'email': f'{name}@example.com', 'password': 'flood-pass-1'}
                count(client.post('/api/v1/auth/signup', json=body).status_code)

    def guesses() -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while not stop.is_set():
                body = {'username': 'victim', 'password': f'guess-{next(counter)}'}
                count(client.post('/api/v1/auth/login', json=body).status_code)

    threads = [threading.Thread(target=work) for work in (signups, guesses) for _ in range(clients)]
    for thread in threads:
        thread.start()
    return threads


def measure(
    base: str, *, clients: int, seconds: float, tag: str
) -> tuple[list[float], list[float], collections.Counter[str]]:
    answers: collections.Counter[str] = collections.Counter()
    stop, measuring = threading.Event(), threading.Event()
    threads = flood(base, clients, stop, answers, tag) if clients else []
    time.sleep(min(2.0, seconds / 4) if clients else 0)  # let the flood build up
    measuring.set()
    listing: list[float] = []
    reader = threading.Thread(target=lambda: listing.extend(listing_latencies(base, measuring, 30)))
    reader.start()
    deadline = time.monotonic() + seconds
    pages = page_latencies(base, 30, 0, keep_going=lambda: time.monotonic() < deadline)
    measuring.clear()
    reader.join()
    stop.set()
    for thread in threads:
        thread.join()
    return pages, listing, answers


def line(label: str, samples: list[float], base: list[float] | None) -> str:
    median, high = statistics.median(samples), p95(samples)
    ratio = f'  ({median / statistics.median(base):.2f}× / {high / p95(base):.2f}× the quiet figures)' if base else ''
    return f'  {label:<22} p50 {median:7.1f} ms   p95 {high:7.1f} ms   n={len(samples)}{ratio}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=10.0, help='measured per scenario')
    parser.add_argument('--clients', type=int, default=12, help='signup loops, and as many login loops')
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    url = f'sqlite:///{workdir / "bench.sqlite3"}'
    upgrade(url)
    seed(db.configure(url), shows=SHOWS, bookings=SHOWS, managers=5, users=50)
    db.engine().dispose()

    print(f'{SHOWS:,} shows; {args.clients} signup loops + {args.clients} login loops; {args.seconds:.0f} s each')
    quiet_pages: list[float] = []
    quiet_listing: list[float] = []
    for title, settings, clients in (
        ('quiet (baseline)', {}, 0),
        ('flood, default throttles', {}, args.clients),
        ('flood, throttles lifted', UNLIMITED, args.clients),
    ):
        process, base = start_app(url, workdir, TICKETSHOW_BCRYPT_ROUNDS='12', **settings)
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                client.post(
                    '/api/v1/auth/signup',
                    json={'username': 'victim', 'name': 'V', 'email': 'v@example.com', 'password': 'victim-pass-1'},
                )
            pages, listing, answers = measure(base, clients=clients, seconds=args.seconds, tag=f'f{len(title)}x')
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        print(title)
        print(line('home page GET /', pages, quiet_pages or None))
        print(line('GET /api/v1/shows', listing, quiet_listing or None))
        if answers:
            errors = sum(n for status, n in answers.items() if status.startswith('5'))
            print(f'  flood answers: {dict(sorted(answers.items()))}; 5xx: {errors}')
        if not clients:
            quiet_pages, quiet_listing = pages, listing


if __name__ == '__main__':
    main()
