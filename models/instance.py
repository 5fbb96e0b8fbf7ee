"""The app instances running on this database: each writes its row every few seconds (services/instances.py)."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base, Timestamp


class Instance(Base):
    """One running `main.py` serving the app; `id` is the one its scheduler names itself by in the lease."""

    __tablename__ = 'instances'

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer)
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[Timestamp]
    seen_at: Mapped[Timestamp]
