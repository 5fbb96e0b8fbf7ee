"""The ticket page /bookings/{id}: the owner's (and an admin's) tickets with QR codes that decode to the tickets'
codes, checked-in and cancelled tickets marked, the PDF, and nothing at all for anyone else."""

from __future__ import annotations

import base64
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pypdfium2 as pdfium
import zxingcpp
from nicegui.testing import User
from PIL import Image
from sqlalchemy import select

from models import Booking, Role, Show, Ticket
from models.db import session_scope, utcnow
from services import booking as booking_service
from services import checkin
from services.formats import local, when, zone_abbreviation
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services.test_seating import HOUSE, create_reserved, put_map, seat_ids
from tests.ui.helpers import elements, eventually, landed_on, open_as, open_not_found, texts
from ui.ticket_page import booking_id_of, checked_in_text, spaced


def seed() -> tuple[Show, Booking]:
    meera = make_user(username='meera', role=Role.MANAGER, name='Meera Nair')
    theatre = make_theatre(meera, name='Prithvi', place='Mumbai')
    show = make_show(theatre, name='Hamlet', price_cents=25050)
    asha = make_user(username='asha', name='Asha Rao')
    return show, make_booking(asha, show, tickets=3)


def codes_of(booking: Booking) -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(Ticket.code).where(Ticket.booking_id == booking.id).order_by(Ticket.id)))


def decoded(data_uri: str) -> str:
    """What a QR code shown on the page says, read back by a real decoder."""
    assert data_uri.startswith('data:image/png;base64,')
    image = Image.open(io.BytesIO(base64.b64decode(data_uri.split(',', 1)[1])))
    (found,) = zxingcpp.read_barcodes(image)
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    return str(found.text)


async def test_the_owner_sees_every_ticket_with_a_code_that_scans(user: User) -> None:
    show, booking = seed()
    await open_as(user, 'asha', f'/bookings/{booking.id}')
    await user.should_see(marker='ticket-header')
    assert texts(user, 'ticket-show') == ['Hamlet']
    assert texts(user, 'ticket-when') == [when(show.starts_at)]
    assert texts(user, 'ticket-place') == ['Prithvi · Mumbai']
    assert texts(user, 'ticket-holder') == ['Asha Rao']
    assert texts(user, 'ticket-reference') == [spaced(booking.reference)]
    assert texts(user, 'ticket-total') == ['₹751.50']
    assert texts(user, 'ticket-number') == ['Ticket 1 of 3', 'Ticket 2 of 3', 'Ticket 3 of 3']
    assert texts(user, 'ticket-seat') == ['General admission'] * 3
    assert texts(user, 'ticket-seats') == []  # no seats line in the header for general admission
    assert texts(user, 'ticket-status') == ['Valid: lets one person in, once'] * 3
    codes = codes_of(booking)
    assert texts(user, 'ticket-code') == codes
    images = elements(user, marker='ticket-qr')
    assert [decoded(image.props['src']) for image in images] == codes
    assert not elements(user, marker='cancelled-banner')
    await user.should_see('Download PDF')
    await user.should_see('Print')


async def test_a_reserved_booking_s_tickets_name_their_seats(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER, name='Meera Nair')
    theatre = make_theatre(meera, name='Prithvi', place='Mumbai', capacity=10)
    put_map(meera, theatre, HOUSE)
    show = create_reserved(meera, theatre, prices={'Circle': '150'})
    ids = seat_ids(theatre)
    asha = make_user(username='asha', name='Asha Rao')
    with session_scope() as session:
        booked = booking_service.book(
            session, show_id=show.id, user_id=asha.id, seats=[ids['Circle A2'], ids['Stalls B4'], ids['Stalls B3']]
        )
    await open_as(user, 'asha', f'/bookings/{booked.id}')
    await user.should_see(marker='ticket-header')
    assert texts(user, 'ticket-seats') == ['Stalls B3, B4; Circle A2']
    assert texts(user, 'ticket-seat') == [  # in the order of the map, whatever order they were asked for in
        'Stalls · Row B · Seat 3',
        'Stalls · Row B · Seat 4',
        'Circle · Row A · Seat 2',
    ]
    assert texts(user, 'ticket-total') == ['₹350']
    await user.should_not_see('General admission')


async def test_my_bookings_leads_to_the_tickets(user: User) -> None:
    _, booking = seed()
    await open_as(user, 'asha', '/bookings')
    with user.scope(marker=f'booking-{booking.id}'):
        user.find(marker='open-tickets').click()
    await landed_on(user, f'/bookings/{booking.id}')
    await user.should_see(marker='ticket-reference')


async def test_a_checked_in_ticket_says_when(user: User) -> None:
    show, booking = seed()
    first = codes_of(booking)[0]
    with session_scope() as session:
        manager_id = session.get_one(Show, show.id).theatre.owner_id
        admitted = checkin.check_in(session, actor_id=manager_id, show_id=show.id, code=first)
    at = admitted.ticket.checked_in_at
    assert at is not None
    await open_as(user, 'asha', f'/bookings/{booking.id}')
    await user.should_see(marker='ticket-status')
    assert texts(user, 'ticket-status') == [
        f'Checked in {local(at):%H:%M} IST',  # the theatre's zone (here the app's), with its letters
        'Valid: lets one person in, once',
        'Valid: lets one person in, once',
    ]


