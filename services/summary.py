"""The managers' summary: per theatre, what was offered, sold and earned, and how bookings trend.

Every figure is an SQL aggregate (count, sum, group by, a ranking window); no booking is loaded into
Python. Sold tickets are the shows' seat counts, which only confirmed bookings hold; revenue and
booking counts come from confirmed bookings, so a cancellation takes its tickets and money back out.
A cancelled performance (its bookings all cancelled) offers no tickets either: it stays out of occupancy and charts.
Checked in counts the tickets let in at the door (services.checkin), which only confirmed bookings hold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, Select, Subquery, and_, case, func, select
from sqlalchemy.orm import Session

from models import Booking, BookingStatus, Role, Show, ShowStatus, Theatre, Ticket, TicketStatus, User
from models.db import local_date, utcnow
from services.access import managed_theatre
from services.auth import load_actor, require_role
from services.cache import cached
from services.checkin import CHECKINS
from services.config import get_settings

RECENT_DAYS = 30
BEST_SELLERS = 3


@dataclass(frozen=True)
class ShowSales:
    show_id: int
    name: str
    starts_at: dt.datetime
    num_tickets: int
    tickets_sold: int
    revenue_cents: int
    checked_in: int  # tickets let in at the door


@dataclass(frozen=True)
class TheatreSummary:
    theatre_id: int
    name: str
    place: str
    capacity: int
    owner_name: str
    shows: int
    tickets_offered: int
    tickets_sold: int
    revenue_cents: int
    recent_bookings: int
    recent_tickets: int
    checked_in: int  # tickets let in at the door, across all its shows
    best_sellers: list[ShowSales] = field(default_factory=list)
    timezone: str | None = None  # an IANA name; None: the app's. Its shows' times read in it.

    @property
    def occupancy(self) -> float:
        """Tickets sold over tickets offered, across the theatre's shows not called off (0 when it offers none)."""
        return self.tickets_sold / self.tickets_offered if self.tickets_offered else 0.0


@dataclass(frozen=True)
class Summary:
    theatres: list[TheatreSummary]
    recent_days: int = RECENT_DAYS

    def total(self, name: str) -> int:
        return sum(getattr(t, name) for t in self.theatres)

    @property
    def occupancy(self) -> float:
        offered = self.total('tickets_offered')
        return self.total('tickets_sold') / offered if offered else 0.0


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    bookings: int
    tickets: int
    revenue_cents: int


@dataclass(frozen=True)
class TheatreDetail:
    """What a theatre's charts draw: sales per show and bookings per day."""

    theatre_id: int
    name: str
    shows: int
    top_shows: list[ShowSales]
    days: list[DayCount]
    timezone: str | None = None  # an IANA name; None: the app's. The shows' times read in it (days: the app's).


def _scope(actor: User) -> Select[int]:
    query = select(Theatre.id)
    return query if actor.role == Role.ADMIN else query.where(Theatre.owner_id == actor.id)


def _confirmed() -> ColumnElement[bool]:
    return Booking.status == BookingStatus.CONFIRMED


def _scheduled() -> ColumnElement[bool]:
    """Not called off: a cancelled performance neither sells nor offers tickets."""
    return Show.status == ShowStatus.SCHEDULED


def summary(session: Session, *, actor_id: int, now: dt.datetime | None = None) -> Summary:
    """The figures of every theatre the actor manages (an admin: every theatre), best revenue first.

    Cached per person (the key names them) until a booking, cancellation or any show or theatre
    change bumps the listing or sales namespace, or for the cache's TTL at most.
    """
    actor = load_actor(session, actor_id)
    require_role(actor, Role.MANAGER, Role.ADMIN, action='see the summary')
    when = now or utcnow()
    return cached(
        f'summary:{actor.id}:{actor.role}',
        ['listing', 'sales', 'theatres', CHECKINS],
        lambda: _summary(session, actor, when),
        _SUMMARY,
    )


