"""From a cancellation to the waiting list's offer email, and cancelling a performance with thousands of bookings.

    make bench-waitlist   # or: .venv/bin/python -m bench.waitlist [--offers N] [--bookings N] [--database-url URL]

Seeds a fresh SQLite database (or --database-url, an empty one), starts an aiosmtpd server in a process of its own
(it notes when each message arrives; `bench.booking_mail`) and the real app (main.py on a loopback port, its
scheduler on: it delivers the outbox and offers freed tickets) pointed at that server. Then:

1. Offers. --offers people (default 100) each book 1 ticket of a show of that many through the API, one at a time,
   each waiting for their confirmation email: the baseline, from the booking's 201 to its email (the same outbox
   without the waiting list). As many others join its waiting list through the API for 1 ticket each, in turn.
   The bookers then cancel through DELETE /api/v1/bookings/{id}, one at a time, each waiting for the offer it sets
   off: from the cancel's 200 to the arrival of the offer email of the first entry still waiting (known by the
   /waitlist/{entry id} link in it). Prints p50/p95/max of both and the ratios, and checks that the offers went
   to the entries in the order they joined, each exactly once, to the person who joined.
2. Cancelling a performance. A show with --bookings confirmed bookings (default 5,000, of 1 or 2 tickets) held by
   four fifths as many people (so a fifth of them hold two), written in bulk before the app starts, is called off
   by its manager through POST /api/v1/shows/{id}/cancel. Prints the request's seconds, the seconds from the
   request to the last holder's email, and emails per second; against, in the same run, the same messages (as
   received) sent again over one plain smtplib connection, and the bare database work (the show, bookings and
   tickets UPDATEs as one raw transaction, before the app starts, on a twin show seeded alike in the same
   database), with the ratios. Checks that every holder got exactly one email, naming all their bookings, and
   that no booking or ticket of the show is left valid.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import os
import re
import secrets
import smtplib
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from sqlalchemy import Engine, func, insert, select, update

from bench.booking_mail import Arrival, MailServer, references_in
from bench.exports import p95, start_app
from bench.seed import seed
from models import Booking, BookingStatus, Show, ShowStatus, Ticket, TicketStatus, User, WaitlistEntry, db
from models.db import session_scope, utcnow
from models.migrate import upgrade
from services import tickets as tickets_service
from services.config import get_settings

PASSWORD = 'bench-password'  # bench.seed's
WAIT_SECONDS = 60  # for one email, or for the last of a cancelled performance's after it has begun arriving
SETTLE_SECONDS = 3  # after the last expected email: one sent twice would arrive about now
OFFER_SHOW, CANCEL_SHOW, TWIN_SHOW = 1, 2, 3
REASON = 'The lead actor is unwell; we are sorry.'
OFFER_LINK = re.compile(r'/waitlist/(\d+)\b')


@dataclass(frozen=True)
class Person:
    username: str
    email: str


def text_of(raw: bytes) -> str:
    message = email.message_from_bytes(raw, _class=EmailMessage, policy=policy.default)
    body = message.get_body(preferencelist=('plain', 'html'))
    return '' if body is None else str(body.get_content())


def offered_entry(raw: bytes) -> int | None:
    """The waiting-list entry an offer email links to; None for any other email."""
    found = OFFER_LINK.search(text_of(raw))
    return int(found.group(1)) if found else None


def wait_for(server: MailServer, wanted: Callable[[Arrival], bool], aside: list[Arrival]) -> Arrival:
    """The next message that is `wanted`; the others that arrive before it are put `aside`."""
    while True:
        got = server.collect(1, WAIT_SECONDS)
        if not got:
            raise SystemExit(f'the expected email did not arrive within {WAIT_SECONDS} s')
        if wanted(got[0]):
            return got[0]
        aside.append(got[0])


def naming(reference: str) -> Callable[[Arrival], bool]:
    return lambda arrival: reference in references_in(arrival.raw)


def new_references(count: int, taken: set[str]) -> list[str]:
    """`count` booking references of the app's form (services.tickets), none of them `taken`, without a query
    each."""
    made: set[str] = set()
    while len(made) < count:
        reference = ''.join(
            secrets.choice(tickets_service.REFERENCE_ALPHABET) for _ in range(tickets_service.REFERENCE_LENGTH)
        )
        if reference not in taken:
            made.add(reference)
    return sorted(made)


def seed_cancel_show(engine: Engine, show_id: int, holders: list[int], count: int) -> dict[int, set[str]]:
    """A show with `count` confirmed bookings of 1 or 2 tickets, booking n held by holders[n % len(holders)],
    written in bulk (the bookings get their ids from the database, so the app's own inserts follow on PostgreSQL
    too). The references each holder has, by user id."""
    now = utcnow()
    price = 25000
    sizes = [1 + n % 2 for n in range(count)]
    with engine.begin() as conn:
        taken = set(conn.scalars(select(Booking.reference)).all())
        references = new_references(count, taken)
        conn.execute(
            insert(Show),
            [
                {
                    'id': show_id,
                    'theatre_id': 1,
                    'name': f'Full House {show_id}',
                    'rating': 4.0,
                    'price_cents': price,
                    'num_tickets': sum(sizes),
                    'tickets_sold': sum(sizes),
                    'tickets_offered': 0,
                    'starts_at': now + dt.timedelta(days=3),
                    'created_at': now,
                    'status': ShowStatus.SCHEDULED,
                }
            ],
        )
        conn.execute(
            insert(Booking),
            [
                {
                    'reference': references[n],
                    'user_id': holders[n % len(holders)],
                    'show_id': show_id,
                    'booked_tickets': sizes[n],
                    'price_cents': price,
                    'total_cents': price * sizes[n],
                    'status': BookingStatus.CONFIRMED,
                    'created_at': now,
                }
                for n in range(count)
            ],
        )
        rows = conn.execute(
            select(Booking.id, Booking.user_id, Booking.reference, Booking.booked_tickets).where(
                Booking.show_id == show_id
            )
        ).all()
        conn.execute(
            insert(Ticket),
            [
                {
                    'booking_id': booking_id,
                    'show_id': show_id,
                    'code': tickets_service.new_code(),
                    'price_cents': price,
                    'status': TicketStatus.VALID,
                }
                for booking_id, _user, _reference, size in rows
                for _ in range(size)
            ],
        )
    held: dict[int, set[str]] = {}
    for _id, user_id, reference, _size in rows:
        held.setdefault(user_id, set()).add(reference)
    return held


def raw_cancel(engine: Engine, show_id: int) -> float:
    """Seconds for the database work of calling a show off, bare: its row, its bookings (their holders read back,
    as the app reads them) and its tickets, one transaction."""
    now = utcnow()
    began = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            update(Show)
            .where(Show.id == show_id, Show.status == ShowStatus.SCHEDULED)
            .values(status=ShowStatus.CANCELLED, cancelled_at=now, cancel_reason=REASON, tickets_sold=0)
        )
        conn.execute(
            update(Booking)
            .where(Booking.show_id == show_id, Booking.status == BookingStatus.CONFIRMED)
            .values(status=BookingStatus.CANCELLED, cancelled_at=now)
            .returning(Booking.id, Booking.user_id, Booking.booked_tickets)
        ).all()
        conn.execute(
            update(Ticket)
            .where(Ticket.show_id == show_id, Ticket.status != TicketStatus.CANCELLED)
            .values(status=TicketStatus.CANCELLED)
        )
    return time.perf_counter() - began


def login(client: httpx.Client, person: Person) -> dict[str, str]:
    response = client.post('/api/v1/auth/login', json={'username': person.username, 'password': PASSWORD})
    assert response.status_code == 200, response.text
    return {'Authorization': f'Bearer {response.json()["access_token"]}'}


def bench_offers(
    client: httpx.Client, server: MailServer, bookers: list[Person], waiters: list[Person]
) -> tuple[list[float], list[float]]:
    """Seconds from each booking's 201 to its confirmation email, and from each cancellation's 200 to the offer
    email it sets off; checks the offers' order and that each went once."""
    booker_auth = [login(client, p) for p in bookers]
    waiter_auth = [login(client, p) for p in waiters]
    stray: list[Arrival] = []
    confirmed: list[float] = []
    booking_ids: list[int] = []
    for person, auth in zip(bookers, booker_auth, strict=True):
        response = client.post(f'/api/v1/shows/{OFFER_SHOW}/bookings', json={'tickets': 1}, headers=auth)
        answered = time.monotonic()
        assert response.status_code == 201, response.text
        reference = response.json()['reference']
        booking_ids.append(response.json()['id'])
        arrival = wait_for(server, naming(reference), stray)
        assert arrival.recipients == [person.email], f'{reference} was mailed to {arrival.recipients}'
        confirmed.append(arrival.at - answered)

    entries: list[int] = []
    for place, auth in enumerate(waiter_auth, start=1):
        response = client.post(f'/api/v1/shows/{OFFER_SHOW}/waitlist', json={'tickets': 1}, headers=auth)
        assert response.status_code == 201, response.text
        assert response.json()['position'] == place, response.json()
        entries.append(response.json()['id'])

    offered: list[float] = []
    cancellations: list[Arrival] = []
    for n, (booking_id, auth) in enumerate(zip(booking_ids, booker_auth, strict=True)):
        response = client.delete(f'/api/v1/bookings/{booking_id}', headers=auth)
        answered = time.monotonic()
        assert response.is_success, response.text
        arrival = wait_for(server, lambda a: offered_entry(a.raw) is not None, cancellations)
        entry = offered_entry(arrival.raw)
        assert entry == entries[n], f'cancellation {n + 1} offered entry {entry}, not {entries[n]} (next in line)'
        assert arrival.recipients == [waiters[n].email], f'entry {entry} was offered to {arrival.recipients}'
        offered.append(arrival.at - answered)
    cancellations += server.collect(len(bookers) - len(cancellations), WAIT_SECONDS)
    cancellations += server.collect(1, SETTLE_SECONDS)
    again = [e for a in cancellations if (e := offered_entry(a.raw)) is not None]
    assert not again, f'offered twice: entries {again}'
    mailed = Counter(r for a in cancellations for r in a.recipients)
    assert mailed == Counter(p.email for p in bookers), 'not one cancellation email per booker'
    assert not stray, f'{len(stray)} unexpected emails while booking'
    with session_scope() as session:
        rows = session.execute(
            select(WaitlistEntry.id, WaitlistEntry.status, WaitlistEntry.offers)
            .where(WaitlistEntry.show_id == OFFER_SHOW)
            .order_by(WaitlistEntry.id)
        ).all()
    assert [(i, s, o) for i, s, o in rows] == [(i, 'offered', 1) for i in entries], 'entries not offered once each'
    return confirmed, offered


