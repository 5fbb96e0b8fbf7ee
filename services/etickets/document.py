"""What a ticket shows, read once from the booking: the page, the PDF, the .ics and the emails all draw this."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import Booking, BookingStatus, Role, Show, Ticket, TicketStatus
from models.db import MAX_ID
from models.seat import seat_name
from services.auth import load_actor
from services.errors import NotFound
from services.formats import theatre_tz
from services.words import noun

GENERAL_ADMISSION = 'General admission'


class Place(Protocol):
    """A seat's place: a ticket's `SeatPlace`, a booking view's `SeatRef`."""

    @property
    def section(self) -> str: ...
    @property
    def row(self) -> str: ...
    @property
    def label(self) -> str: ...


@dataclass(frozen=True)
class SeatPlace:
    section: str
    row: str
    label: str

    @property
    def name(self) -> str:
        """'Stalls C7' (or 'Stalls row 10, seat 5'): how a list of seats reads it."""
        return seat_name(self.section, self.row, self.label)


def seat_line(place: Place | None) -> str:
    """A ticket's seat line, for finding the seat in the hall: 'Stalls · Row C · Seat 7', or 'General admission'."""
    if place is None:
        return GENERAL_ADMISSION
    return f'{place.section} · Row {place.row} · Seat {place.label}'


def seat_list(places: Iterable[Place]) -> str:
    """Seats in a few words: 'Stalls C7, C8; Circle A1', or 'Stalls row 10, seats 5, 6; row 11, seat 1' where row
    and seat would run together; '' for none. Sections and rows come in the order given, a row's seats in number
    order."""
    sections: dict[str, dict[str, list[str]]] = {}
    for place in places:
        sections.setdefault(place.section, {}).setdefault(place.row, []).append(place.label)
    parts = []
    for section, rows in sections.items():
        for labels in rows.values():
            labels.sort(key=_natural)  # a row's seats in number order: 'A2, A10', whatever order they came in
        if all(row[-1:].isalpha() and all(label[:1].isdigit() for label in labels) for row, labels in rows.items()):
            seats = ', '.join(f'{row}{label}' for row, labels in rows.items() for label in labels)
        else:
            seats = '; '.join(
                f'row {row}, {noun(len(labels), "seat")} {", ".join(labels)}' for row, labels in rows.items()
            )
        parts.append(f'{section} {seats}')
    return '; '.join(parts)


def _natural(label: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that puts '2' before '10' (and 'A2' before 'A10')."""
    return tuple((0, int(part), '') if part.isdecimal() else (1, 0, part.casefold()) for part in _PARTS.findall(label))


_PARTS = re.compile(r'\d+|\D+')


@dataclass(frozen=True)
class TicketLine:
    id: int
    code: str
    place: SeatPlace | None  # None: general admission
    price_cents: int
    status: TicketStatus
    checked_in_at: dt.datetime | None

    @property
    def seat(self) -> str | None:
        """The seat's name, 'Stalls C7'; None for general admission."""
        return None if self.place is None else self.place.name

    @property
    def seat_line(self) -> str:
        """'Stalls · Row C · Seat 7', or 'General admission'."""
        return seat_line(self.place)


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
    theatre_timezone: str | None = None  # an IANA name; None: the app's
    duration_minutes: int | None = None  # the show's length, when its manager gave one
    address: str | None = None  # the theatre's street address, when given

    @property
    def tz(self) -> dt.tzinfo:
        """The theatre's time zone: every time on a ticket (start, check-in) reads in it."""
        return theatre_tz(self.theatre_timezone)

    @property
    def cancelled(self) -> bool:
        return self.status == BookingStatus.CANCELLED

    @property
    def seats(self) -> str | None:
        """The booking's seats, 'Stalls C7, C8'; None for general admission."""
        places = [t.place for t in self.tickets if t.place is not None]
        return seat_list(places) if places else None


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
        theatre_timezone=show.theatre.timezone,
        duration_minutes=show.duration_minutes,
        address=show.theatre.address,
        tickets=tuple(
            TicketLine(
                id=t.id,
                code=t.code,
                place=None if t.seat is None else SeatPlace(t.seat.section, t.seat.row, t.seat.label),
                price_cents=t.price_cents,
                status=t.status,
                checked_in_at=t.checked_in_at,
            )
            for t in sorted(booking.tickets, key=_map_order)
        ),
    )


def _map_order(ticket: Ticket) -> tuple[int, int, int, int]:
    """Tickets in the order of their seats on the map (section, row, seat), so that 'Ticket 1 of 3' is the first
    seat of the row; general-admission tickets in the order they were issued."""
    seat = ticket.seat
    if seat is None:
        return (0, 0, 0, ticket.id)
    return (seat.section_no, seat.row_no, seat.seat_no, ticket.id)


def load_booking(session: Session, booking_id: int) -> Booking | None:
    """A booking with its show, theatre, holder and tickets (each with its seat, joined) in two statements, or None."""
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
