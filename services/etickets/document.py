"""What a ticket shows, read once from the booking: the page, the PDF, the .ics and the emails all draw this."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import Booking, BookingStatus, Role, Show, TicketStatus
from models.db import MAX_ID
from services.auth import load_actor
from services.errors import NotFound


@dataclass(frozen=True)
class TicketLine:
    id: int
    code: str
    seat: str | None  # None: general admission
    price_cents: int
    status: TicketStatus
    checked_in_at: dt.datetime | None


@dataclass(frozen=True)
class TicketDocument:
    booking_id: int
    reference: str
    status: BookingStatus
    show_id: int
    show_name: str
    starts_at: dt.datetime
    theatre_name: str
    place: str
    holder_name: str
    total_cents: int
    tickets: tuple[TicketLine, ...]

    @property
    def cancelled(self) -> bool:
        return self.status == BookingStatus.CANCELLED


def of_booking(booking: Booking) -> TicketDocument:
    """The document of a booking already loaded (no access check: for callers that decided that already)."""
    show = booking.show
    return TicketDocument(
        booking_id=booking.id,
        reference=booking.reference,
        status=booking.status,
        show_id=show.id,
        show_name=show.name,
        starts_at=show.starts_at,
        theatre_name=show.theatre.name,
        place=show.theatre.place,
        holder_name=booking.user.name,
        total_cents=booking.total_cents,
        tickets=tuple(
            TicketLine(
                id=t.id,
                code=t.code,
                seat=None if t.seat_id is None else str(t.seat_id),
                price_cents=t.price_cents,
                status=t.status,
                checked_in_at=t.checked_in_at,
            )
            for t in booking.tickets
        ),
    )


def load_booking(session: Session, booking_id: int) -> Booking | None:
    """A booking with its show, theatre, holder and tickets in two statements, or None."""
    return session.scalars(
        select(Booking)
        .where(Booking.id == booking_id)
        .options(
            joinedload(Booking.show).joinedload(Show.theatre),
            joinedload(Booking.user),
            selectinload(Booking.tickets),
        )
    ).one_or_none()


def ticket_document(session: Session, *, booking_id: int | None, actor_id: int) -> TicketDocument:
    """A booking's tickets for its owner or an admin; anyone else is told it does not exist."""
    actor = load_actor(session, actor_id)
    if isinstance(booking_id, bool) or not isinstance(booking_id, int) or not 1 <= booking_id <= MAX_ID:
        raise NotFound('No such booking.')
    booking = load_booking(session, booking_id)
    if booking is None or not (booking.user_id == actor.id or actor.role == Role.ADMIN):
        raise NotFound('No such booking.')  # as if it did not exist
    return of_booking(booking)
