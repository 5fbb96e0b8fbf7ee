"""The admin's view of the mail: the latest runs, "run it now", the email queue, and the outbox folder's messages.

Every function checks that the actor is an admin before it reads or starts anything; the mail
admin page and the outbox download route call them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import JobRun, MailKind, OutboxKind, OutboxMessage, OutboxStatus, Role, RunStatus
from models.db import utcnow
from services.auth import load_actor, require_role
from services.config import get_settings
from services.errors import Invalid, NotFound
from services.mail import months
from services.mail.jobs import send_monthly_reports, send_reminders
from services.mail.outbox import CLAIM_TIMEOUT, by_status
from services.mail.runner import RunResult
from services.validation import FormText


@dataclass(frozen=True)
class RunView:
    id: int
    kind: MailKind
    period: str
    trigger: str
    dry_run: bool
    status: RunStatus
    sent: int
    failed: int
    skipped: int
    error: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None


def recent_runs(session: Session, *, actor_id: int, limit: int = 20) -> list[RunView]:
    """The latest runs of the mail jobs, for admins."""
    require_role(load_actor(session, actor_id), Role.ADMIN, action='see the mail jobs')
    runs = session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit))
    return [
        RunView(
            r.id,
            r.kind,
            r.period,
            r.trigger,
            r.dry_run,
            r.status,
            r.sent,
            r.failed,
            r.skipped,
            r.error,
            r.started_at,
            r.finished_at,
        )
        for r in runs
    ]


def run_now(
    session: Session, *, actor_id: int, kind: str, dry_run: bool, month: str | None = None
) -> Callable[[], RunResult]:
    """An admin's 'run it now': checked here, run by the caller outside this transaction (it owns its own)."""
    require_role(load_actor(session, actor_id), Role.ADMIN, action='run the mail jobs')
    if kind == MailKind.REMINDER:
        return lambda: send_reminders(dry_run=dry_run, trigger='admin')
    if kind == MailKind.REPORT:
        if month is not None:
            try:
                months.parse_month(month)
            except ValueError as error:
                raise Invalid({'month': str(error)}) from error
        return lambda: send_monthly_reports(month=month, dry_run=dry_run, trigger='admin')
    raise Invalid({'kind': 'Choose the reminders or the reports.'})


@dataclass(frozen=True)
class QueuedEmail:
    """One email of the queue, without its body (it may hold a live link)."""

    id: int
    kind: OutboxKind
    to: str
    subject: str
    status: OutboxStatus
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    sent_at: dt.datetime | None
    error: str | None
    stuck: bool  # its sender stopped mid-send: it may have gone out, and is never sent again


@dataclass(frozen=True)
class EmailQueue:
    counts: dict[OutboxStatus, int]  # every status, zero when none
    stuck: int
    latest: list[QueuedEmail]


def email_queue(session: Session, *, actor_id: int, limit: int = 20, now: dt.datetime | None = None) -> EmailQueue:
    """The outbox queue for admins: how many emails are in each state, and the latest ones."""
    require_role(load_actor(session, actor_id), Role.ADMIN, action='see the email queue')
    stuck_before = (now or utcnow()) - CLAIM_TIMEOUT
    counted = by_status(session)
    stuck = session.scalar(
        select(func.count()).where(
            OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < stuck_before
        )
    )
    rows = session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.to_address,
            OutboxMessage.subject,
            OutboxMessage.status,
            OutboxMessage.attempts,
            OutboxMessage.created_at,
            OutboxMessage.next_attempt_at,
            OutboxMessage.sent_at,
            OutboxMessage.error,
            OutboxMessage.claimed_at,
        )
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    latest = [
        QueuedEmail(
            *row[:10],
            stuck=row.status == OutboxStatus.SENDING and row.claimed_at is not None and row.claimed_at < stuck_before,
        )
        for row in rows
    ]
    return EmailQueue({status: counted.get(status, 0) for status in OutboxStatus}, stuck or 0, latest)


@dataclass(frozen=True)
class OutboxItem:
    name: str
    to: str
    subject: str
    written_at: dt.datetime


_OUTBOX_NAME = re.compile(r'^\d{8}-\d{6}-[0-9a-f]{8}\.eml$')  # the names `transport.OutboxMailer` writes


def outbox(session: Session, *, actor_id: int, limit: int = 50) -> list[OutboxItem]:
    """The newest messages written to the outbox (no SMTP server configured), for admins."""
    require_role(load_actor(session, actor_id), Role.ADMIN, action='read the outbox')
    folder = get_settings().outbox_dir
    names = sorted((p.name for p in folder.glob('*.eml') if _OUTBOX_NAME.match(p.name)), reverse=True)[:limit]
    items = []
    for name in names:
        with (folder / name).open('rb') as handle:
            headers = BytesHeaderParser(policy=policy.default).parse(handle)
        written = dt.datetime.strptime(name[:15], '%Y%m%d-%H%M%S').replace(tzinfo=dt.UTC)
        items.append(OutboxItem(name, str(headers['To'] or ''), str(headers['Subject'] or ''), written))
    return items


def outbox_file(session: Session, *, actor_id: int, name: FormText) -> Path:
    """One outbox message's file, for an admin to download; only names the outbox writes, never a path outside it."""
    require_role(load_actor(session, actor_id), Role.ADMIN, action='read the outbox')
    path = get_settings().outbox_dir / str(name)
    if not isinstance(name, str) or not _OUTBOX_NAME.match(name) or not path.is_file():
        raise NotFound('No such message in the outbox.')
    return path
