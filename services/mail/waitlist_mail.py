"""The emails of waiting lists and cancelled performances.

An offer's email is composed in the offer's transaction (plain text and HTML, no attachments: a few
milliseconds) and goes through the outbox, so it is sent once, after the commit, and not after the offer ends.
A cancelled performance queues one row per person who held bookings of it (composed when sent, from the bookings
as they are then), so cancelling thousands of bookings stays one quick transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import Booking, BookingStatus, OutboxKind, OutboxMessage, Show, User, WaitlistEntry
from models.db import utcnow
from services.config import Settings, get_settings
from services.formats import theatre_tz, when
from services.mail import outbox
from services.mail.booking_mail import first_name, short_when, tickets_text
from services.mail.render import render_html
from services.mail.transport import compose
from services.words import noun, plural


def offer_link(settings: Settings, entry_id: int) -> str:
    return f'{settings.base_url}/waitlist/{entry_id}'


def _offer_words(tickets: int) -> dict[str, str]:
    """The offer's sentences agree with its number of tickets: 'it is set aside' or 'they are set aside'."""
    one = tickets == 1
    return {
        'set_aside': 'it is set aside' if one else 'they are set aside',
        'yours': 'It is yours' if one else 'They are yours',
        'go': 'it goes' if one else 'they go',
        'the_tickets_go': 'the ticket goes' if one else 'the tickets go',
    }


def queue_offer(
    session: Session, entry: WaitlistEntry, show: Show, *, now: dt.datetime | None = None
) -> OutboxMessage | None:
    """In the offer's transaction: the email with the link to accept, sent once after the commit, never after the
    offer ends."""
    from services.waitlist.entries import offered_seats  # the waiting list's module reads seats; it mails through us

    settings = get_settings()
    user = session.get(User, entry.user_id)
    assert user is not None and entry.offer_expires_at is not None
    seats_list = list(offered_seats(session, [entry]).get(entry.id, ()))
    seats = ', '.join(seats_list)
    tickets = tickets_text(entry.tickets)
    link = offer_link(settings, entry.id)
    theatre = show.theatre
    tz = theatre_tz(theatre.timezone)  # the offer's end too: the person reads one clock, the theatre's
    words = _offer_words(entry.tickets)
    text = '\n'.join(
        [
            f'Hello {first_name(user.name)},',
            '',
            f'{tickets} for {show.name} on {when(show.starts_at, tz)} at {theatre.name}, {theatre.place} came free, '
            f'and {words["set_aside"]} for you' + (f' ({noun(len(seats_list), "seat")} {seats}).' if seats else '.'),
            f'{words["yours"]} if you accept by {when(entry.offer_expires_at, tz)}; after that {words["go"]} to the '
            'next person in line.',
            '',
            f'See the offer and accept: {link}',
            '',
            f'Not going after all? Decline on the same page, and {words["the_tickets_go"]} to the next person at once.',
            '',
        ]
    )
    html = render_html(
        'waitlist_offer.html',
        title='Tickets set aside for you',
        name=first_name(user.name),
        tickets=tickets,
        show_name=show.name,
        starts_at=show.starts_at,
        theatre_name=theatre.name,
        theatre_timezone=theatre.timezone,
        place=theatre.place,
        seats=seats,
        seats_word=noun(len(seats_list), 'seat'),
        words=words,
        expires_at=entry.offer_expires_at,
        link=link,
    )
    until = short_when(entry.offer_expires_at, theatre.timezone, '%a %H:%M')
    subject = f'Tickets for {show.name} are yours until {until}'
    message = compose(sender=settings.sender, to=user.email, subject=subject, text=text, html=html)
    return outbox.enqueue(
        session,
        kind=OutboxKind.WAITLIST_OFFER,
        message=message,
        user_id=user.id,
        send_before=entry.offer_expires_at,
        now=now,
    )


