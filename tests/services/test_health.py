"""Readiness checks against a migrated database (SQLite and PostgreSQL) and a Redis of the test's own."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import text

from models import OutboxKind, OutboxMessage, OutboxStatus, db
from models.db import utcnow
from models.migrate import upgrade
from services import health
from services.kv import KV, LEADER_KEY

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=['sqlite', 'postgres'])
def migrated_url(request, tmp_path) -> str:
    url = (
        f'sqlite:///{tmp_path / "ready.sqlite3"}'
        if request.param == 'sqlite'
        else request.getfixturevalue('fresh_postgres_url')
    )
    upgrade(url)
    db.configure(url)
    return url


def probe(url: str, kv: KV | None = None, *, redis_configured: bool = False) -> health.Probe:
    return health.Probe(
        url=url,
        kv=kv or KV(None),
        redis_configured=redis_configured,
        outbox_stuck_after=dt.timedelta(minutes=10),
        clock=lambda: NOW,
    )


def queue_email(due: dt.datetime, status: OutboxStatus = OutboxStatus.PENDING) -> None:
    with db.session_scope() as session:
        session.add(
            OutboxMessage(
                kind=OutboxKind.PASSWORD_RESET,
                to_address='someone@example.com',
                subject='Reset',
                status=status,
                next_attempt_at=due,
                created_at=due,
            )
        )


def test_a_migrated_database_is_ready(migrated_url):
    kv = KV(None)
    kv.claim(LEADER_KEY, 'a1b2c3d4e5f6', 60)
    result = probe(migrated_url, kv).run()
    assert result.ready and result.status == 'ready', result.as_json()
    assert result.checks['migrations'].state == 'ok'
    assert result.checks['scheduler'] == health.Check('ok', 'instance a1b2c3d4 runs the scheduled jobs')
    assert result.checks['outbox'] == health.Check('ok', 'no email waiting')


def test_a_schema_behind_the_code_is_not_ready_and_says_what_to_run(migrated_url):
    with db.engine().begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    result = probe(migrated_url).run()
    assert not result.ready and result.status == 'unready'
    check = result.checks['migrations']
    assert check.state == 'failed'
    assert check.detail.startswith('the schema is at 0004, the code expects ')
    assert check.detail.endswith('run `python main.py migrate`')
    assert result.checks['database'].state == 'ok'


def test_an_email_due_long_ago_and_unsent_makes_the_deployment_degraded_not_unready(migrated_url):
    queue_email(NOW + dt.timedelta(minutes=30))  # a retry later: not stuck
    queue_email(NOW - dt.timedelta(hours=3), OutboxStatus.SENT)  # long done
    assert probe(migrated_url).run().checks['outbox'] == health.Check('ok', 'email is being delivered')
    queue_email(NOW - dt.timedelta(minutes=9))
    assert probe(migrated_url).run().checks['outbox'].state == 'ok'
    queue_email(NOW - dt.timedelta(minutes=25))
    result = probe(migrated_url).run()
    assert result.checks['outbox'] == health.Check(
        'degraded', 'an email has been due for 25 minutes and nobody sent it'
    )
    assert result.ready and result.status == 'degraded'


def test_redis_down_is_the_fallback_and_redis_back_is_noticed(migrated_url, own_redis):
    kv = KV(own_redis.url)
    assert probe(migrated_url, kv, redis_configured=True).redis() == health.Check('ok', 'Redis answers')
    own_redis.stop()
    kv.set('anything', '1')  # the store notices on its next operation
    check = probe(migrated_url, kv, redis_configured=True).redis()
    assert check.state == 'degraded' and 'in-process store' in check.detail
    own_redis.start()
    deadline = utcnow() + dt.timedelta(seconds=10)
    while probe(migrated_url, kv, redis_configured=True).redis().state != 'ok':
        assert utcnow() < deadline, 'Redis came back but the probe never said so'
        asyncio.run(asyncio.sleep(0.2))


def test_an_unreachable_database_fails_without_raising(tmp_path):
    db.configure(f'sqlite:///{tmp_path / "missing" / "no-such-folder" / "x.sqlite3"}')
    result = probe(f'sqlite:///{tmp_path / "x.sqlite3"}').run()
    assert not result.ready
    assert result.checks['database'].state == 'failed'
    assert result.checks['database'].detail.startswith('the database does not answer (')


def test_concurrent_probes_share_one_check_a_second(migrated_url, monkeypatch):
    real = probe(migrated_url)
    runs: list[float] = []

    class Counted(health.Probe):
        def run(self) -> health.Readiness:
            runs.append(1)
            return super().run()

    health.configure(Counted(**{k: getattr(real, k) for k in ('url', 'kv', 'redis_configured', 'outbox_stuck_after')}))

    async def many() -> list[health.Readiness]:
        return await asyncio.gather(*(health.readiness() for _ in range(200)))

    try:
        answers = asyncio.run(many())
        assert len(runs) == 1 and all(a is answers[0] for a in answers)
        assert asyncio.run(health.readiness()) is answers[0]  # within the second: the same answer
        monkeypatch.setattr(health, 'CHECK_SECONDS', 0.0)
        asyncio.run(health.readiness())
        assert len(runs) == 2
    finally:
        health.configure(None)


def test_a_database_that_hangs_gets_an_answer_in_time(fresh_postgres_url, monkeypatch):
    upgrade(fresh_postgres_url)
    db.configure(fresh_postgres_url, lock_timeout=5)
    monkeypatch.setattr(health, 'TIMEOUT_SECONDS', 0.3)
    health.configure(probe(fresh_postgres_url))
    # Another transaction holds the table the probe reads: its query waits (up to the 5 s lock timeout).
    with db.engine().connect() as holder:
        holder.execute(text('LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE'))
        try:
            began = utcnow()
            result = asyncio.run(health.readiness())
            assert utcnow() - began < dt.timedelta(seconds=2)
            assert not result.ready
            assert result.checks['database'] == health.Check('failed', 'no answer within 0.3 s')
        finally:
            holder.rollback()
            health.configure(None)
