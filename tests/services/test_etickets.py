"""E-tickets: QR codes that decode back to the ticket's code, the ticket document for its owner and admins only, the
A4 PDF whose every code decodes from the rendered page at a printable size (and says CANCELLED on every ticket of a
cancelled booking), names no core font can print, and the .ics event. The PDF's first page is saved as
test-artifacts/tickets-pdf-page1.png."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import io

import pypdfium2 as pdfium
import pytest
import zxingcpp
from icalendar import Calendar
from PIL import Image

from models import BookingStatus, Role
from models.db import session_scope, utcnow
from services import booking as booking_service
from services.errors import NotFound
from services.etickets import TicketDocument, TicketLine, ics, pdf, qr, ticket_document
from services.etickets.document import SeatPlace, seat_line, seat_list
from tests.artifacts import ARTIFACTS
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services.test_seating import HOUSE, create_reserved, put_map, seat_ids

RENDER_SCALE = 3  # pixels per PDF point: 216 dpi, a phone camera's view of a printed page
MM_PER_POINT = 25.4 / 72


# --- reading PDFs back (also used by the email and API tests) ------------------------------------------------


def pdf_pages(content: bytes) -> list[tuple[Image.Image, str, tuple[float, float]]]:
    """Each page of a PDF rendered as an image, with its text and its size in points."""
    document = pdfium.PdfDocument(content)
    pages = []
    try:
        for page in document:
            textpage = page.get_textpage()
            pages.append((page.render(scale=RENDER_SCALE).to_pil(), textpage.get_text_bounded(), page.get_size()))
            textpage.close()
            page.close()
    finally:
        document.close()
    return pages


def pdf_codes(content: bytes) -> list[str]:
    """Every QR code on every page of a PDF, decoded from the rendered pages, in page order."""
    return [code.text for image, _, _ in pdf_pages(content) for code in zxingcpp.read_barcodes(image)]


def decoded(png: bytes) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


# --- documents without a database ----------------------------------------------------------------------------

STARTS = dt.datetime(2026, 12, 12, 14, 0, tzinfo=dt.UTC)  # 19:30 in Asia/Kolkata


def document(
    *,
    tickets: int = 3,
    status: BookingStatus = BookingStatus.CONFIRMED,
    show_name: str = 'Hamlet',
    holder: str = 'Ann Rao',
    places: list[SeatPlace] | None = None,
) -> TicketDocument:
    ticket_status = 'cancelled' if status == BookingStatus.CANCELLED else 'valid'
    lines = tuple(
        TicketLine(
            id=100 + n,
            code=f'tk{n}-{"x" * 18}{n:02d}',
            place=None if places is None else places[n],
            price_cents=30050,
            status=ticket_status,  # type: ignore[arg-type]
            checked_in_at=None,
        )
        for n in range(tickets)
    )
    return TicketDocument(
        booking_id=7,
        reference='7K3M9QX2AB',
        status=status,
        show_id=3,
        show_name=show_name,
        starts_at=STARTS,
        theatre_name='Rock & Roll Hall',
        place='Pune',
        holder_name=holder,
        total_cents=30050 * tickets,
        tickets=lines,
    )


@pytest.fixture
def india(monkeypatch):
    from services.config import get_settings

    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# --- QR codes --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize('code', ['abc', 'Zq0-_' * 5 + 'x', 'A' * 22])
def test_a_qr_code_decodes_to_its_code_with_error_correction_m_or_better(code):
    png = qr.png(code)

    assert png.startswith(b'\x89PNG\r\n\x1a\n')
    (read,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert (read.text, read.format) == (code, zxingcpp.BarcodeFormat.QRCode)
    assert read.ec_level in {'M', 'Q', 'H'}


def test_a_qr_code_is_dark_on_white_with_a_quiet_zone_and_scales():
    small, large = Image.open(io.BytesIO(qr.png('abc', scale=2))), Image.open(io.BytesIO(qr.png('abc', scale=10)))

    assert large.width == large.height == small.width * 5
    grey = large.convert('L')
    assert grey.getpixel((0, 0)) == 255 and grey.getpixel((4 * 10, 4 * 10)) == 0  # border white, finder black
    assert sorted(value for _, value in grey.getcolors()) == [0, 255]


def test_a_data_uri_carries_the_same_png():
    uri = qr.data_uri('abc', scale=4)

    assert uri.startswith('data:image/png;base64,')
    assert decoded(base64.b64decode(uri.removeprefix('data:image/png;base64,'))) == ['abc']
    assert base64.b64decode(uri.split(',', 1)[1]) == qr.png('abc', scale=4)


# --- the PDF ---------------------------------------------------------------------------------------------------


def test_the_pdf_is_a4_with_every_ticket_s_code_readable_at_a_printable_size(india):
    doc = document(tickets=4)

    pages = pdf_pages(pdf.render(doc))

    assert len(pages) == 2  # three tickets to a page
    assert all(abs(w - 595.28) < 1 and abs(h - 841.89) < 1 for _, _, (w, h) in pages)
    codes = []
    for image, _, _ in pages:
        for read in zxingcpp.read_barcodes(image):
            codes.append(read.text)
            width_mm = (read.position.top_right.x - read.position.top_left.x) / RENDER_SCALE * MM_PER_POINT
            assert width_mm >= 35, f'a {width_mm:.0f} mm code is too small to scan from paper'
    assert codes == [t.code for t in doc.tickets]
    text = '\n'.join(t for _, t, _ in pages)
    for words in (
        'Hamlet',
        'Sat 12 Dec 2026, 19:30',
        'Rock & Roll Hall, Pune',
        'General admission',
        'Reference 7K3M9QX2AB',
        '₹300.50 · Ann Rao',
        'TICKET 1 OF 4',
        'TICKET 4 OF 4',
        'Ann Rao · 4 tickets · ₹1,202',
    ):
        assert words in text, words
    assert 'CANCELLED' not in text


def test_every_ticket_of_a_cancelled_booking_says_cancelled(india):
    pages = pdf_pages(pdf.render(document(tickets=4, status=BookingStatus.CANCELLED)))

    text = '\n'.join(t for _, t, _ in pages)
    assert text.count('CANCELLED — admits no one') == 4
    assert 'Ann Rao · 4 tickets · ₹1,202 · CANCELLED' in text
    assert 'TICKET 1 OF 4' not in text and 'Ticket 1 of 4' in text


def test_a_checked_in_ticket_says_when(india):
    doc = document(tickets=2)
    at = STARTS - dt.timedelta(minutes=28)
    admitted = TicketLine(**{**doc.tickets[0].__dict__, 'status': 'checked_in', 'checked_in_at': at})
    doc = TicketDocument(**{**doc.__dict__, 'tickets': (admitted, doc.tickets[1])})

    text = '\n'.join(t for _, t, _ in pdf_pages(pdf.render(doc)))

    assert 'Checked in Sat 12 Dec 2026, 19:02' in text
    assert text.count('Show this code at the door') == 1


def test_names_no_core_font_can_print_neither_break_the_pdf_nor_lose_the_codes(india):
    doc = document(tickets=2, show_name='Ōkami 狼 — Ωμέγα «Гамлет»', holder='Zoë 李小龍')

    content = pdf.render(doc)

    text = '\n'.join(t for _, t, _ in pdf_pages(content))
    assert 'Ōkami ? — Ωμέγα «Гамлет»' in text  # what DejaVu Sans has is printed; the rest is a visible '?'
    assert 'Zoë ???' in text
    assert pdf_codes(content) == [t.code for t in doc.tickets]


def test_a_long_show_name_is_shrunk_or_cut_to_its_block(india):
    name = 'The Extraordinarily Long and Winding Musical Adventure of Tom & Jerry in Three Acts and an Epilogue'

    text = '\n'.join(t for _, t, _ in pdf_pages(pdf.render(document(tickets=1, show_name=name))))

    assert 'The Extraordinarily Long' in text and '…' in text
    assert 'Reference 7K3M9QX2AB' in text


def test_a_reserved_ticket_prints_its_section_row_and_seat(india):
    places = [SeatPlace('Stalls', 'C', '7'), SeatPlace('Stalls', 'C', '8'), SeatPlace('Dress Circle', '10', '5')]
    doc = document(tickets=3, places=places)

    text = '\n'.join(t for _, t, _ in pdf_pages(pdf.render(doc)))

    assert 'Stalls · Row C · Seat 7' in text and 'Stalls · Row C · Seat 8' in text
    assert 'Dress Circle · Row 10 · Seat 5' in text
    assert 'General admission' not in text and 'Seat Stalls' not in text
    assert doc.seats == 'Stalls C7, C8; Dress Circle row 10, seat 5'


def test_a_list_of_seats_reads_by_section_and_row():
    def places(*names: tuple[str, str, str]) -> list[SeatPlace]:
        return [SeatPlace(*name) for name in names]

    assert seat_list([]) == ''
    assert seat_list(places(('Stalls', 'C', '7'))) == 'Stalls C7'
    assert seat_list(places(('Stalls', 'A', '1'), ('Stalls', 'A', '2'))) == 'Stalls A1, A2'
    assert seat_list(places(('Stalls', 'A', '1'), ('Stalls', 'B', '1'), ('Circle', 'A', '3'))) == (
        'Stalls A1, B1; Circle A3'
    )
    # a row and seat that would run together ('105') are spelt out, as the seat's own name does
    assert seat_list(places(('Stalls', '10', '5'))) == 'Stalls row 10, seat 5'
    assert seat_list(places(('Stalls', '10', '5'), ('Stalls', '10', '6'), ('Stalls', '11', '1'))) == (
        'Stalls row 10, seats 5, 6; row 11, seat 1'
    )
    assert seat_list(places(('Box', 'A', 'L'))) == 'Box row A, seat L'
    # the order given is kept; a section's seats come together
    assert seat_list(places(('Stalls', 'B', '2'), ('Circle', 'A', '1'), ('Stalls', 'A', '9'))) == (
        'Stalls B2, A9; Circle A1'
    )
    assert seat_line(SeatPlace('Stalls', 'C', '7')) == 'Stalls · Row C · Seat 7'
    assert seat_line(None) == 'General admission'
    assert SeatPlace('Stalls', 'C', '7').name == 'Stalls C7'


# --- the .ics --------------------------------------------------------------------------------------------------


def test_the_calendar_event_has_the_show_s_time_place_and_reference():
    now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)

    calendar = Calendar.from_ical(ics.event(document(tickets=2, show_name='Tom, Jerry; & co'), now=now))

    assert calendar['METHOD'] == 'PUBLISH' and calendar['VERSION'] == '2.0'
    (event,) = calendar.walk('VEVENT')
    assert event.decoded('DTSTART') == STARTS
    assert event.decoded('DTEND') == STARTS + dt.timedelta(hours=3)
    assert event.decoded('DTSTAMP') == now
    assert str(event['UID']) == 'booking-7K3M9QX2AB@ticketshow'
    assert str(event['SUMMARY']) == 'Tom, Jerry; & co'
    assert str(event['LOCATION']) == 'Rock & Roll Hall, Pune'
    assert '7K3M9QX2AB' in str(event['DESCRIPTION']) and '2 tickets' in str(event['DESCRIPTION'])
    assert str(event['STATUS']) == 'CONFIRMED'


def test_the_calendar_event_lasts_as_long_as_the_show_and_names_the_theatre_s_address():
    doc = dataclasses.replace(document(), duration_minutes=150, address='12 FC Road')

    (event,) = Calendar.from_ical(ics.event(doc)).walk('VEVENT')

    assert event.decoded('DTEND') - event.decoded('DTSTART') == dt.timedelta(minutes=150)
    assert str(event['LOCATION']) == 'Rock & Roll Hall, 12 FC Road, Pune'


def test_a_cancelled_booking_s_event_is_cancelled():
    (event,) = Calendar.from_ical(ics.event(document(status=BookingStatus.CANCELLED))).walk('VEVENT')
    assert str(event['STATUS']) == 'CANCELLED'


# --- from the database -------------------------------------------------------------------------------------------


def test_the_ticket_document_is_for_the_booking_s_owner_and_admins_only(any_db):
    manager = make_user(role=Role.MANAGER)
    show = make_show(make_theatre(manager, name='Globe', place='Pune'), name='Hamlet', price_cents=30000)
    ann = make_user(name='Ann Rao')
    other = make_user()
    admin = make_user(role=Role.ADMIN)
    with session_scope() as s:
        booked = booking_service.book(s, show_id=show.id, user_id=ann.id, tickets=2)

    with session_scope() as s:
        mine = ticket_document(s, booking_id=booked.id, actor_id=ann.id)
    with session_scope() as s:
        assert ticket_document(s, booking_id=booked.id, actor_id=admin.id) == mine

    assert (mine.reference, mine.status, mine.show_name, mine.theatre_name, mine.place) == (
        booked.reference,
        'confirmed',
        'Hamlet',
        'Globe',
        'Pune',
    )
    assert (mine.holder_name, mine.total_cents, mine.starts_at, mine.show_id) == (
        'Ann Rao',
        60000,
        show.starts_at,
        show.id,
    )
    assert [(t.code, t.seat, t.price_cents, t.status) for t in mine.tickets] == [
        (t.code, None, 30000, 'valid') for t in booked.tickets
    ]
    for actor, booking_id in ((other.id, booked.id), (manager.id, booked.id), (ann.id, booked.id + 1), (ann.id, None)):
        with pytest.raises(NotFound, match=r'^No such booking\.$'), session_scope() as s:
            ticket_document(s, booking_id=booking_id, actor_id=actor)


def test_the_first_page_of_a_real_booking_s_pdf_is_saved_for_people_to_look_at(database, india):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Prithvi Theatre', place='Juhu, Mumbai')
    show = make_show(
        theatre,
        name='Hamlet',
        starts_at=(utcnow() + dt.timedelta(days=9)).replace(hour=14, minute=0, second=0, microsecond=0),
        price_cents=45000,
    )
    ann = make_user(name='Ann Rao')
    booked = make_booking(ann, show, tickets=3)
    with session_scope() as s:
        doc = ticket_document(s, booking_id=booked.id, actor_id=ann.id)

    content = pdf.render(doc)

    image, text, _ = pdf_pages(content)[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / 'tickets-pdf-page1.png')
    assert [read.text for read in zxingcpp.read_barcodes(image)] == [t.code for t in doc.tickets]
    assert f'Reference {booked.reference}' in text and 'Prithvi Theatre, Juhu, Mumbai' in text


def test_a_reserved_booking_s_document_names_each_ticket_s_seat(any_db, india):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Globe', place='Pune', capacity=10)
    put_map(manager, theatre, HOUSE)
    show = create_reserved(manager, theatre, prices={'Circle': '150'})
    ids = seat_ids(theatre)
    ann = make_user(name='Ann Rao')
    with session_scope() as s:
        booked = booking_service.book(
            s, show_id=show.id, user_id=ann.id, seats=[ids['Stalls B3'], ids['Stalls B4'], ids['Circle A2']]
        )

    with session_scope() as s:
        doc = ticket_document(s, booking_id=booked.id, actor_id=ann.id)

    assert [(t.seat, t.seat_line, t.price_cents) for t in doc.tickets] == [
        ('Stalls B3', 'Stalls · Row B · Seat 3', 10000),
        ('Stalls B4', 'Stalls · Row B · Seat 4', 10000),
        ('Circle A2', 'Circle · Row A · Seat 2', 15000),
    ]
    assert doc.seats == 'Stalls B3, B4; Circle A2'
    text = '\n'.join(t for _, t, _ in pdf_pages(pdf.render(doc)))
    for line in ('Stalls · Row B · Seat 3', 'Stalls · Row B · Seat 4', 'Circle · Row A · Seat 2', '₹150 · Ann Rao'):
        assert line in text, line
    assert 'General admission' not in text
    (event,) = Calendar.from_ical(ics.event(doc)).walk('VEVENT')
    assert '(seats Stalls B3, B4; Circle A2)' in str(event['description'])

    with session_scope() as s:  # a general-admission booking's document has no seats
        ga = booking_service.book(s, show_id=make_show(theatre).id, user_id=ann.id, tickets=1)
        assert ticket_document(s, booking_id=ga.id, actor_id=ann.id).seats is None
