"""The monthly reports for 10,000 audience members and 100 managers, sent to a local SMTP server.

    make bench-mail        # or: .venv/bin/python -m bench.mail [--users N] [--managers N] [--database-url URL]

Seeds a fresh SQLite database (or --database-url, an empty one): 100 managers with a theatre each,
2,000 shows and 10 bookings per audience member over the last 60 days, so last month holds about
half of them. An aiosmtpd server in a process of its own counts what it receives. Prints the
reports run's wall time, emails per second and the process's peak memory (resident set), against a
baseline measured in the same run: the same number of ready-made messages of the same size pushed
through one plain smtplib connection (the transport's own ceiling here).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import smtplib
import tempfile
import threading
import time
from email.message import EmailMessage
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

from bench.exports import free_port
from bench.seed import seed
from models import Role, RunStatus, User, db
from models.db import session_scope, utcnow
from models.migrate import upgrade
from services.config import get_settings
from services.mail import content, months, render
from services.mail import jobs as mail_jobs
from services.mail.transport import compose


def serve(port: int, received: Synchronized, ready: threading.Event) -> None:  # type: ignore[type-arg]
    from aiosmtpd.controller import Controller

    class Counting:
        async def handle_DATA(self, server, session, envelope):
            with received.get_lock():
                received.value += 1
            return '250 OK'

    controller = Controller(Counting(), hostname='127.0.0.1', port=port, data_size_limit=0)
    controller.start()
    ready.set()
    threading.Event().wait()


class PeakRss:
    """The resident set's high-water mark while a block runs, sampled every 50 ms from /proc."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def now() -> int:
        for line in Path('/proc/self/status').read_text().splitlines():
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> PeakRss:
        self.start = self.peak = self.now()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--users', type=int, default=10_000)
    parser.add_argument('--managers', type=int, default=100)
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    port = free_port()
    os.environ.update(
        TICKETSHOW_VAR_DIR=str(workdir / 'var'),
        TICKETSHOW_SMTP_HOST='127.0.0.1',
        TICKETSHOW_SMTP_PORT=str(port),
        TICKETSHOW_SMTP_TLS='none',
        TICKETSHOW_MAIL_FROM='TicketShow <reports@ticketshow.invalid>',
    )
    get_settings.cache_clear()
    settings = get_settings()
    url = args.database_url or f'sqlite:///{workdir / "bench.sqlite3"}'
    upgrade(url)
    engine = db.configure(url)
    started = time.perf_counter()
    seed(
        engine,
        shows=2_000,
        bookings=args.users * 10,
        managers=args.managers,
        users=args.users,
        theatres_per_manager=1,
    )
    print(
        f'seeded {args.users:,} audience members and {args.managers} managers in {time.perf_counter() - started:.1f} s'
    )

    received = multiprocessing.get_context('spawn').Value('i', 0)
    ready = multiprocessing.get_context('spawn').Event()
    server = multiprocessing.get_context('spawn').Process(target=serve, args=(port, received, ready), daemon=True)
    server.start()
    ready.wait(30)

    month = months.previous_month(utcnow(), settings.tz)
    with PeakRss() as memory:
        started = time.perf_counter()
        result = mail_jobs.send_monthly_reports(month=month, trigger='bench', settings=settings)
        seconds = time.perf_counter() - started
    if result.status != RunStatus.DONE:
        raise SystemExit(f'the run failed: {result.error}')
    arrived = received.value

    sample = _typical_message(month)
    with smtplib.SMTP('127.0.0.1', port) as connection:
        started = time.perf_counter()
        for _ in range(result.sent):
            connection.send_message(sample)
        ceiling_seconds = time.perf_counter() - started
    server.kill()

    rate, ceiling = result.sent / seconds, result.sent / ceiling_seconds
    print(f'\nmonthly reports for {month}: {result.describe()}; the server received {arrived:,}')
    print(f'{"":34} {"seconds":>8} {"emails/s":>9}')
    print(f'{"reports run (query, render, send)":34} {seconds:8.1f} {rate:9.0f}')
    print(f'{"baseline: the same count, one conn.":34} {ceiling_seconds:8.1f} {ceiling:9.0f}')
    print(f'ratio run/baseline: {rate / ceiling:.2f}x')
    print(f'peak resident memory during the run: {memory.peak / 2**20:,.0f} MiB (from {memory.start / 2**20:,.0f} MiB)')
    engine.dispose()


def _typical_message(month: str) -> EmailMessage:
    """An audience report of the run, as the baseline's payload (so both push the same bytes)."""
    with session_scope() as session:
        person = session.query(User).filter(User.role == Role.USER).order_by(User.id).first()
        assert person is not None
        recipient = content.Recipient(person.id, person.username, person.name, person.email, person.role)
        found = content.audience_reports(session, [person.id], month, get_settings().tz)
    rendered = render.render_audience_report(
        recipient, found[person.id], month=month, base_url='http://127.0.0.1:8080', unsubscribe_url='http://x/u'
    )
    return compose(
        sender='reports@ticketshow.invalid',
        to=person.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
    )


if __name__ == '__main__':
    main()
