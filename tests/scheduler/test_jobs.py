"""The elected scheduler: the lease under the election, when each job is due, catching up missed runs, the real
APScheduler started on an event loop, and the outbox the leader delivers (woken by a commit, or by its poll)."""

import asyncio
import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from models import JobRun, OutboxKind, OutboxMessage, OutboxStatus, Role, SeatClaim
from models.db import engine, session_scope, utcnow
from scheduler.jobs import MailScheduler
from services.config import Settings, get_settings
from services.kv import KV, LEADER_KEY
from services.mail import outbox
from services.mail.transport import compose
from services.seating import holds, layout, maps, seats
from services.shows import create_show
from tests.factories import make_show, make_theatre, make_user

IST = ZoneInfo('Asia/Kolkata')


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=IST)


def job_runs() -> list[JobRun]:
    with session_scope() as s:
        return list(s.scalars(select(JobRun).order_by(JobRun.id)))


# --- the lease -------------------------------------------------------------------------------------------


@pytest.fixture(params=['memory', 'redis'])
def kv_url(request) -> str | None:
    return None if request.param == 'memory' else request.getfixturevalue('redis_url')


def two_instances(url: str | None) -> tuple[KV, KV]:
    """Two holders of one lease: on Redis two separate clients (two processes); in memory one store."""
    if url is None:
        shared = KV(None)
        return shared, shared
    return KV(url), KV(url)


def test_a_lease_is_held_by_one_owner_at_a_time(kv_url):
    a, b = two_instances(kv_url)
    assert a.claim('lease', 'A', ttl=60)
    assert not b.claim('lease', 'B', ttl=60)
    assert a.claim('lease', 'A', ttl=60)  # the holder renews
    assert not b.claim('lease', 'B', ttl=60)


def test_renewing_a_lease_extends_it(kv_url):
    a, _ = two_instances(kv_url)
    a.claim('lease', 'A', ttl=10)
    a.claim('lease', 'A', ttl=60)
    assert a.ttl('lease') > 10


def test_a_lease_nobody_renews_expires_and_another_can_take_it(kv_url):
    a, b = two_instances(kv_url)
    assert a.claim('lease', 'A', ttl=0.3)
    time.sleep(0.5)
    assert b.claim('lease', 'B', ttl=60)
    assert not a.claim('lease', 'A', ttl=60)


def test_only_the_holder_releases_a_lease(kv_url):
    a, b = two_instances(kv_url)
    a.claim('lease', 'A', ttl=60)
    b.release('lease', 'B')
    assert not b.claim('lease', 'B', ttl=60)
    a.release('lease', 'A')
    assert b.claim('lease', 'B', ttl=60)


# --- when a job is due -----------------------------------------------------------------------------------


@pytest.fixture
def kolkata_scheduler() -> MailScheduler:
    settings = Settings(timezone='Asia/Kolkata', reminder_time='18:00', report_time='08:00')
    return MailScheduler(settings, KV(None))


@pytest.mark.parametrize(
    'moment, period',
    [
        (local(2026, 12, 10, 17, 59), None),
        (local(2026, 12, 10, 18, 0), '2026-12-10'),
        (local(2026, 12, 10, 23, 59), '2026-12-10'),
        (local(2026, 12, 11, 0, 30), None),  # 19:00 UTC on the 10th: a new local day, its time not yet come
        (dt.datetime(2026, 12, 10, 12, 30, tzinfo=dt.UTC), '2026-12-10'),  # 18:00 in Kolkata
    ],
)
def test_the_reminder_is_due_from_its_local_time(kolkata_scheduler, moment, period):
    assert kolkata_scheduler.due_period('reminder', moment) == period


@pytest.mark.parametrize(
    'moment, period',
    [
        (local(2026, 12, 1, 7, 59), None),
        (local(2026, 12, 1, 8, 0), '2026-11'),
        (local(2026, 12, 15, 3, 0), '2026-11'),
        (local(2026, 12, 31, 23, 59), '2026-11'),
        (local(2027, 1, 1, 8, 0), '2026-12'),
        (dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC), None),  # already 1 December, 01:30 in Kolkata
        (dt.datetime(2026, 12, 1, 2, 30, tzinfo=dt.UTC), '2026-11'),  # 08:00 in Kolkata
    ],
)
def test_the_report_is_due_from_its_time_on_the_first_for_the_month_before(kolkata_scheduler, moment, period):
    assert kolkata_scheduler.due_period('report', moment) == period


# --- the election ----------------------------------------------------------------------------------------


