from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, lazyload, mapped_column, relationship

from models.db import Base, Cents, IntPK, Name, Timestamp, UTCDateTime, enum_column, fk
from models.enums import AgeRating, ShowStatus

if TYPE_CHECKING:
    from sqlalchemy.orm.strategy_options import _AbstractLoad

    from models.booking import Booking
    from models.hold import SectionPrice, ShowSeating
    from models.theatre import Theatre


class Show(Base):
    __tablename__ = 'shows'
    __table_args__ = (
        CheckConstraint('num_tickets >= 1', name='ck_shows_num_tickets'),
        # Tickets set aside for waiting-list offers are neither sold nor for sale; together never above the total.
        CheckConstraint(
            'tickets_sold >= 0 AND tickets_offered >= 0 AND tickets_sold + tickets_offered <= num_tickets',
            name='ck_shows_tickets_sold',
        ),
        CheckConstraint('price_cents >= 0', name='ck_shows_price'),
        CheckConstraint('rating >= 0 AND rating <= 5', name='ck_shows_rating'),
        CheckConstraint('duration_minutes BETWEEN 1 AND 1440', name='ck_shows_duration'),
        # The listing at 100,000 shows: counts read the index alone; the cheapest-first page walks it in order.
        Index('ix_shows_listing', 'status', 'starts_at', 'theatre_id'),
        Index('ix_shows_listing_price', 'status', 'price_cents', 'starts_at'),
    )

    id: Mapped[IntPK]
    theatre_id: Mapped[int] = fk('theatres.id', ondelete='RESTRICT')
    name: Mapped[Name] = mapped_column(index=True)
    rating: Mapped[float] = mapped_column(Float, default=0, index=True)
    price_cents: Mapped[Cents]
    num_tickets: Mapped[int] = mapped_column(Integer)
    tickets_sold: Mapped[int] = mapped_column(Integer, default=0)
    tickets_offered: Mapped[int] = mapped_column(Integer, default=0)  # set aside for waiting-list offers
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[Timestamp]
    status: Mapped[ShowStatus] = enum_column(
        ShowStatus, length=10, constraint='ck_shows_status', default=ShowStatus.SCHEDULED
    )
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # What the show is, for its card and page; all optional.
    description: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    duration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    language: Mapped[str | None] = mapped_column(String(40), nullable=True)
    age_rating: Mapped[AgeRating | None] = enum_column(
        AgeRating, length=5, constraint='ck_shows_age_rating', nullable=True
    )
    poster_key: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the stored poster's name; None: none

    theatre: Mapped[Theatre] = relationship(back_populates='shows')
    tag_rows: Mapped[list[ShowTag]] = relationship(
        back_populates='show', cascade='all, delete-orphan', lazy='selectin', order_by='ShowTag.tag'
    )
    bookings: Mapped[list[Booking]] = relationship(back_populates='show', passive_deletes='all')
    # Reserved seating: a row when the show is sold by seat, and its sections' prices.
    seating_row: Mapped[ShowSeating | None] = relationship(lazy='selectin', viewonly=True)
    price_rows: Mapped[list[SectionPrice]] = relationship(
        lazy='selectin', viewonly=True, order_by='SectionPrice.section'
    )

    @property
    def reserved(self) -> bool:
        return self.seating_row is not None

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def tickets_left(self) -> int:
        """What anyone could book: not the tickets set aside for offers, nothing of a cancelled performance."""
        return 0 if self.cancelled else self.num_tickets - self.tickets_sold - self.tickets_offered

    @property
    def cancelled(self) -> bool:
        return self.status == ShowStatus.CANCELLED

    def __repr__(self) -> str:
        return f'Show(id={self.id}, name={self.name!r})'


class ShowTag(Base):
    """One tag of one show: a row each, so that filtering by tag uses an index."""

    __tablename__ = 'show_tags'
    # By tag, with the show: the listing counts a tag's shows and lists the tags from this index alone.
    __table_args__ = (Index('ix_show_tags_tag', 'tag', 'show_id'),)

    show_id: Mapped[int] = fk('shows.id', primary_key=True)
    tag: Mapped[str] = mapped_column(String(30), primary_key=True)

    show: Mapped[Show] = relationship(back_populates='tag_rows')


def show_alone() -> tuple[_AbstractLoad, ...]:
    """A show with its own columns only: its tags, section prices and seating row load with every Show by default
    (selectin, for the pages); a path that needs none of them (a booking, a scan at the door) adds these options to
    its query, or to the load that brings the show (`joinedload(Booking.show).options(*show_alone())`), and pays for
    them only if it asks. (A function: the options need every mapped class, which exist only once models/ is in.)"""
    return lazyload(Show.tag_rows), lazyload(Show.seating_row), lazyload(Show.price_rows)
