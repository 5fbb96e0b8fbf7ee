"""One order for locking a show, so changes to its tickets queue up instead of deadlocking on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models import Show
from services.seating import claims, is_reserved


def lock_show(session: Session, show: Show) -> None:
    """Queue behind every other change to the show's tickets: its seats' lock first for a reserved show (the order
    bookings take them in), then its row — before touching its bookings, entries or counts. On SQLite the no-op
    UPDATE takes the database's write lock now, so the reads that follow are the latest."""
    if is_reserved(session, show.id):
        claims.lock(session, show.id)
    if session.get_bind().dialect.name == 'postgresql':
        # NO KEY UPDATE, as an UPDATE of the row takes: it queues behind other changes to the show, but not behind
        # a booking's INSERT, whose foreign key holds KEY SHARE on the show while it waits for the seats' lock.
        session.execute(select(Show.id).where(Show.id == show.id).with_for_update(key_share=True))
    else:
        session.execute(update(Show).where(Show.id == show.id).values(status=Show.status))
    session.refresh(show)
