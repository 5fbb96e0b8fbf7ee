"""What the emails say: the daily reminder's picks and the monthly reports' figures, read a page of people at a time.

Months and days are the app's time zone's: a booking at 23:30 on 31 October in Kolkata belongs to
October even though it is 1 November in UTC. Every figure is an SQL aggregate over one page of
recipients; every piece of user text is escaped before it goes into HTML.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Exists, Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from models import Booking, Show, ShowRating, ShowTag, Theatre, User
from models.db import local_date
from services.formats import money, when

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


@dataclass(frozen=True)
class BookingLine:
    show: str
    theatre: str
    starts_at: dt.datetime
    tickets: int
    total_cents: int


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

    @property
    def occupancy(self) -> float | None:
        """Seats sold over seats offered for the shows that took place this month (None when none did)."""
        return self.seats_sold / self.seats_offered if self.seats_offered else None


@dataclass(frozen=True)
class ManagerReport:
    theatres: list[TheatreMonth]

    def total(self, name: str) -> int:
        return sum(getattr(t, name) for t in self.theatres)


# --- periods -----------------------------------------------------------------------------------------


def parse_month(text: object) -> tuple[int, int]:
    """'2026-10' → (2026, 10); ValueError with a readable message otherwise."""
    if not isinstance(text, str) or len(text) != 7 or text[4] != '-':
        raise ValueError(f'{text!r} is not a month: use YYYY-MM, e.g. 2026-10')
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12 or year < 2000:
        raise ValueError(f'{text!r} is not a month: use YYYY-MM, e.g. 2026-10')
    return year, month


def month_bounds(month: str, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The first moment of the month and of the next one, in UTC, for the month as the time zone sees it."""
    year, number = parse_month(month)
    start = dt.datetime(year, number, 1, tzinfo=tz)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def previous_month(now: dt.datetime, tz: ZoneInfo) -> str:
    first = now.astimezone(tz).date().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime('%Y-%m')


def month_name(month: str) -> str:
    year, number = parse_month(month)
    return f'{calendar.month_name[number]} {year}'


# --- recipients --------------------------------------------------------------------------------------


def recipients_page(
    session: Session, *, roles: Iterable[str], wants: str, after_id: int, extra: ColumnElement[bool] | None = None
) -> list[Recipient]:
    """The next page of active people of these roles who want this kind of email, by id."""
    query = (
        select(User.id, User.username, User.name, User.email, User.role)
        .where(User.id > after_id, User.is_active, getattr(User, wants), User.role.in_(tuple(roles)))
        .order_by(User.id)
        .limit(PAGE_SIZE)
    )
    if extra is not None:
        query = query.where(extra)
    return [Recipient(*row) for row in session.execute(query)]


def booked_since(since: dt.datetime) -> Exists:
    """A condition: the person has a confirmed booking made at or after `since`."""
    return exists().where(Booking.user_id == User.id, Booking.status == 'confirmed', Booking.created_at >= since)


# --- the daily reminder ------------------------------------------------------------------------------


def _pick_query(now: dt.datetime, horizon: dt.timedelta) -> Select[int, str, str, str, dt.datetime, int, int]:
    return (
        select(
            Show.id,
            Show.name,
            Theatre.name,
            Theatre.place,
            Show.starts_at,
            Show.price_cents,
            Show.num_tickets - Show.tickets_sold,
        )
        .join(Theatre, Theatre.id == Show.theatre_id)
        .where(Show.starts_at > now, Show.starts_at <= now + horizon, Show.tickets_sold < Show.num_tickets)
    )


def popular_soon(session: Session, *, now: dt.datetime, limit: int = 40) -> list[Pick]:
    """The best-selling shows of the next two weeks that still have seats: the picks for people we know little of."""
    query = _pick_query(now, dt.timedelta(days=14)).order_by(Show.tickets_sold.desc(), Show.starts_at, Show.id)
    return [Pick(*row) for row in session.execute(query.limit(limit))]


