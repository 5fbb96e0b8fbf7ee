"""Apply the Alembic migrations: on every start, and from tests.

Instances started at the same moment against a new database would each create the same tables, and all but one
would fail ("relation alembic_version already exists"). So an upgrade takes turns: on PostgreSQL under a
session-level advisory lock, on SQLite under an exclusive lock on a file beside the database. The second instance
waits for the first, then finds the schema at head and has nothing to do.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

ROOT = Path(__file__).resolve().parent.parent
ADVISORY_LOCK = 0x5449434B  # 'TICK': the one advisory lock TicketShow takes, held only while migrating


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / 'alembic.ini'))
    config.set_main_option('sqlalchemy.url', url.replace('%', '%%'))
    config.attributes['configure_logging'] = False
    return config


@contextmanager
def one_at_a_time(url: str) -> Iterator[None]:
    """Hold the migration lock of the database at `url` (nothing to hold for an in-memory SQLite database)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == 'postgresql':
        # A plain engine: the app's lock_timeout would give up on a peer's long migration.
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                conn.execute(text('SELECT pg_advisory_lock(:key)'), {'key': ADVISORY_LOCK})
                conn.commit()
                try:
                    yield
                finally:
                    conn.execute(text('SELECT pg_advisory_unlock(:key)'), {'key': ADVISORY_LOCK})
                    conn.commit()
        finally:
            engine.dispose()
    elif backend == 'sqlite' and parsed.database and parsed.database != ':memory:':
        with open(f'{parsed.database}.migrate-lock', 'a') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            yield
    else:
        yield


def upgrade(url: str, revision: str = 'head') -> None:
    with one_at_a_time(url):
        command.upgrade(alembic_config(url), revision)
