"""Door staff: the people a theatre lets check tickets in, and nothing else of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, Timestamp, fk

if TYPE_CHECKING:
    from models.theatre import Theatre
    from models.user import User


class TheatreStaff(Base):
    """One person on one theatre's door staff. A membership, not a role: any account (an audience member, a
    manager of another theatre) can be on the door of several theatres, and leaves it when removed."""

    __tablename__ = 'theatre_staff'

    theatre_id: Mapped[int] = mapped_column(Integer, ForeignKey('theatres.id', ondelete='CASCADE'), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey('users.id', ondelete='CASCADE'), primary_key=True, index=True
    )
    added_by_id: Mapped[int | None] = fk('users.id', ondelete='SET NULL', nullable=True)
    added_at: Mapped[Timestamp]

    theatre: Mapped[Theatre] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f'TheatreStaff(theatre_id={self.theatre_id}, user_id={self.user_id})'


__all__ = ['TheatreStaff']
