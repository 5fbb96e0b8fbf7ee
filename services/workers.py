"""Where database work runs: a pool of threads for reads, one for writes, and the one transaction helper.

Writes can wait on a lock (SQLite has one writer at a time; a PostgreSQL row can be locked by another
transaction). If they shared threads with reads, a handful of stuck writes would hold every thread and the
public pages would stop answering, although the database serves reads all along (SQLite in WAL mode, PostgreSQL
always). So reads — the listing, a show, a person's bookings, a manager's figures — have threads of their own.

A transaction that cannot get its lock within the lock timeout (`TICKETSHOW_DB_LOCK_TIMEOUT_SECONDS`) is rolled
back and raised as `Busy`, which the pages show as "try again" and the API answers with 503 and Retry-After.
A write that has already queued for longer than the lock timeout, behind writes that are waiting on the same
lock, is refused as `Busy` before it starts. Busy is logged once, at WARNING, without the statement's values.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from models.db import engine, session_scope
from services import metrics
from services.config import get_settings
from services.errors import Busy

log = logging.getLogger(__name__)

T = TypeVar('T')

# Bounded, so the database connections they can hold stay under the pool's size (see models.db).
READ_THREADS = 8
WRITE_THREADS = 4

SQLITE_BUSY = ('database is locked', 'database table is locked')  # SQLITE_BUSY, SQLITE_LOCKED
# PostgreSQL: lock_not_available (lock_timeout), query_canceled (statement_timeout), deadlock_detected.
POSTGRES_BUSY = frozenset({'55P03', '57014', '40P01'})


def lock_timeout() -> float:
    return get_settings().db_lock_timeout_seconds


def busy() -> Busy:
    metrics.BUSY.inc()
    return Busy(retry_after=max(1, math.ceil(lock_timeout())))


def is_busy(error: BaseException) -> bool:
    """Whether a database error means "the lock (or a connection) was not had in time", not a fault."""
    if isinstance(error, PoolTimeout):  # no pooled connection came free in time
        return True
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if isinstance(original, sqlite3.OperationalError):
        return str(original).startswith(SQLITE_BUSY)
    return getattr(original, 'sqlstate', None) in POSTGRES_BUSY


@contextmanager
def transaction(service: Callable[..., Any] | None = None) -> Iterator[Session]:
    """`session_scope()` whose lock waits past the lock timeout become `Busy` (after the rollback); `service`
    names the work in the log."""
    what = getattr(service, '__qualname__', 'a transaction')
    try:
        with session_scope() as session:
            yield session
    except SQLAlchemyError as error:
        if not is_busy(error):
            raise
        # The error's text names the statement only (engines hide parameters); even that stays out of the log.
        log.warning('Database busy: %s gave up waiting for a lock (%s); rolled back.', what, type(error).__name__)
        raise busy() from None


def in_transaction(fn: Callable[..., T], kwargs: dict[str, Any]) -> T:
    """Run the service `fn(session, **kwargs)` in a transaction of its own."""
    with transaction(fn) as session:
        return fn(session, **kwargs)


class _Pools:
    def __init__(self) -> None:
        self.reads = ThreadPoolExecutor(READ_THREADS, thread_name_prefix='db-read')
        self._writes: ThreadPoolExecutor | None = None

    @property
    def writes(self) -> ThreadPoolExecutor:
        """SQLite takes one writer at a time: more write threads would only queue inside SQLite's busy handler,
        which sleeps and retries (a booking's p95 tripled at 8 connections), so this process's writes queue here
        instead, in order, on one thread. PostgreSQL locks rows, not the database: several write threads."""
        if self._writes is None:
            threads = 1 if engine().dialect.name == 'sqlite' else WRITE_THREADS
            self._writes = ThreadPoolExecutor(threads, thread_name_prefix='db-write')
        return self._writes


_pools = _Pools()


async def run_read(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` on a read thread: for work that only reads (it may still write now and then, briefly)."""
    context = contextvars.copy_context()  # the request's id goes with it, into what it logs
    return await asyncio.get_running_loop().run_in_executor(_pools.reads, context.run, work, *args)


async def run_write(work: Callable[..., T], *args: Any) -> T:
    """`work(*args)` on a write thread; `Busy` at once if it waited for a thread longer than the lock timeout."""
    queued = time.monotonic()

    def started() -> T:
        if time.monotonic() - queued > lock_timeout():
            log.warning('Database busy: a write queued past the lock timeout was refused before it started.')
            raise busy()
        return work(*args)

    return await asyncio.get_running_loop().run_in_executor(_pools.writes, contextvars.copy_context().run, started)


def shutdown() -> None:
    """Drop the work still queued (its callers are gone) and start with fresh pools (tests start the app again)."""
    global _pools
    old, _pools = _pools, _Pools()
    old.reads.shutdown(wait=False, cancel_futures=True)
    if old._writes is not None:
        old._writes.shutdown(wait=False, cancel_futures=True)