def picks_for(session: Session, *, user_id: int, now: dt.datetime, popular: list[Pick]) -> list[Pick]:
    """Upcoming shows in the person's usual places and tags (from their bookings), topped up with popular ones."""
    mine = select(Booking.show_id).where(Booking.user_id == user_id, Booking.status == 'confirmed')
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
    """Each person's confirmed bookings made in the month and the shows they rated in it (nobody with neither)."""
    start, end = month_bounds(month, tz)
    bookings: dict[int, list[BookingLine]] = {}
    for user_id, show, theatre, starts_at, tickets, total in session.execute(
        select(Booking.user_id, Show.name, Theatre.name, Show.starts_at, Booking.booked_tickets, Booking.total_cents)
        .join(Show, Show.id == Booking.show_id)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .where(
            Booking.user_id.in_(user_ids),
            Booking.status == 'confirmed',
            Booking.created_at >= start,
            Booking.created_at < end,
        )
        .order_by(Booking.user_id, Booking.created_at, Booking.id)
    ):
        bookings.setdefault(user_id, []).append(BookingLine(show, theatre, starts_at, tickets, total))
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
    for theatre_id, owner_id, name, place in session.execute(
        select(Theatre.id, Theatre.owner_id, Theatre.name, Theatre.place)
        .where(Theatre.owner_id.in_(user_ids))
        .order_by(Theatre.name, Theatre.id)
    ):
        theatres[theatre_id] = TheatreMonth(theatre_id, name, place)
        owners.setdefault(owner_id, []).append(theatres[theatre_id])
    if not theatres:
        return {}
    in_month = and_(
        Booking.status == 'confirmed',
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
        .where(Show.theatre_id.in_(theatres), Show.starts_at >= start, Show.starts_at < end)
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


# --- rendering ---------------------------------------------------------------------------------------

BRAND = '#4c1d95'


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str, *, footer: str) -> str:
    return (
        '<!doctype html><html><body style="margin:0;background:#f5f3ff;font-family:Arial,Helvetica,sans-serif;'
        'color:#1f2937">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;'
        'background:#ffffff;margin:16px 0;border-radius:8px">'
        f'<tr><td style="background:{BRAND};color:#ffffff;padding:16px 24px;font-size:20px;font-weight:bold;'
        f'border-radius:8px 8px 0 0">TicketShow</td></tr>'
        f'<tr><td style="padding:24px"><h1 style="font-size:20px;margin:0 0 16px">{_e(title)}</h1>{body}</td></tr>'
        '<tr><td style="padding:16px 24px;font-size:12px;color:#6b7280;border-top:1px solid #e5e7eb">'
        f'{footer}</td></tr>'
        '</table></td></tr></table></body></html>'
    )


def _table(headers: list[str], rows: list[list[str]], *, right: frozenset[int] = frozenset()) -> str:
    def cell(tag: str, value: str, index: int) -> str:
        align = 'right' if index in right else 'left'
        return f'<{tag} style="text-align:{align};padding:6px 8px;border-bottom:1px solid #e5e7eb">{value}</{tag}>'

    head = ''.join(cell('th', _e(h), i) for i, h in enumerate(headers))
    body = ''.join('<tr>' + ''.join(cell('td', v, i) for i, v in enumerate(row)) + '</tr>' for row in rows)
    return (
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        f'style="border-collapse:collapse;font-size:14px;margin:0 0 16px"><tr>{head}</tr>{body}</table>'
    )


def _footer(*, kind_text: str, unsubscribe_url: str, account_url: str) -> tuple[str, str]:
    text = (
        f'You get {kind_text} because you asked for them on TicketShow.\n'
        f'Stop them (no login needed): {unsubscribe_url}\nChoose what you get: {account_url}\n'
    )
    html_text = (
        f'You get {_e(kind_text)} because you asked for them on TicketShow. '
        f'<a href="{_e(unsubscribe_url)}" style="color:{BRAND}">Stop them</a> · '
        f'<a href="{_e(account_url)}" style="color:{BRAND}">choose what you get</a>'
    )
    return text, html_text


def render_reminder(recipient: Recipient, picks: list[Pick], *, base_url: str, unsubscribe_url: str) -> Rendered:
    first = recipient.name.split()[0] if recipient.name.split() else recipient.name
    intro = f'Hello {first}, here are a few shows coming up that we think you will like.'
    lines = [
        f'- {p.name} at {p.theatre}, {p.place}: {when(p.starts_at)}, {money(p.price_cents)}, '
        f'{p.tickets_left:,} tickets left. {base_url}/shows/{p.show_id}'
        for p in picks
    ]
    footer_text, footer_html = _footer(
        kind_text='daily reminders', unsubscribe_url=unsubscribe_url, account_url=f'{base_url}/account'
    )
    text = '\n'.join([intro, '', *lines, '', f'All shows: {base_url}/', '', footer_text])
    cards = ''.join(
        f'<tr><td style="padding:10px 0;border-bottom:1px solid #e5e7eb">'
        f'<a href="{_e(base_url)}/shows/{p.show_id}" style="font-size:16px;font-weight:bold;color:{BRAND};'
        f'text-decoration:none">{_e(p.name)}</a><br>'
        f'<span style="font-size:14px">{_e(p.theatre)} · {_e(p.place)} · {_e(when(p.starts_at))}</span><br>'
        f'<span style="font-size:14px">{_e(money(p.price_cents))} · {p.tickets_left:,} tickets left</span></td></tr>'
        for p in picks
    )
    body = (
        f'<p style="font-size:14px">{_e(intro)}</p>'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0">{cards}</table>'
        f'<p style="margin-top:20px"><a href="{_e(base_url)}/" style="background:{BRAND};color:#ffffff;'
        f'padding:10px 16px;border-radius:6px;text-decoration:none;font-weight:bold">See all shows</a></p>'
    )
    return Rendered('Shows coming up for you', text, _page('Shows coming up for you', body, footer=footer_html))


