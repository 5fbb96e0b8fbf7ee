"""APScheduler inside the app, with one elected instance running the mail jobs.

Every instance runs the same scheduler: a tick (every 20 s by default) takes or renews a Redis lease
(`SET NX` with an expiry, renewed only by its holder); cron triggers fire the daily reminder and the
monthly reports at the configured local times. Only the lease holder runs a job, and its tick also
catches up a run that is due but missing (the app was down at the time, the holder died mid-run,
the SMTP server was down, or refused emails have tries left: retried every 15 minutes by default). If the
election fails (no Redis), every instance thinks it leads; the deliveries' claims still send each email at most once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from models.db import session_scope, utcnow
from services.config import Settings
from services.kv import KV
from services.mail import jobs as mail_jobs
from services.mail import months
from services.mail.runner import RunResult, completed, last_finished

log = logging.getLogger(__name__)
LEADER_KEY = 'scheduler:leader'


def _clock(text: str) -> tuple[int, int]:
    hour, minute = text.split(':')
    return int(hour), int(minute)


class MailScheduler:
    def __init__(self, settings: Settings, kv: KV, *, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.settings = settings
        self.kv = kv
        self.clock = clock
        self.instance = uuid.uuid4().hex
        self.leading = False
        self._busy = {kind: threading.Lock() for kind in mail_jobs.JOB_KINDS}
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
            args=['reminder'],
            id='reminder',
        )
        hour, minute = _clock(self.settings.report_time)
        self.scheduler.add_job(
            self.run_if_leader,
            CronTrigger(day=1, hour=hour, minute=minute, timezone=self.settings.tz),
            args=['report'],
            id='report',
        )
        self.scheduler.add_job(
            self.tick,
            IntervalTrigger(seconds=self.settings.scheduler_tick_seconds),
            id='tick',
            next_run_time=dt.datetime.now(self.settings.tz),
        )
        self.scheduler.start()
        log.info(
            'scheduler started (instance %s): reminders %s, reports on the 1st at %s, %s',
            self.instance[:8],
            self.settings.reminder_time,
            self.settings.report_time,
            self.settings.tz_name,
        )

    def shutdown(self) -> None:
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

    def due_period(self, kind: str, now: dt.datetime) -> str | None:
        """The period due at `now`: today's reminder once its time has come, last month's report after the 1st's."""
        local = now.astimezone(self.settings.tz)
        if kind == 'reminder':
            hour, minute = _clock(self.settings.reminder_time)
            scheduled = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return months.reminder_period(now, self.settings.tz) if local >= scheduled else None
        hour, minute = _clock(self.settings.report_time)
        scheduled = local.replace(day=1, hour=hour, minute=minute, second=0, microsecond=0)
        return months.previous_month(now, self.settings.tz) if local >= scheduled else None

    def catch_up(self, kind: str) -> RunResult | None:
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

    def run_if_leader(self, kind: str) -> RunResult | None:
        """The cron trigger's job: the leader runs the period now due, unless it is already done."""
        if not self.elect():
            log.info('%s job skipped: another instance runs the mail jobs', kind)
            return None
        return self.catch_up(kind)

    def _run(self, kind: str, *, trigger: str) -> RunResult | None:
        lock = self._busy[kind]
        if not lock.acquire(blocking=False):
            return None  # already running in this process
        try:
            now = self.clock()
            if kind == 'reminder':
                return mail_jobs.send_reminders(now=now, trigger=trigger, settings=self.settings)
            return mail_jobs.send_monthly_reports(now=now, trigger=trigger, settings=self.settings)
        finally:
            lock.release()
