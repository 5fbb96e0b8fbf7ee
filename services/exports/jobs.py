"""Export jobs as people see them: requesting one, reading, listing and downloading it, purging old ones.

`request_export` checks who may export what and records a pending job: the job table is the queue, so
whichever instance's runner has a free worker claims it (`runner`, `claims`); once the transaction has
committed, this process's runner is woken to look at once. A job is seen only by its creator or an admin;
reading one never changes it (a job whose worker died is retried or failed by a runner, not by a read).
At most `MAX_ACTIVE_PER_PERSON` may be under way per person. A purge deletes files only after the
transaction that forgot their jobs has committed.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import AuditAction, ExportFormat, ExportJob, ExportKind, ExportStatus, Role, User
from models.db import utcnow
from services import audit
from services.access import managed_show, managed_theatre
from services.auth import load_actor
from services.config import get_settings
from services.errors import Conflict, Invalid, NotFound
from services.exports.claims import UNDER_WAY
from services.exports.runner import configured_export_dir, wake
from services.hooks import on_commit
from services.validation import FormText

MAX_ACTIVE_PER_PERSON = 3
MEDIA_TYPES = {
    ExportFormat.CSV: 'text/csv; charset=utf-8',
    ExportFormat.XLSX: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}


@dataclass(frozen=True)
class ExportView:
    id: str
    kind: ExportKind
    title: str
    format: ExportFormat
    status: ExportStatus
    progress: int
    rows: int
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.status in UNDER_WAY

    @property
    def filename(self) -> str:
        # Letters, marks and digits of any script stay (\w would cut Devanagari's vowel signs apart).
        kept = ''.join(c if unicodedata.category(c)[0] in 'LMN' else '-' for c in self.title.lower())
        slug = re.sub('-+', '-', kept).strip('-') or 'export'
        return f'{slug[:60]}-{self.created_at:%Y%m%d-%H%M}.{self.format}'

    @classmethod
    def of(cls, job: ExportJob) -> ExportView:
        return cls(
            id=job.id,
            kind=job.kind,
            title=job.title,
            format=job.format,
            status=job.status,
            progress=job.progress,
            rows=job.rows,
            error=job.error,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


@dataclass(frozen=True)
class ExportFile:
    path: Path
    filename: str
    media_type: str


def request_export(
    session: Session,
    *,
    actor_id: int,
    kind: FormText,
    target_id: int | None = None,
    format: FormText = ExportFormat.CSV,
    now: dt.datetime | None = None,
) -> ExportView:
    """Record a pending export of a theatre or a show (its manager or an admin) or of one's own bookings."""
    actor = load_actor(session, actor_id)
    if format not in tuple(ExportFormat):
        raise Invalid({'format': 'Choose CSV or Excel (xlsx).'})
    if kind not in tuple(ExportKind):
        raise Invalid({'kind': 'Choose what to export: a theatre, a show or your bookings.'})
    kind, format = ExportKind(kind), ExportFormat(format)
    title = _title(session, actor, kind, target_id)
    moment = now or utcnow()
    export_dir = configured_export_dir()
    if export_dir is not None:  # a long-running app tidies up as it goes, not only when it starts
        retention = dt.timedelta(hours=get_settings().export_retention_hours)
        purge_expired(session, export_dir=export_dir, older_than=retention, now=moment)
    active = session.scalar(
        select(func.count(ExportJob.id)).where(ExportJob.owner_id == actor.id, ExportJob.status.in_(UNDER_WAY))
    )
    if (active or 0) >= MAX_ACTIVE_PER_PERSON:
        raise Conflict(f'You already have {active} exports under way; start another once one has finished.')
    job = ExportJob(
        id=secrets.token_hex(16),
        owner_id=actor.id,
        kind=kind,
        target_id=target_id if kind != ExportKind.BOOKINGS else None,
        title=title,
        format=format,
        status=ExportStatus.PENDING,
        progress=0,
        rows=0,
        attempts=0,
        created_at=moment,
        heartbeat_at=moment,
        available_at=moment,
    )
    session.add(job)
    session.flush()
    if job.kind in (ExportKind.SHOW, ExportKind.BOOKINGS):  # these list people; a theatre's lists only its shows
        audit.record(session, actor_id=actor.id, action=AuditAction.EXPORT_REQUESTED, target=job)
    on_commit(session, wake)
    return ExportView.of(job)


def _title(session: Session, actor: User, kind: ExportKind, target_id: int | None) -> str:
    """What the export is of, checked for the actor: someone else's theatre or show is 'No such ...'."""
    if kind == ExportKind.THEATRE:
        theatre = managed_theatre(session, actor, target_id)
        return f'Theatre · {theatre.name}'
    if kind == ExportKind.SHOW:
        show = managed_show(session, actor, target_id)
        return f'Show · {show.name}'
    return 'My bookings'


def _visible_job(session: Session, actor: User, job_id: FormText) -> ExportJob:
    job = session.get(ExportJob, job_id) if isinstance(job_id, str) and len(job_id) <= 32 else None
    if job is None or (job.owner_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound('No such export.')
    return job


def get_export(session: Session, *, actor_id: int, job_id: FormText) -> ExportView:
    """One export job, for its creator or an admin; anyone else is told it does not exist."""
    actor = load_actor(session, actor_id)
    return ExportView.of(_visible_job(session, actor, job_id))


def my_exports(session: Session, *, actor_id: int, limit: int = 20) -> list[ExportView]:
    """The person's own latest exports, newest first."""
    actor = load_actor(session, actor_id)
    jobs = session.scalars(
        select(ExportJob)
        .where(ExportJob.owner_id == actor.id)
        .order_by(ExportJob.created_at.desc(), ExportJob.id)
        .limit(max(1, min(limit, 100)))
    ).all()
    return [ExportView.of(job) for job in jobs]


def export_file(session: Session, *, actor_id: int, job_id: FormText, export_dir: Path) -> ExportFile:
    """The finished file of a job its creator (or an admin) may download."""
    actor = load_actor(session, actor_id)
    view = ExportView.of(_visible_job(session, actor, job_id))
    if view.status != ExportStatus.DONE:
        raise Conflict('This export is not ready yet.' if view.active else 'This export failed; there is no file.')
    path = export_dir / f'{view.id}.{view.format}'
    if not path.is_file():
        raise NotFound('This export file has been cleaned up; please export again.')
    return ExportFile(path, view.filename, MEDIA_TYPES[view.format])


def purge_expired(
    session: Session, *, export_dir: Path, older_than: dt.timedelta, now: dt.datetime | None = None
) -> int:
    """Forget finished jobs older than `older_than`, and delete their files once that has committed; returns how
    many went. A file is never deleted while a row that points to it may still be there (a rollback keeps both)."""
    cutoff = (now or utcnow()) - older_than
    ids = session.scalars(
        select(ExportJob.id).where(
            ExportJob.created_at < cutoff, ExportJob.status.in_((ExportStatus.DONE, ExportStatus.FAILED))
        )
    ).all()
    if ids:
        session.execute(delete(ExportJob).where(ExportJob.id.in_(ids)))
        on_commit(session, functools.partial(delete_files, export_dir, list(ids)))
    return len(ids)


def delete_files(export_dir: Path, job_ids: list[str]) -> None:
    """Every file of these jobs: the export and any try's partial file."""
    for job_id in job_ids:
        for path in export_dir.glob(f'{job_id}.*'):
            path.unlink(missing_ok=True)
