from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base, IntPK, Timestamp, fk


class ShowRating(Base):
    """One person's score for a show they booked: one row per person and show, changed in place."""

    __tablename__ = 'show_ratings'
    __table_args__ = (
        UniqueConstraint('user_id', 'show_id', name='uq_show_ratings_user_show'),
        CheckConstraint('score BETWEEN 1 AND 5', name='ck_show_ratings_score'),
    )

    id: Mapped[IntPK]
    user_id: Mapped[int] = fk('users.id', ondelete='CASCADE')
    show_id: Mapped[int] = fk('shows.id', ondelete='CASCADE')
    score: Mapped[int] = mapped_column(Integer)
    rated_at: Mapped[Timestamp]
