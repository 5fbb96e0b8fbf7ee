"""Charts as PNG, for the emails and the API's chart URLs: matplotlib `Figure`s on the Agg canvas (no pyplot global
state), cached until their data changes; and the palette the pages' interactive charts (ui/charts.py) share.

Callers run these off the event loop. Who may see a chart is checked before the cache is asked, so a
theatre's chart can be cached once for everyone allowed to see it.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from models import Theatre
from services import summary as summary_service
from services.access import managed_theatre
from services.auth import load_actor
from services.cache import cached
from services.chart_fonts import LATIN, font_families, latin_covers
from services.config import get_settings
from services.formats import money, theatre_tz
from services.words import percent


@dataclass(frozen=True)
class Palette:
    """The colours of every chart: the images draw with LIGHT, the pages' charts with LIGHT or DARK."""

    ink: str  # titles and labels
    muted: str  # axis figures, hints
    grid: str  # grid and axis lines
    surface: str  # what the chart sits on (a tooltip's background)
    primary: str  # the main measure: tickets booked or sold, revenue by theatre
    primary_soft: str  # what the main measure is drawn against: tickets offered
    secondary: str  # the second measure: revenue per day
    off: str  # a series switched off in a legend
    series: tuple[str, ...]  # a colour per line where there are several (a theatre each)


# The app's violet and teal (ui/layout.py); in the dark, lighter shades of them that read on a near-black card.
LIGHT = Palette(
    ink='#1f2937',
    muted='#4b5563',
    grid='#e5e7eb',
    surface='#ffffff',
    primary='#4c1d95',
    primary_soft='#c4b5fd',
    secondary='#0f766e',
    off='#9ca3af',
    series=('#4c1d95', '#0f766e', '#b45309', '#be185d', '#1d4ed8'),
)
DARK = Palette(
    ink='#e5e7eb',
    muted='#cbd5e1',
    grid='#3f3f46',
    surface='#27272a',
    primary='#a78bfa',
    primary_soft='#4c1d95',
    secondary='#2dd4bf',
    off='#71717a',
    series=('#a78bfa', '#2dd4bf', '#fbbf24', '#f472b6', '#60a5fa'),
)
INK = LIGHT.ink
MUTED = LIGHT.muted
CHART_TTL_SECONDS = 600
# Sizes in points: at the images' 110 dpi, 11 pt is 17 px, readable where an email shows the picture at 560 px.
STYLE: dict[Any, Any] = {
    'text.parse_math': False,  # a show called "$5 Comedy $" is text, not TeX
    'font.size': 12,
    'axes.titlesize': 14,
    'axes.titleweight': 'bold',
    'axes.titlelocation': 'left',
    'axes.labelsize': 12,
    'axes.labelcolor': INK,
    'axes.edgecolor': '#d1d5db',
    'axes.spines.top': False,
    'axes.spines.right': False,
    'axes.axisbelow': True,
    'grid.color': LIGHT.grid,
    'xtick.color': MUTED,
    'xtick.labelsize': 11,
    'ytick.color': INK,
    'ytick.labelsize': 11,
    'legend.fontsize': 11,
    'figure.facecolor': 'white',
}
_PNG = TypeAdapter(str)
_DETAIL = TypeAdapter(summary_service.TheatreDetail)
# `rc_context` sets and restores matplotlib's global rcParams: two charts drawn at once on worker threads would
# undo each other's style (the one finishing first restores the defaults under the other), so they take turns.
_DRAWING = threading.Lock()


def _png(draw: Callable[[Figure], None], *, width: float = 8.0, height: float = 4.2) -> bytes:
    with _DRAWING, matplotlib.rc_context({**STYLE, 'font.family': list(font_families())}):
        figure = Figure(figsize=(width, height), dpi=110, layout='constrained')
        FigureCanvasAgg(figure)
        draw(figure)
        buffer = io.BytesIO()
        texts = figure.findobj(Text)
        if all(latin_covers(text.get_text()) for text in texts):
            # Every word is one DejaVu Sans draws: lay it out with that font alone, not through the fallback list
            # of a dozen families (a third of a monthly chart's time); labels made while saving follow the rc.
            for text in texts:
                text.set_fontfamily([LATIN])
            with matplotlib.rc_context({'font.family': [LATIN]}):
                figure.savefig(buffer, format='png')
        else:
            figure.savefig(buffer, format='png')
    return buffer.getvalue()


def _empty(figure: Figure, title: str, message: str, hint: str) -> None:
    """A chart with nothing to draw says so, instead of showing an empty axis."""
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.set_title(title, loc='left')
    axes.text(0.5, 0.56, message, ha='center', va='center', fontsize=17, color=INK, transform=axes.transAxes)
    axes.text(0.5, 0.40, hint, ha='center', va='center', fontsize=12, color=MUTED, transform=axes.transAxes)


