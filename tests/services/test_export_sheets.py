"""How the Excel exports read in a spreadsheet: human headers in bold, money in the app's currency, times as
date-times, counts with separators, the header row frozen with filters, and columns as wide as what they hold.

The files are read back with openpyxl (what a spreadsheet sees: cell types, number formats, widths); their content
against the database is tested in test_exports.py.
"""

import datetime as dt
import unicodedata
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from services.config import get_settings
from services.exports.writers import MAX_TEXT_WIDTH
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services.test_exports import HINDI, TOKYO, add_job, build, exporter, starting  # noqa: F401 - fixture

MONEY = '"₹"#,##0.00'
TIME = 'yyyy-mm-dd hh:mm'
COUNT = '#,##0'
LONG_WORD = 'Supercalifragilistic' * 5  # 100 characters, no space
AT = dt.datetime(2026, 12, 1, 14, 30, tzinfo=dt.UTC)


def workbook(exporter, owner, *, kind: str = 'theatre', target_id: int | None = None) -> openpyxl.Workbook:  # noqa: F811
    job = add_job(owner, kind=kind, target_id=target_id, fmt='xlsx')
    assert exporter.run(job) == 'done'
    return openpyxl.load_workbook(Path(exporter.folder) / f'{job}.xlsx')


def header(sheet: Worksheet) -> list[str]:
    return [cell.value for cell in sheet[1]]


def column(sheet: Worksheet, label: str) -> list[openpyxl.cell.Cell]:
    """The cells under the header `label`, header excluded."""
    index = header(sheet).index(label) + 1
    return [row[0] for row in sheet.iter_rows(min_row=2, min_col=index, max_col=index)]


def shown_width(cell: openpyxl.cell.Cell) -> int:
    """The characters a spreadsheet shows for the cell in its number format (a CJK character counts two)."""
    value, number_format = cell.value, cell.number_format
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return len(value.strftime('%Y-%m-%d %H:%M'))
    if number_format == MONEY:
        return len(f'₹{value:,.2f}')
    if number_format == COUNT:
        return len(f'{value:,}')
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(char) in 'WF' else 1 for char in text)


def assert_columns_fit(sheet: Worksheet) -> None:
    """Every column at least as wide as its widest value and its header (plus the filter button); long text is
    capped instead."""
    for cells in sheet.iter_cols(min_row=1):
        letter = cells[0].column_letter
        width = sheet.column_dimensions[letter].width
        widest = max(shown_width(cell) for cell in cells)
        assert width >= min(widest + 2, MAX_TEXT_WIDTH), (sheet.title, cells[0].value, width, widest)
        assert width < MAX_TEXT_WIDTH + 1, (sheet.title, cells[0].value, width)


@pytest.fixture
def rupees(monkeypatch):
    monkeypatch.setenv('TICKETSHOW_CURRENCY', '₹')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_theatre_export_has_human_headers_typed_cells_and_frozen_filtered_headers(exporter, rupees):  # noqa: F811
    stage = build()
    book = workbook(exporter, stage.manager, target_id=stage.theatre.id)
    assert book.sheetnames == ['Theatre', 'Shows']

    record = book['Theatre']
    assert header(record) == ['Theatre ID', 'Theatre', 'Place', 'Capacity']
    assert all(cell.font.b for cell in record[1])
    assert [cell.number_format for cell in record[2]][3] == COUNT

    shows = book['Shows']
    assert header(shows) == [
        'Show ID',
        'Show',
        'Starts at',
        'Time zone',
        'Status',
        'Ticket price (₹)',
        'Tickets offered',
        'Tickets sold',
        'Tickets left',
        'Revenue (₹)',
        'Rating',
        'Tags',
    ]
    assert all(cell.font.b for cell in shows[1])
    assert not any(cell.font.b for cell in shows[2])
    assert shows.freeze_panes == 'A2'
    assert shows.auto_filter.ref == 'A1:L4'  # the header and the three shows
    assert [c.value for c in column(shows, 'Show')] == ['Hamlet', HINDI, TOKYO]

    starts = column(shows, 'Starts at')
    assert [c.value for c in starts] == [dt.datetime(2026, 12, day, 14, 30) for day in (1, 2, 3)]  # real datetimes
    assert {(c.data_type, c.number_format) for c in starts} == {('d', TIME)}
    prices = column(shows, 'Ticket price (₹)')
    assert [(c.value, c.number_format) for c in prices] == [(300, MONEY), (250.5, MONEY), (0, MONEY)]
    assert {c.number_format for c in column(shows, 'Revenue (₹)')} == {MONEY}
    assert {c.number_format for c in column(shows, 'Tickets sold')} == {COUNT}
    assert {c.number_format for c in column(shows, 'Rating')} == {'0.0'}
    assert_columns_fit(record)
    assert_columns_fit(shows)


