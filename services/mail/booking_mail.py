"""The booking emails: the confirmation with the e-tickets, and the cancellation.

A booking's transaction only queues a row (`queue_confirmation`, `queue_cancellation`: recipient, subject and the
booking; no rendering, so booking stays cheap); the outbox composes the email when it sends it, with the composers
this module registers, from the booking as it is then. The confirmation carries every ticket's QR code inline, the
tickets PDF and an .ics event; a confirmation still unsent when its booking is cancelled is not sent at all (the
cancellation says all there is to say).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from email.message import EmailMessage

from sqlalchemy.orm import Session

from models import Booking, OutboxKind, OutboxMessage
from models.db import utcnow
from services.config import Settings
from services.etickets import TicketDocument, ics, of_booking, pdf, qr
from services.etickets.document import load_booking
from services.formats import local, money, theatre_tz, when, zone_abbreviation
from services.mail import outbox
from services.mail.render import render_html
from services.mail.transport import Attachment, InlineImage, compose
from services.words import plural

QR_SCALE = 8  # pixels a module: a 264-pixel code shown 220 wide, sharp on a phone held up at the door


def short_when(moment: dt.datetime, zone: str | None, pattern: str = '%a %d %b %H:%M') -> str:
    """A subject's time, 'Sat 12 Dec 19:30 IST': in the theatre's time zone (`zone`, blank: the app's)."""
    tz = theatre_tz(zone)
    return f'{local(moment, tz).strftime(pattern)} {zone_abbreviation(moment, tz)}'


def _short_when(booking: Booking) -> str:
    return short_when(booking.show.starts_at, booking.show.theatre.timezone)


def confirmation_subject(booking: Booking) -> str:
    return f'Your tickets for {booking.show.name} — {_short_when(booking)} (ref {booking.reference})'


def cancellation_subject(booking: Booking) -> str:
    return f'Cancelled: {booking.show.name} — {_short_when(booking)} (ref {booking.reference})'


def queue_confirmation(session: Session, booking: Booking, *, now: dt.datetime | None = None) -> OutboxMessage | None:
    """In the booking's transaction: one outbox row; the email itself is composed when it is sent."""
    return outbox.enqueue_composed_later(
        session,
        kind=OutboxKind.BOOKING_CONFIRMED,
        user_id=booking.user_id,
        booking_id=booking.id,
        to_address=booking.user.email,
        subject=confirmation_subject(booking),
        send_before=booking.show.starts_at,  # tickets that arrive after the curtain are of no use
        now=now or utcnow(),
    )


def queue_cancellation(session: Session, booking: Booking, *, now: dt.datetime | None = None) -> OutboxMessage | None:
    """In the cancellation's transaction: one outbox row; the email itself is composed when it is sent."""
    return outbox.enqueue_composed_later(
        session,
        kind=OutboxKind.BOOKING_CANCELLED,
        user_id=booking.user_id,
        booking_id=booking.id,
        to_address=booking.user.email,
        subject=cancellation_subject(booking),
        now=now or utcnow(),
    )


# --- composed when sent ---------------------------------------------------------------------------------


def _document(session: Session, row: OutboxMessage) -> TicketDocument:
    booking = load_booking(session, row.booking_id) if row.booking_id is not None else None
    if booking is None:
        raise outbox.Uncomposable('its booking no longer exists')
    return of_booking(booking)


def compose_confirmation(session: Session, row: OutboxMessage, settings: Settings) -> Callable[[], EmailMessage]:
    """Read the booking now; the returned step renders the email (QR codes, PDF, .ics) outside the transaction."""
    document = _document(session, row)
    if document.cancelled:  # the cancellation email, queued after this one, is the one that counts
        raise outbox.NoLongerWanted('the booking was cancelled before its confirmation went out')
    to, subject = row.to_address, row.subject
    return lambda: confirmation(document, to=to, subject=subject, settings=settings)


def compose_cancellation(session: Session, row: OutboxMessage, settings: Settings) -> Callable[[], EmailMessage]:
    document = _document(session, row)
    to, subject = row.to_address, row.subject
    return lambda: cancellation(document, to=to, subject=subject, settings=settings)


def seats(document: TicketDocument) -> str:
    """'2 tickets, general admission', or the seats when the show has reserved seating: 'Stalls C7, C8'."""
    return document.seats or f'{tickets_text(len(document.tickets))}, general admission'


def tickets_text(count: int) -> str:
    return plural(count, 'ticket')


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def ticket_link(settings: Settings, booking_id: int) -> str:
    return f'{settings.base_url}/bookings/{booking_id}'


def pdf_name(document: TicketDocument) -> str:
    return f'tickets-{document.reference}.pdf'


def confirmation(document: TicketDocument, *, to: str, subject: str, settings: Settings) -> EmailMessage:
    """The confirmation: text and HTML with every ticket's QR code inline, the tickets PDF and an .ics attached."""
    link = ticket_link(settings, document.booking_id)
    bookings_url = f'{settings.base_url}/bookings'
    text = '\n'.join(
        [
            f'Hello {first_name(document.holder_name)}, your tickets are booked.',
            '',
            f'Reference: {document.reference}',
            f'Show:      {document.show_name}',
            f'When:      {when(document.starts_at, document.tz)}',
            f'Where:     {document.theatre_name}, {document.place}',
            f'Seats:     {seats(document)}',
            f'Total:     {money(document.total_cents)}',
            '',
            f'Your tickets, to show at the door on your phone or printed: {link}',
            f'Attached: the tickets as a PDF to print ({pdf_name(document)}) and the show as a calendar event.',
            '',
            f'Your bookings: {bookings_url}',
            '',
        ]
    )
    cids = {t.id: f'ticket-{t.id}@ticketshow' for t in document.tickets}
    html = render_html(
        'booking_confirmed.html',
        title=f'Your tickets for {document.show_name}',
        name=first_name(document.holder_name),
        doc=document,
        seats=seats(document),
        link=link,
        cids=cids,
        pdf_name=pdf_name(document),
        bookings_url=bookings_url,
    )
    return compose(
        sender=settings.sender,
        to=to,
        subject=subject,
        text=text,
        html=html,
        images=tuple(InlineImage(cids[t.id], qr.png(t.code, scale=QR_SCALE)) for t in document.tickets),
        attachments=(
            Attachment(pdf_name(document), pdf.render(document), 'application', 'pdf'),
            Attachment(f'show-{document.reference}.ics', ics.event(document), 'text', 'calendar'),
        ),
    )


def cancellation(document: TicketDocument, *, to: str, subject: str, settings: Settings) -> EmailMessage:
    """The cancellation: which booking, and that its tickets admit no one now; no attachments."""
    count = len(document.tickets)
    ending = 'its ticket no longer admits anyone' if count == 1 else f'the {tickets_text(count)} no longer admit anyone'
    freed = f'Your seats ({document.seats}) are back on sale.' if document.seats else ''
    bookings_url = f'{settings.base_url}/bookings'
    cancelled = (
        f'Your booking {document.reference} for {document.show_name} on {when(document.starts_at, document.tz)} at '
        f'{document.theatre_name}, {document.place} is cancelled; {ending}.'
    )
    text = '\n'.join(
        [
            f'Hello {first_name(document.holder_name)},',
            '',
            *([cancelled, freed] if freed else [cancelled]),
            '',
            'If you did not cancel it yourself, choose a new password: someone else may know yours.',
            '',
            f'Your bookings: {bookings_url}',
            '',
        ]
    )
    html = render_html(
        'booking_cancelled.html',
        title='Booking cancelled',
        name=first_name(document.holder_name),
        doc=document,
        ending=ending,
        freed=freed,
        bookings_url=bookings_url,
    )
    return compose(sender=settings.sender, to=to, subject=subject, text=text, html=html)


outbox.register_composer(OutboxKind.BOOKING_CONFIRMED, compose_confirmation)
outbox.register_composer(OutboxKind.BOOKING_CANCELLED, compose_cancellation)
