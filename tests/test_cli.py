"""The app as a new user starts it: real processes, real HTTP on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select

from models import User
from tests.conftest import REDIS_URL, free_port

ROOT = Path(__file__).resolve().parent.parent


def _env(var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST', 'NICEGUI'))}
    env.update(TICKETSHOW_VAR_DIR=str(var_dir), TICKETSHOW_BCRYPT_ROUNDS='4', TICKETSHOW_REDIS_URL=REDIS_URL, **extra)
    env.pop('TICKETSHOW_DATABASE_URL', None)
    return env


def test_create_admin_reads_the_password_from_stdin(tmp_path):
    command = [
        sys.executable,
        'main.py',
        'create-admin',
        '--username',
        'Root',
        '--name',
        'Site Admin',
        '--email',
        'root@example.com',
        '--password-stdin',
    ]
    done = subprocess.run(
        command, input='admin-password-1\n', capture_output=True, text=True, cwd=ROOT, env=_env(tmp_path), timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert 'Admin "root" created.' in done.stdout
    engine = create_engine(f'sqlite:///{tmp_path / "ticketshow.sqlite3"}')
    with engine.connect() as conn:
        row = conn.execute(select(User.username, User.role, User.password_hash)).one()
    engine.dispose()
    assert row[:2] == ('root', 'admin') and row[2].startswith('$2')

    again = subprocess.run(
        command, input='short\n', capture_output=True, text=True, cwd=ROOT, env=_env(tmp_path), timeout=60
    )
    assert again.returncode == 2 and 'Password must be 8–128 characters.' in again.stderr


def test_serve_with_demo_data_prints_logins_and_answers(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, 'main.py'],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(tmp_path, TICKETSHOW_PORT=str(port), TICKETSHOW_DEMO_DATA='on'),
    )
    try:
        deadline, home = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            try:
                home = httpx.get(f'http://127.0.0.1:{port}/', timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert home is not None and home.status_code == 200
        guarded = httpx.get(f'http://127.0.0.1:{port}/bookings', timeout=5)
        assert guarded.status_code == 303
        assert guarded.headers['location'] == '/login?redirect_to=%2Fbookings'
        assert (tmp_path / 'storage_secret').stat().st_mode & 0o077 == 0
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    logins = (tmp_path / 'demo_logins.txt').read_text().split()
    assert 'manager' in logins and 'audience' in logins
    assert f'manager / {logins[logins.index("manager", 1) + 2]}' in output
