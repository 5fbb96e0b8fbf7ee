"""Door check-in: a ticket's code is admitted once. The check and the write are one conditional UPDATE (as a
booking's seat count is), so two doors scanning the same code at the same instant get one admit and one
"already checked in", whatever the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from models import AuditAction, Booking, Show, Theatre, Ticket, TicketStatus
from models.db import utcnow
from models.show import show_alone
from services import audit, metrics
from services.access import door_show, door_theatre_ids, may_work_door
from services.auth import load_actor
from services.booking import TicketView
from services.cache import invalidate_after_commit
from services.errors import Conflict, Invalid, NotFound
from services.formats import local, theatre_tz
from services.hooks import on_commit
from services.validation import Checker, FormText

UNKNOWN = 'Unknown ticket: no ticket of this theatre has that code.'
CODE_MAX_LENGTH = 64  # codes are 22 characters; a scanner may add a little, never this much
EARLIER_SHOWS = dt.timedelta(hours=6)  # the door list keeps a show this long after it started (late arrivals)
# The cache namespace of the figures that count check-ins (dashboard, summary): bumped by a scan or an undo, so a
# busy door never empties the public listing's cache.
CHECKINS = 'checkins'


@dataclass(frozen=True)
class DoorCount:
    show_id: int
    tickets_sold: int  # valid and checked-in tickets: cancelled ones are not sold
    checked_in: int


@dataclass(frozen=True)
class Admission:
    """A ticket just let in, and what the door shows about it."""

    ticket: TicketView
    booking_id: int
    booking_reference: str
    show_id: int
    seat: str | None  # the seat's name ('Stalls C7'); None for general admission
    holder_name: str  # the name on the booking: the only personal data the door sees
    tickets_in_booking: int
    count: DoorCount


@dataclass(frozen=True)
class DoorShow:
    id: int
    name: str
    theatre_id: int
    theatre_name: str
    starts_at: dt.datetime
    tickets_sold: int
    checked_in: int
    theatre_timezone: str | None = None  # an IANA name; None: the app's

    @property
    def tz(self) -> dt.tzinfo:
        return theatre_tz(self.theatre_timezone)

    def is_today(self, now: dt.datetime) -> bool:
        """Whether the show is on its theatre's today (or began on an earlier day, still at the door): the door's
        day is the theatre's, wherever the app's clock is."""
        return local(self.starts_at, self.tz).date() <= local(now, self.tz).date()


def _ticket_view(ticket: Ticket) -> TicketView:
    return TicketView.of(ticket)


def _clean_code(code: FormText) -> str:
    check = Checker()
    cleaned = check.text('code', code, label='Ticket code', max_len=CODE_MAX_LENGTH)
    check.done()
    return cleaned


def _find(session: Session, code: str) -> Ticket | None:
    return session.scalar(
        select(Ticket)
        .where(Ticket.code == code)
        .options(
            joinedload(Ticket.booking).joinedload(Booking.user),
            joinedload(Ticket.booking).joinedload(Booking.show).options(*show_alone()),
        )
    )


def _clock(moment: dt.datetime, now: dt.datetime, tz: dt.tzinfo) -> str:
    """'19:02' today, 'Fri 4 Dec 19:02' on another day: in `tz`, the theatre's time zone. No zone's letters: the
    door reads its own clock, and the words stay short on a phone at the door."""
    at = local(moment, tz)
    if at.date() == local(now, tz).date():
        return at.strftime('%H:%M')
    return f'{at.strftime("%a")} {at.day} {at.strftime("%b %H:%M")}'


def _already(ticket: Ticket, now: dt.datetime, tz: dt.tzinfo) -> Conflict:
    if ticket.status == TicketStatus.CANCELLED:
        return Conflict(
            'Cancelled: this ticket was cancelled and does not admit anyone.', field='code', reason='cancelled'
        )
    at = ticket.checked_in_at
    return Conflict(
        f'Already checked in at {_clock(at, now, tz)}.' if at else 'Already checked in.', field='code', reason='already'
    )


# The show's tickets counted by status, from the (show_id, status) index alone; built once, asked on every scan.
_BY_STATUS = select(Ticket.status, func.count()).where(Ticket.show_id == bindparam('show_id')).group_by(Ticket.status)


def count(session: Session, show_id: int) -> DoorCount:
    by_status: dict[TicketStatus, int] = {status: n for status, n in session.execute(_BY_STATUS, {'show_id': show_id})}
    checked_in = by_status.get(TicketStatus.CHECKED_IN, 0)
    return DoorCount(
        show_id=show_id, tickets_sold=checked_in + by_status.get(TicketStatus.VALID, 0), checked_in=checked_in
    )


@metrics.counts_refusals(metrics.CHECKINS)
def check_in(
    session: Session, *, actor_id: int, show_id: int | None, code: FormText, now: dt.datetime | None = None
) -> Admission:
    """Admit the ticket with `code` to `show_id`, once. Refusals: an unknown code or one of another theatre is
    NotFound; a ticket of another show of this theatre is Invalid, naming that show; a ticket already admitted
    or cancelled is a Conflict saying so. Counted in the metrics by result (an admission once committed)."""
    now = now or utcnow()
    actor = load_actor(session, actor_id)
    show = door_show(session, actor, show_id)
    cleaned = _clean_code(code)
    ticket = _find(session, cleaned)
    if ticket is None or ticket.booking.show.theatre_id != show.theatre_id:
        raise NotFound(UNKNOWN, field='code', reason='unknown')
    tz = theatre_tz(show.theatre.timezone)
    if ticket.show_id != show.id:
        other = ticket.booking.show
        raise Invalid({'code': f'Other show: {other.name}, {_clock(other.starts_at, now, tz)}.'}, reason='other_show')
    admitted = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == TicketStatus.VALID)
        .values(status=TicketStatus.CHECKED_IN, checked_in_at=now, checked_in_by_id=actor.id)
        .returning(Ticket.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if admitted is None:
        session.refresh(ticket)  # what the other scan (or a cancellation) left: the refusal says which
        raise _already(ticket, now, tz)
    # What the UPDATE wrote, without reading the row back.
    for name, value in (
        ('status', TicketStatus.CHECKED_IN),
        ('checked_in_at', now.astimezone(dt.UTC)),
        ('checked_in_by_id', actor.id),
    ):
        set_committed_value(ticket, name, value)
    invalidate_after_commit(session, CHECKINS)
    on_commit(session, metrics.CHECKINS.labels('admitted').inc)
    booking = ticket.booking
    return Admission(
        ticket=_ticket_view(ticket),
        booking_id=booking.id,
        booking_reference=booking.reference,
        show_id=show.id,
        seat=ticket.seat.name if ticket.seat is not None else None,
        holder_name=booking.user.name,
        tickets_in_booking=booking.booked_tickets,
        count=count(session, show.id),
    )


def undo_check_in(session: Session, *, actor_id: int, code: FormText, now: dt.datetime | None = None) -> TicketView:
    """Take back a mistaken scan: the ticket is valid again (and audited, since it lets someone in twice)."""
    actor = load_actor(session, actor_id)
    cleaned = _clean_code(code)
    ticket = _find(session, cleaned)
    if ticket is None or not may_work_door(session, actor, ticket.booking.show.theatre):
        raise NotFound(UNKNOWN, field='code')
    undone = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == TicketStatus.CHECKED_IN)
        .values(status=TicketStatus.VALID, checked_in_at=None, checked_in_by_id=None)
        .returning(Ticket.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    session.refresh(ticket)
    if undone is None:
        if ticket.status == TicketStatus.CANCELLED:
            raise Conflict('Cancelled: this ticket was cancelled.', field='code')
        raise Conflict('This ticket is not checked in.', field='code')
    audit.record(
        session,
        actor_id=actor.id,
        action=AuditAction.CHECKIN_UNDONE,
        target=ticket.booking,
        changes={'ticket_id': ticket.id},
        at=now,
    )
    session.flush()
    invalidate_after_commit(session, CHECKINS)
    return _ticket_view(ticket)


def door_count(session: Session, *, actor_id: int, show_id: int | None) -> DoorCount:
    """Tickets sold and checked in for a show, for the door (and the theatre's manager, admins)."""
    show = door_show(session, load_actor(session, actor_id), show_id)
    return count(session, show.id)


def door_shows(session: Session, *, actor_id: int, now: dt.datetime | None = None, limit: int = 50) -> list[DoorShow]:
    """The shows `actor` may check tickets in for, soonest first from the start of today (the theatre's day, in its
    time zone) or EARLIER_SHOWS ago, whichever is earlier: today's shows lead."""
    now = now or utcnow()
    actor = load_actor(session, actor_id)
    theatre_ids = door_theatre_ids(session, actor)
    zones = select(Theatre.timezone).distinct()
    if theatre_ids is not None:
        zones = zones.where(Theatre.id.in_(theatre_ids))
    # One condition per time zone the theatres are in (a handful), so the limit counts only shows that belong.
    since = [
        and_(
            Theatre.timezone.is_(None) if zone is None else Theatre.timezone == zone,
            Show.starts_at >= min(_start_of_day(now, theatre_tz(zone)), now - EARLIER_SHOWS),
        )
        for zone in session.scalars(zones)
    ]
    if not since:
        return []
    counts = (
        select(
            Ticket.show_id.label('show_id'),
            func.count(Ticket.id).label('sold'),
            func.sum(case((Ticket.status == TicketStatus.CHECKED_IN, 1), else_=0)).label('checked_in'),
        )
        .where(Ticket.status != TicketStatus.CANCELLED)
        .group_by(Ticket.show_id)
        .subquery()
    )
    query = (
        select(Show, counts.c.sold, counts.c.checked_in)
        .outerjoin(counts, counts.c.show_id == Show.id)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .options(joinedload(Show.theatre))
        .where(or_(*since))
        .order_by(Show.starts_at, Show.id)
        .limit(limit)
    )
    if theatre_ids is not None:
        query = query.where(Show.theatre_id.in_(theatre_ids))
    return [
        DoorShow(
            id=show.id,
            name=show.name,
            theatre_id=show.theatre_id,
            theatre_name=show.theatre.name,
            starts_at=show.starts_at,
            tickets_sold=int(sold or 0),
            checked_in=int(checked_in or 0),
            theatre_timezone=show.theatre.timezone,
        )
        for show, sold, checked_in in session.execute(query).unique()
    ]


def _start_of_day(now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """The moment the day of `now` began in `tz`, in UTC."""
    return local(now, tz).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


__all__ = [
    'CHECKINS',
    'Admission',
    'DoorCount',
    'DoorShow',
    'check_in',
    'count',
    'door_count',
    'door_shows',
    'undo_check_in',
]
