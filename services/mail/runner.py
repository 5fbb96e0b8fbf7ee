"""A mail run: sending one kind of email for one period to pages of people, each email at most once.

Each (person, kind, period) is sent at most once: a `MailDelivery` row is claimed (a unique insert, or a
conditional update of an earlier failure) before the message goes, and marked sent after. A second run, a second
instance or a restart finds the claim and sends nothing again; a claim whose sender died mid-send is never
retried, since the message may have gone. A refused recipient is recorded as failed and the batch goes on; a server
that is down fails the run cleanly and a later run sends exactly what is missing (failures are retried up to
`mail_max_attempts` times). Every run is a `JobRun` row, updated after each page. One mailer (one SMTP connection)
serves the run. `jobs` decides who gets what; `completed` and `last_finished` tell the scheduler whether a period
still needs a run.

The bookkeeping goes by steps of `STEP` people, not by email: one transaction claims a step's people, their emails
are sent, and one transaction records how each went (sent, refused, could not be built). While the sender waits on
the server, a builder thread renders and composes the step's next emails and another reads the next page, so the
SMTP connection is rarely idle for our CPU. A failure in the middle of a step is settled exactly before the run
ends: those sent are marked sent, a refusal or a message that cannot be built is that person's failed try, the
email in flight when the server went down is failed without costing a try, and those not yet started are handed
back as if never claimed (a new claim is removed, a retry is a failure again) — so the next run sends exactly the
rest. Only if the process itself dies (killed, power lost) are a step's claims left unsettled: they stay
`claimed`, never retried (the message may have gone), at most STEP people.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import DeliveryStatus, JobRun, MailDelivery, MailKind, RunStatus
from models.db import session_scope, utcnow
from services import metrics
from services.config import Settings
from services.mail.transport import Mailer, Refused, ServerDown, Wire, mailer_for

log = logging.getLogger(__name__)

STEP = 50  # people claimed, and then settled, per transaction: what a killed process can leave unsettled
ERROR_LENGTH = 300


@dataclass(frozen=True)
class Outgoing:
    """One person's email of this run, built only once its delivery is claimed."""

    user_id: int
    build: Callable[[], EmailMessage | Wire] | None  # None: nothing to send to this person this time
    # Starts the slow part of the build (a chart) elsewhere, for someone not yet settled, before the claim: such
    # emails go after every page's others, by when it is ready.
    prepare: Callable[[], None] | None = None


@dataclass(frozen=True)
class RunResult:
    """What a run did: the counts and outcome its `JobRun` row ends with."""

    run_id: int
    kind: MailKind
    period: str
    dry_run: bool
    status: RunStatus
    sent: int
    failed: int
    skipped: int
    error: str | None

    def describe(self) -> str:
        verb = 'would send' if self.dry_run else 'sent'
        outcome = f'{verb} {self.sent}, failed {self.failed}, skipped {self.skipped}'
        return f'{self.kind} {self.period}: {outcome}' + (f' — {self.error}' if self.error else '')


def run(
    kind: MailKind,
    period: str,
    pages: Iterator[list[Outgoing]],
    *,
    dry_run: bool,
    trigger: str,
    mailer: Mailer | None,
    settings: Settings,
) -> RunResult:
    """Send `kind` for `period` to every person of `pages` who still needs it; record the run and return its counts.

    A dry run claims and sends nothing: it counts who would get an email.
    """
    with session_scope() as session:
        job_run = JobRun(
            kind=kind, period=period, trigger=trigger, dry_run=dry_run, status=RunStatus.RUNNING, started_at=utcnow()
        )
        session.add(job_run)
        session.flush()
        run_id = job_run.id
    counts = {'sent': 0, 'failed': 0, 'skipped': 0}
    status, error = RunStatus.DONE, None
    mailer = mailer or mailer_for(settings)
    builder = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f'mail-{kind}-build')
    run_step = _Step(kind, period, settings.mail_max_attempts, mailer, builder, counts)
    try:
        slow: list[Outgoing] = []  # prepared when their page was read, sent after every other page
        for page in _read_ahead(pages):
            done = _settled(kind, period, [item.user_id for item in page], settings.mail_max_attempts)
            ready = []
            for item in page:
                if item.build is None or item.user_id in done:
                    counts['skipped'] += 1
                elif dry_run:
                    counts['sent'] += 1
                elif item.prepare is not None:
                    item.prepare()
                    slow.append(item)
                else:
                    ready.append(item)
            for start in range(0, len(ready), STEP):
                run_step(ready[start : start + STEP])
            _record(run_id, counts)
        for start in range(0, len(slow), STEP):
            run_step(slow[start : start + STEP])
    except ServerDown as down:
        status, error = RunStatus.FAILED, str(down)[:ERROR_LENGTH]
        log.warning('%s run for %s stopped: %s', kind, period, down)
    except Exception as failure:  # the run is recorded as failed whatever broke it; the error is logged in full
        status, error = RunStatus.FAILED, f'{type(failure).__name__}: {failure}'[:ERROR_LENGTH]
        log.exception('%s run for %s failed', kind, period)
    finally:
        builder.shutdown(wait=True, cancel_futures=True)
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


