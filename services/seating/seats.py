"""A reserved show's seats: their state for the picker, their prices, and the best block of free seats."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ClaimKind, Seat, SeatKind, SeatMap, SectionPrice, Show, ShowSeating
from models.db import get_by_id, utcnow
from services.errors import Conflict, Invalid, NotFound
from services.seating import claims
from services.seating.layout import Stage
from services.seating.maps import seat_rows

FREE, HELD, SOLD, BLOCKED = 'free', 'held', 'sold', 'blocked'
ADJACENT = 1.05  # seats further apart than this (in seat widths) have an aisle or a gap between them


@dataclass(frozen=True)
class SeatState:
    id: int
    label: str
    kind: SeatKind
    status: str  # free, held, sold or blocked
    x: float
    y: float
    mine: bool = False  # held by the person asking


@dataclass(frozen=True)
class RowState:
    label: str
    seats: tuple[SeatState, ...]


@dataclass(frozen=True)
class SectionState:
    name: str
    price_cents: int
    rows: tuple[RowState, ...]


@dataclass(frozen=True)
class ShowSeatsView:
    show_id: int
    version: int
    stage: Stage
    sections: tuple[SectionState, ...]

    def count(self, status: str) -> int:
        return sum(1 for s in self.sections for r in s.rows for seat in r.seats if seat.status == status)


def reserved_show(session: Session, show_id: object) -> Show:
    """The show, if it is sold by seat; NotFound otherwise (a general-admission show has no seats to show)."""
    show = get_by_id(session, Show, show_id)
    if show is None:
        raise NotFound('No such show.')
    if session.get(ShowSeating, show.id) is None:
        raise NotFound('This show has no reserved seats: it is general admission.')
    return show


def is_reserved(session: Session, show_id: int) -> bool:
    return session.get(ShowSeating, show_id) is not None


def prices(session: Session, show: Show) -> dict[str, int]:
    """The price of each named section; any other section costs the show's ticket price."""
    rows = session.execute(
        select(SectionPrice.section, SectionPrice.price_cents).where(SectionPrice.show_id == show.id)
    )
    return {section: int(price) for section, price in rows}


def version(session: Session, *, show_id: int) -> int:
    """What a picker polls: it changes whenever a seat of the show is held, sold, freed or kept back."""
    value = session.scalar(select(ShowSeating.version).where(ShowSeating.show_id == show_id))
    if value is None:
        raise NotFound('No such show.')
    return int(value)


def show_seats(
    session: Session, *, show_id: int, viewer_id: int | None = None, now: dt.datetime | None = None
) -> ShowSeatsView:
    """Every seat of a reserved show with its status, by section and row, each section with its price. Anyone
    may ask; `viewer_id`'s own held seats are marked `mine`."""
    now = now or utcnow()
    show = reserved_show(session, show_id)
    seating = session.get(ShowSeating, show.id)
    stage_row = session.get(SeatMap, show.theatre_id)
    assert seating is not None and stage_row is not None
    taken = claims.unavailable(session, show.id, now)
    offers = claims.offer_holds(session, show.id) if viewer_id is not None else set()
    section_prices = prices(session, show)
    sections: dict[str, dict[str, list[SeatState]]] = {}
    for seat in seat_rows(session, show.theatre_id):
        claim = taken.get(seat.id)
        if seat.kind == SeatKind.BLOCKED or (claim is not None and claim.kind == ClaimKind.BLOCKED):
            status = BLOCKED
        elif claim is None:
            status = FREE
        else:
            status = SOLD if claim.kind == ClaimKind.SOLD else HELD
        mine = (
            claim is not None
            and claim.kind == ClaimKind.HELD
            and viewer_id is not None
            and claim.user_id == viewer_id
            and claim.hold_id not in offers  # an offer's seats are the offer's, accepted on its own page
        )
        state = SeatState(seat.id, seat.label, seat.kind, status, seat.x, seat.y, mine)
        sections.setdefault(seat.section, {}).setdefault(seat.row, []).append(state)
    return ShowSeatsView(
        show_id=show.id,
        version=seating.version,
        stage=Stage(stage_row.stage_x, stage_row.stage_y, stage_row.stage_width),
        sections=tuple(
            SectionState(
                name,
                section_prices.get(name, show.price_cents),
                tuple(RowState(label, tuple(seats)) for label, seats in rows.items()),
            )
            for name, rows in sections.items()
        ),
    )


@dataclass(frozen=True)
class Chosen:
    """Seats of a show checked for sale, with their price each."""

    seat_ids: list[int]
    prices: dict[int, int]  # seat id → cents
    # The seats themselves, held while the booking is made: the session keeps an object only while something refers
    # to it, and the tickets' seats (their names) are then found in it instead of read again one query each.
    seats: tuple[Seat, ...] = field(default=(), compare=False, repr=False)