def test_one_of_two_instances_is_elected_and_hands_over_at_shutdown(redis_url):
    settings = Settings(timezone='Asia/Kolkata')
    first, second = MailScheduler(settings, KV(redis_url)), MailScheduler(settings, KV(redis_url))

    assert first.elect() is True
    assert second.elect() is False
    assert first.elect() is True  # renewed by its tick
    assert (first.leading, second.leading) == (True, False)
    assert 0 < KV(redis_url).ttl(LEADER_KEY) <= 60

    first.shutdown()

    assert first.leading is False
    assert second.elect() is True  # at once, not after the lease runs out
    assert first.elect() is False


def test_an_instance_that_is_not_elected_runs_no_job(database, redis_url, smtp_server):
    settings = get_settings()
    leader, follower = MailScheduler(settings, KV(redis_url)), MailScheduler(settings, KV(redis_url))
    leader.elect()
    assert follower.run_if_leader('reminder') is None
    assert follower.run_if_leader('report') is None
    assert job_runs() == []


# --- catching up -----------------------------------------------------------------------------------------


@pytest.fixture
def audience(database, smtp_server):
    """A manager and two people to remind of the manager's show coming up (at the fixed time the tests use)."""
    manager = make_user(role='manager')
    make_show(make_theatre(manager), starts_at=dt.datetime(2026, 12, 12, tzinfo=dt.UTC))
    return manager, [make_user(), make_user()]