def _money_axis(value: float, _: object) -> str:
    """An axis figure: whole currency units ('₹1,250'); the exact amounts are on the bars and in the tables."""
    return f'{get_settings().currency}{value / 100:,.0f}'


def _label(name: str, width: int = 24) -> str:
    lines = textwrap.wrap(name, width) or ['']
    return '\n'.join(lines[:2]) + ('…' if len(lines) > 2 else '')


def _local_day(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """A show's day as its theatre reads it ('12 Dec')."""
    return moment.astimezone(tz).strftime('%d %b')


def _title(figure: Figure, title: str) -> None:
    """Over the figure's left edge, above the panels (the axes of a chart with long labels start far right)."""
    figure.suptitle(title, x=0.01, ha='left', fontsize=STYLE['axes.titlesize'], fontweight='bold', color=INK)


def _label_bar_ends(axes: Any, positions: list[int], ends: list[float], texts: list[str]) -> None:
    """A small figure just past the end of each horizontal bar."""
    for position, end, text in zip(positions, ends, texts, strict=True):
        axes.annotate(
            text, (end, position), xytext=(5, 0), textcoords='offset points', va='center', fontsize=11, color=MUTED
        )


def render_sales(detail: summary_service.TheatreDetail) -> bytes:
    """Tickets sold per show, each bar drawn over the tickets the show offers."""
    title = f'Tickets sold per show · {detail.name}'
    shows = detail.top_shows
    if not shows:
        return _png(lambda f: _empty(f, title, 'No shows yet', 'Add a show to see its sales here.'))
    if len(shows) < detail.shows:
        title += f' (best {len(shows)} of {detail.shows:,})'
    tz = theatre_tz(detail.timezone)

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        positions = list(range(len(shows)))[::-1]  # the best seller on top
        axes.barh(
            positions, [s.num_tickets for s in shows], color=LIGHT.primary_soft, height=0.7, label='Tickets offered'
        )
        axes.barh(positions, [s.tickets_sold for s in shows], color=LIGHT.primary, height=0.7, label='Tickets sold')
        axes.set_yticks(positions, labels=[f'{_label(s.name)}\n{_local_day(s.starts_at, tz)}' for s in shows])
        _label_bar_ends(
            axes, positions, [s.num_tickets for s in shows], [f'{s.tickets_sold:,} / {s.num_tickets:,}' for s in shows]
        )
        axes.set_xlabel('Tickets')
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlim(0, max(s.num_tickets for s in shows) * 1.22)
        axes.grid(axis='x')
        _title(figure, title)
        figure.legend(loc='outside lower right', ncols=2, frameon=False, reverse=True)  # sold first

    return _png(draw, height=max(3.2, 1.5 + 0.62 * len(shows)))


def render_trend(detail: summary_service.TheatreDetail) -> bytes:
    """Bookings per day over the last 30 days: tickets booked above, the day's revenue below, on one time axis
    (two panels with their own scales, rather than a line on a second axis over the bars)."""
    title = f'Bookings per day · {detail.name} · last {len(detail.days)} days'
    if not any(day.bookings for day in detail.days):
        return _png(lambda f: _empty(f, title, 'No bookings yet', 'Bookings of the last 30 days appear here.'))

    def draw(figure: Figure) -> None:
        tickets, revenue = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
        days = list(range(len(detail.days)))
        tickets.bar(days, [day.tickets for day in detail.days], color=LIGHT.primary, width=0.75)
        tickets.set_title('Tickets booked', fontsize=12, color=INK)
        tickets.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        revenue.bar(days, [day.revenue_cents for day in detail.days], color=LIGHT.secondary, width=0.75)
        revenue.set_title('Revenue', fontsize=12, color=INK)
        revenue.yaxis.set_major_formatter(FuncFormatter(_money_axis))
        revenue.yaxis.set_major_locator(MaxNLocator(nbins=3))
        for axes in (tickets, revenue):
            axes.grid(axis='y')
            axes.set_ylim(bottom=0)
        revenue.set_xticks(days[::5], labels=[day.day.strftime('%d %b') for day in detail.days[::5]])
        _title(figure, title)

    return _png(draw, height=4.8)


def render_comparison(figures: summary_service.Summary) -> bytes:
    """Revenue per theatre, each bar labelled with its occupancy."""
    title = 'Revenue by theatre'
    theatres = figures.theatres[:15]
    if not theatres:
        return _png(lambda f: _empty(f, title, 'No theatres yet', 'Add a theatre on the dashboard.'))
    if not any(t.revenue_cents for t in theatres):
        return _png(lambda f: _empty(f, title, 'No bookings yet', 'Revenue appears here once people book.'))
    if len(theatres) < len(figures.theatres):
        title += f' (best {len(theatres)} of {len(figures.theatres):,})'

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        positions = list(range(len(theatres)))[::-1]
        axes.barh(positions, [t.revenue_cents for t in theatres], color=LIGHT.primary, height=0.6)
        axes.set_yticks(positions, labels=[f'{_label(t.name)}\n{_label(t.place)}' for t in theatres])
        _label_bar_ends(
            axes,
            positions,
            [t.revenue_cents for t in theatres],
            [f'{money(t.revenue_cents)} · {_full(t)}' for t in theatres],
        )
        axes.set_xlim(0, max(t.revenue_cents for t in theatres) * 1.45)
        axes.xaxis.set_major_formatter(FuncFormatter(_money_axis))
        axes.xaxis.set_major_locator(MaxNLocator(4))
        axes.set_xlabel('Revenue (confirmed bookings)')
        axes.grid(axis='x')
        _title(figure, title)

    return _png(draw, height=max(3.2, 1.4 + 0.62 * len(theatres)))


def _full(theatre: summary_service.TheatreSummary) -> str:
    """'6% full'; a theatre whose shows offer no tickets (all called off) is not '0% full'."""
    if not theatre.tickets_offered:
        return 'no tickets offered'
    return f'{percent(theatre.tickets_sold, theatre.tickets_offered)} full'


def _cached_png(key: str, namespaces: list[str], render: Callable[[], bytes]) -> bytes:
    text = cached(key, namespaces, lambda: base64.b64encode(render()).decode(), _PNG, ttl=CHART_TTL_SECONDS)
    return base64.b64decode(text)


def _detail(session: Session, actor_id: int, theatre: Theatre) -> summary_service.TheatreDetail:
    """What the theatre's charts draw, cached as long as its images are."""
    return cached(
        f'chart-data:{theatre.id}',
        [f'theatre:{theatre.id}'],
        lambda: summary_service.theatre_detail(session, actor_id=actor_id, theatre_id=theatre.id),
        _DETAIL,
        ttl=CHART_TTL_SECONDS,
    )


def theatre_chart_data(session: Session, *, actor_id: int, theatre_id: int) -> summary_service.TheatreDetail:
    """A theatre's best-selling shows and bookings per day (what the summary page charts), for its manager or an
    admin."""
    return _detail(session, actor_id, managed_theatre(session, load_actor(session, actor_id), theatre_id))


def theatre_chart(session: Session, *, actor_id: int, theatre_id: int, kind: str) -> bytes:
    """A theatre's `trend` (bookings per day) or `sales` (per show) chart, for its manager or an admin."""
    if kind not in ('trend', 'sales'):
        raise ValueError(f'unknown chart {kind!r}')
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)
    render = render_trend if kind == 'trend' else render_sales
    return _cached_png(
        f'chart:{kind}:{theatre.id}', [f'theatre:{theatre.id}'], lambda: render(_detail(session, actor_id, theatre))
    )


