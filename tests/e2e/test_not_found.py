"""The not-found page in a real browser: answered 404 by the server, drawn in the app's frame at desktop and phone
size, in light and dark mode, with readable text, and a search box that leads to the listing."""

from __future__ import annotations

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.api.conftest import LiveApp
from tests.e2e.conftest import Browser, shot
from tests.e2e.helpers import Api, Page

# WCAG contrast of the not-found texts and icon against what is really behind them (the first opaque background).
_CONTRAST_JS = """
const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
const lum = ([r, g, b]) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const behind = (el) => {
  for (let box = el; box; box = box.parentElement) {
    const c = rgb(getComputedStyle(box).backgroundColor);
    if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
  }
  return [255, 255, 255];
};
const ratio = (el) => {
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(behind(el))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
};
const root = [...document.querySelectorAll('.q-page .nicegui-column')].find((c) => c.querySelector('.not-found-icon'));
return Object.fromEntries([...root.children].filter((el) => el.innerText || el.matches('.q-icon'))
  .map((el) => [el.innerText.trim() || 'icon', ratio(el)]));
"""


def _readable(page: Page) -> None:
    ratios = page.driver.execute_script(_CONTRAST_JS)
    assert ratios, 'no not-found texts found'
    for text, ratio in ratios.items():
        assert ratio >= (3 if text == 'icon' else 4.5), f'{text!r} has contrast {ratio:.2f}'


def _dark(page: Page) -> bool:
    return bool(page.driver.execute_script("return document.body.classList.contains('body--dark')"))


def test_the_not_found_page_in_a_browser(browser: Browser, api: Api, live: LiveApp) -> None:
    api.signup('meera', role='manager')
    theatre = api.theatre('meera', 'Prithvi', 'Mumbai')
    api.show('meera', theatre['id'], 'Hamlet', tags=['drama'])
    api.signup('asha', name='Asha Rao')
    with httpx.Client(base_url=live.base_url, timeout=30) as client:
        assert client.get('/no/such/page').status_code == 404
        assert client.get('/shows/abc').status_code == 404

    page = browser()
    page.open('/no/such/page')
    page.wait_text('Page not found')
    assert page.header_present()
    assert not _dark(page)
    _readable(page)
    shot(page, 'not-found')

    search = page.driver.find_element(By.CSS_SELECTOR, 'form[role=search] input[name=q]')
    search.send_keys('Hamlet', Keys.ENTER)  # a plain form: the browser itself goes to the listing
    page.wait_path('/?q=Hamlet')
    page.wait_text('Hamlet')

    page.open('/login')
    page.log_in('asha')
    page.wait_text('Asha Rao')
    page.open('/bookings/999999')
    page.wait_text('No such booking')
    assert page.clickables('My bookings', scope='.q-page')
    page.click('Dark mode')
    page.wait(lambda: _dark(page), 'dark mode never came on')
    page.open('/shows/abc')  # drawn dark from the start: the choice is the person's, kept on the server
    page.wait_text('No such show')
    assert _dark(page) and page.header_present()
    _readable(page)
    shot(page, 'not-found-dark')
