"""Booking and cancelling: the seat count is changed by one conditional UPDATE, never read-then-write."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, Update, bindparam, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from models import (
    AuditAction,
    Booking,
    BookingStatus,
    Show,
    ShowSeating,
    ShowStatus,
    Theatre,
    Ticket,
    TicketStatus,
    User,
)
from models.db import get_by_id, is_valid_id, utcnow
from models.seat import seat_name
from models.show import show_alone
from services import audit, freed, metrics, seating
from services import tickets as tickets_service
from services.access import may_work_door
from services.auth import load_actor
from services.errors import Conflict, Invalid, NotFound, Unauthenticated
from services.formats import theatre_tz
from services.hooks import on_commit
from services.mail import booking_mail
from services.search import seats_changed
from services.show_lock import lock_show
from services.validation import Checker, FormNumber

MAX_TICKETS_PER_BOOKING = 10
CANCELLED = 'This performance has been cancelled; it can no longer be booked.'
STARTED = 'This show has already started; it can no longer be booked.'


@dataclass(frozen=True)
class SeatRef:
    id: int
    section: str
    row: str
    label: str

    @property
    def name(self) -> str:
        return seat_name(self.section, self.row, self.label)


@dataclass(frozen=True)
class TicketView:
    id: int
    code: str
    seat_id: int | None
    price_cents: int
    status: TicketStatus
    checked_in_at: dt.datetime | None
    seat_ref: SeatRef | None = None  # None for general admission

    @property
    def seat(self) -> str | None:
        """'Stalls C7'; None for general admission."""
        return None if self.seat_ref is None else self.seat_ref.name

    @classmethod
    def of(cls, ticket: Ticket) -> TicketView:
        seat = ticket.seat
        return cls(
            id=ticket.id,
            code=ticket.code,
            seat_id=ticket.seat_id,
            price_cents=ticket.price_cents,
            status=ticket.status,
            checked_in_at=ticket.checked_in_at,
            seat_ref=None if seat is None else SeatRef(seat.id, seat.section, seat.row, seat.label),
        )


@dataclass(frozen=True)
class BookingView:
    id: int
    reference: str
    show_id: int
    show_name: str
    theatre_name: str
    place: str
    starts_at: dt.datetime
    booked_tickets: int
    price_cents: int
    total_cents: int
    status: BookingStatus
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
    tickets: tuple[TicketView, ...] = ()
    show_cancel_reason: str | None = None  # the reason, when the whole performance was called off
    theatre_timezone: str | None = None  # an IANA name; None: the app's

    @property
    def tz(self) -> dt.tzinfo:
        """The theatre's time zone, which the show's time reads in."""
        return theatre_tz(self.theatre_timezone)

    @property
    def unit_price_cents(self) -> int | None:
        """The price of each ticket when they all cost the same, else None (seats in differently priced sections)."""
        prices = {t.price_cents for t in self.tickets} or {self.price_cents}
        return self.price_cents if len(prices) == 1 else None

    @property
    def seats(self) -> list[str]:
        """The seats' names in ticket order; empty for general admission."""
        return [t.seat for t in self.tickets if t.seat is not None]

    @property
    def called_off(self) -> bool:
        """The booking went with its performance, which the theatre cancelled."""
        return self.show_cancel_reason is not None

    def can_cancel(self, now: dt.datetime | None = None) -> bool:
        return self.status == BookingStatus.CONFIRMED and self.starts_at > (now or utcnow())

    @classmethod
    def of(cls, booking: Booking, *, tickets: Iterable[Ticket] | None = None) -> BookingView:
        """The view of a booking; `tickets`: its tickets when the caller has them (a booking just made), else
        they are loaded."""
        show = booking.show
        return cls(
            id=booking.id,
            reference=booking.reference,
            show_id=show.id,
            show_name=show.name,
            theatre_name=show.theatre.name,
            place=show.theatre.place,
            starts_at=show.starts_at,
            booked_tickets=booking.booked_tickets,
            price_cents=booking.price_cents,
            total_cents=booking.total_cents,
            status=booking.status,
            created_at=booking.created_at,
            cancelled_at=booking.cancelled_at,
            tickets=tuple(TicketView.of(t) for t in (booking.tickets if tickets is None else tickets)),
            show_cancel_reason=show.cancel_reason if show.cancelled else None,
            theatre_timezone=show.theatre.timezone,
        )


