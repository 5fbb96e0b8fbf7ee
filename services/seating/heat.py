"""Which seats sell first: per seat of a theatre's map, how early it sold across the theatre's reserved shows.

Within one show the confirmed bookings that bought seats are put in the order they were made (`created_at`, then
the booking id): the first is rank 0, the last rank 1, the others evenly between (a show with a single such booking
ranks it 0). A seat's rank in a show is its booking's. Shows past and upcoming count, cancelled bookings do not, and
a reserved show nobody has bought a seat of yet says nothing about order, so it is not counted.

The ranking is one window query and the per-seat figures one `GROUP BY` over the theatre's tickets with a seat: no
ticket or booking is loaded into Python, only one row per seat on the map.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Float, Subquery, case, cast, exists, func, select
from sqlalchemy.orm import Session

from models import (
    Booking,
    BookingStatus,
    Role,
    Seat,
    SeatKind,
    SeatMap,
    Show,
    ShowSeating,
    Theatre,
    Ticket,
    TicketStatus,
)
from models.seat import seat_name
from services.access import managed_theatre
from services.auth import load_actor, require_role
from services.seating.layout import Stage


@dataclass(frozen=True)
class SeatHeatSeat:
    id: int
    name: str  # 'Stalls C7'
    section: str
    row: str
    kind: SeatKind
    x: float  # in seat widths, y growing away from the top of the map (as drawn)
    y: float
    mean_rank: float | None  # over the shows it sold in: 0 sold first, 1 sold last; None: never sold
    shows_sold: int
    shows_counted: int

    @property
    def score(self) -> float | None:
        """How late the seat sells over all the shows counted, a show it did not sell in counting as last (1):
        a seat that sold first once in ten shows is not a seat that sells first. None when no show is counted."""
        if not self.shows_counted:
            return None
        sold = (self.mean_rank or 0.0) * self.shows_sold
        return (sold + (self.shows_counted - self.shows_sold)) / self.shows_counted


@dataclass(frozen=True)
class SeatHeat:
    theatre_id: int
    theatre_name: str
    shows: int  # reserved shows counted: those with at least one seat sold in a confirmed booking
    seats: tuple[SeatHeatSeat, ...]  # the map's seats in the map's order; empty when there is nothing to show
    stage: Stage | None  # None: the theatre has no seat map

    @property
    def empty(self) -> bool:
        return not self.shows or not self.seats


def seat_heat(session: Session, *, actor_id: int, theatre_id: int) -> SeatHeat:
    """How early each seat of the theatre's map sells, for its manager or an admin (anyone else: `NotFound`)."""
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)
    stage_row = session.get(SeatMap, theatre.id)
    if stage_row is None:
        return SeatHeat(theatre.id, theatre.name, 0, (), None)
    stage = Stage(stage_row.stage_x, stage_row.stage_y, stage_row.stage_width)
    ranked = _ranked_bookings(theatre.id)
    shows = session.scalar(select(func.count(func.distinct(ranked.c.show_id)))) or 0
    if not shows:
        return SeatHeat(theatre.id, theatre.name, 0, (), stage)
    rank = case((ranked.c.last > 0, cast(ranked.c.position, Float) / ranked.c.last), else_=0.0)
    sold = {
        row.seat_id: (float(row.mean_rank), int(row.shows))
        for row in session.execute(
            select(
                Ticket.seat_id,
                func.avg(rank).label('mean_rank'),
                func.count(func.distinct(ranked.c.show_id)).label('shows'),
            )
            .join(ranked, ranked.c.booking_id == Ticket.booking_id)
            .where(Ticket.seat_id.is_not(None), Ticket.status != TicketStatus.CANCELLED)
            .group_by(Ticket.seat_id)
        )
    }
    seats = []
    for row in session.execute(
        select(Seat.id, Seat.section, Seat.row, Seat.label, Seat.kind, Seat.x, Seat.y)
        .where(Seat.theatre_id == theatre.id, Seat.removed.is_(False))
        .order_by(Seat.section_no, Seat.row_no, Seat.seat_no)
    ):
        mean_rank, shows_sold = sold.get(row.id, (None, 0))
        seats.append(
            SeatHeatSeat(
                row.id,
                seat_name(row.section, row.row, row.label),
                row.section,
                row.row,
                row.kind,
                row.x,
                row.y,
                mean_rank,
                shows_sold,
                shows,
            )
        )
    return SeatHeat(theatre.id, theatre.name, shows, tuple(seats), stage)


def _ranked_bookings(theatre_id: int) -> Subquery:
    """The confirmed bookings of the theatre's reserved shows that hold a seat, each with its place in its show's
    order of sale (`position`, from 0) and the last place (`last`)."""
    with_seat = exists().where(
        Ticket.booking_id == Booking.id, Ticket.seat_id.is_not(None), Ticket.status != TicketStatus.CANCELLED
    )
    reserved = select(Show.id).join(ShowSeating, ShowSeating.show_id == Show.id).where(Show.theatre_id == theatre_id)
    order = (Booking.created_at, Booking.id)
    return (
        select(
            Booking.id.label('booking_id'),
            Booking.show_id,
            (func.row_number().over(partition_by=Booking.show_id, order_by=order) - 1).label('position'),
            (func.count().over(partition_by=Booking.show_id) - 1).label('last'),
        )
        .where(Booking.show_id.in_(reserved), Booking.status == BookingStatus.CONFIRMED, with_seat)
        .subquery()
    )


def mapped_theatres(session: Session, *, actor_id: int, theatre_ids: list[int]) -> list[int]:
    """Those of `theatre_ids` that have a seat map and that the actor manages (an admin: any), in the given order."""
    actor = load_actor(session, actor_id)
    require_role(actor, Role.MANAGER, Role.ADMIN, action='see the summary')
    if not theatre_ids:
        return []
    query = select(SeatMap.theatre_id).where(SeatMap.theatre_id.in_(theatre_ids))
    if actor.role != Role.ADMIN:
        query = query.join(Theatre, Theatre.id == SeatMap.theatre_id).where(Theatre.owner_id == actor.id)
    found = set(session.scalars(query))
    return [theatre_id for theatre_id in theatre_ids if theatre_id in found]
