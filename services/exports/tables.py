"""The three queries behind the exports: a theatre with its shows, a show with its bookings, a person's bookings.

Each checks again that the job's owner may see what it is of, and returns a `Table`: one header
record (the theatre or the show) and its detail rows, streamed out of the database `CHUNK_ROWS` at a
time with money in units, not cents, and times in the app's time zone except a show's start, which is in its
theatre's (as every page shows it) with a `time_zone` column beside it: 'IST (Asia/Kolkata)', since Excel's
date-times hold no zone. Each column has a machine name (the CSV
header, which scripts and the API's readers rely on), a label for people (the Excel header) and a kind that says
how a spreadsheet shows it (money, a time, a count...). A show's bookings say how many of
their tickets were checked in at the door. A show says whether it is scheduled or cancelled; a cancelled one has
sold nothing (its bookings are cancelled) and has no tickets left.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from models import Booking, ExportKind, Seat, Show, ShowStatus, ShowTag, Theatre, Ticket, TicketStatus, User
from services.access import managed_show, managed_theatre
from services.etickets.document import SeatPlace, seat_list
from services.formats import zone_abbreviation
from services.summary import revenue_per_show

CHUNK_ROWS = 2000

Kind = Literal['id', 'count', 'money', 'time', 'rating', 'text']


@dataclass(frozen=True)
class Column:
    name: str  # the CSV header: stable, scripts read it
    label: str  # the Excel header, for people; a money column's gets the currency symbol: 'Revenue (₹)'
    kind: Kind = 'text'


@dataclass(frozen=True)
class Table:
    """An export: one header record (the theatre or show) and its detail rows, streamed in chunks."""

    header_sheet: str | None
    header: dict[Column, Any]
    detail_sheet: str
    columns: list[Column]
    count: int
    rows: Callable[[], Iterator[Sequence[Any]]]


SHOW_ID = Column('show_id', 'Show ID', 'id')
SHOW = Column('show', 'Show')
THEATRE = Column('theatre', 'Theatre')
PLACE = Column('place', 'Place')
STARTS_AT = Column('starts_at', 'Starts at', 'time')  # in the theatre's time zone
TIME_ZONE = Column('time_zone', 'Time zone')  # the start's: 'IST (Asia/Kolkata)'
SHOW_STATUS = Column('show_status', 'Status')  # scheduled or cancelled
TICKET_PRICE = Column('ticket_price', 'Ticket price', 'money')
TICKETS_OFFERED = Column('tickets_offered', 'Tickets offered', 'count')
TICKETS_SOLD = Column('tickets_sold', 'Tickets sold', 'count')
BOOKING_ID = Column('booking_id', 'Booking ID', 'id')
REFERENCE = Column('reference', 'Reference')
TICKETS = Column('tickets', 'Tickets', 'count')
SEATS = Column('seats', 'Seats')  # 'Stalls C7, C8'; '' for general admission
UNIT_PRICE = Column('unit_price', 'Price per ticket', 'money')  # empty when the booking's seats cost different prices
TOTAL = Column('total', 'Total', 'money')
BOOKED_AT = Column('booked_at', 'Booked at', 'time')
STATUS = Column('status', 'Status')


def _money(cents: Any) -> float | None:
    return None if cents is None else int(cents) / 100


def _local(moment: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(tz)


def _theatre_zone(name: str | None, app_tz: ZoneInfo) -> ZoneInfo:
    """A theatre's time zone; blank (or unknown on this machine): the app's. The worker is handed the app's zone
    rather than reading the settings."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return app_tz


def _zone_text(moment: dt.datetime | None, tz: ZoneInfo) -> str:
    """'IST (Asia/Kolkata)': the letters a reader knows, and the name that leaves no doubt ('IST' is also
    Ireland's and Israel's); 'UTC' once."""
    if moment is None:
        return ''
    letters = zone_abbreviation(moment, tz)
    return tz.key if letters == tz.key else f'{letters} ({tz.key})'


def _unit_price(price: Any, tickets: Any, total: Any) -> float | None:
    """A booking's price per ticket, or None when its seats cost different prices (its price is then the lowest
    one, and the total is more than the lowest times the count)."""
    if price is None or (tickets is not None and total is not None and int(price) * int(tickets) != int(total)):
        return None
    return _money(price)


def _status(status: Any) -> str:
    return ShowStatus(status).value


