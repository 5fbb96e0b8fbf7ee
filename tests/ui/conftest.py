"""UI tests: NiceGUI's simulated `user` runs main.py against a fresh var/ folder (SQLite) per test."""

from __future__ import annotations

import gc

import pytest

from services.config import get_settings


@pytest.fixture(autouse=True)
def app_environment(tmp_path, monkeypatch, app_database_url) -> None:
    """Runs before the `user` fixture starts main.py: an empty database and no demo data."""
    monkeypatch.setenv('TICKETSHOW_VAR_DIR', str(tmp_path / 'var'))
    monkeypatch.setenv('TICKETSHOW_DEMO_DATA', 'false')
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    if app_database_url:
        monkeypatch.setenv('TICKETSHOW_DATABASE_URL', app_database_url)
    else:
        monkeypatch.delenv('TICKETSHOW_DATABASE_URL', raising=False)
    monkeypatch.setenv('TICKETSHOW_REDIS_URL', '')  # in-process store: each test starts clean
    monkeypatch.setenv('TICKETSHOW_SCHEDULER', 'off')  # no mail job fires in the middle of a page test
    get_settings.cache_clear()


@pytest.fixture(autouse=True, scope='session')
def frozen_heap() -> None:
    """NiceGUI's `user` fixture runs two full `gc.collect()` per test; leave the long-lived imports out of them."""
    gc.collect()
    gc.freeze()
