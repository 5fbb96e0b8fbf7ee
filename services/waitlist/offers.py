"""Offering freed tickets to a show's waiting list, in the order people joined, skipping none that fits.

When tickets come free (a cancellation, more tickets on sale, an expired hold or offer), the entries still waiting
are read in the order they joined and each one whose number of tickets fits what is free gets an offer: those
tickets are set aside for it (general admission: counted in `shows.tickets_offered`; reserved: held as a hold of
the entry's owner, the best seats together) until the offer expires, and an email with the link to accept is queued
in the same transaction. Someone waiting for 4 is never passed over for someone waiting for 1 while 4 are free;
when only 2 are free, the first entry that fits gets them and the 4 stays first in line.

Every change to a show's offers first locks the show (its `show_seating` row first for a reserved show, as
bookings do, then its `shows` row), so offers, acceptances, bookings and cancellations of one show queue up in one
order: two instances running the offers at once give each ticket to one entry, and each entry one offer.
"""

from __future__ import annotations

import datetime as dt
import functools
from itertools import groupby

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import ClaimKind, SeatClaim, SeatHold, Show, ShowStatus, WaitlistEntry, WaitlistStatus
from models.db import get_by_id, utcnow
from services import booking as booking_service
from services import freed, metrics
from services.auth import load_actor
from services.config import get_settings
from services.errors import Conflict
from services.hooks import on_commit
from services.mail import waitlist_mail
from services.search import seats_changed
from services.seating import claims, holds, is_reserved
from services.seating.offer_seats import free_seats, seats_to_offer
from services.show_lock import lock_show
from services.waitlist.entries import own_entry

MIN_OFFER = dt.timedelta(minutes=5)
EXPIRED = 'This offer has expired and its tickets went to the next person in line.'


def offer_expiry(now: dt.datetime, starts_at: dt.datetime, minutes: float) -> dt.datetime:
    """When an offer made at `now` ends: `minutes` at most, a quarter of the time left before the show when that
    is shorter (5 minutes at least), and never after the show starts."""
    window = min(dt.timedelta(minutes=minutes), max(MIN_OFFER, (starts_at - now) / 4))
    return min(now + window, starts_at)


def offer_freed(session: Session, *, show_id: int, now: dt.datetime | None = None) -> list[int]:
    """Offer the show's free tickets to its waiting entries in order, skipping none that fits; the ids of the
    entries offered."""
    now = now or utcnow()
    show = get_by_id(session, Show, show_id)
    if show is None or show.cancelled or show.starts_at <= now:
        return []
    if not _waiting(session, show.id):
        return []
    lock_show(session, show)
    for entry in _offered(session, show.id):  # an offer past its end passes on now, not at the next sweep
        if entry.offer_expires_at is not None and entry.offer_expires_at <= now:
            _close(session, show, entry, WaitlistStatus.EXPIRED, now)
    session.refresh(show)
    waiting = _waiting(session, show.id)
    reserved = is_reserved(session, show.id)
    free = len(free_seats(session, show, now)) if reserved else show.tickets_left
    offered: list[int] = []
    minutes = get_settings().offer_minutes
    for entry in waiting:
        if free <= 0:
            break
        if entry.tickets > free:
            continue  # stays first in line for when enough are free
        expires_at = offer_expiry(now, show.starts_at, minutes)
        try:
            with session.begin_nested():  # the tickets and the seats are set aside together, or neither
                _set_aside(session, show, entry.tickets)
                if reserved:
                    _hold_seats(session, show, entry, expires_at, now)
        except (_NoRoom, Conflict):  # Conflict: a seat taken or off the map after all
            continue
        entry.status = WaitlistStatus.OFFERED
        entry.offered_at = now
        entry.offer_expires_at = expires_at
        entry.offers += 1
        session.flush()
        waitlist_mail.queue_offer(session, entry, show, now=now)
        free -= entry.tickets
        offered.append(entry.id)
    if offered:
        session.refresh(show)
        seats_changed(session, show_id=show.id, theatre_id=show.theatre_id)
        on_commit(session, functools.partial(metrics.WAITLIST_OFFERS.inc, len(offered)))
    return offered


def _waiting(session: Session, show_id: int) -> list[WaitlistEntry]:
    return list(
        session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.show_id == show_id, WaitlistEntry.status == WaitlistStatus.WAITING)
            .order_by(WaitlistEntry.id)
        )
    )


def _offered(session: Session, show_id: int) -> list[WaitlistEntry]:
    return list(
        session.scalars(
            select(WaitlistEntry)
            .where(WaitlistEntry.show_id == show_id, WaitlistEntry.status == WaitlistStatus.OFFERED)
            .order_by(WaitlistEntry.id)
        )
    )


class _NoRoom(Exception):
    """What an offer would set aside is not there (never expected under the show's lock)."""


