"""Each app instance's export runner: a thread that works the queue (the job table) into the warm worker pool.

Every `poll_seconds`, and at once when an export is recorded in this process (`wake`, after its commit) or a worker
comes free, the runner's thread: settles the jobs whose worker process died (retried after a delay, failed after
`max_attempts` tries); renews the lease of the jobs its workers are running; takes back any instance's job whose lease
has run out (its instance died or hangs); and claims as many pending jobs as it has free workers. It runs on a
thread of its own, never on the event loop, and waits on nothing but the database. At an orderly shutdown (`stop`)
the jobs it is running go back to pending at once, their try not counted, for this or another instance to run again.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from concurrent import futures
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from models.db import session_scope, utcnow
from services.exports import claims
from services.exports.claims import Claim
from services.exports.pool import WorkerPool, close_shared, shared_pool
from services.exports.worker import run_export
from services.words import plural

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Target:
    """Where this app's jobs read and write; passed with every job, so one pool can serve any of them."""

    database_url: str
    export_dir: Path
    tz_name: str


@dataclass(frozen=True)
class QueueOptions:
    workers: int = 1  # worker processes, so jobs run at once by this instance
    poll_seconds: float = 2.0  # how often it looks for jobs recorded by other instances
    lease_seconds: float = 60.0  # a running job not heard of for this long has lost its runner: taken back
    max_attempts: int = 3  # tries of a job whose worker dies each time, before it is failed


def new_instance_id() -> str:
    """Who claimed a job, readable in the table: host, process, and a random part (at most 32 characters)."""
    return f'{socket.gethostname()[:14]}.{os.getpid()}.{secrets.token_hex(4)}'[:32]


