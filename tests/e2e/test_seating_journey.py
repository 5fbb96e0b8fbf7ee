"""Issue 15's journey in headless Chromium: a manager draws a three-section seat map, blocks a seat, saves it and
puts a reserved show on it; a buyer on a 390 px phone picks two seats, sees the countdown and books them; another
buyer, whose page was open all along, sees those seats go from free to held to sold without reloading.

Screenshots (whole pages): test-artifacts/seating-editor-desktop-{light,dark}.png,
seating-picker-phone-{light,dark}.png and seating-picker-desktop-{light,dark}.png.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from tests.api.conftest import LiveApp
from tests.artifacts import ARTIFACTS
from tests.e2e.conftest import CHROME_FLAGS, CHROMEDRIVER, CHROMIUM, SCREENSHOTS, Browser, _failed
from tests.e2e.helpers import Api, Page, click_seat, save_full_page, seat_drawn_inside, wait_seat

PHONE = {'width': 390, 'height': 844, 'pixelRatio': 2, 'touch': True}
SECTIONS = [('Stalls', 6, 10), ('Dress circle', 4, 8), ('Balcony', 3, 8)]
BLOCKED = 'Stalls C5'
CHOSEN = ('Stalls D5', 'Stalls D6')


@pytest.fixture
def phone(chromium: None, live: LiveApp, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A Chromium that is a phone to the page: Chrome's mobile emulation, 390 × 844 CSS pixels, touch."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_experimental_option('mobileEmulation', {'deviceMetrics': PHONE})
    options.add_experimental_option('prefs', {'intl.accept_languages': 'en-US'})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    page = Page(driver, live.base_url, tmp_path)
    try:
        yield page
    finally:
        try:
            if _failed(request):
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(SCREENSHOTS / f'FAILED-{request.node.name}-phone.png'))
                print(f'\n--- the phone at {driver.current_url} ---\n{page.body_text()[:2000]}')
        finally:
            driver.quit()


def log_in_to(page: Page, username: str, path: str) -> None:
    page.open(f'/login?redirect_to={path}')
    page.log_in(username)
    page.wait_path(path)


def light_and_dark(page: Page, name: str) -> list[Path]:
    """Whole-page screenshots test-artifacts/`name`-light.png and -dark.png (the header's dark-mode button, pressed
    and pressed again, so the page is light as before)."""
    saved = []
    for mode in ('light', 'dark'):
        if mode == 'dark':
            page.click('Dark mode')
            page.wait(lambda: page.driver.find_elements(By.CSS_SELECTOR, 'body.body--dark'), 'dark mode never came on')
        saved.append(save_full_page(page, ARTIFACTS / f'{name}-{mode}.png'))
    page.click('Dark mode')
    page.wait(lambda: not page.driver.find_elements(By.CSS_SELECTOR, 'body.body--dark'), 'dark mode stayed on')
    return saved


def generator_field(page: Page, line: int, label: str) -> WebElement:
    """The generator's input `label` ('Section', 'Rows', 'Seats/row') on its `line`-th section (from 0)."""
    card = '//div[contains(@class, "q-card")][.//div[normalize-space()="Generate a map"]]'

    def find() -> WebElement | None:
        found = page.driver.find_elements(By.XPATH, f'{card}//input[@aria-label="{label}"]')
        return found[line] if len(found) > line else None

    return page.wait(find, f'no generator line {line} with {label!r}')


def fill(page: Page, element: WebElement, text: str) -> None:
    element.send_keys(Keys.CONTROL, 'a')
    element.send_keys(Keys.DELETE)
    element.send_keys(text)
    page.wait(lambda: element.get_attribute('value') == text, f'the field did not take {text!r}')