def test_columns_fit_big_money_and_long_names_without_hashes(exporter, rupees):  # noqa: F811
    manager = make_user(role='manager')
    theatre = make_theatre(manager, name='Big Hall', place='Mumbai', capacity=100_000)
    big = make_show(theatre, name=LONG_WORD, price_cents=99_999_999, num_tickets=100_000)
    starting(big, AT)
    buyer = make_user()
    for _ in range(5):  # a booking's total fits in 32 bits; the show's revenue, their sum, need not
        make_booking(buyer, big, tickets=20, created_at=AT - dt.timedelta(days=3))
    starting(make_show(theatre, name='梁祝 – 越剧《梁山伯与祝英台》', price_cents=50), AT + dt.timedelta(days=1))
    shows = workbook(exporter, manager, target_id=theatre.id)['Shows']

    revenue = column(shows, 'Revenue (₹)')[0]
    assert (revenue.value, revenue.number_format) == (99_999_999, MONEY)
    assert shows.column_dimensions['I'].width >= len('₹99,999,999.00') + 2
    assert MAX_TEXT_WIDTH <= shows.column_dimensions['B'].width < MAX_TEXT_WIDTH + 1  # the 100-character name: capped
    assert_columns_fit(shows)


def test_a_show_export_has_its_bookings_with_their_times_and_prices(exporter, rupees):  # noqa: F811
    stage = build()
    book = workbook(exporter, stage.manager, kind='show', target_id=stage.hamlet.id)
    bookings = book['Bookings']
    assert header(bookings) == [
        'Booking ID',
        'Reference',
        'Customer',
        'Username',
        'Tickets',
        'Seats',
        'Price per ticket (₹)',
        'Total (₹)',
        'Booked at',
        'Status',
        'Checked in',
    ]
    assert bookings.freeze_panes == 'A2' and bookings.auto_filter.ref == 'A1:K4'
    booked = column(bookings, 'Booked at')
    assert all(isinstance(c.value, dt.datetime) and c.number_format == TIME for c in booked)
    assert {c.number_format for c in column(bookings, 'Total (₹)')} == {MONEY}
    assert [c.value for c in column(bookings, 'Customer')] == ['Anand Rao', 'Zoë "Z", Müller', '東京 太郎']
    assert book['Show'].freeze_panes == 'A2' and not book['Show'].auto_filter.ref  # one record: nothing to filter
    assert_columns_fit(bookings)
    assert_columns_fit(book['Show'])


def test_an_empty_export_still_has_its_headers_frozen_and_filtered(exporter, rupees):  # noqa: F811
    book = workbook(exporter, make_user(), kind='bookings')
    sheet = book['Bookings']
    assert header(sheet)[:7] == ['Booking ID', 'Reference', 'Show', 'Theatre', 'Place', 'Starts at', 'Time zone']
    assert sheet.max_row == 1 and sheet.freeze_panes == 'A2' and sheet.auto_filter.ref == 'A1:M1'
    assert_columns_fit(sheet)


def test_money_is_in_the_app_s_currency(exporter, monkeypatch):  # noqa: F811
    monkeypatch.setenv('TICKETSHOW_CURRENCY', '€')
    get_settings.cache_clear()
    try:
        stage = build()
        shows = workbook(exporter, stage.manager, target_id=stage.theatre.id)['Shows']
    finally:
        get_settings.cache_clear()
    assert 'Revenue (€)' in header(shows) and 'Revenue (₹)' not in header(shows)
    assert {c.number_format for c in column(shows, 'Revenue (€)')} == {'"€"#,##0.00'}
