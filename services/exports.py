"""CSV and Excel exports as background jobs.

`request_export` checks who may export what and records a pending job; `submit` hands it to a worker
process (so a large export never slows anyone's page); `run_export` is that worker's whole job: it
claims the job, streams the rows out of the database a chunk at a time through pandas into a file
under var/exports, reports progress as it goes, and ends the job as done or failed. A job never
vanishes: a worker that dies is reported as failed by `_FAILED_WORKER`, and a job with no heartbeat
for `STALE_AFTER` is reported as failed when read.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import multiprocessing
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session

from models import EXPORT_FORMATS, EXPORT_KINDS, Booking, ExportJob, Show, ShowTag, Theatre, User
from models import db as database
from models.db import utcnow
from services.access import managed_show, managed_theatre
from services.auth import load_actor
from services.config import get_settings
from services.errors import Conflict, DomainError, Invalid, NotFound
from services.hooks import on_commit
from services.summary import revenue_per_show

log = logging.getLogger(__name__)

CHUNK_ROWS = 2000
MAX_ACTIVE_PER_PERSON = 3
STALE_AFTER = dt.timedelta(minutes=10)
FORMULA_PREFIXES = ('=', '+', '-', '@', '\t', '\r')
MEDIA_TYPES = {
    'csv': 'text/csv; charset=utf-8',
    'xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
}
_FAILED_WORKER = 'The export stopped unexpectedly. Please start it again.'


@dataclass(frozen=True)
class ExportView:
    id: str
    kind: str
    title: str
    format: str
    status: str
    progress: int
    rows: int
    error: str | None
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.status in ('pending', 'running')

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
    kind: object,
    target_id: object = None,
    format: object = 'csv',
    now: dt.datetime | None = None,
) -> ExportView:
    """Record a pending export of a theatre or a show (its manager or an admin) or of one's own bookings."""
    actor = load_actor(session, actor_id)
    if format not in EXPORT_FORMATS:
        raise Invalid({'format': 'Choose CSV or Excel (xlsx).'})
    if kind not in EXPORT_KINDS:
        raise Invalid({'kind': 'Choose what to export: a theatre, a show or your bookings.'})
    title = _title(session, actor, str(kind), target_id)
    moment = now or utcnow()
    if _target is not None:  # a long-running app tidies up as it goes, not only when it starts
        retention = dt.timedelta(hours=get_settings().export_retention_hours)
        purge_expired(session, export_dir=_target.export_dir, older_than=retention, now=moment)
    active = session.scalar(
        select(func.count(ExportJob.id)).where(
            ExportJob.owner_id == actor.id,
            ExportJob.status.in_(('pending', 'running')),
            ExportJob.heartbeat_at > moment - STALE_AFTER,
        )
    )
    if (active or 0) >= MAX_ACTIVE_PER_PERSON:
        raise Conflict(f'You already have {active} exports under way; start another once one has finished.')
    job = ExportJob(
        id=secrets.token_hex(16),
        owner_id=actor.id,
        kind=kind,
        target_id=target_id if kind != 'bookings' else None,
        title=title,
        format=format,
        status='pending',
        progress=0,
        rows=0,
        created_at=moment,
        heartbeat_at=moment,
    )
    session.add(job)
    session.flush()
    job_id = job.id
    on_commit(session, lambda: submit(job_id))
    return ExportView.of(job)


def _title(session: Session, actor: User, kind: str, target_id: object) -> str:
    """What the export is of, checked for the actor: someone else's theatre or show is 'No such ...'."""
    if kind == 'theatre':
        theatre = managed_theatre(session, actor, target_id)
        return f'Theatre · {theatre.name}'
    if kind == 'show':
        show = managed_show(session, actor, target_id)
        return f'Show · {show.name}'
    return 'My bookings'


def _visible_job(session: Session, actor: User, job_id: object) -> ExportJob:
    job = session.get(ExportJob, job_id) if isinstance(job_id, str) and len(job_id) <= 32 else None
    if job is None or (job.owner_id != actor.id and actor.role != 'admin'):
        raise NotFound('No such export.')
    return job


