"""Writing a `Table` to a file: CSV (one flat table) or Excel (a header sheet and a rows sheet).

Rows go through pandas a chunk at a time, so memory stays flat however long the export; text cells
a spreadsheet would run as a formula are neutralised in both formats.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from services.exports import tables  # by module: CHUNK_ROWS is the one chunk size, read where it is set

FORMULA_PREFIXES = ('=', '+', '-', '@', '\t', '\r')


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
    columns = list(table.header) + table.columns
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


def write_xlsx(table: tables.Table, path: Path, progress: Callable[[int], None]) -> int:
    """A sheet for the header record (when there is one) and a sheet for the detail rows."""
    written = 0
    options = {'strings_to_formulas': False, 'strings_to_urls': False}
    with pd.ExcelWriter(
        path, engine='xlsxwriter', datetime_format='yyyy-mm-dd hh:mm', engine_kwargs={'options': options}
    ) as writer:
        if table.header_sheet:
            _frame(list(table.header), [tuple(table.header.values())], iso_times=False).to_excel(
                writer, sheet_name=table.header_sheet, index=False
            )
        for chunk in _chunks(table.rows(), tables.CHUNK_ROWS):
            _frame(table.columns, chunk, iso_times=False).to_excel(
                writer,
                sheet_name=table.detail_sheet,
                index=False,
                header=written == 0,
                startrow=0 if written == 0 else written + 1,
            )
            written += len(chunk)
            progress(written)
        if written == 0:
            _frame(table.columns, [], iso_times=False).to_excel(writer, sheet_name=table.detail_sheet, index=False)
    return written
