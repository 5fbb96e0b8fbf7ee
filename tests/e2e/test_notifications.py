"""Notifications in a real browser: the same message twice shows once, without a counter piling up on it."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from tests.e2e.conftest import Browser
from tests.e2e.helpers import Api

_SWITCH = "//div[contains(@class, 'q-toggle')][contains(., 'Monthly report')]"
_SHOWING_JS = """
return [...document.querySelectorAll('.q-notification')].map((n) => {
  const badge = n.querySelector('.q-notification__badge');
  return [n.innerText.trim(), badge ? getComputedStyle(badge).display : null];
});
"""


def test_the_same_notification_twice_shows_once_with_no_counter(browser: Browser, api: Api) -> None:
    api.signup('asha')
    page = browser()
    page.open('/login?redirect_to=/account')
    page.log_in('asha')
    page.wait_path('/account')
    switch = page.driver.find_element(By.XPATH, _SWITCH)
    switch.click()  # each switch saves at once and says so
    page.wait_text('Email choices saved.')
    switch.click()
    page.wait(lambda: page.driver.execute_script(_SHOWING_JS) or None, 'a notification is showing', timeout=5)
    showing = page.driver.execute_script(_SHOWING_JS)
    assert sum('Email choices saved.' in text for text, _ in showing) == 1, showing
    assert all(display in (None, 'none') for _, display in showing), showing  # a badge is hidden if Quasar adds one
