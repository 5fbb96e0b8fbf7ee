"""The mail jobs: the daily reminder and the monthly reports, run by the scheduler, the CLI or an admin.

Each (person, kind, period) is sent at most once: a `MailDelivery` row is claimed (a unique insert,
or a conditional update of an earlier failure) in its own transaction before the message goes, and
marked sent right after. A second run, a second instance or a restart finds the claim and sends
nothing again; a claim whose sender died mid-send is never retried, since the message may have
gone. A refused recipient is recorded as failed and the batch goes on; a server that is down fails
the run cleanly and a later run sends exactly what is missing (failures are retried up to
`mail_max_attempts` times). People are read a page at a time; one SMTP connection serves the batch.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import JobRun, MailDelivery
from models.db import session_scope, utcnow
from services import charts, reports
from services.auth import load_actor, require_role
from services.config import Settings, get_settings
from services.errors import Invalid, NotFound
from services.mail import (
    InlineImage,
    Mailer,
    Refused,
    ServerDown,
    compose,
    mailer_for,
    unsubscribe_token,
)

log = logging.getLogger(__name__)
JOB_KINDS = {'reminder': 'reminders', 'report': 'reports'}  # delivery kind → preference and unsubscribe kind


@dataclass(frozen=True)
class Outgoing:
    """One person's email of this run, built only once its delivery is claimed."""

    user_id: int
    build: Callable[[], EmailMessage] | None  # None: nothing to send to this person this time


@dataclass(frozen=True)
class RunResult:
    run_id: int
    kind: str
    period: str
    dry_run: bool
    status: str
    sent: int
    failed: int
    skipped: int
    error: str | None

    def describe(self) -> str:
        verb = 'would send' if self.dry_run else 'sent'
        outcome = f'{verb} {self.sent}, failed {self.failed}, skipped {self.skipped}'
        return f'{self.kind} {self.period}: {outcome}' + (f' — {self.error}' if self.error else '')


def reminder_period(now: dt.datetime, settings: Settings) -> str:
    """One reminder a person per local day."""
    return now.astimezone(settings.tz).date().isoformat()


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
            popular = reports.popular_soon(session, now=now)
        while True:
            with session_scope() as session:
                people = reports.recipients_page(
                    session,
                    roles=('user',),
                    wants='wants_reminders',
                    after_id=after,
                    extra=~reports.booked_since(since),
                )
                picks = {
                    p.user_id: reports.picks_for(session, user_id=p.user_id, now=now, popular=popular) for p in people
                }
            if not people:
                return
            after = people[-1].user_id
            yield [
                Outgoing(p.user_id, _reminder_builder(p, picks[p.user_id], settings) if picks[p.user_id] else None)
                for p in people
            ]

    return _run('reminder', reminder_period(now, settings), pages(), now, dry_run, trigger, mailer, settings)


def _reminder_builder(
    person: reports.Recipient, picks: list[reports.Pick], settings: Settings
) -> Callable[[], EmailMessage]:
    def build() -> EmailMessage:
        unsubscribe = _unsubscribe_url(settings, person.user_id, 'reminders')
        rendered = reports.render_reminder(person, picks, base_url=settings.base_url, unsubscribe_url=unsubscribe)
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
    month = month or reports.previous_month(now, settings.tz)
    reports.parse_month(month)
    tz = settings.tz

    def pages() -> Iterator[list[Outgoing]]:
        after = 0
        while True:
            with session_scope() as session:
                people = reports.recipients_page(
                    session, roles=('user', 'manager'), wants='wants_reports', after_id=after
                )
                ids = [p.user_id for p in people]
                audience = reports.audience_reports(session, [p.user_id for p in people if p.role == 'user'], month, tz)
                managers = reports.manager_reports(
                    session, [p.user_id for p in people if p.role == 'manager'], month, tz, settings.tz_name
                )
            if not ids:
                return
            after = ids[-1]
            batch = []
            for person in people:
                if person.role == 'user' and person.user_id in audience:
                    build = _audience_builder(person, audience[person.user_id], month, settings)
                elif person.role == 'manager' and person.user_id in managers:
                    build = _manager_builder(person, managers[person.user_id], month, settings)
                else:
                    build = None
                batch.append(Outgoing(person.user_id, build))
            yield batch

    return _run('report', month, pages(), now, dry_run, trigger, mailer, settings)


def _audience_builder(
    person: reports.Recipient, report: reports.AudienceReport, month: str, settings: Settings
) -> Callable[[], EmailMessage]:
    def build() -> EmailMessage:
        unsubscribe = _unsubscribe_url(settings, person.user_id, 'reports')
        rendered = reports.render_audience_report(
            person, report, month=month, base_url=settings.base_url, unsubscribe_url=unsubscribe
        )
        return _message(settings, person, rendered, unsubscribe)

    return build


