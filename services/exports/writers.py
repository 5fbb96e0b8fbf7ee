"""Writing a `Table` to a file: CSV (one flat table) or Excel (a header sheet and a rows sheet).

Rows are written a chunk at a time as the query streams them; text cells a spreadsheet would run as a formula are
neutralised in both formats.

CSV (through pandas) keeps the columns' machine names and plain values: scripts read it. Excel is for people, written
with XlsxWriter directly (a third less CPU than through pandas' `to_excel`, which styles cell by cell): the columns'
labels in bold, money in the app's currency, times as real Excel date-times, counts with thousands separators, the
header row frozen with filters on it, and every column as wide as its widest value (long text capped), so nothing
shows as '####'. XlsxWriter's own `autofit` is not used: it sizes numbers by their raw digits and dates as
mm/dd/yyyy, narrower than the currency and date-time formats shown here, and walks every cell again at the end;
the widths are measured per chunk instead, on the values as they are written.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from services.config import get_settings
from services.exports import tables  # by module: CHUNK_ROWS is the one chunk size, read where it is set
from services.exports.tables import Column

FORMULA_PREFIXES = ('=', '+', '-', '@', '\t', '\r')
TIME_FORMAT = 'yyyy-mm-dd hh:mm'
MAX_TEXT_WIDTH = 60  # characters: a longer name is cut at the column's edge rather than make the sheet sprawl
# Excel widths count the digit '0' of the default font: letters run a little wider on average, bold headers too,
# and a header's filter button takes about two more.
TEXT_SLACK = 1.1
PADDING = 2
FILTER_BUTTON = 2


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula is made plain text with a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _frame(columns: list[str], chunk: Sequence[Sequence[Any]], *, iso_times: bool) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [tuple(_cell(value, iso_times=iso_times) for value in row) for row in chunk], columns=columns
    )


def _cell(value: Any, *, iso_times: bool) -> Any:
    if isinstance(value, dt.datetime):
        # CSV keeps the offset (unambiguous); Excel has no time zones: local wall-clock time.
        return value.isoformat(timespec='seconds') if iso_times else value.replace(tzinfo=None)
    return neutralise(value)


def _chunks(rows: Iterator[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def write_csv(table: tables.Table, path: Path, progress: Callable[[int], None]) -> int:
    """The header record's fields repeat on every detail row (one flat table); a bare header is one row."""
    columns = [c.name for c in table.header] + [c.name for c in table.columns]
    written = 0
    with path.open('w', encoding='utf-8-sig', newline='') as handle:  # the BOM tells Excel it is UTF-8
        for chunk in _chunks(table.rows(), tables.CHUNK_ROWS):
            rows = [tuple(table.header.values()) + tuple(row) for row in chunk]
            _frame(columns, rows, iso_times=True).to_csv(handle, header=written == 0, index=False, float_format='%.2f')
            written += len(chunk)
            progress(written)
        if written == 0:
            empty = [tuple(table.header.values()) + (None,) * len(table.columns)] if table.header else []
            _frame(columns, empty, iso_times=True).to_csv(handle, index=False, float_format='%.2f')
    return written


# --- Excel -------------------------------------------------------------------------------------------------


def _text_width(text: str) -> int:
    """Characters as a spreadsheet column counts them: a CJK character takes two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in 'WF' else 1 for char in text)


class _Sheet:
    """One sheet of the workbook: a bold, frozen header row, typed columns (each column's number format applies to
    its cells), and the widest value written in each column so far."""

    def __init__(self, book: Workbook, name: str, columns: list[Column], symbol: str) -> None:
        self.columns = columns
        self.sheet: Worksheet = book.add_worksheet(name)
        number_formats = {
            'id': '0',
            'count': '#,##0',
            'rating': '0.0',
            'money': '"{}"#,##0.00'.format(symbol.replace('"', '')),
            'time': TIME_FORMAT,
        }
        self.formats = [
            book.add_format({'num_format': number_formats[c.kind]}) if c.kind in number_formats else None
            for c in columns
        ]
        shown = {'id': '{:.0f}', 'count': '{:,.0f}', 'rating': '{:.1f}', 'money': symbol + '{:,.2f}'}
        self.shown = [shown.get(c.kind) for c in columns]
        labels = [f'{c.label} ({symbol})' if c.kind == 'money' else c.label for c in columns]
        self.widths = [math.ceil(_text_width(label) * TEXT_SLACK) + FILTER_BUTTON for label in labels]
        self.sheet.write_row(0, 0, labels, book.add_format({'bold': True, 'bottom': 1}))
        self.sheet.freeze_panes(1, 0)
        self.rows = 0

    def write(self, chunk: Sequence[Sequence[Any]]) -> None:
        cells = [[_cell(value, iso_times=False) for value in row] for row in chunk]
        write_row = self.sheet.write_row
        for offset, row in enumerate(cells, start=self.rows + 1):
            write_row(offset, 0, row)
        self.rows += len(cells)
        for n, values in enumerate(zip(*cells, strict=True)):
            self.widths[n] = max(self.widths[n], self._widest(n, values))

    def _widest(self, n: int, values: Sequence[Any]) -> int:
        """The widest of these values of column `n` as its format shows them."""
        kind = self.columns[n].kind
        if kind == 'time':
            return len(TIME_FORMAT)
        if kind == 'text':
            return math.ceil(max((_text_width(v) for v in values if isinstance(v, str)), default=0) * TEXT_SLACK)
        numbers = [v for v in values if isinstance(v, int | float)]
        shown = self.shown[n]
        if not numbers or shown is None:
            return 0
        return max(len(shown.format(max(numbers))), len(shown.format(min(numbers))))

    def finish(self, *, filters: bool) -> None:
        """Column widths and formats, and the filters over every row written: known only once all are."""
        for n, column in enumerate(self.columns):
            width = self.widths[n] + PADDING
            self.sheet.set_column(n, n, min(width, MAX_TEXT_WIDTH) if column.kind == 'text' else width, self.formats[n])
        if filters:
            self.sheet.autofilter(0, 0, self.rows, len(self.columns) - 1)


def write_xlsx(table: tables.Table, path: Path, progress: Callable[[int], None]) -> int:
    """A sheet for the header record (when there is one) and a sheet for the detail rows."""
    symbol = get_settings().currency
    options = {'strings_to_formulas': False, 'strings_to_urls': False, 'strings_to_numbers': False}
    with Workbook(str(path), options) as book:
        if table.header_sheet:
            record = _Sheet(book, table.header_sheet, list(table.header), symbol)
            record.write([tuple(table.header.values())])
            record.finish(filters=False)
        detail = _Sheet(book, table.detail_sheet, table.columns, symbol)
        for chunk in _chunks(table.rows(), tables.CHUNK_ROWS):
            detail.write(chunk)
            progress(detail.rows)
        detail.finish(filters=True)
    return detail.rows
