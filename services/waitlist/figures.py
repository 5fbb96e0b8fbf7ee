"""The waiting lists in figures, for a manager's summary: how many joined, were offered tickets, and booked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from models import Show, WaitlistEntry, WaitlistStatus


@dataclass(frozen=True)
class WaitlistFigures:
    joined: int = 0  # entries ever made
    offered: int = 0  # entries that had at least one offer
    booked: int = 0  # entries whose offer became a booking
    booked_tickets: int = 0
    waiting: int = 0  # still in line now

    @property
    def booked_share(self) -> float | None:
        """Of the entries offered tickets, the share that booked them; None before any offer."""
        return self.booked / self.offered if self.offered else None


def by_theatre(session: Session, theatre_ids: Iterable[int]) -> dict[int, WaitlistFigures]:
    """Figures per theatre over all its shows (no access check: the caller passes the theatres it may see)."""
    ids = sorted(set(theatre_ids))
    if not ids:
        return {}
    booked = WaitlistEntry.status == WaitlistStatus.BOOKED
    rows = session.execute(
        select(
            Show.theatre_id,
            func.count(WaitlistEntry.id),
            func.sum(case((WaitlistEntry.offers > 0, 1), else_=0)),
            func.sum(case((booked, 1), else_=0)),
            func.sum(case((booked, WaitlistEntry.tickets), else_=0)),
            func.sum(case((WaitlistEntry.status == WaitlistStatus.WAITING, 1), else_=0)),
        )
        .join(Show, Show.id == WaitlistEntry.show_id)
        .where(Show.theatre_id.in_(ids))
        .group_by(Show.theatre_id)
    ).all()
    return {int(theatre_id): WaitlistFigures(*(int(value or 0) for value in values)) for theatre_id, *values in rows}
