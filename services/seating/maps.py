"""A theatre's seat map: drawn (replaced whole) by its manager, read back in the API's shape.

Seats keep their ids across saves, matched by (section, row, label), so holds, sold seats and tickets keep
pointing at the right seat; a seat taken off the map is marked removed, not deleted. A seat that a live booking
or hold of a future show uses cannot be removed or blocked: the save is refused and names the seats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from models import AuditAction, ClaimKind, Seat, SeatClaim, SeatKind, SeatMap, Show, ShowSeating, Theatre
from models.db import utcnow
from models.seat import seat_name
from services import audit
from services.access import managed_theatre
from services.auth import load_actor
from services.cache import invalidate_after_commit
from services.errors import Conflict, NotFound
from services.seating import layout
from services.seating.layout import Layout, Stage


@dataclass(frozen=True)
class MapSeat:
    id: int
    label: str
    kind: SeatKind
    x: float
    y: float


@dataclass(frozen=True)
class MapRow:
    label: str
    seats: tuple[MapSeat, ...]


@dataclass(frozen=True)
class MapSection:
    name: str
    rows: tuple[MapRow, ...]


@dataclass(frozen=True)
class SeatMapView:
    theatre_id: int
    sections: tuple[MapSection, ...]
    stage: Stage
    seats: int  # seats that are not blocked

    def as_body(self) -> dict[str, Any]:
        """The map in the API's shape, which `put_seatmap` takes back unchanged (the editor's export)."""
        return {
            'sections': [
                {
                    'name': section.name,
                    'rows': [
                        {
                            'label': row.label,
                            'seats': [
                                {'id': s.id, 'label': s.label, 'kind': s.kind.value, 'x': s.x, 'y': s.y}
                                for s in row.seats
                            ],
                        }
                        for row in section.rows
                    ],
                }
                for section in self.sections
            ],
            'stage': {'x': self.stage.x, 'y': self.stage.y, 'width': self.stage.width},
            'seats': self.seats,
        }


def seat_rows(session: Session, theatre_id: int) -> list[Seat]:
    """The theatre's seats on the map, in the map's order."""
    return list(
        session.scalars(
            select(Seat)
            .where(Seat.theatre_id == theatre_id, Seat.removed.is_(False))
            .order_by(Seat.section_no, Seat.row_no, Seat.seat_no)
        )
    )


def load_map(session: Session, theatre_id: int) -> SeatMapView | None:
    """The theatre's map, or None when it has none (no access check: callers check)."""
    stage_row = session.get(SeatMap, theatre_id)
    if stage_row is None:
        return None
    sections: list[MapSection] = []
    rows: dict[tuple[str, str], list[MapSeat]] = {}
    order: list[tuple[str, str]] = []
    for seat in seat_rows(session, theatre_id):
        key = (seat.section, seat.row)
        if key not in rows:
            rows[key] = []
            order.append(key)
        rows[key].append(MapSeat(seat.id, seat.label, seat.kind, seat.x, seat.y))
    by_section: dict[str, list[MapRow]] = {}
    for section, row in order:
        by_section.setdefault(section, []).append(MapRow(row, tuple(rows[(section, row)])))
    sections = [MapSection(name, tuple(section_rows)) for name, section_rows in by_section.items()]
    on_sale = sum(1 for seats in rows.values() for seat in seats if seat.kind != SeatKind.BLOCKED)
    stage = Stage(stage_row.stage_x, stage_row.stage_y, stage_row.stage_width)
    return SeatMapView(theatre_id, tuple(sections), stage, on_sale)


def get_seatmap(session: Session, *, actor_id: int, theatre_id: int) -> SeatMapView:
    """The map of a theatre the actor manages."""
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)
    view = load_map(session, theatre.id)
    if view is None:
        raise NotFound('This theatre has no seat map yet.')
    return view


def put_seatmap(
    session: Session, *, actor_id: int, theatre_id: int, body: object, now: dt.datetime | None = None
) -> SeatMapView:
    """Replace the theatre's map with `body` (the API's shape). The theatre's capacity becomes its seats that are
    not blocked, and so does each reserved future show's number of tickets (less its house seats)."""
    now = now or utcnow()
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)
    plan = layout.parse(body)
    _lock_future_shows(session, theatre.id, now)
    existing = {
        (s.section, s.row, s.label): s for s in session.scalars(select(Seat).where(Seat.theatre_id == theatre.id))
    }
    wanted = {spec.place: spec for spec in plan.seats}
    leaving = [s.id for place, s in existing.items() if not s.removed and place not in wanted]
    blocking = [
        s.id
        for place, s in existing.items()
        if not s.removed and place in wanted and wanted[place].kind == SeatKind.BLOCKED and s.kind != SeatKind.BLOCKED
    ]
    _refuse_if_in_use(session, theatre, leaving + blocking, now)
    _check_general_shows(session, theatre, plan.on_sale, now)
    before = sum(1 for s in existing.values() if not s.removed and s.kind != SeatKind.BLOCKED)
    _write_seats(session, theatre.id, plan, existing, leaving)
    _write_stage(session, theatre.id, plan.stage, actor_id, now)
    if leaving or blocking:  # house seats of future shows on seats that are gone or blocked for good
        session.execute(
            delete(SeatClaim)
            .where(SeatClaim.seat_id.in_(leaving + blocking), SeatClaim.kind == ClaimKind.BLOCKED)
            .execution_options(synchronize_session=False)
        )
    theatre.capacity = plan.on_sale
    _resize_reserved_shows(session, theatre.id, plan.on_sale, now)
    audit.record(
        session,
        actor_id=actor_id,
        action=AuditAction.SEATMAP_CHANGED,
        target=theatre,
        changes={'seats': [before, plan.on_sale], 'removed': len(leaving)},
        at=now,
    )
    session.flush()
    invalidate_after_commit(session, 'listing', 'theatres', f'theatre:{theatre.id!r}')
    view = load_map(session, theatre.id)
    assert view is not None
    return view


