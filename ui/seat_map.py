"""Drawing a seat map as SVG on NiceGUI's interactive image, and finding the seat under a click.

One renderer for the buyer's picker, the manager's editor and the dashboard's sold/held/free map. Labels come
from managers and are escaped (the image also runs its SVG through DOMPurify). Coordinates are the map's seat
widths: `Frame` turns them into the image's pixels and back; a click's image coordinates are the same whatever
the zoom.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape

from nicegui import ui
from nicegui.events import MouseEventArguments

from services.seating.layout import Stage

UNIT = 28  # pixels per seat width at zoom 1
MARGIN = 2.5  # seat widths around the map (row labels sit in it)
RADIUS = 0.4
# Section colours (the price colour of a free seat): distinct, and white text on each meets WCAG AA.
PALETTE = ('#6d28d9', '#0e7490', '#be185d', '#b45309', '#15803d', '#1d4ed8', '#9f1239', '#4d7c0f')
HELD, SOLD, BLOCKED_FILL = '#cbd5e1', '#94a3b8', 'none'
MINE = '#047857'
SELECTED_STROKE = '#f59e0b'


@dataclass(frozen=True)
class Dot:
    """One seat as drawn."""

    id: int
    x: float
    y: float
    label: str
    row: str
    section: str
    fill: str
    text: str = '#ffffff'  # the label's colour on the fill
    ring: str | None = None  # an outline: chosen, selected
    mark: str = ''  # '♿' for a wheelchair space, '×' for a blocked seat
    title: str = ''  # the tooltip: what a screen reader or a hover says


@dataclass(frozen=True)
class Frame:
    min_x: float
    min_y: float
    width: float  # pixels
    height: float

    def px(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.min_x + MARGIN) * UNIT, (y - self.min_y + MARGIN) * UNIT

    def seat(self, px: float, py: float) -> tuple[float, float]:
        return px / UNIT - MARGIN + self.min_x, py / UNIT - MARGIN + self.min_y


def frame_of(dots: Iterable[Dot], stage: Stage | None) -> Frame:
    xs, ys = [], []
    for dot in dots:
        xs.append(dot.x)
        ys.append(dot.y)
    if stage is not None:
        xs += [stage.x - stage.width / 2, stage.x + stage.width / 2]
        ys.append(stage.y)
    if not xs:
        xs, ys = [0.0], [0.0]
    min_x, min_y = min(xs), min(ys)
    return Frame(min_x, min_y, (max(xs) - min_x + 2 * MARGIN) * UNIT, (max(ys) - min_y + 2 * MARGIN) * UNIT)


def section_colours(names: Iterable[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(names))}


def svg(frame: Frame, dots: list[Dot], stage: Stage | None, *, rectangle: tuple[float, ...] | None = None) -> str:
    """The SVG elements of the map (the interactive image wraps them in its own <svg>)."""
    r = RADIUS * UNIT
    parts: list[str] = []
    if stage is not None:
        x, y = frame.px(stage.x - stage.width / 2, stage.y - 0.45)
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{stage.width * UNIT:.1f}" height="{0.9 * UNIT:.1f}" rx="6" '
            'fill="#334155"/>'
        )
        cx, cy = frame.px(stage.x, stage.y)
        parts.append(
            f'<text x="{cx:.1f}" y="{cy + 5:.1f}" text-anchor="middle" font-size="14" font-weight="700" '
            'letter-spacing="4" fill="#ffffff">STAGE</text>'
        )
    rows: dict[tuple[str, str], list[Dot]] = {}
    sections: dict[str, list[Dot]] = {}
    for dot in dots:
        rows.setdefault((dot.section, dot.row), []).append(dot)
        sections.setdefault(dot.section, []).append(dot)
    for name, members in sections.items():
        left, right = min(d.x for d in members), max(d.x for d in members)
        x, y = frame.px((left + right) / 2, min(d.y for d in members) - 0.95)
        parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="13" font-weight="600" '
            f'fill="currentColor">{escape(name)}</text>'
        )
    for (_section, row), members in rows.items():
        first = min(members, key=lambda d: d.x)
        x, y = frame.px(first.x - 1.0, first.y)
        parts.append(
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="11" fill="currentColor" '
            f'opacity="0.75">{escape(row)}</text>'
        )
    for dot in dots:
        x, y = frame.px(dot.x, dot.y)
        stroke = ' stroke="#94a3b8"' if dot.fill == 'none' else ''
        if dot.ring:
            stroke = f' stroke="{dot.ring}" stroke-width="3"'
        title = f'<title>{escape(dot.title)}</title>' if dot.title else ''
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{dot.fill}"{stroke}>{title}</circle>')
        text = dot.mark or dot.label
        size = 12 if dot.mark else (10 if len(text) <= 2 else 8)
        parts.append(
            f'<text x="{x:.1f}" y="{y + size * 0.36:.1f}" text-anchor="middle" font-size="{size}" '
            f'fill="{dot.text}" pointer-events="none">{escape(text[:4])}</text>'
        )
    if rectangle is not None:
        x1, y1, x2, y2 = rectangle
        parts.append(
            f'<rect x="{min(x1, x2):.1f}" y="{min(y1, y2):.1f}" width="{abs(x2 - x1):.1f}" height="{abs(y2 - y1):.1f}" '
            'fill="#f59e0b" fill-opacity="0.15" stroke="#f59e0b" stroke-dasharray="4 3"/>'
        )
    return ''.join(parts)


def nearest(frame: Frame, dots: Iterable[Dot], px: float, py: float) -> Dot | None:
    """The seat whose circle (a little enlarged, for fingers) is under the image point (px, py)."""
    x, y = frame.seat(px, py)
    best: tuple[float, Dot] | None = None
    for dot in dots:
        distance = math.hypot(dot.x - x, dot.y - y)
        if distance <= 0.55 and (best is None or distance < best[0]):
            best = (distance, dot)
    return None if best is None else best[1]


class SeatCanvas:
    """The map on an interactive image inside a scrolling box, with zoom buttons (fit, larger, smaller)."""

    def __init__(self, *, on_mouse: Callable[[MouseEventArguments], object], events: list[str], label: str) -> None:
        self.zoom = 1.0
        self.frame = Frame(0, 0, UNIT, UNIT)
        ui.add_css('.body--dark .seat-map { color: #e5e7eb; }')  # row and section labels are drawn in currentColor
        with ui.row().classes('w-full items-center justify-end gap-1'):
            ui.button(icon='zoom_out', on_click=lambda: self.set_zoom(self.zoom / 1.5)).props(
                'flat round dense aria-label="Zoom out"'
            ).mark('zoom-out')
            ui.button(icon='fit_screen', on_click=lambda: self.set_zoom(1.0)).props(
                'flat round dense aria-label="Fit to width"'
            )
            ui.button(icon='zoom_in', on_click=lambda: self.set_zoom(self.zoom * 1.5)).props(
                'flat round dense aria-label="Zoom in"'
            ).mark('zoom-in')
        with (
            ui.element('div')
            .classes('w-full overflow-auto rounded-lg border border-gray-200 seat-map-box')
            .style('max-height: 75vh; touch-action: pan-x pan-y pinch-zoom')
        ):
            self.image = (
                ui.interactive_image(size=(UNIT, UNIT), events=events, on_mouse=on_mouse)
                .classes('seat-map text-gray-800')
                .props(f'aria-label="{escape(label)}" role="img"')
                .mark('seat-map')
            )
        self._place()

    def draw(self, frame: Frame, content: str) -> None:
        size = (round(frame.width), round(frame.height))
        if size != tuple(self.image.props.get('size') or ()):
            self.image.props['size'] = size
            self.image.update()
            # The image sets its viewBox from `size` only when its source changes: a map of a new size needs it told.
            self.image.run_method('updateViewbox', *size)
        self.frame = frame
        self.image.set_content(content)
        self._place()

    def set_zoom(self, zoom: float) -> None:
        self.zoom = min(8.0, max(1.0, zoom))
        self._place()

    def _place(self) -> None:
        # Fit: the map as wide as the box (never wider than 1.6× its natural size); zoomed: wider, and the box
        # scrolls. Pinch-zoom on a phone zooms the page as usual.
        natural = max(self.frame.width, 1)
        self.image.style(f'width: {self.zoom * 100:.0f}%; max-width: {natural * 1.25 * self.zoom:.0f}px; min-width: 0')
