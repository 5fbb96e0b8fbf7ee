"""The export worker processes: a pool started warm, so the first export after a start waits for no spawn.

Spawned, not forked: the app process has threads (server, database pool, the runner) that a fork would copy
mid-state. Starting a process and importing pandas takes seconds, which the first export used to wait for; `warm`
starts every worker at once and has each import the export modules and connect to the database before any job comes.
One pool serves the whole process: a job carries its database and folder, so the pool can outlive an app stopped and
started again in one process (the tests do that hundreds of times); it is replaced, warm again, if a worker dies.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from services.exports.worker import warm_up, watch_parent

log = logging.getLogger(__name__)


class WorkerPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._issued: weakref.WeakSet[Future[Any]] = weakref.WeakSet()  # the current executor's jobs
        self._database_url = ''

    def warm(self, database_url: str) -> list[Future[int]]:
        """Start every worker now (a no-op for a pool already started); the futures end when each is ready."""
        with self._lock:
            if self._executor is not None:
                return []
            self._database_url = database_url
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context('spawn'), initializer=watch_parent
            )
            self._issued = weakref.WeakSet()
            # One task per worker, submitted together: each submit finds no idle worker and so starts one.
            return [self._executor.submit(warm_up, database_url) for _ in range(self.workers)]

    def submit(self, fn: Callable[..., str], /, *args: Any, **kwargs: Any) -> Future[str]:
        try:
            return self._submit(fn, *args, **kwargs)
        except BrokenProcessPool:  # a worker died since the last job ended: the executor takes no more work
            with self._lock:
                executor, self._executor = self._executor, None
            self._restart(executor)
            return self._submit(fn, *args, **kwargs)

    def _submit(self, fn: Callable[..., str], /, *args: Any, **kwargs: Any) -> Future[str]:
        with self._lock:
            if self._executor is None:
                raise RuntimeError('the export pool is not started: call warm() first')
            future = self._executor.submit(fn, *args, **kwargs)
            self._issued.add(future)
            return future

    def replace(self, broken: Future[Any]) -> None:
        """After a worker died its executor is broken for good: a new one, warm again (once per breakage)."""
        with self._lock:
            if broken not in self._issued:
                return  # another job of the same executor has had it replaced already
            executor, self._executor = self._executor, None
        self._restart(executor)

    def _restart(self, broken: ProcessPoolExecutor | None) -> None:
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)
        log.warning('an export worker process died; starting a fresh pool of %d', self.workers)
        self.warm(self._database_url)

    def close(self, *, wait: bool = True) -> None:
        """Stop the worker processes; `wait` for them to have ended (an idle one ends at once)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)


_shared: WorkerPool | None = None
_shared_lock = threading.Lock()


def shared_pool(workers: int) -> WorkerPool:
    """The process's pool, of `workers` processes (a different count replaces it)."""
    global _shared
    with _shared_lock:
        if _shared is not None and _shared.workers != workers:
            _shared.close()
            _shared = None
        if _shared is None:
            _shared = WorkerPool(workers)
        return _shared


def close_shared(*, wait: bool = True) -> None:
    """Stop the process's worker processes (at the app's shutdown, or the end of a test run or a benchmark)."""
    global _shared
    with _shared_lock:
        pool, _shared = _shared, None
    if pool is not None:
        pool.close(wait=wait)
