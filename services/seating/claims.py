"""Claiming seats of one show: the database's (show, seat) key decides who gets a seat, never a read before.

Every claim is an `INSERT … ON CONFLICT DO NOTHING RETURNING seat_id` of the seats asked for: a seat whose row
another transaction holds is not returned, and the claim is refused naming it. Whatever changes a show's claims
first locks the show's `show_seating` row (`lock`), so on PostgreSQL the changes of one show queue up in one order
and never deadlock (SQLite has one writer at a time anyway); the seats are then checked again, under the lock,
against the seat map, which a manager may have changed meanwhile. Refusing raises, and the caller's transaction
rolls back whatever it had claimed: all or nothing. A hold past its expiry is deleted in the claiming transaction,
so an expired hold frees its seats without anyone acting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import ClaimKind, Seat, SeatClaim, SeatHold, SeatKind, ShowSeating, WaitlistEntry, WaitlistStatus
from models.seat import seat_name
from services.errors import Conflict


def names_of(session: Session, seat_ids: Iterable[int]) -> list[str]:
    rows = session.execute(
        select(Seat.section, Seat.row, Seat.label)
        .where(Seat.id.in_(list(seat_ids)))
        .order_by(Seat.section_no, Seat.row_no, Seat.seat_no)
    ).all()
    return [seat_name(*row) for row in rows]


class SeatsTaken(Conflict):
    """Some of the seats asked for are held by someone else, sold or kept back."""

    def __init__(self, names: list[str], seat_ids: list[int]) -> None:
        shown = ', '.join(names[:10]) + (f' and {len(names) - 10} more' if len(names) > 10 else '')
        one = len(names) == 1
        super().__init__(
            f'{"This seat is" if one else "These seats are"} no longer free: {shown}. '
            'Nothing was booked or held; please choose again.',
            field='seats',
            extra={'seats': seat_ids},
            reason='seats_taken',
        )


def live(now: dt.datetime) -> Any:
    """The claims that make a seat unavailable at `now`: sold, kept back, or held and not yet expired."""
    return or_(SeatClaim.kind != ClaimKind.HELD, and_(SeatClaim.kind == ClaimKind.HELD, SeatClaim.expires_at > now))


def lock(session: Session, show_id: int) -> None:
    """Queue behind any other change to the show's seats (PostgreSQL; nothing to do on SQLite)."""
    session.execute(select(ShowSeating.version).where(ShowSeating.show_id == show_id).with_for_update())


def bump(session: Session, show_id: int) -> None:
    """Tell the show's seat pickers (on any instance) that its seats changed."""
    session.execute(
        update(ShowSeating)
        .where(ShowSeating.show_id == show_id)
        .values(version=ShowSeating.version + 1)
        .execution_options(synchronize_session=False)
    )


def claim(
    session: Session,
    *,
    show_id: int,
    seat_ids: list[int],
    kind: ClaimKind,
    now: dt.datetime,
    user_id: int | None = None,
    hold_id: int | None = None,
    booking_id: int | None = None,
    expires_at: dt.datetime | None = None,
    offer: bool = False,
) -> None:
    """Claim every seat of `seat_ids` for the show, or raise `SeatsTaken` naming those that are not free. A sale
    takes over the buyer's own held seats — those a waiting-list offer holds for them only when the sale is that
    offer's (`offer`): accepting is the one way to book them."""
    ids = sorted(set(seat_ids))
    lock(session, show_id)
    session.execute(
        delete(SeatClaim)
        .where(
            SeatClaim.show_id == show_id,
            SeatClaim.seat_id.in_(ids),
            SeatClaim.kind == ClaimKind.HELD,
            SeatClaim.expires_at <= now,
        )
        .execution_options(synchronize_session=False)
    )
    _still_on_the_map(session, ids)
    got: set[int] = set()
    if kind == ClaimKind.SOLD and user_id is not None:
        got.update(
            session.scalars(
                update(SeatClaim)
                .where(
                    SeatClaim.show_id == show_id,
                    SeatClaim.seat_id.in_(ids),
                    SeatClaim.kind == ClaimKind.HELD,
                    SeatClaim.user_id == user_id,
                    *([] if offer else [SeatClaim.hold_id.not_in(_offer_holds(show_id))]),
                )
                .values(kind=ClaimKind.SOLD, booking_id=booking_id, hold_id=None, expires_at=None)
                .returning(SeatClaim.seat_id)
                .execution_options(synchronize_session=False)
            )
        )
        _forget_emptied_holds(session, show_id, user_id)
    rest = [seat_id for seat_id in ids if seat_id not in got]
    if rest:
        values = [
            {
                'show_id': show_id,
                'seat_id': seat_id,
                'kind': kind,
                'user_id': user_id,
                'hold_id': hold_id,
                'booking_id': booking_id,
                'expires_at': expires_at,
            }
            for seat_id in rest
        ]
        got.update(session.scalars(_INSERT_FREE[session.get_bind().dialect.name], values))
    taken = [seat_id for seat_id in ids if seat_id not in got]
    if taken:
        raise SeatsTaken(names_of(session, taken), taken)
    bump(session, show_id)