def test_a_manager_draws_a_map_and_buyers_see_each_others_seats(browser: Browser, phone: Page, api: Api) -> None:
    api.signup('impresario', name='Meera Nair', role='manager')
    api.signup('asha', name='Asha Rao')
    api.signup('dev', name='Dev Shah')

    # The manager adds a theatre and opens its seat map.
    manager = browser()
    log_in_to(manager, 'impresario', '/')
    manager.click('Dashboard')
    manager.wait_path('/manage')
    manager.click('Add theatre')
    dialog = manager.dialog()
    manager.type('Theatre name', 'Rangmanch')
    manager.type('Place (city or area)', 'Jaipur')
    manager.type('Capacity (seats)', '200')
    manager.click('Save', scope=dialog)
    manager.wait_text('Theatre added.')
    manager.wait_dialog_closed()
    manager.click('Seat map', near='Rangmanch')
    manager.wait_path_startswith('/theatres/')
    theatre_id = int(manager.path.split('/')[2])
    assert manager.path == f'/theatres/{theatre_id}/seatmap'
    manager.wait_text('No seats yet')

    # Three sections from the generator; one seat selected by a click and blocked; saved.
    for line, (name, rows, per_row) in enumerate(SECTIONS):
        if line:
            manager.click('Add a section')
        fill(manager, generator_field(manager, line, 'Section'), name)
        fill(manager, generator_field(manager, line, 'Rows'), str(rows))
        fill(manager, generator_field(manager, line, 'Seats/row'), str(per_row))
    manager.click('Generate')
    manager.wait_text('116 seats · 116 for sale · 0 selected')
    wait_seat(manager, 'Balcony C8', '(standard)')
    manager.wait(  # else the SVG is drawn to another scale than the clicks are read in
        lambda: seat_drawn_inside(manager, 'Balcony C8'),
        'the generated map is drawn larger than its image: the last seat lies outside it',
    )
    click_seat(manager, BLOCKED, events=('mousedown', 'mouseup'))
    manager.wait_text('116 seats · 116 for sale · 1 selected')
    manager.click('Blocked')
    manager.wait_text('116 seats · 115 for sale · 1 selected')
    wait_seat(manager, BLOCKED, '(blocked)')
    manager.click('Save map')
    manager.wait_text('Seat map saved: 115 seats for sale.')
    light_and_dark(manager, 'seating-editor-desktop')

    saved = api.request('GET', f'/theatres/{theatre_id}/seatmap', as_user='impresario')
    assert saved.status_code == 200, saved.text
    sections = saved.json()['sections']
    assert [(s['name'], len(s['rows']), len(s['rows'][0]['seats'])) for s in sections] == SECTIONS
    assert saved.json()['seats'] == 115
    kinds = {
        f'{section["name"]} {row["label"]}{seat["label"]}': seat['kind']
        for section in sections
        for row in section['rows']
        for seat in row['seats']
    }
    assert [name for name, kind in kinds.items() if kind == 'blocked'] == [BLOCKED]

    # A reserved show on the map, with a price per section.
    manager.click('← Dashboard')
    manager.wait_path('/manage')
    manager.click('Add show', near='Rangmanch')
    dialog = manager.dialog()
    manager.type('Show name', 'Tughlaq')
    manager.type('Rating (0–5)', '4.5')
    manager.type('Tags, separated by commas', 'drama')
    manager.type('Ticket price', '300')
    manager.set_date('Date', dt.date.today() + dt.timedelta(days=5))
    manager.choose('Seating', 'Reserved seats from the seat map')
    manager.type('Section prices', 'Stalls: 450; Dress circle: 350; Balcony: 250')
    manager.click('Save', scope=dialog)
    manager.wait_text('Show added.')
    manager.wait_dialog_closed()
    dashboard = api.request('GET', '/dashboard', as_user='impresario')
    assert dashboard.status_code == 200, dashboard.text
    ((show,),) = [entry['shows'] for entry in dashboard.json()]
    assert show['seating'] == 'reserved'
    assert show['section_prices'] == {'Stalls': 450, 'Dress circle': 350, 'Balcony': 250}
    assert show['num_tickets'] == 115
    path = f'/shows/{show["id"]}'

    # Another buyer has the show open before anyone picks.
    other = browser()
    log_in_to(other, 'dev', path)
    for seat in CHOSEN:
        wait_seat(other, seat, 'free, ₹450')
    wait_seat(other, BLOCKED, 'not for sale')

    # The buyer on a phone picks two seats (each shown as theirs before the next tap), sees the countdown, books.
    log_in_to(phone, 'asha', path)
    assert phone.driver.execute_script('return window.innerWidth') == PHONE['width']
    for seat in CHOSEN:
        wait_seat(phone, seat, 'free')
        click_seat(phone, seat)
        wait_seat(phone, seat, 'your seat')
    phone.wait_text('Held for you for')
    phone.wait_text('Total (2 seats)')
    phone.wait_text('₹900')
    for seat in CHOSEN:
        wait_seat(other, seat, 'held by someone', timeout=5)
    phone_scroll = phone.driver.execute_script('return document.documentElement.scrollWidth')
    assert phone_scroll <= PHONE['width'], f'the picker is {phone_scroll} px wide on a {PHONE["width"]} px phone'
    light_and_dark(phone, 'seating-picker-phone')
    phone.click('Book these seats')
    phone.wait_path_startswith('/bookings')  # ?booked=… at first, then dropped from the address
    phone.wait_text('Tughlaq')
    phone.wait_text('Stalls D5, D6')
    (booking,) = api.bookings_of('asha')
    booked = sorted(f'{t["seat"]["section"]} {t["seat"]["row"]}{t["seat"]["label"]}' for t in booking['tickets'])
    assert booked == list(CHOSEN)
    assert booking['total'] == 900

    # The other buyer's map, never reloaded, shows them sold.
    for seat in CHOSEN:
        wait_seat(other, seat, 'sold', timeout=5)
    wait_seat(other, 'Stalls D4', 'free')
    light_and_dark(other, 'seating-picker-desktop')
