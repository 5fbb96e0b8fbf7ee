"""Is this instance alive, and can it serve? The answers behind GET /healthz and GET /readyz.

Liveness is the process answering at all: nothing is checked. Readiness is checked, at most once a second whatever
the number of probes (a flood of probes costs one check a second), on a thread of its own so that a database that
hangs cannot hold the event loop or the threads that serve people, and with a time limit so the probe gets an
answer even then.

Two kinds of check:
- this instance's own (the database answers, its schema is at the code's migration head): when one fails the
  instance cannot serve, and /readyz answers 503 so the proxy sends people elsewhere;
- the deployment's (Redis answers rather than the in-process fallback, a scheduler leader holds the lease, the
  email outbox is being delivered): these are the same for every instance, so failing them would take every
  instance out of the proxy at once for a mail problem. They make the answer "degraded" (still 200) and are
  listed; `strict` turns them into a 503 as well, for a monitor that wants one red or green.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from models import OutboxMessage, OutboxStatus, db
from models.db import utcnow
from models.migrate import alembic_config
from services.kv import KV, LEADER_KEY

CHECK_SECONDS = 1.0  # a readiness answer is reused this long
TIMEOUT_SECONDS = 3.0  # a check that has not finished by then counts as failed

State = Literal['ok', 'degraded', 'failed']


@dataclass(frozen=True)
class Check:
    state: State
    detail: str


@dataclass(frozen=True)
class Readiness:
    checks: dict[str, Check]
    checked_at: float = field(default_factory=time.monotonic)

    @property
    def ready(self) -> bool:
        """This instance can serve: none of its own checks failed."""
        return all(check.state != 'failed' for check in self.checks.values())

    @property
    def status(self) -> str:
        if not self.ready:
            return 'unready'
        return 'ready' if all(check.state == 'ok' for check in self.checks.values()) else 'degraded'

    def as_json(self) -> dict[str, object]:
        return {
            'status': self.status,
            'ready': self.ready,
            'checks': {name: {'state': c.state, 'detail': c.detail} for name, c in self.checks.items()},
        }


@dataclass
class Probe:
    """What readiness looks at; made once per process by `configure`."""

    url: str
    kv: KV | None
    redis_configured: bool
    outbox_stuck_after: dt.timedelta
    clock: Callable[[], dt.datetime] = utcnow
    _head: frozenset[str] | None = None

    def head(self) -> frozenset[str]:
        """The migration heads this code expects (read once: they change only with the code)."""
        if self._head is None:
            self._head = frozenset(ScriptDirectory.from_config(alembic_config(self.url)).get_heads())
        return self._head

    def database(self) -> tuple[Check, Check, Check]:
        """The database answers, its schema is at head, and the email outbox is moving: one connection."""
        try:
            with db.session_scope() as session:
                session.execute(text('SELECT 1'))
                versions = frozenset(session.scalars(text('SELECT version_num FROM alembic_version')))
                due_since = session.scalar(
                    select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == OutboxStatus.PENDING)
                )
        except Exception as error:  # noqa: BLE001 - whatever the driver raises, the instance cannot use it
            reason = type(error).__name__
            return (
                Check('failed', f'the database does not answer ({reason})'),
                Check('failed', 'unknown: the database does not answer'),
                Check('degraded', 'unknown: the database does not answer'),
            )
        database = Check('ok', f'{db.engine().dialect.name} answers')
        if versions == self.head():
            migrated = Check('ok', f'at {", ".join(sorted(versions))}')
        else:
            migrated = Check(
                'failed',
                f'the schema is at {", ".join(sorted(versions)) or "nothing"}, the code expects '
                f'{", ".join(sorted(self.head()))}: run `python main.py migrate`',
            )
        return database, migrated, self._outbox(due_since)

    def _outbox(self, due_since: dt.datetime | None) -> Check:
        if due_since is None:
            return Check('ok', 'no email waiting')
        waited = self.clock() - due_since
        if waited > self.outbox_stuck_after:
            minutes = int(waited.total_seconds() // 60)
            return Check('degraded', f'an email has been due for {minutes} minutes and nobody sent it')
        return Check('ok', 'email is being delivered')

    def redis(self) -> Check:
        if self.kv is None or not self.redis_configured:
            return Check('ok', 'not configured: this instance keeps throttles, leases and cache in memory')
        self.kv.get(LEADER_KEY)  # an operation lets the store notice Redis coming back (it retries every few s)
        if self.kv.using_redis:
            return Check('ok', 'Redis answers')
        return Check('degraded', 'Redis does not answer: this instance uses its in-process store until it does')

    def leader(self) -> Check:
        if self.kv is None:
            return Check('degraded', 'unknown')
        holder = self.kv.get(LEADER_KEY)
        if holder:
            return Check('ok', f'instance {holder[:8]} runs the scheduled jobs')
        return Check('degraded', 'no instance holds the scheduler lease: mail jobs and the outbox wait')

    def run(self) -> Readiness:
        database, migrated, outbox = self.database()
        return Readiness(
            {
                'database': database,
                'migrations': migrated,
                'redis': self.redis(),
                'scheduler': self.leader(),
                'outbox': outbox,
            }
        )


_probe: Probe | None = None
_last: Readiness | None = None
_running: asyncio.Future[Readiness] | None = None
_lock = threading.Lock()
# One thread of its own: probes never wait behind the people's database work, and a hung database holds only it.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix='readiness')


def configure(probe: Probe | None) -> None:
    global _probe, _last, _running
    with _lock:
        _probe, _last, _running = probe, None, None


def leader_id() -> str | None:
    """The id of the instance holding the scheduler's lease (a Redis call: off the event loop)."""
    probe = _probe
    if probe is None or probe.kv is None:
        return None
    return probe.kv.get(LEADER_KEY)


def _timed_out() -> Readiness:
    return Readiness(
        {
            'database': Check('failed', f'no answer within {TIMEOUT_SECONDS:g} s'),
            'migrations': Check('failed', 'unknown: the database does not answer'),
        }
    )


async def readiness() -> Readiness:
    """The latest readiness, checked again when older than a second; concurrent probes share one check."""
    global _last, _running
    probe = _probe
    if probe is None:
        return Readiness({'database': Check('failed', 'the app has not started yet')})
    last = _last
    if last is not None and time.monotonic() - last.checked_at < CHECK_SECONDS:
        return last
    loop = asyncio.get_running_loop()
    if _running is None or _running.done() or _running.get_loop() is not loop:
        _running = loop.run_in_executor(_executor, probe.run)
    try:
        result = await asyncio.wait_for(asyncio.shield(_running), TIMEOUT_SECONDS)
    except TimeoutError:
        result = _timed_out()
    _last = result
    return result
