"""What the emails are about: who gets each one, the reminder's picks and the monthly reports' figures.

People are read a page (`PAGE_SIZE`) at a time, by id; every figure is an SQL aggregate over one
page of recipients, never a Python loop over bookings. Months are the app's time zone's (`months`).
The results are plain dataclasses that `render` turns into text and HTML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Exists, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from models import Booking, BookingStatus, Show, ShowRating, ShowStatus, ShowTag, Theatre, User
from models.db import local_date
from services.mail.months import month_bounds

PICKS = 5
PAGE_SIZE = 500


@dataclass(frozen=True)
class Recipient:
    user_id: int
    username: str
    name: str
    email: str
    role: str


@dataclass(frozen=True)
class Pick:
    show_id: int
    name: str
    theatre: str
    place: str
    starts_at: dt.datetime
    price_cents: int
    tickets_left: int
    theatre_timezone: str | None = None  # an IANA name; None: the app's


@dataclass(frozen=True)
class BookingLine:
    show: str
    theatre: str
    starts_at: dt.datetime
    tickets: int
    total_cents: int
    theatre_timezone: str | None = None  # an IANA name; None: the app's


@dataclass(frozen=True)
class RatingLine:
    show: str
    theatre: str
    score: int


@dataclass(frozen=True)
class AudienceReport:
    bookings: list[BookingLine]
    ratings: list[RatingLine]

    @property
    def tickets(self) -> int:
        return sum(line.tickets for line in self.bookings)

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.bookings)


@dataclass(frozen=True)
class ShowLine:
    name: str
    starts_at: dt.datetime
    tickets: int
    revenue_cents: int


@dataclass
class TheatreMonth:
    theatre_id: int
    name: str
    place: str
    tickets: int = 0
    revenue_cents: int = 0
    bookings: int = 0
    performances: int = 0
    seats_offered: int = 0
    seats_sold: int = 0
    best: list[ShowLine] = field(default_factory=list)
    per_day: dict[dt.date, int] = field(default_factory=dict)
    timezone: str | None = None  # an IANA name; None: the app's. Its shows' times read in it.


@dataclass(frozen=True)
class ManagerReport:
    theatres: list[TheatreMonth]

    def total(self, name: str) -> int:
        return sum(getattr(t, name) for t in self.theatres)


# --- recipients --------------------------------------------------------------------------------------


def recipients_page(
    session: Session, *, roles: Iterable[str], wants: str, after_id: int, extra: ColumnElement[bool] | None = None
) -> list[Recipient]:
    """The next page of active people of these roles who want this kind of email, by id."""
    query = (
        select(User.id, User.username, User.name, User.email, User.role)
        .where(User.id > after_id, User.is_active, getattr(User, wants), User.role.in_(tuple(roles)))
        .where(User.email_verified_at.is_not(None), User.deleted_at.is_(None))  # never to an unproven address
        .order_by(User.id)
        .limit(PAGE_SIZE)
    )
    if extra is not None:
        query = query.where(extra)
    return [Recipient(*row) for row in session.execute(query)]


def booked_since(since: dt.datetime) -> Exists:
    """A condition: the person has a confirmed booking made at or after `since`."""
    confirmed = Booking.status == BookingStatus.CONFIRMED
    return exists().where(Booking.user_id == User.id, confirmed, Booking.created_at >= since)


# --- the daily reminder ------------------------------------------------------------------------------


def _pick_query(
    now: dt.datetime, horizon: dt.timedelta
) -> Select[int, str, str, str, dt.datetime, int, int, str | None]:
    return (
        select(
            Show.id,
            Show.name,
            Theatre.name,
            Theatre.place,
            Show.starts_at,
            Show.price_cents,
            Show.num_tickets - Show.tickets_sold - Show.tickets_offered,
            Theatre.timezone,
        )
        .join(Theatre, Theatre.id == Show.theatre_id)
        .where(
            Show.starts_at > now,
            Show.starts_at <= now + horizon,
            Show.status == ShowStatus.SCHEDULED,
            # tickets set aside for waiting-list offers are not for sale
            Show.tickets_sold + Show.tickets_offered < Show.num_tickets,
        )
    )


def popular_soon(session: Session, *, now: dt.datetime, limit: int = 40) -> list[Pick]:
    """The best-selling shows of the next two weeks that still have seats: the picks for people we know little of."""
    query = _pick_query(now, dt.timedelta(days=14)).order_by(Show.tickets_sold.desc(), Show.starts_at, Show.id)
    return [Pick(*row) for row in session.execute(query.limit(limit))]


def picks_for(session: Session, *, user_id: int, now: dt.datetime, popular: list[Pick]) -> list[Pick]:
    """Upcoming shows in the person's usual places and tags (from their bookings), topped up with popular ones."""
    mine = select(Booking.show_id).where(Booking.user_id == user_id, Booking.status == BookingStatus.CONFIRMED)
    places = list(
        session.scalars(
            select(Theatre.place)
            .join(Show, Show.theatre_id == Theatre.id)
            .where(Show.id.in_(mine))
            .group_by(Theatre.place)
            .order_by(func.count().desc(), Theatre.place)
            .limit(3)
        )
    )
    tags = list(
        session.scalars(
            select(ShowTag.tag)
            .where(ShowTag.show_id.in_(mine))
            .group_by(ShowTag.tag)
            .order_by(func.count().desc(), ShowTag.tag)
            .limit(3)
        )
    )
    picks: list[Pick] = []
    if places or tags:
        tagged = exists().where(ShowTag.show_id == Show.id, ShowTag.tag.in_(tags))
        fit = case((Theatre.place.in_(places), 2), else_=0) + case((tagged, 1), else_=0)
        query = (
            _pick_query(now, dt.timedelta(days=30))
            .where(or_(Theatre.place.in_(places), tagged), Show.id.not_in(mine))
            .order_by(fit.desc(), Show.tickets_sold.desc(), Show.starts_at, Show.id)
            .limit(PICKS)
        )
        picks = [Pick(*row) for row in session.execute(query)]
    if len(picks) < PICKS:
        booked = set(session.scalars(mine))
        chosen = {p.show_id for p in picks}
        picks += [p for p in popular if p.show_id not in booked | chosen][: PICKS - len(picks)]
    return picks


