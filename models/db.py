"""Engine, session factory and the shared column types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, DateTime, Engine, Enum, ForeignKey, Integer, String, create_engine, event, func
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite keeps no offset itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError('naive datetime given to a timezone-aware column')
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == 'sqlite' else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


IntPK = Annotated[int, mapped_column(Integer, primary_key=True)]
Timestamp = Annotated[dt.datetime, mapped_column(UTCDateTime, default=utcnow)]
Cents = Annotated[int, mapped_column(Integer)]
Name = Annotated[str, mapped_column(String(100))]


def fk(target: str, **kwargs: Any) -> Any:
    return mapped_column(ForeignKey(target, ondelete=kwargs.pop('ondelete', 'CASCADE')), index=True, **kwargs)


def enum_column(enum: type[StrEnum], *, length: int, constraint: str, **kwargs: Any) -> Any:
    """A column of `enum`'s values: VARCHAR(length) with a CHECK constraint named `constraint` listing the
    members, read back as members. Assigning anything else fails before it reaches the database."""
    column_type = Enum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=length,
        name=constraint,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
    return mapped_column(column_type, **kwargs)


class Base(DeclarativeBase):
    pass


def _sqlite_local_date(stored: str | None, tz_name: str) -> str | None:
    """SQLite keeps UTC datetimes as text and knows no time zones: Python's zoneinfo converts them."""
    if stored is None:
        return None
    moment = dt.datetime.fromisoformat(stored).replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(tz_name)).date().isoformat()


def local_date(session: Session, column: Any, tz_name: str) -> ColumnElement[str]:
    """The calendar date ('YYYY-MM-DD') of a UTC timestamp column in the zone `tz_name`, computed by the database."""
    if session.get_bind().dialect.name == 'postgresql':
        return func.to_char(func.timezone(tz_name, column), 'YYYY-MM-DD')
    return func.ticketshow_local_date(column, tz_name)


DEFAULT_LOCK_TIMEOUT_SECONDS = 5.0
# SQLite connections are cheap: enough for every thread that may hold one at once (the read and write pools,
# the password pool, NiceGUI's own threads, the session toucher), so a read never queues for a connection.
SQLITE_POOL = {'pool_size': 20, 'max_overflow': 10}


def make_engine(url: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS, **kwargs: Any) -> Engine:
    """An engine for `url`. A transaction waits at most `lock_timeout` seconds for a lock another one holds
    (SQLite's busy timeout, PostgreSQL's lock_timeout), then fails, so a stuck writer cannot hold up a request for
    long. Bound parameters never appear in an error message or a log line: they include password hashes."""
    kwargs.setdefault('hide_parameters', True)
    if url.startswith('sqlite'):
        in_memory = make_url(url).database in (None, '', ':memory:')
        engine = create_engine(
            url,
            connect_args={'timeout': lock_timeout, 'check_same_thread': False},
            **({} if in_memory else {**SQLITE_POOL, 'pool_timeout': lock_timeout}),
            **kwargs,
        )

        @event.listens_for(engine, 'connect')
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute('PRAGMA journal_mode=WAL')  # readers never wait for a writer, nor a writer for readers
            cursor.execute('PRAGMA foreign_keys=ON')
            cursor.execute(f'PRAGMA busy_timeout={int(lock_timeout * 1000)}')
            cursor.execute('PRAGMA synchronous=NORMAL')
            cursor.close()
            dbapi_conn.create_function('ticketshow_local_date', 2, _sqlite_local_date, deterministic=True)

        return engine
    # Per instance: 10 connections kept, 20 more at a rush, none waited for over 10 s; a query that runs for a
    # minute is stopped rather than left holding locks, and a lock is waited for `lock_timeout` at most.
    # N instances need N × 30 connections at most.
    options = f'-c statement_timeout=60000 -c lock_timeout={int(lock_timeout * 1000)}'
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        pool_timeout=10,
        pool_recycle=1800,
        connect_args={'connect_timeout': 10, 'options': options},
        **kwargs,
    )


_engine: Engine | None = None
_url: str | None = None
_factory: sessionmaker[Session] | None = None


def configure(url: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT_SECONDS) -> Engine:
    """(Re)point the process at a database; returns the engine."""
    global _engine, _factory, _url
    if _engine is not None:
        _engine.dispose()
    _engine, _url = make_engine(url, lock_timeout=lock_timeout), url
    _factory = sessionmaker(_engine, expire_on_commit=False)
    return _engine


def ensure_configured(url: str) -> None:
    """Point this process at `url` unless it already is: a worker process serves many jobs."""
    if _url != url:
        configure(url)


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError('database not configured: call models.db.configure(url) first')
    return _engine


@contextmanager
def session_scope() -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back when it raises."""
    if _factory is None:
        raise RuntimeError('database not configured: call models.db.configure(url) first')
    with _factory() as session, session.begin():
        yield session


MAX_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL are 32-bit

M = TypeVar('M', bound=Base)


def is_valid_id(ident: object) -> bool:
    """Whether `ident` could be a row's id at all: an int (not a bool) in the range the databases hold."""
    return not isinstance(ident, bool) and isinstance(ident, int) and 1 <= ident <= MAX_ID


def get_by_id(session: Session, model: type[M], ident: object) -> M | None:
    """The row with this id, or None for any id that cannot exist (wrong type, out of range)."""
    return session.get(model, ident) if is_valid_id(ident) else None