def queue_show_cancelled(
    session: Session, show: Show, holders: dict[int, int], *, now: dt.datetime | None = None
) -> int:
    """In the cancellation's transaction: one row per person (`holders`: user id → one of their bookings), composed
    when sent and listing all their bookings of the show. The number queued."""
    now = now or utcnow()
    emails = {
        row.id: row.email for row in session.execute(select(User.id, User.email).where(User.id.in_(list(holders))))
    }
    subject = f'Cancelled: {show.name} — {short_when(show.starts_at, show.theatre.timezone)}'
    return outbox.enqueue_many_composed_later(
        session,
        kind=OutboxKind.SHOW_CANCELLED,
        rows=[(user_id, booking_id, emails[user_id]) for user_id, booking_id in sorted(holders.items())],
        subject=subject,
        now=now,
    )


@dataclass(frozen=True)
class _Line:
    reference: str
    what: str
    total: int


def compose_show_cancelled(session: Session, row: OutboxMessage, settings: Settings) -> Callable[[], EmailMessage]:
    """Read the show and the person's cancelled bookings of it now; the returned step renders the email."""
    booking = (
        session.scalars(
            select(Booking)
            .where(Booking.id == row.booking_id)
            .options(joinedload(Booking.show).joinedload(Show.theatre), joinedload(Booking.user))
        ).first()
        if row.booking_id is not None
        else None
    )
    if booking is None:
        raise outbox.Uncomposable('its booking no longer exists')
    show, user = booking.show, booking.user
    bookings = session.scalars(  # all of them in one query, with their tickets (and seats, joined) in a second
        select(Booking)
        .where(Booking.show_id == show.id, Booking.user_id == user.id, Booking.status == BookingStatus.CANCELLED)
        .where(Booking.cancelled_at == show.cancelled_at)
        .options(selectinload(Booking.tickets))
        .order_by(Booking.id)
    ).all()
    lines = [_Line(b.reference, _what(b), b.total_cents) for b in bookings]
    facts = {
        'name': first_name(user.name),
        'show_name': show.name,
        'starts_at': show.starts_at,
        'theatre_name': show.theatre.name,
        'theatre_timezone': show.theatre.timezone,
        'place': show.theatre.place,
        'reason': show.cancel_reason or '',
    }
    to, subject = row.to_address, row.subject
    return lambda: show_cancelled(facts, lines, to=to, subject=subject, settings=settings)


def _what(booking: Booking) -> str:
    seats = [t.seat for t in booking.tickets if t.seat is not None]
    if seats:
        return ', '.join(s.name for s in seats)
    return tickets_text(booking.booked_tickets)


def show_cancelled(
    facts: dict[str, object], lines: list[_Line], *, to: str, subject: str, settings: Settings
) -> EmailMessage:
    bookings_url = f'{settings.base_url}/bookings'
    lead = 'Your booking is cancelled:' if len(lines) == 1 else f'Your {plural(len(lines), "booking")} are cancelled:'
    starts_at, zone = facts['starts_at'], facts['theatre_timezone']
    assert isinstance(starts_at, dt.datetime) and (zone is None or isinstance(zone, str))
    starts = when(starts_at, theatre_tz(zone))
    text = '\n'.join(
        [
            f'Hello {facts["name"]},',
            '',
            f'We are sorry: the performance of {facts["show_name"]} on {starts} at {facts["theatre_name"]}, '
            f'{facts["place"]} has been cancelled.',
            '',
            "The theatre's reason:",
            f'  {facts["reason"]}',
            '',
            lead,
            *[f'  {line.reference}  {line.what}' for line in lines],
            '',
            'The tickets no longer admit anyone. For a refund, contact the theatre.',
            '',
            f'Your bookings: {bookings_url}',
            '',
        ]
    )
    html = render_html(
        'show_cancelled.html',
        title='Performance cancelled',
        lead=lead,
        bookings=lines,
        bookings_url=bookings_url,
        **facts,
    )
    return compose(sender=settings.sender, to=to, subject=subject, text=text, html=html)


outbox.register_composer(OutboxKind.SHOW_CANCELLED, compose_show_cancelled)