# --- the monthly reports -----------------------------------------------------------------------------


def audience_reports(session: Session, user_ids: list[int], month: str, tz: ZoneInfo) -> dict[int, AudienceReport]:
    """Each person's confirmed bookings made in the month, in the order of their shows' dates, and the shows they
    rated in it (nobody with neither)."""
    start, end = month_bounds(month, tz)
    bookings: dict[int, list[BookingLine]] = {}
    for user_id, show, theatre, starts_at, tickets, total, zone in session.execute(
        select(
            Booking.user_id,
            Show.name,
            Theatre.name,
            Show.starts_at,
            Booking.booked_tickets,
            Booking.total_cents,
            Theatre.timezone,
        )
        .join(Show, Show.id == Booking.show_id)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .where(
            Booking.user_id.in_(user_ids),
            Booking.status == BookingStatus.CONFIRMED,
            Booking.created_at >= start,
            Booking.created_at < end,
        )
        .order_by(Booking.user_id, Show.starts_at, Booking.created_at, Booking.id)
    ):
        bookings.setdefault(user_id, []).append(BookingLine(show, theatre, starts_at, tickets, total, zone))
    ratings: dict[int, list[RatingLine]] = {}
    for user_id, show, theatre, score in session.execute(
        select(ShowRating.user_id, Show.name, Theatre.name, ShowRating.score)
        .join(Show, Show.id == ShowRating.show_id)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .where(ShowRating.user_id.in_(user_ids), ShowRating.rated_at >= start, ShowRating.rated_at < end)
        .order_by(ShowRating.user_id, ShowRating.rated_at)
    ):
        ratings.setdefault(user_id, []).append(RatingLine(show, theatre, score))
    return {
        user_id: AudienceReport(bookings.get(user_id, []), ratings.get(user_id, []))
        for user_id in user_ids
        if user_id in bookings or user_id in ratings
    }


