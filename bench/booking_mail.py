"""From a booking's 201 to its confirmation email at the mail server, against the delivery alone.

    make bench-booking-mail   # or: .venv/bin/python -m bench.booking_mail [--bookings N] [--clients N]
                              #     [--database-url URL]

Seeds a fresh SQLite database (or --database-url, an empty one) with one show and a few audience members,
starts an aiosmtpd server in a process of its own (it notes when each message arrives) and the real app
(main.py as a subprocess on a loopback port, its scheduler on, so that it delivers its outbox and composes each
confirmation — a QR code per ticket, the tickets PDF, an .ics — when it sends it) pointed at that server.
--clients clients make --bookings bookings (default 200, of 1 to 3 tickets) through
POST /api/v1/shows/{id}/bookings as fast as they go, and each email is matched to its booking by the reference
in its subject or body. Prints:
- the bookings' rate and p50/p95 latency;
- for each booking, the time from its 201 to its email's arrival: p50, p95, max, how many arrived within the
  minute the issue promises; and emails per second from the first 201 to the last arrival;
- the baseline measured in the same run: the same composed messages (as the server received them) sent again
  over one plain smtplib connection, per message and per second; and the ratios: the cost of composing (and of
  the queue that a rush builds behind it) over delivering alone;
- composing alone, in this process with the app stopped, for a sample of the same bookings: per email, and the
  PDF's share of it.
Then checks that every booking got exactly one email, addressed to the person who booked.
"""

from __future__ import annotations

import argparse
import email
import os
import queue
import re
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.exports import free_port, p95, start_app
from bench.seed import seed
from models import OutboxKind, OutboxMessage, OutboxStatus, db
from models.db import session_scope
from models.migrate import upgrade
from services.config import get_settings
from services.etickets import of_booking, pdf
from services.etickets.document import load_booking
from services.mail import booking_mail

WAIT_SECONDS = 180  # for the last email; the issue promises one within a minute of its booking
PROMISE_SECONDS = 60
COMPOSE_SAMPLE = 10
REFERENCE = re.compile(r'\b[0-9A-HJKMNP-TV-Z]{10}\b')  # services.tickets: Crockford base 32, 10 characters
# Run by another interpreter, so that it starts in a moment and shares no lock with the benchmark: an SMTP server
# that keeps each message in a file and says when it came (time.monotonic(): one clock for every process here).
SINK = """
import sys, time
from pathlib import Path
from aiosmtpd.controller import Controller
port, folder = int(sys.argv[1]), Path(sys.argv[2])
received = 0
class Sink:
    async def handle_DATA(self, server, session, envelope):
        global received
        at = time.monotonic()
        received += 1
        name = f'{received:06d}.eml'
        (folder / name).write_bytes(envelope.original_content)
        print(at, name, envelope.mail_from, ','.join(envelope.rcpt_tos), flush=True)
        return '250 OK'
controller = Controller(Sink(), hostname='127.0.0.1', port=port, data_size_limit=0)
controller.start()
print('ready', flush=True)
sys.stdin.read()
controller.stop()
"""


@dataclass(frozen=True)
class Arrival:
    at: float  # time.monotonic() when the server had the whole message
    sender: str
    recipients: list[str]
    path: Path

    @property
    def raw(self) -> bytes:
        return self.path.read_bytes()


