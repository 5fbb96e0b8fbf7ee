"""Which app instances are running: each writes its row (host, port, pid, when it started) every few seconds, and
deletes it on a clean stop; an instance that died drops out of "seen recently" after a minute, and its row is
forgotten after a day. The admin's system page lists them; the scheduler's lease names one of these ids."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import socket
import uuid

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from models import Instance
from models.db import utcnow
from services import workers

log = logging.getLogger(__name__)

ID = uuid.uuid4().hex  # this process's id: its row's, and its scheduler's in the lease
BEAT_SECONDS = 15.0
RECENT = dt.timedelta(seconds=4 * BEAT_SECONDS)  # seen within this: running
FORGET = dt.timedelta(days=1)


def beat(session: Session, *, instance_id: str, port: int, started_at: dt.datetime, now: dt.datetime) -> None:
    """This instance is alive: its row written (made on the first beat), long-gone instances' rows dropped."""
    seen = session.execute(
        update(Instance)
        .where(Instance.id == instance_id)
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    )
    if seen.rowcount == 0:  # type: ignore[attr-defined]
        session.add(
            Instance(
                id=instance_id,
                host=socket.gethostname()[:255],
                port=port,
                pid=os.getpid(),
                started_at=started_at,
                seen_at=now,
            )
        )
    session.execute(
        delete(Instance).where(Instance.seen_at < now - FORGET).execution_options(synchronize_session=False)
    )


def leave(session: Session, *, instance_id: str) -> None:
    """A clean stop: this instance is no longer running."""
    session.execute(delete(Instance).where(Instance.id == instance_id).execution_options(synchronize_session=False))


async def keep_beating(port: int) -> None:
    """The app's background task: a beat now and every BEAT_SECONDS, on the write thread, until the app stops."""
    started_at = utcnow()
    while True:
        try:
            await workers.run_write(
                workers.in_transaction,
                beat,
                {'instance_id': ID, 'port': port, 'started_at': started_at, 'now': utcnow()},
            )
        except Exception as error:  # noqa: BLE001 - a missed beat (database busy or away) is tried again next time
            log.warning('instance heartbeat not written (%s); trying again in %g s', type(error).__name__, BEAT_SECONDS)
        await asyncio.sleep(BEAT_SECONDS)
