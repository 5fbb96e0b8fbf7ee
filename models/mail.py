from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base, IntPK, Timestamp, UTCDateTime, enum_column, fk, utcnow
from models.enums import DeliveryStatus, MailKind, OutboxKind, OutboxStatus, RunStatus


class MailDelivery(Base):
    """One email to one person for one period: claimed before it is sent, so it is never sent twice.

    status: `claimed` (being sent, or the sender died mid-send: never retried, it may have gone out),
    `sent`, or `failed` (known not delivered; retried on a later run while attempts < the limit).
    """

    __tablename__ = 'mail_deliveries'
    __table_args__ = (
        UniqueConstraint('user_id', 'kind', 'period', name='uq_mail_deliveries_once'),
        Index('ix_mail_deliveries_kind_period_status', 'kind', 'period', 'status'),
    )

    id: Mapped[IntPK]
    user_id: Mapped[int] = fk('users.id', ondelete='CASCADE')
    kind: Mapped[MailKind] = enum_column(MailKind, length=10, constraint='ck_mail_deliveries_kind')
    period: Mapped[str] = mapped_column(String(10))
    status: Mapped[DeliveryStatus] = enum_column(DeliveryStatus, length=10, constraint='ck_mail_deliveries_status')
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    claimed_at: Mapped[Timestamp]
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class JobRun(Base):
    """One run of a mail job (scheduled, from the command line or the admin page): what it did."""

    __tablename__ = 'job_runs'
    __table_args__ = (Index('ix_job_runs_kind_period', 'kind', 'period'),)

    id: Mapped[IntPK]
    kind: Mapped[MailKind] = enum_column(MailKind, length=10, constraint='ck_job_runs_kind')
    period: Mapped[str] = mapped_column(String(10))
    trigger: Mapped[str] = mapped_column(String(20))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[RunStatus] = enum_column(
        RunStatus, length=10, constraint='ck_job_runs_status', default=RunStatus.RUNNING
    )
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    started_at: Mapped[Timestamp]
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OutboxMessage(Base):
    """One email a change asked for, written in that change's transaction and delivered after its commit, once.

    `message` is the whole composed message (RFC 5322 bytes), so delivery needs no query, template or setting
    of the moment, and sends exactly what the transaction meant; it is erased once the row is settled (sent,
    failed or expired), since it may hold a live link. See `services.mail.outbox` for the states.
    """

    __tablename__ = 'outbox_messages'
    __table_args__ = (Index('ix_outbox_messages_due', 'status', 'next_attempt_at'),)

    id: Mapped[IntPK]
    kind: Mapped[OutboxKind] = enum_column(OutboxKind, length=30, constraint='ck_outbox_messages_kind')
    user_id: Mapped[int | None] = fk('users.id', ondelete='SET NULL', nullable=True)
    # A booking email is composed when it is sent (QR codes and a PDF are too slow for the booking's transaction):
    # its row holds the booking instead of the message until then.
    booking_id: Mapped[int | None] = fk('bookings.id', ondelete='SET NULL', nullable=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    status: Mapped[OutboxStatus] = enum_column(
        OutboxStatus, length=10, constraint='ck_outbox_messages_status', default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # tries the server answered (accepted or refused)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    send_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)  # of no use after
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[Timestamp]
