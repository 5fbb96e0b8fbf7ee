"""Charts as PNG: matplotlib `Figure`s on the Agg canvas (no pyplot global state), cached until their data changes.

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
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from services import summary as summary_service
from services.access import managed_theatre
from services.auth import load_actor
from services.cache import cached
from services.config import get_settings

PRIMARY = '#4c1d95'
PRIMARY_LIGHT = '#ddd6fe'
SECONDARY = '#0f766e'
INK = '#1f2937'
MUTED = '#6b7280'
CHART_TTL_SECONDS = 600
STYLE: dict[Any, Any] = {
    'text.parse_math': False,  # a show called "$5 Comedy $" is text, not TeX
    'font.size': 10,
    'axes.titlesize': 13,
    'axes.titleweight': 'bold',
    'axes.titlelocation': 'left',
    'axes.labelcolor': INK,
    'axes.edgecolor': '#d1d5db',
    'axes.spines.top': False,
    'axes.spines.right': False,
    'xtick.color': MUTED,
    'ytick.color': INK,
    'figure.facecolor': 'white',
}
_PNG = TypeAdapter(str)
# `rc_context` sets and restores matplotlib's global rcParams: two charts drawn at once on worker threads would
# undo each other's style (the one finishing first restores the defaults under the other), so they take turns.
_DRAWING = threading.Lock()


def _png(draw: Callable[[Figure], None], *, width: float = 8.0, height: float = 4.2) -> bytes:
    with _DRAWING, matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(width, height), dpi=110, layout='constrained')
        FigureCanvasAgg(figure)
        draw(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format='png')
    return buffer.getvalue()


def _empty(figure: Figure, title: str, message: str, hint: str) -> None:
    """A chart with nothing to draw says so, instead of showing an empty axis."""
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.set_title(title, loc='left')
    axes.text(0.5, 0.56, message, ha='center', va='center', fontsize=16, color=INK, transform=axes.transAxes)
    axes.text(0.5, 0.42, hint, ha='center', va='center', fontsize=10, color=MUTED, transform=axes.transAxes)


def _money(cents: float) -> str:
    return f'{get_settings().currency}{cents / 100:,.0f}'


def _label(name: str, width: int = 24) -> str:
    lines = textwrap.wrap(name, width) or ['']
    return '\n'.join(lines[:2]) + ('…' if len(lines) > 2 else '')


def _local_day(moment: dt.datetime) -> str:
    return moment.astimezone(get_settings().tz).strftime('%d %b')


def _label_bar_ends(axes: Any, positions: list[int], ends: list[float], texts: list[str]) -> None:
    """A small grey figure just past the end of each horizontal bar."""
    for position, end, text in zip(positions, ends, texts, strict=True):
        axes.annotate(
            text, (end, position), xytext=(4, 0), textcoords='offset points', va='center', fontsize=8, color=MUTED
        )


def render_sales(detail: summary_service.TheatreDetail) -> bytes:
    """Tickets sold per show, each bar drawn over the tickets the show offers."""
    title = f'Tickets sold per show · {detail.name}'
    shows = detail.top_shows
    if not shows:
        return _png(lambda f: _empty(f, title, 'No shows yet', 'Add a show to see its sales here.'))
    if len(shows) < detail.shows:
        title += f' (best {len(shows)} of {detail.shows:,})'

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        positions = list(range(len(shows)))[::-1]  # the best seller on top
        axes.barh(positions, [s.num_tickets for s in shows], color=PRIMARY_LIGHT, label='Tickets offered')
        axes.barh(positions, [s.tickets_sold for s in shows], color=PRIMARY, label='Tickets sold', height=0.55)
        axes.set_yticks(positions, labels=[f'{_label(s.name)}\n{_local_day(s.starts_at)}' for s in shows])
        _label_bar_ends(
            axes, positions, [s.num_tickets for s in shows], [f'{s.tickets_sold:,} / {s.num_tickets:,}' for s in shows]
        )
        axes.set_xlabel('Tickets')
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlim(0, max(s.num_tickets for s in shows) * 1.18)
        axes.set_title(title)
        figure.legend(loc='outside lower right', ncols=2, frameon=False, fontsize=8)

    return _png(draw, height=max(3.0, 1.2 + 0.55 * len(shows)))


def render_trend(detail: summary_service.TheatreDetail) -> bytes:
    """Tickets booked per day over the last 30 days, with the revenue per day as a line."""
    title = f'Bookings per day · {detail.name} · last {len(detail.days)} days'
    if not any(day.bookings for day in detail.days):
        return _png(lambda f: _empty(f, title, 'No bookings yet', 'Bookings of the last 30 days appear here.'))

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        days = list(range(len(detail.days)))
        axes.bar(days, [day.tickets for day in detail.days], color=PRIMARY, label='Tickets booked', width=0.8)
        axes.set_ylabel('Tickets booked')
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        revenue = axes.twinx()
        revenue.plot(
            days, [day.revenue_cents for day in detail.days], color=SECONDARY, marker='o', ms=3, label='Revenue'
        )
        revenue.set_ylabel('Revenue')
        revenue.set_ylim(bottom=0)
        revenue.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _money(value)))
        revenue.spines['right'].set_visible(True)
        axes.set_xticks(days[::5], labels=[day.day.strftime('%d %b') for day in detail.days[::5]])
        axes.set_title(title)
        handles = axes.get_legend_handles_labels()
        more = revenue.get_legend_handles_labels()
        figure.legend(
            handles[0] + more[0], handles[1] + more[1], loc='outside lower right', ncols=2, frameon=False, fontsize=8
        )

    return _png(draw)


def render_comparison(figures: summary_service.Summary) -> bytes:
    """Revenue per theatre, each bar labelled with its occupancy."""
    title = 'Revenue by theatre'
    theatres = figures.theatres[:15]
    if not theatres:
        return _png(lambda f: _empty(f, title, 'No theatres yet', 'Add a theatre on the dashboard.'))
    if not any(t.revenue_cents for t in theatres):
        return _png(lambda f: _empty(f, title, 'No bookings yet', 'Revenue appears here once people book.'))

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        positions = list(range(len(theatres)))[::-1]
        axes.barh(positions, [t.revenue_cents for t in theatres], color=PRIMARY, height=0.6)
        axes.set_yticks(positions, labels=[f'{_label(t.name)}\n{_label(t.place)}' for t in theatres])
        _label_bar_ends(
            axes,
            positions,
            [t.revenue_cents for t in theatres],
            [f'{_money(t.revenue_cents)} · {t.occupancy:.0%} full' for t in theatres],
        )
        axes.set_xlim(0, max(t.revenue_cents for t in theatres) * 1.35)
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: _money(value)))
        axes.xaxis.set_major_locator(MaxNLocator(5))
        axes.set_xlabel('Revenue (confirmed bookings)')
        axes.set_title(title)

    return _png(draw, height=max(3.0, 1.2 + 0.55 * len(theatres)))


def _cached_png(key: str, namespaces: list[str], render: Callable[[], bytes]) -> bytes:
    text = cached(key, namespaces, lambda: base64.b64encode(render()).decode(), _PNG, ttl=CHART_TTL_SECONDS)
    return base64.b64decode(text)


def theatre_chart(session: Session, *, actor_id: int, theatre_id: int, kind: str) -> bytes:
    """A theatre's `trend` (bookings per day) or `sales` (per show) chart, for its manager or an admin."""
    if kind not in ('trend', 'sales'):
        raise ValueError(f'unknown chart {kind!r}')
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)
    render = render_trend if kind == 'trend' else render_sales

    def draw() -> bytes:
        return render(summary_service.theatre_detail(session, actor_id=actor_id, theatre_id=theatre.id))

    return _cached_png(f'chart:{kind}:{theatre.id}', [f'theatre:{theatre.id}'], draw)


