"""APScheduler inside the app, with one elected instance running the mail jobs and delivering the email outbox.

Every instance runs the same scheduler: a tick (every 20 s by default) takes or renews a Redis lease
(`SET NX` with an expiry, renewed only by its holder); cron triggers fire the daily reminder and the
monthly reports at the configured local times. Only the lease holder runs a job, and its tick also
catches up a run that is due but missing (the app was down at the time, the holder died mid-run,
the SMTP server was down, or refused emails have tries left: retried every 15 minutes by default). If the
election fails (no Redis), every instance thinks it leads; the deliveries' claims still send each email at most once.

The leader also deletes expired seat holds and sweeps the waiting lists every few seconds (`scheduler.waitlist`;
every instance offers the tickets its own commits freed at once), and delivers the outbox (`services.mail.outbox`)
on a thread of its own: woken by every commit in this process that queued an email, and otherwise every
`outbox_poll_seconds` (2 s) for what other instances queued. One pass delivers batch after batch until nothing
is due; passes never overlap.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from models import MailKind
from models.db import session_scope, utcnow
from scheduler.waitlist import OfferRunner
from services.config import Settings
from services.kv import KV, LEADER_KEY
from services.mail import jobs as mail_jobs
from services.mail import months, outbox
from services.mail.runner import RunResult, completed, last_finished
from services.seating import holds

log = logging.getLogger(__name__)


class _NoTracebackForCancelled(logging.Filter):
    """At shutdown the event loop cancels the futures of jobs still running on their threads, and APScheduler logs
    each as an error with a traceback. The job itself runs to its end on its thread (a thread is not cancelled): a
    stop is not an error, so those records go."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))


logging.getLogger('apscheduler.executors.default').addFilter(_NoTracebackForCancelled())
HOLD_SWEEP_SECONDS = 5


def _clock(text: str) -> tuple[int, int]:
    hour, minute = text.split(':')
    return int(hour), int(minute)