# The claims of the seats still free, one statement for however many seats (its rows as parameters, not built into
# it: a statement with the rows in it is built, keyed and compiled anew for every sale); a seat taken meanwhile is
# skipped, not an error, and the seats it hands back are those claimed.
_INSERT_FREE = {
    name: dialect.insert(SeatClaim).on_conflict_do_nothing().returning(SeatClaim.seat_id)
    for name, dialect in (('postgresql', postgresql), ('sqlite', sqlite))
}


def _offer_holds(show_id: int) -> Any:
    return select(WaitlistEntry.hold_id).where(
        WaitlistEntry.show_id == show_id,
        WaitlistEntry.status == WaitlistStatus.OFFERED,
        WaitlistEntry.hold_id.is_not(None),
    )


def offer_holds(session: Session, show_id: int) -> set[int]:
    """The show's holds that set seats aside for waiting-list offers: their seats are the offer's, not a basket
    its owner may choose from again."""
    return {hold_id for hold_id in session.scalars(_offer_holds(show_id)) if hold_id is not None}


def _still_on_the_map(session: Session, ids: list[int]) -> None:
    """Under the lock: the seats are still on the map and for sale (the map may have changed since they were read)."""
    on_sale = session.scalar(
        select(func.count(Seat.id)).where(Seat.id.in_(ids), Seat.removed.is_(False), Seat.kind != SeatKind.BLOCKED)
    )
    if on_sale != len(ids):
        raise Conflict(
            'The seat map has just changed: please choose your seats again.', field='seats', reason='map_changed'
        )


def _forget_emptied_holds(session: Session, show_id: int, user_id: int) -> None:
    """A person who books seats they were holding: their hold keeps only the seats still held (none: it goes)."""
    held = (
        select(func.count())
        .where(SeatClaim.hold_id == SeatHold.id, SeatClaim.kind == ClaimKind.HELD)
        .correlate(SeatHold)
        .scalar_subquery()
    )
    mine = (SeatHold.show_id == show_id, SeatHold.user_id == user_id)
    session.execute(delete(SeatHold).where(*mine, held == 0).execution_options(synchronize_session=False))
    session.execute(
        update(SeatHold)
        .where(*mine, held != SeatHold.seat_count)
        .values(seat_count=held)
        .execution_options(synchronize_session=False)
    )


def unavailable(session: Session, show_id: int, now: dt.datetime) -> dict[int, SeatClaim]:
    """The show's live claims by seat id."""
    claims = session.scalars(select(SeatClaim).where(SeatClaim.show_id == show_id, live(now)))
    return {c.seat_id: c for c in claims}


def release_sold(session: Session, *, booking_id: int, show_id: int) -> None:
    """A cancelled booking's seats are free again."""
    lock(session, show_id)
    session.execute(
        delete(SeatClaim)
        .where(SeatClaim.booking_id == booking_id, SeatClaim.kind == ClaimKind.SOLD)
        .execution_options(synchronize_session=False)
    )
    bump(session, show_id)