def _fail_if_stale(session: Session, job: ExportJob, now: dt.datetime) -> None:
    """A job whose worker has not reported for STALE_AFTER is failed, not left 'running' for ever."""
    if job.status in ('pending', 'running') and job.heartbeat_at < now - STALE_AFTER:
        _finish(session, job.id, status='failed', error=_FAILED_WORKER, now=now)
        session.refresh(job)


def get_export(session: Session, *, actor_id: int, job_id: object, now: dt.datetime | None = None) -> ExportView:
    """One export job, for its creator or an admin; anyone else is told it does not exist."""
    actor = load_actor(session, actor_id)
    job = _visible_job(session, actor, job_id)
    _fail_if_stale(session, job, now or utcnow())
    return ExportView.of(job)


def my_exports(session: Session, *, actor_id: int, limit: int = 20, now: dt.datetime | None = None) -> list[ExportView]:
    """The person's own latest exports, newest first."""
    actor = load_actor(session, actor_id)
    jobs = session.scalars(
        select(ExportJob)
        .where(ExportJob.owner_id == actor.id)
        .order_by(ExportJob.created_at.desc(), ExportJob.id)
        .limit(max(1, min(limit, 100)))
    ).all()
    for job in jobs:
        _fail_if_stale(session, job, now or utcnow())
    return [ExportView.of(job) for job in jobs]


def export_file(session: Session, *, actor_id: int, job_id: object, export_dir: Path) -> ExportFile:
    """The finished file of a job its creator (or an admin) may download."""
    actor = load_actor(session, actor_id)
    view = ExportView.of(_visible_job(session, actor, job_id))
    if view.status != 'done':
        raise Conflict('This export is not ready yet.' if view.active else 'This export failed; there is no file.')
    path = export_dir / f'{view.id}.{view.format}'
    if not path.is_file():
        raise NotFound('This export file has been cleaned up; please export again.')
    return ExportFile(path, view.filename, MEDIA_TYPES[view.format])


def purge_expired(
    session: Session, *, export_dir: Path, older_than: dt.timedelta, now: dt.datetime | None = None
) -> int:
    """Forget finished jobs older than `older_than` and delete their files; returns how many went."""
    cutoff = (now or utcnow()) - older_than
    ids = session.scalars(
        select(ExportJob.id).where(ExportJob.created_at < cutoff, ExportJob.status.in_(('done', 'failed')))
    ).all()
    for job_id in ids:
        for path in export_dir.glob(f'{job_id}.*'):
            path.unlink(missing_ok=True)
    if ids:
        session.execute(delete(ExportJob).where(ExportJob.id.in_(ids)))
    return len(ids)


def _finish(
    session: Session, job_id: str, *, status: str, now: dt.datetime, error: str | None = None, rows: int = 0
) -> None:
    values: dict[str, Any] = {'status': status, 'error': error, 'finished_at': now, 'heartbeat_at': now}
    if status == 'done':
        values.update(progress=100, rows=rows)
    session.execute(
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status.in_(('pending', 'running')))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


# --- the worker side -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """An export: one header record (the theatre or show) and its detail rows, streamed in chunks."""

    header_sheet: str | None
    header: dict[str, Any]
    detail_sheet: str
    columns: list[str]
    count: int
    rows: Callable[[], Iterator[Sequence[Any]]]


def _money(cents: Any) -> float | None:
    return None if cents is None else int(cents) / 100


def _local(moment: dt.datetime | None, tz: ZoneInfo) -> dt.datetime | None:
    return None if moment is None else moment.astimezone(tz)