def test_catch_up_runs_a_due_job_once(audience, smtp_server, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    get_settings.cache_clear()
    fixed = dt.datetime(2026, 12, 10, 13, 0, tzinfo=dt.UTC)  # 18:30 in Kolkata: today's reminder is due
    scheduler = MailScheduler(get_settings(), KV(None), clock=lambda: fixed)

    first = scheduler.catch_up('reminder')
    second = scheduler.catch_up('reminder')

    assert (first.status, first.period, first.sent) == ('done', '2026-12-10', 2)
    assert second is None
    assert [(r.kind, r.period, r.trigger, r.status) for r in job_runs()] == [
        ('reminder', '2026-12-10', 'scheduler', 'done')
    ]
    assert sorted(smtp_server.recipients) == sorted(p.email for p in audience[1])


def test_the_leaders_tick_catches_up_what_is_due(audience, smtp_server, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    get_settings.cache_clear()
    fixed = dt.datetime(2026, 12, 10, 13, 0, tzinfo=dt.UTC)
    scheduler = MailScheduler(get_settings(), KV(None), clock=lambda: fixed)

    scheduler.tick()
    scheduler.tick()

    assert scheduler.leading
    assert sorted((r.kind, r.period, r.status) for r in job_runs()) == [
        ('reminder', '2026-12-10', 'done'),
        ('report', '2026-11', 'done'),
    ]
    _manager, people = audience
    expected = [(p.email, 'Shows coming up for you') for p in people]
    # The manager's theatres had a quiet November (no booking, no performance): no report of zeros.
    assert sorted((r.to, r.message['Subject']) for r in smtp_server.received) == sorted(expected)


def noon_zone() -> str:
    """A fixed-offset zone where it is about noon now: minutes either side stay on the same local day."""
    offset = 12 - utcnow().hour  # Etc/GMT-N is N hours ahead of UTC
    return 'Etc/GMT' if offset == 0 else f'Etc/GMT{-offset:+d}'


def test_after_a_failed_run_catch_up_waits_before_trying_again(audience, smtp_server, monkeypatch):
    # The runs record wall-clock times, so this clock starts at the wall clock and is moved from there.
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', noon_zone())
    monkeypatch.setenv('TICKETSHOW_REMINDER_TIME', '00:00')
    get_settings.cache_clear()
    start = utcnow()
    now = [start]
    make_show(make_theatre(make_user(role='manager')), starts_at=start + dt.timedelta(days=2))  # upcoming on this clock
    scheduler = MailScheduler(get_settings(), KV(None), clock=lambda: now[0])
    smtp_server.stop()

    failed = scheduler.catch_up('reminder')
    smtp_server.start()
    now[0] = start + retry_after() - dt.timedelta(minutes=1)
    too_soon = scheduler.catch_up('reminder')
    now[0] = start + retry_after() + dt.timedelta(minutes=1)
    retried = scheduler.catch_up('reminder')

    assert failed.status == 'failed'
    assert too_soon is None
    assert (retried.status, retried.sent) == ('done', 2)
    assert [r.status for r in job_runs()] == ['failed', 'done']
    assert sorted(smtp_server.recipients) == sorted(p.email for p in audience[1])


def test_catch_up_retries_refused_emails_of_a_finished_run_after_a_while(audience, smtp_server, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', noon_zone())
    monkeypatch.setenv('TICKETSHOW_REMINDER_TIME', '00:00')
    get_settings.cache_clear()
    start = utcnow()
    now = [start]
    make_show(make_theatre(make_user(role='manager')), starts_at=start + dt.timedelta(days=2))
    refused, accepted = audience[1]
    smtp_server.refuse = {refused.email}
    scheduler = MailScheduler(get_settings(), KV(None), clock=lambda: now[0])

    first = scheduler.catch_up('reminder')
    smtp_server.refuse = set()
    too_soon = scheduler.catch_up('reminder')
    now[0] = start + retry_after() + dt.timedelta(minutes=1)
    retried = scheduler.catch_up('reminder')
    settled = scheduler.catch_up('reminder')

    assert (first.status, first.sent, first.failed) == ('done', 1, 1)
    assert too_soon is None
    assert (retried.status, retried.sent, retried.skipped) == ('done', 1, 1)
    assert settled is None  # done, and nothing refused has tries left
    assert sorted(smtp_server.recipients) == sorted([accepted.email, refused.email])


# --- the real scheduler ----------------------------------------------------------------------------------


def other_zone() -> ZoneInfo:
    """An app time zone whose clock differs from this host's, so that a time taken in the wrong one shows."""
    host = dt.datetime.now().astimezone().utcoffset()
    return IST if dt.datetime.now(IST).utcoffset() != host else ZoneInfo('America/Sao_Paulo')


async def run_briefly(scheduler: MailScheduler) -> dict[str, dt.datetime | None]:
    """Start the scheduler, wait for its first tick to elect it, read its plan, shut it down."""
    scheduler.start()
    deadline = time.monotonic() + 10
    try:
        while not scheduler.leading and time.monotonic() < deadline:  # the first tick runs at once
            await asyncio.sleep(0.02)
        assert scheduler.leading is True
        return scheduler.next_runs()
    finally:
        scheduler.shutdown()
        while scheduler.scheduler.running and time.monotonic() < deadline + 10:  # it stops on its own loop
            await asyncio.sleep(0.02)


async def test_a_started_scheduler_elects_itself_and_hands_over_when_shut_down(database):
    settings = Settings(timezone='Asia/Kolkata', reminder_time='18:00', report_time='08:00')
    kv = KV(None)
    quiet = local(2026, 12, 1, 6, 0)  # nothing due: before 08:00 on the 1st and before 18:00
    scheduler = MailScheduler(settings, kv, clock=lambda: quiet)

    runs = await run_briefly(scheduler)

    assert set(runs) == {'reminder', 'report'} and all(runs.values())
    assert scheduler.scheduler.running is False
    assert scheduler.leading is False
    assert MailScheduler(settings, kv).elect() is True  # the lease was released
    assert job_runs() == []


async def test_the_jobs_are_planned_at_their_times_in_the_apps_time_zone(database):
    zone = other_zone()
    settings = Settings(timezone=zone.key, reminder_time='18:00', report_time='08:00')
    scheduler = MailScheduler(settings, KV(None), clock=lambda: local(2026, 12, 1, 6, 0))

    runs = await run_briefly(scheduler)

    reminder, report = runs['reminder'].astimezone(zone), runs['report'].astimezone(zone)
    wall = dt.datetime.now(zone)
    assert (reminder.hour, reminder.minute) == (18, 0)
    assert wall < reminder <= wall + dt.timedelta(days=1)
    assert (report.day, report.hour, report.minute) == (1, 8, 0)
    assert wall < report <= wall + dt.timedelta(days=31)


def retry_after() -> dt.timedelta:
    return dt.timedelta(minutes=get_settings().mail_retry_minutes)


# --- the outbox ------------------------------------------------------------------------------------------


def queue_email(to: str, now: dt.datetime) -> None:
    with session_scope() as s:
        outbox.enqueue(
            s,
            kind=OutboxKind.PASSWORD_RESET,
            message=compose(sender='TicketShow <noreply@ticketshow.invalid>', to=to, subject='Hi', text='t', html='h'),
            now=now,
        )


def test_only_the_elected_instance_delivers_the_outbox(database, redis_url, smtp_server):
    settings = get_settings()
    leader, follower = MailScheduler(settings, KV(redis_url)), MailScheduler(settings, KV(redis_url))
    leader.elect()
    follower.elect()
    queue_email('ann@example.com', utcnow())

    assert follower.deliver_outbox() is None
    assert smtp_server.received == []
    (result,) = leader.deliver_outbox()
    assert result.sent == 1 and smtp_server.recipients == ['ann@example.com']


def test_the_leaders_pass_goes_on_batch_after_batch_until_nothing_is_due(database, smtp_server):
    scheduler = MailScheduler(get_settings(), KV(None))
    scheduler.elect()
    now = utcnow()
    for number in range(outbox.BATCH_SIZE + 3):
        queue_email(f'person{number}@example.com', now)

    results = scheduler.deliver_outbox()

    assert [r.sent for r in results] == [outbox.BATCH_SIZE, 3]
    assert len(set(smtp_server.recipients)) == outbox.BATCH_SIZE + 3


async def until(condition, what: str, timeout: float = 10) -> float:
    """Seconds until `condition()` holds, looking every 10 ms; fails after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f'{what}: not within {timeout} s')
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def stop(scheduler: MailScheduler) -> None:
    scheduler.shutdown()
    await until(lambda: not scheduler.scheduler.running, 'the scheduler stops')


async def test_a_started_leader_delivers_an_email_within_a_second_of_its_commit(database, smtp_server, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_OUTBOX_POLL_SECONDS', '600')  # no poll in time: only the wake-up can deliver it
    get_settings.cache_clear()
    quiet = local(2026, 12, 1, 6, 0)  # no mail job due
    scheduler = MailScheduler(get_settings(), KV(None), clock=lambda: quiet)
    scheduler.start()
    try:
        await until(lambda: scheduler.leading, 'the first tick elects it')
        committed = time.monotonic()
        await asyncio.to_thread(queue_email, 'ann@example.com', quiet)
        await until(lambda: smtp_server.received, 'the email arrives', timeout=5)
        took = time.monotonic() - committed
    finally:
        await stop(scheduler)
    print(f'\n[outbox] commit to SMTP server: {took * 1000:.0f} ms')
    assert took < 1
    assert smtp_server.recipients == ['ann@example.com']


async def test_the_leaders_poll_delivers_what_another_instance_queued(database, smtp_server, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_OUTBOX_POLL_SECONDS', '0.2')
    get_settings.cache_clear()
    quiet = local(2026, 12, 1, 6, 0)
    scheduler = MailScheduler(get_settings(), KV(None), clock=lambda: quiet)
    scheduler.start()
    try:
        await until(lambda: scheduler.leading, 'the first tick elects it')
        with engine().begin() as conn:  # written as another process would: no wake-up in this one
            conn.execute(
                insert(OutboxMessage).values(
                    kind=OutboxKind.PASSWORD_RESET,
                    to_address='bob@example.com',
                    subject='Hi',
                    message=compose(
                        sender='TicketShow <noreply@ticketshow.invalid>',
                        to='bob@example.com',
                        subject='Hi',
                        text='t',
                        html='h',
                    ).as_bytes(),
                    status=OutboxStatus.PENDING,
                    attempts=0,
                    next_attempt_at=quiet,
                    created_at=quiet,
                )
            )
        await until(lambda: smtp_server.received, 'the poll delivers it', timeout=5)
    finally:
        await stop(scheduler)
    assert smtp_server.recipients == ['bob@example.com']


# --- seat holds ------------------------------------------------------------------------------------------


def test_only_the_leader_sweeps_expired_holds_and_the_pickers_are_told(database, redis_url):
    manager = make_user(username='meera', role=Role.MANAGER)
    buyer = make_user(username='asha')
    theatre = make_theatre(manager, capacity=10)
    start = utcnow() + dt.timedelta(days=3)
    with session_scope() as s:
        maps.put_seatmap(s, actor_id=manager.id, theatre_id=theatre.id, body=layout.generate([('Stalls', 2, 5)]))
        show = create_show(
            s,
            actor_id=manager.id,
            theatre_id=theatre.id,
            name='Hamlet',
            rating=4,
            tags=[],
            ticket_price=300,
            num_tickets=None,
            starts_at=start,
            seating='reserved',
        )
    with session_scope() as s:
        view = seats.show_seats(s, show_id=show.id)
        first_two = [seat.id for seat in view.sections[0].rows[0].seats[:2]]
        long_ago = utcnow() - dt.timedelta(hours=1)  # held an hour ago: expired by now
        holds.hold_seats(s, show_id=show.id, user_id=buyer.id, seats=first_two, now=long_ago)
    with session_scope() as s:
        version = seats.version(s, show_id=show.id)
    settings = get_settings()
    leader, follower = MailScheduler(settings, KV(redis_url)), MailScheduler(settings, KV(redis_url))
    leader.elect()
    follower.elect()

    assert follower.sweep_holds() is None
    assert leader.sweep_holds() == 1
    assert leader.sweep_holds() == 0
    with session_scope() as s:
        assert s.scalars(select(SeatClaim)).all() == []  # the hold stays a day, to answer "expired"
        assert seats.version(s, show_id=show.id) > version
        assert seats.show_seats(s, show_id=show.id).count('free') == 10
