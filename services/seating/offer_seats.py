"""Which free seats of a reserved show a waiting-list offer sets aside: the best seats together when a row has
them, else the free seats nearest the stage."""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy.orm import Session

from models import SeatKind, SeatMap, Show
from services.seating import claims
from services.seating.maps import seat_rows
from services.seating.seats import best_block


def free_seats(session: Session, show: Show, now: dt.datetime) -> list[int]:
    """The show's seats nobody holds, bought or kept back, nearest the stage's centre first."""
    taken = claims.unavailable(session, show.id, now)
    stage = session.get(SeatMap, show.theatre_id)
    seats = [s for s in seat_rows(session, show.theatre_id) if s.kind != SeatKind.BLOCKED and s.id not in taken]
    if stage is not None:
        seats.sort(key=lambda s: (math.hypot(s.x - stage.stage_x, s.y - stage.stage_y), s.id))
    return [s.id for s in seats]


def seats_to_offer(session: Session, show: Show, count: int, now: dt.datetime) -> list[int] | None:
    """`count` free seats for an offer, together in one row when possible; None when fewer are free."""
    block = best_block(session, show, count, now=now)
    if block is not None:
        return block
    free = free_seats(session, show, now)
    return free[:count] if len(free) >= count else None
