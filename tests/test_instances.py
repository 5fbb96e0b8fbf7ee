"""Several app instances behave as one: real `main.py` processes on loopback, different ports and var dirs, one
PostgreSQL database, one Redis (a key prefix of the test's own), the same storage and mail secrets.

A session made on one instance works on the other and a logout on one ends it on both; a booking on one shows at once
on the other although its cache was warm; the HTTP booking race run across both sells exactly the capacity, and the
seat race sells every seat once; the mail
jobs run on exactly one instance, and when that one is killed the other takes over and nothing is sent twice.
PostgreSQL or Redis out of reach: skipped (a failure with CI=true), as everywhere in the suite.
"""

from __future__ import annotations

import datetime as dt
import email
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from email import policy
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis
from sqlalchemy import create_engine, select, update
from sqlalchemy.engine import Engine

from models import JobRun, MailDelivery, OutboxKind, OutboxMessage, OutboxStatus
from tests.api.conftest import LiveApp, start_live_app
from tests.api.test_race import _token, race
from tests.api.test_seat_race import seat_race

STARTS_AT = '2030-01-01T19:30:00+05:30'


class Instances:
    """Starts app instances that share one database, one Redis and the secrets; stops them all at the end."""

    def __init__(self, tmp_path: Path, database_url: str, redis_url: str) -> None:
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.redis_url = redis_url
        self.prefix = f'ts-{uuid.uuid4().hex[:8]}:'  # this test's keys, whatever else shares Redis db 15
        self.shared = {
            'TICKETSHOW_REDIS_URL': redis_url,
            'TICKETSHOW_REDIS_PREFIX': self.prefix,
            'TICKETSHOW_STORAGE_SECRET': 'storage-secret-shared-by-every-instance',
            'TICKETSHOW_MAIL_SECRET': 'mail-secret-shared-by-every-instance',
            'TICKETSHOW_TIMEZONE': 'Asia/Kolkata',
        }
        self.started: list[LiveApp] = []

    def start(self, name: str, *, wait_seconds: float = 60, **settings: str) -> LiveApp:
        app = start_live_app(
            self.tmp_path / f'var-{name}',
            database_url=self.database_url,
            wait_seconds=wait_seconds,
            **{**self.shared, **settings},
        )
        self.started.append(app)
        return app

    def stop(self, app: LiveApp) -> None:
        """A clean stop (SIGTERM): the app's shutdown runs, as on a deploy."""
        app.process.terminate()
        try:
            app.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            app.process.kill()
            app.process.wait(timeout=10)

    def stop_all(self) -> None:
        for app in self.started:
            if app.process.poll() is None:
                self.stop(app)


@pytest.fixture
def instances(tmp_path, fresh_postgres_url, redis_url) -> Iterator[Instances]:
    cluster = Instances(tmp_path, fresh_postgres_url, redis_url)
    yield cluster
    cluster.stop_all()


def bearer(token: str) -> dict[str, str]:
    return {'Authorization': f'Bearer {token}'}


def make_show(client: httpx.Client, manager: str, *, tickets: int, starts_at: str = STARTS_AT) -> int:
    """A theatre of `manager`'s (a token) and an upcoming show of `tickets` tickets in it, made through the API."""
    theatre = client.post(
        '/api/v1/theatres',
        json={'name': 'Twin Hall', 'place': 'Pune', 'capacity': max(500, tickets)},
        headers=bearer(manager),
    )
    assert theatre.status_code == 201, theatre.text
    show = client.post(
        f'/api/v1/theatres/{theatre.json()["id"]}/shows',
        json={
            'name': 'Two Stages',
            'rating': 4,
            'tags': ['drama'],
            'ticket_price': 300,
            'num_tickets': tickets,
            'starts_at': starts_at,
        },
        headers=bearer(manager),
    )
    assert show.status_code == 201, show.text
    return int(show.json()['id'])


def redis_keys(cluster: Instances, pattern: str) -> list[str]:
    client = redis.Redis.from_url(cluster.redis_url, decode_responses=True)
    try:
        return list(client.scan_iter(cluster.prefix + pattern))
    finally:
        client.close()


# --- sessions --------------------------------------------------------------------------------------------


