"""Test databases: a fresh SQLite file per test, or PostgreSQL (a throwaway database per run).

PostgreSQL comes from TICKETSHOW_TEST_POSTGRES_URL (default: the local server of ../shared/SERVICES.md).
Where it cannot be reached its tests are skipped with the reason, except with CI=true: then they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

os.environ.setdefault('TICKETSHOW_BCRYPT_ROUNDS', '4')  # real bcrypt, cheapest cost: tests stay fast
os.environ.pop('NICEGUI_REDIS_URL', None)

import models
from models import db
from services import sessions
from services.config import get_settings

REDIS_URL = os.environ.get('TICKETSHOW_TEST_REDIS_URL', 'redis://127.0.0.1:6379/15')
POSTGRES_URL = os.environ.get('TICKETSHOW_TEST_POSTGRES_URL', 'postgresql+psycopg://postgres@127.0.0.1:5432/test')
IN_CI = os.environ.get('CI', '').lower() == 'true'


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f'{reason} (CI=true: nothing may be skipped)')
    pytest.skip(reason)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new PostgreSQL database, dropped afterwards; skipped (or failed in CI) without a server."""
    admin_url = make_url(POSTGRES_URL)
    admin = create_engine(admin_url, isolation_level='AUTOCOMMIT')
    try:
        with admin.connect() as conn:
            conn.execute(text('SELECT 1'))
    except Exception as error:  # noqa: BLE001 - any failure to connect means the server is missing
        admin.dispose()
        unavailable(f'PostgreSQL is not reachable at {admin_url.render_as_string(hide_password=True)}: {error}')
    name = f'ticketshow_test_{uuid.uuid4().hex[:10]}'
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE {name}'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope='session')
def postgres_url() -> Iterator[str]:
    """One throwaway PostgreSQL database for this run's service tests (emptied before each test)."""
    with throwaway_postgres() as url:
        yield url


@pytest.fixture
def fresh_postgres_url() -> Iterator[str]:
    """An empty PostgreSQL database of the test's own."""
    with throwaway_postgres() as url:
        yield url


_pg_schema_ready: set[str] = set()


def _use_database(url: str) -> None:
    engine = db.configure(url)
    if url.startswith('postgresql'):
        if url not in _pg_schema_ready:
            models.Base.metadata.create_all(engine)
            _pg_schema_ready.add(url)
        tables = ', '.join(t.name for t in models.Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f'TRUNCATE {tables} RESTART IDENTITY CASCADE'))
    else:
        models.Base.metadata.create_all(engine)


@pytest.fixture
def sqlite_db(tmp_path, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv('TICKETSHOW_VAR_DIR', str(tmp_path))
    get_settings.cache_clear()
    url = f'sqlite:///{tmp_path / "test.sqlite3"}'
    _use_database(url)
    sessions.configure(idle_seconds=3600, max_seconds=7200)
    yield url
    db.engine().dispose()
    get_settings.cache_clear()


@pytest.fixture
def postgres_db(postgres_url, tmp_path, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv('TICKETSHOW_VAR_DIR', str(tmp_path))
    get_settings.cache_clear()
    _use_database(postgres_url)
    sessions.configure(idle_seconds=3600, max_seconds=7200)
    yield postgres_url
    db.engine().dispose()
    get_settings.cache_clear()


@pytest.fixture(params=['sqlite', 'postgres'])
def any_db(request) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f'{request.param}_db')


@pytest.fixture
def database(request) -> str:
    """The suite's default database: SQLite, or PostgreSQL with TICKETSHOW_TEST_DATABASE=postgres."""
    kind = os.environ.get('TICKETSHOW_TEST_DATABASE', 'sqlite')
    return request.getfixturevalue(f'{kind}_db')


@pytest.fixture
def redis_url() -> Iterator[str]:
    """The shared Redis server, on a database number of the tests' own, flushed before and after each test."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        unavailable(f'Redis is not reachable at {REDIS_URL}: {error}')
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@dataclass
class OwnRedis:
    """A redis-server of the test's own, on a free loopback port, that the test may stop and start."""

    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f'redis://127.0.0.1:{self.port}/0'

    def start(self) -> None:
        if shutil.which('redis-server') is None:
            unavailable('redis-server is not installed')
        self.process = subprocess.Popen(
            ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    server = OwnRedis(port)
    server.start()
    yield server
    server.stop()
