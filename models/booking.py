from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, Cents, IntPK, Timestamp, UTCDateTime, enum_column, fk
from models.enums import BookingStatus

if TYPE_CHECKING:
    from models.show import Show
    from models.ticket import Ticket
    from models.user import User


class Booking(Base):
    """Some seats of one show for one person, priced when booked; each seat is a `Ticket` row."""

    __tablename__ = 'bookings'
    __table_args__ = (
        CheckConstraint('booked_tickets >= 1', name='ck_bookings_tickets'),
        # Seats in sections at different prices: each ticket has its own price, `price_cents` is the lowest of them.
        CheckConstraint('price_cents >= 0 AND total_cents >= price_cents * booked_tickets', name='ck_bookings_total'),
        Index('ix_bookings_show_status', 'show_id', 'status'),
    )

    id: Mapped[IntPK]
    # Short, unique, read aloud over the phone: Crockford base-32 (no I, L, O or U).
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    user_id: Mapped[int] = fk('users.id', ondelete='RESTRICT')
    show_id: Mapped[int] = fk('shows.id', ondelete='RESTRICT')
    booked_tickets: Mapped[int] = mapped_column(Integer)
    price_cents: Mapped[Cents]
    total_cents: Mapped[Cents]
    status: Mapped[BookingStatus] = enum_column(
        BookingStatus, length=10, constraint='ck_bookings_status', default=BookingStatus.CONFIRMED
    )
    created_at: Mapped[Timestamp]
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    user: Mapped[User] = relationship(back_populates='bookings')
    show: Mapped[Show] = relationship(back_populates='bookings')
    tickets: Mapped[list[Ticket]] = relationship(back_populates='booking', order_by='Ticket.id', passive_deletes=True)

    def __repr__(self) -> str:
        return f'Booking(id={self.id}, show_id={self.show_id}, tickets={self.booked_tickets}, status={self.status!r})'
