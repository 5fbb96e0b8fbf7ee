"""Holds: the seats a buyer has chosen, kept for them while they pay (`TICKETSHOW_HOLD_MINUTES`, 10 by default).

A person has at most one hold per show: choosing again replaces it (in one transaction, so the old seats stay
held if the new ones cannot be had), and the basket's clock keeps running rather than starting over. Booking a
hold sells exactly its seats. A hold past its expiry frees its seats at once for everyone (claims count it as
free); the elected scheduler instance deletes the claims of expired holds and tells the pickers, and keeps the
hold itself for a day, so that booking it still answers "expired" rather than "no such hold".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import ClaimKind, Seat, SeatClaim, SeatHold, Show, WaitlistEntry
from models.db import get_by_id, utcnow
from models.seat import seat_name
from services import booking as booking_service
from services import freed, metrics
from services.auth import load_actor
from services.config import get_settings
from services.errors import Conflict, NotFound
from services.hooks import on_commit
from services.seating import claims
from services.seating.seats import check_choice, prices, reserved_show

EXPIRED = 'Your hold has expired and its seats were released; please choose your seats again.'
KEPT_AFTER_EXPIRY = dt.timedelta(days=1)


@dataclass(frozen=True)
class HeldSeat:
    id: int
    section: str
    row: str
    label: str
    price_cents: int

    @property
    def name(self) -> str:
        return seat_name(self.section, self.row, self.label)


@dataclass(frozen=True)
class HoldView:
    id: int
    show_id: int
    seats: tuple[HeldSeat, ...]
    expires_at: dt.datetime

    @property
    def total_cents(self) -> int:
        return sum(seat.price_cents for seat in self.seats)

    def seconds_left(self, now: dt.datetime | None = None) -> int:
        return max(0, int((self.expires_at - (now or utcnow())).total_seconds()))


def _view(session: Session, hold: SeatHold) -> HoldView:
    show = session.get(Show, hold.show_id)
    assert show is not None
    section_prices = prices(session, show)
    seats = session.scalars(
        select(Seat)
        .join(SeatClaim, SeatClaim.seat_id == Seat.id)
        .where(SeatClaim.hold_id == hold.id, SeatClaim.kind == ClaimKind.HELD)
        .order_by(Seat.section_no, Seat.row_no, Seat.seat_no)
    ).all()
    held = tuple(
        HeldSeat(s.id, s.section, s.row, s.label, section_prices.get(s.section, show.price_cents)) for s in seats
    )
    return HoldView(hold.id, hold.show_id, held, hold.expires_at)


def for_offers() -> Any:
    """The holds that set seats aside for waiting-list offers: they belong to their offer (accepted, declined or
    expired through it), not to the person's basket."""
    return SeatHold.id.in_(
        select(WaitlistEntry.hold_id).where(
            WaitlistEntry.show_id == SeatHold.show_id, WaitlistEntry.hold_id.is_not(None)
        )
    )


def _own_hold(session: Session, hold_id: object, user_id: int) -> SeatHold:
    hold = get_by_id(session, SeatHold, hold_id)
    if hold is None or hold.user_id != user_id or session.scalar(select(for_offers()).where(SeatHold.id == hold.id)):
        raise NotFound('No such hold.')  # someone else's hold is reported as missing
    return hold


def _drop(session: Session, holds: list[SeatHold]) -> None:
    """Delete holds and their claims (the caller holds the show's lock)."""
    if not holds:
        return
    ids = [hold.id for hold in holds]
    session.execute(delete(SeatClaim).where(SeatClaim.hold_id.in_(ids)).execution_options(synchronize_session=False))
    session.execute(delete(SeatHold).where(SeatHold.id.in_(ids)).execution_options(synchronize_session=False))
    for hold in holds:
        if hold in session:
            session.expunge(hold)


