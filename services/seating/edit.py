"""The seat-map editor's operations: pure functions on a map body in the API's shape.

Each takes a body and returns a new one (the input is never changed: the editor keeps old bodies for undo and redo).
A body is normalised first (`normalise`): every seat an object with label, kind, x and y, and a stage. A seat is
addressed by its key (section name, row label, seat label). A result passes `layout.parse` unless no seat is left
(then saving says what parse says). Positions are in seat widths, y growing downwards.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from models import SeatKind
from models.seat import ROW_LENGTH, SECTION_LENGTH
from services.errors import Invalid
from services.seating import layout

Key = tuple[str, str, str]
Body = dict[str, Any]
HISTORY_LIMIT = 100
KINDS = {kind.value for kind in SeatKind}


def normalise(body: object) -> Body:
    """The body as layout.parse reads it: every seat an object placed where parse places it, the stage filled in.
    Extra keys (a seat's id, the map's seat count from an export) are left out. Invalid as parse."""
    plan = layout.parse(body)
    sections: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for seat in plan.seats:
        row = sections.setdefault(seat.section, {}).setdefault(seat.row, [])
        row.append({'label': seat.label, 'kind': seat.kind.value, 'x': seat.x, 'y': seat.y})
    return {
        'sections': [
            {'name': name, 'rows': [{'label': label, 'seats': seats} for label, seats in rows.items()]}
            for name, rows in sections.items()
        ],
        'stage': {'x': plan.stage.x, 'y': plan.stage.y, 'width': plan.stage.width},
    }


def _is(value: Any, *types: type) -> Any:
    """`value` if it is of one of `types` (never a bool), else TypeError: the body is not normalised."""
    if isinstance(value, bool) or not isinstance(value, types):
        raise TypeError
    return value


def _seat(seat: Any) -> dict[str, Any]:
    if seat['kind'] not in KINDS:
        raise TypeError
    label, x, y = _is(seat['label'], str), _is(seat['x'], int, float), _is(seat['y'], int, float)
    return {'label': label, 'kind': seat['kind'], 'x': x, 'y': y}


def _copy(body: Body) -> Body:
    """A deep copy of a normalised body, or `normalise(body)` when it is not in that shape (a generated map)."""
    try:
        stage = {name: _is(body['stage'][name], int, float) for name in ('x', 'y', 'width')}
        sections = [
            {
                'name': _is(section['name'], str),
                'rows': [
                    {'label': _is(row['label'], str), 'seats': [_seat(seat) for seat in row['seats']]}
                    for row in section['rows']
                ],
            }
            for section in body['sections']
        ]
    except (KeyError, TypeError):
        return normalise(body)
    return {'sections': sections, 'stage': stage}


def _seats(body: Body) -> Iterable[tuple[Key, dict[str, Any]]]:
    for section in body['sections']:
        for row in section['rows']:
            for seat in row['seats']:
                yield (section['name'], row['label'], seat['label']), seat


def _section(body: Body, name: str) -> dict[str, Any]:
    for section in body['sections']:
        if section['name'] == name:
            return section
    raise Invalid({'section': f'There is no section "{name}" on the map.'})


def _row(body: Body, section: str, label: str) -> dict[str, Any]:
    for row in _section(body, section)['rows']:
        if row['label'] == label:
            return row
    raise Invalid({'row': f'Section "{section}" has no row {label}.'})


def _name(value: object, field: str, max_len: int, taken: Iterable[str], duplicate: str) -> str:
    """A new name checked as parse checks it (and with its messages); Invalid({field: ...}) if bad or `taken`."""
    read = layout._Reader()
    text = read.name(value, '', 'A row label' if field == 'row' else 'A section name', max_len)
    if read.problem is not None:
        raise Invalid({field: read.problem[1]})
    if text in taken:
        raise Invalid({field: duplicate.format(text)})
    return text


def _check_for_sale(body: Body) -> None:
    """parse refuses a map whose seats are all blocked; an empty map is left for parse to name."""
    kinds = [seat['kind'] for _, seat in _seats(body)]
    if kinds and all(kind == SeatKind.BLOCKED.value for kind in kinds):
        raise Invalid({'seatmap': 'At least one seat must be for sale (not blocked).'})


def _coordinate(value: float, field: str, message: str) -> None:
    if not math.isfinite(value) or abs(value) > layout.MAX_COORDINATE:
        raise Invalid({field: f'{message} (positions stay within ±{layout.MAX_COORDINATE:,.0f}).'})


def keys(body: Body) -> list[Key]:
    """Every seat's key, in the map's order."""
    return [key for key, _ in _seats(body)]


def seat_at(body: Body, x: float, y: float, radius: float = 0.5) -> Key | None:
    """The seat whose centre is nearest (x, y) and at most `radius` from it (the first in map order on a tie)."""
    best: tuple[float, Key] | None = None
    for key, seat in _seats(body):
        distance = math.hypot(seat['x'] - x, seat['y'] - y)
        if distance <= radius and (best is None or distance < best[0]):
            best = (distance, key)
    return None if best is None else best[1]


def in_rect(body: Body, x1: float, y1: float, x2: float, y2: float) -> list[Key]:
    """The seats whose centres are inside the rectangle (edges included; corners in any order), in map order."""
    left, right, top, bottom = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
    return [key for key, seat in _seats(body) if left <= seat['x'] <= right and top <= seat['y'] <= bottom]


def set_kind(body: Body, keys: Iterable[Key], kind: str) -> Body:
    """The seats of `keys` made standard, wheelchair or blocked (keys not on the map are ignored)."""
    if kind not in KINDS:
        raise Invalid({'kind': 'A seat\'s kind is "standard", "wheelchair" or "blocked".'})
    wanted = set(keys)
    new = _copy(body)
    for key, seat in _seats(new):
        if key in wanted:
            seat['kind'] = kind
    _check_for_sale(new)
    return new


def delete_seats(body: Body, keys: Iterable[Key]) -> Body:
    """The map without the seats of `keys`; a row left empty goes, and so does a section left empty."""
    wanted = set(keys)
    new = _copy(body)
    sections = []
    for section in new['sections']:
        rows = []
        for row in section['rows']:
            row['seats'] = [s for s in row['seats'] if (section['name'], row['label'], s['label']) not in wanted]
            if row['seats']:
                rows.append(row)
        if rows:
            sections.append({'name': section['name'], 'rows': rows})
    new['sections'] = sections
    _check_for_sale(new)
    return new


def rename_row(body: Body, section: str, row: str, new_label: str) -> Body:
    new = _copy(body)
    target = _row(new, section, row)
    others = [r['label'] for r in _section(new, section)['rows'] if r is not target]
    target['label'] = _name(new_label, 'row', ROW_LENGTH, others, f'Section "{section}" already has a row {{}}.')
    return new


def rename_section(body: Body, old: str, new_name: str) -> Body:
    new = _copy(body)
    target = _section(new, old)
    others = [s['name'] for s in new['sections'] if s is not target]
    target['name'] = _name(new_name, 'section', SECTION_LENGTH, others, 'There is already a section "{}".')
    return new


def next_label(label: str) -> str | None:
    """The row label after `label`: A → B, Z → AA, AZ → BA, 9 → 10, BOX9 → BOX10 (None when there is no rule)."""
    if re.fullmatch(r'[A-Z]+|[a-z]+', label):  # count up in base 26, Z carrying into a new A
        stem = label.rstrip('Zz')
        first = 'A' if label.isupper() else 'a'
        bumped = stem[:-1] + chr(ord(stem[-1]) + 1) if stem else first
        return bumped + first * (len(label) - len(stem))
    match = re.fullmatch(r'(.*?)(\d+)', label)
    if match:
        prefix, digits = match.groups()
        return f'{prefix}{int(digits) + 1:0{len(digits)}d}'
    return None


def add_row(body: Body, section: str, *, seats: int | None = None, label: str | None = None) -> Body:
    """A row after the section's last row, one seat width below it, with seats 1..n at the last row's x positions
    (numbered in the same direction) or, when `seats` differs from its count, at x 0..n-1. The label defaults to
    the next after the last row's (the first free one). The other sections stay where they are."""
    new = _copy(body)
    rows = _section(new, section)['rows']
    last = sorted(rows[-1]['seats'], key=lambda s: s['x']) if rows else []
    count = len(last) if seats is None else seats
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= layout.MAX_ROW_SEATS:
        raise Invalid({'seats': f'A row has 1 to {layout.MAX_ROW_SEATS:,} seats.'})
    if len(keys(new)) + count > layout.MAX_SEATS:
        raise Invalid({'seats': f'A seat map has at most {layout.MAX_SEATS:,} seats.'})
    if len(rows) >= layout.MAX_ROWS:
        raise Invalid({'row': f'A section has at most {layout.MAX_ROWS:,} rows.'})
    taken = {r['label'] for r in rows}
    if label is None:
        label = next_label(rows[-1]['label']) if rows else 'A'
        while label is not None and label in taken:
            label = next_label(label)
        if label is None:
            raise Invalid({'row': 'Give the new row a label.'})
    label = _name(label, 'row', ROW_LENGTH, taken, f'Section "{section}" already has a row {{}}.')
    bottom = max((s['y'] for s in last), default=None)
    if bottom is None:  # an empty section: below the whole map
        bottom = max((s['y'] for _, s in _seats(new)), default=-1.0) + layout.SECTION_GAP
    y = bottom + 1
    _coordinate(y, 'row', 'The new row would be off the map')
    same = count == len(last)
    xs = [s['x'] for s in last] if same else [float(i) for i in range(count)]
    labels = [s['label'] for s in last]
    falling = same and count > 1 and all(n.isdecimal() for n in labels) and int(labels[0]) > int(labels[-1])
    numbers = range(count, 0, -1) if falling else range(1, count + 1)
    kind = SeatKind.STANDARD.value
    row_seats = [{'label': str(n), 'kind': kind, 'x': x, 'y': y} for n, x in zip(numbers, xs, strict=True)]
    rows.append({'label': label, 'seats': row_seats})
    return new


