"""A mail run: sending one kind of email for one period to pages of people, each email at most once.

Each (person, kind, period) is sent at most once: a `MailDelivery` row is claimed (a unique insert,
or a conditional update of an earlier failure) in its own transaction before the message goes, and
marked sent right after. A second run, a second instance or a restart finds the claim and sends
nothing again; a claim whose sender died mid-send is never retried, since the message may have
gone. A refused recipient is recorded as failed and the batch goes on; a server that is down fails
the run cleanly and a later run sends exactly what is missing (failures are retried up to
`mail_max_attempts` times). Every run is a `JobRun` row, updated after each page. One mailer (one
SMTP connection) serves the run. `jobs` decides who gets what; `completed` and `last_finished` tell
the scheduler whether a period still needs a run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import DeliveryStatus, JobRun, MailDelivery, MailKind, RunStatus
from models.db import session_scope, utcnow
from services.config import Settings
from services.mail.transport import Mailer, Refused, ServerDown, mailer_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One person's email of this run, built only once its delivery is claimed."""

    user_id: int
    build: Callable[[], EmailMessage] | None  # None: nothing to send to this person this time


@dataclass(frozen=True)
class RunResult:
    """What a run did: the counts and outcome its `JobRun` row ends with."""

    run_id: int
    kind: MailKind
    period: str
    dry_run: bool
    status: RunStatus
    sent: int
    failed: int
    skipped: int
    error: str | None

    def describe(self) -> str:
        verb = 'would send' if self.dry_run else 'sent'
        outcome = f'{verb} {self.sent}, failed {self.failed}, skipped {self.skipped}'
        return f'{self.kind} {self.period}: {outcome}' + (f' — {self.error}' if self.error else '')


def run(
    kind: MailKind,
    period: str,
    pages: Iterator[list[Outgoing]],
    *,
    dry_run: bool,
    trigger: str,
    mailer: Mailer | None,
    settings: Settings,
) -> RunResult:
    """Send `kind` for `period` to every person of `pages` who still needs it; record the run and return its counts.

    A dry run claims and sends nothing: it counts who would get an email.
    """
    with session_scope() as session:
        job_run = JobRun(
            kind=kind, period=period, trigger=trigger, dry_run=dry_run, status=RunStatus.RUNNING, started_at=utcnow()
        )
        session.add(job_run)
        session.flush()
        run_id = job_run.id
    counts = {'sent': 0, 'failed': 0, 'skipped': 0}
    status, error = RunStatus.DONE, None
    mailer = mailer or mailer_for(settings)
    try:
        for page in pages:
            done = _settled(kind, period, [item.user_id for item in page], settings.mail_max_attempts)
            for item in page:
                if item.build is None or item.user_id in done:
                    counts['skipped'] += 1
                elif dry_run:
                    counts['sent'] += 1
                elif not _claim(item.user_id, kind, period, settings.mail_max_attempts):
                    counts['skipped'] += 1  # another run or instance has it
                else:
                    try:
                        counts['sent' if _deliver(item, kind, period, mailer) else 'failed'] += 1
                    except ServerDown:
                        counts['failed'] += 1
                        raise
            _record(run_id, counts)
    except ServerDown as down:
        status, error = RunStatus.FAILED, str(down)[:300]
        log.warning('%s run for %s stopped: %s', kind, period, down)
    except Exception as failure:  # the run is recorded as failed whatever broke it; the error is logged in full
        status, error = RunStatus.FAILED, f'{type(failure).__name__}: {failure}'[:300]
        log.exception('%s run for %s failed', kind, period)
    finally:
        mailer.close()
    with session_scope() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(status=status, error=error, finished_at=utcnow(), **counts)
            .execution_options(synchronize_session=False)
        )
    result = RunResult(run_id, kind, period, dry_run, status, error=error, **counts)
    log.info('mail run: %s', result.describe())
    return result


def _record(run_id: int, counts: dict[str, int]) -> None:
    """Progress after each page, so the admin page shows a long run moving."""
    with session_scope() as session:
        session.execute(
            update(JobRun).where(JobRun.id == run_id).values(**counts).execution_options(synchronize_session=False)
        )


