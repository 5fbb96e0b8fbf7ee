"""Issue 17's charts in headless Chromium: the demo manager's summary draws interactive charts (ECharts) as they come
into view, with tooltips in the app's money, at 1280 px and on a 390 px phone without scrolling sideways, and
redraws them in the dark palette when the header's switch turns the page dark. Show names in Devanagari and a
name of 100 letters without a space are among the shows.

Screenshots (whole pages): test-artifacts/summary-charts-{desktop,phone}-{light,dark}.png.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.api.conftest import LiveApp, start_live_app
from tests.artifacts import ARTIFACTS
from tests.conftest import TEST_DATABASE, throwaway_postgres
from tests.e2e.conftest import _STICKING_OUT_JS, SIZES, Browser, _fit_viewport, _settle, _stop
from tests.e2e.helpers import Page, save_full_page

HINDI = 'अंधा युग — धर्मवीर भारती'
LONG = 'Abhijñānaśākuntalam' * 5 + 'X' * 5  # 100 letters, no space

# Every chart on the page: its canvas, and whether it has been drawn at its box's width (a canvas of the page's
# full width inside a narrower box would mean it never followed the layout).
_CHARTS_JS = """
return [...document.querySelectorAll('.nicegui-echart')].map((box) => {
  const canvas = box.querySelector('canvas');
  return {width: box.clientWidth, canvas: canvas ? canvas.clientWidth : 0};
});
"""
# The room each chart gives its category labels now (ECharts' options as it applies them, media queries included):
# 190 px on a wide chart, about 100 on a phone's.
_LABEL_WIDTHS_JS = """
return [...document.querySelectorAll('.nicegui-echart')].map((box) => {
  const chart = getElement(box.id.slice(1)).chart;
  const axis = chart && chart.getOption().yAxis[0];
  return axis && axis.type === 'category' ? axis.axisLabel.width : null;
}).filter((width) => width !== null);
"""


@pytest.fixture
def live(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LiveApp]:
    """main.py with the demo data (a month of bookings, so the trend has a shape) on SQLite, or PostgreSQL with
    TICKETSHOW_TEST_DATABASE=postgres."""
    with ExitStack() as databases:
        url = databases.enter_context(throwaway_postgres()) if TEST_DATABASE == 'postgres' else None
        app = start_live_app(
            tmp_path / 'var', database_url=url, TICKETSHOW_TIMEZONE='Asia/Kolkata', TICKETSHOW_DEMO_DATA='true'
        )
        yield app
        _stop(app, request)


def demo_logins(tmp_path: Path) -> dict[str, str]:
    """The demo's usernames and passwords, from the file the app writes on its first start."""
    lines = (tmp_path / 'var' / 'demo_logins.txt').read_text().splitlines()
    pairs = (re.match(r'\w+\s+(\S+) / (\S+)', line) for line in lines)
    return {match[1]: match[2] for match in pairs if match}


def add_shows(live: LiveApp, logins: dict[str, str]) -> None:
    """A show named in Devanagari and one with a 100-letter name at the manager's first theatre, both booked."""
    with live.client() as client:

        def token(username: str) -> dict[str, str]:
            body = {'username': username, 'password': logins[username]}
            response = client.post('/api/v1/auth/login', json=body)
            assert response.status_code == 200, response.text
            return {'Authorization': f'Bearer {response.json()["access_token"]}'}

        manager, audience = token('manager'), token('audience')
        theatre = client.get('/api/v1/theatres', headers=manager).json()[0]
        for name, tickets in ((HINDI, 9), (LONG, 4)):
            show = client.post(
                f'/api/v1/theatres/{theatre["id"]}/shows',
                headers=manager,
                json={
                    'name': name,
                    'rating': 4.5,
                    'tags': ['drama'],
                    'ticket_price': 300,
                    'num_tickets': 60,
                    'starts_at': f'{dt.date.today() + dt.timedelta(days=20)}T19:30:00',
                },
            )
            assert show.status_code == 201, show.text
            booked = client.post(
                f'/api/v1/shows/{show.json()["id"]}/bookings', headers=audience, json={'tickets': tickets}
            )
            assert booked.status_code == 201, booked.text


def draw_all(page: Page) -> list[dict[str, int]]:
    """Scroll down to the end, so every theatre's charts come into view and are drawn; back to the top."""
    driver = page.driver
    for _ in range(40):
        driver.execute_script('window.scrollBy(0, window.innerHeight * 0.8)')
        _settle(driver)
        at_end = driver.execute_script('return window.innerHeight + window.scrollY >= document.body.scrollHeight - 2')
        if at_end and not page.has_text('Loading the charts…'):
            break
    page.wait_no_text('Loading the charts…')
    charts = page.wait(lambda: _drawn(page), 'the charts were never drawn')
    driver.execute_script('window.scrollTo(0, 0)')
    return charts


def _drawn(page: Page) -> list[dict[str, int]] | None:
    charts = page.driver.execute_script(_CHARTS_JS)
    return charts if charts and all(chart['canvas'] > 0 for chart in charts) else None


def canvases(page: Page) -> list[str]:
    """What each chart's canvas shows, as a data URL: it changes when a chart is drawn again in other colours."""
    return list(
        page.driver.execute_script(
            "return [...document.querySelectorAll('.nicegui-echart canvas')].map((canvas) => canvas.toDataURL())"
        )
    )