def bench_cancel(
    client: httpx.Client, server: MailServer, manager: Person, held: dict[int, set[str]], addresses: dict[int, str]
) -> tuple[float, float, list[Arrival]]:
    """Seconds for the cancel request and from its start to the last holder's email; the emails, checked."""
    auth = login(client, manager)
    began = time.monotonic()
    response = client.post(f'/api/v1/shows/{CANCEL_SHOW}/cancel', json={'reason': REASON}, headers=auth)
    answered = time.monotonic()
    assert response.status_code == 200, response.text
    assert response.json()['status'] == 'cancelled', response.json()
    arrivals: list[Arrival] = []
    while len(arrivals) < len(held):  # on while any arrive within WAIT_SECONDS
        got = server.collect(len(held) - len(arrivals), WAIT_SECONDS)
        if not got:
            break
        arrivals += got
    last = max(a.at for a in arrivals) if arrivals else answered
    arrivals += server.collect(1, SETTLE_SECONDS)
    by_address = {address: user_id for user_id, address in addresses.items() if user_id in held}
    counts = Counter(r for a in arrivals for r in a.recipients)
    twice = [r for r, c in counts.items() if c > 1]
    assert not twice, f'{len(twice)} holders got more than one email, e.g. {twice[:3]}'
    missing = by_address.keys() - counts.keys()
    assert not missing, f'{len(missing)} of {len(held)} holders got no email, e.g. {sorted(missing)[:3]}'
    assert counts.keys() <= by_address.keys(), f'emails to others: {sorted(counts.keys() - by_address.keys())[:3]}'
    for arrival in arrivals:
        user_id = by_address[arrival.recipients[0]]
        named = references_in(arrival.raw)
        assert named == held[user_id], f'{arrival.recipients[0]} was told of {sorted(named)}'
    with session_scope() as session:
        confirmed = session.scalar(
            select(func.count(Booking.id)).where(
                Booking.show_id == CANCEL_SHOW, Booking.status == BookingStatus.CONFIRMED
            )
        )
        valid = session.scalar(
            select(func.count(Ticket.id)).where(Ticket.show_id == CANCEL_SHOW, Ticket.status != TicketStatus.CANCELLED)
        )
    assert confirmed == 0 and valid == 0, f'left: {confirmed} confirmed bookings, {valid} valid tickets'
    return answered - began, last - began, arrivals


