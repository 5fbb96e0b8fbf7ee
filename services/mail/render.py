"""The words and HTML of each email: the daily reminder, an audience member's and a manager's monthly report.

Each `render_*` takes a recipient and the figures of `content` and returns the subject, a plain-text
body and an HTML body (tables and inline styles that mail clients display). Every piece of user text
is escaped before it goes into HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from services.formats import money, when
from services.mail.content import AudienceReport, ManagerReport, Pick, Recipient
from services.mail.months import month_name

BRAND = '#4c1d95'


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str, *, footer: str) -> str:
    return (
        '<!doctype html><html><body style="margin:0;background:#f5f3ff;font-family:Arial,Helvetica,sans-serif;'
        'color:#1f2937">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">'
        '<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;'
        'background:#ffffff;margin:16px 0;border-radius:8px">'
        f'<tr><td style="background:{BRAND};color:#ffffff;padding:16px 24px;font-size:20px;font-weight:bold;'
        f'border-radius:8px 8px 0 0">TicketShow</td></tr>'
        f'<tr><td style="padding:24px"><h1 style="font-size:20px;margin:0 0 16px">{_e(title)}</h1>{body}</td></tr>'
        '<tr><td style="padding:16px 24px;font-size:12px;color:#6b7280;border-top:1px solid #e5e7eb">'
        f'{footer}</td></tr>'
        '</table></td></tr></table></body></html>'
    )


def _table(headers: list[str], rows: list[list[str]], *, right: frozenset[int] = frozenset()) -> str:
    def cell(tag: str, value: str, index: int) -> str:
        align = 'right' if index in right else 'left'
        return f'<{tag} style="text-align:{align};padding:6px 8px;border-bottom:1px solid #e5e7eb">{value}</{tag}>'

    head = ''.join(cell('th', _e(h), i) for i, h in enumerate(headers))
    body = ''.join('<tr>' + ''.join(cell('td', v, i) for i, v in enumerate(row)) + '</tr>' for row in rows)
    return (
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        f'style="border-collapse:collapse;font-size:14px;margin:0 0 16px"><tr>{head}</tr>{body}</table>'
    )


def _footer(*, kind_text: str, unsubscribe_url: str, account_url: str) -> tuple[str, str]:
    text = (
        f'You get {kind_text} because you asked for them on TicketShow.\n'
        f'Stop them (no login needed): {unsubscribe_url}\nChoose what you get: {account_url}\n'
    )
    html_text = (
        f'You get {_e(kind_text)} because you asked for them on TicketShow. '
        f'<a href="{_e(unsubscribe_url)}" style="color:{BRAND}">Stop them</a> · '
        f'<a href="{_e(account_url)}" style="color:{BRAND}">choose what you get</a>'
    )
    return text, html_text


def render_reminder(recipient: Recipient, picks: list[Pick], *, base_url: str, unsubscribe_url: str) -> Rendered:
    first = recipient.name.split()[0] if recipient.name.split() else recipient.name
    intro = f'Hello {first}, here are a few shows coming up that we think you will like.'
    lines = [
        f'- {p.name} at {p.theatre}, {p.place}: {when(p.starts_at)}, {money(p.price_cents)}, '
        f'{p.tickets_left:,} tickets left. {base_url}/shows/{p.show_id}'
        for p in picks
    ]
    footer_text, footer_html = _footer(
        kind_text='daily reminders', unsubscribe_url=unsubscribe_url, account_url=f'{base_url}/account'
    )
    text = '\n'.join([intro, '', *lines, '', f'All shows: {base_url}/', '', footer_text])
    cards = ''.join(
        f'<tr><td style="padding:10px 0;border-bottom:1px solid #e5e7eb">'
        f'<a href="{_e(base_url)}/shows/{p.show_id}" style="font-size:16px;font-weight:bold;color:{BRAND};'
        f'text-decoration:none">{_e(p.name)}</a><br>'
        f'<span style="font-size:14px">{_e(p.theatre)} · {_e(p.place)} · {_e(when(p.starts_at))}</span><br>'
        f'<span style="font-size:14px">{_e(money(p.price_cents))} · {p.tickets_left:,} tickets left</span></td></tr>'
        for p in picks
    )
    body = (
        f'<p style="font-size:14px">{_e(intro)}</p>'
        f'<table role="presentation" width="100%" cellpadding="0" cellspacing="0">{cards}</table>'
        f'<p style="margin-top:20px"><a href="{_e(base_url)}/" style="background:{BRAND};color:#ffffff;'
        f'padding:10px 16px;border-radius:6px;text-decoration:none;font-weight:bold">See all shows</a></p>'
    )
    return Rendered('Shows coming up for you', text, _page('Shows coming up for you', body, footer=footer_html))


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
        f'{len(report.bookings)} booking(s), {report.tickets} ticket(s), {money(report.total_cents)} in all.'
        if report.bookings
        else 'No bookings this month.'
    )
    text_lines = [title, '', summary, '']
    body = f'<p style="font-size:14px">{_e(summary)}</p>'
    if report.bookings:
        text_lines += ['Bookings:'] + [
            f'- {b.show} at {b.theatre}, {when(b.starts_at)}: {b.tickets} ticket(s), {money(b.total_cents)}'
            for b in report.bookings
        ]
        body += _table(
            ['Show', 'Theatre', 'Date', 'Tickets', 'Amount'],
            [
                [_e(b.show), _e(b.theatre), _e(when(b.starts_at)), str(b.tickets), _e(money(b.total_cents))]
                for b in report.bookings
            ]
            + [['<b>Total</b>', '', '', f'<b>{report.tickets}</b>', f'<b>{_e(money(report.total_cents))}</b>']],
            right=frozenset({3, 4}),
        )
        text_lines += [f'Total: {report.tickets} ticket(s), {money(report.total_cents)}', '']
    if report.ratings:
        text_lines += ['Shows you rated:'] + [f'- {r.show} at {r.theatre}: {r.score}/5' for r in report.ratings]
        body += '<h2 style="font-size:16px">Shows you rated</h2>' + _table(
            ['Show', 'Theatre', 'Your rating'],
            [[_e(r.show), _e(r.theatre), '★' * r.score + '☆' * (5 - r.score)] for r in report.ratings],
        )
        text_lines.append('')
    footer_text, footer_html = _footer(
        kind_text='monthly reports', unsubscribe_url=unsubscribe_url, account_url=f'{base_url}/account'
    )
    text_lines += [f'Your bookings: {base_url}/bookings', '', footer_text]
    return Rendered(title, '\n'.join(text_lines), _page(title, body, footer=footer_html))


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
        f'{report.total("bookings")} booking(s), {report.total("tickets")} ticket(s), '
        f'{money(report.total("revenue_cents"))} revenue across {len(report.theatres)} theatre(s).'
    )
    text_lines = [title, '', totals, '']
    rows = []
    for t in report.theatres:
        occupancy = f'{t.occupancy:.0%}' if t.occupancy is not None else 'no shows'
        text_lines.append(
            f'{t.name} ({t.place}): {t.tickets} ticket(s), {money(t.revenue_cents)}, '
            f"occupancy of the month's {t.performances} show(s): {occupancy}"
        )
        text_lines += [
            f'  best: {s.name}, {when(s.starts_at)}: {s.tickets} ticket(s), {money(s.revenue_cents)}' for s in t.best
        ]
        best = '<br>'.join(f'{_e(s.name)} ({s.tickets})' for s in t.best) or '—'
        rows.append(
            [f'<b>{_e(t.name)}</b><br>{_e(t.place)}', str(t.tickets), _e(money(t.revenue_cents)), occupancy, best]
        )
    body = (
        f'<p style="font-size:14px">{_e(totals)}</p>'
        + _table(['Theatre', 'Tickets', 'Revenue', 'Occupancy', 'Best shows'], rows, right=frozenset({1, 2, 3}))
        + f'<img src="cid:{_e(chart_cid)}" alt="Tickets booked per day in {_e(month_name(month))}" width="560" '
        'style="max-width:100%;height:auto;border:1px solid #e5e7eb;border-radius:6px">'
        f'<p style="font-size:12px;color:#6b7280">Occupancy: seats sold of seats offered for the shows that took '
        f'place in {_e(month_name(month))}.</p>'
        f'<p><a href="{_e(base_url)}/summary" style="color:{BRAND}">Open your summary</a></p>'
    )
    footer_text, footer_html = _footer(
        kind_text='monthly reports', unsubscribe_url=unsubscribe_url, account_url=f'{base_url}/account'
    )
    text_lines += ['', f'Your summary: {base_url}/summary', '', footer_text]
    return Rendered(title, '\n'.join(text_lines), _page(title, body, footer=footer_html))
