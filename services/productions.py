"""A production: the performances of one show at one theatre (the same name, whatever its case), so a run of
dates reads as one thing on the show's page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, aliased

from models import Show, ShowStatus
from models.db import MAX_ID, utcnow

MAX_OTHER_DATES = 30


@dataclass(frozen=True)
class OtherDate:
    show_id: int
    starts_at: dt.datetime
    tickets_left: int

    @property
    def housefull(self) -> bool:
        return self.tickets_left <= 0


def same_production(show: type[Show], theatre_id: object, name: object) -> ColumnElement[bool]:
    """`show` (the model or an alias) is a performance of the production at `theatre_id` called `name`."""
    return and_(show.theatre_id == theatre_id, func.lower(show.name) == func.lower(name))


def other_dates(
    session: Session, *, show_id: int, now: dt.datetime | None = None, limit: int = MAX_OTHER_DATES
) -> list[OtherDate]:
    """The other upcoming, scheduled performances of the show's production, soonest first (one query; none for a
    show that does not exist)."""
    if isinstance(show_id, bool) or not isinstance(show_id, int) or not 1 <= show_id <= MAX_ID:
        return []
    this = aliased(Show)
    left = Show.num_tickets - Show.tickets_sold - Show.tickets_offered
    query = (
        select(Show.id, Show.starts_at, left)
        .join(this, this.id == show_id)
        .where(
            same_production(Show, this.theatre_id, this.name),
            Show.id != this.id,
            Show.status == ShowStatus.SCHEDULED,
            Show.starts_at > (now or utcnow()),
        )
        .order_by(Show.starts_at, Show.id)
        .limit(limit)
    )
    return [OtherDate(row_id, starts_at, max(tickets, 0)) for row_id, starts_at, tickets in session.execute(query)]
