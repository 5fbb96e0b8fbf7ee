"""The seat heat map as a PNG: each seat of the map where it is drawn, coloured by how early it sells.

Warm seats sell first, cool ones last; a seat never sold is grey and a blocked seat an empty ring. Drawn with the
summary's other charts' style (services.charts) and cached like them until the theatre's bookings, shows or map
change (its `theatre:<id>` namespace) or for `CHART_TTL_SECONDS`. Callers run it off the event loop.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import EllipseCollection
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch
from sqlalchemy.orm import Session

from models import SeatKind
from services.access import managed_theatre
from services.auth import load_actor
from services.cache import cached
from services.charts import _PNG, CHART_TTL_SECONDS, INK, MUTED, STYLE, _empty, _label, _png
from services.seating.heat import SeatHeat, SeatHeatSeat, seat_heat
from services.words import plural

# Warm (sells first) to cool (sells last), every step dark enough to see on white.
HEAT = LinearSegmentedColormap.from_list('seat_heat', ['#b91c1c', '#f97316', '#eab308', '#14b8a6', '#1d4ed8'])
NEVER = '#d1d5db'
BLOCKED_EDGE = '#9ca3af'
STAGE = '#334155'  # as on the seat maps of the pages (ui.seat_map)
SEAT = 0.8  # a seat's diameter in seat widths
MARGIN = 1.5  # seat widths around the map
WIDTH = 8.0  # inches at 110 dpi: 880 px, like the summary's other charts
DPI = 110  # services.charts draws at this resolution
MAP_WIDTH = 7.7  # the part of it the map may fill
FURNITURE = 1.3  # inches of title and colour bar
MIN_HEIGHT, MAX_HEIGHT = 3.4, 8.0  # inches
MAX_SEAT_PX = 36  # pixels per seat width at most
ROW_LABEL_PX = 9  # row labels are drawn when a seat is at least this many pixels wide
ROW_LABEL_WIDTH_PX = 22
LABEL_PX = 17  # a section's name above its first row, with its gap
STAGE_PX = 16  # the least height of the stage, so that its name fits
STAGE_TEXT_PX = 50  # the least width of the stage that its name fits in


@dataclass(frozen=True)
class _Frame:
    """Where things go, in seat widths: the limits of the axes, the stage as drawn and the figure's height."""

    left: float
    right: float
    top: float
    bottom: float
    height: float  # inches
    seat_px: float  # pixels per seat width
    stage: tuple[float, float, float, float] | None  # left, top, width, height
    rows: bool  # whether row labels are drawn


def _frame(heat: SeatHeat) -> _Frame:
    """Fit the map into the figure's width, and everything drawn in points (labels, a stage tall enough to read its
    name) around it. Text does not scale with the map, so this is worked out twice: the second time with the scale
    the first found."""
    xs = [seat.x for seat in heat.seats]
    ys = [seat.y for seat in heat.seats]
    seat_px = 30.0
    frame: _Frame | None = None
    for _ in range(2):
        rows = seat_px >= ROW_LABEL_PX
        label = LABEL_PX / seat_px  # a section's name above its first row
        left, right = min(xs) - MARGIN - (ROW_LABEL_WIDTH_PX / seat_px if rows else 0.0), max(xs) + MARGIN
        top, bottom = min(ys) - SEAT / 2 - label - MARGIN / 2, max(ys) + MARGIN
        stage = None
        if heat.stage is not None:
            half = max(0.45, STAGE_PX / 2 / seat_px)
            y = heat.stage.y
            if y < min(ys):  # above the seats, as usual: never over the first section's name
                y = min(y, min(ys) - SEAT / 2 - label - half - 0.2)
            stage = (heat.stage.x - heat.stage.width / 2, y - half, heat.stage.width, 2 * half)
            left, right = min(left, stage[0] - MARGIN / 2), max(right, stage[0] + stage[2] + MARGIN / 2)
            top, bottom = min(top, stage[1] - MARGIN / 2), max(bottom, stage[1] + stage[3] + MARGIN / 2)
        width, depth = right - left, bottom - top
        scale = min(MAX_SEAT_PX / DPI, MAP_WIDTH / width)  # inches per seat width: a small hall is not blown up
        height = min(MAX_HEIGHT, max(MIN_HEIGHT, scale * depth + FURNITURE))
        seat_px = min(scale, (height - FURNITURE) / depth) * DPI
        frame = _Frame(left, right, top, bottom, height, seat_px, stage, rows)
    assert frame is not None
    return frame