def _theatre_table(session: Session, owner: User, target_id: int | None, tz: ZoneInfo) -> _Table:
    theatre = managed_theatre(session, owner, target_id)
    revenue = revenue_per_show().subquery()
    tags = _tags_by_show(session, select(Show.id).where(Show.theatre_id == theatre.id))
    query = (
        select(
            Show.id,
            Show.name,
            Show.starts_at,
            Show.price_cents,
            Show.num_tickets,
            Show.tickets_sold,
            func.coalesce(revenue.c.revenue, 0),
            Show.rating,
        )
        .outerjoin(revenue, revenue.c.show_id == Show.id)
        .where(Show.theatre_id == theatre.id)
        .order_by(Show.starts_at, Show.id)
    )

    def rows() -> Iterator[Sequence[Any]]:
        for show_id, name, starts_at, price, offered, sold, cents, rating in session.execute(query).yield_per(
            CHUNK_ROWS
        ):
            yield (
                show_id,
                name,
                _local(starts_at, tz),
                _money(price),
                offered,
                sold,
                offered - sold,
                _money(cents),
                rating,
                ', '.join(tags.get(show_id, [])),
            )

    count = session.scalar(select(func.count(Show.id)).where(Show.theatre_id == theatre.id)) or 0
    return _Table(
        header_sheet='Theatre',
        header={
            'theatre_id': theatre.id,
            'theatre': theatre.name,
            'place': theatre.place,
            'capacity': theatre.capacity,
        },
        detail_sheet='Shows',
        columns=[
            'show_id',
            'show',
            'starts_at',
            'ticket_price',
            'tickets_offered',
            'tickets_sold',
            'tickets_left',
            'revenue',
            'rating',
            'tags',
        ],
        count=count,
        rows=rows,
    )


def _tags_by_show(session: Session, show_ids: Select[Any]) -> dict[int, list[str]]:
    tags: dict[int, list[str]] = {}
    for show_id, tag in session.execute(
        select(ShowTag.show_id, ShowTag.tag).where(ShowTag.show_id.in_(show_ids)).order_by(ShowTag.tag)
    ):
        tags.setdefault(show_id, []).append(tag)
    return tags


def _show_table(session: Session, owner: User, target_id: int | None, tz: ZoneInfo) -> _Table:
    show = managed_show(session, owner, target_id)
    query = (
        select(
            Booking.id,
            User.name,
            User.username,
            Booking.booked_tickets,
            Booking.price_cents,
            Booking.total_cents,
            Booking.created_at,
            Booking.status,
        )
        .join(User, User.id == Booking.user_id)
        .where(Booking.show_id == show.id)
        .order_by(Booking.created_at, Booking.id)
    )

    def rows() -> Iterator[Sequence[Any]]:
        for booking_id, name, username, tickets, price, total, created, status in session.execute(query).yield_per(
            CHUNK_ROWS
        ):
            yield booking_id, name, username, tickets, _money(price), _money(total), _local(created, tz), status

    count = session.scalar(select(func.count(Booking.id)).where(Booking.show_id == show.id)) or 0
    return _Table(
        header_sheet='Show',
        header={
            'show_id': show.id,
            'show': show.name,
            'theatre': show.theatre.name,
            'place': show.theatre.place,
            'starts_at': _local(show.starts_at, tz),
            'ticket_price': _money(show.price_cents),
            'tickets_offered': show.num_tickets,
            'tickets_sold': show.tickets_sold,
        },
        detail_sheet='Bookings',
        columns=[
            'booking_id',
            'customer_name',
            'customer_username',
            'tickets',
            'unit_price',
            'total',
            'booked_at',
            'status',
        ],
        count=count,
        rows=rows,
    )


def _bookings_table(session: Session, owner: User, _target_id: int | None, tz: ZoneInfo) -> _Table:
    query = (
        select(
            Booking.id,
            Show.name,
            Theatre.name,
            Theatre.place,
            Show.starts_at,
            Booking.booked_tickets,
            Booking.price_cents,
            Booking.total_cents,
            Booking.created_at,
            Booking.status,
        )
        .join(Show, Show.id == Booking.show_id)
        .join(Theatre, Theatre.id == Show.theatre_id)
        .where(Booking.user_id == owner.id)
        .order_by(Booking.created_at.desc(), Booking.id.desc())
    )

    def rows() -> Iterator[Sequence[Any]]:
        for booking_id, show, theatre, place, starts, tickets, price, total, created, status in session.execute(
            query
        ).yield_per(CHUNK_ROWS):
            yield (
                booking_id,
                show,
                theatre,
                place,
                _local(starts, tz),
                tickets,
                _money(price),
                _money(total),
                _local(created, tz),
                status,
            )

    count = session.scalar(select(func.count(Booking.id)).where(Booking.user_id == owner.id)) or 0
    return _Table(
        header_sheet=None,
        header={},
        detail_sheet='Bookings',
        columns=[
            'booking_id',
            'show',
            'theatre',
            'place',
            'starts_at',
            'tickets',
            'unit_price',
            'total',
            'booked_at',
            'status',
        ],
        count=count,
        rows=rows,
    )


