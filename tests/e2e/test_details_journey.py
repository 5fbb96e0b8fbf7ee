"""Issue 17's details in headless Chromium: a manager gives a theatre its address and (by typing into the searchable
select) a time zone other than the app's, adds a show with a description of several lines, a duration, a language and
an age rating, is told beside the field what is wrong, and sees the show's time at the theatre with its zone's
abbreviation. Neither dialog is wider than a phone.

Screenshots: details-theatre-dialog-*.png, details-show-dialog-*.png and details-dashboard-*.png."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.e2e.conftest import SIZES, Browser, _fit_viewport, shot
from tests.e2e.helpers import Api, Page

LONDON = ZoneInfo('Europe/London')
ADDRESS = 'The Cut, Lambeth\nLondon SE1 8NB'
DESCRIPTION = 'A prince, a ghost and a play within the play.\nThree hours, one interval.'


def zone_box(page: Page) -> WebElement:
    """The time-zone select's input: it shows the chosen zone, and typing into it narrows the list."""
    return page.wait(
        lambda: next(iter(page.driver.find_elements(By.CSS_SELECTOR, '[role=combobox][aria-label="Time zone"]')), None),
        'no time-zone select',
    )


def pick_zone(page: Page, search: str, option: str) -> None:
    """Type into the time-zone select to narrow its 600 names, then click the one wanted."""
    combobox = zone_box(page)
    combobox.find_element(By.XPATH, 'ancestor::div[contains(@class, "q-field__control")]').click()
    combobox.send_keys(search)
    page.click(option, scope='.q-menu')
    page.wait(lambda: combobox.get_attribute('value') == option, f'the time zone did not change to {option}')


def fits_a_phone(page: Page) -> bool:
    """At 390 px the open dialog's card is no wider than the window, and the page does not scroll sideways."""
    _fit_viewport(page.driver, *SIZES['phone'])
    try:
        return page.wait(
            lambda: page.driver.execute_script(
                'const card = document.querySelector(".q-dialog .q-card");'
                'return window.innerWidth === 390 && card.getBoundingClientRect().right <= window.innerWidth + 1'
                ' && document.documentElement.scrollWidth <= window.innerWidth'
            ),
            'the dialog is wider than a phone',
        )
    finally:
        _fit_viewport(page.driver, *SIZES['desktop'])


def test_a_manager_places_a_theatre_and_describes_a_show(browser: Browser, api: Api) -> None:
    api.signup('meera', role='manager')
    page = browser()
    page.open('/login?redirect_to=/manage')
    page.log_in('meera')
    page.wait_path('/manage')
    page.wait_text('No theatres yet')

    page.click('Add theatre')
    dialog = page.dialog()
    page.wait(lambda: zone_box(page).get_attribute('value') == 'App default (Asia/Kolkata)', 'no app default zone')
    page.type('Theatre name', 'Old Vic')
    page.type('Place (city or area)', 'London')
    page.type('Capacity (seats)', '300')
    page.type('Address', ADDRESS)
    pick_zone(page, 'london', 'Europe/London')
    shot(page, 'details-theatre-dialog')
    assert fits_a_phone(page)
    page.click('Save', scope=dialog)
    page.wait_text('Theatre added.')
    page.wait_dialog_closed()
    page.wait_text('Times in Europe/London')
    assert ADDRESS in page.body_text()  # its line break kept

    day = dt.date.today() + dt.timedelta(days=20)
    page.click('Add show', near='Old Vic')
    dialog = page.dialog()
    page.type('Show name', 'Hamlet')
    page.type('Description', DESCRIPTION)
    page.type('Duration (minutes)', '0')
    page.type('Language', 'English')
    page.choose('Age rating', '12+')
    page.type('Rating (0–5)', '4.5')
    page.type('Ticket price', '450')
    page.type('Number of tickets (at most 300)', '100')
    page.set_date('Date', day)
    page.click('Save', scope=dialog)
    page.wait(
        lambda: page.field_error('Duration (minutes)') == 'Duration in minutes must be between 1 and 1,440.',
        'no error beside the duration',
    )
    assert page.field_error('Language') is None
    page.type('Duration (minutes)', '170')
    shot(page, 'details-show-dialog')
    assert fits_a_phone(page)
    page.click('Save', scope=dialog)
    page.wait_text('Show added.')
    page.wait_dialog_closed()

    starts = dt.datetime.combine(day, dt.time(19, 30), tzinfo=LONDON)
    abbreviation = starts.strftime('%Z')  # GMT or BST, as the day falls
    page.wait_text(f'{starts:%a %d %b %Y}, 19:30 {abbreviation}')
    page.wait_text('2 h 50 min · English · 12+')
    shot(page, 'details-dashboard')
    (show,) = api.request('GET', '/shows').json()['items']
    assert dt.datetime.fromisoformat(show['starts_at']) == starts
    assert (show['description'], show['duration_minutes'], show['language'], show['age_rating']) == (
        DESCRIPTION,
        170,
        'English',
        '12+',
    )
    assert (show['theatre_address'], show['theatre_timezone']) == (ADDRESS, 'Europe/London')
