"""One row per seat sold: what a QR code carries, what the door checks in, what a cancellation voids."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, Cents, IntPK, UTCDateTime, enum_column, fk
from models.enums import TicketStatus

if TYPE_CHECKING:
    from models.booking import Booking
    from models.seat import Seat


class Ticket(Base):
    __tablename__ = 'tickets'
    __table_args__ = (
        CheckConstraint('price_cents >= 0', name='ck_tickets_price'),
        Index('ix_tickets_show_status', 'show_id', 'status'),
    )

    id: Mapped[IntPK]
    booking_id: Mapped[int] = fk('bookings.id', ondelete='CASCADE')
    show_id: Mapped[int] = fk('shows.id', ondelete='CASCADE')  # the booking's show, for the door's lookups
    code: Mapped[str] = mapped_column(String(32), unique=True)  # 128 random bits: what the QR code encodes
    seat_id: Mapped[int | None] = fk('seats.id', ondelete='SET NULL', nullable=True)  # reserved seating only
    price_cents: Mapped[Cents]
    status: Mapped[TicketStatus] = enum_column(
        TicketStatus, length=12, constraint='ck_tickets_status', default=TicketStatus.VALID
    )
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_in_by_id: Mapped[int | None] = fk('users.id', ondelete='SET NULL', nullable=True)  # who scanned it

    booking: Mapped[Booking] = relationship(back_populates='tickets')
    seat: Mapped[Seat | None] = relationship(lazy='joined')  # a join, not a query per ticket
