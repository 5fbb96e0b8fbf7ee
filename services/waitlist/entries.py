"""Joining, leaving and reading waiting lists.

A person joins a show's waiting list for 1–10 tickets only when that many cannot be booked now (for a reserved
show: that many free seats anywhere); one live entry (waiting or offered) per person and show, kept by a unique
index. Their place in line is their entry's id among those still waiting. See `offers` for what happens when
tickets come free.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload

from models import Role, Seat, SeatClaim, Show, Theatre, User, WaitlistEntry, WaitlistStatus
from models.db import get_by_id, utcnow
from models.seat import seat_name
from services import freed
from services.access import managed_show
from services.auth import load_actor, require_role
from services.booking import CANCELLED, MAX_TICKETS_PER_BOOKING
from services.errors import Conflict, NotFound
from services.formats import theatre_tz
from services.seating import is_reserved
from services.seating.offer_seats import free_seats
from services.validation import Checker, FormNumber
from services.words import plural

LIVE = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


@dataclass(frozen=True)
class EntryView:
    id: int
    show_id: int
    show_name: str
    theatre_name: str
    place: str
    starts_at: dt.datetime
    show_status: str
    tickets: int
    status: WaitlistStatus
    position: int | None  # among the entries still waiting, from 1; None for the others
    joined_at: dt.datetime
    offered_at: dt.datetime | None
    offer_expires_at: dt.datetime | None
    booking_id: int | None
    seats: tuple[str, ...] = ()  # a reserved show's offer: the seats set aside
    username: str = ''  # for the manager's list
    theatre_timezone: str | None = None  # an IANA name; None: the app's

    @property
    def tz(self) -> dt.tzinfo:
        """The theatre's time zone: the show's time and the offer's end read in it."""
        return theatre_tz(self.theatre_timezone)

    @property
    def live(self) -> bool:
        return self.status in LIVE

    def offer_open(self, now: dt.datetime | None = None) -> bool:
        return (
            self.status == WaitlistStatus.OFFERED
            and self.offer_expires_at is not None
            and self.offer_expires_at > (now or utcnow())
        )


def positions(session: Session, show_ids: Iterable[int]) -> dict[int, int]:
    """Each waiting entry's place in line (1 = next) on these shows, by entry id."""
    ids = sorted(set(show_ids))
    if not ids:
        return {}
    place = func.row_number().over(partition_by=WaitlistEntry.show_id, order_by=WaitlistEntry.id)
    rows = session.execute(
        select(WaitlistEntry.id, place).where(
            WaitlistEntry.show_id.in_(ids), WaitlistEntry.status == WaitlistStatus.WAITING
        )
    ).all()
    return {entry_id: int(position) for entry_id, position in rows}


def offered_seats(session: Session, entries: Sequence[WaitlistEntry]) -> dict[int, tuple[str, ...]]:
    """The seats set aside for each offered entry of a reserved show, by entry id."""
    holds = {e.hold_id: e.id for e in entries if e.status == WaitlistStatus.OFFERED and e.hold_id is not None}
    if not holds:
        return {}
    rows = session.execute(
        select(SeatClaim.hold_id, Seat.section, Seat.row, Seat.label)
        .join(Seat, Seat.id == SeatClaim.seat_id)
        .where(SeatClaim.hold_id.in_(list(holds)))
        .order_by(Seat.section_no, Seat.row_no, Seat.seat_no)
    ).all()
    seats: dict[int, list[str]] = {}
    for hold_id, section, row, label in rows:
        if hold_id is not None:
            seats.setdefault(holds[hold_id], []).append(seat_name(section, row, label))
    return {entry_id: tuple(names) for entry_id, names in seats.items()}


def views(session: Session, entries: Sequence[WaitlistEntry]) -> list[EntryView]:
    """The entries as people see them: their shows (with theatres) and usernames read in one query each."""
    places = positions(session, {e.show_id for e in entries})
    seats = offered_seats(session, entries)
    shows = {
        show.id: show
        for show in session.scalars(
            select(Show).where(Show.id.in_({e.show_id for e in entries})).options(joinedload(Show.theatre))
        )
    }
    names = {
        row.id: row.username
        for row in session.execute(select(User.id, User.username).where(User.id.in_({e.user_id for e in entries})))
    }
    result = []
    for e in entries:
        show = shows[e.show_id]
        result.append(
            EntryView(
                id=e.id,
                show_id=show.id,
                show_name=show.name,
                theatre_name=show.theatre.name,
                place=show.theatre.place,
                starts_at=show.starts_at,
                show_status=show.status.value,
                tickets=e.tickets,
                status=e.status,
                position=places.get(e.id),
                joined_at=e.joined_at,
                offered_at=e.offered_at,
                offer_expires_at=e.offer_expires_at,
                booking_id=e.booking_id,
                seats=seats.get(e.id, ()),
                username=names.get(e.user_id, ''),
                theatre_timezone=show.theatre.timezone,
            )
        )
    return result


def available_now(session: Session, show: Show, now: dt.datetime) -> int:
    """How many tickets of the show anyone could book right now (a reserved show: its free seats)."""
    if is_reserved(session, show.id):
        return len(free_seats(session, show, now))
    return max(0, show.tickets_left)


