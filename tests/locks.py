"""Hold the locks a writer needs, from a connection of the test's own, as another process stuck mid-write would."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

# PostgreSQL's EXCLUSIVE mode conflicts with every INSERT, UPDATE and DELETE on these tables but not with a plain
# SELECT: like SQLite's write lock in WAL mode, it stops writers and lets readers through.
WRITTEN_TABLES = 'users, theatres, shows, bookings'


@contextmanager
def writers_locked_out(database_url: str) -> Iterator[None]:
    """For the duration of the block, no other connection can write users, shows or bookings; reads go on."""
    if database_url.startswith('sqlite'):
        path = Path(database_url.removeprefix('sqlite:///'))
        conn = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            conn.execute('BEGIN IMMEDIATE')  # SQLite's one write lock, held until the rollback
            yield
            conn.execute('ROLLBACK')
        finally:
            conn.close()
        return
    engine = create_engine(database_url, hide_parameters=True)
    try:
        with engine.connect() as conn:
            conn.execute(text(f'LOCK TABLE {WRITTEN_TABLES} IN EXCLUSIVE MODE'))
            yield
            conn.rollback()
    finally:
        engine.dispose()