def check_choice(session: Session, show: Show, seat_ids: object, *, high: int = 10) -> Chosen:
    """`seat_ids` as a list of 1–`high` distinct seats on the show's map that are not blocked; `Invalid` else."""
    if (
        not isinstance(seat_ids, list)
        or not seat_ids
        or any(isinstance(i, bool) or not isinstance(i, int) for i in seat_ids)
    ):
        raise Invalid({'seats': f'Choose 1 to {high} seats.'})
    if len(seat_ids) > high:
        raise Invalid({'seats': f'At most {high} seats at a time.'})
    if len(set(seat_ids)) != len(seat_ids):
        raise Invalid({'seats': 'A seat is listed twice.'})
    seats = session.scalars(
        select(Seat)
        .where(Seat.id.in_(seat_ids), Seat.theatre_id == show.theatre_id, Seat.removed.is_(False))
        .order_by(Seat.section_no, Seat.row_no, Seat.seat_no)  # tickets are issued in the map's order
    ).all()
    found = {seat.id: seat for seat in seats}
    missing = [i for i in seat_ids if i not in found]
    if missing:
        raise Invalid({'seats': f'No such seat at this show: {", ".join(map(str, missing[:10]))}.'})
    blocked = [seat for seat in seats if seat.kind == SeatKind.BLOCKED]
    if blocked:
        names = ', '.join(s.name for s in blocked)
        raise Invalid({'seats': f'Not for sale: {names}.'})
    section_prices = prices(session, show)
    seat_prices = {seat.id: section_prices.get(seat.section, show.price_cents) for seat in seats}
    return Chosen([seat.id for seat in seats], seat_prices, tuple(seats))


def best_block(
    session: Session,
    show: Show,
    count: int,
    *,
    section: str | None = None,
    now: dt.datetime | None = None,
    holder_id: int | None = None,
) -> list[int] | None:
    """The ids of `count` free seats next to each other in one row (consecutive on the map, no aisle, gap or blocked
    seat between), the block whose middle is nearest the stage's centre; None when no row has such a block. Seats
    that `holder_id` holds count as free (they are theirs to choose again)."""
    now = now or utcnow()
    stage_row = session.get(SeatMap, show.theatre_id)
    if stage_row is None:
        return None
    offers = claims.offer_holds(session, show.id) if holder_id is not None else set()
    taken = {
        seat_id: claim
        for seat_id, claim in claims.unavailable(session, show.id, now).items()
        if not (
            holder_id is not None
            and claim.kind == ClaimKind.HELD
            and claim.user_id == holder_id
            and claim.hold_id not in offers
        )
    }
    best: tuple[float, list[int]] | None = None
    row_seats: list[Seat] = []

    def consider(seats: list[Seat]) -> None:
        nonlocal best
        run: list[Seat] = []
        for seat in seats:
            free = seat.kind != SeatKind.BLOCKED and seat.id not in taken
            if not free or (run and abs(seat.x - run[-1].x) > ADJACENT):
                run = []
            if free:
                run.append(seat)
            if len(run) >= count:
                block = run[-count:]
                middle_x = sum(s.x for s in block) / count
                middle_y = sum(s.y for s in block) / count
                distance = math.hypot(middle_x - stage_row.stage_x, middle_y - stage_row.stage_y)
                if best is None or distance < best[0] - 1e-9:
                    best = (distance, [s.id for s in block])

    for seat in seat_rows(session, show.theatre_id):
        if section is not None and seat.section != section:
            continue
        if row_seats and (row_seats[-1].section, row_seats[-1].row) != (seat.section, seat.row):
            consider(row_seats)
            row_seats = []
        row_seats.append(seat)
    if row_seats:
        consider(row_seats)
    return None if best is None else best[1]


def best_available(
    session: Session,
    *,
    show_id: int,
    count: object,
    section: str | None = None,
    holder_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """The ids of the best `count` free seats together (in `section`, or anywhere; `holder_id`'s own held seats
    count as free), for a picker to hold; Conflict when no row has them. A suggestion: holding them is what makes
    them the buyer's."""
    show = reserved_show(session, show_id)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10:
        raise Invalid({'count': 'Choose 1 to 10 seats.'})
    block = best_block(session, show, count, section=section or None, now=now, holder_id=holder_id)
    if block is None:
        where = f' in {section}' if section else ''
        raise Conflict(f'No row{where} has {count} free seats next to each other.', field='count')
    return block