def _settled(kind: MailKind, period: str, user_ids: list[int], max_attempts: int) -> set[int]:
    """Who of these needs nothing more this period: sent, being sent, or failed too often."""
    with session_scope() as session:
        return set(
            session.scalars(
                select(MailDelivery.user_id).where(
                    MailDelivery.kind == kind,
                    MailDelivery.period == period,
                    MailDelivery.user_id.in_(user_ids),
                    (MailDelivery.status != DeliveryStatus.FAILED) | (MailDelivery.attempts >= max_attempts),
                )
            )
        )


def _claim(user_id: int, kind: MailKind, period: str, max_attempts: int) -> bool:
    """Take the right to send this one message: a new claim, or another try of a failure. Only one taker wins."""
    try:
        with session_scope() as session:
            session.add(
                MailDelivery(user_id=user_id, kind=kind, period=period, status=DeliveryStatus.CLAIMED, attempts=1)
            )
        return True
    except IntegrityError:
        pass  # claimed before: only a failure with tries left may be taken again
    with session_scope() as session:
        retried = session.execute(
            update(MailDelivery)
            .where(
                MailDelivery.user_id == user_id,
                MailDelivery.kind == kind,
                MailDelivery.period == period,
                MailDelivery.status == DeliveryStatus.FAILED,
                MailDelivery.attempts < max_attempts,
            )
            .values(status=DeliveryStatus.CLAIMED, attempts=MailDelivery.attempts + 1, claimed_at=utcnow(), error=None)
            .returning(MailDelivery.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
    return retried is not None


def _deliver(item: Outgoing, kind: MailKind, period: str, mailer: Mailer) -> bool:
    """Send one claimed email and record how it went: True when sent."""
    assert item.build is not None
    where = and_(MailDelivery.user_id == item.user_id, MailDelivery.kind == kind, MailDelivery.period == period)
    try:
        message = item.build()
    except Exception as error:  # a message that cannot be built is this person's failure, not the batch's
        log.exception('%s for user %s could not be built', kind, item.user_id)
        _mark_failed(where, f'could not build the message: {type(error).__name__}: {error}', attempt=True)
        return False
    try:
        mailer.send(message)
    except Refused as error:
        log.warning('%s for user %s refused: %s', kind, item.user_id, error)
        _mark_failed(where, str(error), attempt=True)
        return False
    except ServerDown as error:
        _mark_failed(where, str(error), attempt=False)  # the server's outage is not this person's try
        raise
    with session_scope() as session:
        session.execute(
            update(MailDelivery)
            .where(where)
            .values(status=DeliveryStatus.SENT, sent_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return True


def _mark_failed(where: ColumnElement[bool], error: str, *, attempt: bool) -> None:
    values: dict[str, Any] = {'status': DeliveryStatus.FAILED, 'error': error[:300]}
    if not attempt:
        values['attempts'] = MailDelivery.attempts - 1
    with session_scope() as session:
        session.execute(update(MailDelivery).where(where).values(**values).execution_options(synchronize_session=False))


def completed(session: Session, *, kind: MailKind, period: str, max_attempts: int) -> bool:
    """Whether a real (not dry) run finished this period and no refused email has tries left."""
    done = session.scalar(
        select(func.count(JobRun.id)).where(
            JobRun.kind == kind, JobRun.period == period, JobRun.status == RunStatus.DONE, JobRun.dry_run.is_(False)
        )
    )
    retries = session.scalar(
        select(func.count(MailDelivery.id)).where(
            MailDelivery.kind == kind,
            MailDelivery.period == period,
            MailDelivery.status == DeliveryStatus.FAILED,
            MailDelivery.attempts < max_attempts,
        )
    )
    return bool(done) and not retries


def last_finished(session: Session, *, kind: MailKind, period: str) -> dt.datetime | None:
    """When the latest real run of this period ended, done or failed."""
    return session.scalar(
        select(func.max(JobRun.finished_at)).where(
            JobRun.kind == kind, JobRun.period == period, JobRun.dry_run.is_(False)
        )
    )
