"""Reserved seating per show: which seats of a show are held, sold or kept back, and at what price.

A seat of a show that is not free has exactly one `SeatClaim` row, whose primary key is (show, seat): two
transactions that claim the same seat cannot both commit, on any database, so a seat is sold (or held) once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base, Cents, IntPK, Timestamp, UTCDateTime, enum_column, fk
from models.enums import ClaimKind
from models.seat import SECTION_LENGTH


class ShowSeating(Base):
    """A show sold by seat (a show without this row is general admission). `version` grows with every change
    to the show's claims, so a seat picker polls one integer to know when to redraw."""

    __tablename__ = 'show_seating'

    show_id: Mapped[int] = mapped_column(Integer, ForeignKey('shows.id', ondelete='CASCADE'), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class SectionPrice(Base):
    """The price of a section's seats for one show; a section not named costs the show's ticket price."""

    __tablename__ = 'show_section_prices'
    __table_args__ = (CheckConstraint('price_cents >= 0', name='ck_show_section_prices_price'),)

    show_id: Mapped[int] = mapped_column(Integer, ForeignKey('shows.id', ondelete='CASCADE'), primary_key=True)
    section: Mapped[str] = mapped_column(String(SECTION_LENGTH), primary_key=True)
    price_cents: Mapped[Cents]


class SeatHold(Base):
    """Seats put aside for one person while they pay, until `expires_at`."""

    __tablename__ = 'seat_holds'
    __table_args__ = (
        CheckConstraint('seat_count BETWEEN 1 AND 10', name='ck_seat_holds_count'),
        {'sqlite_autoincrement': True},  # never an id again: a stale client must not reach someone's next hold
    )

    id: Mapped[IntPK]
    show_id: Mapped[int] = fk('shows.id')
    user_id: Mapped[int] = fk('users.id')
    seat_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[Timestamp]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class SeatClaim(Base):
    """Why one seat of one show is not free: held (with the hold's expiry), sold (with the booking) or blocked."""

    __tablename__ = 'seat_claims'
    __table_args__ = (
        CheckConstraint(
            "(kind = 'held') = (hold_id IS NOT NULL AND expires_at IS NOT NULL)", name='ck_seat_claims_held'
        ),
        CheckConstraint("(kind = 'sold') = (booking_id IS NOT NULL)", name='ck_seat_claims_sold'),
    )

    show_id: Mapped[int] = mapped_column(Integer, ForeignKey('shows.id', ondelete='CASCADE'), primary_key=True)
    seat_id: Mapped[int] = mapped_column(Integer, ForeignKey('seats.id', ondelete='CASCADE'), primary_key=True)
    kind: Mapped[ClaimKind] = enum_column(ClaimKind, length=10, constraint='ck_seat_claims_kind')
    user_id: Mapped[int | None] = fk('users.id', nullable=True)
    hold_id: Mapped[int | None] = fk('seat_holds.id', nullable=True)
    booking_id: Mapped[int | None] = fk('bookings.id', nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)


__all__ = ['SeatClaim', 'SeatHold', 'SectionPrice', 'ShowSeating']
