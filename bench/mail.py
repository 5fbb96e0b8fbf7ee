"""The monthly reports for 10,000 audience members and 100 managers, sent to a local SMTP server.

    make bench-mail        # or: .venv/bin/python -m bench.mail [--users N] [--managers N] [--database-url URL]

Seeds a fresh SQLite database (or --database-url, an empty one): 100 managers with a theatre each,
2,000 shows and 10 bookings per audience member over the last 60 days, so last month holds about
half of them. An aiosmtpd server in a process of its own counts what it receives. Prints, as
`bench.report` figures, the reports run's emails per second against floors measured in the same
run — the same number of ready-made messages of an audience report's size pushed through one plain
smtplib connection, as `EmailMessage`s (`send_message`, the issue's floor) and as ready bytes
(`sendmail`, the wire alone) — and the peak memory (resident set) of the process and of the chart
pool's worker. `figures(users=..., managers=...)` is what `make bench` calls.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import smtplib
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

from sqlalchemy import select

from bench.report import Figure, table
from bench.seed import seed
from models import Role, RunStatus, User, db
from models.db import session_scope, utcnow
from models.migrate import upgrade
from services.config import get_settings
from services.mail import content, months, render
from services.mail import jobs as mail_jobs
from services.mail.transport import compose


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


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


ENV = (
    'TICKETSHOW_VAR_DIR',
    'TICKETSHOW_SMTP_HOST',
    'TICKETSHOW_SMTP_PORT',
    'TICKETSHOW_SMTP_TLS',
    'TICKETSHOW_MAIL_FROM',
)


def figures(*, users: int = 10_000, managers: int = 100, database_url: str | None = None) -> list[Figure]:
    """The monthly reports run against plain smtplib in the same run, on a fresh database (or `database_url`, an
    empty one); the settings the run needs are set for it and put back after."""
    saved = {name: os.environ.get(name) for name in ENV}
    try:
        return _measure(users=users, managers=managers, database_url=database_url)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def _measure(*, users: int, managers: int, database_url: str | None) -> list[Figure]:
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
    url = database_url or f'sqlite:///{workdir / "bench.sqlite3"}'
    upgrade(url)
    engine = db.configure(url)
    started = time.perf_counter()
    seed(engine, shows=2_000, bookings=users * 10, managers=managers, users=users, theatres_per_manager=1)
    print(f'seeded {users:,} audience members and {managers} managers in {time.perf_counter() - started:.1f} s')

    spawn = multiprocessing.get_context('spawn')
    received = spawn.Value('i', 0)
    ready = spawn.Event()
    server = spawn.Process(target=serve, args=(port, received, ready), daemon=True)
    server.start()
    try:
        ready.wait(30)
        month = months.previous_month(utcnow(), settings.tz)
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        with PeakRss() as memory:
            started = time.perf_counter()
            result = mail_jobs.send_monthly_reports(month=month, trigger='bench', settings=settings)
            seconds = time.perf_counter() - started
        # The chart pool's workers have ended (and been waited for) with the run: their high-water mark.
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if result.status != RunStatus.DONE:
            raise SystemExit(f'the run failed: {result.error}')
        print(f'monthly reports for {month}: {result.describe()}; the server received {received.value:,}')
        sample = _typical_message(month)
        floor_seconds = _plain_smtplib(port, result.sent, lambda connection: connection.send_message(sample))
        data = sample.as_bytes(policy=sample.policy.clone(linesep='\r\n'))
        bytes_seconds = _plain_smtplib(port, result.sent, lambda c: c.sendmail(sample['From'], [sample['To']], data))
    finally:
        server.kill()
        server.join()
        engine.dispose()
    rate = result.sent / seconds
    pool_rss = children_after * 1024 if children_after > children_before else 0
    return [
        Figure(
            f'monthly reports ({result.sent:,} emails), ratio',
            rate,
            'emails/s',
            floor=result.sent / floor_seconds,
            floor_name='smtplib send_message',
            goal=0.75,
            goal_is_ratio=True,
        ),
        Figure('monthly reports, rate', rate, 'emails/s', goal=500),
        Figure(
            'monthly reports vs ready bytes', rate, 'emails/s', floor=result.sent / bytes_seconds, floor_name='sendmail'
        ),
        Figure('monthly reports, peak RSS', memory.peak / 2**20, 'MiB', higher_is_better=False),
        Figure('chart pool worker, peak RSS', pool_rss / 2**20, 'MiB', higher_is_better=False),
    ]


def _plain_smtplib(port: int, count: int, send: Callable[[smtplib.SMTP], object]) -> float:
    """Seconds to push `count` messages through one plain smtplib connection: the transport's own ceiling here."""
    with smtplib.SMTP('127.0.0.1', port) as connection:
        started = time.perf_counter()
        for _ in range(count):
            send(connection)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--users', type=int, default=10_000)
    parser.add_argument('--managers', type=int, default=100)
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    args = parser.parse_args()
    measured = figures(users=args.users, managers=args.managers, database_url=args.database_url)
    print()
    print(table(measured, 'Monthly mail (this run; a busy machine makes the ratios, not the rates, the figures)'))


def _typical_message(month: str) -> EmailMessage:
    """An audience report of the run, as the baseline's payload (so both push the same bytes)."""
    with session_scope() as session:
        people = session.scalars(select(User).where(User.role == Role.USER).order_by(User.id).limit(100)).all()
        found = content.audience_reports(session, [p.id for p in people], month, get_settings().tz)
        person = next(p for p in people if p.id in found)  # the first with something to report
        recipient = content.Recipient(person.id, person.username, person.name, person.email, person.role)
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