def render_audience_report(
    recipient: Recipient,
    report: AudienceReport,
    *,
    month: str,
    base_url: str,
    unsubscribe_url: str,
) -> Rendered:
    title = f'Your {month_name(month)} at TicketShow'
    summary = (
        f'{len(report.bookings)} booking(s), {report.tickets} ticket(s), {money(report.total_cents)} in all.'
        if report.bookings
        else 'No bookings this month.'
    )
    text_lines = [title, '', summary, '']
    body = f'<p style="font-size:14px">{_e(summary)}</p>'
    if report.bookings:
        text_lines += ['Bookings:'] + [
            f'- {b.show} at {b.theatre}, {when(b.starts_at)}: {b.tickets} ticket(s), {money(b.total_cents)}'
            for b in report.bookings
        ]
        body += _table(
            ['Show', 'Theatre', 'Date', 'Tickets', 'Amount'],
            [
                [_e(b.show), _e(b.theatre), _e(when(b.starts_at)), str(b.tickets), _e(money(b.total_cents))]
                for b in report.bookings
            ]
            + [['<b>Total</b>', '', '', f'<b>{report.tickets}</b>', f'<b>{_e(money(report.total_cents))}</b>']],
            right=frozenset({3, 4}),
        )
        text_lines += [f'Total: {report.tickets} ticket(s), {money(report.total_cents)}', '']
    if report.ratings:
        text_lines += ['Shows you rated:'] + [f'- {r.show} at {r.theatre}: {r.score}/5' for r in report.ratings]
        body += '<h2 style="font-size:16px">Shows you rated</h2>' + _table(
            ['Show', 'Theatre', 'Your rating'],
            [[_e(r.show), _e(r.theatre), '★' * r.score + '☆' * (5 - r.score)] for r in report.ratings],
        )
        text_lines.append('')
    footer_text, footer_html = _footer(
        kind_text='monthly reports', unsubscribe_url=unsubscribe_url, account_url=f'{base_url}/account'
    )
    text_lines += [f'Your bookings: {base_url}/bookings', '', footer_text]
    return Rendered(title, '\n'.join(text_lines), _page(title, body, footer=footer_html))


def render_manager_report(
    recipient: Recipient,
    report: ManagerReport,
    *,
    month: str,
    base_url: str,
    unsubscribe_url: str,
    chart_cid: str,
) -> Rendered:
    title = f'{month_name(month)}: how your theatres did'
    totals = (
        f'{report.total("bookings")} booking(s), {report.total("tickets")} ticket(s), '
        f'{money(report.total("revenue_cents"))} revenue across {len(report.theatres)} theatre(s).'
    )
    text_lines = [title, '', totals, '']
    rows = []
    for t in report.theatres:
        occupancy = f'{t.occupancy:.0%}' if t.occupancy is not None else 'no shows'
        text_lines.append(
            f'{t.name} ({t.place}): {t.tickets} ticket(s), {money(t.revenue_cents)}, '
            f"occupancy of the month's {t.performances} show(s): {occupancy}"
        )
        text_lines += [
            f'  best: {s.name}, {when(s.starts_at)}: {s.tickets} ticket(s), {money(s.revenue_cents)}' for s in t.best
        ]
        best = '<br>'.join(f'{_e(s.name)} ({s.tickets})' for s in t.best) or '—'
        rows.append(
            [f'<b>{_e(t.name)}</b><br>{_e(t.place)}', str(t.tickets), _e(money(t.revenue_cents)), occupancy, best]
        )
    body = (
        f'<p style="font-size:14px">{_e(totals)}</p>'
        + _table(['Theatre', 'Tickets', 'Revenue', 'Occupancy', 'Best shows'], rows, right=frozenset({1, 2, 3}))
        + f'<img src="cid:{_e(chart_cid)}" alt="Tickets booked per day in {_e(month_name(month))}" width="560" '
        'style="max-width:100%;height:auto;border:1px solid #e5e7eb;border-radius:6px">'
        f'<p style="font-size:12px;color:#6b7280">Occupancy: seats sold of seats offered for the shows that took '
        f'place in {_e(month_name(month))}.</p>'
        f'<p><a href="{_e(base_url)}/summary" style="color:{BRAND}">Open your summary</a></p>'
    )
    footer_text, footer_html = _footer(
        kind_text='monthly reports', unsubscribe_url=unsubscribe_url, account_url=f'{base_url}/account'
    )
    text_lines += ['', f'Your summary: {base_url}/summary', '', footer_text]
    return Rendered(title, '\n'.join(text_lines), _page(title, body, footer=footer_html))