def comparison_chart(session: Session, *, actor_id: int) -> bytes:
    """The theatres of the actor (an admin: all) side by side; the key names the person."""
    figures = summary_service.summary(session, actor_id=actor_id)
    return _cached_png(
        f'chart:comparison:{actor_id}', ['listing', 'sales', 'theatres'], lambda: render_comparison(figures)
    )


def render_month_trend(month_label: str, days: list[dt.date], series: dict[str, dict[dt.date, int]]) -> bytes:
    """Tickets booked per day of one month, a line per theatre (the five busiest), for the monthly report."""
    title = f'Tickets booked per day · {month_label}'
    busiest = sorted(series.items(), key=lambda item: -sum(item[1].values()))[:5]
    if not any(sum(counts.values()) for _, counts in busiest):
        return _png(lambda f: _empty(f, title, 'No bookings this month', 'Next month may be busier.'), height=3.0)

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        positions = list(range(len(days)))
        for colour, (name, counts) in zip(LIGHT.series, busiest, strict=False):
            axes.plot(
                positions,
                [counts.get(day, 0) for day in days],
                color=colour,
                linewidth=2.2,
                marker='o',
                ms=3.5,
                label=_label(name, 30),
            )
        axes.set_xticks(positions[::4], labels=[day.strftime('%d %b') for day in days[::4]])
        axes.set_ylabel('Tickets booked')
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
        axes.grid(axis='y')
        _title(figure, title)
        figure.legend(loc='outside lower center', ncols=min(3, len(busiest)), frameon=False)

    return _png(draw)
