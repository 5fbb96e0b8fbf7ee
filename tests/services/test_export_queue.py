"""The export queue in the job table: claims never hand a job out twice, a silent or dead worker's job is retried and
failed after its tries, a shutdown hands running jobs back, a new export wakes the runner, and the migration carries
the jobs of the version before over.

Time is the runners' injected clock wherever a lease or a retry delay has to pass: nothing here sleeps through one.
Where the runner rather than the worker processes is under test, `ThreadWorkers` runs the real `run_export` on
threads in place of the process pool; a worker process that dies is a real spawned process that exits mid-job.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session

from models import ExportJob, ExportStatus, Role, Theatre, User
from models.db import make_engine, session_scope, utcnow
from models.migrate import upgrade
from services import exports
from services.exports import claims, runner, worker
from services.exports.claims import Claim
from services.exports.pool import WorkerPool
from services.exports.runner import ExportRunner, QueueOptions, Target
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services import export_tasks

T0 = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=60)
_ids = itertools.count(1)


class Clock:
    """The runners' clock, moved by the test."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, by: dt.timedelta) -> None:
        self.now += by


class ThreadWorkers:
    """The worker pool's part, played by threads: the real `run_export` (or a test's task), in this process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.executor = ThreadPoolExecutor(workers)

    def warm(self, database_url: str) -> list[Future[int]]:
        return []

    def submit(self, fn: Callable[..., str], /, *args: object, **kwargs: object) -> Future[str]:
        return self.executor.submit(fn, *args, **kwargs)

    def replace(self, broken: Future[str]) -> None:
        raise AssertionError('threads do not die')

    def close(self) -> None:
        self.executor.shutdown(wait=True)


class SilentWorkers(ThreadWorkers):
    """Workers that never report back: what another instance sees of one that hangs or has died with its host."""

    def submit(self, fn: Callable[..., str], /, *args: object, **kwargs: object) -> Future[str]:
        return Future()


def build() -> tuple[User, Theatre]:
    """A manager's theatre with one show and a booking, in the database the test's fixture configured."""
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Queue Hall')
    make_booking(make_user(), make_show(theatre, name='Hamlet'), tickets=2)
    return manager, theatre


def add_jobs(owner: User, theatre: Theatre, count: int, *, created_at: dt.datetime = T0) -> list[str]:
    """Pending theatre exports, recorded directly: no runner is woken for them."""
    ids = [f'{next(_ids):032x}' for _ in range(count)]
    with session_scope() as s:
        for n, job_id in enumerate(ids):
            moment = created_at - dt.timedelta(milliseconds=count - n)  # in order, all claimable at `created_at`
            s.add(
                ExportJob(
                    id=job_id,
                    owner_id=owner.id,
                    kind='theatre',
                    target_id=theatre.id,
                    title='Theatre · Queue Hall',
                    format='csv',
                    status=ExportStatus.PENDING,
                    progress=0,
                    rows=0,
                    attempts=0,
                    created_at=moment,
                    heartbeat_at=moment,
                    available_at=moment,
                )
            )
    return ids


def job(job_id: str) -> ExportJob:
    with session_scope() as s:
        return s.get_one(ExportJob, job_id)


def target(url: str, tmp_path: Path) -> Target:
    return Target(url, tmp_path / 'exports', 'UTC')


def wait_until(what: str, condition: Callable[[], object], timeout: float = 60) -> None:
    """For what real processes do in their own time (a deadline, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f'not within {timeout} s: {what}'
        time.sleep(0.02)


# --- claims ---------------------------------------------------------------------------------------------


def test_claims_racing_on_two_engines_hand_each_job_out_once(any_db):
    """Eight runners' claims at once, on two engines (two instances' connection pools): every job goes to one."""
    manager, theatre = build()
    ids = add_jobs(manager, theatre, 40)
    engines = [make_engine(any_db), make_engine(any_db)]
    start = threading.Barrier(8)
    taken: list[list[Claim]] = [[] for _ in range(8)]
    errors: list[BaseException] = []

    def claimer(n: int) -> None:
        start.wait()
        try:
            while True:
                with Session(engines[n % 2]) as s, s.begin():
                    got = claims.claim(s, instance=f'runner-{n}', limit=3, now=T0 + dt.timedelta(minutes=1))
                if not got:
                    return
                taken[n].extend(got)
        except BaseException as error:  # noqa: BLE001 - reported by the test, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=claimer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for engine in engines:
        engine.dispose()

    assert errors == []
    claimed = [c.job_id for got in taken for c in got]
    assert sorted(claimed) == sorted(ids)  # each job exactly once
    assert {c.attempt for got in taken for c in got} == {1}
    with session_scope() as s:
        rows = {j.id: (j.status, j.claimed_by, j.attempts) for j in s.scalars(select(ExportJob))}
    assert rows == {c.job_id: (ExportStatus.RUNNING, f'runner-{n}', 1) for n, got in enumerate(taken) for c in got}


def test_two_runners_at_once_run_every_job_exactly_once(any_db, tmp_path):
    manager, theatre = build()
    ids = add_jobs(manager, theatre, 12)
    runs: Counter[str] = Counter()
    lock = threading.Lock()

    def counted(job_id: str, **kwargs: object) -> str:
        with lock:
            runs[job_id] += 1
        return worker.run_export(job_id, **kwargs)  # type: ignore[arg-type]

    options = QueueOptions(workers=3, poll_seconds=0.05)
    pools = [ThreadWorkers(3), ThreadWorkers(3)]
    runners = [ExportRunner(target(any_db, tmp_path), options, pool=p, task=counted) for p in pools]
    for r in runners:
        r.start()
    try:
        wait_until('every job done', lambda: all(job(j).status == ExportStatus.DONE for j in ids))
    finally:
        for r in runners:
            r.stop()
        for p in pools:
            p.close()
    assert runs == {j: 1 for j in ids}
    assert {job(j).attempts for j in ids} == {1}
    assert {job(j).claimed_by for j in ids} <= {r.instance for r in runners}
    assert sorted(p.name for p in (tmp_path / 'exports').iterdir()) == sorted(f'{j}.csv' for j in ids)


def test_nothing_is_claimed_before_it_is_available_and_the_oldest_goes_first(database):
    manager, theatre = build()
    first, second, third = add_jobs(manager, theatre, 3)
    with session_scope() as s:
        s.execute(update(ExportJob).where(ExportJob.id == first).values(available_at=T0 + dt.timedelta(seconds=30)))
        assert claims.claim(s, instance='a', limit=0, now=T0) == []
    with session_scope() as s:
        assert [c.job_id for c in claims.claim(s, instance='a', limit=1, now=T0 + dt.timedelta(seconds=1))] == [second]
    with session_scope() as s:
        got = claims.claim(s, instance='b', limit=5, now=T0 + dt.timedelta(seconds=1))
    assert [c.job_id for c in got] == [third]
    with session_scope() as s:
        assert [c.job_id for c in claims.claim(s, instance='b', limit=5, now=T0 + dt.timedelta(seconds=30))] == [first]


# --- a worker that goes silent or dies --------------------------------------------------------------------


def test_a_silent_job_is_taken_back_retried_and_failed_after_its_tries(any_db):
    manager, theatre = build()
    (job_id,) = add_jobs(manager, theatre, 1)

    def take_back(now: dt.datetime) -> dict[str, ExportStatus]:
        with session_scope() as s:
            return claims.take_back_silent(s, lease=LEASE, now=now, max_attempts=3)

    def claim(instance: str, now: dt.datetime) -> list[Claim]:
        with session_scope() as s:
            return claims.claim(s, instance=instance, limit=1, now=now)

    (first,) = claim('a', T0)
    assert take_back(T0 + LEASE - dt.timedelta(seconds=1)) == {}
    with session_scope() as s:  # a's runner is alive: it renews the lease
        assert claims.heartbeat(s, [first], now=T0 + dt.timedelta(seconds=30)) == {job_id}
    assert take_back(T0 + LEASE + dt.timedelta(seconds=1)) == {}

    silent_at = T0 + dt.timedelta(seconds=30) + LEASE + dt.timedelta(seconds=1)
    assert take_back(silent_at) == {job_id: ExportStatus.PENDING}
    assert take_back(silent_at) == {}  # once: a second runner finds nothing left to take
    taken = job(job_id)
    assert (taken.status, taken.claimed_by, taken.attempts) == (ExportStatus.PENDING, None, 1)
    assert taken.available_at == silent_at + claims.RETRY_DELAY
    assert claim('b', silent_at) == []  # not before its retry delay
    (second,) = claim('b', silent_at + claims.RETRY_DELAY)
    assert second.attempt == 2

    # a's worker wakes up: whatever it writes under its old claim changes nothing
    with session_scope() as s:
        assert not claims.report_progress(s, first, done=1, total=2, now=silent_at)
        assert not claims.finish(s, first, status=ExportStatus.DONE, rows=1, now=silent_at)
        assert claims.heartbeat(s, [first], now=silent_at) == set()
    assert (job(job_id).status, job(job_id).claimed_by) == (ExportStatus.RUNNING, 'b')

    later = silent_at + claims.RETRY_DELAY + LEASE + dt.timedelta(seconds=1)
    assert take_back(later) == {job_id: ExportStatus.PENDING}
    assert job(job_id).available_at == later + 2 * claims.RETRY_DELAY  # the delay doubles
    (third,) = claim('c', later + 2 * claims.RETRY_DELAY)
    assert third.attempt == 3
    last = later + 2 * claims.RETRY_DELAY + LEASE + dt.timedelta(seconds=1)
    assert take_back(last) == {job_id: ExportStatus.FAILED}
    failed = job(job_id)
    assert (failed.status, failed.error, failed.finished_at) == (ExportStatus.FAILED, exports.FAILED_WORKER, last)
    assert claim('d', last + dt.timedelta(hours=1)) == []


def test_another_instance_s_runner_takes_a_silent_instance_s_job_and_runs_it(database, tmp_path):
    manager, theatre = build()
    (job_id,) = add_jobs(manager, theatre, 1)
    clock = Clock(T0)
    options = QueueOptions(workers=1, lease_seconds=LEASE.total_seconds())
    silent_pool, live_pool = SilentWorkers(1), ThreadWorkers(1)
    silent = ExportRunner(target(database, tmp_path), options, pool=silent_pool, clock=clock)
    live = ExportRunner(target(database, tmp_path), options, pool=live_pool, clock=clock)
    try:
        assert [c.job_id for c in silent.tick()] == [job_id]
        clock.advance(LEASE - dt.timedelta(seconds=1))
        assert live.tick() == []
        assert job(job_id).claimed_by == silent.instance

        clock.advance(dt.timedelta(seconds=2))
        assert live.tick() == []  # taken back, but not claimable before its retry delay
        assert (job(job_id).status, job(job_id).attempts) == (ExportStatus.PENDING, 1)
        clock.advance(claims.RETRY_DELAY)
        (claimed,) = live.tick()
        assert claimed.attempt == 2
        (_, future) = live.running[job_id]
        assert future.result(timeout=60) == ExportStatus.DONE

        silent.tick()  # the silent runner comes back: the job is no longer its own
        assert silent.running == {}
    finally:
        live_pool.close()
    done = job(job_id)
    assert (done.status, done.attempts, done.claimed_by, done.rows) == (ExportStatus.DONE, 2, live.instance, 1)
    assert (tmp_path / 'exports' / f'{job_id}.csv').is_file()


def test_a_job_whose_worker_process_dies_is_run_again_in_a_fresh_pool(database, tmp_path):
    manager, theatre = build()
    clock = Clock(utcnow())
    pool = WorkerPool(1)
    queue = ExportRunner(
        target(database, tmp_path), QueueOptions(workers=1), pool=pool, clock=clock, task=export_tasks.die_on_first_try
    )
    queue.start()
    try:
        (job_id,) = add_jobs(manager, theatre, 1, created_at=clock.now)
        queue.wake()
        wait_until('the dead worker noticed', lambda: job(job_id).attempts == 1 and job(job_id).status == 'pending')
        assert job(job_id).available_at == clock.now + claims.RETRY_DELAY
        clock.advance(claims.RETRY_DELAY)
        queue.wake()
        wait_until('the second try done', lambda: job(job_id).status == ExportStatus.DONE)
    finally:
        queue.stop()
        pool.close()
    done = job(job_id)
    assert (done.attempts, done.claimed_by, done.error) == (2, queue.instance, None)
    rows = pd.read_csv(tmp_path / 'exports' / f'{job_id}.csv', encoding='utf-8-sig').to_dict('records')
    assert [(r['theatre'], r['show'], r['tickets_sold']) for r in rows] == [('Queue Hall', 'Hamlet', 2)]
    assert [p.name for p in (tmp_path / 'exports').iterdir()] == [f'{job_id}.csv']  # the dead try left no part


# --- shutdown ---------------------------------------------------------------------------------------------


def test_a_stopping_runner_hands_its_running_jobs_back_for_another_to_run(database, tmp_path):
    manager, theatre = build()
    ids = add_jobs(manager, theatre, 3)
    clock = Clock(T0)
    stopping = ExportRunner(target(database, tmp_path), QueueOptions(workers=2), pool=SilentWorkers(2), clock=clock)
    held = stopping.tick()
    assert len(held) == 2
    clock.advance(dt.timedelta(seconds=5))
    assert stopping.stop(settle_seconds=0) == 2  # its workers never report: no wait for them
    for c in held:
        back = job(c.job_id)
        assert (back.status, back.claimed_by, back.attempts) == (ExportStatus.PENDING, None, 0)  # the try not counted
        assert back.available_at == clock.now
        # its worker, had it started, would find the job gone and write nothing
        assert (
            worker.run_export(
                c.job_id,
                instance=c.instance,
                attempt=c.attempt,
                database_url=database,
                export_dir=str(tmp_path / 'exports'),
                tz_name='UTC',
            )
            == worker.LOST
        )

    pool = ThreadWorkers(3)
    other = ExportRunner(target(database, tmp_path), QueueOptions(workers=3), pool=pool, clock=clock)
    try:
        assert sorted(c.job_id for c in other.tick()) == sorted(ids)
        assert {f.result(timeout=60) for _, f in other.running.values()} == {ExportStatus.DONE}
    finally:
        pool.close()
    assert {(job(j).attempts, job(j).claimed_by) for j in ids} == {(1, other.instance)}


def test_a_worker_stops_at_its_next_report_once_its_job_was_handed_back(database, tmp_path, monkeypatch):
    manager, theatre = build()
    make_show(theatre, name='Othello')
    (job_id,) = add_jobs(manager, theatre, 1)
    with session_scope() as s:
        (claim,) = claims.claim(s, instance='stopping', limit=1, now=utcnow())
    monkeypatch.setattr(exports.tables, 'CHUNK_ROWS', 1)  # two shows: two progress reports
    report = claims.report_progress

    def handed_back_first(session: Session, c: Claim, **kwargs: object) -> bool:
        with session_scope() as s:  # the app stopped while the worker was writing
            claims.hand_back(s, [c], now=utcnow())
        return report(session, c, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(claims, 'report_progress', handed_back_first)
    folder = tmp_path / 'exports'
    outcome = worker.run_export(
        job_id, instance=claim.instance, attempt=1, database_url=database, export_dir=str(folder), tz_name='UTC'
    )
    assert outcome == worker.LOST
    assert list(folder.iterdir()) == []  # neither the file nor its part
    back = job(job_id)
    assert (back.status, back.attempts, back.progress, back.rows) == (ExportStatus.PENDING, 0, 0, 0)


# --- waking -----------------------------------------------------------------------------------------------


def test_a_new_export_wakes_this_process_s_runner_at_once(database, tmp_path, monkeypatch):
    """The runner polls once an hour here: the export is done long before, because its commit woke the runner."""
    manager, theatre = build()
    monkeypatch.setattr(runner, '_target', target(database, tmp_path))
    pool = ThreadWorkers(1)
    queue = ExportRunner(target(database, tmp_path), QueueOptions(poll_seconds=3600, lease_seconds=3 * 3600), pool=pool)
    monkeypatch.setattr(runner, '_runner', queue)
    queue.start()
    try:
        wait_until('the first pass, at start', lambda: queue.passes == 1)  # the next waits for a wake, or an hour
        with session_scope() as s:
            view = exports.request_export(s, actor_id=manager.id, kind='theatre', target_id=theatre.id, format='csv')
            assert queue.passes == 1  # not before the commit
        wait_until('the export done', lambda: job(view.id).status == ExportStatus.DONE, timeout=30)
    finally:
        queue.stop()
        pool.close()
    assert job(view.id).claimed_by == queue.instance


# --- the migration ----------------------------------------------------------------------------------------


def _old_jobs_carried_over(url: str) -> None:
    upgrade(url, '0007')
    engine = create_engine(url)
    at = '2026-12-01 10:00:00'
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO users (id, username, name, email, password_hash, role, is_active, wants_reminders,'
                " wants_reports, created_at) VALUES (1, 'asha', 'Asha', 'a@example.com', 'x', 'user', true, true,"
                ' true, :at)'
            ),
            {'at': at},
        )
        for n, status in enumerate(('pending', 'running', 'done', 'failed')):
            conn.execute(
                text(
                    'INSERT INTO export_jobs (id, owner_id, kind, title, format, status, progress, rows, created_at,'
                    " heartbeat_at) VALUES (:id, 1, 'bookings', 'My bookings', 'csv', :status, :progress, 7, :at, :at)"
                ),
                {'id': f'{n:032x}', 'status': status, 'progress': 100 if status == 'done' else 40, 'at': at},
            )
    upgrade(url)
    with engine.connect() as conn:
        query = 'SELECT status, progress, attempts, claimed_by, available_at = created_at FROM export_jobs ORDER BY id'
        rows = conn.execute(text(query)).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [
        ('pending', 40, 0, None, True),  # never started: waits for a runner
        ('pending', 0, 1, None, True),  # its worker stopped with the old version: runs again, one try used
        ('done', 100, 0, None, True),
        ('failed', 40, 0, None, True),
    ]


def test_the_migration_carries_old_jobs_over_on_sqlite(tmp_path):
    _old_jobs_carried_over(f'sqlite:///{tmp_path / "old.sqlite3"}')


def test_the_migration_carries_old_jobs_over_on_postgres(fresh_postgres_url):
    _old_jobs_carried_over(fresh_postgres_url)
