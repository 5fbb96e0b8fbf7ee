"""The waiting lists in figures, for a manager's summary: how many joined, were offered tickets, and booked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from models import Role, Show, Theatre, WaitlistEntry, WaitlistStatus
from services.auth import load_actor, require_role


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


def by_theatre(session: Session, *, actor_id: int, theatre_ids: Iterable[int]) -> dict[int, WaitlistFigures]:
    """Figures per theatre over all its shows, for a manager (their own theatres; others are left out) or an admin."""
    actor = load_actor(session, actor_id)
    require_role(actor, Role.MANAGER, Role.ADMIN, action='see waiting-list figures')
    ids = sorted({i for i in theatre_ids if isinstance(i, int)})
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
        .join(Theatre, Theatre.id == Show.theatre_id)
        .where(Show.theatre_id.in_(ids), *([] if actor.role == Role.ADMIN else [Theatre.owner_id == actor.id]))
        .group_by(Show.theatre_id)
    ).all()
    return {int(theatre_id): WaitlistFigures(*(int(value or 0) for value in values)) for theatre_id, *values in rows}
