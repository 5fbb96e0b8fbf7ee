"""Test databases: a fresh SQLite file per test, or PostgreSQL (a throwaway database per run).

PostgreSQL comes from TICKETSHOW_TEST_POSTGRES_URL (default:
postgresql://postgres@127.0.0.1:5432/test, the test machines' local server).
Where it cannot be reached its tests are skipped with the reason, except with CI=true: then they fail.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage

import pytest
import redis
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

os.environ.setdefault('TICKETSHOW_BCRYPT_ROUNDS', '4')  # real bcrypt, cheapest cost: tests stay fast
os.environ.pop('NICEGUI_REDIS_URL', None)

import models
from models import db
from services import cache, sessions, throttle
from services.config import get_settings
from services.kv import KV

REDIS_URL = os.environ.get('TICKETSHOW_TEST_REDIS_URL', 'redis://127.0.0.1:6379/15')
POSTGRES_URL = os.environ.get('TICKETSHOW_TEST_POSTGRES_URL', 'postgresql+psycopg://postgres@127.0.0.1:5432/test')
IN_CI = os.environ.get('CI', '').lower() == 'true'
TEST_DATABASE = os.environ.get('TICKETSHOW_TEST_DATABASE', 'sqlite')  # 'postgres' runs the whole suite there


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


@pytest.fixture(scope='session')
def migrated_postgres_url() -> Iterator[str]:
    """One PostgreSQL database for this run's page and API tests, built by the migrations as the app builds it."""
    from models.migrate import upgrade

    with throwaway_postgres() as url:
        upgrade(url)
        yield url


@pytest.fixture
def app_database_url(request) -> str | None:
    """The database the app under test gets: None for its own SQLite file in var/, or, with
    TICKETSHOW_TEST_DATABASE=postgres, the run's migrated PostgreSQL database emptied for this test."""
    if TEST_DATABASE != 'postgres':
        return None
    url: str = request.getfixturevalue('migrated_postgres_url')
    engine = create_engine(url)
    tables = ', '.join(t.name for t in models.Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f'TRUNCATE {tables} RESTART IDENTITY CASCADE'))
    engine.dispose()
    return url


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
    throttle.configure(KV(None))  # fresh counters, default limits, for every test
    yield url
    db.engine().dispose()
    get_settings.cache_clear()


@pytest.fixture
def postgres_db(postgres_url, tmp_path, monkeypatch) -> Iterator[str]:
    monkeypatch.setenv('TICKETSHOW_VAR_DIR', str(tmp_path))
    get_settings.cache_clear()
    _use_database(postgres_url)
    sessions.configure(idle_seconds=3600, max_seconds=7200)
    throttle.configure(KV(None))  # fresh counters, default limits, for every test
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


# --- a real SMTP server (aiosmtpd) for the mail tests ----------------------------------------------------


@dataclass
class Received:
    """One message the SMTP server accepted: its envelope recipients and the parsed message."""

    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    peer: tuple[str, int]  # the client's address: one connection, one peer

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 and a free port: records what it accepts, refuses chosen recipients with
    '550 5.1.1 no such user', can die after accepting N messages, and can be started again on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[Received] = []
        self.refused: list[str] = []  # every RCPT it refused, in order
        self.refuse: set[str] = set()
        self.die_after: int | None = None
        self._controller: Controller | None = None
        self._stopping: threading.Thread | None = None
        self._dying = False
        self._lock = threading.Lock()

    @property
    def recipients(self) -> list[str]:
        return [r.to for r in self.received]

    def verification_token(self, address: str, *, timeout: float = 30) -> str:
        """The token of the email-verification link sent to `address` (the newest), once it has arrived: what a
        person signing up opens before booking, so that the booking emails come to them."""
        deadline = time.monotonic() + timeout
        while True:
            for received in reversed(list(self.received)):
                body = received.message.get_body(('plain',))
                found = re.search(r'/verify-email/([A-Za-z0-9_-]+)', body.get_content() if body else '')
                if received.to == address and found:
                    return found.group(1)
            assert time.monotonic() < deadline, f'no verification link reached {address} within {timeout} s'
            time.sleep(0.05)

    def start(self) -> None:
        if self._stopping is not None:
            self._stopping.join(timeout=30)
            self._stopping = None
        self._dying = False
        self._controller = Controller(self, hostname='127.0.0.1', port=self.port, ready_timeout=10)
        self._controller.start()

    def stop(self) -> None:
        if self._stopping is not None:
            self._stopping.join(timeout=30)
            self._stopping = None
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _die(self) -> None:
        """Stopped from another thread: the server's own loop cannot wait for itself to end."""
        if self._stopping is None:
            controller, self._controller = self._controller, None
            if controller is not None:
                self._stopping = threading.Thread(target=controller.stop, daemon=True)
                self._stopping.start()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self._dying:  # what a server going down says to the next message; then the port closes
            self._die()
            return '421 4.3.2 Service shutting down'
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return '250 OK'

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            self.refused.append(address)
            return '550 5.1.1 no such user'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.received.append(Received(tuple(envelope.rcpt_tos), message, tuple(session.peer)))
            if self.die_after is not None and len(self.received) >= self.die_after:
                self._dying, self.die_after = True, None  # once: started again, the server stays up
        return '250 Message accepted for delivery'


BAD_PLURAL = re.compile(
    r'(?<![\d,.])1 (tickets|bookings|shows|performances|seats|theatres|minutes|people|entries)\b|[a-z]\(s\)'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch) -> Iterator[SmtpServer]:
    """A running SMTP server; the app's settings point at it (plain SMTP, no login)."""
    server = SmtpServer(free_port())
    server.start()
    monkeypatch.setenv('TICKETSHOW_SMTP_HOST', '127.0.0.1')
    monkeypatch.setenv('TICKETSHOW_SMTP_PORT', str(server.port))
    monkeypatch.setenv('TICKETSHOW_SMTP_TLS', 'none')
    get_settings.cache_clear()
    yield server
    server.stop()
    get_settings.cache_clear()
    for received in server.received:  # every email of the tests says '1 ticket', never '1 tickets' or 'ticket(s)'
        for part in received.message.walk():
            if part.get_content_maintype() == 'text':
                assert not BAD_PLURAL.search(part.get_content()), BAD_PLURAL.search(part.get_content())
        assert not BAD_PLURAL.search(received.message['Subject'] or ''), received.message['Subject']


@pytest.fixture(autouse=True)
def unmerged_lifespan() -> Iterator[None]:
    """Each start of main.py under NiceGUI's `user` fixture includes the API routers into NiceGUI's one FastAPI
    app, and FastAPI (0.141+) nests the app's lifespan one level deeper per include; NiceGUI's reset between
    tests removes the routes but not that nesting, so after some 160 such tests the lifespan's start is a
    RecursionError. Put it back after each test."""
    from nicegui import core

    lifespan = core.app.router.lifespan_context
    yield
    core.app.router.lifespan_context = lifespan


@pytest.fixture(autouse=True)
def no_cache_left_behind() -> Iterator[None]:
    """The app's start configures the process-wide cache; a page test must not leave it to the next test, whose
    factories write without invalidating it (the sales chart of a theatre id reused by a fresh database)."""
    yield
    cache.configure(None)