class MailScheduler:
    def __init__(
        self, settings: Settings, kv: KV, *, clock: Callable[[], dt.datetime] = utcnow, instance: str | None = None
    ) -> None:
        self.settings = settings
        self.kv = kv
        self.clock = clock
        self.instance = instance or uuid.uuid4().hex  # the app's own id (services.instances.ID), in the lease
        self.leading = False
        self._busy = {kind: threading.Lock() for kind in mail_jobs.JOB_KINDS}
        self._outbox_wanted = threading.Event()
        self._stopping = threading.Event()
        self._outbox_thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.offers = OfferRunner(clock)
        self.scheduler = AsyncIOScheduler(
            timezone=settings.tz,
            job_defaults={'coalesce': True, 'max_instances': 1, 'misfire_grace_time': 3600},
        )

    def start(self) -> None:
        """Called from the app's startup (APScheduler needs the running event loop)."""
        hour, minute = _clock(self.settings.reminder_time)
        self.scheduler.add_job(
            self.run_if_leader,
            CronTrigger(hour=hour, minute=minute, timezone=self.settings.tz),
            args=[MailKind.REMINDER],
            id=MailKind.REMINDER,
        )
        hour, minute = _clock(self.settings.report_time)
        self.scheduler.add_job(
            self.run_if_leader,
            CronTrigger(day=1, hour=hour, minute=minute, timezone=self.settings.tz),
            args=[MailKind.REPORT],
            id=MailKind.REPORT,
        )
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.settings.scheduler_tick_seconds),
            id='tick',
            next_run_time=dt.datetime.now(self.settings.tz),
        )
        self.scheduler.add_job(self.sweep_holds, IntervalTrigger(seconds=HOLD_SWEEP_SECONDS), id='holds')
        self.scheduler.start()
        self._start_outbox()
        self.offers.start()
        log.info(
            'scheduler started (instance %s): reminders %s, reports on the 1st at %s, %s',
            self.instance[:8],
            self.settings.reminder_time,
            self.settings.report_time,
            self.settings.tz_name,
        )

    def shutdown(self) -> None:
        self.offers.stop()
        self._stop_outbox()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.leading:
            self.kv.release(LEADER_KEY, self.instance)  # hand over at once rather than after the lease
            self.leading = False

    def next_runs(self) -> dict[str, dt.datetime | None]:
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs() if job.id in mail_jobs.JOB_KINDS}

    def elect(self) -> bool:
        was = self.leading
        self.leading = self.kv.claim(LEADER_KEY, self.instance, self.settings.scheduler_lease_seconds)
        if self.leading != was:
            log.info(
                'instance %s %s the mail jobs', self.instance[:8], 'now runs' if self.leading else 'no longer runs'
            )
        return self.leading

    def tick(self) -> None:
        """Renew the lease; the leader then runs whatever is due and not yet done."""
        if self.elect():
            for kind in mail_jobs.JOB_KINDS:
                self.catch_up(kind)

    def due_period(self, kind: MailKind, now: dt.datetime) -> str | None:
        """The period due at `now`: today's reminder once its time has come, last month's report after the 1st's."""
        local = now.astimezone(self.settings.tz)
        if kind == MailKind.REMINDER:
            hour, minute = _clock(self.settings.reminder_time)
            scheduled = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return months.reminder_period(now, self.settings.tz) if local >= scheduled else None
        hour, minute = _clock(self.settings.report_time)
        scheduled = local.replace(day=1, hour=hour, minute=minute, second=0, microsecond=0)
        return months.previous_month(now, self.settings.tz) if local >= scheduled else None

    def catch_up(self, kind: MailKind) -> RunResult | None:
        now = self.clock()
        period = self.due_period(kind, now)
        if period is None:
            return None
        with session_scope() as session:
            if completed(session, kind=kind, period=period, max_attempts=self.settings.mail_max_attempts):
                return None
            last = last_finished(session, kind=kind, period=period)
        if last is not None and now - last < dt.timedelta(minutes=self.settings.mail_retry_minutes):
            return None  # a failed run, or refused emails with tries left: try again a while later
        return self._run(kind, trigger='scheduler')

    def run_if_leader(self, kind: MailKind) -> RunResult | None:
        """The cron trigger's job: the leader runs the period now due, unless it is already done."""
        if not self.elect():
            log.info('%s job skipped: another instance runs the mail jobs', kind)
            return None
        return self.catch_up(kind)

    def _run(self, kind: MailKind, *, trigger: str) -> RunResult | None:
        lock = self._busy[kind]
        if not lock.acquire(blocking=False):
            return None  # already running in this process
        try:
            now = self.clock()
            if kind == MailKind.REMINDER:
                return mail_jobs.send_reminders(now=now, trigger=trigger, settings=self.settings)
            return mail_jobs.send_monthly_reports(now=now, trigger=trigger, settings=self.settings)
        finally:
            lock.release()

    def sweep_holds(self) -> int | None:
        """The leader deletes expired seat holds, so open seat pickers redraw their seats as free (expired holds
        count as free seats anyway: this is tidying and telling, not what frees them), then sweeps the waiting
        lists. None when not leading."""
        if not self.leading:
            return None
        with session_scope() as session:
            expired = holds.expire_holds(session, now=self.clock())
        self.offers.sweep()  # offers past their end pass on; any show with people waiting and tickets free
        return expired

    # --- the outbox ----------------------------------------------------------------------------------------

    def _start_outbox(self) -> None:
        self._stopping = threading.Event()  # this start's own: a thread of an earlier start stays stopped
        self._unsubscribe = outbox.subscribe(self.wake_outbox)
        self._outbox_thread = threading.Thread(
            target=self._outbox_loop, args=(self._stopping,), name='outbox', daemon=True
        )
        self._outbox_thread.start()

    def _stop_outbox(self) -> None:
        """Stop looking; a batch under way finishes on its own (its claims hold if another instance takes over)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stopping.set()
        self._outbox_wanted.set()

    def wake_outbox(self) -> None:
        """After a commit that queued email: deliver now rather than at the next poll (only if this one leads)."""
        self._outbox_wanted.set()

    def _outbox_loop(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            self._outbox_wanted.wait(self.settings.outbox_poll_seconds)
            self._outbox_wanted.clear()  # a wake-up during the pass below makes the next wait return at once
            if stopping.is_set():
                return
            try:
                self.deliver_outbox()
            except Exception:  # the next wake-up or poll tries again; the thread must live on
                log.exception('Outbox delivery failed')

    def deliver_outbox(self) -> list[outbox.BatchResult] | None:
        """The leader's pass: batches until nothing more is due or the server is down. None when not leading."""
        if not self.leading:
            return None
        results = []
        while not self._stopping.is_set():
            result = outbox.deliver_due(settings=self.settings, clock=self.clock, worker=self.instance[:8])
            results.append(result)
            if result.claimed < outbox.BATCH_SIZE or result.server_down:
                break
        return results
