"""The waiting list of a show: people who want tickets that are not there, in the order they joined."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, Integer, text
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base, IntPK, Timestamp, UTCDateTime, enum_column, fk
from models.enums import WaitlistStatus

ACTIVE = ('waiting', 'offered')


class WaitlistEntry(Base):
    """One person waiting for 1–10 tickets of one show. Its id is its place in line (ids only grow: SQLite's
    AUTOINCREMENT, PostgreSQL's sequence). An offered entry has `tickets` set aside for it until
    `offer_expires_at` (for a reserved show, as the seats of the hold `hold_id`)."""

    __tablename__ = 'waitlist_entries'
    __table_args__ = (
        CheckConstraint('tickets BETWEEN 1 AND 10', name='ck_waitlist_entries_tickets'),
        CheckConstraint("(status = 'booked') = (booking_id IS NOT NULL)", name='ck_waitlist_entries_booked'),
        # One live entry per person and show: joining twice is refused by the database, whatever the rush.
        Index(
            'uq_waitlist_entries_live',
            'show_id',
            'user_id',
            unique=True,
            sqlite_where=text("status IN ('waiting', 'offered')"),
            postgresql_where=text("status IN ('waiting', 'offered')"),
        ),
        Index('ix_waitlist_entries_show_status', 'show_id', 'status', 'id'),
        {'sqlite_autoincrement': True},
    )

    id: Mapped[IntPK]
    show_id: Mapped[int] = fk('shows.id', ondelete='CASCADE')
    user_id: Mapped[int] = fk('users.id', ondelete='CASCADE')
    tickets: Mapped[int] = mapped_column(Integer)
    status: Mapped[WaitlistStatus] = enum_column(
        WaitlistStatus, length=10, constraint='ck_waitlist_entries_status', default=WaitlistStatus.WAITING
    )
    joined_at: Mapped[Timestamp]
    offered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    offer_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    # A reserved show's offer holds its seats as a hold of the entry's owner (no foreign key: booking the offer
    # deletes the hold, and the entry keeps the number for the record).
    hold_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    booking_id: Mapped[int | None] = fk('bookings.id', ondelete='SET NULL', nullable=True)
    offers: Mapped[int] = mapped_column(Integer, default=0)  # how many offers it has had (an expired one passes on)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


__all__ = ['ACTIVE', 'WaitlistEntry']