def _manager_builder(
    person: reports.Recipient, report: reports.ManagerReport, month: str, settings: Settings
) -> Callable[[], EmailMessage]:
    def build() -> EmailMessage:
        unsubscribe = _unsubscribe_url(settings, person.user_id, 'reports')
        year, number = reports.parse_month(month)
        first = dt.date(year, number, 1)
        days = [first + dt.timedelta(days=i) for i in range(31) if (first + dt.timedelta(days=i)).month == number]
        chart = charts.render_month_trend(reports.month_name(month), days, {t.name: t.per_day for t in report.theatres})
        cid = f'trend-{person.user_id}-{month}@ticketshow'
        rendered = reports.render_manager_report(
            person, report, month=month, base_url=settings.base_url, unsubscribe_url=unsubscribe, chart_cid=cid
        )
        return _message(settings, person, rendered, unsubscribe, images=(InlineImage(cid, chart),))

    return build


def _unsubscribe_url(settings: Settings, user_id: int, kind: str) -> str:
    return f'{settings.base_url}/unsubscribe?t={unsubscribe_token(settings.mail_secret(), user_id=user_id, kind=kind)}'


def _message(
    settings: Settings,
    person: reports.Recipient,
    rendered: reports.Rendered,
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


# --- the run ------------------------------------------------------------------------------------------


def _run(
    kind: str,
    period: str,
    pages: Iterator[list[Outgoing]],
    now: dt.datetime,
    dry_run: bool,
    trigger: str,
    mailer: Mailer | None,
    settings: Settings,
) -> RunResult:
    with session_scope() as session:
        run = JobRun(kind=kind, period=period, trigger=trigger, dry_run=dry_run, status='running', started_at=utcnow())
        session.add(run)
        session.flush()
        run_id = run.id
    counts = {'sent': 0, 'failed': 0, 'skipped': 0}
    status, error = 'done', None
    mailer = mailer or mailer_for(settings)
    try:
        for page in pages:
            done = _settled(kind, period, [item.user_id for item in page], settings.mail_max_attempts)
            for item in page:
                if item.build is None or item.user_id in done:
                    counts['skipped'] += 1
                elif dry_run:
                    counts['sent'] += 1
                elif not _claim(item.user_id, kind, period, settings.mail_max_attempts):
                    counts['skipped'] += 1  # another run or instance has it
                else:
                    try:
                        counts[_deliver(item, kind, period, mailer)] += 1
                    except ServerDown:
                        counts['failed'] += 1
                        raise
            _record(run_id, counts)
    except ServerDown as down:
        status, error = 'failed', str(down)[:300]
        log.warning('%s run for %s stopped: %s', kind, period, down)
    except Exception as failure:  # the run is recorded as failed whatever broke it; the error is logged in full
        status, error = 'failed', f'{type(failure).__name__}: {failure}'[:300]
        log.exception('%s run for %s failed', kind, period)
    finally:
        mailer.close()
    with session_scope() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(status=status, error=error, finished_at=utcnow(), **counts)
            .execution_options(synchronize_session=False)
        )
    result = RunResult(run_id, kind, period, dry_run, status, error=error, **counts)
    log.info('mail run: %s', result.describe())
    return result


def _record(run_id: int, counts: dict[str, int]) -> None:
    """Progress after each page, so the admin page shows a long run moving."""
    with session_scope() as session:
        session.execute(
            update(JobRun).where(JobRun.id == run_id).values(**counts).execution_options(synchronize_session=False)
        )


def _settled(kind: str, period: str, user_ids: list[int], max_attempts: int) -> set[int]:
    """Who of these needs nothing more this period: sent, being sent, or failed too often."""
    with session_scope() as session:
        return set(
            session.scalars(
                select(MailDelivery.user_id).where(
                    MailDelivery.kind == kind,
                    MailDelivery.period == period,
                    MailDelivery.user_id.in_(user_ids),
                    (MailDelivery.status != 'failed') | (MailDelivery.attempts >= max_attempts),
                )
            )
        )


def _claim(user_id: int, kind: str, period: str, max_attempts: int) -> bool:
    """Take the right to send this one message: a new claim, or another try of a failure. Only one taker wins."""
    try:
        with session_scope() as session:
            session.add(MailDelivery(user_id=user_id, kind=kind, period=period, status='claimed', attempts=1))
        return True
    except IntegrityError:
        pass  # claimed before: only a failure with tries left may be taken again
    with session_scope() as session:
        retried = session.execute(
            update(MailDelivery)
            .where(
                MailDelivery.user_id == user_id,
                MailDelivery.kind == kind,
                MailDelivery.period == period,
                MailDelivery.status == 'failed',
                MailDelivery.attempts < max_attempts,
            )
            .values(status='claimed', attempts=MailDelivery.attempts + 1, claimed_at=utcnow(), error=None)
            .returning(MailDelivery.id)
            .execution_options(synchronize_session=False)
        ).scalar_one_or_none()
    return retried is not None