class ExportRunner:
    def __init__(
        self,
        target: Target,
        options: QueueOptions | None = None,
        *,
        pool: WorkerPool | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        task: Callable[..., str] = run_export,
    ) -> None:
        self.target = target
        self.options = options or QueueOptions()
        self.pool = pool or shared_pool(self.options.workers)
        self.clock = clock
        self.task = task  # what a worker runs: `worker.run_export`, or a test's stand-in
        self.instance = new_instance_id()
        self.running: dict[str, tuple[Claim, Future[str]]] = {}
        self.passes = 0  # passes over the queue so far
        self.settled = True  # after `stop`: whether every worker it used has ended its job
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.options.lease_seconds)

    def start(self) -> None:
        """Start the worker processes (warm) and the runner's thread."""
        self.pool.warm(self.target.database_url)
        self._thread = threading.Thread(target=self._loop, name='export-runner', daemon=True)
        self._thread.start()
        log.info('export runner started (instance %s, %d worker(s))', self.instance, self.pool.workers)

    def wake(self) -> None:
        """Look at the queue now rather than at the next poll."""
        self._wake.set()

    def stop(self, *, settle_seconds: float = 10) -> int:
        """Stop claiming, then hand the jobs still running back to the queue, and give their workers up to
        `settle_seconds` to notice (at their next progress report) and clean up; how many went back."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        held = {claim: future for claim, future in self.running.values() if not future.done()}
        self.running.clear()
        if not held:
            return 0
        with session_scope() as session:
            returned = claims.hand_back(session, list(held), now=self.clock())
        handed = plural(returned, 'running job')
        log.info('export runner %s stopped; %s handed back to the queue', self.instance, handed)
        self.settled = not futures.wait(held.values(), timeout=settle_seconds).not_done
        return returned

    def _loop(self) -> None:
        # Heartbeats come at least three times a lease, however long the poll.
        interval = min(self.options.poll_seconds, self.options.lease_seconds / 3)
        while not self._stopping.is_set():
            self._wake.clear()  # a wake from now on leads to another tick
            try:
                self.tick()
            except Exception:  # a busy or unreachable database: logged, and the next tick tries again
                log.exception('export runner %s: a pass over the queue failed', self.instance)
            self._wake.wait(interval)

    def tick(self) -> list[Claim]:
        """One pass over the queue (see the module's description); the claims it made."""
        now = self.clock()
        self._settle_ended(now)
        with session_scope() as session:
            alive = claims.heartbeat(session, [claim for claim, _ in self.running.values()], now=now)
        for job_id in set(self.running) - alive:
            del self.running[job_id]  # taken back meanwhile: its worker finds out at its next report and stops
        with session_scope() as session:
            taken_back = claims.take_back_silent(
                session, lease=self.lease, now=now, max_attempts=self.options.max_attempts
            )
        for job_id, status in taken_back.items():
            log.warning('export %s was silent for %s: %s', job_id, self.lease, status)
        free = self.pool.workers - len(self.running)
        if free <= 0 or self._stopping.is_set():
            self.passes += 1
            return []
        with session_scope() as session:
            claimed = claims.claim(session, instance=self.instance, limit=free, now=now)
        for claim in claimed:
            self._submit(claim)
        self.passes += 1
        return claimed

    def _submit(self, claim: Claim) -> None:
        future = self.pool.submit(
            self.task,
            claim.job_id,
            instance=claim.instance,
            attempt=claim.attempt,
            database_url=self.target.database_url,
            export_dir=str(self.target.export_dir),
            tz_name=self.target.tz_name,
        )
        self.running[claim.job_id] = (claim, future)
        future.add_done_callback(lambda _: self._wake.set())  # a worker came free

    def _settle_ended(self, now: dt.datetime) -> None:
        """A worker that returned has ended its job itself; one that died (killed, out of memory) has not."""
        for job_id, (claim, future) in list(self.running.items()):
            if not future.done():
                continue
            del self.running[job_id]
            error = None if future.cancelled() else future.exception()
            if error is None and not future.cancelled():
                continue
            log.error('export worker for %s (try %d) died: %r', job_id, claim.attempt, error)
            with session_scope() as session:
                status = claims.give_back(session, claim, now=now, max_attempts=self.options.max_attempts)
            log.warning('export %s after its worker died: %s', job_id, status)
            if isinstance(error, BrokenProcessPool):
                self.pool.replace(future)


# --- the process's runner ---------------------------------------------------------------------------------

_target: Target | None = None
_options = QueueOptions()
_runner: ExportRunner | None = None


def configure(
    *,
    database_url: str,
    export_dir: Path,
    tz_name: str,
    workers: int = 1,
    poll_seconds: float = 2.0,
    lease_seconds: float = 60.0,
    max_attempts: int = 3,
) -> None:
    """Point this process's exports at a database and a folder; `start` runs its runner."""
    global _target, _options
    _target = Target(database_url, export_dir, tz_name)
    _options = QueueOptions(workers, poll_seconds, lease_seconds, max_attempts)


def configured_export_dir() -> Path | None:
    """The folder `configure` pointed the exports at; None before it has been called."""
    return None if _target is None else _target.export_dir


def start() -> ExportRunner:
    """Run this process's export runner (at app start); the one already running, if any."""
    global _runner
    if _target is None:
        raise RuntimeError('exports not configured: call services.exports.configure(...) first')
    if _runner is None:
        _runner = ExportRunner(_target, _options)
        _runner.start()
    return _runner


def wake() -> None:
    """A job was recorded: this process's runner, if it has one, looks at the queue now."""
    if _runner is not None:
        _runner.wake()


def shutdown(*, keep_pool: bool = False) -> None:
    """Stop this process's runner (at app shutdown), handing its running jobs back to the queue, and its worker
    processes unless `keep_pool` (a process that starts the app again, as the tests do, keeps them warm). A worker
    still busy after the hand-back is not waited for: it leaves once it notices (see `worker.watch_parent`)."""
    global _runner
    runner, _runner = _runner, None
    if runner is not None:
        runner.stop()
    if not keep_pool:
        close_shared(wait=runner is None or runner.settled)