def renumber_row(body: Body, section: str, row: str, *, right_to_left: bool) -> Body:
    """The row's seats labelled 1..n from the left (or the right), kept in x order."""
    new = _copy(body)
    target = _row(new, section, row)
    ordered = sorted(target['seats'], key=lambda s: s['x'])
    count = len(ordered)
    for index, seat in enumerate(ordered):
        seat['label'] = str(count - index if right_to_left else index + 1)
    target['seats'] = ordered
    return new


def move_section(body: Body, section: str, dx: float, dy: float) -> Body:
    new = _copy(body)
    target = _section(new, section)
    for row in target['rows']:
        for seat in row['seats']:
            seat['x'], seat['y'] = seat['x'] + dx, seat['y'] + dy
            _coordinate(seat['x'], 'section', f'Section "{section}" would be moved off the map')
            _coordinate(seat['y'], 'section', f'Section "{section}" would be moved off the map')
    return new


def set_stage(body: Body, x: float, y: float, width: float | None = None) -> Body:
    """The stage centred at (x, y), `width` wide (its width kept when None)."""
    new = _copy(body)
    stage = new['stage']
    read = layout._Reader()
    values = [read.number(value, 'The stage', name) for name, value in (('x', x), ('y', y), ('width', width))]
    if values[0] is None or values[1] is None:
        read.fail('The stage', 'x and y must be numbers.')
    if values[2] is not None and values[2] <= 0:
        read.fail('The stage', 'width must be more than 0.')
    if read.problem is not None:
        raise Invalid({'stage': f'The stage: {read.problem[1]}'})
    stage['x'], stage['y'], stage['width'] = values[0], values[1], stage['width'] if values[2] is None else values[2]
    return new