class MailServer:
    """The sink above on a free port, and what it has received so far, in order."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        self.port = free_port()
        self.arrivals: queue.Queue[Arrival] = queue.Queue()
        self._process = subprocess.Popen(
            [sys.executable, '-c', SINK, str(self.port), str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        if self._process.stdout.readline().strip() != 'ready':
            raise SystemExit('the SMTP server did not start')
        self._reader = threading.Thread(target=self._read, args=(folder,), daemon=True)
        self._reader.start()

    def _read(self, folder: Path) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            at, name, sender, recipients = line.split()
            self.arrivals.put(Arrival(float(at), sender, recipients.split(','), folder / name))

    def collect(self, count: int, timeout: float) -> list[Arrival]:
        """The next `count` messages to arrive, or as many as arrive within `timeout` seconds."""
        got: list[Arrival] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            try:
                got.append(self.arrivals.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        return got

    def stop(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)


def references_in(raw: bytes) -> set[str]:
    """The booking references a message names, in its subject or else in its text."""
    message = email.message_from_bytes(raw, _class=EmailMessage, policy=policy.default)
    found = set(REFERENCE.findall(str(message['Subject'] or '')))
    body = message.get_body(preferencelist=('plain', 'html'))
    if not found and body is not None:
        found = set(REFERENCE.findall(body.get_content()))
    return found


def compose_alone(count: int) -> tuple[list[float], list[float]]:
    """Milliseconds to compose `count` of the confirmations just sent, as the outbox does (read, then render), and
    to render their PDFs alone."""
    settings = get_settings()
    whole, pdfs = [], []
    with session_scope() as session:
        ids = session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.kind == OutboxKind.BOOKING_CONFIRMED, OutboxMessage.status == OutboxStatus.SENT)
            .order_by(OutboxMessage.id)
            .limit(count)
        ).all()
    for message_id in ids:
        began = time.perf_counter()
        with session_scope() as session:
            row = session.get(OutboxMessage, message_id)
            assert row is not None and row.booking_id is not None
            build = booking_mail.compose_confirmation(session, row, settings)
            booking = load_booking(session, row.booking_id)
            assert build is not None and booking is not None
        build()
        whole.append((time.perf_counter() - began) * 1000)
        document = of_booking(booking)
        began = time.perf_counter()
        pdf.render(document)
        pdfs.append((time.perf_counter() - began) * 1000)
    return whole, pdfs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--bookings', type=int, default=200)
    parser.add_argument('--clients', type=int, default=4)
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    server = MailServer(workdir / 'received')
    os.environ.update(
        TICKETSHOW_BCRYPT_ROUNDS='4',  # logins are not what is measured
        TICKETSHOW_SMTP_HOST='127.0.0.1',
        TICKETSHOW_SMTP_PORT=str(server.port),
        TICKETSHOW_SMTP_TLS='none',
        TICKETSHOW_MAIL_FROM='TicketShow <tickets@ticketshow.invalid>',
    )
    get_settings.cache_clear()
    url = args.database_url or f'sqlite:///{workdir / "bench.sqlite3"}'
    upgrade(url)
    engine = db.configure(url)
    seed(engine, shows=1, bookings=0, managers=1, users=args.clients, theatres_per_manager=1)
    show_id = 1
    print(f'seeded one show and {args.clients} audience members on {engine.dialect.name}')

    booked: dict[str, tuple[float, str]] = {}  # reference -> (time.monotonic() of its 201, the booker's address)
    booking_ms: list[float] = []
    process, base = start_app(url, workdir, TICKETSHOW_SCHEDULER='on')  # its elected scheduler delivers the outbox
    try:
        tokens = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for i in range(args.clients):
                login = client.post('/api/v1/auth/login', json={'username': f'user{i}', 'password': 'bench-password'})
                assert login.status_code == 200, login.text
                tokens.append(login.json()['access_token'])
        lock = threading.Lock()
        start = threading.Barrier(args.clients + 1)

        def book(index: int) -> None:
            headers = {'Authorization': f'Bearer {tokens[index]}'}
            with httpx.Client(base_url=base, timeout=60, headers=headers) as client:
                start.wait()
                for n in range(index, args.bookings, args.clients):
                    began = time.monotonic()
                    response = client.post(f'/api/v1/shows/{show_id}/bookings', json={'tickets': 1 + n % 3})
                    answered = time.monotonic()
                    assert response.status_code == 201, response.text
                    with lock:
                        booked[response.json()['reference']] = (answered, f'u{index}@example.com')
                        booking_ms.append((answered - began) * 1000)

        threads = [threading.Thread(target=book, args=(i,)) for i in range(args.clients)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.monotonic()
        for thread in threads:
            thread.join()
        booking_seconds = time.monotonic() - began
        assert len(booked) == args.bookings, f'{len(booked)} bookings made'
        emails = server.collect(args.bookings, WAIT_SECONDS)
        emails += server.collect(args.bookings, 2)  # an email sent twice would arrive about now
    finally:
        process.terminate()
        process.wait(timeout=30)

    latencies, seen = [], set()
    for arrival in emails:
        named = references_in(arrival.raw) & booked.keys()
        assert len(named) == 1, f'an email names {len(named)} of the bookings: {sorted(named)}'
        reference = named.pop()
        assert reference not in seen, f'booking {reference} got two emails'
        seen.add(reference)
        answered, address = booked[reference]
        assert arrival.recipients == [address], f'{reference} was mailed to {arrival.recipients}, not {address}'
        latencies.append(arrival.at - answered)
    missing = booked.keys() - seen
    assert not missing, f'{len(missing)} bookings got no email within {WAIT_SECONDS} s'
    span = max(a.at for a in emails) - min(answered for answered, _ in booked.values())

    with smtplib.SMTP('127.0.0.1', server.port) as connection:
        send_ms = []
        started = time.monotonic()
        for arrival in emails:
            raw = arrival.raw
            began = time.monotonic()
            connection.sendmail(arrival.sender, arrival.recipients, raw)
            send_ms.append((time.monotonic() - began) * 1000)
        baseline_seconds = time.monotonic() - started
    again = server.collect(len(emails), 30)
    assert len(again) == len(emails), f'{len(again)} of {len(emails)} messages sent again arrived'
    server.stop()
    compose_ms, pdf_ms = compose_alone(COMPOSE_SAMPLE)
    engine.dispose()

    size = statistics.mean(a.path.stat().st_size for a in emails) / 1024
    rate, ceiling = len(emails) / span, len(emails) / baseline_seconds
    in_time = sum(1 for seconds in latencies if seconds <= PROMISE_SECONDS)
    print(
        f'\n{args.bookings} bookings of 1 to 3 tickets by {args.clients} clients in {booking_seconds:.1f} s '
        f'({args.bookings / booking_seconds:.0f}/s), p50 {statistics.median(booking_ms):.0f} ms, '
        f'p95 {p95(booking_ms):.0f} ms'
    )
    print(f'{len(emails)} confirmation emails, {size:,.0f} KiB each on average; seconds')
    print(f'{"":44} {"p50":>7} {"p95":>7} {"max":>7} {"emails/s":>9}')
    print(
        f'{"booking 201 → its email at the server":44} {statistics.median(latencies):7.2f} '
        f'{p95(latencies):7.2f} {max(latencies):7.2f} {rate:9.1f}'
    )
    print(
        f'{"baseline: the same messages, one connection":44} {statistics.median(send_ms) / 1000:7.3f} '
        f'{p95(send_ms) / 1000:7.3f} {max(send_ms) / 1000:7.3f} {ceiling:9.1f}'
    )
    print(
        f'ratio booking mail/baseline: emails/s {rate / ceiling:.3f}x, p50 latency '
        f'{statistics.median(latencies) * 1000 / statistics.median(send_ms):,.0f}x'
    )
    print(f'within {PROMISE_SECONDS} s of the booking: {in_time} of {len(latencies)}')
    print(
        f'composing one alone ({len(compose_ms)} of them, this process, app stopped): p50 '
        f'{statistics.median(compose_ms):.0f} ms, of which the PDF {statistics.median(pdf_ms):.0f} ms; at most '
        f'{1000 / statistics.median(compose_ms):.1f} emails/s from one deliverer'
    )
    print(f'correct: each of the {len(seen)} bookings got one email, to the person who booked')


if __name__ == '__main__':
    main()
