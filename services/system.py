"""What the admin's system page shows and the metrics count: the queues' depths, the instances seen recently, the
last mail runs and the var folder's disk use. Reads only; admins only (the metrics read the queues without a
person: `queue_depths`)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ExportJob, Instance, JobRun, MailKind, Role, RunStatus, WaitlistEntry, WaitlistStatus
from models.db import utcnow
from services import instances
from services.auth import load_actor, require_role
from services.mail import outbox as outbox_queue


@dataclass(frozen=True)
class QueueDepths:
    outbox: dict[str, int]  # by status
    exports: dict[str, int]  # by state
    offers_open: int  # waiting-list offers waiting for an answer


@dataclass(frozen=True)
class InstanceView:
    id: str
    host: str
    port: int
    pid: int
    started_at: dt.datetime
    seen_at: dt.datetime
    this_one: bool


@dataclass(frozen=True)
class RunView:
    kind: MailKind
    period: str
    status: RunStatus
    dry_run: bool
    sent: int
    failed: int
    started_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class DiskUse:
    folder: Path
    used_bytes: int  # the var folder's files (the database, exports, media, outbox)
    free_bytes: int  # left on its file system
    total_bytes: int


@dataclass(frozen=True)
class SystemStatus:
    instances: list[InstanceView]
    queues: QueueDepths
    runs: list[RunView]


def queue_depths(session: Session) -> QueueDepths:
    """Three grouped counts over indexed columns."""
    outbox = {str(status): n for status, n in outbox_queue.by_status(session).items()}
    exports = {str(s): n for s, n in session.execute(select(ExportJob.status, func.count()).group_by(ExportJob.status))}
    offers = session.scalar(
        select(func.count()).select_from(WaitlistEntry).where(WaitlistEntry.status == WaitlistStatus.OFFERED)
    )
    return QueueDepths(outbox=outbox, exports=exports, offers_open=offers or 0)


def system_status(session: Session, *, actor_id: int, now: dt.datetime | None = None, runs: int = 6) -> SystemStatus:
    """For admins: the instances seen in the last minute (this one first), the queues, the latest mail runs."""
    require_role(load_actor(session, actor_id), Role.ADMIN, action='see the system page')
    now = now or utcnow()
    seen = session.scalars(
        select(Instance).where(Instance.seen_at >= now - instances.RECENT).order_by(Instance.started_at)
    )
    views = [
        InstanceView(i.id, i.host, i.port, i.pid, i.started_at, i.seen_at, this_one=i.id == instances.ID) for i in seen
    ]
    views.sort(key=lambda view: not view.this_one)
    latest = session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(runs))
    return SystemStatus(
        instances=views,
        queues=queue_depths(session),
        runs=[
            RunView(r.kind, r.period, r.status, r.dry_run, r.sent, r.failed, r.started_at, r.finished_at)
            for r in latest
        ],
    )


def disk_use(folder: Path) -> DiskUse:
    """The var folder's size (every file under it) and its file system's free space. Walks the folder: call it off
    the event loop."""
    used = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                used += os.lstat(os.path.join(root, name)).st_size
            except OSError:  # gone meanwhile (an export purged, a journal checkpointed)
                continue
    usage = shutil.disk_usage(folder)
    return DiskUse(folder=folder.resolve(), used_bytes=used, free_bytes=usage.free, total_bytes=usage.total)
