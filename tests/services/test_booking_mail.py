"""The booking emails through the outbox and a real SMTP server (aiosmtpd), on SQLite and PostgreSQL: booking queues
one row and renders nothing; the deliverer composes the confirmation when it sends it — its inline QR codes and
its PDF decode back to the tickets' codes, its .ics to the show — and the cancellation; each is sent once with two
deliverers at once and after an outage; a row whose booking is gone, or that cannot be composed, fails with a
reason without holding up the batch. The confirmation is photographed at 390 px in headless Chromium
(test-artifacts/emails/booking-confirmation.png, and booking-cancellation.png)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from models import Booking, OutboxKind, OutboxMessage, OutboxStatus, Role, Show, Theatre, Ticket, User
from models.db import make_engine, session_scope, utcnow
from services import booking as booking_service
from services.config import get_settings
from services.formats import local, when, zone_abbreviation
from services.mail import outbox
from services.mail.outbox import OUTAGE_RETRY, BatchResult
from services.mail.transport import compose
from tests.factories import make_show, make_theatre, make_user
from tests.services.test_email_look import EMAILS, PHONE, phone  # noqa: F401 - the fixture, Chromium at 390 px
from tests.services.test_etickets import decoded, pdf_codes, pdf_pages
from tests.services.test_outbox import race
from tests.services.test_seating import HOUSE, create_reserved, put_map, seat_ids


class Clock:
    """The deliverer's time: now, moved by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> dt.datetime:
        return self.now


def _settings(monkeypatch) -> None:
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    monkeypatch.setenv('TICKETSHOW_PUBLIC_URL', 'https://tickets.example.com')
    get_settings.cache_clear()


@pytest.fixture
def mail(any_db, smtp_server, monkeypatch):
    """Both databases, a real SMTP server, times in India and links to a public address."""
    _settings(monkeypatch)
    return smtp_server


@pytest.fixture
def one_db_mail(database, smtp_server, monkeypatch):
    """As `mail`, on the suite's default database only (for the screenshots)."""
    _settings(monkeypatch)
    return smtp_server


def a_show(name: str = 'Hamlet', *, theatre: str = 'Prithvi Theatre', place: str = 'Juhu, Mumbai') -> Show:
    manager = make_user(role=Role.MANAGER)
    return make_show(
        make_theatre(manager, name=theatre, place=place),
        name=name,
        price_cents=45050,
        starts_at=(utcnow() + dt.timedelta(days=5)).replace(hour=14, minute=0, second=0, microsecond=0),
    )


def book(show: Show, person: User, tickets: int = 3) -> booking_service.BookingView:
    with session_scope() as s:
        return booking_service.book(s, show_id=show.id, user_id=person.id, tickets=tickets)


def cancel(booked: booking_service.BookingView, person: User) -> None:
    with session_scope() as s:
        booking_service.cancel_booking(s, booking_id=booked.id, user_id=person.id)


def deliver(clock=utcnow, **kwargs) -> BatchResult:
    return outbox.deliver_due(settings=get_settings(), clock=clock, **kwargs)


def rows() -> list[OutboxMessage]:
    with session_scope() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    return {part.get_filename(): (part.get_content_type(), part.get_content()) for part in message.iter_attachments()}


def inline_images(message: EmailMessage) -> dict[str, bytes]:
    """The HTML's related images by Content-ID (without the angle brackets)."""
    return {
        part['Content-ID'].strip('<>'): part.get_content()
        for part in message.walk()
        if part.get_content_type() == 'image/png' and part['Content-ID']
    }


def short(moment: dt.datetime) -> str:
    return f'{local(moment):%a %d %b %H:%M} {zone_abbreviation(moment)}'


# --- the confirmation --------------------------------------------------------------------------------------------


