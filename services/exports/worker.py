"""The worker side of the exports: the process pool, its entry point, and claiming, running and ending a job.

`submit` hands a recorded job to a spawned worker process (so a large export never slows anyone's
page); `run_export` is that worker's whole job: it claims the job with a conditional update, runs the
job's query (`tables`) through a writer (`writers`) into a file under the export folder, reports
progress as it goes, and ends the job as done or failed. A worker that dies leaves its job failed
with `FAILED_WORKER`. `run_export` is what the pool pickles, by this module's path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.orm import Session

from models import ExportJob
from models import db as database
from models.db import utcnow
from services.auth import load_actor
from services.errors import DomainError
from services.exports.tables import TABLES
from services.exports.writers import write_csv, write_xlsx

log = logging.getLogger(__name__)

FAILED_WORKER = 'The export stopped unexpectedly. Please start it again.'


def finish(
    session: Session, job_id: str, *, status: str, now: dt.datetime, error: str | None = None, rows: int = 0
) -> None:
    """End a job still under way as done or failed; a job that has already ended stays as it was."""
    values: dict[str, Any] = {'status': status, 'error': error, 'finished_at': now, 'heartbeat_at': now}
    if status == 'done':
        values.update(progress=100, rows=rows)
    session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status.in_(('pending', 'running')))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def run_export(job_id: str, *, database_url: str, export_dir: str, tz_name: str) -> str:
    """Run one export job to its end (done or failed); returns its final status. Runs in a worker process."""
    database.ensure_configured(database_url)
    with database.session_scope() as session:
        claimed = session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.status == 'pending')
            .values(status='running', heartbeat_at=utcnow())
            .returning(ExportJob.kind, ExportJob.target_id, ExportJob.format, ExportJob.owner_id)
            .execution_options(synchronize_session=False)
        ).one_or_none()
    if claimed is None:
        return 'skipped'  # already taken, finished or forgotten
    kind, target_id, fmt, owner_id = claimed
    folder = Path(export_dir)
    part = folder / f'{job_id}.{fmt}.part'
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with database.session_scope() as session:
            owner = load_actor(session, owner_id)  # permission is checked again: it may have changed meanwhile
            table = TABLES[kind](session, owner, target_id, ZoneInfo(tz_name))

            def progress(done: int) -> None:
                _report_progress(job_id, done, table.count)

            writer = write_csv if fmt == 'csv' else write_xlsx
            written = writer(table, part, progress)
        part.replace(folder / f'{job_id}.{fmt}')
    except DomainError as error:
        return _end_failed(job_id, part, error.message)
    except Exception:  # any fault ends the job as failed, visibly, rather than losing it
        log.exception('export %s failed', job_id)
        return _end_failed(job_id, part, 'The export failed because of an error on our side. Please try again.')
    with database.session_scope() as session:
        finish(session, job_id, status='done', rows=written, now=utcnow())
    return 'done'


def _report_progress(job_id: str, done: int, total: int) -> None:
    with database.session_scope() as session:
        session.execute(
            update(ExportJob)
            .where(ExportJob.id == job_id, ExportJob.status == 'running')
            .values(progress=min(99, done * 100 // max(total, 1)), rows=done, heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def _end_failed(job_id: str, part: Path, message: str) -> str:
    with database.session_scope() as session:
        finish(session, job_id, status='failed', error=message[:300], now=utcnow())
    with contextlib.suppress(OSError):  # the folder itself may be what failed: the job is failed already
        part.unlink(missing_ok=True)
    return 'failed'


# --- the process pool ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where this app's jobs read and write; passed with every job, so one pool can serve any of them."""

    database_url: str
    export_dir: Path
    tz_name: str


_target: Target | None = None
_pool: ProcessPoolExecutor | None = None
_workers = 1


def configure(*, database_url: str, export_dir: Path, tz_name: str, workers: int = 1) -> None:
    """Point the jobs at a database and a folder; the worker pool starts on the first export."""
    global _target, _workers
    if workers != _workers:
        shutdown()
    _target, _workers = Target(database_url, export_dir, tz_name), workers


def configured_export_dir() -> Path | None:
    """The folder `configure` pointed the jobs at; None before it has been called."""
    return None if _target is None else _target.export_dir


def submit(job_id: str) -> Future[str]:
    """Run a recorded job in a worker process; its outcome is written to the job itself."""
    global _pool
    if _target is None:
        raise RuntimeError('exports not configured: call services.exports.configure(...) first')
    if _pool is None:
        # spawn, not fork: the app process has threads (server, database pool) that a fork would copy mid-state
        _pool = ProcessPoolExecutor(_workers, mp_context=multiprocessing.get_context('spawn'))
    future = _pool.submit(
        run_export,
        job_id,
        database_url=_target.database_url,
        export_dir=str(_target.export_dir),
        tz_name=_target.tz_name,
    )
    future.add_done_callback(functools.partial(_after, job_id))
    return future


def _after(job_id: str, future: Future[str]) -> None:
    """A worker that died (killed, out of memory) leaves its job failed, not running for ever."""
    global _pool
    if future.cancelled() or future.exception() is None:
        return
    log.error('export worker for %s died: %r', job_id, future.exception())
    if isinstance(future.exception(), BrokenProcessPool):
        _pool = None  # the next export starts a fresh pool
    with database.session_scope() as session:
        finish(session, job_id, status='failed', error=FAILED_WORKER, now=utcnow())


def shutdown() -> None:
    """Stop the worker processes (at app shutdown); queued jobs are reported failed when next read."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None
