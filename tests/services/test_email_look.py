"""How each email looks: rendered with awkward, realistic data, checked for escaping and a viewport meta,
written to test-artifacts/emails/<name>.html and photographed at 390×844 in headless Chromium (.png beside it),
where it must not scroll sideways.

The manager's chart is inline (`cid:`) in the real email; the saved page shows the same PNG from a file beside it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from models import BookingStatus, TicketStatus, User
from services import charts, password_reset
from services.config import get_settings
from services.etickets.document import SeatPlace, TicketDocument, TicketLine
from services.formats import when
from services.mail import booking_mail, months, render
from services.mail.content import (
    AudienceReport,
    BookingLine,
    ManagerReport,
    Pick,
    RatingLine,
    Recipient,
    ShowLine,
    TheatreMonth,
)
from tests.artifacts import ARTIFACTS
from tests.conftest import unavailable
from tests.e2e.conftest import CHROME_FLAGS, CHROMEDRIVER, CHROMIUM  # the one way the suite starts Chromium

EMAILS = ARTIFACTS / 'emails'
PHONE = (390, 844)
BASE = 'https://tickets.example.com'
UNSUBSCRIBE = f'{BASE}/unsubscribe?t=abc.def&kind=x'
MONTH = '2026-10'
AT = dt.datetime(2026, 10, 17, 13, 30, tzinfo=dt.UTC)

LONG_SHOW = 'The Extraordinarily Long and Winding Musical Adventure of Tom & Jerry <live> in Three Acts'
LONG_WORD = 'Supercalifragilistic' * 5  # 100 characters without a space: must wrap, never widen the email
NASTY_NAME = '<script>alert("x")</script> Ann & "Bob"'
RAW = ['<script>', '<live>', '"Bob"', 'Tom & Jerry', 'Rock & Roll']

PERSON = Recipient(user_id=7, username='ann', name=NASTY_NAME, email='ann@example.com', role='audience')
PICKS = [
    Pick(7, LONG_SHOW, 'Rock & Roll Hall of the Greater Metropolitan Area', 'Pune', AT, 125050, 1234),
    Pick(8, 'मुग़ल-ए-आज़म', 'पृथ्वी थिएटर', 'मुंबई', AT + dt.timedelta(days=1), 50000, 12),
    Pick(9, '梁祝 – 越剧《梁山伯与祝英台》', '上海大剧院', '上海', AT + dt.timedelta(days=2), 9999, 3),
    Pick(10, LONG_WORD, LONG_WORD, LONG_WORD, AT + dt.timedelta(days=3), 100, 1),
]
BOOKINGS = [
    BookingLine(LONG_SHOW, 'Rock & Roll Hall', AT, 4, 500200),
    BookingLine('मुग़ल-ए-आज़म', 'पृथ्वी थिएटर', AT + dt.timedelta(days=3), 2, 100000),
    BookingLine('梁祝', '上海大剧院', AT + dt.timedelta(days=5), 10, 1234567),
    BookingLine(LONG_WORD, LONG_WORD, AT + dt.timedelta(days=6), 1, 100),
]
RATINGS = [
    RatingLine(LONG_SHOW, 'Rock & Roll Hall', 4),
    RatingLine('梁祝', '上海大剧院', 5),
    RatingLine(LONG_WORD, LONG_WORD, 3),
]
THEATRES = [
    TheatreMonth(
        theatre_id=1,
        name='Rock & Roll Hall of the Greater Metropolitan Area',
        place='Pune',
        tickets=1234,
        revenue_cents=123456789,
        bookings=321,
        performances=12,
        seats_offered=2000,
        seats_sold=1234,
        best=[
            ShowLine(LONG_SHOW, AT, 400, 5000000),
            ShowLine('Kiss & Tell', AT + dt.timedelta(days=1), 300, 90000),
            ShowLine(LONG_WORD, AT + dt.timedelta(days=2), 1, 100),
        ],
        per_day={dt.date(2026, 10, d): d * 3 % 17 for d in range(1, 32)},
    ),
    TheatreMonth(theatre_id=2, name='पृथ्वी थिएटर', place='मुंबई', tickets=0, revenue_cents=0, bookings=0),
    TheatreMonth(
        theatre_id=3,
        name=LONG_WORD,
        place=LONG_WORD,
        tickets=1,
        revenue_cents=100,
        bookings=1,
        performances=1,
        seats_offered=200,
        seats_sold=1,
        best=[ShowLine(LONG_WORD, AT, 1, 100)],
    ),
]
DOCUMENT = TicketDocument(
    booking_id=41,
    reference='K7Q2M9XA',
    status=BookingStatus.CONFIRMED,
    show_id=10,
    show_name=LONG_WORD,
    starts_at=AT,
    theatre_name=LONG_WORD,
    place=LONG_WORD,
    holder_name=NASTY_NAME,
    total_cents=100,
    tickets=(TicketLine(1, 'T' * 40, SeatPlace(LONG_WORD, 'C', '7'), 100, TicketStatus.VALID, None),),
)


def _reminder() -> str:
    return render.render_reminder(PERSON, PICKS, base_url=BASE, unsubscribe_url=UNSUBSCRIBE).html


def _audience_report() -> str:
    report = AudienceReport(bookings=BOOKINGS, ratings=RATINGS)
    return render.render_audience_report(PERSON, report, month=MONTH, base_url=BASE, unsubscribe_url=UNSUBSCRIBE).html


def _manager_report() -> str:
    manager = Recipient(user_id=8, username='mgr', name=NASTY_NAME, email='m@example.com', role='manager')
    return render.render_manager_report(
        manager,
        ManagerReport(theatres=THEATRES),
        month=MONTH,
        base_url=BASE,
        unsubscribe_url=UNSUBSCRIBE,
        chart_cid='trend-8-2026-10@ticketshow',
    ).html


def _html_of(message: EmailMessage) -> str:
    body = message.get_body(('html',))
    assert body is not None
    return body.get_content()


def _booking_confirmed() -> str:
    message = booking_mail.confirmation(DOCUMENT, to='ann@example.com', subject='Your tickets', settings=get_settings())
    return _html_of(message)


def _booking_cancelled() -> str:
    cancelled = replace(DOCUMENT, status=BookingStatus.CANCELLED)
    return _html_of(booking_mail.cancellation(cancelled, to='ann@example.com', subject='x', settings=get_settings()))


def _password_reset() -> str:
    person = User(username='ann&co', name=NASTY_NAME, email='ann@example.com')
    message = password_reset._message(person, f'{BASE}/reset-password?token=' + 'x' * 43, get_settings())
    body = message.get_body(('html',))
    assert body is not None
    return body.get_content()


EMAILS_BY_NAME = {
    'reminder': _reminder,
    'audience-report': _audience_report,
    'manager-report': _manager_report,
    'password-reset': _password_reset,
    'booking-confirmed': _booking_confirmed,
    'booking-cancelled': _booking_cancelled,
}


@pytest.mark.parametrize('name', EMAILS_BY_NAME)
def test_each_email_has_a_viewport_meta_and_escapes_every_piece_of_user_text(name):
    html = EMAILS_BY_NAME[name]()

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert html.startswith('<!doctype html>') and '<html lang="en">' in html
    for raw in RAW:
        assert raw not in html, raw
    assert not re.search(r'&(?!amp;|lt;|gt;|quot;|#39;)', html.replace(UNSUBSCRIBE.replace('&', '&amp;'), ''))
    # The whole body wraps a word too long for the line anywhere (a 100-letter name), whatever the template.
    body = re.search(r'<tr><td style="([^"]*)">\s*<h1', html)
    assert body is not None and render.WRAP in body[1]
    if name in ('reminder', 'audience-report', 'manager-report'):
        assert 'href="https://tickets.example.com/unsubscribe?t=abc.def&amp;kind=x"' in html


def test_the_reminder_greets_by_first_name_and_keeps_devanagari_and_cjk_as_they_are():
    html = _reminder()
    assert 'Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;, here are a few shows' in html
    assert 'मुग़ल-ए-आज़म' in html and '梁祝 – 越剧《梁山伯与祝英台》' in html
    assert 'Tom &amp; Jerry &lt;live&gt; in Three Acts' in html
    assert '₹1,250.50' in html and '1,234 tickets left' in html


def test_the_password_reset_escapes_the_name_and_username():
    html = _password_reset()
    assert 'Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Ann &amp; &quot;Bob&quot;,' in html
    assert '<b>ann&amp;co</b>' in html


def test_the_reports_keep_their_figures():
    audience = _audience_report()
    assert '<b>17</b>' in audience and '<b>₹18,348.67</b>' in audience
    assert '★★★★☆' in audience and '★★★★★' in audience
    assert '4 bookings, 17 tickets, ₹18,348.67 in all.' in audience
    manager = _manager_report()
    assert '62%' in manager and 'of 12 performances' in manager
    assert 'No performances this month' in manager and 'no shows' not in manager
    assert '<1%' not in manager and '&lt;1%' in manager  # 1 of 200 seats: something, never '0%'
    assert f'in Three Acts</b><br><span style="color:#4b5563">{when(AT)}</span>' in manager  # best, with its date
    assert '400 tickets' in manager and '300 tickets' in manager and '>1 ticket<' in manager
    assert 'src="cid:trend-8-2026-10@ticketshow"' in manager


@pytest.fixture(scope='module')
def phone() -> Iterator[WebDriver]:
    """Headless Chromium with a 390×844 viewport: skipped without it, failed under CI=true (tests/conftest.py)."""
    for what, path in (('chromium', CHROMIUM), ('chromium-driver (chromedriver)', CHROMEDRIVER)):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            unavailable(f'{what} is not installed at {path}: apt-get install -y chromium chromium-driver')
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        width, height = PHONE
        driver.execute_cdp_cmd(
            'Emulation.setDeviceMetricsOverride',
            {'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': True},
        )
        yield driver
    finally:
        driver.quit()


@pytest.mark.parametrize('name', EMAILS_BY_NAME)
def test_each_email_reads_on_a_phone_without_scrolling_sideways(name, phone):
    EMAILS.mkdir(parents=True, exist_ok=True)
    html = EMAILS_BY_NAME[name]()
    if name == 'manager-report':  # what a mail client shows for the inline part
        chart = charts.render_month_trend(
            months.month_name(MONTH), months.month_days(MONTH), {t.name: t.per_day for t in THEATRES}
        )
        (EMAILS / 'manager-report-chart.png').write_bytes(chart)
        html = html.replace('cid:trend-8-2026-10@ticketshow', 'manager-report-chart.png')
    page = EMAILS / f'{name}.html'
    page.write_text(html, encoding='utf-8')

    phone.get(page.as_uri())
    phone.execute_async_script(
        'const done = arguments[arguments.length - 1];'
        'const images = [...document.images].filter((i) => !i.complete)'
        '  .map((i) => new Promise((r) => { i.onload = i.onerror = r; }));'
        'Promise.all([document.fonts.ready, ...images]).then(() => requestAnimationFrame(() => done()));'
    )
    inner_width, scroll_width = phone.execute_script('return [window.innerWidth, document.documentElement.scrollWidth]')
    assert inner_width == PHONE[0]
    phone.save_screenshot(str(EMAILS / f'{name}.png'))
    assert scroll_width <= PHONE[0], f'{name} is {scroll_width} px wide on a {PHONE[0]} px phone'