@dataclass(frozen=True)
class MyBookings:
    upcoming: list[BookingView]
    past: list[BookingView]


@metrics.counts_refusals(metrics.REFUSALS)
def book(
    session: Session,
    *,
    show_id: int,
    user_id: int,
    tickets: FormNumber = None,
    seats: object = None,
    now: dt.datetime | None = None,
    send_email: bool = True,
    set_aside: bool = False,
) -> BookingView:
    """Sell `tickets` seats of a show to a user, or refuse; never more than the show has. A reserved show sells
    the `seats` asked for (all or none), or the best `tickets` seats together. The buyer's confirmation email is
    queued in the same transaction unless `send_email` is false (demo data). `set_aside`: the tickets are those a
    waiting-list offer set aside for this buyer (the caller checked the offer). Counted in the metrics: a sale
    once its transaction commits, a refusal by its reason."""
    now = now or utcnow()
    # The buyer is held here: the session keeps its objects only while something refers to them, and the audit
    # event and the email row look the buyer up in it.
    buyer, show, reserved = _buyer_and_show(session, user_id=user_id, show_id=show_id)
    if show.cancelled:
        raise Conflict(CANCELLED, reason='cancelled')
    chosen: seating.Chosen | None = None
    if reserved and seats is not None:
        chosen = seating.check_choice(session, show, seats, high=MAX_TICKETS_PER_BOOKING)
        count = len(chosen.seat_ids)
    elif seats is not None:
        raise Invalid({'seats': 'This show has no reserved seats: ask for a number of tickets instead.'})
    else:
        check = Checker()
        count = check.integer('tickets', tickets, label='Number of tickets', low=1, high=MAX_TICKETS_PER_BOOKING)
        check.done()
    if show.starts_at <= now:
        raise Conflict(STARTED, reason='started')
    booking = Booking(
        reference=tickets_service.new_reference(session),
        user_id=user_id,
        show_id=show.id,
        booked_tickets=count,
        price_cents=show.price_cents,
        total_cents=show.price_cents * count,
        status=BookingStatus.CONFIRMED,
        created_at=now,
    )
    seat_prices = None
    if reserved:  # the seats first, so that a refusal names the seats that were taken
        session.add(booking)
        session.flush()
        chosen = seating.sell(
            session, show=show, booking=booking, user_id=user_id, chosen=chosen, count=count, now=now, offer=set_aside
        )
        seat_prices = chosen.prices
    price_cents = _take_from_count(session, show, count, now, set_aside=set_aside)
    booking.price_cents, booking.total_cents = price_cents, price_cents * count
    if seat_prices:
        booking.price_cents, booking.total_cents = min(seat_prices.values()), sum(seat_prices.values())
    session.add(booking)
    session.flush()  # its id, for what follows
    with session.no_autoflush:  # the tickets, the audit event and the email go in one flush, not one each
        issued = tickets_service.issue(session, booking, count=count, price_cents=price_cents, seats=seat_prices)
        audit.record(session, actor_id=buyer.id, action=AuditAction.BOOKING_CREATED, target=booking)
        if send_email:
            booking_mail.queue_confirmation(session, booking, now=now)  # one row; composed when sent
    session.flush()
    # The counts were changed by the UPDATE, behind the ORM's back: read again if anyone in this transaction asks.
    session.expire(show, ['tickets_sold', 'tickets_offered'])
    seats_changed(session, show_id=show.id, theatre_id=show.theatre_id)  # not the listing: it reads counts fresh
    on_commit(session, functools.partial(metrics.count_booking, count, reserved=reserved))
    return BookingView.of(booking, tickets=issued)  # what this transaction wrote: nothing read back


