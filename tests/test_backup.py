"""`main.py backup` of a live SQLite database under booking load, `main.py restore` into a fresh var folder, and
the app started on it: every booking confirmed before the backup began is there with its tickets, and every email
row that was queued; bad input to both commands is refused with a sentence."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from services import backup
from tests.api.conftest import ROOT, start_live_app
from tests.api.test_race import _token
from tests.conftest import free_port
from tests.test_instances import make_show

BUYERS = 8


def command(var_dir: Path, *args: str, port: int | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST', 'NICEGUI', 'TICKETSHOW_'))}
    env.update(
        {'TICKETSHOW_VAR_DIR': str(var_dir), 'TICKETSHOW_REDIS_URL': '', 'TICKETSHOW_PORT': str(port or free_port())}
    )
    return subprocess.run(
        [sys.executable, 'main.py', *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def rows(database: Path, query: str) -> list[tuple]:
    conn = sqlite3.connect(database)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def test_a_backup_under_booking_load_restores_into_a_fresh_folder_with_every_booking(tmp_path):
    live = start_live_app(tmp_path / 'live')
    restored_app = None
    try:
        with live.client() as setup:
            show_id = make_show(setup, _token(setup, 'backupmanager', 'manager'), tickets=5000)
            tokens = [_token(setup, f'keeper{i}') for i in range(BUYERS)]

        confirmed: list[tuple[float, int, int, str]] = []  # (answered at, booking id, tickets, token)
        lock = threading.Lock()
        stop = threading.Event()
        failures: list[str] = []

        def buyer(token: str) -> None:
            with httpx.Client(base_url=live.base_url, timeout=60, headers={'Authorization': f'Bearer {token}'}) as c:
                while not stop.is_set():
                    answer = c.post(f'/api/v1/shows/{show_id}/bookings', json={'tickets': 2})
                    if answer.status_code != 201:
                        failures.append(answer.text)
                        return
                    with lock:
                        confirmed.append((time.monotonic(), answer.json()['id'], 2, token))

        threads = [threading.Thread(target=buyer, args=(token,)) for token in tokens]
        for thread in threads:
            thread.start()
        while len(confirmed) < 40:  # the load is going
            time.sleep(0.05)
        database = tmp_path / 'live' / 'ticketshow.sqlite3'
        began = time.monotonic()
        queued_before = {row[0] for row in rows(database, 'SELECT id FROM outbox_messages')}
        made = command(tmp_path / 'live', 'backup', str(tmp_path / 'nightly.sqlite3'))
        ended = time.monotonic()
        time.sleep(0.5)  # bookings go on after it
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert not failures, failures[:3]
        assert made.returncode == 0, made.stderr
        assert made.stdout.startswith(f'Backed up: {tmp_path / "nightly.sqlite3"}: ')
        before = [c for c in confirmed if c[0] < began]
        after = [c for c in confirmed if c[0] > ended]
        assert len(before) >= 40 and after, (len(before), len(after))
        assert not list(tmp_path.glob('.nightly*'))  # no partial file left

        fresh = tmp_path / 'fresh'
        port = free_port()
        put_back = command(fresh, 'restore', str(tmp_path / 'nightly.sqlite3'), port=port)
        assert put_back.returncode == 0, put_back.stderr
        assert 'Restored: ' in put_back.stdout and 'kept as' not in put_back.stdout
        restored_db = fresh / 'ticketshow.sqlite3'
        # Every email row queued before the backup began is in it (the verification emails of the signups).
        assert queued_before <= {row[0] for row in rows(restored_db, 'SELECT id FROM outbox_messages')}

        restored_app = start_live_app(fresh)
        with restored_app.client() as client:
            assert client.get('/readyz').status_code == 200
            bookings: dict[int, dict] = {}
            for token in tokens:  # sessions are database rows: the same tokens work on the restored copy
                for offset in range(0, 10_000, 100):
                    page = client.get(
                        '/api/v1/bookings',
                        params={'limit': 100, 'offset': offset},
                        headers={'Authorization': f'Bearer {token}'},
                    )
                    assert page.status_code == 200, page.text
                    bookings.update({b['id']: b for b in page.json()})
                    if len(page.json()) < 100:
                        break
        for _, booking_id, tickets, _ in before:
            assert bookings[booking_id]['status'] == 'confirmed'
            assert len(bookings[booking_id]['tickets']) == tickets
            assert all(t['status'] == 'valid' for t in bookings[booking_id]['tickets'])
        sold = sum(b['booked_tickets'] for b in bookings.values())
        [(tickets_sold,)] = rows(restored_db, f'SELECT tickets_sold FROM shows WHERE id = {show_id}')
        assert sold == tickets_sold  # the copy is of one moment: counts and rows agree
    finally:
        for app in (live, restored_app):
            if app is not None:
                app.process.terminate()
                app.process.wait(timeout=30)


def test_restore_refuses_while_something_answers_and_keeps_the_database_it_replaces(tmp_path):
    live = start_live_app(tmp_path / 'var')
    try:
        made = command(tmp_path / 'var', 'backup', str(tmp_path / 'copy.sqlite3'))
        assert made.returncode == 0, made.stderr
        port = int(live.base_url.rsplit(':', 1)[1])
        refused = command(tmp_path / 'var', 'restore', str(tmp_path / 'copy.sqlite3'), port=port)
        assert refused.returncode == 2
        assert 'stop the app before restoring' in refused.stderr
    finally:
        live.process.terminate()
        live.process.wait(timeout=30)
    again = command(tmp_path / 'var', 'restore', str(tmp_path / 'copy.sqlite3'))
    assert again.returncode == 0, again.stderr
    kept = list((tmp_path / 'var').glob('ticketshow.sqlite3.before-restore-*'))
    assert len(kept) == 1 and f'kept as {kept[0]}' in again.stdout
    assert backup.check(kept[0]).schema == backup.check(tmp_path / 'var' / 'ticketshow.sqlite3').schema


def test_bad_backups_and_targets_are_refused_with_a_sentence(tmp_path):
    (tmp_path / 'var').mkdir()
    nothing = command(tmp_path / 'var', 'backup', str(tmp_path / 'b.sqlite3'))
    assert (nothing.returncode, nothing.stderr.strip()) == (
        2,
        f'There is no database at {(tmp_path / "var" / "ticketshow.sqlite3").resolve()} to back up.',
    )
    garbage = tmp_path / 'garbage.sqlite3'
    garbage.write_bytes(b'this is not a database' * 100)
    refused = command(tmp_path / 'var', 'restore', str(garbage))
    assert refused.returncode == 2 and 'is not a SQLite database' in refused.stderr
    other = tmp_path / 'other.sqlite3'
    rows(other, 'CREATE TABLE notes (id INTEGER)')
    assert 'not a TicketShow one' in command(tmp_path / 'var', 'restore', str(other)).stderr
    assert 'is not a file' in command(tmp_path / 'var', 'restore', str(tmp_path / 'missing.sqlite3')).stderr
    assert not (tmp_path / 'var' / 'ticketshow.sqlite3').exists()  # nothing was changed
    with pytest.raises(backup.BackupError, match='pg_dump -Fc'):
        backup.backup('postgresql+psycopg://someone@db/ticketshow', tmp_path / 'x')
    missing_folder = command(tmp_path / 'var', 'migrate')
    assert missing_folder.returncode == 0
    assert 'does not exist' in command(tmp_path / 'var', 'backup', str(tmp_path / 'no' / 'x.sqlite3')).stderr
    database = tmp_path / 'var' / 'ticketshow.sqlite3'
    assert 'cannot be the database itself' in command(tmp_path / 'var', 'backup', str(database)).stderr