def render_seat_heat(heat: SeatHeat) -> bytes:
    """The heat map, or a picture saying there is nothing to draw yet."""
    title = f'Which seats sell first · {heat.theatre_name}'
    if heat.empty:
        return _png(
            lambda f: _empty(f, title, 'No reserved-seat sales yet', 'Seats sold at reserved shows appear here.'),
            width=WIDTH,
            height=3.0,
        )
    frame = _frame(heat)

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        axes.set_axis_off()
        axes.set_aspect('equal')
        axes.set_xlim(frame.left, frame.right)
        axes.set_ylim(frame.bottom, frame.top)  # y grows downwards, as on the map
        norm = Normalize(0.0, 1.0)
        sold = [seat for seat in heat.seats if seat.kind != SeatKind.BLOCKED and seat.shows_sold]
        never = [seat for seat in heat.seats if seat.kind != SeatKind.BLOCKED and not seat.shows_sold]
        blocked = [seat for seat in heat.seats if seat.kind == SeatKind.BLOCKED]
        _seats(axes, never, NEVER, 'none')
        _seats(axes, blocked, 'none', BLOCKED_EDGE)
        _seats(axes, sold, 'none', 'none', scores=[seat.score or 0.0 for seat in sold])
        _stage(axes, frame)
        _labels(axes, heat, rows=frame.rows)
        # Over the figure's left edge, as the other charts' titles are: the axes of a small hall are narrow.
        figure.suptitle(title, x=0.01, ha='left', fontsize=STYLE['axes.titlesize'], fontweight='bold')
        bar = figure.colorbar(
            ScalarMappable(norm, HEAT), ax=axes, location='bottom', shrink=0.5, aspect=28, pad=0.02, anchor=(0.0, 1.0)
        )
        bar.outline.set_visible(False)
        bar.set_ticks([0.0, 1.0], labels=['sells first', 'sells last'])
        first, last = bar.ax.get_xticklabels()
        first.set_horizontalalignment('left')  # under the bar's ends, never past the figure's edge
        last.set_horizontalalignment('right')
        bar.set_label(f'Order of sale, {plural(heat.shows, "reserved show")}', color=MUTED, fontsize=8)
        marks = [
            Line2D([], [], ls='', marker='o', ms=8, mfc=NEVER, mec='none', label='never sold'),
            Line2D([], [], ls='', marker='o', ms=8, mfc='none', mec=BLOCKED_EDGE, label='blocked'),
        ]
        bar.ax.legend(
            handles=marks if blocked else marks[:1],
            loc='center left',
            bbox_to_anchor=(1.04, 0.5),
            ncols=2,
            frameon=False,
            fontsize=8,
        )

    return _png(draw, width=WIDTH, height=frame.height)


def _seats(axes: Axes, seats: list[SeatHeatSeat], face: str, edge: str, *, scores: list[float] | None = None) -> None:
    """One collection of circles a seat wide, in the map's units: coloured by `scores` on the heat scale (all at
    once, in numpy), else in `face`."""
    if not seats:
        return
    size = np.full(len(seats), SEAT)
    colours: dict[str, Any] = {'facecolors': face}
    if scores is not None:
        colours = {'array': np.array(scores), 'cmap': HEAT, 'norm': Normalize(0.0, 1.0)}
    axes.add_collection(
        EllipseCollection(
            size,
            size,
            np.zeros(len(seats)),
            units='xy',
            offsets=np.array([(seat.x, seat.y) for seat in seats]),
            offset_transform=axes.transData,
            edgecolors=edge,
            linewidths=0.8,
            **colours,
        )
    )


def _stage(axes: Axes, frame: _Frame) -> None:
    if frame.stage is None:
        return
    left, top, width, height = frame.stage
    axes.add_patch(
        FancyBboxPatch(
            (left, top),
            width,
            height,
            boxstyle=f'round,pad=0,rounding_size={min(0.25, height / 3):.3f}',
            facecolor=STAGE,
            edgecolor='none',
        )
    )
    if width * frame.seat_px < STAGE_TEXT_PX:  # too narrow to hold its name: the name goes above it
        axes.annotate(
            'STAGE',
            (left + width / 2, top),
            xytext=(0, 2),
            textcoords='offset points',
            ha='center',
            va='bottom',
            color=STAGE,
            fontsize=8,
            fontweight='bold',
        )
        return
    axes.text(
        left + width / 2,
        top + height / 2,
        'STAGE',
        ha='center',
        va='center',
        color='white',
        fontsize=8,
        fontweight='bold',
    )


def _labels(axes: Axes, heat: SeatHeat, *, rows: bool) -> None:
    """Each section's name above it and, when the seats are big enough to tell apart, each row's label left of it."""
    sections: dict[str, list[SeatHeatSeat]] = {}
    row_starts: dict[tuple[str, str], SeatHeatSeat] = {}
    for seat in heat.seats:
        sections.setdefault(seat.section, []).append(seat)
        first = row_starts.get((seat.section, seat.row))
        if first is None or seat.x < first.x:
            row_starts[(seat.section, seat.row)] = seat
    for name, members in sections.items():
        x = (min(s.x for s in members) + max(s.x for s in members)) / 2
        y = min(s.y for s in members) - SEAT / 2
        axes.annotate(
            _label(name, 40),
            (x, y),
            xytext=(0, 3),
            textcoords='offset points',
            ha='center',
            va='bottom',
            color=INK,
            fontsize=9,
            fontweight='bold',
        )
    if rows:
        for (_, row), first in row_starts.items():
            axes.annotate(
                row,
                (first.x - SEAT / 2, first.y),
                xytext=(-3, 0),
                textcoords='offset points',
                ha='right',
                va='center',
                color=MUTED,
                fontsize=7,
            )


def seat_heat_chart(session: Session, *, actor_id: int, theatre_id: int) -> bytes | None:
    """The theatre's seat heat map as PNG for its manager or an admin (anyone else: `NotFound`), or None when there
    is nothing to draw (no seat map, or no seat sold at a reserved show). Access is checked before the cache."""
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)

    def draw() -> str:
        heat = seat_heat(session, actor_id=actor_id, theatre_id=theatre.id)
        return '' if heat.empty else base64.b64encode(render_seat_heat(heat)).decode()

    text = cached(f'chart:seat-heat:{theatre.id}', [f'theatre:{theatre.id}'], draw, _PNG, ttl=CHART_TTL_SECONDS)
    return base64.b64decode(text) if text else None
