"""Browser sessions as an attacker tries them, in headless Chromium against the real server.

- A `session` cookie planted in the victim's browser before the login gives the planter nothing: the login
  gives the browser a new id, and the session is bound to that id (session fixation).
- A plain GET — a link from another site to /logout or /auth/renew — logs nobody out; the button does.
- After a browser login no file the app wrote (its var dir, NiceGUI's storage) holds anything that works as
  a credential, and every such file is readable by its owner only, though the server started with umask 022.
- The cookie is HttpOnly and SameSite=Lax, and Secure when the app runs behind HTTPS.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import ROOT, LiveApp, start_live_app
from tests.e2e.conftest import Browser
from tests.e2e.helpers import Api, Page

# Anything that looks like a secret: a token, a browser id, a digest.
SECRET_LIKE = re.compile(r'[A-Za-z0-9_\-]{20,}')


def _cookie(page: Page) -> dict:
    cookie = page.driver.get_cookie('session')
    assert cookie is not None, 'the app sets no session cookie'
    return cookie


def _logged_in_as(page: Page, name: str) -> None:
    page.open('/account')
    page.wait_path('/account')
    page.wait_text(name)


def _sent_to_log_in(page: Page) -> None:
    page.open('/account')
    page.wait_path_startswith('/login')


def test_a_cookie_planted_before_the_login_gives_the_planter_nothing(browser: Browser, api: Api) -> None:
    api.signup('victim', name='Vera Victim')
    attacker = browser()
    attacker.open('/')
    planted = _cookie(attacker)

    victim = browser()
    victim.open('/')
    victim.driver.delete_cookie('session')
    victim.driver.add_cookie({'name': 'session', 'value': planted['value'], 'path': '/'})
    victim.open('/login')
    victim.log_in('victim')
    victim.wait_text('Vera Victim')
    assert _cookie(victim)['value'] != planted['value']  # a new browser id came with the login
    _logged_in_as(victim, 'Vera Victim')

    _sent_to_log_in(attacker)  # the planted id was never logged in
    with httpx.Client(base_url=api.base_url, cookies={'session': planted['value']}) as client:
        assert client.get('/api/v1/me').status_code == 401


def test_a_link_logs_nobody_out_and_the_button_does(browser: Browser, api: Api) -> None:
    api.signup('kiran', name='Kiran Das')
    page = browser()
    page.open('/login')
    page.log_in('kiran')
    page.wait_text('Kiran Das')
    before = _cookie(page)['value']
    for link in ('/logout', '/auth/renew'):  # as if followed from another site
        page.open(link)
        _logged_in_as(page, 'Kiran Das')
    page.open('/logout')
    page.wait_text('Log out of TicketShow')
    page.click('Log out', scope='.q-card')
    page.wait_path('/')
    page.wait_no_text('Kiran Das')
    assert _cookie(page)['value'] != before  # a new browser id after the logout too
    _sent_to_log_in(page)


def _files_written_since(started: float, *folders: Path) -> list[Path]:
    return [
        path
        for folder in folders
        if folder.is_dir()
        for path in folder.rglob('*')
        if path.is_file() and path.stat().st_mtime >= started - 1
    ]


def test_no_file_holds_a_usable_credential_and_every_file_is_private(browser: Browser, api: Api, live: LiveApp) -> None:
    started = time.time()
    api.signup('kiran', name='Kiran Das')
    page = browser()
    page.open('/login')
    page.log_in('kiran')
    page.wait_text('Kiran Das')
    page.open('/bookings')
    page.wait_text('My bookings')
    page.click('Dark mode')  # a choice kept in the browser's storage on the server: the file gets written
    time.sleep(1.5)  # NiceGUI writes its storage files in the background

    var_dir = live.log.parent
    storage = ROOT / '.nicegui'  # NiceGUI's default, where the server (cwd ROOT, no NICEGUI_* settings) keeps it
    written = _files_written_since(started, var_dir, storage)
    assert any(p.name.startswith('storage-user-') for p in written), 'the browser storage was not written'
    candidates = {
        word
        for path in written
        if path.name != 'server.log'
        for word in SECRET_LIKE.findall(path.read_bytes().decode('utf-8', 'replace'))
    }
    candidates |= {path.name.removeprefix('storage-user-').removesuffix('.json') for path in written}
    with httpx.Client(base_url=live.base_url, timeout=30) as client:
        usable = [
            word
            for word in candidates
            if client.get('/api/v1/me', headers={'Authorization': f'Bearer {word}'}).status_code != 401
        ]
    assert usable == []

    for path in [*written, var_dir, *(p for p in var_dir.rglob('*'))]:
        if path.name == 'server.log':
            continue  # the test's own capture of the server's output
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f'{path} is readable by others: {oct(mode)}'


def test_the_cookie_is_http_only_same_site_and_secure_behind_https(browser: Browser, tmp_path: Path) -> None:
    page = browser()
    page.open('/')
    cookie = _cookie(page)
    assert cookie['httpOnly'] is True and cookie['sameSite'] == 'Lax' and cookie['secure'] is False

    app = start_live_app(tmp_path / 'https', TICKETSHOW_HTTPS='true')
    try:
        response = httpx.get(app.base_url + '/', timeout=30)
        (set_cookie,) = [v for k, v in response.headers.multi_items() if k.lower() == 'set-cookie']
        assert '; secure' in set_cookie.lower() and 'httponly' in set_cookie.lower()
    finally:
        app.process.terminate()
        app.process.wait(timeout=20)


@pytest.fixture(autouse=True)
def _server_umask_022() -> Iterator[None]:
    """The live server inherits this process's umask: make it the permissive usual one."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)