def test_booking_queues_one_row_the_deliverer_composes_into_the_confirmation_with_the_tickets(mail):
    show = a_show()
    ann = make_user(name='Ann Rao', email='ann@example.com')
    booked = book(show, ann)
    codes = [t.code for t in booked.tickets]

    (queued,) = rows()  # the booking's transaction wrote this row and rendered nothing
    assert (queued.kind, queued.booking_id, queued.user_id, queued.to_address, queued.status, queued.message) == (
        OutboxKind.BOOKING_CONFIRMED,
        booked.id,
        ann.id,
        'ann@example.com',
        'pending',
        None,
    )
    assert queued.send_before == show.starts_at

    result = deliver()

    assert (result.claimed, result.sent, result.failed) == (1, 1, 0)
    (received,) = mail.received
    message = received.message
    assert received.rcpt_tos == ('ann@example.com',)
    subject = f'Your tickets for Hamlet — {short(show.starts_at)} (ref {booked.reference})'
    assert message['Subject'] == subject == queued.subject
    text = message.get_body(('plain',)).get_content()
    html = message.get_body(('html',)).get_content()
    link = f'https://tickets.example.com/bookings/{booked.id}'
    for words in (
        f'Reference: {booked.reference}',
        'Show:      Hamlet',
        f'When:      {when(show.starts_at)}',
        'Where:     Prithvi Theatre, Juhu, Mumbai',
        'Seats:     3 tickets, general admission',
        'Total:     ₹1,351.50',
        link,
        f'tickets-{booked.reference}.pdf',
    ):
        assert words in text, words
    for words in (booked.reference, '₹1,351.50', '3 tickets, general admission', f'href="{link}"', 'Hello Ann,'):
        assert words in html, words

    images = inline_images(message)
    assert sorted(images) == sorted(f'ticket-{t.id}@ticketshow' for t in booked.tickets)
    assert all(f'src="cid:{cid}"' in html for cid in images)
    assert sorted(code for png in images.values() for code in decoded(png)) == sorted(codes)

    files = attachments(message)
    assert set(files) == {f'tickets-{booked.reference}.pdf', f'show-{booked.reference}.ics'}
    kind, content = files[f'tickets-{booked.reference}.pdf']
    assert kind == 'application/pdf'
    assert pdf_codes(content) == codes
    assert f'Reference {booked.reference}' in pdf_pages(content)[0][1]
    kind, content = files[f'show-{booked.reference}.ics']
    assert kind == 'text/calendar'
    calendar = Calendar.from_ical(content)
    assert calendar['METHOD'] == 'PUBLISH'
    (event,) = calendar.walk('VEVENT')
    assert event.decoded('DTSTART') == show.starts_at
    assert event.decoded('DTEND') == show.starts_at + dt.timedelta(hours=3)
    assert str(event['UID']) == f'booking-{booked.reference}@ticketshow'
    assert str(event['LOCATION']) == 'Prithvi Theatre, Juhu, Mumbai'
    assert booked.reference in str(event['DESCRIPTION'])

    (sent,) = rows()
    assert (sent.status, sent.attempts, sent.message, sent.error) == ('sent', 1, None, None)
    assert deliver().claimed == 0 and len(mail.received) == 1


def test_user_text_is_escaped_and_any_script_s_name_goes_through(mail):
    show = a_show('Ōkami 狼 & "Tom" <Jerry>', theatre='पृथ्वी थिएटर', place='मुंबई')
    zoe = make_user(name='Zoë 李 <b>', email='zoe@example.com')
    booked = book(show, zoe, tickets=1)

    assert deliver().sent == 1

    (received,) = mail.received
    message = received.message
    assert (
        message['Subject']
        == f'Your tickets for Ōkami 狼 & "Tom" <Jerry> — {short(show.starts_at)} (ref {booked.reference})'
    )
    html = message.get_body(('html',)).get_content()
    assert 'Ōkami 狼 &amp; &quot;Tom&quot; &lt;Jerry&gt;' in html and 'Hello Zoë,' in html
    assert '<Jerry>' not in html and '<b>' not in html.replace('<b style', '')
    assert 'Seats:     1 ticket, general admission' in message.get_body(('plain',)).get_content()
    (pdf,) = [content for kind, content in attachments(message).values() if kind == 'application/pdf']
    assert pdf_codes(pdf) == [booked.tickets[0].code]
    assert 'Ōkami ? & "Tom" <Jerry>' in pdf_pages(pdf)[0][1]


