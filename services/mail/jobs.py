"""The two mail jobs, the daily reminder and the monthly reports, run by the scheduler, the CLI or an admin.

Each job reads its recipients a page at a time (`content`), and for each person a builder that
renders the email (`render`) only once the runner has claimed that person's delivery; `runner`
does the sending, once per person and period. The emails are written straight to their bytes
(`wire`), the unsubscribe secret is read once per run (`links.unsubscribe_links`), and a page
with many managers has their charts drawn in a pool while the page's other emails go (`chart_pool`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from models import MailKind, Role
from models.db import session_scope, utcnow
from services.config import Settings, get_settings
from services.mail import content, months, render
from services.mail.chart_pool import POOL_FROM, ChartPool
from services.mail.links import unsubscribe_links
from services.mail.runner import Outgoing, RunResult, run
from services.mail.transport import InlineImage, Mailer, Wire, compose
from services.mail.wire import compose_wire

Links = Callable[[int], str]  # a person's unsubscribe link for the run's kind of email

# delivery kind → preference and unsubscribe kind
JOB_KINDS = {MailKind.REMINDER: 'reminders', MailKind.REPORT: 'reports'}


def send_reminders(
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    trigger: str = 'cli',
    mailer: Mailer | None = None,
    settings: Settings | None = None,
) -> RunResult:
    """Remind every audience member who has booked nothing in the last window of a few shows that fit them."""
    settings = settings or get_settings()
    now = now or utcnow()
    since = now - dt.timedelta(hours=settings.reminder_window_hours)
    links = unsubscribe_links(settings, 'reminders')

    def pages() -> Iterator[list[Outgoing]]:
        after = 0
        with session_scope() as session:
            popular = content.popular_soon(session, now=now)
        while True:
            with session_scope() as session:
                people = content.recipients_page(
                    session,
                    roles=(Role.USER,),
                    wants='wants_reminders',
                    after_id=after,
                    extra=~content.booked_since(since),
                )
                picks = {
                    p.user_id: content.picks_for(session, user_id=p.user_id, now=now, popular=popular) for p in people
                }
            if not people:
                return
            after = people[-1].user_id
            yield [
                Outgoing(
                    p.user_id, _reminder_builder(p, picks[p.user_id], settings, links) if picks[p.user_id] else None
                )
                for p in people
            ]

    period = months.reminder_period(now, settings.tz)
    return run(MailKind.REMINDER, period, pages(), dry_run=dry_run, trigger=trigger, mailer=mailer, settings=settings)


def _reminder_builder(
    person: content.Recipient, picks: list[content.Pick], settings: Settings, links: Links
) -> Callable[[], Wire | EmailMessage]:
    def build() -> Wire | EmailMessage:
        unsubscribe = links(person.user_id)
        rendered = render.render_reminder(person, picks, base_url=settings.base_url, unsubscribe_url=unsubscribe)
        return _message(settings, person, rendered, unsubscribe)

    return build


def send_monthly_reports(
    *,
    month: str | None = None,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    trigger: str = 'cli',
    mailer: Mailer | None = None,
    settings: Settings | None = None,
) -> RunResult:
    """Last month's report (or `month`'s, YYYY-MM) to every audience member and manager who wants one."""
    settings = settings or get_settings()
    now = now or utcnow()
    month = month or months.previous_month(now, settings.tz)
    months.parse_month(month)
    tz = settings.tz
    links = unsubscribe_links(settings, 'reports')
    pool = ChartPool()

    def pages() -> Iterator[list[Outgoing]]:
        after = 0
        while True:
            with session_scope() as session:
                people = content.recipients_page(
                    session, roles=(Role.USER, Role.MANAGER), wants='wants_reports', after_id=after
                )
                ids = [p.user_id for p in people]
                audience = content.audience_reports(
                    session, [p.user_id for p in people if p.role == Role.USER], month, tz
                )
                managers = content.manager_reports(
                    session, [p.user_id for p in people if p.role == Role.MANAGER], month, tz, settings.tz_name
                )
            if not ids:
                return
            after = ids[-1]
            pooled = len(managers) >= POOL_FROM
            batch = []
            for person in people:
                if person.role == Role.USER and person.user_id in audience:
                    batch.append(
                        Outgoing(
                            person.user_id, _audience_builder(person, audience[person.user_id], month, settings, links)
                        )
                    )
                elif person.role == Role.MANAGER and person.user_id in managers:
                    chart = _Chart(pool, person.user_id, month, managers[person.user_id])
                    build = _manager_builder(person, managers[person.user_id], month, settings, links, chart)
                    batch.append(Outgoing(person.user_id, build, chart.start if pooled else None))
                else:
                    batch.append(Outgoing(person.user_id, None))
            yield batch

    try:
        return run(MailKind.REPORT, month, pages(), dry_run=dry_run, trigger=trigger, mailer=mailer, settings=settings)
    finally:
        pool.close()


def _audience_builder(
    person: content.Recipient, report: content.AudienceReport, month: str, settings: Settings, links: Links
) -> Callable[[], Wire | EmailMessage]:
    def build() -> Wire | EmailMessage:
        unsubscribe = links(person.user_id)
        rendered = render.render_audience_report(
            person, report, month=month, base_url=settings.base_url, unsubscribe_url=unsubscribe
        )
        return _message(settings, person, rendered, unsubscribe)

    return build


@dataclass(frozen=True)
class _Chart:
    """A manager's chart of the month: started in the run's pool (`start`), or drawn when the email is built."""

    pool: ChartPool
    user_id: int
    month: str
    report: content.ManagerReport

    def _arguments(self) -> tuple[str, list[dt.date], dict[str, dict[dt.date, int]]]:
        series = {t.name: t.per_day for t in self.report.theatres}
        return months.month_name(self.month), months.month_days(self.month), series

    def start(self) -> None:
        self.pool.start(self.user_id, *self._arguments())

    def png(self) -> bytes:
        return self.pool.png(self.user_id, *self._arguments())


def _manager_builder(
    person: content.Recipient,
    report: content.ManagerReport,
    month: str,
    settings: Settings,
    links: Links,
    chart: _Chart,
) -> Callable[[], Wire | EmailMessage]:
    def build() -> Wire | EmailMessage:
        unsubscribe = links(person.user_id)
        png = chart.png()
        cid = f'trend-{person.user_id}-{month}@ticketshow'
        rendered = render.render_manager_report(
            person, report, month=month, base_url=settings.base_url, unsubscribe_url=unsubscribe, chart_cid=cid
        )
        return _message(settings, person, rendered, unsubscribe, images=(InlineImage(cid, png),))

    return build


def _message(
    settings: Settings,
    person: content.Recipient,
    rendered: render.Rendered,
    unsubscribe: str,
    *,
    images: tuple[InlineImage, ...] = (),
) -> Wire | EmailMessage:
    """The email as bytes for the wire; an internationalized address (SMTPUTF8) takes the standard library's way."""
    write = compose_wire if person.email.isascii() and parseaddr(settings.sender)[1].isascii() else compose
    return write(
        sender=settings.sender,
        to=person.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        images=images,
        unsubscribe_url=unsubscribe,
    )