def bounds(body: Body) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) over the seats' centres and the stage's two ends."""
    stage = body.get('stage')
    xs = [seat['x'] for _, seat in _seats(body)]
    ys = [seat['y'] for _, seat in _seats(body)]
    if isinstance(stage, dict):
        xs += [stage['x'] - stage['width'] / 2, stage['x'] + stage['width'] / 2]
        ys.append(stage['y'])
    if not xs:
        return 0.0, 0.0, 0.0, 0.0
    return min(xs), min(ys), max(xs), max(ys)


def to_json(body: Body) -> str:
    """Pretty JSON (two-space indents, a seat to a line) that `from_json` and `put_seatmap` read back."""
    return _dump(body, '')


def _dump(value: Any, indent: str) -> str:
    inner = indent + '  '
    if isinstance(value, dict) and any(isinstance(v, (dict, list)) for v in value.values()):
        items = [f'{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, inner)}' for k, v in value.items()]
        return '{\n' + ',\n'.join(items) + f'\n{indent}}}'
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return '[\n' + ',\n'.join(inner + _dump(v, inner) for v in value) + f'\n{indent}]'
    return json.dumps(value, ensure_ascii=False)


def from_json(text: str) -> Body:
    """A map read from JSON text (an export), normalised; Invalid naming the problem."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise Invalid(
            {'seatmap': f'This is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}).'}
        ) from error
    except (ValueError, RecursionError) as error:
        raise Invalid({'seatmap': 'This is not valid JSON (nested too deeply or a number too long).'}) from error
    return normalise(body)


class History:
    """Undo and redo over the bodies the editor has had: `push` a new one (dropping what could be redone)."""

    def __init__(self, body: Body) -> None:
        self._states: list[Body] = [body]
        self._at = 0

    @property
    def current(self) -> Body:
        return self._states[self._at]

    @property
    def can_undo(self) -> bool:
        return self._at > 0

    @property
    def can_redo(self) -> bool:
        return self._at < len(self._states) - 1

    def push(self, body: Body) -> None:
        del self._states[self._at + 1 :]
        self._states.append(body)
        if len(self._states) > HISTORY_LIMIT:
            del self._states[: len(self._states) - HISTORY_LIMIT]
        self._at = len(self._states) - 1

    def undo(self) -> Body:
        """The body before (the current one, unchanged, when there is none)."""
        if self.can_undo:
            self._at -= 1
        return self.current

    def redo(self) -> Body:
        if self.can_redo:
            self._at += 1
        return self.current