def test_a_session_made_on_one_instance_works_on_the_other_and_a_logout_on_one_ends_it_on_both(instances):
    a, b = instances.start('a'), instances.start('b')
    with a.client() as on_a, b.client() as on_b:
        token = _token(on_a, 'twinuser')
        assert not redis_keys(instances, 'sess*')  # the session lives in the shared database, not in Redis

        me = on_b.get('/api/v1/me', headers=bearer(token))
        assert me.status_code == 200, me.text
        assert me.json()['username'] == 'twinuser'

        assert on_a.post('/api/v1/auth/logout', headers=bearer(token)).status_code == 204
        assert on_b.get('/api/v1/me', headers=bearer(token)).status_code == 401
        assert on_a.get('/api/v1/me', headers=bearer(token)).status_code == 401

        # and the other way round: logged in on B, out on B, refused on A
        login = on_b.post('/api/v1/auth/login', json={'username': 'twinuser', 'password': 'race-password-1'})
        assert login.status_code == 200, login.text
        again = login.json()['access_token']
        assert on_a.get('/api/v1/me', headers=bearer(again)).status_code == 200
        assert on_b.post('/api/v1/auth/logout', headers=bearer(again)).status_code == 204
        assert on_a.get('/api/v1/me', headers=bearer(again)).status_code == 401


def test_a_revocation_is_never_undone_when_redis_restarts_empty(tmp_path, fresh_postgres_url, own_redis):
    """Made on B, logged out (or ended by a password change) on A, Redis restarted empty: the tokens stay dead
    on both (B's old in-process mirror of the key-value store wrote them back into the new Redis)."""
    cluster = Instances(tmp_path, fresh_postgres_url, own_redis.url)
    try:
        a, b = cluster.start('a'), cluster.start('b')
        with a.client() as on_a, b.client() as on_b:
            kept = _token(on_a, 'twinuser')
            login = on_b.post('/api/v1/auth/login', json={'username': 'twinuser', 'password': 'race-password-1'})
            gone = login.json()['access_token']  # made on B: B's old in-process mirror held it
            login = on_b.post('/api/v1/auth/login', json={'username': 'twinuser', 'password': 'race-password-1'})
            ended = login.json()['access_token']  # made on B too, ended by a password change on A
            for client in (on_a, on_b):
                assert client.get('/api/v1/me', headers=bearer(gone)).status_code == 200
            assert on_a.post('/api/v1/auth/logout', headers=bearer(gone)).status_code == 204
            change = {'current_password': 'race-password-1', 'new_password': 'race-password-2'}
            assert on_a.put('/api/v1/me/password', json=change, headers=bearer(kept)).status_code == 204
            own_redis.stop()
            for client in (on_a, on_b):  # Redis away: the database still answers for sessions
                assert client.get('/api/v1/me', headers=bearer(gone)).status_code == 401
                assert client.get('/api/v1/me', headers=bearer(ended)).status_code == 401
                assert client.get('/api/v1/me', headers=bearer(kept)).status_code == 200
            own_redis.start()  # a new, empty server on the same port
            time.sleep(2.5)  # the instances notice it within their 2 s retry
            for client in (on_a, on_b):
                for _ in range(3):
                    assert client.get('/api/v1/me', headers=bearer(gone)).status_code == 401
                    assert client.get('/api/v1/me', headers=bearer(ended)).status_code == 401
                assert client.get('/api/v1/me', headers=bearer(kept)).status_code == 200
    finally:
        cluster.stop_all()


# --- the cache -------------------------------------------------------------------------------------------


def test_a_booking_on_one_instance_shows_at_once_on_the_other_whose_cache_was_warm(instances):
    a, b = instances.start('a'), instances.start('b')
    with a.client() as on_a, b.client() as on_b:
        show_id = make_show(on_a, _token(on_a, 'twinmanager', 'manager'), tickets=40)
        user = _token(on_a, 'twinuser')

        def left_on(client: httpx.Client) -> tuple[int, int]:
            """tickets_left from the show's page and from the listing."""
            show = client.get(f'/api/v1/shows/{show_id}')
            listing = client.get('/api/v1/shows')
            assert show.status_code == 200, show.text
            assert listing.status_code == 200, listing.text
            (item,) = [s for s in listing.json()['items'] if s['id'] == show_id]
            return show.json()['tickets_left'], item['tickets_left']

        assert left_on(on_b) == (40, 40)  # warms B's cache
        assert left_on(on_a) == (40, 40)  # and A's
        assert redis_keys(instances, 'cache:*')  # what they cached is in the shared Redis

        booked = on_a.post(f'/api/v1/shows/{show_id}/bookings', json={'tickets': 3}, headers=bearer(user))
        assert booked.status_code == 201, booked.text
        assert left_on(on_b) == (37, 37)

        cancelled = on_b.delete(f'/api/v1/bookings/{booked.json()["id"]}', headers=bearer(user))
        assert cancelled.status_code == 200, cancelled.text
        assert left_on(on_a) == (40, 40)


