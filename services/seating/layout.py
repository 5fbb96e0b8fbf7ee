"""A seat map as people write it (the API's JSON, the editor's generator), read into checked seat specs.

Pure functions: no database. Positions are in seat widths; a seat given as a bare label is placed at its index in
the row, each row one seat width below the one before, each section below the one before with a gap, so a map
typed by hand draws sensibly. The stage is drawn centred above the first row unless the map places it.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import Any

from models import SeatKind
from models.seat import LABEL_LENGTH, ROW_LENGTH, SECTION_LENGTH
from services.errors import Invalid

MAX_SEATS = 100_000
MAX_SECTIONS = 50
MAX_ROWS = 500  # in one section
MAX_ROW_SEATS = 2_000
MAX_COORDINATE = 10_000.0
SECTION_GAP = 2.0  # empty rows between sections placed automatically
STAGE_GAP = 2.0


@dataclass(frozen=True)
class SeatSpec:
    section: str
    row: str
    label: str
    kind: SeatKind
    x: float
    y: float
    section_no: int
    row_no: int
    seat_no: int

    @property
    def place(self) -> tuple[str, str, str]:
        return self.section, self.row, self.label


@dataclass(frozen=True)
class Stage:
    x: float  # centre
    y: float
    width: float


@dataclass(frozen=True)
class Layout:
    seats: list[SeatSpec]
    stage: Stage

    @property
    def on_sale(self) -> int:
        """Seats that can be sold: every seat but the blocked ones."""
        return sum(1 for seat in self.seats if seat.kind != SeatKind.BLOCKED)


class _Reader:
    """Reads one map, keeping the first problem (with the place it was found) to report."""

    def __init__(self) -> None:
        self.problem: tuple[str, str] | None = None

    def fail(self, where: str, message: str) -> None:
        if self.problem is None:
            self.problem = (where, message)

    def name(self, value: object, where: str, what: str, max_len: int) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.fail(where, f'{what} must be text.')
            return ''
        text = unicodedata.normalize('NFC', value).strip()
        if not text:
            self.fail(where, f'{what} is required.')
        elif len(text) > max_len:
            self.fail(where, f'{what} "{text[:max_len]}…" is longer than {max_len} characters.')
        elif any(unicodedata.category(ch).startswith('C') for ch in text) or '<' in text or '>' in text:
            self.fail(where, f'{what} must not contain < or > or control characters.')
        return text

    def number(self, value: object, where: str, what: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(where, f'{what} must be a number.')
            return None
        if abs(value) > MAX_COORDINATE:
            self.fail(where, f'{what} must be between -{MAX_COORDINATE:,.0f} and {MAX_COORDINATE:,.0f}.')
            return None
        return float(value)

    def items(self, value: object, where: str, what: str, high: int) -> list[Any]:
        if not isinstance(value, list):
            self.fail(where, f'{what} must be a list.')
            return []
        if not value:
            self.fail(where, f'{what} must not be empty.')
        if len(value) > high:
            self.fail(where, f'At most {high:,} {what.lower()}.')
            return []
        return value


def parse(body: object) -> Layout:
    """The checked layout of a seat map body, or `Invalid` naming the first problem and where it is (the field is
    `seatmap`, the message starts with the place: 'Section "Stalls", row C: ...')."""
    read = _Reader()
    if not isinstance(body, dict):
        raise Invalid({'seatmap': 'A seat map is an object with "sections".'})
    sections = read.items(body.get('sections'), 'The map', 'Sections', MAX_SECTIONS)
    seats: list[SeatSpec] = []
    names: set[str] = set()
    top = 0.0  # where the next automatically placed row goes
    for section_no, section in enumerate(sections):
        if not isinstance(section, dict):
            read.fail(f'Section {section_no + 1}', 'A section is an object with "name" and "rows".')
            continue
        name = read.name(section.get('name'), f'Section {section_no + 1}', 'A section name', SECTION_LENGTH)
        if name in names:
            read.fail(f'Section "{name}"', 'Two sections have this name; section names must be unique.')
        names.add(name)
        rows = read.items(section.get('rows'), f'Section "{name}"', 'Rows', MAX_ROWS)
        row_labels: set[str] = set()
        bottom = top
        for row_no, row in enumerate(rows):
            where = f'Section "{name}", row {row_no + 1}'
            if not isinstance(row, dict):
                read.fail(where, 'A row is an object with "label" and "seats".')
                continue
            label = read.name(row.get('label'), where, 'A row label', ROW_LENGTH)
            where = f'Section "{name}", row {label}'
            if label in row_labels:
                read.fail(where, 'Two rows have this label; row labels must be unique within a section.')
            row_labels.add(label)
            row_y = top + row_no
            seat_labels: set[str] = set()
            for seat_no, seat in enumerate(read.items(row.get('seats'), where, 'Seats', MAX_ROW_SEATS)):
                spec = _seat(read, seat, where, name, label, (section_no, row_no, seat_no), row_y)
                if spec is None:
                    continue
                if spec.label in seat_labels:
                    read.fail(f'{where}, seat {spec.label}', 'Two seats have this label; labels are unique in a row.')
                seat_labels.add(spec.label)
                seats.append(spec)
                bottom = max(bottom, spec.y)
                if len(seats) > MAX_SEATS:
                    raise Invalid({'seatmap': f'A seat map has at most {MAX_SEATS:,} seats.'})
            bottom = max(bottom, row_y)
        top = bottom + 1 + SECTION_GAP
    if read.problem is None and not any(seat.kind != SeatKind.BLOCKED for seat in seats):
        read.fail('The map', 'At least one seat must be for sale (not blocked).')
    stage = _stage(read, body.get('stage'), seats)
    if read.problem is not None:
        where, message = read.problem
        raise Invalid({'seatmap': f'{where}: {message}'})
    return Layout(seats, stage)


def _seat(
    read: _Reader, seat: object, where: str, section: str, row: str, order: tuple[int, int, int], row_y: float
) -> SeatSpec | None:
    kind, x, y = SeatKind.STANDARD, None, None
    if isinstance(seat, dict):
        label = read.name(seat.get('label'), where, 'A seat label', LABEL_LENGTH)
        raw_kind = seat.get('kind', SeatKind.STANDARD.value)
        if raw_kind not in {k.value for k in SeatKind}:
            read.fail(f'{where}, seat {label}', 'A seat\'s kind is "standard", "wheelchair" or "blocked".')
            return None
        kind = SeatKind(raw_kind)
        x = read.number(seat.get('x'), f'{where}, seat {label}', 'x')
        y = read.number(seat.get('y'), f'{where}, seat {label}', 'y')
    else:
        label = read.name(seat, where, 'A seat label', LABEL_LENGTH)
    seat_no = order[2]
    return SeatSpec(section, row, label, kind, float(seat_no) if x is None else x, row_y if y is None else y, *order)


def _stage(read: _Reader, value: object, seats: list[SeatSpec]) -> Stage:
    xs = [seat.x for seat in seats] or [0.0]
    ys = [seat.y for seat in seats] or [0.0]
    default = Stage(x=(min(xs) + max(xs)) / 2, y=min(ys) - STAGE_GAP, width=max(3.0, (max(xs) - min(xs) + 1) * 0.6))
    if value is None:
        return default
    if not isinstance(value, dict):
        read.fail('The stage', 'The stage is an object with "x", "y" and "width".')
        return default
    x = read.number(value.get('x'), 'The stage', 'x')
    y = read.number(value.get('y'), 'The stage', 'y')
    width = read.number(value.get('width'), 'The stage', 'width')
    if width is not None and width <= 0:
        read.fail('The stage', 'width must be more than 0.')
    return Stage(
        default.x if x is None else x, default.y if y is None else y, default.width if width is None else width
    )


def row_labels(count: int) -> list[str]:
    """A, B, … Z, AA, AB, …: the usual row letters, as many as asked."""
    labels = []
    for n in range(count):
        label = ''
        n += 1
        while n:
            n, rest = divmod(n - 1, 26)
            label = chr(ord('A') + rest) + label
        labels.append(label)
    return labels


def generate(
    sections: list[tuple[str, int, int]], *, right_to_left: bool = False, aisle_every: int = 0
) -> dict[str, Any]:
    """A seat map body in the API's shape: for each (name, rows, seats per row) a block of rows A… with seats
    numbered 1… from the left (or the right), a one-seat aisle after every `aisle_every` seats (0: none).
    Sections are stacked front to back and centred on the widest."""
    widths = [seats + ((seats - 1) // aisle_every if aisle_every > 0 else 0) for _, _, seats in sections]
    widest = max(widths, default=0)
    body: list[dict[str, Any]] = []
    top = 0.0
    for (name, rows, per_row), width in zip(sections, widths, strict=True):
        left = (widest - width) / 2
        block = []
        for row_no, label in enumerate(row_labels(rows)):
            seats = []
            for index in range(per_row):
                x = left + index + (index // aisle_every if aisle_every > 0 else 0)
                number = per_row - index if right_to_left else index + 1
                seats.append({'label': str(number), 'kind': SeatKind.STANDARD.value, 'x': x, 'y': top + row_no})
            block.append({'label': label, 'seats': seats})
        body.append({'name': name, 'rows': block})
        top += rows + SECTION_GAP
    return {'sections': body}