def test_a_reserved_booking_s_emails_list_its_seats(mail):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Prithvi Theatre', place='Juhu, Mumbai', capacity=10)
    put_map(manager, theatre, HOUSE)
    show = create_reserved(manager, theatre, prices={'Circle': '150'})
    ids = seat_ids(theatre)
    ann = make_user(name='Ann Rao', email='ann@example.com')
    with session_scope() as s:
        booked = booking_service.book(
            s, show_id=show.id, user_id=ann.id, seats=[ids['Circle A2'], ids['Stalls B4'], ids['Stalls B3']]
        )
    assert deliver().sent == 1
    cancel(booked, ann)
    assert deliver().sent == 1

    confirmation, cancellation = (r.message for r in mail.received)
    text = confirmation.get_body(('plain',)).get_content()
    html = confirmation.get_body(('html',)).get_content()
    assert 'Seats:     Stalls B3, B4; Circle A2' in text
    assert 'Total:     ₹350' in text
    assert 'Stalls B3, B4; Circle A2' in html
    for line in ('Stalls · Row B · Seat 3', 'Stalls · Row B · Seat 4', 'Circle · Row A · Seat 2'):
        assert line in html, line  # each ticket under its QR code
    assert 'general admission' not in text.lower() and 'general admission' not in html.lower()
    (pdf,) = [content for kind, content in attachments(confirmation).values() if kind == 'application/pdf']
    printed = '\n'.join(page for _, page, _ in pdf_pages(pdf))
    assert 'Stalls · Row B · Seat 3' in printed and 'Circle · Row A · Seat 2' in printed

    freed = 'Your seats (Stalls B3, B4; Circle A2) are back on sale.'
    assert freed in cancellation.get_body(('plain',)).get_content()
    assert freed in cancellation.get_body(('html',)).get_content()


def test_a_show_in_india_reads_in_india_s_time_in_every_part_of_its_emails_on_a_utc_machine(
    any_db, smtp_server, monkeypatch
):
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'UTC')  # a newcomer's machine; the theatre says where it is
    monkeypatch.setenv('TICKETSHOW_PUBLIC_URL', 'https://tickets.example.com')
    get_settings.cache_clear()
    show = a_show()  # 14:00 UTC, five days on: 19:30 in Mumbai
    with session_scope() as s:
        s.get_one(Theatre, show.theatre_id).timezone = 'Asia/Kolkata'
    day = show.starts_at.astimezone(ZoneInfo('Asia/Kolkata'))
    assert day.strftime('%H:%M') == '19:30'
    ann = make_user(name='Ann Rao', email='ann@example.com')
    booked = book(show, ann)
    assert deliver().sent == 1
    cancel(booked, ann)
    assert deliver().sent == 1

    confirmation, cancellation = (r.message for r in smtp_server.received)
    assert confirmation['Subject'] == f'Your tickets for Hamlet — {day:%a %d %b} 19:30 IST (ref {booked.reference})'
    assert cancellation['Subject'] == f'Cancelled: Hamlet — {day:%a %d %b} 19:30 IST (ref {booked.reference})'
    long_form = f'{day:%a %d %b %Y}, 19:30 IST'
    assert f'When:      {long_form}' in confirmation.get_body(('plain',)).get_content()
    for message in (confirmation, cancellation):
        assert long_form in message.get_body(('html',)).get_content()
        assert '14:00' not in message.get_body(('plain',)).get_content()
    assert f'on {long_form} at Prithvi Theatre' in cancellation.get_body(('plain',)).get_content()

    files = attachments(confirmation)
    pdf_text = pdf_pages(files[f'tickets-{booked.reference}.pdf'][1])[0][1]
    assert long_form in pdf_text
    ics_text = files[f'show-{booked.reference}.ics'][1]  # text/calendar: read back as text
    assert f'DTSTART:{show.starts_at:%Y%m%d}T140000Z' in ics_text  # the absolute moment, in UTC
    (event,) = Calendar.from_ical(ics_text).walk('VEVENT')
    assert event.decoded('DTSTART') == show.starts_at
    assert str(event['DESCRIPTION']).startswith(f'{long_form}. ')


# --- the cancellation ----------------------------------------------------------------------------------------------


def test_a_cancellation_sends_its_own_email_without_attachments(mail):
    show = a_show()
    ann = make_user(name='Ann Rao', email='ann@example.com')
    booked = book(show, ann, tickets=2)
    deliver()

    cancel(booked, ann)
    result = deliver()

    assert result.sent == 1
    confirmation, cancellation = (r.message for r in mail.received)
    assert confirmation['Subject'].startswith('Your tickets for Hamlet')
    assert cancellation['Subject'] == f'Cancelled: Hamlet — {short(show.starts_at)} (ref {booked.reference})'
    text = cancellation.get_body(('plain',)).get_content()
    assert (
        f'Your booking {booked.reference} for Hamlet on {when(show.starts_at)} at Prithvi Theatre, Juhu, Mumbai '
        'is cancelled; the 2 tickets no longer admit anyone.'
    ) in text
    html = cancellation.get_body(('html',)).get_content()
    assert 'is cancelled; the 2 tickets no longer admit anyone.' in html
    assert 'seats' not in text and 'seats' not in html  # general admission: no seats to name
    assert list(cancellation.iter_attachments()) == [] and inline_images(cancellation) == {}
    assert [(r.kind, r.status) for r in rows()] == [('booking_confirmed', 'sent'), ('booking_cancelled', 'sent')]


