from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, IntPK, Name, Timestamp, UTCDateTime, enum_column
from models.enums import Role

if TYPE_CHECKING:
    from models.booking import Booking
    from models.theatre import Theatre


class User(Base):
    __tablename__ = 'users'
    id: Mapped[IntPK]
    username: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[Name]
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(100))
    role: Mapped[Role] = enum_column(Role, length=10, constraint='ck_users_role', default=Role.USER)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    wants_reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    wants_reports: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[Timestamp]
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the person opened a link sent to `email`; None: no booking email goes there (services.mail.outbox).
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A deleted account keeps its row for the theatres' books (bookings, tickets, ratings); its personal data is gone.
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    theatres: Mapped[list[Theatre]] = relationship(back_populates='owner')
    bookings: Mapped[list[Booking]] = relationship(back_populates='user')

    def __repr__(self) -> str:
        return f'User(id={self.id}, username={self.username!r}, role={self.role!r})'