def _tickets_left(status: Any, offered: int, sold: int, set_aside: int) -> int:
    """What is still for sale: nothing of a cancelled performance, nor the tickets set aside for offers."""
    return 0 if ShowStatus(status) == ShowStatus.CANCELLED else offered - sold - set_aside


def _seats_of(session: Session, booking_ids: Sequence[int]) -> dict[int, str]:
    """The seats of these bookings, 'Stalls C7, C8', in map order; general admission bookings are left out."""
    places: dict[int, list[SeatPlace]] = {}
    for booking_id, section, row, label in session.execute(
        select(Ticket.booking_id, Seat.section, Seat.row, Seat.label)
        .join(Seat, Seat.id == Ticket.seat_id)
        .where(Ticket.booking_id.in_(booking_ids))
        .order_by(Ticket.booking_id, Seat.section_no, Seat.row_no, Seat.seat_no, Ticket.id)
    ):
        places.setdefault(booking_id, []).append(SeatPlace(section, row, label))
    return {booking_id: seat_list(found) for booking_id, found in places.items()}


def _with_seats(session: Session, rows: Iterator[Sequence[Any]]) -> Iterator[tuple[Sequence[Any], str]]:
    """Each booking row (its id first) with its seats ('' for general admission), read a chunk of rows at a time."""
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK_ROWS:
            yield from _chunk_with_seats(session, chunk)
            chunk = []
    yield from _chunk_with_seats(session, chunk)


def _chunk_with_seats(session: Session, chunk: list[Sequence[Any]]) -> Iterator[tuple[Sequence[Any], str]]:
    if not chunk:
        return
    seats = _seats_of(session, [row[0] for row in chunk])
    for row in chunk:
        yield row, seats.get(row[0], '')


def _theatre_table(session: Session, owner: User, target_id: int | None, tz: ZoneInfo) -> Table:
    theatre = managed_theatre(session, owner, target_id)
    shows_tz = _theatre_zone(theatre.timezone, tz)
    revenue = revenue_per_show().subquery()
    tags = _tags_by_show(session, select(Show.id).where(Show.theatre_id == theatre.id))
    query = (
        select(
            Show.id,
            Show.name,
            Show.starts_at,
            Show.status,
            Show.price_cents,
            Show.num_tickets,
            Show.tickets_sold,
            Show.tickets_offered,
            func.coalesce(revenue.c.revenue, 0),
            Show.rating,
        )
        .outerjoin(revenue, revenue.c.show_id == Show.id)
        .where(Show.theatre_id == theatre.id)
        .order_by(Show.starts_at, Show.id)
    )

    def rows() -> Iterator[Sequence[Any]]:
        for show_id, name, starts_at, status, price, offered, sold, set_aside, cents, rating in session.execute(
            query
        ).yield_per(CHUNK_ROWS):
            yield (
                show_id,
                name,
                _local(starts_at, shows_tz),
                _zone_text(starts_at, shows_tz),
                _status(status),
                _money(price),
                offered,
                sold,
                _tickets_left(status, offered, sold, set_aside),
                _money(cents),
                rating,
                ', '.join(tags.get(show_id, [])),
            )

    count = session.scalar(select(func.count(Show.id)).where(Show.theatre_id == theatre.id)) or 0
    return Table(
        header_sheet='Theatre',
        header={
            Column('theatre_id', 'Theatre ID', 'id'): theatre.id,
            THEATRE: theatre.name,
            PLACE: theatre.place,
            Column('capacity', 'Capacity', 'count'): theatre.capacity,
        },
        detail_sheet='Shows',
        columns=[
            SHOW_ID,
            SHOW,
            STARTS_AT,
            TIME_ZONE,
            SHOW_STATUS,
            TICKET_PRICE,
            TICKETS_OFFERED,
            TICKETS_SOLD,
            Column('tickets_left', 'Tickets left', 'count'),  # not counting those set aside for waiting-list offers
            Column('revenue', 'Revenue', 'money'),
            Column('rating', 'Rating', 'rating'),
            Column('tags', 'Tags'),
        ],
        count=count,
        rows=rows,
    )