def hold_seats(
    session: Session, *, show_id: int, user_id: int, seats: object, now: dt.datetime | None = None
) -> HoldView:
    """Hold 1–10 seats of a reserved show for the person, all or none (`SeatsTaken` names those not free)."""
    now = now or utcnow()
    load_actor(session, user_id)
    show = reserved_show(session, show_id)
    if show.cancelled:
        raise Conflict(booking_service.CANCELLED)
    if show.starts_at <= now:
        raise Conflict(booking_service.STARTED)
    chosen = check_choice(session, show, seats)
    claims.lock(session, show.id)
    previous = list(
        session.scalars(select(SeatHold).where(SeatHold.show_id == show.id, SeatHold.user_id == user_id, ~for_offers()))
    )
    live = [hold.expires_at for hold in previous if hold.expires_at > now]
    fresh = now + dt.timedelta(minutes=get_settings().hold_minutes)
    expires_at = min([fresh, show.starts_at, *live])
    _drop(session, previous)
    hold = SeatHold(
        show_id=show.id, user_id=user_id, seat_count=len(chosen.seat_ids), created_at=now, expires_at=expires_at
    )
    session.add(hold)
    session.flush()
    claims.claim(
        session,
        show_id=show.id,
        seat_ids=chosen.seat_ids,
        kind=ClaimKind.HELD,
        user_id=user_id,
        hold_id=hold.id,
        expires_at=expires_at,
        now=now,
    )
    on_commit(session, metrics.SEAT_HOLDS.inc)
    return _view(session, hold)


def get_hold(session: Session, *, hold_id: int, user_id: int) -> HoldView:
    load_actor(session, user_id)
    return _view(session, _own_hold(session, hold_id, user_id))


def current_hold(session: Session, *, show_id: int, user_id: int, now: dt.datetime | None = None) -> HoldView | None:
    """The person's hold on the show that has not expired, if any (a picker reopened picks up its basket)."""
    now = now or utcnow()
    hold = session.scalars(
        select(SeatHold).where(
            SeatHold.show_id == show_id, SeatHold.user_id == user_id, SeatHold.expires_at > now, ~for_offers()
        )
    ).first()
    return None if hold is None else _view(session, hold)


def release_hold(session: Session, *, hold_id: int, user_id: int) -> None:
    """Let go of one's hold: its seats are free again at once."""
    load_actor(session, user_id)
    hold = _own_hold(session, hold_id, user_id)
    show_id = hold.show_id
    claims.lock(session, show_id)
    _drop(session, [hold])
    claims.bump(session, show_id)
    freed.tickets_freed(session, show_id)


def book_hold(
    session: Session, *, hold_id: int, user_id: int, now: dt.datetime | None = None, send_email: bool = True
) -> booking_service.BookingView:
    """Book exactly the held seats; refused (409) once the hold has expired, even if its seats are still free."""
    now = now or utcnow()
    load_actor(session, user_id)
    hold = _own_hold(session, hold_id, user_id)
    if hold.expires_at <= now:
        raise Conflict(EXPIRED)
    seat_ids = list(
        session.scalars(select(SeatClaim.seat_id).where(SeatClaim.hold_id == hold.id, SeatClaim.kind == ClaimKind.HELD))
    )
    if len(seat_ids) != hold.seat_count:
        raise Conflict(EXPIRED)
    view = booking_service.book(
        session, show_id=hold.show_id, user_id=user_id, seats=seat_ids, now=now, send_email=send_email
    )
    _drop(session, [hold])  # its claims are sales now: only the hold itself goes
    return view


def expire_holds(session: Session, *, now: dt.datetime | None = None) -> int:
    """Free the seats of holds past their expiry and tell their shows' pickers; holds expired over a day ago go
    too. The number of holds whose seats were freed."""
    now = now or utcnow()
    expired = session.execute(
        select(SeatClaim.show_id, func.count(func.distinct(SeatClaim.hold_id)))
        .where(SeatClaim.kind == ClaimKind.HELD, SeatClaim.expires_at <= now)
        .group_by(SeatClaim.show_id)
        .order_by(SeatClaim.show_id)
    ).all()
    for show_id, _count in expired:  # one show at a time, in id order, each under its lock
        claims.lock(session, show_id)
        session.execute(
            delete(SeatClaim)
            .where(SeatClaim.show_id == show_id, SeatClaim.kind == ClaimKind.HELD, SeatClaim.expires_at <= now)
            .execution_options(synchronize_session=False)
        )
        claims.bump(session, show_id)
        freed.tickets_freed(session, show_id)
    session.execute(
        delete(SeatHold)
        .where(SeatHold.expires_at <= now - KEPT_AFTER_EXPIRY)
        .execution_options(synchronize_session=False)
    )
    return sum(int(count) for _, count in expired)
