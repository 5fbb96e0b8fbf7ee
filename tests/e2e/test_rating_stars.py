"""Rating a past show in a real browser: clicking a star on My bookings says the score at once and the stars stay
at it, through a reload; the show's page then counts the rating beside the critics' (the manager's) rating.

A show cannot be booked once it has started, so it is booked while upcoming and then moved into the past in the
app's own database, which this module's `live` names for that."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine, update

from models import Show
from tests.api.conftest import LiveApp, start_live_app
from tests.conftest import TEST_DATABASE, throwaway_postgres
from tests.e2e.conftest import Browser, shot
from tests.e2e.helpers import Api

_STARS = '.q-rating[aria-label="Rate Hamlet"]'
# The stars' value as the browser holds it: the checked radio's place (0: none), whatever the pointer hovers.
_CHOSEN_JS = f"""
const radios = [...document.querySelectorAll('{_STARS} [role="radio"]')];
return radios.findIndex((radio) => radio.getAttribute('aria-checked') === 'true') + 1;
"""


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    if TEST_DATABASE == 'postgres':
        with throwaway_postgres() as url:
            yield url
    else:
        yield f'sqlite:///{tmp_path / "var" / "ticketshow.sqlite3"}'


@pytest.fixture
def live(tmp_path: Path, database_url: str) -> Iterator[LiveApp]:
    """The conftest's `live`, on a database this test can reach."""
    app = start_live_app(tmp_path / 'var', database_url=database_url, TICKETSHOW_TIMEZONE='Asia/Kolkata')
    yield app
    app.process.terminate()
    try:
        app.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        app.process.kill()


def started_yesterday(database_url: str, show_id: int) -> None:
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(Show).where(Show.id == show_id).values(starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
            )
    finally:
        engine.dispose()


def test_a_star_clicked_on_my_bookings_is_confirmed_at_once(browser: Browser, api: Api, database_url: str) -> None:
    api.signup('meera', role='manager')
    theatre = api.theatre('meera', 'Prithvi', 'Mumbai')
    show = api.show('meera', theatre['id'], 'Hamlet', tags=['drama'], rating=4.0, days_ahead=2)
    next_date = api.show('meera', theatre['id'], 'Hamlet', tags=['drama'], rating=4.0, days_ahead=4)
    api.show('meera', theatre['id'], 'Tughlaq', tags=['drama'], rating=3.5, days_ahead=5)
    api.signup('asha')
    api.book('asha', show['id'], 2)
    started_yesterday(database_url, show['id'])

    page = browser()
    page.open('/login?redirect_to=/bookings')
    page.log_in('asha')
    page.wait_path('/bookings')
    page.wait_text('How was it?')
    assert page.driver.execute_script(_CHOSEN_JS) == 0

    stars = page.driver.find_elements(By.CSS_SELECTOR, f'{_STARS} .q-rating__icon')
    assert len(stars) == 5
    stars[3].click()
    page.wait_text('You rated it 4 of 5')
    assert page.driver.execute_script(_CHOSEN_JS) == 4
    assert not page.has_text('How was it?')
    shot(page, 'ratings-01-my-bookings-rated', scroll_to=_STARS)

    stars[1].click()  # a change of mind
    page.wait_text('You rated it 2 of 5')
    assert page.driver.execute_script(_CHOSEN_JS) == 2

    page.open('/bookings')
    page.wait_text('You rated it 2 of 5')
    assert page.driver.execute_script(_CHOSEN_JS) == 2

    page.open('/')  # the next date of the production carries the score; Tughlaq, unrated, the critics' alone
    page.wait_text('(1 rating)')
    assert page.body_text().count('(1 rating)') == 1 and page.body_text().count('Critics') == 2
    shot(page, 'ratings-02-cards')
    page.open(f'/shows/{next_date["id"]}')
    page.wait_text('(1 rating)')  # the audience's 2.0, beside the manager's 4.0
    assert 'Critics' in page.body_text() and '2.0' in page.body_text()
    shot(page, 'ratings-03-show-hero')
