"""After a login or sign-up the browser follows `?redirect_to=` only to a path on this site.

Chromium drops tabs and line breaks from a URL and reads a backslash as a slash, so a target such as
`/%09/other.host/x` (a tab once decoded) used to take the person, just logged in, to another host. Here the
browser must end on the app's own home page instead. No network is needed: a browser sent elsewhere fails
to resolve the host and is caught by the address it shows.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.api.conftest import LiveApp
from tests.e2e.conftest import Browser
from tests.e2e.helpers import PASSWORD, Api, Page

HOSTILE = {
    'tab': '/%09/other.host/x',
    'line-feed': '/%0a/other.host/x',
    'carriage-return': '/%0d/other.host/x',
    'backslash': '/%5C/other.host/x',
    'slash-encoded-twice': '/%252F/other.host/x',
}


def _at_home_on_this_site(page: Page, live: LiveApp) -> None:
    page.wait_path('/')
    here, home = urlsplit(page.driver.current_url), urlsplit(live.base_url + '/')
    assert (here.scheme, here.netloc, here.path, here.query) == (home.scheme, home.netloc, '/', '')


@pytest.mark.parametrize('redirect_to', HOSTILE.values(), ids=HOSTILE.keys())
def test_logging_in_never_leaves_the_site(browser: Browser, api: Api, live: LiveApp, redirect_to: str) -> None:
    api.signup('kiran', name='Kiran Das')
    page = browser()
    page.open(f'/login?redirect_to={redirect_to}')
    page.wait_text('Log in')
    assert not page.has_text('Please log in to continue.')  # the target was refused before the form was drawn
    page.log_in('kiran')
    _at_home_on_this_site(page, live)
    page.wait_text('Kiran Das')  # logged in, on the home page


def test_signing_up_never_leaves_the_site(browser: Browser, live: LiveApp) -> None:
    page = browser()
    page.open(f'/signup?redirect_to={HOSTILE["tab"]}')
    page.type('Username', 'kiran')
    page.type('Full name', 'Kiran Das')
    page.type('Email', 'kiran@example.com')
    page.type('Password', PASSWORD)
    page.type('Password again', PASSWORD)
    page.click('Sign up', scope='.q-card')
    _at_home_on_this_site(page, live)
    page.wait_text('Kiran Das')
