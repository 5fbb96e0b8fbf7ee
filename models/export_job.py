from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import Base, Timestamp, UTCDateTime, enum_column, fk
from models.enums import ExportFormat, ExportKind, ExportStatus

if TYPE_CHECKING:
    from models.user import User


class ExportJob(Base):
    """One export a person asked for, and its place in the export queue: any instance's runner claims it while it
    is pending, runs it in a worker process, and the file is kept under var/exports for a while."""

    __tablename__ = 'export_jobs'
    __table_args__ = (
        CheckConstraint('progress BETWEEN 0 AND 100', name='ck_export_jobs_progress'),
        CheckConstraint('attempts >= 0', name='ck_export_jobs_attempts'),
        Index('ix_export_jobs_owner_created', 'owner_id', 'created_at'),
        Index('ix_export_jobs_queue', 'status', 'available_at'),
    )

    # Unguessable: the id is also the file's name and part of its download URL.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = fk('users.id', ondelete='CASCADE')
    kind: Mapped[ExportKind] = enum_column(ExportKind, length=10, constraint='ck_export_jobs_kind')
    target_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    format: Mapped[ExportFormat] = enum_column(ExportFormat, length=4, constraint='ck_export_jobs_format')
    status: Mapped[ExportStatus] = enum_column(
        ExportStatus, length=10, constraint='ck_export_jobs_status', default=ExportStatus.PENDING
    )
    progress: Mapped[int] = mapped_column(Integer, default=0)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[Timestamp]
    # The claimed job's lease: its runner renews it; one silent for longer than the lease is taken back.
    heartbeat_at: Mapped[Timestamp]
    # The queue: how often it was claimed, by which instance (with `attempts`, what its worker's writes are
    # conditional on), and when it may be claimed (later than created for a retry after a worker died).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(32), nullable=True)
    available_at: Mapped[Timestamp]
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)

    owner: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f'ExportJob(id={self.id!r}, kind={self.kind!r}, status={self.status!r})'