def _summary(session: Session, actor: User, now: dt.datetime) -> Summary:
    scope = _scope(actor).scalar_subquery()
    since = now - dt.timedelta(days=RECENT_DAYS)
    theatres = session.execute(
        select(Theatre.id, Theatre.name, Theatre.place, Theatre.capacity, User.name, Theatre.timezone)
        .join(User, User.id == Theatre.owner_id)
        .where(Theatre.id.in_(scope))
    ).all()
    seats = {
        row.theatre_id: row
        for row in session.execute(
            select(
                Show.theatre_id,
                func.count(Show.id).label('shows'),
                func.sum(case((_scheduled(), Show.num_tickets), else_=0)).label('offered'),
                func.sum(Show.tickets_sold).label('sold'),
            )
            .where(Show.theatre_id.in_(scope))
            .group_by(Show.theatre_id)
        )
    }
    recent = Booking.created_at >= since
    money = {
        row.theatre_id: row
        for row in session.execute(
            select(
                Show.theatre_id,
                func.sum(Booking.total_cents).label('revenue'),
                func.sum(case((recent, 1), else_=0)).label('recent_bookings'),
                func.sum(case((recent, Booking.booked_tickets), else_=0)).label('recent_tickets'),
            )
            .join(Show, Show.id == Booking.show_id)
            .where(Show.theatre_id.in_(scope), _confirmed())
            .group_by(Show.theatre_id)
        )
    }
    door: dict[int, int] = dict(
        session.execute(
            select(Show.theatre_id, func.count(Ticket.id))
            .join(Show, Show.id == Ticket.show_id)
            .where(Show.theatre_id.in_(scope), Ticket.status == TicketStatus.CHECKED_IN)
            .group_by(Show.theatre_id)
        ).all()
    )
    best = _best_sellers(session, scope)
    result = []
    for theatre_id, name, place, capacity, owner_name, timezone in theatres:
        seat_row, money_row = seats.get(theatre_id), money.get(theatre_id)
        result.append(
            TheatreSummary(
                theatre_id=theatre_id,
                name=name,
                place=place,
                capacity=capacity,
                owner_name=owner_name,
                shows=seat_row.shows if seat_row else 0,
                tickets_offered=int(seat_row.offered or 0) if seat_row else 0,
                tickets_sold=int(seat_row.sold or 0) if seat_row else 0,
                revenue_cents=int(money_row.revenue or 0) if money_row else 0,
                recent_bookings=int(money_row.recent_bookings or 0) if money_row else 0,
                recent_tickets=int(money_row.recent_tickets or 0) if money_row else 0,
                checked_in=int(door.get(theatre_id, 0)),
                best_sellers=best.get(theatre_id, []),
                timezone=timezone,
            )
        )
    result.sort(key=lambda t: (-t.revenue_cents, -t.tickets_sold, t.name.lower(), t.theatre_id))
    return Summary(result)


def revenue_per_show() -> Select[int, int]:
    """Each show's money from confirmed bookings (show_id, revenue): a cancellation takes its money back out."""
    return (
        select(Booking.show_id, func.sum(Booking.total_cents).label('revenue'))
        .where(_confirmed())
        .group_by(Booking.show_id)
    )


def _checked_in_per_show(show_ids: Select[Any]) -> Subquery:
    """Each of these shows' tickets checked in at the door (show_id, checked_in); shows with none are left out."""
    return (
        select(Ticket.show_id, func.count(Ticket.id).label('checked_in'))
        .where(Ticket.status == TicketStatus.CHECKED_IN, Ticket.show_id.in_(show_ids))
        .group_by(Ticket.show_id)
        .subquery()
    )


