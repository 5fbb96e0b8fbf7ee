"""The instances' heartbeat rows, the admin's system status, the queues' depths and the var folder's disk use."""

from __future__ import annotations

import datetime as dt

import pytest

from models import Instance, OutboxKind, OutboxMessage, OutboxStatus, Role
from models.db import session_scope
from services import instances, system
from services.errors import NotAllowed
from tests.factories import make_user

NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=dt.UTC)


def beat(instance_id: str, now: dt.datetime, port: int = 8081) -> None:
    with session_scope() as session:
        instances.beat(session, instance_id=instance_id, port=port, started_at=NOW - dt.timedelta(hours=1), now=now)


def test_a_beat_writes_the_row_then_renews_it_and_old_rows_are_forgotten(database):
    beat('a' * 32, NOW - dt.timedelta(days=2))  # an instance that died two days ago
    beat('b' * 32, NOW - dt.timedelta(seconds=30))
    beat('b' * 32, NOW)
    with session_scope() as session:
        rows = {i.id: i for i in session.query(Instance)}
    assert set(rows) == {'b' * 32}  # the one gone for a day was dropped by the beat
    assert rows['b' * 32].seen_at == NOW and rows['b' * 32].started_at == NOW - dt.timedelta(hours=1)
    assert rows['b' * 32].port == 8081 and rows['b' * 32].pid > 0
    with session_scope() as session:
        instances.leave(session, instance_id='b' * 32)
    with session_scope() as session:
        assert session.query(Instance).count() == 0


def test_the_system_status_is_for_admins_and_lists_instances_seen_in_the_last_minute(database, monkeypatch):
    root = make_user(role=Role.ADMIN)
    meera = make_user(role=Role.MANAGER)
    monkeypatch.setattr(instances, 'ID', 'c' * 32)
    beat('d' * 32, NOW - dt.timedelta(minutes=5))  # stopped answering: not shown
    beat('e' * 32, NOW - dt.timedelta(seconds=10), port=8082)
    beat('c' * 32, NOW - dt.timedelta(seconds=3))
    with session_scope() as session:
        for status, n in ((OutboxStatus.PENDING, 3), (OutboxStatus.FAILED, 1), (OutboxStatus.SENT, 2)):
            for _ in range(n):
                session.add(
                    OutboxMessage(
                        kind=OutboxKind.PASSWORD_RESET, to_address='a@example.com', subject='s', status=status
                    )
                )
    with session_scope() as session:
        with pytest.raises(NotAllowed, match=r'Only admins can see the system page\.'):
            system.system_status(session, actor_id=meera.id, now=NOW)
        found = system.system_status(session, actor_id=root.id, now=NOW)
    assert [(i.id[0], i.this_one, i.port) for i in found.instances] == [('c', True, 8081), ('e', False, 8082)]
    assert found.queues.outbox == {'pending': 3, 'failed': 1, 'sent': 2}
    assert found.queues.exports == {} and found.queues.offers_open == 0
    assert found.runs == []


def test_disk_use_sums_every_file_under_the_folder(tmp_path):
    (tmp_path / 'exports').mkdir()
    (tmp_path / 'exports' / 'a.csv').write_bytes(b'x' * 1000)
    (tmp_path / 'ticketshow.sqlite3').write_bytes(b'y' * 2345)
    use = system.disk_use(tmp_path)
    assert use.used_bytes == 3345
    assert 0 < use.free_bytes <= use.total_bytes