# --- the race --------------------------------------------------------------------------------------------


def test_the_http_race_across_two_instances_sells_exactly_the_capacity(instances):
    """tests/api/test_race.py's race, each of the 50 people on a connection to instance A or B in turn."""
    race([instances.start('a').base_url, instances.start('b').base_url])


def test_the_seat_race_across_two_instances_sells_every_seat_once(instances):
    """tests/api/test_seat_race.py's race (seats booked straight away) across instance A and B."""
    seat_race([instances.start('a').base_url, instances.start('b').base_url], through_holds=False)


def test_the_seat_race_through_holds_across_two_instances_sells_every_seat_once(instances):
    seat_race([instances.start('a').base_url, instances.start('b').base_url], through_holds=True)


# --- the mail jobs ---------------------------------------------------------------------------------------

TICK, LEASE, RETRY_MINUTES = 0.5, 3.0, 0.05  # the retry: 3 s between runs of a period that failed


def zone_near_noon() -> str:
    """A fixed-offset zone where it is now between 12:00 and 13:00, so a reminder due at 00:00 is due all test long
    and its period (the local date) cannot turn over midway."""
    offset = 12 - dt.datetime.now(dt.UTC).hour  # -11 … 12 hours
    return 'UTC' if offset == 0 else f'Etc/GMT{-offset:+d}'  # Etc/GMT-5 is UTC+5


def wait_for(what: str, condition: Callable[[], object], timeout: float, every: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f'not within {timeout} s: {what}')


def instance_id(app: LiveApp) -> str:
    """The 8 hex digits the scheduler logs as its instance."""
    found = re.search(r'scheduler started \(instance ([0-9a-f]{8})\)', app.log.read_text())
    assert found, app.log.read_text()[-2000:]
    return found.group(1)


def reminder_runs(engine: Engine) -> list[JobRun]:
    with engine.connect() as conn:
        return list(conn.execute(select(JobRun).where(JobRun.kind == 'reminder').order_by(JobRun.id)))