def _best_sellers(session: Session, scope: ColumnElement[int]) -> dict[int, list[ShowSales]]:
    """Each theatre's shows with the most tickets sold (at most BEST_SELLERS, none that sold nothing)."""
    revenue = revenue_per_show().where(Booking.show_id.in_(select(Show.id).where(Show.theatre_id.in_(scope))))
    revenue_sq = revenue.subquery()
    door_sq = _checked_in_per_show(select(Show.id).where(Show.theatre_id.in_(scope)))
    rank = (
        func.row_number()
        .over(partition_by=Show.theatre_id, order_by=(Show.tickets_sold.desc(), Show.starts_at, Show.id))
        .label('rank')
    )
    ranked = (
        select(
            Show.theatre_id,
            Show.id,
            Show.name,
            Show.starts_at,
            Show.num_tickets,
            Show.tickets_sold,
            func.coalesce(revenue_sq.c.revenue, 0).label('revenue'),
            func.coalesce(door_sq.c.checked_in, 0).label('checked_in'),
            rank,
        )
        .outerjoin(revenue_sq, revenue_sq.c.show_id == Show.id)
        .outerjoin(door_sq, door_sq.c.show_id == Show.id)
        .where(Show.theatre_id.in_(scope), Show.tickets_sold > 0)
        .subquery()
    )
    best: dict[int, list[ShowSales]] = {}
    for row in session.execute(
        select(ranked).where(ranked.c.rank <= BEST_SELLERS).order_by(ranked.c.theatre_id, ranked.c.rank)
    ):
        best.setdefault(row.theatre_id, []).append(
            ShowSales(
                row.id,
                row.name,
                row.starts_at,
                row.num_tickets,
                row.tickets_sold,
                int(row.revenue),
                int(row.checked_in),
            )
        )
    return best


def theatre_detail(
    session: Session, *, actor_id: int, theatre_id: int, top: int = 15, now: dt.datetime | None = None
) -> TheatreDetail:
    """One theatre's chart data: its `top` best-selling shows and its bookings per day over the last 30 days."""
    actor = load_actor(session, actor_id)
    theatre = managed_theatre(session, actor, theatre_id)
    now = now or utcnow()
    revenue_sq = revenue_per_show().subquery()
    door_sq = _checked_in_per_show(select(Show.id).where(Show.theatre_id == theatre.id))
    show_count = session.scalar(select(func.count(Show.id)).where(Show.theatre_id == theatre.id)) or 0
    top_shows = [
        ShowSales(
            row.id, row.name, row.starts_at, row.num_tickets, row.tickets_sold, int(row.revenue), int(row.checked_in)
        )
        for row in session.execute(
            select(
                Show.id,
                Show.name,
                Show.starts_at,
                Show.num_tickets,
                Show.tickets_sold,
                func.coalesce(revenue_sq.c.revenue, 0).label('revenue'),
                func.coalesce(door_sq.c.checked_in, 0).label('checked_in'),
            )
            .outerjoin(revenue_sq, revenue_sq.c.show_id == Show.id)
            .outerjoin(door_sq, door_sq.c.show_id == Show.id)
            .where(Show.theatre_id == theatre.id, _scheduled())
            .order_by(Show.tickets_sold.desc(), Show.starts_at, Show.id)
            .limit(top)
        )
    ]
    settings = get_settings()
    today = now.astimezone(settings.tz).date()
    first_day = today - dt.timedelta(days=RECENT_DAYS - 1)
    first_moment = dt.datetime.combine(first_day, dt.time(), settings.tz).astimezone(dt.UTC)
    day = local_date(session, Booking.created_at, settings.tz_name).label('day')
    counts = {
        row.day: row
        for row in session.execute(
            select(
                day,
                func.count(Booking.id).label('bookings'),
                func.sum(Booking.booked_tickets).label('tickets'),
                func.sum(Booking.total_cents).label('revenue'),
            )
            .join(Show, Show.id == Booking.show_id)
            .where(and_(Show.theatre_id == theatre.id, _confirmed(), Booking.created_at >= first_moment))
            .group_by(day)
        )
    }
    days = []
    for offset in range(RECENT_DAYS):
        date = first_day + dt.timedelta(days=offset)
        row = counts.get(date.isoformat())
        days.append(
            DayCount(date, row.bookings, int(row.tickets), int(row.revenue)) if row else DayCount(date, 0, 0, 0)
        )
    return TheatreDetail(theatre.id, theatre.name, show_count, top_shows, days, theatre.timezone)


_SUMMARY = TypeAdapter(Summary)