# Built once: a statement made anew for every booking costs more to build and key for the compiled-SQL cache than
# SQLite takes to run it.
_BUYER_AND_SHOW = (
    select(User, Show, ShowSeating.show_id)
    .select_from(User)
    .outerjoin(Show, Show.id == bindparam('show_id'))
    .outerjoin(ShowSeating, ShowSeating.show_id == Show.id)
    # The show's tags, section prices and seating row and its theatre's seat map load when asked for (a reserved
    # booking asks), not with every booking (four more queries, selectin being their default).
    .options(joinedload(Show.theatre).lazyload(Theatre.seat_map), *show_alone())
    .where(User.id == bindparam('user_id'))
)


def _buyer_and_show(session: Session, *, user_id: int, show_id: object) -> tuple[User, Show, bool]:
    """The buyer, the show (with its theatre) and whether its seats are reserved, in one query that also checks the
    buyer is an active account (`load_actor`'s rule). While the caller holds them, the buyer and the show stay in the
    session for what follows (the audit event, the outbox row) to find without another query."""
    if not is_valid_id(show_id):
        load_actor(session, user_id)
        raise NotFound('No such show.')
    row = session.execute(_BUYER_AND_SHOW, {'user_id': user_id, 'show_id': show_id}).first()
    if row is None or not row[0].is_active:
        raise Unauthenticated('Please log in again.')
    if row[1] is None:
        raise NotFound('No such show.')
    return row[0], row[1], row[2] is not None


def _take(fits: ColumnElement[bool], **values: object) -> Update:
    """The conditional UPDATE that takes `count` tickets of a show, built once (see _BUYER_AND_SHOW)."""
    return (
        update(Show)
        .where(
            Show.id == bindparam('show_id'),
            fits,
            Show.starts_at > bindparam('now'),
            Show.status == ShowStatus.SCHEDULED,
        )
        .values(**values)
        .returning(Show.price_cents)
        .execution_options(synchronize_session=False)
    )


_COUNT = bindparam('count', type_=Integer)
_TAKE = _take(
    Show.tickets_sold + Show.tickets_offered + _COUNT <= Show.num_tickets, tickets_sold=Show.tickets_sold + _COUNT
)
_TAKE_SET_ASIDE = _take(
    Show.tickets_offered >= _COUNT,
    tickets_sold=Show.tickets_sold + _COUNT,
    tickets_offered=Show.tickets_offered - _COUNT,
)


def _take_from_count(session: Session, show: Show, count: int, now: dt.datetime, *, set_aside: bool = False) -> int:
    """Take `count` from the show's tickets left (from those set aside for an offer, if `set_aside`), or refuse;
    the show's ticket price. The check and the write are one statement, so concurrent buyers are serialised by the
    database; tickets set aside for waiting-list offers are not for sale."""
    statement = _TAKE_SET_ASIDE if set_aside else _TAKE
    price_cents = session.execute(statement, {'show_id': show.id, 'count': count, 'now': now}).scalar_one_or_none()
    if price_cents is None:
        session.refresh(show)
        if show.cancelled:
            raise Conflict(CANCELLED, reason='cancelled')
        if show.starts_at <= now:
            raise Conflict(STARTED, reason='started')
        if set_aside:
            raise Conflict('The tickets set aside for this offer are gone; the offer has expired.', reason='offer_gone')
        left = show.tickets_left
        raise Conflict(
            'Housefull: no tickets left.' if left <= 0 else f'Not enough tickets left: only {left} left.',
            field='tickets',
            reason='sold_out',
        )
    return int(price_cents)