def _read_ahead(pages: Iterator[list[Outgoing]]) -> Iterator[list[Outgoing]]:
    """`pages`, each next one read (its queries run) on a thread of its own while this one's emails go."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix='mail-pages') as reader:
        upcoming = reader.submit(next, pages, None)
        while (page := upcoming.result()) is not None:
            upcoming = reader.submit(next, pages, None)
            yield page


def _record(run_id: int, counts: dict[str, int]) -> None:
    """Progress after each page, so the admin page shows a long run moving."""
    with session_scope() as session:
        session.execute(
            update(JobRun).where(JobRun.id == run_id).values(**counts).execution_options(synchronize_session=False)
        )


def _settled(kind: MailKind, period: str, user_ids: list[int], max_attempts: int) -> set[int]:
    """Who of these needs nothing more this period: sent, being sent, or failed too often."""
    with session_scope() as session:
        return set(
            session.scalars(
                select(MailDelivery.user_id).where(
                    MailDelivery.kind == kind,
                    MailDelivery.period == period,
                    MailDelivery.user_id.in_(user_ids),
                    (MailDelivery.status != DeliveryStatus.FAILED) | (MailDelivery.attempts >= max_attempts),
                )
            )
        )


@dataclass
class _Outcome:
    """How a step went, settled in one transaction."""

    new: set[int]  # claimed by a fresh row (the others retry an earlier failure)
    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # a try: refused, or the message could not be built
    interrupted: dict[int, str] = field(default_factory=dict)  # in flight when the server went down: no try
    unsent: list[int] = field(default_factory=list)  # claimed, never started: handed back


@dataclass
class _Step:
    """Claims, sends and settles one step of people; `counts` are the run's."""

    kind: MailKind
    period: str
    max_attempts: int
    mailer: Mailer
    builder: ThreadPoolExecutor
    counts: dict[str, int]

    def __call__(self, items: Sequence[Outgoing]) -> None:
        new, retried = _claim(self.kind, self.period, [item.user_id for item in items], self.max_attempts)
        claimed = [item for item in items if item.user_id in new or item.user_id in retried]
        self.counts['skipped'] += len(items) - len(claimed)  # another run or instance has them
        outcome = _Outcome(new)
        # Built in order on the builder thread while this one sends: only claimed people's emails are built.
        builds = [self.builder.submit(_build, item) for item in claimed]
        started = 0  # how many of `claimed` were handed to `_deliver`
        try:
            for item, build in zip(claimed, builds, strict=True):
                started += 1
                self._deliver(item, build, outcome)
        except ServerDown as down:
            outcome.interrupted[claimed[started - 1].user_id] = str(down)
            raise
        finally:
            for build in builds:
                build.cancel()
            # Those never started were certainly not sent. The one in flight when something else broke (a bug, not
            # the server) stays claimed: it may have gone.
            outcome.unsent = [item.user_id for item in claimed[started:]]
            _settle(self.kind, self.period, outcome)
            metrics.count_emails(sent=len(outcome.sent), failed=len(outcome.failed) + len(outcome.interrupted))
            self.counts['sent'] += len(outcome.sent)
            self.counts['failed'] += len(outcome.failed) + len(outcome.interrupted)

    def _deliver(self, item: Outgoing, build: Future[EmailMessage | Wire], outcome: _Outcome) -> None:
        try:
            message = build.result()
        except Exception as error:  # a message that cannot be built is this person's failure, not the batch's
            log.error('%s for user %s could not be built', self.kind, item.user_id, exc_info=error)
            outcome.failed[item.user_id] = f'could not build the message: {type(error).__name__}: {error}'
            return
        try:
            self.mailer.send(message)
        except Refused as error:
            log.warning('%s for user %s refused: %s', self.kind, item.user_id, error)
            outcome.failed[item.user_id] = str(error)
        else:
            outcome.sent.append(item.user_id)