def _lock_future_shows(session: Session, theatre_id: int, now: dt.datetime) -> None:
    """Queue behind (and then hold off) every change to the seats of the theatre's shows yet to start, so none sells
    a seat this save removes (each claim checks its seats against the map again once it has the lock)."""
    shows = select(Show.id).where(Show.theatre_id == theatre_id, Show.starts_at > now)
    session.execute(
        select(ShowSeating.version)
        .where(ShowSeating.show_id.in_(shows))
        .order_by(ShowSeating.show_id)
        .with_for_update()
    )


def _refuse_if_in_use(session: Session, theatre: Theatre, seat_ids: list[int], now: dt.datetime) -> None:
    """Conflict naming the seats (up to ten) that a booking or a live hold of a future show has."""
    if not seat_ids:
        return
    live = or_(SeatClaim.kind == ClaimKind.SOLD, and_(SeatClaim.kind == ClaimKind.HELD, SeatClaim.expires_at > now))
    in_use = session.execute(
        select(Seat.section, Seat.row, Seat.label, Show.name, SeatClaim.kind)
        .join(SeatClaim, SeatClaim.seat_id == Seat.id)
        .join(Show, Show.id == SeatClaim.show_id)
        .where(Seat.id.in_(seat_ids), Show.starts_at > now, live)
        .order_by(Seat.section_no, Seat.row_no, Seat.seat_no)
        .limit(11)
    ).all()
    if in_use:
        named = ', '.join(
            f'{seat_name(section, row, label)} ({"booked" if kind == ClaimKind.SOLD else "held"} for {show})'
            for section, row, label, show, kind in in_use[:10]
        )
        more = ' and more' if len(in_use) > 10 else ''
        raise Conflict(f'These seats are in use and cannot be removed or blocked: {named}{more}.', field='seatmap')


def _check_general_shows(session: Session, theatre: Theatre, on_sale: int, now: dt.datetime) -> None:
    reserved = select(ShowSeating.show_id)
    largest = session.scalar(
        select(func.max(Show.num_tickets)).where(
            Show.theatre_id == theatre.id, Show.starts_at > now, Show.id.not_in(reserved)
        )
    )
    if largest is not None and largest > on_sale:
        raise Conflict(
            f'This map has {on_sale:,} seats for sale, but an upcoming general-admission show of this theatre '
            f'offers {largest:,} tickets.',
            field='seatmap',
        )


def _write_seats(
    session: Session, theatre_id: int, plan: Layout, existing: dict[tuple[str, str, str], Seat], leaving: list[int]
) -> None:
    """Update kept seats, insert new ones, mark the rest removed: a few bulk statements, whatever the map's size."""
    changes: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    for spec in plan.seats:
        values = {
            'kind': spec.kind,
            'x': spec.x,
            'y': spec.y,
            'section_no': spec.section_no,
            'row_no': spec.row_no,
            'seat_no': spec.seat_no,
            'removed': False,
        }
        seat = existing.get(spec.place)
        if seat is None:
            new.append(
                {'theatre_id': theatre_id, 'section': spec.section, 'row': spec.row, 'label': spec.label, **values}
            )
        elif any(getattr(seat, name) != value for name, value in values.items()):
            changes.append({'id': seat.id, **values})
    session.expire_all()  # the bulk statements below bypass the identity map
    if changes:
        session.execute(update(Seat), changes)
    if new:
        session.execute(insert(Seat), new)
    if leaving:
        session.execute(
            update(Seat).where(Seat.id.in_(leaving)).values(removed=True).execution_options(synchronize_session=False)
        )


def _write_stage(session: Session, theatre_id: int, stage: Stage, actor_id: int, now: dt.datetime) -> None:
    row = session.get(SeatMap, theatre_id)
    if row is None:
        row = SeatMap(theatre_id=theatre_id)
        session.add(row)
    row.stage_x, row.stage_y, row.stage_width = stage.x, stage.y, stage.width
    row.updated_at, row.updated_by_id = now, actor_id


def _resize_reserved_shows(session: Session, theatre_id: int, on_sale: int, now: dt.datetime) -> None:
    """Each reserved show yet to start offers the map's seats less its house seats; its pickers redraw."""
    house = (
        select(func.count())
        .where(SeatClaim.show_id == Show.id, SeatClaim.kind == ClaimKind.BLOCKED)
        .correlate(Show)
        .scalar_subquery()
    )
    shows = select(Show.id).where(Show.theatre_id == theatre_id, Show.starts_at > now)
    session.execute(  # the versions first: a booking, too, bumps the version before it touches the show
        update(ShowSeating)
        .where(ShowSeating.show_id.in_(shows))
        .values(version=ShowSeating.version + 1)
        .execution_options(synchronize_session=False)
    )
    reserved = select(ShowSeating.show_id)
    session.execute(
        update(Show)
        .where(Show.theatre_id == theatre_id, Show.starts_at > now, Show.id.in_(reserved))
        .values(num_tickets=on_sale - house)
        .execution_options(synchronize_session=False)
    )


def has_map(session: Session, theatre_id: int) -> bool:
    return session.get(SeatMap, theatre_id) is not None
