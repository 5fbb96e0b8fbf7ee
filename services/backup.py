"""`python main.py backup PATH` and `restore PATH` for the SQLite database (PostgreSQL has pg_dump and pg_restore).

A backup is SQLite's online backup: one consistent copy of the database as of one moment, taken while the app runs
and writes (in WAL mode the copy reads a snapshot; writers are not stopped). It is written beside PATH, checked
(`PRAGMA integrity_check`, and it must hold TicketShow's tables), and only then renamed to PATH, so PATH is either
the previous file or a whole, checked backup. A restore checks the file the same way, copies it into the var
folder's database through the same API, and keeps the database it replaces, if any, beside it.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """Why a backup or restore cannot be done: a sentence for the operator."""


@dataclass(frozen=True)
class Summary:
    path: Path
    size: int
    bookings: int
    tickets: int
    outbox: int
    schema: str

    def describe(self) -> str:
        return (
            f'{self.path}: {self.size / 1e6:,.1f} MB, schema {self.schema}, {self.bookings:,} bookings, '
            f'{self.tickets:,} tickets, {self.outbox:,} emails in the outbox'
        )


def sqlite_path(url: str) -> Path:
    """The database file of a SQLite URL; a BackupError for PostgreSQL (its own tools do it)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == 'postgresql':
        raise BackupError(
            'The database is PostgreSQL: back it up with `pg_dump -Fc -f FILE URL` and restore with '
            '`pg_restore --clean --if-exists -d URL FILE` (docs/DEPLOY.md, "Backups").'
        )
    if parsed.get_backend_name() != 'sqlite' or not parsed.database or parsed.database == ':memory:':
        raise BackupError(f'Only a SQLite file or PostgreSQL can be backed up, not {parsed.get_backend_name()}.')
    return Path(parsed.database)


def check(path: Path) -> Summary:
    """Open a backup (or a database) read-only and make sure it is whole and TicketShow's."""
    if not path.is_file():
        raise BackupError(f'{path} is not a file.')
    try:
        with _connect(path) as conn:
            problems = [row[0] for row in conn.execute('PRAGMA integrity_check')]
            if problems != ['ok']:
                raise BackupError(f'{path} is damaged: {"; ".join(problems[:3])}')
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {'alembic_version', 'users', 'bookings', 'tickets', 'outbox_messages'} <= tables:
                raise BackupError(f'{path} is a SQLite database, but not a TicketShow one.')
            return Summary(
                path=path,
                size=path.stat().st_size,
                bookings=_count(conn, 'bookings'),
                tickets=_count(conn, 'tickets'),
                outbox=_count(conn, 'outbox_messages'),
                schema=conn.execute('SELECT version_num FROM alembic_version').fetchone()[0],
            )
    except sqlite3.DatabaseError as error:
        raise BackupError(f'{path} is not a SQLite database ({error}).') from None


def backup(url: str, target: Path) -> Summary:
    """Copy the live database at `url` to `target`, consistent as of one moment, checked before it is named."""
    source = sqlite_path(url)
    if not source.is_file():
        raise BackupError(f'There is no database at {source} to back up.')
    target = target.resolve()
    if target == source.resolve():
        raise BackupError('The backup cannot be the database itself.')
    if not target.parent.is_dir():
        raise BackupError(f'The folder {target.parent} does not exist.')
    partial = target.with_name(f'.{target.name}.partial')
    partial.unlink(missing_ok=True)
    try:
        with _connect(source) as src, _connect(partial) as dst:
            src.backup(dst)  # all pages in one step, from one snapshot: writers go on meanwhile (WAL)
            dst.execute('PRAGMA journal_mode = DELETE')  # the backup: one self-contained file
        summary = check(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Summary(**{**summary.__dict__, 'path': target})


def restore(url: str, backup_file: Path, *, now: dt.datetime) -> tuple[Summary, Path | None]:
    """Make the database at `url` a copy of `backup_file` (checked first); the one it replaces is kept beside it
    (returned). Run it with the app stopped: a running instance would keep writing to the file it had open."""
    summary = check(backup_file.resolve())
    database = sqlite_path(url)
    if not database.parent.is_dir():
        database.parent.mkdir(mode=0o700, parents=True)
    kept: Path | None = None
    incoming = database.with_name(f'.{database.name}.restoring')
    incoming.unlink(missing_ok=True)
    try:
        with _connect(backup_file) as src, _connect(incoming) as dst:
            src.backup(dst)
            dst.execute('PRAGMA journal_mode = WAL')
        if database.exists():
            kept = database.with_name(f'{database.name}.before-restore-{now:%Y%m%d-%H%M%S}')
            with _connect(database) as old:
                old.execute('PRAGMA wal_checkpoint(TRUNCATE)')  # the kept copy whole in one file
            os.replace(database, kept)
        for leftover in ('-wal', '-shm'):
            Path(f'{database}{leftover}').unlink(missing_ok=True)
        os.replace(incoming, database)
    finally:
        incoming.unlink(missing_ok=True)
    return Summary(**{**summary.__dict__, 'path': database}), kept


@contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection, closed afterwards (sqlite3's own context manager only commits)."""
    conn = sqlite3.connect(path, timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def _count(conn: sqlite3.Connection, table: str) -> int:
    return int(conn.execute(f'SELECT count(*) FROM {table}').fetchone()[0])  # noqa: S608 - our own table names
