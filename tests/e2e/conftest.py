"""End-to-end journeys: the app as it really starts (main.py as a server process, tests/api/conftest.py), driven
by Debian's headless Chromium through selenium. Each test gets an empty database and browsers of its own.

Screenshots of the key pages go to test-artifacts/screenshots/ (git-ignored) at desktop 1280×800 and phone
390×844; the run ends by printing the folder and how many it holds, and any page wider than the screen.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from tests.api.conftest import LiveApp, start_live_app
from tests.artifacts import ARTIFACTS
from tests.conftest import TEST_DATABASE, throwaway_postgres, unavailable
from tests.e2e.helpers import Api, Page

SCREENSHOTS = ARTIFACTS / 'screenshots'
CHROMIUM = os.environ.get('TICKETSHOW_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('TICKETSHOW_CHROMEDRIVER', '/usr/bin/chromedriver')
SIZES = {'desktop': (1280, 800), 'phone': (390, 844)}
CHROME_FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
    '--lang=en-US',
    '--window-size=1280,800',
]

# The outermost visible elements that reach past the right edge of the viewport (a few, named for a person).
_STICKING_OUT_JS = """
const width = window.innerWidth;
const clipped = (el) => {  // a box that cuts it off (overflow other than visible) ends inside the screen
  for (let box = el.parentElement; box && box !== document.body; box = box.parentElement) {
    if (getComputedStyle(box).overflowX !== 'visible' && box.getBoundingClientRect().right <= width + 1) return true;
  }
  return false;
};
const out = [...document.querySelectorAll('body *')].filter((el) => {
  const box = el.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && box.right > width + 1 && getComputedStyle(el).visibility !== 'hidden'
    && !clipped(el);
});
const outermost = out.filter((el) => !out.includes(el.parentElement));
return outermost.slice(0, 3).map((el) => {
  const text = (el.innerText || '').trim().split('\\n')[0].slice(0, 40);
  return `<${el.tagName.toLowerCase()} class="${(el.className.baseVal ?? el.className).slice(0, 60)}"> ${text}`
    + ` (right edge ${Math.round(el.getBoundingClientRect().right)} px)`;
});
"""


@dataclass
class _Run:
    """What this run's screenshots showed: pages wider than the screen."""

    too_wide: list[str] = field(default_factory=list)


_run = _Run()
Browser = Callable[[], Page]  # the `browser` fixture: each call starts another Chromium


@pytest.fixture(scope='session', autouse=True)
def fresh_screenshots() -> None:
    """The folder holds this run's pictures only (and a failed test's last look at its browsers)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test, so fixtures can tell a failed test (and leave evidence)."""
    report = yield
    setattr(item, f'report_{report.when}', report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, 'report_call', None)
    return report is None or report.failed


@pytest.fixture
def live(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveApp]:
    """main.py serving an empty database (SQLite, or PostgreSQL with TICKETSHOW_TEST_DATABASE=postgres) on a
    free loopback port; stopped after the test."""
    with ExitStack() as databases:
        url = databases.enter_context(throwaway_postgres()) if TEST_DATABASE == 'postgres' else None
        app = start_live_app(tmp_path / 'var', database_url=url, TICKETSHOW_TIMEZONE='Asia/Kolkata')
        yield app
        _stop(app, request)


def _stop(app: LiveApp, request: pytest.FixtureRequest) -> None:
    """The app stops before its database is dropped; a failed test shows the server's log."""
    app.process.terminate()
    try:
        app.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        app.process.kill()
    if _failed(request):
        print(f'\n--- the server log ({app.log}) ---\n{app.log.read_text(errors="replace")[-4000:]}')


@pytest.fixture
def api(live: LiveApp, request: pytest.FixtureRequest) -> Api:
    """A test that has the app's email sent to `smtp_server` gets accounts whose addresses are verified."""
    smtp = request.getfixturevalue('smtp_server') if 'smtp_server' in request.fixturenames else None
    return Api(live.base_url, smtp=smtp)


@pytest.fixture
def chromium() -> None:
    """Chromium and its driver are installed: else skipped with the reason, or (CI=true) failed."""
    for name, path in (('chromium', CHROMIUM), ('chromium-driver (chromedriver)', CHROMEDRIVER)):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            unavailable(f'{name} is not installed at {path}: apt-get install -y chromium chromium-driver')


