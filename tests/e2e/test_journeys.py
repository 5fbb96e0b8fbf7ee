"""The four journeys of issue 7, in headless Chromium against the app as it really starts.

Each starts from an empty database (its own server process); data that is not the journey's subject is made
through the app's JSON API, the way any client makes it. Screenshots of the key pages: tests/e2e/conftest.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import threading
from functools import partial
from urllib.parse import quote

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.e2e.conftest import Browser, shot
from tests.e2e.helpers import PASSWORD, Api, Page, wait_for_file


def _sign_up(page: Page, username: str, name: str, *, manager: bool = False) -> None:
    """On the sign-up page: fill in the form, pick the role, submit (the card's button, not the header's)."""
    page.type('Username', username)
    page.type('Full name', name)
    page.type('Email', f'{username}@example.com')
    page.type('Password', PASSWORD)
    page.type('Password again', PASSWORD)
    page.click('A theatre manager' if manager else 'An audience member')
    page.click('Sign up', scope='.q-card')


def _tickets_left(page: Page, show: dict) -> str:
    page.wait_text(f'of {show["num_tickets"]} tickets left')
    return next(line for line in page.body_text().splitlines() if 'tickets left' in line)


def test_visitor_finds_a_show_signs_up_books_and_cancels(browser: Browser, api: Api) -> None:
    api.signup('impresario', role='manager')
    prithvi = api.theatre('impresario', 'Prithvi Theatre', 'Mumbai')
    natak = api.theatre('impresario', 'Natak Ghar', 'Pune')
    api.show('impresario', prithvi['id'], 'Hamlet', tags=['drama', 'english'], days_ahead=5)
    api.show('impresario', natak['id'], 'Laugh Riot', tags=['comedy'], days_ahead=6)
    macbeth = api.show('impresario', natak['id'], 'Macbeth', tags=['drama'], tickets=20, price=250, days_ahead=7)

    page = browser()
    page.open('/')
    for name in ('Hamlet', 'Laugh Riot', 'Macbeth'):
        page.wait_text(name)
    shot(page, 'j1-01-home')

    page.choose('Place', 'Pune')
    page.wait_no_text('Hamlet')
    assert page.has_text('Laugh Riot') and page.has_text('Macbeth')
    page.choose('Tag', 'drama')
    page.wait_no_text('Laugh Riot')
    page.wait_text('1 show found')
    assert page.has_text('Macbeth') and not page.has_text('Hamlet')
    shot(page, 'j1-02-home-filtered')

    show_path = f'/shows/{macbeth["id"]}'
    back_to_show = quote(show_path, safe='')
    page.click('Macbeth')
    page.wait_path(show_path)
    assert _tickets_left(page, macbeth) == '20 of 20 tickets left'
    shot(page, 'j1-03-show-logged-out')

    page.click('Log in to book')
    page.wait_path(f'/login?redirect_to={back_to_show}')
    page.wait_text('Please log in to continue.')
    shot(page, 'j1-04-login')

    page.click('Create an account')
    page.wait_path(f'/signup?redirect_to={back_to_show}')
    _sign_up(page, 'asha', 'Asha Rao')
    page.wait_path(f'/shows/{macbeth["id"]}')  # back where the booking began
    page.wait_text('Asha Rao')  # the header says who is logged in

    page.type('Tickets', '3')
    page.wait_text('₹750')
    shot(page, 'j1-05-show-booking-form')
    page.click('Book now')
    dialog = page.dialog()
    page.wait_text('3 × ₹250 = ₹750')
    shot(page, 'j1-06-confirm-dialog')
    page.click('Confirm booking', scope=dialog)

    page.wait_path_startswith('/bookings')  # ?booked=… at first, then dropped from the address
    page.wait_text('Booked 3 tickets for Macbeth: ₹750.')  # said on the page the person lands on
    page.wait_text('Macbeth')
    page.wait_text('3 × ₹250 = ₹750')
    assert [(b['show_name'], b['booked_tickets'], b['status']) for b in api.bookings_of('asha')] == [
        ('Macbeth', 3, 'confirmed')
    ]
    shot(page, 'j1-07-my-bookings')
    page.wait_path('/bookings')  # the address drops ?booked=, so a reload does not announce the booking again
    page.driver.refresh()
    page.ready()
    page.wait_text('3 × ₹250 = ₹750')
    assert not page.has_text('Booked 3 tickets')

    page.open(f'/shows/{macbeth["id"]}')
    assert _tickets_left(page, macbeth) == '17 of 20 tickets left'

    page.click('My bookings')
    page.wait_path('/bookings')
    page.click('Cancel', near='Macbeth')
    dialog = page.dialog()
    page.wait_text('Cancel this booking?')
    shot(page, 'j1-08-cancel-dialog')
    page.click('Cancel booking', scope=dialog)
    page.wait_text('Booking for Macbeth cancelled.')
    page.wait_text('Cancelled')
    shot(page, 'j1-09-my-bookings-cancelled')

    page.click('Macbeth')  # the booking's link to its show
    page.wait_path(f'/shows/{macbeth["id"]}')
    assert _tickets_left(page, macbeth) == '20 of 20 tickets left'
    assert api.get_show(macbeth['id'])['tickets_left'] == 20
    page.open('/')
    page.wait_text('20 of 20 tickets left')


def test_manager_builds_a_theatre_sees_a_sale_and_exports_it(browser: Browser, api: Api) -> None:
    page = browser()
    page.open('/signup')
    _sign_up(page, 'meera', 'Meera Nair', manager=True)
    page.wait_path('/')
    page.click('Dashboard')
    page.wait_path('/manage')
    page.wait_text('No theatres yet')
    shot(page, 'j2-01-dashboard-empty')

    page.click('Add theatre')
    dialog = page.dialog()
    page.type('Theatre name', 'Rangmanch')
    page.type('Place (city or area)', 'Jaipur')
    page.type('Capacity (seats)', '300')
    shot(page, 'j2-02-theatre-dialog')
    page.click('Save', scope=dialog)
    page.wait_text('Theatre added.')
    page.wait_dialog_closed()
    page.wait_text('Jaipur · 300 seats')

    opening = dt.date.today() + dt.timedelta(days=12)
    for number, (name, price, tags) in enumerate(
        [('Tughlaq', '400', 'drama, hindi'), ('Evening Ragas', '250', 'music')], start=1
    ):
        page.click('Add show', near='Rangmanch')
        dialog = page.dialog()
        page.type('Show name', name)
        page.type('Rating (0–5)', '4.5')
        page.type('Tags, separated by commas', tags)
        page.type('Ticket price', price)
        page.type('Number of tickets (at most 300)', '100')
        page.set_date('Date', opening + dt.timedelta(days=number))
        if number == 1:
            shot(page, 'j2-03-show-dialog')
        page.click('Save', scope=dialog)
        page.wait_text('Show added.')
        page.wait_dialog_closed()
        page.wait_text(name)
    page.wait_text('2 shows')
    page.wait_text('₹400')
    shot(page, 'j2-04-dashboard')

    page.click('Edit show', near='Tughlaq')
    dialog = page.dialog()
    assert page.field('Ticket price').get_attribute('value') == '400'
    page.type('Ticket price', '450')
    page.click('Save', scope=dialog)
    page.wait_text('Show saved.')
    page.wait_dialog_closed()
    page.wait_text('₹450')
    tughlaq = next(s for s in api.request('GET', '/shows').json()['items'] if s['name'] == 'Tughlaq')
    assert tughlaq['ticket_price'] == 450

    api.signup('ravi')
    api.book('ravi', tughlaq['id'], 4)

    page.click('Summary')
    page.wait_path('/summary')
    page.wait_text('Rangmanch')
    assert page.figure('Tickets sold') == ['4', '4']  # all theatres, then Rangmanch
    assert page.figure('Revenue') == ['₹1,800', '₹1,800']  # 4 × ₹450: the price of the day it was booked
    assert page.has_text('4/100 sold · ₹1,800')  # Tughlaq, the best seller
    charts = '.nicegui-echart canvas'  # bookings per day and sales per show, drawn as they come into view
    page.wait(lambda: len(page.driver.find_elements(By.CSS_SELECTOR, charts)) >= 2, 'the summary charts never drew')
    shot(page, 'j2-05-summary')
    shot(page, 'j2-06-summary-charts', scroll_to='.nicegui-echart')

    page.click('Dashboard')
    page.wait_path('/manage')
    page.click('Export', near='Rangmanch')
    page.click('CSV (.csv)', scope='.q-menu')
    dialog = page.dialog()
    page.wait_text('Exporting')
    page.wait_text('Ready:')
    page.wait(
        lambda: page.clickable('Download', scope=dialog).get_attribute('disabled') is None,
        'the Download button stayed disabled',
    )
    shot(page, 'j2-07-export-ready')
    page.click('Download', scope=dialog)
    exported = wait_for_file(page.downloads, '.csv')
    content = exported.read_text(encoding='utf-8-sig')
    assert 'Tughlaq' in content and 'Evening Ragas' in content, content
    rows = list(csv.reader(content.splitlines()))
    assert any('Tughlaq' in row and '4' in row for row in rows), rows


def test_audience_is_turned_away_and_a_guest_is_sent_to_log_in_and_back(browser: Browser, api: Api) -> None:
    api.signup('kiran', name='Kiran Das')
    page = browser()
    page.open('/login')
    page.log_in('kiran')
    page.wait_path('/')
    page.wait_text('Kiran Das')
    assert not page.clickables('Dashboard') and not page.clickables('Summary')  # no manager links for her

    page.open('/manage')
    page.wait_text('The dashboard is for theatre managers.')
    assert not page.has_text('Add theatre')
    shot(page, 'j3-01-manage-not-allowed')
    page.open('/summary')
    page.wait_text('The summary is for theatre managers.')

    guest = browser()
    guest.open('/bookings')
    guest.wait_path('/login?redirect_to=%2Fbookings')
    guest.wait_text('Please log in to continue.')
    shot(guest, 'j3-02-login-for-bookings')
    guest.log_in('kiran')
    guest.wait_path('/bookings')
    guest.wait_text('No upcoming bookings')
    shot(guest, 'j3-03-bookings-empty')


def test_two_people_race_for_the_last_two_tickets(browser: Browser, api: Api) -> None:
    api.signup('producer', role='manager')
    hall = api.theatre('producer', 'Little Theatre', 'Chennai', capacity=50)
    show = api.show('producer', hall['id'], 'Last Call', tags=['drama'], tickets=10, price=300)
    api.signup('early')
    api.book('early', show['id'], 8)  # 2 left
    people = {'nila': 'Nila Iyer', 'arun': 'Arun Menon'}
    for username, name in people.items():
        api.signup(username, name=name)

    pages = []
    for username in people:
        page = browser()
        page.open(f'/login?redirect_to=%2Fshows%2F{show["id"]}')
        page.log_in(username)
        page.wait_path(f'/shows/{show["id"]}')
        assert _tickets_left(page, show) == '2 of 10 tickets left'
        page.type('Tickets', '2')
        page.wait_text('₹600')
        page.click('Book now')
        page.dialog()
        page.wait_text('2 × ₹300 = ₹600')
        pages.append(page)
    shot(pages[0], 'j4-01-both-at-confirm')

    confirms = [page.clickable('Confirm booking', scope='.q-dialog') for page in pages]
    start = threading.Barrier(len(pages))
    errors: list[BaseException] = []

    def confirm(index: int) -> None:
        try:
            start.wait(timeout=30)
            confirms[index].click()
        except BaseException as error:  # noqa: BLE001 - reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(len(pages))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    def outcome(page: Page) -> str | None:
        text = page.body_text()
        if page.path.startswith('/bookings') and '2 × ₹300 = ₹600' in text:
            return 'booked'
        if 'Housefull: no tickets left.' in text or 'Not enough tickets left' in text:
            return 'refused'
        return None

    outcomes = [page.wait(partial(outcome, page), 'neither booked nor refused') for page in pages]
    assert sorted(outcomes) == ['booked', 'refused'], outcomes
    winner, loser = pages if outcomes[0] == 'booked' else pages[::-1]
    shot(winner, 'j4-02-winner-bookings')
    shot(loser, 'j4-03-loser-refused')

    # The refused page still works: it is the show page, its header is there, and it answers clicks.
    assert loser.path == f'/shows/{show["id"]}'
    loser.wait_text('Housefull: no tickets left.')  # the card is redrawn with the seats as they are now
    loser.wait_text('Browse other shows')  # and a way on
    assert loser.header_present()
    loser.click('My bookings')
    loser.wait_path('/bookings')
    loser.wait_text('No upcoming bookings')
    loser.open(f'/shows/{show["id"]}')
    loser.wait_text('Housefull')
    shot(loser, 'j4-04-show-housefull')

    assert api.get_show(show['id'])['tickets_left'] == 0
    won = [u for u in people if any(b['show_name'] == 'Last Call' for b in api.bookings_of(u))]
    assert len(won) == 1, won


def test_the_booking_confirmation_is_seen_on_my_bookings(browser: Browser, api: Api) -> None:
    api.signup('host', role='manager')
    hall = api.theatre('host', 'Small Hall', 'Goa')
    show = api.show('host', hall['id'], 'Quiet Night', tags=['music'], price=100)
    api.signup('tara')
    page = browser()
    page.open(f'/login?redirect_to=%2Fshows%2F{show["id"]}')
    page.log_in('tara')
    page.wait_path(f'/shows/{show["id"]}')
    page.click('Book now')
    page.click('Confirm booking', scope=page.dialog())
    page.wait_path_startswith('/bookings')  # ?booked=… at first, then dropped from the address
    page.wait_text('1 × ₹100 = ₹100')  # booked: the row is there
    page.wait_text('Booked 1 ticket for Quiet Night', timeout=5)  # a notification stays up 5 s


def test_the_booking_flow_works_with_the_keyboard_alone(browser: Browser, api: Api) -> None:
    """Tab to the tickets, type a number, Tab to Book now and press Enter, Enter on Confirm: no mouse."""
    api.signup('host', role='manager')
    hall = api.theatre('host', 'Key Hall', 'Pune')
    show = api.show('host', hall['id'], 'Keys Only', tags=['music'], price=120)
    api.signup('kiran')
    page = browser()
    page.open(f'/login?redirect_to=%2Fshows%2F{show["id"]}')
    page.log_in('kiran')
    page.wait_path(f'/shows/{show["id"]}')
    body = page.driver.find_element(By.TAG_NAME, 'body')
    body.click()  # start from the page itself, as after a fresh load

    def focused_label() -> str:
        """The focused control's name: an input's label or a button's own text (not a container's)."""
        active = page.driver.switch_to.active_element
        if active.tag_name not in ('input', 'button', 'a'):
            return ''
        return str(active.get_attribute('aria-label') or active.text or '').strip()

    for _ in range(40):  # Tab through the header and the show's details to the tickets field
        ActionChains(page.driver).send_keys(Keys.TAB).perform()
        if focused_label() == 'Tickets':
            break
    assert focused_label() == 'Tickets'
    ActionChains(page.driver).key_down(Keys.CONTROL).send_keys('a').key_up(Keys.CONTROL).send_keys('2').perform()
    page.wait_text('₹240')
    for _ in range(5):
        ActionChains(page.driver).send_keys(Keys.TAB).perform()
        if 'Book now' in focused_label():
            break
    assert 'Book now' in focused_label()
    ActionChains(page.driver).send_keys(Keys.ENTER).perform()
    page.wait_text('2 × ₹120 = ₹240')
    shot(page, 'j5-01-keyboard-confirm')
    page.wait(lambda: focused_label() == 'Confirm booking' or None, 'the confirmation to take the focus')
    ActionChains(page.driver).send_keys(Keys.ENTER).perform()
    page.wait_path_startswith('/bookings')  # ?booked=… at first, then dropped from the address
    page.wait_text('Booked 2 tickets for Keys Only: ₹240.')
    assert [(b['show_name'], b['booked_tickets']) for b in api.bookings_of('kiran')] == [('Keys Only', 2)]