def _tags_by_show(session: Session, show_ids: Select[Any]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    for show_id, tag in session.execute(
        select(ShowTag.show_id, ShowTag.tag).where(ShowTag.show_id.in_(show_ids)).order_by(ShowTag.tag)
    ):
        tags.setdefault(show_id, []).append(tag)
    return tags


def _show_table(session: Session, owner: User, target_id: int | None, tz: ZoneInfo) -> Table:
    show = managed_show(session, owner, target_id)
    show_tz = _theatre_zone(show.theatre.timezone, tz)
    door = (
        select(Ticket.booking_id, func.count(Ticket.id).label('checked_in'))
        .where(Ticket.show_id == show.id, Ticket.status == TicketStatus.CHECKED_IN)
        .group_by(Ticket.booking_id)
        .subquery()
    )
    query = (
        select(
            Booking.id,
            Booking.reference,
            User.name,
            User.username,
            Booking.booked_tickets,
            Booking.price_cents,
            Booking.total_cents,
            Booking.created_at,
            Booking.status,
            func.coalesce(door.c.checked_in, 0),
        )
        .join(User, User.id == Booking.user_id)
        .outerjoin(door, door.c.booking_id == Booking.id)
        .where(Booking.show_id == show.id)
        .order_by(Booking.created_at, Booking.id)
    )

    def rows() -> Iterator[Sequence[Any]]:
        for (
            booking_id,
            reference,
            name,
            username,
            tickets,
            price,
            total,
            created,
            status,
            checked_in,
        ), seats in _with_seats(session, session.execute(query).yield_per(CHUNK_ROWS)):
            yield (
                booking_id,
                reference,
                name,
                username,
                tickets,
                seats,
                _unit_price(price, tickets, total),
                _money(total),
                _local(created, tz),
                status,
                int(checked_in),
            )

    count = session.scalar(select(func.count(Booking.id)).where(Booking.show_id == show.id)) or 0
    return Table(
        header_sheet='Show',
        header={
            SHOW_ID: show.id,
            SHOW: show.name,
            THEATRE: show.theatre.name,
            PLACE: show.theatre.place,
            STARTS_AT: _local(show.starts_at, show_tz),
            TIME_ZONE: _zone_text(show.starts_at, show_tz),
            SHOW_STATUS: _status(show.status),
            TICKET_PRICE: _money(show.price_cents),
            TICKETS_OFFERED: show.num_tickets,
            TICKETS_SOLD: show.tickets_sold,
        },
        detail_sheet='Bookings',
        columns=[
            BOOKING_ID,
            REFERENCE,
            Column('customer_name', 'Customer'),
            Column('customer_username', 'Username'),
            TICKETS,
            SEATS,
            UNIT_PRICE,
            TOTAL,
            BOOKED_AT,
            STATUS,
            Column('checked_in', 'Checked in', 'count'),  # of the booking's tickets, how many were let in at the door
        ],
        count=count,
        rows=rows,
    )


def _bookings_table(session: Session, owner: User, _target_id: int | None, tz: ZoneInfo) -> Table:
    query = (
        select(
            Booking.id,
            Booking.reference,
            Show.name,
            Theatre.name,
            Theatre.place,
            Show.starts_at,
            Booking.booked_tickets,
            Booking.price_cents,
            Booking.total_cents,
            Booking.created_at,
            Booking.status,
            Theatre.timezone,
        )
        .join(Show, Show.id == Booking.show_id)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .where(Booking.user_id == owner.id)
        .order_by(Booking.created_at.desc(), Booking.id.desc())
    )

    def rows() -> Iterator[Sequence[Any]]:
        for (
            booking_id,
            reference,
            show,
            theatre,
            place,
            starts,
            tickets,
            price,
            total,
            created,
            status,
            zone,
        ), seats in _with_seats(session, session.execute(query).yield_per(CHUNK_ROWS)):
            show_tz = _theatre_zone(zone, tz)
            yield (
                booking_id,
                reference,
                show,
                theatre,
                place,
                _local(starts, show_tz),
                _zone_text(starts, show_tz),
                tickets,
                seats,
                _unit_price(price, tickets, total),
                _money(total),
                _local(created, tz),
                status,
            )

    count = session.scalar(select(func.count(Booking.id)).where(Booking.user_id == owner.id)) or 0
    return Table(
        header_sheet=None,
        header={},
        detail_sheet='Bookings',
        columns=[
            BOOKING_ID,
            REFERENCE,
            SHOW,
            THEATRE,
            PLACE,
            STARTS_AT,
            TIME_ZONE,
            TICKETS,
            SEATS,
            UNIT_PRICE,
            TOTAL,
            BOOKED_AT,
            STATUS,
        ],
        count=count,
        rows=rows,
    )


TABLES = {ExportKind.THEATRE: _theatre_table, ExportKind.SHOW: _show_table, ExportKind.BOOKINGS: _bookings_table}