def _build(item: Outgoing) -> EmailMessage | Wire:
    assert item.build is not None  # the run only claims people with something to send
    return item.build()


def _ours(kind: MailKind, period: str, user_ids: Sequence[int]) -> list[ColumnElement[bool]]:
    return [MailDelivery.kind == kind, MailDelivery.period == period, MailDelivery.user_id.in_(user_ids)]


def _claim(kind: MailKind, period: str, user_ids: list[int], max_attempts: int) -> tuple[set[int], set[int]]:
    """Take the right to send these people's messages, in one transaction: a new claim for whoever has none, another
    try for a failure with tries left. Only one taker wins each. Returns (newly claimed, retried)."""
    now = utcnow()
    with session_scope() as session:
        dialect = session.get_bind().dialect.name
        upsert = postgresql.insert if dialect == 'postgresql' else sqlite.insert
        claimed = DeliveryStatus.CLAIMED
        rows = [
            {'user_id': user_id, 'kind': kind, 'period': period, 'status': claimed, 'attempts': 1, 'claimed_at': now}
            for user_id in user_ids
        ]
        # One statement compiled once (executemany, the rows sent in one batch), not a new 50-row VALUES each time.
        taken = upsert(MailDelivery).on_conflict_do_nothing(index_elements=['user_id', 'kind', 'period'])
        new = set(session.connection().scalars(taken.returning(MailDelivery.user_id), rows))
        others = [user_id for user_id in user_ids if user_id not in new]
        retried: set[int] = set()
        if others:
            retried = set(
                session.scalars(
                    update(MailDelivery)
                    .where(
                        *_ours(kind, period, others),
                        MailDelivery.status == DeliveryStatus.FAILED,
                        MailDelivery.attempts < max_attempts,
                    )
                    .values(
                        status=DeliveryStatus.CLAIMED, attempts=MailDelivery.attempts + 1, claimed_at=now, error=None
                    )
                    .returning(MailDelivery.user_id)
                    .execution_options(synchronize_session=False)
                )
            )
    return new, retried


def _settle(kind: MailKind, period: str, outcome: _Outcome) -> None:
    """Record how a step went, in one transaction."""
    claimed = MailDelivery.status == DeliveryStatus.CLAIMED
    with session_scope() as session:

        def change(user_ids: Sequence[int], **values: Any) -> None:
            if user_ids:
                session.execute(
                    update(MailDelivery)
                    .where(*_ours(kind, period, user_ids), claimed)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )

        change(outcome.sent, status=DeliveryStatus.SENT, sent_at=utcnow())
        for user_id, error in outcome.failed.items():
            change([user_id], status=DeliveryStatus.FAILED, error=error[:ERROR_LENGTH])
        # The server's outage is not these people's try.
        for user_id, error in outcome.interrupted.items():
            change(
                [user_id], status=DeliveryStatus.FAILED, error=error[:ERROR_LENGTH], attempts=MailDelivery.attempts - 1
            )
        fresh = [user_id for user_id in outcome.unsent if user_id in outcome.new]
        if fresh:
            session.execute(
                delete(MailDelivery)
                .where(*_ours(kind, period, fresh), claimed)
                .execution_options(synchronize_session=False)
            )
        change(
            [user_id for user_id in outcome.unsent if user_id not in outcome.new],
            status=DeliveryStatus.FAILED,
            error='not sent: the run stopped before it',
            attempts=MailDelivery.attempts - 1,
        )


def completed(session: Session, *, kind: MailKind, period: str, max_attempts: int) -> bool:
    """Whether a real (not dry) run finished this period and no refused email has tries left."""
    done = session.scalar(
        select(func.count(JobRun.id)).where(
            JobRun.kind == kind, JobRun.period == period, JobRun.status == RunStatus.DONE, JobRun.dry_run.is_(False)
        )
    )
    retries = session.scalar(
        select(func.count(MailDelivery.id)).where(
            MailDelivery.kind == kind,
            MailDelivery.period == period,
            MailDelivery.status == DeliveryStatus.FAILED,
            MailDelivery.attempts < max_attempts,
        )
    )
    return bool(done) and not retries


def last_finished(session: Session, *, kind: MailKind, period: str) -> dt.datetime | None:
    """When the latest real run of this period ended, done or failed."""
    return session.scalar(
        select(func.max(JobRun.finished_at)).where(
            JobRun.kind == kind, JobRun.period == period, JobRun.dry_run.is_(False)
        )
    )