_TABLES = {'theatre': _theatre_table, 'show': _show_table, 'bookings': _bookings_table}


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula is made plain text with a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _frame(columns: list[str], chunk: Sequence[Sequence[Any]], *, iso_times: bool) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [tuple(_cell(value, iso_times=iso_times) for value in row) for row in chunk], columns=columns
    )


def _cell(value: Any, *, iso_times: bool) -> Any:
    if isinstance(value, dt.datetime):
        # CSV keeps the offset (unambiguous); Excel has no time zones: local wall-clock time.
        return value.isoformat(timespec='seconds') if iso_times else value.replace(tzinfo=None)
    return neutralise(value)


def _chunks(rows: Iterator[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_csv(table: _Table, path: Path, progress: Callable[[int], None]) -> int:
    """The header record's fields repeat on every detail row (one flat table); a bare header is one row."""
    columns = list(table.header) + table.columns
    written = 0
    with path.open('w', encoding='utf-8-sig', newline='') as handle:  # the BOM tells Excel it is UTF-8
        for chunk in _chunks(table.rows(), CHUNK_ROWS):
            rows = [tuple(table.header.values()) + tuple(row) for row in chunk]
            _frame(columns, rows, iso_times=True).to_csv(handle, header=written == 0, index=False, float_format='%.2f')
            written += len(chunk)
            progress(written)
        if written == 0:
            empty = [tuple(table.header.values()) + (None,) * len(table.columns)] if table.header else []
            _frame(columns, empty, iso_times=True).to_csv(handle, index=False, float_format='%.2f')
    return written


def _write_xlsx(table: _Table, path: Path, progress: Callable[[int], None]) -> int:
    """A sheet for the header record (when there is one) and a sheet for the detail rows."""
    written = 0
    options = {'strings_to_formulas': False, 'strings_to_urls': False}
    with pd.ExcelWriter(
        path, engine='xlsxwriter', datetime_format='yyyy-mm-dd hh:mm', engine_kwargs={'options': options}
    ) as writer:
        if table.header_sheet:
            _frame(list(table.header), [tuple(table.header.values())], iso_times=False).to_excel(
                writer, sheet_name=table.header_sheet, index=False
            )
        for chunk in _chunks(table.rows(), CHUNK_ROWS):
            _frame(table.columns, chunk, iso_times=False).to_excel(
                writer,
                sheet_name=table.detail_sheet,
                index=False,
                header=written == 0,
                startrow=0 if written == 0 else written + 1,
            )
            written += len(chunk)
            progress(written)
        if written == 0:
            _frame(table.columns, [], iso_times=False).to_excel(writer, sheet_name=table.detail_sheet, index=False)
    return written


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
            table = _TABLES[kind](session, owner, target_id, ZoneInfo(tz_name))

            def progress(done: int) -> None:
                _report_progress(job_id, done, table.count)

            writer = _write_csv if fmt == 'csv' else _write_xlsx
            written = writer(table, part, progress)
        part.replace(folder / f'{job_id}.{fmt}')
    except DomainError as error:
        return _end_failed(job_id, part, error.message)
    except Exception:  # any fault ends the job as failed, visibly, rather than losing it
        log.exception('export %s failed', job_id)
        return _end_failed(job_id, part, 'The export failed because of an error on our side. Please try again.')
    with database.session_scope() as session:
        _finish(session, job_id, status='done', rows=written, now=utcnow())
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
        _finish(session, job_id, status='failed', error=message[:300], now=utcnow())
    with contextlib.suppress(OSError):  # the folder itself may be what failed: the job is failed already
        part.unlink(missing_ok=True)
    return 'failed'


# --- the process pool --------------------------------------------------------------------------------


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
        _finish(session, job_id, status='failed', error=_FAILED_WORKER, now=utcnow())


def shutdown() -> None:
    """Stop the worker processes (at app shutdown); queued jobs are reported failed when next read."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


__all__ = [
    'ExportFile',
    'ExportView',
    'configure',
    'export_file',
    'get_export',
    'my_exports',
    'neutralise',
    'purge_expired',
    'request_export',
    'run_export',
    'shutdown',
    'submit',
]