def test_a_confirmation_still_unsent_when_its_booking_is_cancelled_is_never_sent(mail):
    ann = make_user(email='ann@example.com')
    booked = book(a_show(), ann, tickets=1)
    cancel(booked, ann)

    result = deliver()

    assert (result.sent, result.expired) == (1, 1)
    (received,) = mail.received
    assert received.message['Subject'].startswith('Cancelled: Hamlet')
    assert 'its ticket no longer admits anyone.' in received.message.get_body(('plain',)).get_content()
    assert [(r.kind, r.status, r.attempts, r.error) for r in rows()] == [
        ('booking_confirmed', 'expired', 0, 'not sent: the booking was cancelled before its confirmation went out'),
        ('booking_cancelled', 'sent', 1, None),
    ]


def test_a_confirmation_still_unsent_when_the_show_starts_expires_unsent(mail):
    manager = make_user(role=Role.MANAGER)
    show = make_show(make_theatre(manager), name='Hamlet', starts_at=utcnow() + dt.timedelta(hours=2))
    book(show, make_user(email='ann@example.com'), tickets=1)
    clock = Clock()
    clock.now = show.starts_at  # the server was down all evening

    result = deliver(clock)

    assert (result.claimed, result.expired, mail.received) == (0, 1, [])
    assert [(r.status, r.attempts) for r in rows()] == [('expired', 0)]


# --- once, also with two deliverers and through an outage ---------------------------------------------------------


def test_two_deliverers_at_once_send_each_booking_email_exactly_once(any_db, mail):
    show = a_show()
    people = [make_user(email=f'person{n}@example.com') for n in range(6)]
    bookings = [book(show, person, tickets=1 + n % 2) for n, person in enumerate(people)]
    for booked, person in list(zip(bookings, people, strict=True))[:2]:
        cancel(booked, person)
    engines = [make_engine(any_db), make_engine(any_db)]  # two instances' connection pools
    factories = [sessionmaker(engine, expire_on_commit=False) for engine in engines]
    try:
        results = race(
            [
                lambda factory=factory, n=n: deliver(limit=2, transaction=factory.begin, worker=f'instance{n}')
                for n, factory in enumerate(factories)
            ]
        )
    finally:
        for engine in engines:
            engine.dispose()

    sent = Counter((r.to, r.message['Subject'].split(' ')[0]) for r in mail.received)
    expected = Counter({(p.email, 'Your'): 1 for p in people[2:]}) + Counter(
        {(p.email, 'Cancelled:'): 1 for p in people[:2]}
    )
    assert sent == expected  # each once; the two cancelled before delivery got no confirmation
    assert sum(r.claimed for r in results) == 8  # no row was claimed by two batches
    assert Counter(r.status for r in rows()) == {OutboxStatus.SENT: 6, OutboxStatus.EXPIRED: 2}


def test_a_server_down_for_a_while_costs_no_try_and_the_email_goes_once_it_is_back(mail):
    ann = make_user(email='ann@example.com')
    booked = book(a_show(), ann, tickets=2)
    clock = Clock()
    mail.stop()

    down = deliver(clock)

    assert (down.claimed, down.sent, down.deferred) == (1, 0, 1)
    (waiting,) = rows()
    assert (waiting.status, waiting.attempts, waiting.message) == ('pending', 0, None)
    clock.now += OUTAGE_RETRY / 2
    assert deliver(clock).claimed == 0  # no knocking on the dead server before the wait is over

    mail.start()
    clock.now += OUTAGE_RETRY
    up = deliver(clock)

    assert up.sent == 1
    (received,) = mail.received
    images = inline_images(received.message)
    assert sorted(c for png in images.values() for c in decoded(png)) == sorted(t.code for t in booked.tickets)
    assert [(r.status, r.attempts) for r in rows()] == [('sent', 1)]
    clock.now += OUTAGE_RETRY
    assert deliver(clock).claimed == 0 and len(mail.received) == 1


# --- what cannot be composed fails at once, with its reason, and holds up nothing -----------------------------------


