"""What runs in an export worker process: one claimed job, from its query to its file.

`run_export` is the whole job: it runs the job's query (`tables`) through a writer (`writers`) into a file of its
attempt's own under the export folder, reports progress as it goes (which renews the job's lease), and ends the job as
done or failed. Every write is conditional on the claim (`claims.held`): a worker whose job was taken back or handed
back, or whose instance has died (its parent process is gone), stops at its next progress report and changes
nothing. A worker process whose app process has gone (killed, or ended by a signal, which skips the pool's own
clean-up) leaves too, as soon as it has no job at hand (`watch_parent`). `run_export`, `warm_up` and `watch_parent`
are what the pool pickles, by this module's path.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import xlsxwriter  # noqa: F401 - imported when the worker starts, not in the middle of its first Excel export
from sqlalchemy import select, text

from models import ExportFormat, ExportJob, ExportStatus
from models import db as database
from models.db import utcnow
from services.auth import load_actor
from services.errors import DomainError
from services.exports import claims
from services.exports.claims import Claim
from services.exports.tables import TABLES
from services.exports.writers import write_csv, write_xlsx

log = logging.getLogger(__name__)

SERVER_ERROR = 'The export failed because of an error on our side. Please try again.'
LOST = 'lost'  # what `run_export` returns for a job that is no longer its claim's


PARENT_CHECK_SECONDS = 1.0
_working = threading.Event()  # a job is at hand in this worker process


class Lost(Exception):
    """The job is no longer this worker's: taken back, handed back, or its instance is gone."""


def watch_parent() -> None:
    """The pool's initializer: a thread that ends this worker process once the app process that started it has
    gone and no job is at hand (one at hand stops at its next report, then the process ends)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != parent and not _working.is_set():
                os._exit(0)

    threading.Thread(target=watch, name='parent-watch', daemon=True).start()


def warm_up(database_url: str) -> int:
    """Run once in each new worker process so the first export finds it ready: modules imported (by importing this
    one), the database engine made and connected. Returns the worker's process id."""
    database.ensure_configured(database_url)
    with database.engine().connect() as conn:
        conn.execute(text('SELECT 1'))
    return os.getpid()


def run_export(job_id: str, *, instance: str, attempt: int, database_url: str, export_dir: str, tz_name: str) -> str:
    """Run one claimed job to its end; returns how it ended: done, failed, or `LOST` (no longer this claim's job)."""
    _working.set()
    try:
        return _run(Claim(job_id, instance, attempt), database_url=database_url, export_dir=export_dir, tz_name=tz_name)
    finally:
        _working.clear()


def _run(claim: Claim, *, database_url: str, export_dir: str, tz_name: str) -> str:
    job_id = claim.job_id
    database.ensure_configured(database_url)
    parent = os.getppid()
    with database.session_scope() as session:
        found = session.execute(
            select(ExportJob.kind, ExportJob.target_id, ExportJob.format, ExportJob.owner_id).where(claims.held(claim))
        ).one_or_none()
    if found is None:
        return LOST
    kind, target_id, fmt, owner_id = found
    folder = Path(export_dir)
    # A part file of the try's own: a worker that has lost its job never writes into the next try's file.
    part = folder / f'{job_id}.{fmt}.{claim.attempt}.part'
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with database.session_scope() as session:
            owner = load_actor(session, owner_id)  # permission is checked again: it may have changed meanwhile
            table = TABLES[kind](session, owner, target_id, ZoneInfo(tz_name))

            def progress(done: int) -> None:
                if os.getppid() != parent:
                    raise Lost  # the instance that claimed the job is gone; another one will take it back
                with database.session_scope() as reporting:
                    if not claims.report_progress(reporting, claim, done=done, total=table.count, now=utcnow()):
                        raise Lost

            writer = write_csv if fmt == ExportFormat.CSV else write_xlsx
            written = writer(table, part, progress)
        with database.session_scope() as session:
            # Done and in place together: the row stays locked while the file is renamed, so the job cannot be
            # taken back in between, and a failed rename rolls the `done` back.
            if not claims.finish(session, claim, status=ExportStatus.DONE, rows=written, now=utcnow()):
                raise Lost
            part.replace(folder / f'{job_id}.{fmt}')
    except Lost:
        _remove(part)
        return LOST
    except DomainError as error:
        return _end_failed(claim, part, error.message)
    except Exception:  # any fault ends the job as failed, visibly, rather than losing it
        log.exception('export %s failed', job_id)
        return _end_failed(claim, part, SERVER_ERROR)
    return ExportStatus.DONE


def _end_failed(claim: Claim, part: Path, message: str) -> str:
    with database.session_scope() as session:
        ended = claims.finish(session, claim, status=ExportStatus.FAILED, error=message[:300], now=utcnow())
    _remove(part)
    return ExportStatus.FAILED if ended else LOST


def _remove(part: Path) -> None:
    with contextlib.suppress(OSError):  # the folder itself may be what failed: the job has ended anyway
        part.unlink(missing_ok=True)