def cancel_booking(session: Session, *, booking_id: int, user_id: int, now: dt.datetime | None = None) -> BookingView:
    """Cancel one's own upcoming booking; its seats go back on sale in the same transaction."""
    now = now or utcnow()
    load_actor(session, user_id)
    booking = get_by_id(session, Booking, booking_id)
    if booking is None or booking.user_id != user_id:
        raise NotFound('No such booking.')
    if booking.status != BookingStatus.CONFIRMED:
        raise Conflict('This booking is already cancelled.')
    if booking.show.starts_at <= now:
        raise Conflict('This show has already started; the booking can no longer be cancelled.')
    lock_show(session, booking.show)  # the order a cancelled performance takes: show first, then its bookings
    cancelled = session.execute(
        update(Booking)
        .where(Booking.id == booking.id, Booking.status == BookingStatus.CONFIRMED)
        .values(status=BookingStatus.CANCELLED, cancelled_at=now)
        .returning(Booking.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if cancelled is None:  # a concurrent cancel won: release the seats only once
        raise Conflict('This booking is already cancelled.')
    tickets_service.void(session, booking_id=booking.id)
    if seating.is_reserved(session, booking.show_id):
        seating.release_sold(session, booking_id=booking.id, show_id=booking.show_id)
    session.execute(
        update(Show)
        .where(Show.id == booking.show_id)
        .values(tickets_sold=Show.tickets_sold - booking.booked_tickets)
        .execution_options(synchronize_session=False)
    )
    audit.record(session, actor_id=user_id, action=AuditAction.BOOKING_CANCELLED, target=booking)
    booking_mail.queue_cancellation(session, booking, now=now)
    freed.tickets_freed(session, booking.show_id)
    session.flush()
    session.refresh(booking)
    seats_changed(session, show_id=booking.show_id, theatre_id=booking.show.theatre_id)
    return BookingView.of(booking)


def get_booking(session: Session, *, booking_id: int, actor_id: int) -> BookingView:
    """One booking with its tickets, for its owner, an admin, or the show's theatre's manager or door staff (the
    door looks a scanned ticket's booking up; a booking view holds no personal data beyond the booking itself)."""
    actor = load_actor(session, actor_id)
    booking = get_by_id(session, Booking, booking_id)
    if booking is None:
        raise NotFound('No such booking.')
    allowed = booking.user_id == actor.id or may_work_door(session, actor, booking.show.theatre)
    if not allowed:
        raise NotFound('No such booking.')  # as if it did not exist
    return BookingView.of(booking)


def my_bookings(session: Session, *, user_id: int, now: dt.datetime | None = None) -> MyBookings:
    """A person's bookings: upcoming shows soonest first, past ones most recent first."""
    now = now or utcnow()
    load_actor(session, user_id)
    rows = session.scalars(
        select(Booking)
        .join(Show)
        .where(Booking.user_id == user_id)
        .options(joinedload(Booking.show).joinedload(Show.theatre), selectinload(Booking.tickets))
        .order_by(Show.starts_at, Booking.id)
    ).all()
    views = [BookingView.of(b) for b in rows]
    return MyBookings(
        upcoming=[v for v in views if v.starts_at > now], past=[v for v in reversed(views) if v.starts_at <= now]
    )


def booking_history(session: Session, *, user_id: int, limit: int = 50, offset: int = 0) -> list[BookingView]:
    """A person's bookings, newest first, a page at a time."""
    load_actor(session, user_id)
    if not 1 <= limit <= 100 or offset < 0:
        raise Invalid({'limit': 'limit must be 1–100 and offset not negative.'})
    rows = session.scalars(
        select(Booking)
        .where(Booking.user_id == user_id)
        .options(joinedload(Booking.show).joinedload(Show.theatre), selectinload(Booking.tickets))
        .order_by(Booking.created_at.desc(), Booking.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [BookingView.of(b) for b in rows]


__all__ = [
    'BookingView',
    'MyBookings',
    'TicketView',
    'book',
    'booking_history',
    'cancel_booking',
    'get_booking',
    'my_bookings',
]
