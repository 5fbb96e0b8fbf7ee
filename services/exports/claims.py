"""The export queue is the job table: claiming pending jobs, keeping claimed ones alive, ending them, taking them back.

Every instance's runner (`runner`) and every worker process (`worker`) goes through these, so the rules are in one
place. A claim is one conditional `UPDATE ... WHERE status = 'pending'` over the oldest claimable jobs; on PostgreSQL
its subquery locks them `FOR UPDATE SKIP LOCKED`, so runners of several instances take different jobs instead of
queueing behind each other's rows, and on SQLite (one writer at a time) the condition alone decides. A claim is
(job, instance, attempt): whatever is written for the job later is conditional on it, so a worker that has lost its
job — taken back after its runner fell silent, handed back at a shutdown — can no longer change it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, aliased

from models import ExportJob, ExportStatus

FAILED_WORKER = 'The export stopped unexpectedly. Please start it again.'
RETRY_DELAY = dt.timedelta(seconds=5)  # doubled for each further try: a job that kills its worker is not hammered
UNDER_WAY = (ExportStatus.PENDING, ExportStatus.RUNNING)


@dataclass(frozen=True)
class Claim:
    """One run of one job: what a worker's writes are conditional on."""

    job_id: str
    instance: str
    attempt: int


def held(claim: Claim) -> ColumnElement[bool]:
    """The job is still running under this claim."""
    return and_(
        ExportJob.id == claim.job_id,
        ExportJob.status == ExportStatus.RUNNING,
        ExportJob.claimed_by == claim.instance,
        ExportJob.attempts == claim.attempt,
    )


def _update(session: Session, where: ColumnElement[bool], **values: Any) -> int:
    result = session.execute(
        update(ExportJob).where(where).values(**values).execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def claim(session: Session, *, instance: str, limit: int, now: dt.datetime) -> list[Claim]:
    """Take up to `limit` claimable pending jobs, oldest first, for `instance`; the claims this caller got."""
    if limit <= 0:
        return []
    queued = aliased(ExportJob)
    # Materialised: inlined into the UPDATE, PostgreSQL may run the locking subquery more than once and so take
    # more than `limit` jobs.
    oldest = (
        select(queued.id)
        .where(queued.status == ExportStatus.PENDING, queued.available_at <= now)
        .order_by(queued.available_at, queued.created_at, queued.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte('oldest')
        .prefix_with('MATERIALIZED')
    )
    taken = session.execute(
        update(ExportJob)
        .where(ExportJob.id.in_(select(oldest.c.id)), ExportJob.status == ExportStatus.PENDING)
        .values(
            status=ExportStatus.RUNNING,
            claimed_by=instance,
            attempts=ExportJob.attempts + 1,
            heartbeat_at=now,
            progress=0,
            rows=0,
        )
        .returning(ExportJob.id, ExportJob.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    return [Claim(job_id, instance, attempts) for job_id, attempts in taken]


def heartbeat(session: Session, claims: Sequence[Claim], *, now: dt.datetime) -> set[str]:
    """Renew the lease of jobs still held under these claims; the ids of those that are."""
    if not claims:
        return set()
    renewed = session.execute(
        update(ExportJob)
        .where(or_(*(held(c) for c in claims)))
        .values(heartbeat_at=now)
        .returning(ExportJob.id)
        .execution_options(synchronize_session=False)
    ).scalars()
    return set(renewed)


def report_progress(session: Session, claim: Claim, *, done: int, total: int, now: dt.datetime) -> bool:
    """Rows written so far (which also renews the lease); False once the job is no longer this claim's."""
    progress = min(99, done * 100 // max(total, 1))
    return _update(session, held(claim), progress=progress, rows=done, heartbeat_at=now) == 1


def finish(
    session: Session,
    claim: Claim,
    *,
    status: ExportStatus,
    now: dt.datetime,
    error: str | None = None,
    rows: int = 0,
) -> bool:
    """End the claimed job as done or failed; False (and nothing changed) once it is no longer this claim's."""
    values: dict[str, Any] = {'status': status, 'error': error, 'finished_at': now, 'heartbeat_at': now}
    if status == ExportStatus.DONE:
        values.update(progress=100, rows=rows)
    return _update(session, held(claim), **values) == 1


def give_back(session: Session, claim: Claim, *, now: dt.datetime, max_attempts: int) -> ExportStatus | None:
    """A claim whose worker died: the job is pending again after a delay, or failed once it has had its tries.
    Its new status, or None when it was no longer this claim's."""
    return _retry_or_fail(session, held(claim), attempts=claim.attempt, now=now, max_attempts=max_attempts)


def take_back_silent(
    session: Session, *, lease: dt.timedelta, now: dt.datetime, max_attempts: int
) -> dict[str, ExportStatus]:
    """Jobs whose runner has not renewed their lease for `lease` (its instance died or hangs): each is pending again
    or, after `max_attempts` tries, failed. Any instance's runner does this; the conditional updates make sure only
    one of them does it for a given run. What became of each job it took back."""
    cutoff = now - lease
    silent = session.execute(
        select(ExportJob.id, ExportJob.attempts).where(
            ExportJob.status == ExportStatus.RUNNING, ExportJob.heartbeat_at < cutoff
        )
    ).all()
    outcome: dict[str, ExportStatus] = {}
    for job_id, attempts in silent:
        still_silent = and_(
            ExportJob.id == job_id,
            ExportJob.status == ExportStatus.RUNNING,
            ExportJob.attempts == attempts,
            ExportJob.heartbeat_at < cutoff,
        )
        status = _retry_or_fail(session, still_silent, attempts=attempts, now=now, max_attempts=max_attempts)
        if status is not None:
            outcome[job_id] = status
    return outcome


def _retry_or_fail(
    session: Session, where: ColumnElement[bool], *, attempts: int, now: dt.datetime, max_attempts: int
) -> ExportStatus | None:
    if attempts < max_attempts:
        delay = RETRY_DELAY * 2 ** max(0, attempts - 1)
        changed = _update(
            session,
            where,
            status=ExportStatus.PENDING,
            claimed_by=None,
            available_at=now + delay,
            heartbeat_at=now,
            progress=0,
            rows=0,
        )
        return ExportStatus.PENDING if changed else None
    changed = _update(
        session, where, status=ExportStatus.FAILED, error=FAILED_WORKER, finished_at=now, heartbeat_at=now
    )
    return ExportStatus.FAILED if changed else None


def hand_back(session: Session, claims: Sequence[Claim], *, now: dt.datetime) -> int:
    """At an orderly shutdown: the jobs still held are pending again, at once, and the interrupted try does not
    count; their workers find them gone at their next progress report and stop. How many went back."""
    returned = 0
    for c in claims:
        returned += _update(
            session,
            held(c),
            status=ExportStatus.PENDING,
            claimed_by=None,
            attempts=ExportJob.attempts - 1,
            available_at=now,
            heartbeat_at=now,
            progress=0,
            rows=0,
        )
    return returned
