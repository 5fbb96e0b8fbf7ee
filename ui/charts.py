"""The summary's interactive charts (ECharts, through `ui.echart`): option dicts built from the plain data the
services return (services.summary), in the palette of the chart images (services.charts), light or dark.

Tooltips name every figure as the pages do (money as `services.formats.money`); the legend switches a series
off and on; charts fill their card's width and redraw at its size. A tooltip is HTML, so the one text in it that
people typed, a show's or theatre's name, is escaped here; axis labels are drawn on the canvas, never parsed.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from nicegui import app, ui
from nicegui.events import ValueChangeEventArguments

from services.charts import DARK, LIGHT, Palette
from services.config import get_settings
from services.formats import local, money, theatre_tz, when
from services.summary import ShowSales, Summary, TheatreDetail, TheatreSummary
from services.words import percent, plural

Options = dict[str, Any]
# Every data item carries its tooltip (`tip`, escaped HTML); an axis tooltip shows the first shown series' item.
TOOLTIP = 'p => { const item = Array.isArray(p) ? p[0] : p; return item && item.data ? item.data.tip : ""; }'
NAME_CHARS = 28  # a longer show or theatre name is cut with '…' on the axis; the tooltip has it whole
NARROW = 520  # px: below this a chart gives its axis labels less room (a phone)
MOST_THEATRES = 15
ROW_PX = 52  # height per bar of a horizontal bar chart: two lines of label and room between them
TREND_PX = 340
MIN_PX = 220  # room for a tooltip of five lines inside the chart


def palette(dark: bool) -> Palette:
    return DARK if dark else LIGHT


def _tip(title: str, *lines: str) -> str:
    return '<br>'.join([f'<b>{html.escape(title)}</b>', *(html.escape(line) for line in lines)])


def _short(text: str, limit: int = NAME_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + '…'


def _full(sold: int, offered: int) -> str:
    return f'{percent(sold, offered)} full' if offered else 'no tickets offered'


def _base(p: Palette) -> Options:
    return {
        'backgroundColor': 'transparent',
        'textStyle': {'color': p.ink, 'fontSize': 13},
        'animationDuration': 400,
        'tooltip': {
            'trigger': 'axis',
            'axisPointer': {'type': 'shadow'},
            'confine': True,  # inside the chart: on a phone a tooltip past its edge would widen the page
            'backgroundColor': p.surface,
            'borderColor': p.grid,
            'textStyle': {'color': p.ink, 'fontSize': 13},
            # A long name wraps rather than widening the tooltip past a phone's screen.
            'extraCssText': 'white-space: normal; overflow-wrap: anywhere; max-width: min(320px, 90vw);',
            ':formatter': TOOLTIP,
        },
        'legend': {
            'top': 0,
            'left': 0,
            'itemGap': 16,
            'textStyle': {'color': p.ink, 'fontSize': 13},
            'inactiveColor': p.off,
        },
    }


def _grid(**where: Any) -> Options:
    """A plotting area whose edges hold its axis labels too (ECharts 6's replacement for `containLabel`)."""
    return {'left': 4, 'right': 8, 'outerBoundsMode': 'same', 'outerBoundsContain': 'axisLabel', **where}


def _values(p: Palette, **extra: Any) -> Options:
    return {
        'type': 'value',
        'axisLabel': {'color': p.muted, 'fontSize': 12},
        'splitLine': {'lineStyle': {'color': p.grid}},
        **extra,
    }


def _categories(p: Palette, labels: list[str], **extra: Any) -> Options:
    return {
        'type': 'category',
        'data': labels,
        'axisLabel': {'color': p.ink, 'fontSize': 12},
        'axisLine': {'lineStyle': {'color': p.grid}},
        'axisTick': {'show': False},
        **extra,
    }


def has_bookings(detail: TheatreDetail) -> bool:
    return any(day.bookings for day in detail.days)


def trend_options(detail: TheatreDetail, *, dark: bool) -> Options:
    """Bookings per day over the last 30 days: tickets booked above, revenue below, one time axis for both (two
    panels with their own scales, not a line on a second axis over the bars)."""
    p = palette(dark)
    labels = [day.day.strftime('%d %b') for day in detail.days]
    tips = [
        _tip(
            day.day.strftime('%a %d %b'),
            f'{plural(day.tickets, "ticket")} booked',
            plural(day.bookings, 'booking'),
            f'{money(day.revenue_cents)} revenue',
        )
        for day in detail.days
    ]
    options = _base(p)
    options['legend']['data'] = ['Tickets booked', 'Revenue']
    return options | {
        'axisPointer': {'link': [{'xAxisIndex': 'all'}]},
        'grid': [_grid(top=44, height='42%'), _grid(top='64%', bottom=4)],
        'xAxis': [
            _categories(p, labels, gridIndex=0, axisLabel={'show': False}),
            _categories(p, labels, gridIndex=1, axisLabel={'color': p.muted, 'fontSize': 12}),
        ],
        'yAxis': [
            _values(p, gridIndex=0, minInterval=1, splitNumber=3),
            _values(
                p,
                gridIndex=1,
                splitNumber=2,
                axisLabel={'color': p.muted, 'fontSize': 12, 'formatter': f'{get_settings().currency}{{value}}'},
            ),
        ],
        'series': [
            {
                'name': 'Tickets booked',
                'type': 'bar',
                'xAxisIndex': 0,
                'yAxisIndex': 0,
                'barMaxWidth': 18,
                'itemStyle': {'color': p.primary, 'borderRadius': [3, 3, 0, 0]},
                'data': [{'value': day.tickets, 'tip': tip} for day, tip in zip(detail.days, tips, strict=True)],
            },
            {
                'name': 'Revenue',
                'type': 'bar',
                'xAxisIndex': 1,
                'yAxisIndex': 1,
                'barMaxWidth': 18,
                'itemStyle': {'color': p.secondary, 'borderRadius': [3, 3, 0, 0]},
                'data': [
                    {'value': day.revenue_cents / 100, 'tip': tip} for day, tip in zip(detail.days, tips, strict=True)
                ],
            },
        ],
    }


def _show_tip(show: ShowSales, tz: tzinfo) -> str:
    return _tip(
        show.name,
        when(show.starts_at, tz),
        f'{show.tickets_sold:,} of {plural(show.num_tickets, "ticket")} sold',
        _full(show.tickets_sold, show.num_tickets),
        f'{money(show.revenue_cents)} revenue',
    )


def sales_height(detail: TheatreDetail) -> int:
    return max(MIN_PX, 80 + ROW_PX * len(detail.top_shows))


def sales_options(detail: TheatreDetail, *, dark: bool) -> Options:
    """Tickets sold per show (the best sellers, best on top), each bar over the tickets the show offers."""
    p = palette(dark)
    shows = detail.top_shows
    tz = theatre_tz(detail.timezone)  # the shows' days and times as their theatre reads them
    labels = [f'{_short(show.name)}\n{local(show.starts_at, tz).strftime("%d %b")}' for show in shows]
    tips = [_show_tip(show, tz) for show in shows]
    options = _base(p)
    options['legend']['data'] = ['Tickets sold', 'Tickets offered']
    bar = {'type': 'bar', 'barWidth': '62%', 'barGap': '-100%'}  # sold drawn over offered, same place and size
    axis_label = {'color': p.ink, 'fontSize': 12, 'lineHeight': 16, 'width': 190, 'overflow': 'truncate'}
    base = options | {
        'grid': _grid(top=40, bottom=4, right=72),  # room for '1,234 / 1,500' past the longest bar
        'xAxis': _values(p, minInterval=1),
        'yAxis': _categories(p, labels, inverse=True, axisLabel=axis_label),
        'series': [
            bar
            | {
                'name': 'Tickets offered',
                'z': 1,
                'itemStyle': {'color': p.primary_soft, 'borderRadius': [0, 3, 3, 0]},
                'label': {'show': True, 'position': 'right', 'color': p.muted, 'fontSize': 12},
                'data': [
                    {'value': show.num_tickets, 'tip': tip, 'label': {'formatter': _sold_of(show)}}
                    for show, tip in zip(shows, tips, strict=True)
                ],
            },
            bar
            | {
                'name': 'Tickets sold',
                'z': 2,
                'itemStyle': {'color': p.primary, 'borderRadius': [0, 3, 3, 0]},
                'data': [{'value': show.tickets_sold, 'tip': tip} for show, tip in zip(shows, tips, strict=True)],
            },
        ],
    }
    # On a phone the bars' own figures say it: the axis's would run into each other.
    narrow = {'yAxis': {'axisLabel': {'width': 104}}, 'xAxis': {'axisLabel': {'show': False}}}
    return {'baseOption': base, 'media': [{'query': {'maxWidth': NARROW}, 'option': narrow}]}


def _sold_of(show: ShowSales) -> str:
    """The bar's end label, '12 / 100': digits only, so nothing in it reads as an ECharts `{template}`."""
    return f'{show.tickets_sold:,} / {show.num_tickets:,}'


def comparison_theatres(figures: Summary) -> list[TheatreSummary]:
    return figures.theatres[:MOST_THEATRES]


def comparison_height(figures: Summary) -> int:
    return max(MIN_PX, 40 + ROW_PX * len(comparison_theatres(figures)))


def comparison_options(figures: Summary, *, dark: bool) -> Options:
    """Revenue per theatre (best first), each bar labelled with the revenue and how full the theatre's shows are."""
    p = palette(dark)
    theatres = comparison_theatres(figures)
    labels = [f'{_short(t.name)}\n{_short(t.place)}' for t in theatres]
    options = _base(p)
    options['legend'] = {'show': False}  # one series: the title above the chart says what it is
    axis_label = {'color': p.ink, 'fontSize': 12, 'lineHeight': 16, 'width': 190, 'overflow': 'truncate'}
    base = options | {
        'grid': _grid(top=8, bottom=4, right=84),  # room for '₹1,234,500' over '85% full' past the longest bar
        'xAxis': _values(
            p,
            splitNumber=3,
            axisLabel={'color': p.muted, 'fontSize': 12, 'formatter': f'{get_settings().currency}{{value}}'},
        ),
        'yAxis': _categories(p, labels, inverse=True, axisLabel=axis_label),
        'series': [
            {
                'name': 'Revenue',
                'type': 'bar',
                'barWidth': '60%',
                'itemStyle': {'color': p.primary, 'borderRadius': [0, 3, 3, 0]},
                'label': {'show': True, 'position': 'right', 'color': p.muted, 'fontSize': 12, 'lineHeight': 16},
                'data': [
                    {
                        'value': t.revenue_cents / 100,
                        'tip': _tip(
                            t.name,
                            t.place,
                            f'{money(t.revenue_cents)} revenue',
                            f'{t.tickets_sold:,} of {plural(t.tickets_offered, "ticket")} sold · '
                            f'{_full(t.tickets_sold, t.tickets_offered)}',
                        ),
                        'label': {'formatter': _revenue_label(t)},
                    }
                    for t in theatres
                ],
            }
        ],
    }
    narrow = {'yAxis': {'axisLabel': {'width': 96}}, 'xAxis': {'axisLabel': {'show': False}}}
    return {'baseOption': base, 'media': [{'query': {'maxWidth': NARROW}, 'option': narrow}]}


def _revenue_label(theatre: TheatreSummary) -> str:
    """'₹1,250' over '6% full': narrow enough for a phone. The currency symbol is a setting, so braces in it are
    dropped (they would read as an ECharts `{template}`)."""
    text = f'{money(theatre.revenue_cents)}\n{_full(theatre.tickets_sold, theatre.tickets_offered)}'
    return text.replace('{', '').replace('}', '')


def dark_now() -> bool:
    """Whether the page is dark: the header's switch (ui/layout.py), else the person's saved choice."""
    switch = _dark_switch()
    return bool(switch.value) if switch is not None else bool(app.storage.user.get('dark', False))


def _dark_switch() -> ui.dark_mode | None:
    with_switch = ui.context.client.layout.descendants()
    return next((element for element in with_switch if isinstance(element, ui.dark_mode)), None)


def echart(build: Callable[[bool], Options], *, height: int, mark: str) -> ui.echart:
    """A chart of `build(dark)`'s options, as wide as its container, that changes palette with the page's mode."""
    chart = ui.echart(build(dark_now())).classes('w-full').style(f'height: {height}px').mark(mark)
    # The tooltip stays inside the chart (`confine`), where it was last shown even when hidden: clipped to the chart,
    # a hidden tooltip left at the right of a wide chart cannot widen the page once the screen turns narrow.
    chart.classes('overflow-hidden')
    switch = _dark_switch()

    def restyle(event: ValueChangeEventArguments[bool | None]) -> None:
        if chart.is_deleted:
            return
        chart.options.clear()
        chart.options.update(build(bool(event.value)))
        chart.update()

    if switch is not None:
        switch.on_value_change(restyle)
    return chart
