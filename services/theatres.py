"""Theatres: managers keep their own, admins see all."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import TypeAdapter
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from models import AuditAction, Booking, BookingStatus, Role, Show, Theatre, Ticket, TicketStatus, User
from services import audit, ratings
from services.access import managed_theatre
from services.auth import load_actor, require_role
from services.cache import cached, invalidate_after_commit
from services.checkin import CHECKINS
from services.errors import Conflict
from services.shows import ShowView
from services.validation import Checker, FormNumber, FormText
from services.words import plural

MAX_CAPACITY = 100_000
ADDRESS_LENGTH = 300
# What a theatre's audit events record on a change: where it is, with what it is.
AUDITED = (*audit.THEATRE_FIELDS, 'address', 'timezone')


@dataclass(frozen=True)
class TheatreView:
    id: int
    name: str
    place: str
    capacity: int
    owner_id: int
    owner_name: str
    has_seatmap: bool = False  # its seats are drawn: its shows may sell reserved seats
    address: str | None = None
    timezone: str | None = None  # an IANA name; None: the app's

    @classmethod
    def of(cls, theatre: Theatre) -> TheatreView:
        return cls(
            id=theatre.id,
            name=theatre.name,
            place=theatre.place,
            capacity=theatre.capacity,
            owner_id=theatre.owner_id,
            owner_name=theatre.owner.name,
            has_seatmap=theatre.seat_map is not None,
            address=theatre.address,
            timezone=theatre.timezone,
        )


@dataclass(frozen=True)
class DashboardEntry:
    theatre: TheatreView
    shows: list[ShowView]
    checked_in: dict[int, int] = field(default_factory=dict)  # show id → tickets checked in; none: left out

    def checked_in_for(self, show_id: int) -> int:
        """Tickets of the show checked in at the door (0 for a show with none)."""
        return self.checked_in.get(show_id, 0)


@dataclass(frozen=True)
class _Fields:
    name: str
    place: str
    capacity: int
    address: str | None
    timezone: str | None


def _check_fields(
    name: FormText, place: FormText, capacity: FormNumber, address: FormText, timezone: FormText
) -> _Fields:
    check = Checker()
    fields = _Fields(
        name=check.text('name', name, label='Name'),
        place=check.text('place', place, label='Place'),
        capacity=check.integer('capacity', capacity, label='Capacity', low=1, high=MAX_CAPACITY),
        address=check.optional_text('address', address, label='Address', max_len=ADDRESS_LENGTH, multiline=True),
        timezone=check.timezone('timezone', timezone),
    )
    check.done()
    return fields


def create_theatre(
    session: Session,
    *,
    actor_id: int,
    name: FormText,
    place: FormText,
    capacity: FormNumber,
    address: FormText = None,
    timezone: FormText = None,
) -> TheatreView:
    """A new theatre of the actor's; its address may be left out, and without a time zone (an IANA name) its
    shows' times are the app's."""
    actor = load_actor(session, actor_id)
    require_role(actor, Role.MANAGER, Role.ADMIN, action='add theatres')
    fields = _check_fields(name, place, capacity, address, timezone)
    theatre = Theatre(
        owner=actor,
        name=fields.name,
        place=fields.place,
        capacity=fields.capacity,
        address=fields.address,
        timezone=fields.timezone,
    )
    session.add(theatre)
    session.flush()
    audit.record(session, actor_id=actor_id, action=AuditAction.THEATRE_CREATED, target=theatre)
    invalidate_after_commit(session, 'listing')
    return TheatreView.of(theatre)


def update_theatre(
    session: Session,
    *,
    actor_id: int,
    theatre_id: int,
    name: FormText,
    place: FormText,
    capacity: FormNumber,
    address: FormText = None,
    timezone: FormText = None,
) -> TheatreView:
    """Every field is replaced: an address or time zone left out (None) is cleared. A new time zone moves no
    show: each keeps its moment, read from then on at the theatre's new local time."""
    actor = load_actor(session, actor_id)
    theatre = managed_theatre(session, actor, theatre_id)
    fields = _check_fields(name, place, capacity, address, timezone)
    clean_capacity = fields.capacity
    if theatre.seat_map is not None and clean_capacity != theatre.capacity:
        raise Conflict(
            f'This theatre has a seat map: its capacity is its {theatre.capacity:,} seats for sale. '
            'Change the seat map to change it.',
            field='capacity',
        )
    largest_show = session.scalar(select(func.max(Show.num_tickets)).where(Show.theatre_id == theatre.id)) or 0
    if clean_capacity < largest_show:
        raise Conflict(
            f'Capacity cannot drop below {largest_show:,}: a show of this theatre offers that many tickets.',
            field='capacity',
        )
    before = audit.fields_of(theatre, AUDITED)
    theatre.name, theatre.place, theatre.capacity = fields.name, fields.place, fields.capacity
    theatre.address, theatre.timezone = fields.address, fields.timezone
    audit.record_change(session, actor_id=actor_id, action=AuditAction.THEATRE_CHANGED, target=theatre, before=before)
    session.flush()
    invalidate_after_commit(session, 'listing', 'theatres', f'theatre:{theatre.id!r}')
    return TheatreView.of(theatre)


