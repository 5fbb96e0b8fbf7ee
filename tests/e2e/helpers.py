"""Driving NiceGUI/Quasar pages in a real browser, by what a person sees: labels, button texts, page text.

NiceGUI's `.mark()` markers live on the server only (they are not rendered into the DOM), so nothing here
relies on them: inputs are found by their aria-label (Quasar puts the field's label there), buttons and
links by their visible text (an icon's ligature text left out) or aria-label, and results by page text.
Every wait is a WebDriverWait with a generous timeout: a slow machine waits longer, it never fails sooner.
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import unquote

import httpx
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

if TYPE_CHECKING:
    from tests.conftest import SmtpServer

TIMEOUT = 15.0
T = TypeVar('T')
PASSWORD = 'journey-password-1'

# Visible elements a person could click that say `text`: by their own text (an icon's ligature text left out), or
# else by their aria-label. With `near`, only those whose closest enclosing block that mentions `near` holds no
# other such element (a row's own button, not its neighbour's).
_CLICKABLES_JS = """
const [text, scope, near] = arguments;
const root = scope ? [...document.querySelectorAll(scope)].pop() : document;
if (!root) return [];
const own = (el) => {
  const copy = el.cloneNode(true);
  copy.querySelectorAll('i.q-icon, .q-focus-helper').forEach((icon) => icon.remove());
  return copy.textContent.replace(/\\s+/g, ' ').trim();
};
const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const all = [...root.querySelectorAll(
  'button, a, [role=button], [role=option], [role=menuitem], [role=radio], .q-item--clickable'
)].filter(visible);
let found = all.filter((el) => own(el) === text);
if (!found.length) found = all.filter((el) => el.getAttribute('aria-label') === text);
if (near) {
  found = found.filter((el) => {
    let block = el.parentElement;
    while (block && !block.innerText.includes(near)) block = block.parentElement;
    return block && found.filter((other) => block.contains(other)).length === 1;
  });
}
return found;
"""

_READY_JS = 'return !!(window.did_handshake && window.socket && window.socket.connected)'


class Page:
    """One browser (a selenium driver) on the live app, with the few moves the journeys need."""

    def __init__(self, driver: WebDriver, base_url: str, downloads: Path) -> None:
        self.driver = driver
        self.base_url = base_url
        self.downloads = downloads  # where this browser's downloads land

    # --- waiting -------------------------------------------------------------------------------------------

    def wait(self, condition: Callable[[], T | None], message: str, timeout: float = TIMEOUT) -> T:
        """Until `condition()` returns something truthy (stale elements and the like count as 'not yet')."""

        def attempt(_: WebDriver) -> T | None:
            try:
                return condition()
            except (StaleElementReferenceException, ElementNotInteractableException):
                return None

        try:
            return cast(T, WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(attempt))
        except TimeoutException:
            raise AssertionError(f'{message} (waited {timeout:g} s on {self.driver.current_url})') from None

    def ready(self) -> None:
        """The page is drawn and its websocket is connected, so clicks reach the server."""
        self.wait(lambda: self.driver.execute_script(_READY_JS), 'the page never connected to the server')

    def open(self, path: str) -> None:
        self.driver.get(self.base_url + path)
        self.ready()

    def wait_path(self, path: str) -> None:
        """The browser has arrived at `path` (query string included; %-escapes or not) and the page is live."""
        self.wait(lambda: unquote(self.path) == unquote(path), f'expected to arrive at {path}, still at {self.path}')
        self.ready()

    def wait_path_startswith(self, prefix: str) -> None:
        """The browser has arrived at a path that starts with `prefix` (e.g. a page with its query) and is live."""
        self.wait(
            lambda: unquote(self.path).startswith(prefix), f'expected to arrive at {prefix}…, still at {self.path}'
        )
        self.ready()

    @property
    def path(self) -> str:
        return str(self.driver.current_url).removeprefix(self.base_url)

    def body_text(self) -> str:
        return str(self.driver.execute_script('return document.body.innerText'))

    def wait_text(self, text: str, timeout: float = TIMEOUT) -> None:
        self.wait(lambda: text in self.body_text(), f'{text!r} never appeared on the page', timeout)

    def wait_no_text(self, text: str, timeout: float = TIMEOUT) -> None:
        self.wait(lambda: text not in self.body_text(), f'{text!r} never went away', timeout)

    def has_text(self, text: str) -> bool:
        return text in self.body_text()

    # --- finding and acting --------------------------------------------------------------------------------

    def field(self, label: str) -> WebElement:
        """The visible input (or textarea) labelled `label`; the last one if a dialog repeats a label."""

        def find() -> WebElement | None:
            found = [
                element
                for element in self.driver.find_elements(
                    By.CSS_SELECTOR, f'input[aria-label="{label}"], textarea[aria-label="{label}"]'
                )
                if element.is_displayed()
            ]
            return found[-1] if found else None

        return self.wait(find, f'no visible input labelled {label!r}')

    def field_error(self, label: str) -> str | None:
        """The error Quasar shows under the field labelled `label`, if it is in its error state."""
        box = self.field(label).find_element(By.XPATH, 'ancestor::label[contains(@class, "q-field")]')
        if 'q-field--error' not in (box.get_attribute('class') or ''):
            return None
        return str(box.find_element(By.CSS_SELECTOR, '.q-field__messages').text)

    def type(self, label: str, text: str) -> WebElement:
        """Replace what the field holds with `text`, key by key, as a person would."""
        element = self.field(label)
        element.send_keys(Keys.CONTROL, 'a')
        element.send_keys(Keys.DELETE)
        element.send_keys(text)
        self.wait(lambda: element.get_attribute('value') == text, f'{label!r} did not take {text!r}')
        return element

    def set_date(self, label: str, day: dt.date) -> None:
        """A native date input (the browser runs in en-US: month, day, year)."""
        element = self.field(label)
        element.click()
        element.send_keys(day.strftime('%m%d%Y'))
        self.wait(lambda: element.get_attribute('value') == day.isoformat(), f'{label!r} did not take {day}')

    def clickables(self, text: str, scope: str | None = None, near: str | None = None) -> list[WebElement]:
        """What is visible and clickable and says `text` right now (no waiting)."""
        return list(self.driver.execute_script(_CLICKABLES_JS, text, scope, near))

    def clickable(self, text: str, scope: str | None = None, near: str | None = None) -> WebElement:
        def find() -> WebElement | None:
            found = self.clickables(text, scope, near)
            return found[-1] if found else None

        where = (f' in {scope}' if scope else '') + (f' near {near!r}' if near else '')
        return self.wait(find, f'nothing visible to click that says {text!r}{where}')

    def click(self, text: str, scope: str | None = None, near: str | None = None) -> None:
        """Click the (last) visible button, link, radio or menu item that says `text`.

        `scope` (a CSS selector) limits the search to the last element it matches (an open dialog, a menu);
        `near` picks the one beside a given text (the edit button of one show's row). The last match, because a
        dialog or menu is added at the end of the page, after whatever opened it.
        """

        def attempt() -> bool:
            element = self.clickable(text, scope, near)
            try:
                element.click()
            except ElementClickInterceptedException:  # a notification or a closing menu is in the way: again
                return False
            return True

        self.wait(attempt, f'could not click {text!r}')

    def dialog(self) -> str:
        """Wait for an open dialog; its CSS scope, for `click(..., scope=...)`."""
        self.wait(
            lambda: any(e.is_displayed() for e in self.driver.find_elements(By.CSS_SELECTOR, '.q-dialog .q-card')),
            'no dialog opened',
        )
        return '.q-dialog'

    def wait_dialog_closed(self) -> None:
        self.wait(lambda: not self.driver.find_elements(By.CSS_SELECTOR, '.q-dialog .q-card'), 'the dialog stayed open')

    def choose(self, label: str, option: str) -> None:
        """Pick `option` in the q-select labelled `label` (its combobox carries the label): open, click the option."""

        def find() -> tuple[WebElement, WebElement] | None:
            # The combobox itself is an invisible focus target; the field around it is what shows and takes clicks.
            for combobox in self.driver.find_elements(By.CSS_SELECTOR, f'[role=combobox][aria-label="{label}"]'):
                control = combobox.find_element(By.XPATH, 'ancestor::div[contains(@class, "q-field__control")]')
                if control.is_displayed():
                    return combobox, control
            return None

        combobox, control = self.wait(find, f'no select labelled {label!r}')
        control.click()
        self.click(option, scope='.q-menu')
        self.wait(lambda: combobox.get_attribute('value') == option, f'{label!r} did not change to {option!r}')
        self.wait(lambda: not self.driver.find_elements(By.CSS_SELECTOR, '.q-menu'), f'the {label!r} menu stayed open')

    def loaded_images(self) -> list[str] | None:
        """The sources of the page's images once there are some and every one has loaded with a real width."""
        return self.driver.execute_script(
            'const images = [...document.querySelectorAll("img")];'
            'return images.length && images.every((i) => i.complete && i.naturalWidth > 0)'
            ' ? images.map((i) => i.getAttribute("src")) : null'
        )

    def figure(self, caption: str) -> list[str]:
        """The values under every summary figure captioned `caption` (captions are shown upper-case)."""
        lines = self.body_text().splitlines()
        return [lines[i + 1] for i, line in enumerate(lines[:-1]) if line.strip().upper() == caption.upper()]

    def header_present(self) -> bool:
        return bool(self.driver.find_elements(By.CSS_SELECTOR, 'header.q-header')) and 'TicketShow' in str(
            self.driver.execute_script("return document.querySelector('header.q-header').innerText")
        )

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        """On the login page: fill it in and submit (the card's button, not the header's)."""
        self.type('Username', username)
        self.type('Password', password)
        self.click('Log in', scope='.q-card')


# --- the API of the live app, for seeding data along the real path ------------------------------------------


@dataclass
class Api:
    """The live app's JSON API: accounts, theatres, shows and bookings made the way any client makes them."""

    base_url: str
    tokens: dict[str, str] = field(default_factory=dict)
    # Where the app's email goes, when a test has it sent somewhere: a sign-up then opens its verification link,
    # so the booking emails reach the person.
    smtp: SmtpServer | None = None

    def _client(self, username: str | None = None) -> httpx.Client:
        headers = {'Authorization': f'Bearer {self.tokens[username]}'} if username else {}
        return httpx.Client(base_url=self.base_url, timeout=30, headers=headers)

    def request(self, method: str, path: str, *, as_user: str | None = None, **kwargs: Any) -> httpx.Response:
        """`as_user` logs in with the journeys' password first if need be (say, after a sign-up in the browser)."""
        if as_user and as_user not in self.tokens:
            self.login(as_user)
        with self._client(as_user) as client:
            return client.request(method, '/api/v1' + path, **kwargs)

    def signup(self, username: str, *, name: str | None = None, role: str = 'user') -> dict[str, Any]:
        body = {
            'username': username,
            'name': name or username.title(),
            'email': f'{username}@example.com',
            'password': PASSWORD,
            'role': role,
        }
        created = self.request('POST', '/auth/signup', json=body)
        assert created.status_code == 201, created.text
        if self.smtp is not None:
            token = self.smtp.verification_token(body['email'])
            verified = self.request('POST', '/auth/verify-email', json={'token': token})
            assert verified.status_code == 204, verified.text
        self.login(username)
        return dict(created.json())

    def login(self, username: str) -> str:
        response = self.request('POST', '/auth/login', json={'username': username, 'password': PASSWORD})
        assert response.status_code == 200, response.text
        self.tokens[username] = response.json()['access_token']
        return self.tokens[username]

    def theatre(self, manager: str, name: str, place: str, capacity: int = 200) -> dict[str, Any]:
        body = {'name': name, 'place': place, 'capacity': capacity}
        created = self.request('POST', '/theatres', as_user=manager, json=body)
        assert created.status_code == 201, created.text
        return dict(created.json())

    def show(
        self,
        manager: str,
        theatre_id: int,
        name: str,
        *,
        tags: list[str],
        price: float = 250,
        tickets: int = 50,
        rating: float = 4.0,
        days_ahead: int = 10,
    ) -> dict[str, Any]:
        starts = (dt.date.today() + dt.timedelta(days=days_ahead)).isoformat() + 'T19:30:00'
        body = {
            'name': name,
            'rating': rating,
            'tags': tags,
            'ticket_price': price,
            'num_tickets': tickets,
            'starts_at': starts,
        }
        created = self.request('POST', f'/theatres/{theatre_id}/shows', as_user=manager, json=body)
        assert created.status_code == 201, created.text
        return dict(created.json())

    def get_show(self, show_id: int) -> dict[str, Any]:
        response = self.request('GET', f'/shows/{show_id}')
        assert response.status_code == 200, response.text
        return dict(response.json())

    def book(self, username: str, show_id: int, tickets: int) -> dict[str, Any]:
        response = self.request('POST', f'/shows/{show_id}/bookings', as_user=username, json={'tickets': tickets})
        assert response.status_code == 201, response.text
        return dict(response.json())

    def bookings_of(self, username: str) -> list[dict[str, Any]]:
        response = self.request('GET', '/bookings', as_user=username)
        assert response.status_code == 200, response.text
        return list(response.json())


def wait_for_file(folder: Path, suffix: str, timeout: float = TIMEOUT) -> Path:
    """A finished download in `folder` (Chromium writes `*.crdownload` until it is complete)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f'*{suffix}') if p.stat().st_size > 0]
        if done and not list(folder.glob('*.crdownload')):
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f'no {suffix} file was downloaded into {folder}: {sorted(p.name for p in folder.iterdir())}')


# --- the seat map (ui/seat_map.py): an <img> for the clicks, an SVG overlay with a <circle> per seat -----------

# The circle of the seat `name` ('Stalls C5'): its tooltip (the picker's 'Stalls C5: free, ₹450', the editor's
# 'Stalls C5 (standard)') and its centre in the image's CSS pixels (the viewBox scaled to the drawn width).
_SEAT_JS = """
const [name] = arguments;
const map = document.querySelector('.seat-map');
if (!map) return null;
const img = map.querySelector('img');
const svg = map.querySelector('svg');
const box = svg.viewBox.baseVal;
const circle = [...svg.querySelectorAll('circle')].find((c) => {
  const title = c.querySelector('title');
  return title && (title.textContent.startsWith(name + ':') || title.textContent.startsWith(name + ' ('));
});
if (!circle || !box || !box.width || !img.clientWidth) return null;
return {
  title: circle.querySelector('title').textContent,
  x: circle.cx.baseVal.value * img.clientWidth / box.width,
  y: circle.cy.baseVal.value * img.clientHeight / box.height,
  width: img.clientWidth,
  height: img.clientHeight,
};
"""

# Mouse events dispatched on the image itself: selenium's pointer actions with an offset miss a tall image (scrolling
# it into view moves it between the aim and the click).
_MOUSE_JS = """
const [img, type, x, y, shift] = arguments;
const r = img.getBoundingClientRect();
img.dispatchEvent(new MouseEvent(type, {bubbles: true, clientX: r.left + x, clientY: r.top + y, shiftKey: shift}));
"""


def seat_title(page: Page, name: str) -> str | None:
    """The tooltip of the seat `name` as the map draws it now ('Stalls C5: held by someone'); None if not drawn."""
    found = page.driver.execute_script(_SEAT_JS, name)
    return None if found is None else str(found['title'])


def seat_drawn_inside(page: Page, name: str) -> bool:
    """The seat `name`'s circle is drawn inside the map's image (the SVG's viewBox fits the map's size), where a
    click on it reaches it."""
    found = page.driver.execute_script(_SEAT_JS, name)
    return found is not None and 0 < found['x'] < found['width'] and 0 < found['y'] < found['height']


def wait_seat(page: Page, name: str, state: str, timeout: float = TIMEOUT) -> str:
    """Until the seat `name`'s tooltip mentions `state` ('free', 'your seat', '(blocked)'); the tooltip."""

    def shows() -> str | None:
        title = seat_title(page, name)
        return title if title is not None and state in title else None

    try:
        return page.wait(shows, f'seat {name!r} never showed {state!r}', timeout)
    except AssertionError as failure:
        raise AssertionError(f'{failure}; its tooltip: {seat_title(page, name)!r}') from None


def click_seat(page: Page, name: str, *, events: tuple[str, ...] = ('click',), shift: bool = False) -> None:
    """Click the seat `name` on the map: `events` ('click' for the picker; 'mousedown', 'mouseup' for the editor)
    dispatched at its centre."""
    found = page.wait(lambda: page.driver.execute_script(_SEAT_JS, name), f'seat {name!r} is not on the map')
    img = page.driver.find_element(By.CSS_SELECTOR, '.seat-map img')
    for event in events:
        page.driver.execute_script(_MOUSE_JS, img, event, found['x'], found['y'], shift)


def save_full_page(page: Page, path: Path) -> Path:
    """A screenshot of the whole page, below the fold too (the viewport's width, the document's height), without
    the notifications that happen to be showing (they would cover what the picture is of)."""
    driver = page.driver
    driver.execute_script(
        'const style = document.createElement("style"); style.id = "no-notifications-in-screenshots";'
        'style.textContent = ".q-notifications { display: none !important; }"; document.head.append(style);'
        'window.scrollTo(0, 0)'
    )
    time.sleep(0.3)  # a button's ripple and colour transition (dark mode, just toggled) come to rest
    try:
        metrics = driver.execute_cdp_cmd('Page.getLayoutMetrics', {})
        width = metrics['cssLayoutViewport']['clientWidth']
        height = metrics['cssContentSize']['height']
        shot = driver.execute_cdp_cmd(
            'Page.captureScreenshot',
            {
                'format': 'png',
                'captureBeyondViewport': True,
                'clip': {'x': 0, 'y': 0, 'width': width, 'height': height, 'scale': 1},
            },
        )
    finally:
        driver.execute_script('document.getElementById("no-notifications-in-screenshots")?.remove()')
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot['data']))
    return path
