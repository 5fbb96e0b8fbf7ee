"""Cancelling a performance: every confirmed booking and its tickets cancelled in one transaction, the waiting
list closed, and each person who held bookings told once, with the reason.

The show stays (its bookers still see it, marked cancelled), leaves the listing, can no longer be booked or
changed, and counts nowhere as sold: its sold and set-aside counts go to zero with its bookings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from models import (
    AuditAction,
    Booking,
    BookingStatus,
    ClaimKind,
    SeatClaim,
    SeatHold,
    Show,
    ShowStatus,
    Ticket,
    TicketStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from models.db import utcnow
from services import audit
from services.access import managed_show
from services.auth import load_actor
from services.cache import invalidate_after_commit
from services.errors import Conflict
from services.mail import waitlist_mail
from services.seating import claims, is_reserved
from services.show_lock import lock_show
from services.shows import ShowView, show_view
from services.validation import Checker, FormText

REASON_LENGTH = 500
LIVE = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


@dataclass(frozen=True)
class Affected:
    """What cancelling the show would touch, for the confirmation dialog."""

    bookings: int
    people: int
    tickets: int
    waiting: int  # waiting-list entries still waiting or offered


def affected(session: Session, *, actor_id: int, show_id: object) -> Affected:
    show = managed_show(session, load_actor(session, actor_id), show_id if isinstance(show_id, int) else None)
    bookings, people, tickets = session.execute(
        select(
            func.count(Booking.id),
            func.count(func.distinct(Booking.user_id)),
            func.coalesce(func.sum(Booking.booked_tickets), 0),
        ).where(Booking.show_id == show.id, Booking.status == BookingStatus.CONFIRMED)
    ).one()
    waiting = session.scalar(
        select(func.count(WaitlistEntry.id)).where(WaitlistEntry.show_id == show.id, WaitlistEntry.status.in_(LIVE))
    )
    return Affected(int(bookings), int(people), int(tickets), int(waiting or 0))


def cancel_show(
    session: Session, *, actor_id: int, show_id: object, reason: FormText, now: dt.datetime | None = None
) -> ShowView:
    """Call the performance off, for its theatre's manager or an admin; refused once it has started."""
    now = now or utcnow()
    show = managed_show(session, load_actor(session, actor_id), show_id if isinstance(show_id, int) else None)
    check = Checker()
    why = check.text('reason', reason, label='Reason', max_len=REASON_LENGTH)
    check.done()
    if show.cancelled:
        raise Conflict('This performance is already cancelled.')
    if show.starts_at <= now:
        raise Conflict('This show has already started; it can no longer be cancelled.')
    reserved = is_reserved(session, show.id)
    lock_show(session, show)
    changed = session.execute(
        update(Show)
        .where(Show.id == show.id, Show.status == ShowStatus.SCHEDULED)
        .values(status=ShowStatus.CANCELLED, cancelled_at=now, cancel_reason=why, tickets_sold=0, tickets_offered=0)
        .returning(Show.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if changed is None:
        raise Conflict('This performance is already cancelled.')
    session.execute(  # first the waiting list: an offer being accepted now has finished (the show's lock)
        update(WaitlistEntry)
        .where(WaitlistEntry.show_id == show.id, WaitlistEntry.status.in_(LIVE))
        .values(status=WaitlistStatus.EXPIRED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    cancelled = session.execute(
        update(Booking)
        .where(Booking.show_id == show.id, Booking.status == BookingStatus.CONFIRMED)
        .values(status=BookingStatus.CANCELLED, cancelled_at=now)
        .returning(Booking.id, Booking.user_id, Booking.booked_tickets)
        .execution_options(synchronize_session=False)
    ).all()
    session.execute(
        update(Ticket)
        .where(Ticket.show_id == show.id, Ticket.status != TicketStatus.CANCELLED)
        .values(status=TicketStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    if reserved:
        session.execute(
            delete(SeatClaim)
            .where(SeatClaim.show_id == show.id, SeatClaim.kind != ClaimKind.BLOCKED)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            delete(SeatHold).where(SeatHold.show_id == show.id).execution_options(synchronize_session=False)
        )
        claims.bump(session, show.id)
    holders: dict[int, int] = {}
    for booking_id, user_id, _tickets in sorted(cancelled):
        holders.setdefault(user_id, booking_id)
    session.refresh(show)
    waitlist_mail.queue_show_cancelled(session, show, holders, now=now)
    audit.record(
        session,
        actor_id=actor_id,
        action=AuditAction.SHOW_CANCELLED,
        target=show,
        changes={
            'reason': why,
            'bookings': len(cancelled),
            'people': len(holders),
            'tickets': sum(row[2] for row in cancelled),
        },
        at=now,
    )
    invalidate_after_commit(session, 'listing', f'show:{show.id!r}', f'theatre:{show.theatre_id!r}')
    return show_view(session, show)
