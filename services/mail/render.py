"""The words and HTML of each email: the daily reminder, an audience member's and a manager's monthly report.

Each `render_*` takes a recipient and the figures of `content` and returns the subject, a plain-text
body and an HTML body. The HTML comes from the Jinja2 templates in `templates/` (one layout, `base.html`,
with a viewport meta and a column that fits a phone; inline styles, which mail clients keep), rendered
with autoescaping, so every piece of user text is escaped; `render_html` serves other emails too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.formats import money, theatre_tz, when
from services.mail.content import AudienceReport, ManagerReport, Pick, Recipient, TheatreMonth
from services.mail.months import month_name
from services.words import percent, plural

BRAND = '#4c1d95'

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / 'templates'),
    autoescape=select_autoescape(['html']),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


# On every cell of user text: a 100-character name without a space wraps instead of widening the email.
WRAP = 'overflow-wrap:anywhere;word-break:break-word'


def occupancy(theatre: TheatreMonth) -> str:
    """'62%', '<1%', '>99%' of the month's performances; none took place: 'no performances this month'."""
    if not theatre.performances:
        return 'no performances this month'
    return percent(theatre.seats_sold, theatre.seats_offered)


def _when(moment: dt.datetime, zone: str | None = None) -> str:
    """The `when` filter: `{{ show.starts_at | when(theatre_timezone) }}` reads in the theatre's zone."""
    return when(moment, theatre_tz(zone))


_templates.filters.update(money=money, when=_when, thousands='{:,}'.format, plural=plural, occupancy=occupancy)
_templates.globals.update(brand=BRAND, wrap=WRAP)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render_html(template: str, **context: Any) -> str:
    """The HTML of one email from `templates/<template>`, with every value autoescaped.

    Jinja2 spells an escaped quote `&#34;`; it is written `&quot;` as the standard library (and the mail
    tests) do: the same character to every mail client, and no user text can produce `&#34;` itself
    (its `&` comes out as `&amp;`).
    """
    return _templates.get_template(template).render(**context).replace('&#34;', '&quot;')


def _footer_text(*, kind_text: str, unsubscribe_url: str, account_url: str) -> str:
    return (
        f'You get {kind_text} because you asked for them on TicketShow.\n'
        f'Stop them (no login needed): {unsubscribe_url}\nChoose what you get: {account_url}\n'
    )


def render_reminder(recipient: Recipient, picks: list[Pick], *, base_url: str, unsubscribe_url: str) -> Rendered:
    first = recipient.name.split()[0] if recipient.name.split() else recipient.name
    title = 'Shows coming up for you'
    intro = f'Hello {first}, here are a few shows coming up that we think you will like.'
    lines = [
        f'- {p.name} at {p.theatre}, {p.place}: {_when(p.starts_at, p.theatre_timezone)}, {money(p.price_cents)}, '
        f'{plural(p.tickets_left, "ticket")} left. {base_url}/shows/{p.show_id}'
        for p in picks
    ]
    footer = _footer_text(
        kind_text='daily reminders', unsubscribe_url=unsubscribe_url, account_url=f'{base_url}/account'
    )
    text = '\n'.join([intro, '', *lines, '', f'All shows: {base_url}/', '', footer])
    html = render_html(
        'reminder.html', title=title, intro=intro, picks=picks, base_url=base_url, unsubscribe_url=unsubscribe_url
    )
    return Rendered(title, text, html)


def render_audience_report(
    recipient: Recipient,
    report: AudienceReport,
    *,
    month: str,
    base_url: str,
    unsubscribe_url: str,
) -> Rendered:
    title = f'Your {month_name(month)} at TicketShow'
    summary = (
        f'{plural(len(report.bookings), "booking")}, {plural(report.tickets, "ticket")}, '
        f'{money(report.total_cents)} in all.'
        if report.bookings
        else 'No bookings this month.'
    )
    text_lines = [title, '', summary, '']
    if report.bookings:
        text_lines += ['Bookings, by date of the show:'] + [
            f'- {b.show} at {b.theatre}, {_when(b.starts_at, b.theatre_timezone)}: '
            f'{plural(b.tickets, "ticket")}, {money(b.total_cents)}'
            for b in report.bookings
        ]
        text_lines += [f'Total: {plural(report.tickets, "ticket")}, {money(report.total_cents)}', '']
    if report.ratings:
        text_lines += ['Shows you rated:'] + [f'- {r.show} at {r.theatre}: {r.score}/5' for r in report.ratings]
        text_lines.append('')
    footer = _footer_text(
        kind_text='monthly reports', unsubscribe_url=unsubscribe_url, account_url=f'{base_url}/account'
    )
    text_lines += [f'Your bookings: {base_url}/bookings', '', footer]
    html = render_html(
        'audience_report.html',
        title=title,
        summary=summary,
        report=report,
        base_url=base_url,
        unsubscribe_url=unsubscribe_url,
    )
    return Rendered(title, '\n'.join(text_lines), html)


def render_manager_report(
    recipient: Recipient,
    report: ManagerReport,
    *,
    month: str,
    base_url: str,
    unsubscribe_url: str,
    chart_cid: str,
) -> Rendered:
    title = f'{month_name(month)}: how your theatres did'
    totals = (
        f'{plural(report.total("bookings"), "booking")}, {plural(report.total("tickets"), "ticket")}, '
        f'{money(report.total("revenue_cents"))} revenue across {plural(len(report.theatres), "theatre")}.'
    )
    text_lines = [title, '', totals, '']
    for t in report.theatres:
        performances = (
            f"occupancy of the month's {plural(t.performances, 'performance')}: {occupancy(t)}"
            if t.performances
            else occupancy(t)
        )
        text_lines.append(
            f'{t.name} ({t.place}): {plural(t.tickets, "ticket")}, {money(t.revenue_cents)}, {performances}'
        )
        text_lines += [
            f'  best: {s.name}, {_when(s.starts_at, t.timezone)}: '
            f'{plural(s.tickets, "ticket")}, {money(s.revenue_cents)}'
            for s in t.best
        ]
    footer = _footer_text(
        kind_text='monthly reports', unsubscribe_url=unsubscribe_url, account_url=f'{base_url}/account'
    )
    text_lines += ['', f'Your summary: {base_url}/summary', '', footer]
    html = render_html(
        'manager_report.html',
        title=title,
        totals=totals,
        theatres=report.theatres,
        month=month_name(month),
        chart_cid=chart_cid,
        base_url=base_url,
        unsubscribe_url=unsubscribe_url,
    )
    return Rendered(title, '\n'.join(text_lines), html)
