"""API tests: the app in process (NiceGUI's `user` fixture, whose `http_client` speaks HTTP to it over ASGI),
or as a real server process on a loopback port (`live_app`) for races and fuzzing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.config import get_settings
from tests.conftest import TEST_DATABASE, free_port, throwaway_postgres

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(autouse=True)
def app_environment(tmp_path, monkeypatch, app_database_url) -> None:
    """Before the `user` fixture starts main.py: an empty SQLite database, no demo data, no scheduler."""
    monkeypatch.setenv('TICKETSHOW_VAR_DIR', str(tmp_path / 'var'))
    monkeypatch.setenv('TICKETSHOW_DEMO_DATA', 'false')
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    if app_database_url:
        monkeypatch.setenv('TICKETSHOW_DATABASE_URL', app_database_url)
    else:
        monkeypatch.delenv('TICKETSHOW_DATABASE_URL', raising=False)
    monkeypatch.setenv('TICKETSHOW_REDIS_URL', '')
    monkeypatch.setenv('TICKETSHOW_SCHEDULER', 'off')
    get_settings.cache_clear()


@dataclass
class LiveApp:
    """main.py served by uvicorn in a process of its own, as in production, on 127.0.0.1."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30, **kwargs)  # type: ignore[arg-type]


def start_live_app(
    var_dir: Path, *, database_url: str | None = None, wait_seconds: float = 60, **settings: str
) -> LiveApp:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST', 'NICEGUI'))}
    env.update(
        {
            'TICKETSHOW_VAR_DIR': str(var_dir),
            'TICKETSHOW_PORT': str(port),
            'TICKETSHOW_REDIS_URL': '',
            'TICKETSHOW_SCHEDULER': 'off',
            'TICKETSHOW_DEMO_DATA': 'false',
            'TICKETSHOW_BCRYPT_ROUNDS': '4',
            'TICKETSHOW_LOGIN_MAX_FAILURES': '1000',
            'TICKETSHOW_LOGIN_ADDRESS_MAX_FAILURES': '1000',
            'TICKETSHOW_SIGNUPS_PER_HOUR': '1000',
            **settings,  # a caller's settings override these defaults (e.g. a shared Redis, the scheduler on)
        }
    )
    if database_url:
        env['TICKETSHOW_DATABASE_URL'] = database_url
    else:
        env.pop('TICKETSHOW_DATABASE_URL', None)
    var_dir.mkdir(parents=True, exist_ok=True)
    log = var_dir / 'server.log'
    process = subprocess.Popen(
        [sys.executable, 'main.py'], cwd=ROOT, env=env, stdout=log.open('wb'), stderr=subprocess.STDOUT
    )
    app = LiveApp(f'http://127.0.0.1:{port}', process, log)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'the app exited: {log.read_text()[-2000:]}')
        try:
            if httpx.get(app.base_url + '/api/v1/shows', timeout=2).status_code == 200:
                return app
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f'the app did not answer within {wait_seconds:g} s: {log.read_text()[-2000:]}')


@pytest.fixture
def live_app(tmp_path) -> Iterator[Callable[..., LiveApp]]:
    """Start the app as a server process (on SQLite by default, a new PostgreSQL database with
    TICKETSHOW_TEST_DATABASE=postgres, or a given database URL); stopped after the test."""
    started: list[LiveApp] = []
    databases = ExitStack()

    def start(database_url: str | None = None, **settings: str) -> LiveApp:
        if database_url is None and TEST_DATABASE == 'postgres':
            database_url = databases.enter_context(throwaway_postgres())
        app = start_live_app(tmp_path / f'var{len(started)}', database_url=database_url, **settings)
        started.append(app)
        return app

    yield start
    for app in started:
        app.process.terminate()
        try:
            app.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.process.kill()
    databases.close()
