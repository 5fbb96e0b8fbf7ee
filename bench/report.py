"""The figures a benchmark measured, each beside the floor it is compared with and the goal it is held to.

A `Figure` is one measured number; its `floor` (when it has one) was measured in the same run — the bare route, the
raw database transaction, plain smtplib — so the ratio, not the absolute time, is what carries from one machine to
another. `table` prints them aligned, with the ratio and whether the goal is met.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str  # what was measured: 'API booking, 8 connections'
    value: float
    unit: str  # 'bookings/s', 'ms', 'MiB'
    floor: float | None = None  # the same thing with nothing of ours in the way, measured in the same run
    floor_name: str = ''  # what the floor is: 'bare route', 'raw transaction', 'smtplib'
    goal: float | None = None  # the value to reach (or a ratio to the floor, when goal_is_ratio)
    goal_is_ratio: bool = False
    higher_is_better: bool = True

    @property
    def ratio(self) -> float | None:
        return None if not self.floor else self.value / self.floor

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        measured = self.ratio if self.goal_is_ratio else self.value
        if measured is None:
            return None
        return measured >= self.goal if self.higher_is_better else measured <= self.goal

    def goal_text(self) -> str:
        if self.goal is None:
            return ''
        sign = '≥' if self.higher_is_better else '≤'
        return f'{sign} {self.goal:g}× floor' if self.goal_is_ratio else f'{sign} {_number(self.goal)} {self.unit}'


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f'{value:,.0f}'
    if abs(value) >= 10:
        return f'{value:.1f}'
    return f'{value:.2f}'


def table(figures: Iterable[Figure], title: str = '') -> str:
    """The figures as an aligned text table: value, floor, ratio, goal and whether it is met."""
    rows = [('figure', 'value', 'floor', 'ratio', 'goal', 'met')]
    for figure in figures:
        value = f'{_number(figure.value)} {figure.unit}'
        floor = '' if figure.floor is None else f'{_number(figure.floor)} ({figure.floor_name})'
        ratio = '' if figure.ratio is None else f'{figure.ratio:.3f}×'
        met = {None: '', True: 'yes', False: 'NO'}[figure.met]
        rows.append((figure.name, value, floor, ratio, figure.goal_text(), met))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [title] if title else []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append('  '.join(cells).rstrip())
        if index == 0:
            lines.append('  '.join('-' * width for width in widths))
    return '\n'.join(lines)


def p95(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def p50(values: Sequence[float]) -> float:
    return statistics.median(values)
