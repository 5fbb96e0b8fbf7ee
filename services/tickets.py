"""Tickets and booking references: one ticket row per seat, written in the booking's own transaction."""

from __future__ import annotations

import secrets

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from models import Booking, Ticket, TicketStatus

# Crockford's base 32: digits and letters a person reads out without confusion (no I, L, O, U).
REFERENCE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
REFERENCE_LENGTH = 10  # 50 bits: a collision among a million bookings has odds of about 1 in 2,000, and is retried


_TAKEN = select(Booking.id).where(Booking.reference == bindparam('reference'))  # built once: asked on every booking


def new_reference(session: Session) -> str:
    """A booking reference that no booking has yet."""
    while True:
        reference = ''.join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        if session.scalar(_TAKEN, {'reference': reference}) is None:
            return reference


def new_code() -> str:
    """What a ticket's QR code carries: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def issue(
    session: Session, booking: Booking, *, count: int, price_cents: int, seats: dict[int, int] | None = None
) -> list[Ticket]:
    """Valid tickets for a booking just made (flushed, so it has its id): `count` of them at `price_cents`, or
    one per seat of `seats` (seat id → its price) for a reserved show."""
    if seats:
        tickets = [
            Ticket(booking_id=booking.id, show_id=booking.show_id, code=new_code(), price_cents=price, seat_id=seat_id)
            for seat_id, price in seats.items()
        ]
    else:
        tickets = [
            Ticket(booking_id=booking.id, show_id=booking.show_id, code=new_code(), price_cents=price_cents)
            for _ in range(count)
        ]
    session.add_all(tickets)
    return tickets


def void(session: Session, *, booking_id: int) -> None:
    """Cancel every ticket of a booking that is being cancelled."""
    session.execute(
        update(Ticket)
        .where(Ticket.booking_id == booking_id, Ticket.status != TicketStatus.CANCELLED)
        .values(status=TicketStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
