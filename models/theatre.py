from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, IntPK, Name, Timestamp, fk

if TYPE_CHECKING:
    from models.seat import SeatMap
    from models.show import Show
    from models.user import User


class Theatre(Base):
    __tablename__ = 'theatres'
    __table_args__ = (CheckConstraint('capacity BETWEEN 1 AND 100000', name='ck_theatres_capacity'),)

    id: Mapped[IntPK]
    owner_id: Mapped[int] = fk('users.id', ondelete='RESTRICT')
    name: Mapped[Name]
    place: Mapped[Name] = mapped_column(index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(300), nullable=True)
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)  # an IANA name; None: the app's
    created_at: Mapped[Timestamp]

    owner: Mapped[User] = relationship(back_populates='theatres')
    shows: Mapped[list[Show]] = relationship(back_populates='theatre', order_by='Show.starts_at')
    seat_map: Mapped[SeatMap | None] = relationship(lazy='selectin', viewonly=True)  # None: no reserved seating

    def __repr__(self) -> str:
        return f'Theatre(id={self.id}, name={self.name!r})'