def _set_aside(session: Session, show: Show, count: int) -> None:
    taken = session.execute(
        update(Show)
        .where(Show.id == show.id, Show.tickets_sold + Show.tickets_offered + count <= Show.num_tickets)
        .values(tickets_offered=Show.tickets_offered + count)
        .returning(Show.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if taken is None:
        raise _NoRoom


def _hold_seats(session: Session, show: Show, entry: WaitlistEntry, expires_at: dt.datetime, now: dt.datetime) -> None:
    """Hold the best free seats for the entry's owner until the offer expires."""
    seat_ids = seats_to_offer(session, show, entry.tickets, now)
    if seat_ids is None:
        raise _NoRoom
    hold = SeatHold(
        show_id=show.id, user_id=entry.user_id, seat_count=len(seat_ids), created_at=now, expires_at=expires_at
    )
    session.add(hold)
    session.flush()
    claims.claim(
        session,
        show_id=show.id,
        seat_ids=seat_ids,
        kind=ClaimKind.HELD,
        user_id=entry.user_id,
        hold_id=hold.id,
        expires_at=expires_at,
        now=now,
    )
    entry.hold_id = hold.id


def _close(session: Session, show: Show, entry: WaitlistEntry, status: WaitlistStatus, now: dt.datetime) -> bool:
    """End an entry (the caller holds the show's lock); an offer's tickets go back (the caller tells the list).
    False when it had already ended."""
    was = entry.status
    changed = session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry.id, WaitlistEntry.status == was)
        .values(status=status, closed_at=now)
        .returning(WaitlistEntry.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if changed is None:
        return False
    if was == WaitlistStatus.OFFERED:
        session.execute(
            update(Show)
            .where(Show.id == show.id)
            .values(tickets_offered=Show.tickets_offered - entry.tickets)
            .execution_options(synchronize_session=False)
        )
        _drop_offer_hold(session, show, entry)
        freed.tickets_freed(session, show.id)
        seats_changed(session, show_id=show.id, theatre_id=show.theatre_id)
    session.refresh(entry)
    return True


def _drop_offer_hold(session: Session, show: Show, entry: WaitlistEntry) -> None:
    if entry.hold_id is None:
        return
    hold = session.get(SeatHold, entry.hold_id)
    if hold is not None:
        holds._drop(session, [hold])
    claims.bump(session, show.id)


def expire_offers(session: Session, *, now: dt.datetime | None = None) -> list[int]:
    """End the offers past their expiry (their tickets go on to the next in line) and the entries still waiting
    for shows that have started; the ids of the shows whose offers ended."""
    now = now or utcnow()
    started = select(Show.id).where(Show.starts_at <= now)
    session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.status == WaitlistStatus.WAITING, WaitlistEntry.show_id.in_(started))
        .values(status=WaitlistStatus.EXPIRED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    due = session.scalars(
        select(WaitlistEntry)
        .where(WaitlistEntry.status == WaitlistStatus.OFFERED, WaitlistEntry.offer_expires_at <= now)
        .order_by(WaitlistEntry.show_id, WaitlistEntry.id)
    ).all()
    shows = []
    for show_id, entries in groupby(due, key=lambda e: e.show_id):
        show = session.get(Show, show_id)
        if show is None:
            continue
        lock_show(session, show)
        for entry in entries:
            session.refresh(entry)
            ends = entry.offer_expires_at
            if entry.status == WaitlistStatus.OFFERED and ends is not None and ends <= now:
                _close(session, show, entry, WaitlistStatus.EXPIRED, now)
        shows.append(show_id)
    return shows


def shows_to_offer(session: Session, *, now: dt.datetime | None = None, limit: int = 200) -> list[int]:
    """Shows still to come with people waiting: the sweep offers whatever is free on them."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(WaitlistEntry.show_id)
            .join(Show, Show.id == WaitlistEntry.show_id)
            .where(
                WaitlistEntry.status == WaitlistStatus.WAITING,
                Show.status == ShowStatus.SCHEDULED,
                Show.starts_at > now,
            )
            .distinct()
            .order_by(WaitlistEntry.show_id)
            .limit(limit)
        )
    )


def _own_locked(session: Session, entry_id: object, user_id: int) -> tuple[WaitlistEntry, Show]:
    """The person's entry, read again once its show is locked (an offer may have just ended or gone on)."""
    load_actor(session, user_id)
    entry = own_entry(session, entry_id, user_id)
    show = session.get_one(Show, entry.show_id)
    lock_show(session, show)
    session.refresh(entry)
    return entry, show


def leave(session: Session, *, entry_id: object, user_id: int, now: dt.datetime | None = None) -> None:
    """Leave the waiting list (declining an open offer: its tickets go to the next in line at once)."""
    now = now or utcnow()
    entry, show = _own_locked(session, entry_id, user_id)
    if entry.status not in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED):
        raise Conflict(_ended(entry, show))
    _close(session, show, entry, WaitlistStatus.LEFT, now)


def accept(
    session: Session, *, entry_id: object, user_id: int, now: dt.datetime | None = None
) -> booking_service.BookingView:
    """Book the tickets an open offer set aside (a reserved show: exactly its seats); 409 once it has expired."""
    now = now or utcnow()
    entry, show = _own_locked(session, entry_id, user_id)
    if entry.status != WaitlistStatus.OFFERED:
        raise Conflict(_ended(entry, show))
    if entry.offer_expires_at is None or entry.offer_expires_at <= now:
        raise Conflict(EXPIRED)
    seats = None
    if entry.hold_id is not None:
        seats = list(
            session.scalars(
                select(SeatClaim.seat_id).where(SeatClaim.hold_id == entry.hold_id, SeatClaim.kind == ClaimKind.HELD)
            )
        )
        if len(seats) != entry.tickets:
            raise Conflict(EXPIRED)
    view = booking_service.book(
        session,
        show_id=show.id,
        user_id=user_id,
        tickets=None if seats else entry.tickets,
        seats=seats,
        now=now,
        set_aside=True,
    )
    session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.id == entry.id)
        .values(status=WaitlistStatus.BOOKED, booking_id=view.id, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return view


def _ended(entry: WaitlistEntry, show: Show) -> str:
    if show.cancelled:
        return booking_service.CANCELLED
    if entry.status == WaitlistStatus.BOOKED:
        return 'This offer has already been accepted: the tickets are in your bookings.'
    if entry.status == WaitlistStatus.EXPIRED:
        return EXPIRED if entry.offers else 'This waiting list has closed.'
    if entry.status == WaitlistStatus.LEFT:
        return 'You have already left this waiting list.'
    return 'There is no offer to accept yet: you are still waiting.'
