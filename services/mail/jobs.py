"""The two mail jobs, the daily reminder and the monthly reports, run by the scheduler, the CLI or an admin.

Each job reads its recipients a page at a time (`content`), and for each person a builder that
renders the email (`render`) only once the runner has claimed that person's delivery; `runner`
does the sending, once per person and period.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from email.message import EmailMessage

from models import MailKind, Role
from models.db import session_scope, utcnow
from services import charts
from services.config import Settings, get_settings
from services.mail import content, months, render
from services.mail.links import unsubscribe_url
from services.mail.runner import Outgoing, RunResult, run
from services.mail.transport import InlineImage, Mailer, compose

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
                Outgoing(p.user_id, _reminder_builder(p, picks[p.user_id], settings) if picks[p.user_id] else None)
                for p in people
            ]

    period = months.reminder_period(now, settings.tz)
    return run(MailKind.REMINDER, period, pages(), dry_run=dry_run, trigger=trigger, mailer=mailer, settings=settings)


def _reminder_builder(
    person: content.Recipient, picks: list[content.Pick], settings: Settings
) -> Callable[[], EmailMessage]:
    def build() -> EmailMessage:
        unsubscribe = unsubscribe_url(settings, person.user_id, 'reminders')
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
            batch = []
            for person in people:
                if person.role == Role.USER and person.user_id in audience:
                    build = _audience_builder(person, audience[person.user_id], month, settings)
                elif person.role == Role.MANAGER and person.user_id in managers:
                    build = _manager_builder(person, managers[person.user_id], month, settings)
                else:
                    build = None
                batch.append(Outgoing(person.user_id, build))
            yield batch

    return run(MailKind.REPORT, month, pages(), dry_run=dry_run, trigger=trigger, mailer=mailer, settings=settings)


def _audience_builder(
    person: content.Recipient, report: content.AudienceReport, month: str, settings: Settings
) -> Callable[[], EmailMessage]:
    def build() -> EmailMessage:
        unsubscribe = unsubscribe_url(settings, person.user_id, 'reports')
        rendered = render.render_audience_report(
            person, report, month=month, base_url=settings.base_url, unsubscribe_url=unsubscribe
        )
        return _message(settings, person, rendered, unsubscribe)

    return build


def _manager_builder(
    person: content.Recipient, report: content.ManagerReport, month: str, settings: Settings
) -> Callable[[], EmailMessage]:
    def build() -> EmailMessage:
        unsubscribe = unsubscribe_url(settings, person.user_id, 'reports')
        days = months.month_days(month)
        chart = charts.render_month_trend(months.month_name(month), days, {t.name: t.per_day for t in report.theatres})
        cid = f'trend-{person.user_id}-{month}@ticketshow'
        rendered = render.render_manager_report(
            person, report, month=month, base_url=settings.base_url, unsubscribe_url=unsubscribe, chart_cid=cid
        )
        return _message(settings, person, rendered, unsubscribe, images=(InlineImage(cid, chart),))

    return build


def _message(
    settings: Settings,
    person: content.Recipient,
    rendered: render.Rendered,
    unsubscribe: str,
    *,
    images: tuple[InlineImage, ...] = (),
) -> EmailMessage:
    return compose(
        sender=settings.sender,
        to=person.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        images=images,
        unsubscribe_url=unsubscribe,
    )