def _verify_addresses(client: httpx.Client, database_url: str) -> None:
    """Each new account opens the verification link of its signup (reminders go to verified addresses only). The
    seeder delivers no email, so the links are read from the queued messages; those messages, opened already, are
    then settled as expired, so that the SMTP server's first message is still the first reminder."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            queued = conn.execute(
                select(OutboxMessage.id, OutboxMessage.message).where(
                    OutboxMessage.kind == OutboxKind.EMAIL_VERIFICATION, OutboxMessage.status == OutboxStatus.PENDING
                )
            ).all()
            for row in queued:
                body = email.message_from_bytes(row.message, policy=policy.default).get_body(('plain',))
                token = re.search(r'/verify-email/([A-Za-z0-9_-]+)', body.get_content() if body else '')
                assert token is not None
                verified = client.post('/api/v1/auth/verify-email', json={'token': token.group(1)})
                assert verified.status_code == 204, verified.text
            conn.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([row.id for row in queued]))
                .values(status=OutboxStatus.EXPIRED, message=None)
            )
    finally:
        engine.dispose()


def test_the_mail_jobs_run_on_exactly_one_instance_and_another_takes_over_when_it_is_killed(instances, smtp_server):
    """Today's reminder is due (00:00 in a zone where it is now about noon). The SMTP server accepts the first
    reminder, then says 421 and goes down (the fixture's `die_after`): the leader's run delivers to Alice, fails on
    Bob, and is retried every 3 s against a server that is gone; the follower runs nothing. Just after one of those
    runs has ended (the next cannot start for 3 s, so no delivery is mid-claim) the leader is killed with SIGKILL, so
    its lease is never released and must expire (3 s). The survivor takes the lease; the SMTP server comes back and
    the survivor's next run sends Bob his reminder and skips Alice. Each audience member ends with exactly one
    reminder, one run is 'done' for the period, and nothing more goes out in the ticks after.

    The data is seeded through the API of a third instance without the scheduler, stopped before the two start:
    seeded through a scheduling instance, the first tick would find nobody to remind and close the day's run."""
    zone = zone_near_noon()
    period = dt.datetime.now(ZoneInfo(zone)).date().isoformat()
    mail = {
        'TICKETSHOW_TIMEZONE': zone,
        'TICKETSHOW_REMINDER_TIME': '00:00',
        'TICKETSHOW_SMTP_HOST': '127.0.0.1',
        'TICKETSHOW_SMTP_PORT': str(smtp_server.port),
        'TICKETSHOW_SMTP_TLS': 'none',
        'TICKETSHOW_SCHEDULER_TICK_SECONDS': str(TICK),
        'TICKETSHOW_SCHEDULER_LEASE_SECONDS': str(LEASE),
        'TICKETSHOW_MAIL_RETRY_MINUTES': str(RETRY_MINUTES),
    }
    audience = ['alice@example.com', 'bob@example.com']  # signed up in this order: reminded in it
    alice = audience[0]
    seeder = instances.start('seed', **mail)
    with seeder.client() as client:
        soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).isoformat()
        make_show(client, _token(client, 'mailmanager', 'manager'), tickets=50, starts_at=soon)
        for address in audience:
            _token(client, address.split('@')[0])
        _verify_addresses(client, instances.database_url)
    instances.stop(seeder)

    smtp_server.die_after = 1
    a = instances.start('a', TICKETSHOW_SCHEDULER='on', **mail)
    b = instances.start('b', TICKETSHOW_SCHEDULER='on', **mail)
    engine = create_engine(instances.database_url)
    leader_key = redis.Redis.from_url(instances.redis_url, decode_responses=True)
    try:

        def failed_runs() -> int:
            return sum(r.status == 'failed' for r in reminder_runs(engine))

        wait_for('the first reminder run (Alice sent, Bob not)', failed_runs, 20)
        failed = failed_runs()
        wait_for('a run against the dead server', lambda: failed_runs() > failed, 20, every=0.05)
        holder = leader_key.get(instances.prefix + 'scheduler:leader')
        assert holder is not None
        (leader,) = [app for app in (a, b) if holder.startswith(instance_id(app))]
        (survivor,) = [app for app in (a, b) if app is not leader]
        leader.process.kill()  # SIGKILL: no shutdown, no release of the lease
        killed_at = time.monotonic()
        leader.process.wait(timeout=10)

        runs = reminder_runs(engine)
        by_leader = len(runs)
        assert {r.status for r in runs} == {'failed'} and {r.period for r in runs} == {period}
        assert smtp_server.recipients == [alice]
        leader_log, survivor_log = leader.log.read_text(), survivor.log.read_text()
        assert f'instance {instance_id(leader)} now runs the mail jobs' in leader_log
        assert 'now runs the mail jobs' not in survivor_log  # the follower never led ...
        assert 'reminder run for' not in survivor_log and 'mail run:' not in survivor_log  # ... nor ran a job
        assert leader_log.count(f'reminder run for {period} stopped') == len(runs)  # every run was the leader's

        took_over = f'instance {instance_id(survivor)} now runs the mail jobs'
        wait_for('the survivor takes over', lambda: took_over in survivor.log.read_text(), 4 * LEASE)
        takeover = time.monotonic() - killed_at
        assert (leader_key.get(instances.prefix + 'scheduler:leader') or '').startswith(instance_id(survivor))

        smtp_server.start()
        wait_for('the survivor delivers', lambda: any(r.status == 'done' for r in reminder_runs(engine)), 30)
        time.sleep(4 * TICK)  # a few more ticks: a second delivery would show now
        runs = reminder_runs(engine)
        with engine.connect() as conn:
            deliveries = list(conn.execute(select(MailDelivery).where(MailDelivery.kind == 'reminder')))
    finally:
        leader_key.close()
        engine.dispose()

    print(
        f'\n[mail failover] zone={zone} period={period} failed runs: {by_leader} by the leader, '
        f'{len(runs) - by_leader - 1} by the survivor; takeover={takeover:.1f}s (lease {LEASE:g}s, tick {TICK:g}s); '
        f'delivered {smtp_server.recipients}'
    )
    assert smtp_server.recipients == audience  # Alice by the leader, Bob by the survivor: once each, nothing else
    assert all('Two Stages' in r.message.get_body(('plain',)).get_content() for r in smtp_server.received)
    assert [r.status for r in runs if r.status != 'failed'] == ['done']
    assert {r.period for r in runs} == {period}
    assert sorted((d.status, d.period) for d in deliveries) == [('sent', period)] * len(audience)
    assert f'mail run: reminder {period}: sent 1, failed 0, skipped 1' in survivor.log.read_text()