async def test_a_cancelled_booking_is_marked_and_its_codes_are_struck(user: User) -> None:
    _, booking = seed()
    with session_scope() as session:
        booking_service.cancel_booking(session, booking_id=booking.id, user_id=booking.user_id)
    await open_as(user, 'asha', f'/bookings/{booking.id}')
    await user.should_see(marker='cancelled-banner')
    await user.should_see('CANCELLED — these tickets no longer let anyone in.')
    assert texts(user, 'ticket-status') == ['Cancelled'] * 3
    cards = elements(user, marker='ticket-card')
    assert len(cards) == 3 and all('ticket-void' in card.classes for card in cards)


async def test_another_persons_booking_is_not_found(user: User) -> None:
    _, booking = seed()
    make_user(username='ravi', name='Ravi Kumar')
    await open_as(user, 'ravi', '/bookings')
    await open_not_found(user, f'/bookings/{booking.id}')
    await user.should_see('No such booking')
    await user.should_not_see(marker='ticket-header')
    await user.should_not_see(booking.reference)
    await user.should_not_see(spaced(booking.reference))
    assert not elements(user, marker='ticket-qr')
    await user.should_not_see('Asha Rao')


async def test_the_theatres_manager_sees_no_ticket_either(user: User) -> None:
    _, booking = seed()
    await open_as(user, 'meera', '/bookings')
    await open_not_found(user, f'/bookings/{booking.id}')
    await user.should_see('No such booking')
    assert not elements(user, marker='ticket-qr')


async def test_an_admin_sees_anyones_tickets(user: User) -> None:
    _, booking = seed()
    make_user(username='root', role=Role.ADMIN)
    await open_as(user, 'root', f'/bookings/{booking.id}')
    await user.should_see(marker='ticket-header')
    assert len(elements(user, marker='ticket-qr')) == 3


async def test_an_id_that_is_no_booking_is_not_found(user: User) -> None:
    seed()
    await open_as(user, 'asha', '/bookings')
    for path in ('/bookings/999999', '/bookings/abc', '/bookings/0', '/bookings/99999999999999999999'):
        await open_not_found(user, path)
        await user.should_see('No such booking')
        assert not elements(user, marker='ticket-header')


def pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    try:
        return '\n'.join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


async def test_the_pdf_downloads_with_the_latest_state(user: User) -> None:
    show, booking = seed()
    await open_as(user, 'asha', f'/bookings/{booking.id}')
    await user.should_see(marker='download-pdf')
    with session_scope() as session:  # after the page was drawn: the PDF is made from the booking as it is now
        manager_id = session.get_one(Show, show.id).theatre.owner_id
        checkin.check_in(session, actor_id=manager_id, show_id=show.id, code=codes_of(booking)[1])
    user.find(marker='download-pdf').click()
    response = await user.download.next(timeout=10)
    assert response.content.startswith(b'%PDF')
    text = pdf_text(response.content)
    assert booking.reference in text
    assert 'Hamlet' in text
    assert text.count('Checked in') == 1
    (button,) = elements(user, marker='download-pdf')
    await eventually(lambda: 'loading' not in button.props)


def test_an_id_in_the_path_is_a_plain_number_or_none() -> None:
    assert booking_id_of('42') == 42
    assert booking_id_of('0042') == 42
    assert booking_id_of('') is None
    assert booking_id_of('4x') is None
    assert booking_id_of('-1') is None
    assert booking_id_of('٤٢') is None  # digits of another script are not an id
    assert booking_id_of('9' * 13) is None


def test_a_reference_reads_in_groups() -> None:
    assert spaced('K7QD3MXPQR') == 'K7Q D3M XPQR'
    assert spaced('ABCDEF') == 'ABC DEF'
    assert spaced('AB') == 'AB'


def test_a_check_in_on_another_day_gives_the_date() -> None:
    now = utcnow()
    assert checked_in_text(now, now) == f'Checked in {local(now):%H:%M} {zone_abbreviation(now)}'
    earlier = now.replace(year=now.year - 1)
    assert checked_in_text(earlier, now) == f'Checked in {when(earlier)}'


def test_a_check_in_reads_in_the_theatre_s_time_zone_and_day() -> None:
    india = ZoneInfo('Asia/Kolkata')
    admitted = dt.datetime(2026, 12, 12, 14, 0, tzinfo=dt.UTC)  # 19:30 in India
    assert checked_in_text(admitted, admitted + dt.timedelta(hours=1), tz=india) == 'Checked in 19:30 IST'
    # 00:30 the next day in India (still the 12th in UTC): another day at the theatre, so the date
    after_midnight = admitted + dt.timedelta(hours=5)
    assert checked_in_text(admitted, after_midnight, tz=india) == 'Checked in Sat 12 Dec 2026, 19:30 IST'
