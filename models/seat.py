"""A theatre's seat map: one row per seat, drawn by its manager, the same for every show of the theatre."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base, IntPK, UTCDateTime, enum_column, fk, utcnow
from models.enums import SeatKind

SECTION_LENGTH = 40
ROW_LENGTH = 10
LABEL_LENGTH = 10


def seat_name(section: str, row: str, label: str) -> str:
    """How a seat is read out: 'Stalls C7', or 'Stalls row 10, seat 5' when row and seat would run together."""
    if row[-1:].isalpha() and label[:1].isdigit():
        return f'{section} {row}{label}'
    return f'{section} row {row}, seat {label}'


class Seat(Base):
    """One seat, found by section, row and label. A seat taken off the map is only marked `removed`, never
    deleted: the tickets of past shows keep pointing at it, and drawing it again brings the same id back."""

    __tablename__ = 'seats'
    __table_args__ = (
        UniqueConstraint('theatre_id', 'section', 'row', 'label', name='uq_seats_place'),
        Index('ix_seats_theatre_order', 'theatre_id', 'removed', 'section_no', 'row_no', 'seat_no'),
    )

    id: Mapped[IntPK]
    theatre_id: Mapped[int] = mapped_column(Integer, ForeignKey('theatres.id', ondelete='CASCADE'))
    section: Mapped[str] = mapped_column(String(SECTION_LENGTH))
    row: Mapped[str] = mapped_column(String(ROW_LENGTH))
    label: Mapped[str] = mapped_column(String(LABEL_LENGTH))
    kind: Mapped[SeatKind] = enum_column(SeatKind, length=12, constraint='ck_seats_kind', default=SeatKind.STANDARD)
    # Where it is drawn, in seat widths from the map's top left; the stage is drawn above row one by default.
    x: Mapped[float] = mapped_column(Float)
    y: Mapped[float] = mapped_column(Float)
    # The order of the map as drawn: sections, rows within a section, seats within a row.
    section_no: Mapped[int] = mapped_column(Integer)
    row_no: Mapped[int] = mapped_column(Integer)
    seat_no: Mapped[int] = mapped_column(Integer)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def name(self) -> str:
        return seat_name(self.section, self.row, self.label)

    def __repr__(self) -> str:
        return f'Seat(id={self.id}, {self.name!r})'


class SeatMap(Base):
    """A theatre that has a seat map: where its stage is drawn."""

    __tablename__ = 'seat_maps'

    theatre_id: Mapped[int] = mapped_column(Integer, ForeignKey('theatres.id', ondelete='CASCADE'), primary_key=True)
    stage_x: Mapped[float] = mapped_column(Float)  # the stage's centre
    stage_y: Mapped[float] = mapped_column(Float)
    stage_width: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = fk('users.id', ondelete='SET NULL', nullable=True)


__all__ = ['Seat', 'SeatMap', 'seat_name']