@pytest.fixture
def browser(chromium: None, live: LiveApp, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Browser]:
    """Make a headless Chromium of its own (an independent browser context) on the live app; all quit afterwards.

    Each browser downloads into its own folder, `page.downloads`.
    """
    pages: list[Page] = []

    def make() -> Page:
        downloads = tmp_path / f'downloads-{len(pages)}'
        downloads.mkdir()
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROME_FLAGS:
            options.add_argument(flag)
        options.add_experimental_option(
            'prefs',
            {
                'download.default_directory': str(downloads),
                'download.prompt_for_download': False,
                'download.directory_upgrade': True,
                'safebrowsing.enabled': False,
                'intl.accept_languages': 'en-US',
            },
        )
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        driver.execute_cdp_cmd('Page.setDownloadBehavior', {'behavior': 'allow', 'downloadPath': str(downloads)})
        _fit_viewport(driver, *SIZES['desktop'])
        page = Page(driver, live.base_url, downloads)
        pages.append(page)
        return page

    yield make
    failed = _failed(request)
    for number, page in enumerate(pages):
        try:
            if failed:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.driver.save_screenshot(str(SCREENSHOTS / f'FAILED-{request.node.name}-{number}.png'))
                print(f'\n--- browser {number} at {page.driver.current_url} ---\n{page.body_text()[:2000]}')
        finally:
            page.driver.quit()


def _fit_viewport(driver: WebDriver, width: int, height: int) -> None:
    """Size the window so the page's viewport (innerWidth × innerHeight) is exactly width × height."""
    driver.set_window_size(width, height)
    inner_w, inner_h = driver.execute_script('return [window.innerWidth, window.innerHeight]')
    if (inner_w, inner_h) != (width, height):
        driver.set_window_size(2 * width - inner_w, 2 * height - inner_h)


def _settle(driver: WebDriver) -> None:
    """Let the page lay itself out at the new size: fonts loaded, two animation frames, Quasar's resize debounce."""
    driver.execute_async_script(
        'const done = arguments[arguments.length - 1];'
        'document.fonts.ready.then(() => requestAnimationFrame(() => requestAnimationFrame(() => done())));'
    )
    time.sleep(0.25)


def shot(page: Page | WebDriver, name: str, *, scroll_to: str | None = None) -> list[Path]:
    """Save the page as `name-phone.png` (390×844) and `name-desktop.png` (1280×800); the window size is restored.

    At phone size the scrollbars are hidden, as a phone's are, so the picture is the whole 390 px. A page wider
    than that (it would scroll sideways), or an element reaching past its right edge, is noted for the end of
    the run. `scroll_to` (a CSS selector) brings the first element it matches into view first, at each size.
    """
    driver = page.driver if isinstance(page, Page) else page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    before = driver.execute_script('return [window.innerWidth, window.innerHeight]')
    saved = []
    try:
        for kind in ('phone', 'desktop'):
            width, height = SIZES[kind]
            driver.execute_cdp_cmd('Emulation.setScrollbarsHidden', {'hidden': kind == 'phone'})
            _fit_viewport(driver, width, height)
            _settle(driver)
            if scroll_to:
                driver.execute_script(
                    'document.querySelector(arguments[0]).scrollIntoView({block: "start"}); window.scrollBy(0, -70)',
                    scroll_to,
                )
                _settle(driver)
            path = SCREENSHOTS / f'{name}-{kind}.png'
            driver.save_screenshot(str(path))
            saved.append(path)
            scroll_width = driver.execute_script('return document.documentElement.scrollWidth')
            sticking_out = driver.execute_script(_STICKING_OUT_JS)
            if scroll_width > width or sticking_out:
                _run.too_wide.append(f'{name} ({kind}, page {scroll_width} px wide): ' + '; '.join(sticking_out))
    finally:
        driver.execute_cdp_cmd('Emulation.setScrollbarsHidden', {'hidden': False})
        if before != list(SIZES['desktop']):
            _fit_viewport(driver, *before)
    return saved


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not SCREENSHOTS.is_dir():
        return
    count = len(list(SCREENSHOTS.glob('*.png')))
    terminalreporter.section('e2e screenshots')
    terminalreporter.write_line(f'{count} screenshots in {SCREENSHOTS}')
    for line in _run.too_wide:
        terminalreporter.write_line(f'wider than the screen: {line}')