def resend(server: MailServer, arrivals: list[Arrival]) -> float:
    """Seconds to send the same messages, as received, over one plain smtplib connection, until all arrived."""
    raws = [(a.sender, a.recipients, a.raw) for a in arrivals]
    began = time.monotonic()
    with smtplib.SMTP('127.0.0.1', server.port) as connection:
        for sender, recipients, raw in raws:
            connection.sendmail(sender, recipients, raw)
    again = server.collect(len(raws), WAIT_SECONDS)
    assert len(again) == len(raws), f'{len(again)} of {len(raws)} messages sent again arrived'
    return max(a.at for a in again) - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--offers', type=int, default=100)
    parser.add_argument('--bookings', type=int, default=5_000)
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    args = parser.parse_args()
    people = max(1, args.bookings * 4 // 5)

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

    began = time.perf_counter()
    seed(engine, shows=1, bookings=0, managers=1, users=2 * args.offers + people, theatres_per_manager=1)
    with engine.begin() as conn:
        conn.execute(update(User).values(wants_reports=False, wants_reminders=False))  # no other email in the sink
        conn.execute(
            update(Show)
            .where(Show.id == OFFER_SHOW)
            .values(num_tickets=args.offers, tickets_sold=0, starts_at=utcnow() + dt.timedelta(days=3))
        )
        users = conn.execute(select(User.id, User.username, User.email).order_by(User.id)).all()
    manager = Person(users[0].username, users[0].email)
    audience = [Person(u.username, u.email) for u in users[1:]]
    bookers, waiters = audience[: args.offers], audience[args.offers : 2 * args.offers]
    holder_ids = [u.id for u in users[1 + 2 * args.offers :]]
    held = seed_cancel_show(engine, CANCEL_SHOW, holder_ids, args.bookings)
    seed_cancel_show(engine, TWIN_SHOW, holder_ids, args.bookings)
    seeded = time.perf_counter() - began
    raw_seconds = raw_cancel(engine, TWIN_SHOW)
    addresses = {u.id: u.email for u in users}
    print(
        f'seeded on {engine.dialect.name} in {seeded:.1f} s: a show of {args.offers} tickets, {2 * args.offers} '
        f'people to book and wait for them, and twice a show with {args.bookings:,} bookings held by {len(held):,} '
        f'people'
    )

    process, base = start_app(url, workdir, TICKETSHOW_SCHEDULER='on')
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            confirmed, offered = bench_offers(client, server, bookers, waiters)
            cancel_seconds, last_seconds, arrivals = bench_cancel(client, server, manager, held, addresses)
    finally:
        process.terminate()
        process.wait(timeout=30)
    send_seconds = resend(server, arrivals)
    server.stop()
    engine.dispose()

    print(f'\n1. the waiting list: {args.offers} cancellations of 1 ticket, one at a time; seconds')
    print(f'{"":46} {"p50":>7} {"p95":>7} {"max":>7}')
    print(
        f'{"cancel 200 → offer email at the server":46} {statistics.median(offered):7.3f} {p95(offered):7.3f} '
        f'{max(offered):7.3f}'
    )
    print(
        f'{"baseline: booking 201 → confirmation email":46} {statistics.median(confirmed):7.3f} '
        f'{p95(confirmed):7.3f} {max(confirmed):7.3f}'
    )
    print(
        f'ratio offer/confirmation: p50 {statistics.median(offered) / statistics.median(confirmed):.2f}x, '
        f'p95 {p95(offered) / p95(confirmed):.2f}x'
    )
    print(f'correct: offer n went to the n-th entry to join, to its owner, each once ({args.offers} of them)')

    rate, ceiling = len(arrivals) / last_seconds, len(arrivals) / send_seconds
    print(f'\n2. cancelling a performance: {args.bookings:,} bookings held by {len(held):,} people')
    print(f'POST /api/v1/shows/{{id}}/cancel: {cancel_seconds:.2f} s')
    print(f'baseline: the bare UPDATEs (show, bookings, tickets), one raw transaction: {raw_seconds:.2f} s')
    print(f'ratio request/bare UPDATEs: {cancel_seconds / raw_seconds:.1f}x')
    print(f"from the request to the last holder's email: {last_seconds:.1f} s, {rate:.1f} emails/s")
    print(f'baseline: the same {len(arrivals):,} messages over one smtplib connection: {ceiling:.1f} emails/s')
    print(f'ratio emails/s app/baseline: {rate / ceiling:.3f}x')
    print(
        f"correct: each of the {len(held):,} holders got one email naming all their bookings; none of the show's "
        'bookings or tickets left valid'
    )


if __name__ == '__main__':
    main()