def _deliver(item: Outgoing, kind: str, period: str, mailer: Mailer) -> str:
    assert item.build is not None
    where = and_(MailDelivery.user_id == item.user_id, MailDelivery.kind == kind, MailDelivery.period == period)
    try:
        message = item.build()
    except Exception as error:  # a message that cannot be built is this person's failure, not the batch's
        log.exception('%s for user %s could not be built', kind, item.user_id)
        _mark_failed(where, f'could not build the message: {type(error).__name__}: {error}', attempt=True)
        return 'failed'
    try:
        mailer.send(message)
    except Refused as error:
        log.warning('%s for user %s refused: %s', kind, item.user_id, error)
        _mark_failed(where, str(error), attempt=True)
        return 'failed'
    except ServerDown as error:
        _mark_failed(where, str(error), attempt=False)  # the server's outage is not this person's try
        raise
    with session_scope() as session:
        session.execute(
            update(MailDelivery)
            .where(where)
            .values(status='sent', sent_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return 'sent'


def _mark_failed(where: ColumnElement[bool], error: str, *, attempt: bool) -> None:
    values: dict[str, Any] = {'status': 'failed', 'error': error[:300]}
    if not attempt:
        values['attempts'] = MailDelivery.attempts - 1
    with session_scope() as session:
        session.execute(update(MailDelivery).where(where).values(**values).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class RunView:
    id: int
    kind: str
    period: str
    trigger: str
    dry_run: bool
    status: str
    sent: int
    failed: int
    skipped: int
    error: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None


def recent_runs(session: Session, *, actor_id: int, limit: int = 20) -> list[RunView]:
    """The latest runs of the mail jobs, for admins."""
    require_role(load_actor(session, actor_id), 'admin', action='see the mail jobs')
    runs = session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit))
    return [
        RunView(
            r.id,
            r.kind,
            r.period,
            r.trigger,
            r.dry_run,
            r.status,
            r.sent,
            r.failed,
            r.skipped,
            r.error,
            r.started_at,
            r.finished_at,
        )
        for r in runs
    ]


def completed(session: Session, *, kind: str, period: str, max_attempts: int) -> bool:
    """Whether a real (not dry) run finished this period and no refused email has tries left."""
    done = session.scalar(
        select(func.count(JobRun.id)).where(
            JobRun.kind == kind, JobRun.period == period, JobRun.status == 'done', JobRun.dry_run.is_(False)
        )
    )
    retries = session.scalar(
        select(func.count(MailDelivery.id)).where(
            MailDelivery.kind == kind,
            MailDelivery.period == period,
            MailDelivery.status == 'failed',
            MailDelivery.attempts < max_attempts,
        )
    )
    return bool(done) and not retries


def last_finished(session: Session, *, kind: str, period: str) -> dt.datetime | None:
    """When the latest real run of this period ended, done or failed."""
    return session.scalar(
        select(func.max(JobRun.finished_at)).where(
            JobRun.kind == kind, JobRun.period == period, JobRun.dry_run.is_(False)
        )
    )


def run_now(
    session: Session, *, actor_id: int, kind: str, dry_run: bool, month: str | None = None
) -> Callable[[], RunResult]:
    """An admin's 'run it now': checked here, run by the caller outside this transaction (it owns its own)."""
    require_role(load_actor(session, actor_id), 'admin', action='run the mail jobs')
    if kind == 'reminder':
        return lambda: send_reminders(dry_run=dry_run, trigger='admin')
    if kind == 'report':
        if month is not None:
            try:
                reports.parse_month(month)
            except ValueError as error:
                raise Invalid({'month': str(error)}) from error
        return lambda: send_monthly_reports(month=month, dry_run=dry_run, trigger='admin')
    raise Invalid({'kind': 'Choose the reminders or the reports.'})


@dataclass(frozen=True)
class OutboxItem:
    name: str
    to: str
    subject: str
    written_at: dt.datetime


_OUTBOX_NAME = re.compile(r'^\d{8}-\d{6}-[0-9a-f]{8}\.eml$')


def outbox(session: Session, *, actor_id: int, limit: int = 50) -> list[OutboxItem]:
    """The newest messages written to the outbox (no SMTP server configured), for admins."""
    require_role(load_actor(session, actor_id), 'admin', action='read the outbox')
    folder = get_settings().outbox_dir
    names = sorted((p.name for p in folder.glob('*.eml') if _OUTBOX_NAME.match(p.name)), reverse=True)[:limit]
    items = []
    for name in names:
        with (folder / name).open('rb') as handle:
            headers = BytesHeaderParser(policy=policy.default).parse(handle)
        written = dt.datetime.strptime(name[:15], '%Y%m%d-%H%M%S').replace(tzinfo=dt.UTC)
        items.append(OutboxItem(name, str(headers['To'] or ''), str(headers['Subject'] or ''), written))
    return items


def outbox_file(session: Session, *, actor_id: int, name: object) -> Path:
    require_role(load_actor(session, actor_id), 'admin', action='read the outbox')
    path = get_settings().outbox_dir / str(name)
    if not isinstance(name, str) or not _OUTBOX_NAME.match(name) or not path.is_file():
        raise NotFound('No such message in the outbox.')
    return path
