"""Selling seats inside a booking's transaction: the seats asked for, or the best block of them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models import Booking, ClaimKind, Show
from services.errors import Conflict
from services.seating import claims
from services.seating.seats import Chosen, best_block, check_choice

BEST_TRIES = 5  # a block found free may be taken before it is claimed: look again, this many times


def sell(
    session: Session,
    *,
    show: Show,
    booking: Booking,
    user_id: int,
    chosen: Chosen | None,
    count: int,
    now: dt.datetime,
    offer: bool = False,
) -> Chosen:
    """Claim the seats of `chosen` for the booking (all or none, `SeatsTaken` naming those taken), or when no seats
    were chosen, the best `count` free seats next to each other in a row."""
    if chosen is not None:
        claims.claim(
            session,
            show_id=show.id,
            seat_ids=chosen.seat_ids,
            kind=ClaimKind.SOLD,
            user_id=user_id,
            booking_id=booking.id,
            now=now,
            offer=offer,
        )
        return chosen
    for _ in range(BEST_TRIES):
        block = best_block(session, show, count, now=now)
        if block is None:
            raise Conflict(
                f'No row has {count} free seats next to each other; choose seats on the map instead.', field='tickets'
            )
        picked = check_choice(session, show, block)
        try:
            with session.begin_nested():  # a lost race undoes only this try's claims
                claims.claim(
                    session,
                    show_id=show.id,
                    seat_ids=picked.seat_ids,
                    kind=ClaimKind.SOLD,
                    user_id=user_id,
                    booking_id=booking.id,
                    now=now,
                )
        except claims.SeatsTaken:
            continue
        return picked
    raise Conflict('Seats are going fast: the best seats kept being taken. Please try again.', field='tickets')
