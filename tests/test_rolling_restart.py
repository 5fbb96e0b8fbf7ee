"""A rolling restart of two instances (one PostgreSQL, one Redis) under booking load: each is sent SIGTERM in turn,
finishes what it is serving, hands the scheduler over and exits; a new one takes its place.

What must hold: every booking the database holds was answered 201 to its buyer (a request that got no answer did
nothing, so retrying it elsewhere, as a proxy or a person does, sells nothing twice), no answer is a 5xx, each stop
exits cleanly within the shutdown time, and the scheduler's lease moves to the instance that stays.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import redis
from sqlalchemy import create_engine, text

from services.kv import LEADER_KEY
from tests.api.test_race import _token
from tests.test_instances import Instances, bearer, make_show

BUYERS = 8
SETTINGS = {'TICKETSHOW_SCHEDULER': 'on', 'TICKETSHOW_SCHEDULER_TICK_SECONDS': '1', 'TICKETSHOW_SHUTDOWN_SECONDS': '20'}


@pytest.fixture
def cluster(tmp_path, fresh_postgres_url, redis_url) -> Iterator[Instances]:
    instances = Instances(tmp_path, fresh_postgres_url, redis_url)
    yield instances
    instances.stop_all()


def test_a_rolling_restart_under_booking_load_loses_no_booking_and_sells_none_twice(cluster: Instances):
    instances, settings = cluster, SETTINGS
    apps = {'a': instances.start('a', **settings), 'b': instances.start('b', **settings)}
    with apps['a'].client() as setup:
        show_id = make_show(setup, _token(setup, 'rollmanager', 'manager'), tickets=5000)
        tokens = [_token(setup, f'roller{i}') for i in range(BUYERS)]

    urls = {name: app.base_url for name, app in apps.items()}
    outcomes: Counter[str] = Counter()
    booked: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def buyer(index: int) -> None:
        turn = index
        while not stop.is_set():
            turn += 1
            with lock:
                url = list(urls.values())[turn % len(urls)]
            # A connection per request: an error then means this request, never an idle connection's reuse.
            try:
                with httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(max_keepalive_connections=0)) as c:
                    answer = c.post(
                        f'/api/v1/shows/{show_id}/bookings', json={'tickets': 1}, headers=bearer(tokens[index])
                    )
            except httpx.ConnectError:
                with lock:
                    outcomes['refused connection (retried elsewhere)'] += 1
                continue
            except httpx.TransportError as error:
                with lock:
                    outcomes[f'no answer: {type(error).__name__} (retried)'] += 1
                continue
            with lock:
                outcomes[str(answer.status_code)] += 1
                if answer.status_code == 201:
                    booked.append(answer.json()['id'])
            stop.wait(0.02)  # steady load, not a flood: the instance that starts meanwhile needs the CPU too

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(BUYERS)]
    for thread in threads:
        thread.start()
    stops: dict[str, float] = {}
    try:
        time.sleep(2)
        for name in ('a', 'b'):
            old = apps[name]
            with lock:
                del urls[name]  # the proxy's turn: no new requests for it ...
            sent = time.monotonic()
            old.process.send_signal(signal.SIGTERM)  # ... while those in flight finish
            # uvicorn ends by the signal it was stopped with, once everything is done: a clean stop to systemd.
            assert old.process.wait(timeout=40) in (0, -signal.SIGTERM), old.log.read_text()[-3000:]
            stops[name] = time.monotonic() - sent
            log = old.log.read_text()
            assert 'Traceback' not in log, log[-3000:]
            # A start under load (and beside the rest of the suite) takes longer than a quiet one.
            apps[name] = instances.start(f'{name}2', wait_seconds=180, **settings)
            with lock:
                urls[name] = apps[name].base_url
            time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    print(f'\n[rolling restart] outcomes={dict(outcomes)} stops={ {k: round(v, 2) for k, v in stops.items()} }')
    assert set(outcomes) - {'201', '409'} <= {'refused connection (retried elsewhere)'} | {
        key for key in outcomes if key.startswith('no answer')
    }, outcomes  # no 5xx, no other answer
    assert outcomes['201'] > 50
    engine = create_engine(instances.database_url)
    with engine.connect() as conn:
        in_database = set(conn.scalars(text('SELECT id FROM bookings WHERE show_id = :s'), {'s': show_id}))
        sold = conn.scalar(text('SELECT tickets_sold FROM shows WHERE id = :s'), {'s': show_id})
        tickets = conn.scalar(text('SELECT count(*) FROM tickets WHERE show_id = :s'), {'s': show_id})
    engine.dispose()
    assert in_database == set(booked)  # nothing done without its buyer hearing of it
    assert sold == tickets == len(booked) <= 5000  # (409: sold out, if the load outran 5,000 tickets)
    # The lease is held by one of the instances running now (handed over at each stop, not left to expire).
    deadline = time.monotonic() + 15
    client = redis.Redis.from_url(instances.redis_url, decode_responses=True)
    while client.get(instances.prefix + LEADER_KEY) is None:
        assert time.monotonic() < deadline, 'no instance took the scheduler lease'
        time.sleep(0.2)
    for app in apps.values():
        assert app.client().get('/readyz').json()['checks']['scheduler']['state'] == 'ok'