def tooltip_after_hovering(page: Page, chart: WebElement, x: float, y: float) -> str:
    """Move the mouse to (x, y) of the chart's box (fractions of its size) and read the tooltip that shows."""
    size = chart.size
    ActionChains(page.driver).move_to_element_with_offset(
        chart, int(size['width'] * (x - 0.5)), int(size['height'] * (y - 0.5))
    ).perform()

    def shown() -> str | None:
        texts = [box.text for box in chart.find_elements(By.CSS_SELECTOR, 'div') if box.is_displayed() and box.text]
        return next((text for text in texts if '\n' in text), None)

    return page.wait(shown, 'no tooltip showed')


def light_and_dark(page: Page, kind: str) -> None:
    """Whole-page pictures, light then dark (the header's switch), and back to light; the charts are redrawn."""
    page.driver.execute_script('window.scrollTo(0, 0)')
    save_full_page(page, ARTIFACTS / f'summary-charts-{kind}-light.png')
    before = canvases(page)
    page.click('Dark mode')
    page.wait(lambda: page.driver.find_elements(By.CSS_SELECTOR, 'body.body--dark'), 'dark mode never came on')
    page.wait(lambda: all(a != b for a, b in zip(before, canvases(page), strict=True)), 'the charts stayed light')
    save_full_page(page, ARTIFACTS / f'summary-charts-{kind}-dark.png')
    dark = canvases(page)
    page.click('Dark mode')
    page.wait(lambda: not page.driver.find_elements(By.CSS_SELECTOR, 'body.body--dark'), 'dark mode stayed on')
    page.wait(lambda: all(a != b for a, b in zip(dark, canvases(page), strict=True)), 'the charts stayed dark')


def test_the_summary_charts_are_interactive_readable_on_a_phone_and_follow_dark_mode(
    browser: Browser, live: LiveApp, tmp_path: Path
) -> None:
    logins = demo_logins(tmp_path)
    add_shows(live, logins)
    page = browser()
    page.open('/login?redirect_to=/summary')
    page.log_in('manager', logins['manager'])
    page.wait_path('/summary')
    page.wait_text('Revenue by theatre')
    charts = draw_all(page)
    assert len(charts) >= 5  # the comparison, and two per theatre (the demo manager has three)
    assert all(chart['canvas'] <= chart['width'] for chart in charts)
    assert set(page.driver.execute_script(_LABEL_WIDTHS_JS)) == {190}
    assert page.has_text('Which seats sell first')

    trend = page.driver.find_elements(By.CSS_SELECTOR, '.nicegui-echart')[1]
    page.driver.execute_script('arguments[0].scrollIntoView({block: "center"})', trend)
    tip = tooltip_after_hovering(page, trend, 0.97, 0.3)  # today's bar, at the right end of the tickets panel
    assert 'tickets booked' in tip or 'ticket booked' in tip
    assert re.search(r'₹[\d,]+(\.\d\d)? revenue', tip), tip
    sales = page.driver.find_elements(By.CSS_SELECTOR, '.nicegui-echart')[2]
    page.driver.execute_script('arguments[0].scrollIntoView({block: "center"})', sales)
    tips = {tooltip_after_hovering(page, sales, 0.5, y) for y in (0.15, 0.3, 0.45, 0.6)}
    assert any('sold' in text and 'revenue' in text for text in tips), tips
    light_and_dark(page, 'desktop')

    driver = page.driver
    driver.execute_cdp_cmd('Emulation.setScrollbarsHidden', {'hidden': True})
    _fit_viewport(driver, 390, 844)
    _settle(driver)
    charts = draw_all(page)
    assert all(0 < chart['canvas'] <= chart['width'] <= 390 for chart in charts), charts  # they follow the box
    assert set(page.driver.execute_script(_LABEL_WIDTHS_JS)) == {96, 104}  # the comparison's, the sales charts'
    scroll_width = driver.execute_script('return document.documentElement.scrollWidth')
    assert scroll_width <= 390, f'{scroll_width} px wide at 390: {driver.execute_script(_STICKING_OUT_JS)}'
    light_and_dark(page, 'phone')
    driver.execute_cdp_cmd('Emulation.setScrollbarsHidden', {'hidden': False})
    _fit_viewport(driver, *SIZES['desktop'])


def test_a_chart_image_draws_a_devanagari_name(live: LiveApp, tmp_path: Path) -> None:
    """The API's picture of the same theatre (the emails' kind of chart), saved for a look beside the page's."""
    logins = demo_logins(tmp_path)
    add_shows(live, logins)
    with httpx.Client(base_url=live.base_url, timeout=30) as client:
        login = client.post('/api/v1/auth/login', json={'username': 'manager', 'password': logins['manager']})
        headers = {'Authorization': f'Bearer {login.json()["access_token"]}'}
        theatre = client.get('/api/v1/theatres', headers=headers).json()[0]
        for kind in ('sales', 'trend'):
            response = client.get(f'/api/v1/theatres/{theatre["id"]}/{kind}.png', headers=headers)
            assert response.status_code == 200 and response.headers['content-type'] == 'image/png'
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / f'summary-{kind}-image.png').write_bytes(response.content)