def delete_theatre(session: Session, *, actor_id: int, theatre_id: int) -> None:
    """Refused while any show of it has confirmed bookings; otherwise its shows go with it."""
    actor = load_actor(session, actor_id)
    theatre = managed_theatre(session, actor, theatre_id)
    confirmed = session.execute(
        select(func.count(Booking.id), func.coalesce(func.sum(Booking.booked_tickets), 0))
        .join(Show, Show.id == Booking.show_id)
        .where(Show.theatre_id == theatre.id, Booking.status == BookingStatus.CONFIRMED)
    ).one()
    if confirmed[0]:
        raise Conflict(
            f'"{theatre.name}" has {plural(confirmed[0], "confirmed booking")} for {plural(confirmed[1], "ticket")}; '
            'it can be deleted once none are left.'
        )
    show_ids = select(Show.id).where(Show.theatre_id == theatre.id)
    session.execute(delete(Booking).where(Booking.show_id.in_(show_ids)))
    for show in list(theatre.shows):
        audit.record(session, actor_id=actor_id, action=AuditAction.SHOW_DELETED, target=show)
        session.delete(show)
    audit.record(session, actor_id=actor_id, action=AuditAction.THEATRE_DELETED, target=theatre)
    session.delete(theatre)
    session.flush()
    invalidate_after_commit(session, 'listing', 'theatres', f'theatre:{theatre.id!r}')


def list_theatres(session: Session, *, actor_id: int) -> list[TheatreView]:
    actor = load_actor(session, actor_id)
    require_role(actor, Role.MANAGER, Role.ADMIN, action='manage theatres')
    query = select(Theatre).options(selectinload(Theatre.owner)).order_by(Theatre.name, Theatre.id)
    if actor.role != Role.ADMIN:
        query = query.where(Theatre.owner_id == actor.id)
    return [TheatreView.of(t) for t in session.scalars(query)]


def get_theatre(session: Session, *, actor_id: int, theatre_id: int) -> TheatreView:
    actor = load_actor(session, actor_id)
    return TheatreView.of(managed_theatre(session, actor, theatre_id))


def dashboard(session: Session, *, actor_id: int) -> list[DashboardEntry]:
    """Each theatre the actor manages, with all its shows (past ones too), soonest first, and how many tickets of
    each show were checked in at the door.

    Checked for role first, then cached under a key that names the person: never shared between people.
    """
    actor = load_actor(session, actor_id)
    require_role(actor, Role.MANAGER, Role.ADMIN, action='see the dashboard')
    return cached(
        f'dashboard:{actor.id}:{actor.role}',
        ['listing', 'sales', 'theatres', CHECKINS],
        lambda: _dashboard(session, actor),
        _DASHBOARD,
    )


def _dashboard(session: Session, actor: User) -> list[DashboardEntry]:
    query = (
        select(Theatre)
        .options(selectinload(Theatre.owner), selectinload(Theatre.shows).selectinload(Show.tag_rows))
        .order_by(Theatre.name, Theatre.id)
    )
    if actor.role != Role.ADMIN:
        query = query.where(Theatre.owner_id == actor.id)
    counts = (
        select(Show.theatre_id, Ticket.show_id, func.count(Ticket.id))
        .join(Show, Show.id == Ticket.show_id)
        .where(Ticket.status == TicketStatus.CHECKED_IN)
        .group_by(Show.theatre_id, Ticket.show_id)
    )
    if actor.role != Role.ADMIN:
        counts = counts.where(Show.theatre_id.in_(select(Theatre.id).where(Theatre.owner_id == actor.id)))
    checked_in: dict[int, dict[int, int]] = {}
    for theatre_id, show_id, count in session.execute(counts):
        checked_in.setdefault(theatre_id, {})[show_id] = int(count)
    theatres = session.scalars(query).all()
    scores = ratings.audiences(session, (t.id for t in theatres))
    return [
        DashboardEntry(
            TheatreView.of(t),
            [ShowView.of(show, t, audience=scores.get(show.id, ratings.NOBODY)) for show in t.shows],
            checked_in.get(t.id, {}),
        )
        for t in theatres
    ]


_DASHBOARD = TypeAdapter(list[DashboardEntry])
