"""`make bench`: every speed figure in one run, each beside its floor measured in the same run, with its goal.

    make bench                          # or: .venv/bin/python -m bench.all [--quick] [--app-at REF] [--skip NAME ...]

Runs each part in a process of its own, one after the other (a quiet machine: nothing else should run meanwhile),
and prints each part's table as it finishes, then all the figures in one table:
- booking (bench/speed.py): API booking at 1, 8 and 32 connections against the bare FastAPI route, p95, the raw
  transaction, a 50-client race, and 4× overload;
- listing (bench/listing.py): listing and home page data at 100,000 shows, miss and hit, and hits while bookings
  go on, against the page's own SELECT;
- clients (bench/clients.py): server memory per connected browser, and the RSS a crawler's page views leave;
- mail (bench/mail.py): monthly reports per second against plain smtplib;
- check-in (bench/checkin.py: API check-ins against the admit-once UPDATE alone), the seat race
  (bench/seating.py --no-browser: seats sold through the API against booking.book called directly) and the home
  page's first show card in headless Chromium against its first paint (bench/first_paint.py), each printing its own
  detailed table first.
--quick shrinks every part (seconds instead of minutes; smaller data), for a first look, not for a closing note.
--app-at REF measures the booking part against the app of another commit (the "before" of a change).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from bench.exports import ROOT
from bench.report import Figure, table

PARTS = ('booking', 'listing', 'clients', 'mail', 'checkin', 'seating', 'first-paint')
OWN_TABLES = {
    'checkin': ['bench.checkin'],
    'seating': ['bench.seating', '--no-browser', '--seconds', '20'],
    'first-paint': ['bench.first_paint', '--before', ''],
}
QUICK_OWN = {'checkin': ['--tickets', '1200'], 'seating': ['--seconds', '5'], 'first-paint': ['--loads', '4']}


def measure(part: str, quick: bool, app_at: str | None) -> list[Figure]:
    """One part's figures, measured in this process."""
    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    if part == 'booking':
        from bench import speed

        return speed.figures(3.0 if quick else 10.0, None, app_at, workdir)
    if part == 'listing':
        from bench import listing

        return listing.figures(shows=10_000 if quick else 100_000, runs=15 if quick else 50)
    if part == 'clients':
        from bench import clients

        return clients.figures(clients=20 if quick else 50, crawl_seconds=30 if quick else 600, workdir=workdir)
    if part == 'mail':
        from bench import mail

        return mail.figures(users=2_000 if quick else 10_000)
    raise SystemExit(f'no such part: {part}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='small and short: a first look')
    parser.add_argument('--app-at', default=None, help='git ref of the app the booking part measures')
    parser.add_argument('--skip', nargs='*', default=[], choices=PARTS)
    parser.add_argument('--only', default=None, help=argparse.SUPPRESS)  # a part, measured in this process
    parser.add_argument('--json', default=None, help=argparse.SUPPRESS)  # where that part's figures go
    args = parser.parse_args()
    if args.only:
        figures = measure(args.only, args.quick, args.app_at)
        print(table(figures, args.only), flush=True)
        Path(args.json).write_text(json.dumps([asdict(f) for f in figures]))
        return

    collected: list[tuple[str, list[Figure]]] = []
    began = time.monotonic()
    for part in PARTS:
        if part in args.skip:
            continue
        print(f'\n=== {part} ===', flush=True)
        out = Path(tempfile.mkstemp(suffix='.json')[1])
        if part in OWN_TABLES:  # its own table first, then its figures with the others
            command = [sys.executable, '-m', *OWN_TABLES[part], '--json', str(out)]
            command += QUICK_OWN[part] if args.quick else []
        else:
            command = [sys.executable, '-m', 'bench.all', '--only', part, '--json', str(out)]
            command += ['--quick'] if args.quick else []
            command += ['--app-at', args.app_at] if args.app_at else []
        subprocess.run(command, cwd=ROOT, check=True)
        collected.append((part, [Figure(**row) for row in json.loads(out.read_text())]))
    print(f'\n=== every figure ({time.monotonic() - began:.0f} s) ===')
    for part, figures in collected:
        print(table(figures, part) + '\n')


if __name__ == '__main__':
    main()
