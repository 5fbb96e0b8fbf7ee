"""Issue 16's journeys in headless Chromium, through main.py with its scheduler on (so the OfferRunner offers freed
tickets and the outbox sends) and a real SMTP server: a person waiting for a housefull show gets the offer email
when a ticket comes free, follows its link on a phone and books; a manager calls a performance off and each person
who held a booking gets one email with the reason and their references.

Screenshots (whole pages): test-artifacts/waitlist-offer-page-phone.png and test-artifacts/cancel-dialog-desktop.png.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TypeVar

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from tests.api.conftest import LiveApp, start_live_app
from tests.artifacts import ARTIFACTS
from tests.conftest import TEST_DATABASE, Received, SmtpServer, throwaway_postgres
from tests.e2e.conftest import SIZES, Browser, _fit_viewport, _stop
from tests.e2e.helpers import Api, Page, save_full_page
from ui.ticket_page import spaced

PHONE = {'width': 390, 'height': 844, 'deviceScaleFactor': 2, 'mobile': True}
MAIL_WAIT = 30.0  # for the OfferRunner's thread and the outbox; never reached when all is well
HOUSEFULL = 'Ghashiram Kotwal'
CALLED_OFF = 'Tughlaq'
STILL_ON = 'Hayavadana'
REASON = 'The lead has lost his voice & we are "very" sorry.'
T = TypeVar('T')


@pytest.fixture
def live(tmp_path: Path, request: pytest.FixtureRequest, smtp_server: SmtpServer) -> Iterator[LiveApp]:
    """The e2e conftest's live app with its scheduler on; it inherits `smtp_server`'s settings from the
    environment, so its email goes there. SQLite, or PostgreSQL with TICKETSHOW_TEST_DATABASE=postgres."""
    with ExitStack() as databases:
        url = databases.enter_context(throwaway_postgres()) if TEST_DATABASE == 'postgres' else None
        app = start_live_app(
            tmp_path / 'var', database_url=url, TICKETSHOW_TIMEZONE='Asia/Kolkata', TICKETSHOW_SCHEDULER='on'
        )
        yield app
        _stop(app, request)


def wait_for(what: str, condition: Callable[[], T | None]) -> T:
    deadline = time.monotonic() + MAIL_WAIT
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f'still waiting after {MAIL_WAIT:g} s for {what}'
        time.sleep(0.1)


def text_of(received: Received) -> str:
    body = received.message.get_body(('plain',))
    assert body is not None, received.message['Subject']
    return str(body.get_content())


def subject_of(received: Received) -> str:
    return str(received.message['Subject'])


def log_in_to(page: Page, username: str, path: str) -> None:
    page.open(f'/login?redirect_to={path}')
    page.log_in(username)
    page.wait_path(path)


def as_phone(page: Page) -> None:
    """The same browser becomes a 390 × 844 phone to the pages it opens next (Chrome's device emulation)."""
    page.driver.execute_cdp_cmd('Emulation.setDeviceMetricsOverride', PHONE)
    page.driver.execute_cdp_cmd('Emulation.setTouchEmulationEnabled', {'enabled': True})


def as_desktop(page: Page) -> None:
    page.driver.execute_cdp_cmd('Emulation.setTouchEmulationEnabled', {'enabled': False})
    page.driver.execute_cdp_cmd('Emulation.clearDeviceMetricsOverride', {})
    _fit_viewport(page.driver, *SIZES['desktop'])


def show_row(page: Page, name: str) -> WebElement:
    """The dashboard's row of the show `name` (its name, badges, line of figures, reason and buttons)."""
    xpath = f'//*[contains(@class, "border-t")][.//*[normalize-space()="{name}"]]'
    return page.wait(lambda: page.driver.find_element(By.XPATH, xpath), f'no dashboard row for {name}')


def can_cancel(row: WebElement) -> bool:
    return bool(row.find_elements(By.CSS_SELECTOR, '[aria-label="Cancel performance"]'))


def test_a_freed_ticket_is_offered_by_email_and_booked_from_its_link(
    browser: Browser, api: Api, live: LiveApp, smtp_server: SmtpServer
) -> None:
    api.signup('impresario', name='Meera Nair', role='manager')
    prithvi = api.theatre('impresario', 'Prithvi Theatre', 'Mumbai')
    show = api.show('impresario', prithvi['id'], HOUSEFULL, tags=['drama'], tickets=2, price=300, days_ahead=10)
    for username, name in (('asha', 'Asha Rao'), ('dev', 'Dev Shah'), ('lena', 'Lena Fernandes')):
        api.signup(username, name=name)
    freed = api.book('asha', show['id'], 1)
    api.book('dev', show['id'], 1)
    assert api.get_show(show['id'])['tickets_left'] == 0

    # Lena finds the show housefull and joins its waiting list for one ticket.
    page = browser()
    log_in_to(page, 'lena', f'/shows/{show["id"]}')
    page.wait_text('Housefull: every ticket is sold.')
    page.type('Tickets wanted', '1')
    page.click('Join the waiting list')
    page.wait_text('You are number 1 in line for 1 ticket.')
    (entry,) = api.request('GET', '/waitlist', as_user='lena').json()
    assert (entry['show_id'], entry['tickets'], entry['status'], entry['position']) == (show['id'], 1, 'waiting', 1)

    # Asha cancels her booking: the freed ticket is set aside for Lena, who is emailed a link to it.
    cancelled = api.request('DELETE', f'/bookings/{freed["id"]}', as_user='asha')
    assert cancelled.status_code == 200, cancelled.text

    def offers() -> list[Received]:
        return [
            r
            for r in list(smtp_server.received)
            if r.to == 'lena@example.com' and subject_of(r).startswith(f'Tickets for {HOUSEFULL} are yours until')
        ]

    (offer,) = wait_for("Lena's offer email", offers)
    text = text_of(offer)
    link = re.search(r'(\S+)(/waitlist/(\d+))\b', text)
    assert link is not None, text
    assert (link.group(1), int(link.group(3))) == (live.base_url, entry['id'])
    until = re.search(r'accept by (.+?); after that', text)
    assert until is not None, text
    (offered,) = api.request('GET', '/waitlist', as_user='lena').json()
    assert (offered['status'], offered['position']) == ('offered', None)
    assert offered['offer_expires_at'] is not None
    assert api.get_show(show['id'])['tickets_left'] == 0  # the freed ticket is Lena's for now, not for sale

    # She opens the link on her phone: the offer, its end (as the email says) and a countdown; she accepts.
    as_phone(page)
    page.open(link.group(2))
    page.wait_text(f'1 ticket is set aside for you until {until.group(1)}.')
    page.wait(lambda: re.search(r'\b\d+:\d\d(:\d\d)? left\b', page.body_text()), 'no countdown to the offer end')
    assert page.driver.execute_script('return window.innerWidth') == PHONE['width']
    wide = page.driver.execute_script('return document.documentElement.scrollWidth')
    assert wide <= PHONE['width'], f'the offer page is {wide} px wide on a {PHONE["width"]} px phone'
    save_full_page(page, ARTIFACTS / 'waitlist-offer-page-phone.png')
    page.click('Accept and book')
    page.wait_path_startswith('/bookings/')
    booking_id = int(page.path.split('/')[2])
    answer = api.request('GET', f'/bookings/{booking_id}', as_user='lena')
    assert answer.status_code == 200, answer.text
    booking: dict[str, Any] = answer.json()
    assert (booking['show_id'], booking['booked_tickets'], booking['status']) == (show['id'], 1, 'confirmed')
    page.wait_text(HOUSEFULL)
    page.wait_text(spaced(booking['reference']))
    page.wait_text('TICKET 1 OF 1')  # "Ticket 1 of 1", set in capitals

    # My bookings lists the booking, and the waiting list's entry as booked.
    as_desktop(page)
    page.open('/bookings')
    page.wait_text(f'Ref. {booking["reference"]}')
    page.wait_text('Waiting lists')
    page.wait_text('Booked')
    assert [b['id'] for b in api.bookings_of('lena')] == [booking_id]
    (done,) = api.request('GET', '/waitlist', as_user='lena').json()
    assert (done['status'], done['booking_id']) == ('booked', booking_id)
    after = api.get_show(show['id'])
    assert (after['tickets_sold'], after['tickets_left']) == (2, 0)
    assert len(offers()) == 1  # one offer, one email


def test_a_manager_cancels_a_performance_and_each_holder_is_emailed_once(
    browser: Browser, api: Api, smtp_server: SmtpServer
) -> None:
    api.signup('impresario', name='Meera Nair', role='manager')
    rangmanch = api.theatre('impresario', 'Rangmanch', 'Jaipur')
    show = api.show('impresario', rangmanch['id'], CALLED_OFF, tags=['drama'], tickets=8, price=250, days_ahead=6)
    still_on = api.show('impresario', rangmanch['id'], STILL_ON, tags=['drama'], tickets=40, price=200, days_ahead=7)
    for username, name in (('asha', 'Asha Rao'), ('dev', 'Dev Shah'), ('lena', 'Lena Fernandes'), ('ravi', 'Ravi K')):
        api.signup(username, name=name)
    held = {
        'asha': [api.book('asha', show['id'], 2)['reference'], api.book('asha', show['id'], 1)['reference']],
        'dev': [api.book('dev', show['id'], 1)['reference']],
        'lena': [api.book('lena', show['id'], 3)['reference']],
    }
    references = [reference for theirs in held.values() for reference in theirs]
    waiting = api.request('POST', f'/shows/{show["id"]}/waitlist', as_user='ravi', json={'tickets': 2})
    assert waiting.status_code == 201, waiting.text

    def about_these(since: int = 0) -> list[Received]:
        """The emails (after the first `since`) that name any of the show's bookings."""
        return [
            r
            for r in list(smtp_server.received)[since:]
            if any(ref in subject_of(r) or ref in text_of(r) for ref in references)
        ]

    wait_for(  # the bookings' confirmations are out of the way: what comes after is the cancellation's
        'the four booking confirmations',
        lambda: all(any(ref in subject_of(r) for r in about_these()) for ref in references),
    )
    before = len(smtp_server.received)

    # The manager opens the dashboard and the show's Cancel performance: the dialog says whom it touches.
    manager = browser()
    log_in_to(manager, 'impresario', '/manage')
    manager.wait_text(CALLED_OFF)
    manager.click('Cancel performance', near=CALLED_OFF)
    dialog = manager.dialog()
    manager.wait_text(f'Cancel {CALLED_OFF}?')
    manager.wait_text(
        '4 bookings by 3 people (7 tickets) will be cancelled and everyone emailed; 1 person on the waiting list.'
    )
    manager.type('Reason', 'Ill <b>lead</b>')
    manager.click('Cancel performance', scope=dialog)
    refused = 'Reason must not contain < or >.'
    manager.wait(lambda: manager.field_error('Reason') == refused, f'{refused!r} never showed beside the reason')
    assert api.get_show(show['id'])['status'] == 'scheduled'
    manager.type('Reason', REASON)
    manager.wait(lambda: manager.field_error('Reason') is None, 'the message stayed after the reason changed')
    save_full_page(manager, ARTIFACTS / 'cancel-dialog-desktop.png')
    manager.click('Cancel performance', scope=dialog)
    manager.wait_dialog_closed()
    manager.wait(lambda: 'Cancelled' in show_row(manager, CALLED_OFF).text, 'the row never said Cancelled')
    row = show_row(manager, CALLED_OFF)
    assert f'Reason: {REASON}' in row.text, row.text
    assert not can_cancel(row)  # nothing left to cancel
    assert can_cancel(show_row(manager, STILL_ON))

    # One email per person who held a booking, with the reason and their references; no other about them.
    holders = {f'{username}@example.com' for username in held}
    wait_for('one cancelled-performance email per holder', lambda: {r.to for r in about_these(before)} == holders)
    api.book('ravi', still_on['id'], 1)  # a sentinel, queued after the cancellation's emails
    wait_for(
        "the sentinel booking's confirmation",
        lambda: [
            r for r in list(smtp_server.received)[before:] if subject_of(r).startswith(f'Your tickets for {STILL_ON}')
        ],
    )
    told = about_these(before)
    assert sorted(r.to for r in told) == sorted(holders), [(r.to, subject_of(r)) for r in told]
    for email in told:
        assert subject_of(email).startswith(f'Cancelled: {CALLED_OFF} — ') and '(ref ' not in subject_of(email)
        text = text_of(email)
        assert REASON in text
        username = email.to.split('@')[0]
        assert all(ref in text for ref in held[username]), (username, text)
        assert not any(ref in text for ref in references if ref not in held[username]), (username, text)
    assert not [r for r in smtp_server.received[before:] if r.to == 'ravi@example.com' and CALLED_OFF in text_of(r)]
    (entry,) = api.request('GET', '/waitlist', as_user='ravi').json()
    assert entry['status'] == 'expired'

    # A booker sees the show marked Cancelled with the reason (as text); the listing no longer has it.
    booker = browser()
    log_in_to(booker, 'asha', f'/shows/{show["id"]}')
    booker.wait_text('This performance has been called off and can no longer be booked.')
    booker.wait_text(f'Reason: {REASON}')
    assert not booker.clickables('Book now')
    assert not booker.clickables('Join the waiting list')
    booker.open('/bookings')
    booker.wait_text('Cancelled — performance called off')
    booker.open('/')
    booker.wait_text(STILL_ON)
    assert not booker.has_text(CALLED_OFF)
    listed = api.request('GET', '/shows').json()['items']
    assert [s['name'] for s in listed] == [STILL_ON]
    assert api.get_show(show['id'])['status'] == 'cancelled'
    assert {b['status'] for b in api.bookings_of('asha')} == {'cancelled'}