def manager_reports(
    session: Session, user_ids: list[int], month: str, tz: ZoneInfo, tz_name: str
) -> dict[int, ManagerReport]:
    """Each manager's theatres over the month: tickets and revenue booked, occupancy of its shows, best shows."""
    start, end = month_bounds(month, tz)
    theatres: dict[int, TheatreMonth] = {}
    owners: dict[int, list[TheatreMonth]] = {}
    for theatre_id, owner_id, name, place, zone in session.execute(
        select(Theatre.id, Theatre.owner_id, Theatre.name, Theatre.place, Theatre.timezone)
        .where(Theatre.owner_id.in_(user_ids))
        .order_by(Theatre.name, Theatre.id)
    ):
        theatres[theatre_id] = TheatreMonth(theatre_id, name, place, timezone=zone)
        owners.setdefault(owner_id, []).append(theatres[theatre_id])
    if not theatres:
        return {}
    in_month = and_(
        Booking.status == BookingStatus.CONFIRMED,
        Booking.created_at >= start,
        Booking.created_at < end,
        Show.theatre_id.in_(theatres),
    )
    for theatre_id, bookings, tickets, revenue in session.execute(
        select(Show.theatre_id, func.count(Booking.id), func.sum(Booking.booked_tickets), func.sum(Booking.total_cents))
        .join(Show, Show.id == Booking.show_id)
        .where(in_month)
        .group_by(Show.theatre_id)
    ):
        theatre = theatres[theatre_id]
        theatre.bookings, theatre.tickets, theatre.revenue_cents = bookings, int(tickets), int(revenue)
    for theatre_id, performances, offered, sold in session.execute(
        select(Show.theatre_id, func.count(Show.id), func.sum(Show.num_tickets), func.sum(Show.tickets_sold))
        .where(
            Show.theatre_id.in_(theatres),
            Show.starts_at >= start,
            Show.starts_at < end,
            Show.status == ShowStatus.SCHEDULED,  # a cancelled performance did not take place
        )
        .group_by(Show.theatre_id)
    ):
        theatre = theatres[theatre_id]
        theatre.performances, theatre.seats_offered, theatre.seats_sold = performances, int(offered), int(sold)
    rank = (
        func.row_number()
        .over(partition_by=Show.theatre_id, order_by=(func.sum(Booking.booked_tickets).desc(), Show.id))
        .label('rank')
    )
    best = (
        select(
            Show.theatre_id,
            Show.name,
            Show.starts_at,
            func.sum(Booking.booked_tickets).label('tickets'),
            func.sum(Booking.total_cents).label('revenue'),
            rank,
        )
        .join(Show, Show.id == Booking.show_id)
        .where(in_month)
        .group_by(Show.theatre_id, Show.id, Show.name, Show.starts_at)
        .subquery()
    )
    for theatre_id, name, starts_at, tickets, revenue, _rank in session.execute(
        select(best).where(best.c.rank <= 3).order_by(best.c.theatre_id, best.c.rank)
    ):
        theatres[theatre_id].best.append(ShowLine(name, starts_at, int(tickets), int(revenue)))
    day = local_date(session, Booking.created_at, tz_name).label('day')
    for theatre_id, day_text, tickets in session.execute(
        select(Show.theatre_id, day, func.sum(Booking.booked_tickets))
        .join(Show, Show.id == Booking.show_id)
        .where(in_month)
        .group_by(Show.theatre_id, day)
    ):
        theatres[theatre_id].per_day[dt.date.fromisoformat(day_text)] = int(tickets)
    # A quiet month (no booking, no performance in any theatre) sends no report of zeros.
    return {
        owner: ManagerReport(items)
        for owner, items in owners.items()
        if any(t.bookings or t.performances for t in items)
    }