def test_a_booking_gone_before_its_email_fails_that_email_with_a_reason_and_the_rest_go(mail, caplog):
    ann, bob = make_user(email='ann@example.com'), make_user(email='bob@example.com')
    show = a_show()
    gone = book(show, ann, tickets=1)
    kept = book(show, bob, tickets=1)
    with session_scope() as s:
        s.execute(delete(Ticket).where(Ticket.booking_id == gone.id))
        s.execute(delete(Booking).where(Booking.id == gone.id))  # an erased booking: its row keeps no booking

    result = deliver()

    assert (result.claimed, result.sent, result.failed) == (2, 1, 1)
    assert mail.recipients == ['bob@example.com']
    failed, sent = rows()
    assert (failed.status, failed.booking_id, failed.attempts, failed.message, failed.claimed_by) == (
        'failed',
        None,
        0,
        None,
        None,
    )
    assert failed.error == 'could not be composed: its booking no longer exists'
    assert (sent.status, sent.booking_id) == ('sent', kept.id)
    assert f'email {failed.id} could not be composed' in caplog.text
    assert deliver().claimed == 0  # given up, not retried


def test_an_email_whose_composing_raises_fails_with_the_error_and_the_batch_goes_on(mail, monkeypatch, caplog):
    def broken(session, row, settings):
        raise RuntimeError('the template is missing')

    monkeypatch.setitem(outbox._composers, OutboxKind.BOOKING_CANCELLED, broken)
    ann = make_user(email='ann@example.com')
    booked = book(a_show(), ann, tickets=1)
    deliver()
    cancel(booked, ann)
    with session_scope() as s:
        outbox.enqueue(
            s,
            kind=OutboxKind.PASSWORD_RESET,
            message=compose(sender='x@example.com', to='bob@example.com', subject='Later', text='t', html='<p>h</p>'),
        )

    result = deliver()

    assert (result.sent, result.failed) == (1, 1)
    assert mail.recipients == ['ann@example.com', 'bob@example.com']
    statuses = [(r.kind, r.status, r.error) for r in rows()]
    assert statuses == [
        ('booking_confirmed', 'sent', None),
        ('booking_cancelled', 'failed', 'could not be composed: RuntimeError: the template is missing'),
        ('password_reset', 'sent', None),
    ]
    assert 'RuntimeError: the template is missing' in caplog.text


# --- how it looks on a phone ---------------------------------------------------------------------------------------


def test_the_booking_emails_read_on_a_phone_without_scrolling_sideways(one_db_mail, phone):  # noqa: F811 - fixture
    mail = one_db_mail
    show = a_show('The Winter’s Tale & Other Stories', theatre='Rock & Roll Hall of the Greater Area', place='Pune')
    ann = make_user(name='Ann Rao', email='ann@example.com')
    booked = book(show, ann, tickets=2)
    deliver()
    cancel(booked, ann)
    deliver()
    EMAILS.mkdir(parents=True, exist_ok=True)

    for name, received in zip(('booking-confirmation', 'booking-cancellation'), mail.received, strict=True):
        html = received.message.get_body(('html',)).get_content()
        for cid, png in inline_images(received.message).items():  # what a mail client shows for the inline parts
            file = f'{name}-{re.sub(r"[^a-z0-9-]", "-", cid)}.png'
            (EMAILS / file).write_bytes(png)
            html = html.replace(f'cid:{cid}', file)
        assert 'cid:' not in html
        page = EMAILS / f'{name}.html'
        page.write_text(html, encoding='utf-8')
        phone.get(page.as_uri())
        phone.execute_async_script(
            'const done = arguments[arguments.length - 1];'
            'const images = [...document.images].filter((i) => !i.complete)'
            '  .map((i) => new Promise((r) => { i.onload = i.onerror = r; }));'
            'Promise.all([document.fonts.ready, ...images]).then(() => requestAnimationFrame(() => done()));'
        )
        inner, scroll, broken = phone.execute_script(
            'return [window.innerWidth, document.documentElement.scrollWidth,'
            ' [...document.images].filter((i) => !i.naturalWidth).length]'
        )
        assert inner == PHONE[0] and broken == 0
        assert scroll <= PHONE[0], f'{name} is {scroll} px wide on a {PHONE[0]} px phone'
        height = phone.execute_script('return document.documentElement.scrollHeight')
        phone.execute_cdp_cmd(
            'Emulation.setDeviceMetricsOverride',
            {'width': PHONE[0], 'height': height, 'deviceScaleFactor': 1, 'mobile': True},
        )
        phone.save_screenshot(str(EMAILS / f'{name}.png'))
        phone.execute_cdp_cmd(
            'Emulation.setDeviceMetricsOverride',
            {'width': PHONE[0], 'height': PHONE[1], 'deviceScaleFactor': 1, 'mobile': True},
        )