def comparison_chart(session: Session, *, actor_id: int) -> bytes:
    """The theatres of the actor (an admin: all) side by side; the key names the person."""
    figures = summary_service.summary(session, actor_id=actor_id)
    return _cached_png(f'chart:comparison:{actor_id}', ['listing', 'theatres'], lambda: render_comparison(figures))


def render_month_trend(month_label: str, days: list[dt.date], series: dict[str, dict[dt.date, int]]) -> bytes:
    """Tickets booked per day of one month, a line per theatre (the five busiest), for the monthly report."""
    title = f'Tickets booked per day · {month_label}'
    busiest = sorted(series.items(), key=lambda item: -sum(item[1].values()))[:5]
    if not any(sum(counts.values()) for _, counts in busiest):
        return _png(lambda f: _empty(f, title, 'No bookings this month', 'Next month may be busier.'), height=3.0)
    colours = [PRIMARY, SECONDARY, '#d97706', '#be185d', '#2563eb']

    def draw(figure: Figure) -> None:
        axes = figure.add_subplot()
        positions = list(range(len(days)))
        for colour, (name, counts) in zip(colours, busiest, strict=False):
            axes.plot(
                positions, [counts.get(day, 0) for day in days], color=colour, marker='o', ms=3, label=_label(name, 30)
            )
        axes.set_xticks(positions[::4], labels=[day.strftime('%d %b') for day in days[::4]])
        axes.set_ylabel('Tickets booked')
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(title)
        figure.legend(loc='outside lower center', ncols=min(3, len(busiest)), frameon=False, fontsize=8)

    return _png(draw)