def join(
    session: Session, *, show_id: object, user_id: int, tickets: FormNumber, now: dt.datetime | None = None
) -> EntryView:
    """Put the person on the show's waiting list for `tickets`; refused when that many can be booked now, or when
    they are already on it."""
    now = now or utcnow()
    load_actor(session, user_id)
    show = get_by_id(session, Show, show_id)
    if show is None:
        raise NotFound('No such show.')
    check = Checker()
    count = check.integer('tickets', tickets, label='Number of tickets', low=1, high=MAX_TICKETS_PER_BOOKING)
    check.done()
    if show.cancelled:
        raise Conflict(CANCELLED)
    if show.starts_at <= now:
        raise Conflict('This show has already started; its waiting list is closed.')
    if mine(session, show_id=show.id, user_id=user_id) is not None:
        raise Conflict('You are already on the waiting list for this show.')
    left = available_now(session, show, now)
    if count <= left:
        what = f'{plural(left, "ticket")} can' if left > 0 else 'They can'
        them = 'it' if left == 1 else 'them'
        raise Conflict(f'{what} be booked now: book {them} instead of joining the waiting list.', field='tickets')
    dialect = postgresql if session.get_bind().dialect.name == 'postgresql' else sqlite
    entry_id = session.scalar(  # two joins at once: the unique index lets one in, the other inserts nothing
        dialect.insert(WaitlistEntry)
        .values(show_id=show.id, user_id=user_id, tickets=count, status=WaitlistStatus.WAITING, joined_at=now, offers=0)
        .on_conflict_do_nothing()
        .returning(WaitlistEntry.id)
    )
    if entry_id is None:
        raise Conflict('You are already on the waiting list for this show.')
    entry = session.get_one(WaitlistEntry, entry_id)
    freed.tickets_freed(session, show.id)  # tickets may have come free meanwhile: look again after the commit
    return views(session, [entry])[0]


def mine(session: Session, *, show_id: int, user_id: int) -> WaitlistEntry | None:
    """The person's live entry (waiting or offered) for the show, if any."""
    return session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.show_id == show_id, WaitlistEntry.user_id == user_id, WaitlistEntry.status.in_(LIVE)
        )
    ).first()


def my_entry(session: Session, *, show_id: int, user_id: int) -> EntryView | None:
    """For the show page: the person's live entry for this show, if any."""
    load_actor(session, user_id)
    entry = mine(session, show_id=show_id, user_id=user_id)
    return None if entry is None else views(session, [entry])[0]


def own_entry(session: Session, entry_id: object, user_id: int) -> WaitlistEntry:
    entry = get_by_id(session, WaitlistEntry, entry_id)
    if entry is None or entry.user_id != user_id:
        raise NotFound('No such waiting-list entry.')  # someone else's is reported as missing
    return entry


def get_entry(session: Session, *, entry_id: object, user_id: int) -> EntryView:
    load_actor(session, user_id)
    return views(session, [own_entry(session, entry_id, user_id)])[0]


def my_entries(session: Session, *, user_id: int, now: dt.datetime | None = None) -> list[EntryView]:
    """The person's entries: live ones first (soonest show first), then the closed ones of shows still to come,
    newest first."""
    now = now or utcnow()
    load_actor(session, user_id)
    rows = session.scalars(
        select(WaitlistEntry)
        .join(Show, Show.id == WaitlistEntry.show_id)
        .where(WaitlistEntry.user_id == user_id)
        .order_by(Show.starts_at, WaitlistEntry.id)
    ).all()
    entries = views(session, rows)
    live = [e for e in entries if e.live]
    closed = [e for e in reversed(entries) if not e.live and e.starts_at > now]
    return live + closed


def show_entries(session: Session, *, actor_id: int, show_id: object) -> list[EntryView]:
    """The show's whole waiting list in the order people joined, for its manager or an admin."""
    show = managed_show(session, load_actor(session, actor_id), show_id if isinstance(show_id, int) else None)
    rows = session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.show_id == show.id).order_by(WaitlistEntry.id)
    ).all()
    return views(session, rows)


def live_counts(session: Session, *, actor_id: int, show_ids: Sequence[int]) -> dict[int, int]:
    """How many people are on each of these shows' lists (waiting or holding an offer), for the dashboard's
    badges: one grouped query over the shows the actor manages (others are left out, as if they had no list)."""
    actor = load_actor(session, actor_id)
    require_role(actor, Role.MANAGER, Role.ADMIN, action='see waiting lists')
    ids = sorted({i for i in show_ids if isinstance(i, int)})
    if not ids:
        return {}
    query = (
        select(WaitlistEntry.show_id, func.count(WaitlistEntry.id))
        .join(Show, Show.id == WaitlistEntry.show_id)
        .where(WaitlistEntry.show_id.in_(ids), WaitlistEntry.status.in_(LIVE))
        .group_by(WaitlistEntry.show_id)
    )
    if actor.role != Role.ADMIN:
        query = query.join(Theatre, Theatre.id == Show.theatre_id).where(Theatre.owner_id == actor.id)
    return {int(show_id): int(count) for show_id, count in session.execute(query)}
