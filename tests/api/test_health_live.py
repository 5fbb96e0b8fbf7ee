"""/healthz and /readyz on a real server: PostgreSQL taken away from the app (through a relay the test cuts) and
given back, a flood of probes, and what the answers hold."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy.engine import make_url

from tests.tcp_proxy import TcpProxy


def wait_for(client: httpx.Client, path: str, status: int, seconds: float = 30) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        answer = client.get(path)
        if answer.status_code == status or time.monotonic() > deadline:
            return answer
        time.sleep(0.3)


def test_readiness_turns_false_when_postgresql_goes_away_and_true_when_it_returns(live_app, fresh_postgres_url):
    url = make_url(fresh_postgres_url)
    with TcpProxy((url.host or '127.0.0.1', url.port or 5432)) as relay:
        app = live_app(url.set(host='127.0.0.1', port=relay.port).render_as_string(hide_password=False))
        with app.client() as client:
            ready = client.get('/readyz')
            assert ready.status_code == 200, ready.text
            body = ready.json()
            assert body['ready'] is True
            assert body['checks']['database'] == {'state': 'ok', 'detail': 'postgresql answers'}
            assert body['checks']['migrations']['state'] == 'ok'
            assert ready.headers['cache-control'] == 'no-store'

            relay.cut()
            down = wait_for(client, '/readyz', 503)
            assert down.status_code == 503, down.text
            assert down.headers['retry-after'] == '5'
            assert down.json()['ready'] is False
            assert down.json()['checks']['database']['state'] == 'failed'
            alive = client.get('/healthz')  # the process still answers: no reason to restart it
            assert (alive.status_code, alive.json()) == (200, {'status': 'alive'})

            relay.mend()
            back = wait_for(client, '/readyz', 200)
            assert back.status_code == 200, back.text
            assert back.json()['checks']['database']['state'] == 'ok'
            assert client.get('/api/v1/shows').status_code == 200  # and the app serves again


def test_probes_need_no_login_give_no_cookie_and_a_flood_is_answered(live_app):
    app = live_app()
    with app.client() as client:
        alive = client.get('/healthz')
        ready = client.get('/readyz')
    assert alive.status_code == 200 and ready.status_code == 200, ready.text
    with app.client() as client:  # a balancer that probes with HEAD
        assert client.head('/healthz').status_code == 200 and client.head('/readyz').status_code == 200
    for answer in (alive, ready):
        assert 'set-cookie' not in answer.headers
        assert answer.headers['content-type'] == 'application/json'
    checks = ready.json()['checks']
    assert set(checks) == {'database', 'migrations', 'redis', 'scheduler', 'outbox'}
    assert checks['database']['state'] == 'ok'
    # The live app runs without Redis and with the scheduler off: nobody delivers scheduled mail, which is the
    # deployment's problem (degraded), not this instance's (still ready, 200) ...
    assert checks['scheduler']['state'] == 'degraded'
    assert ready.json()['status'] == 'degraded'
    # ... unless a monitor asks strictly.
    with app.client() as client:
        strict = client.get('/readyz', params={'strict': 'true'})
        assert strict.status_code == 503 and strict.headers['retry-after'] == '5'
        assert client.get('/readyz', params={'strict': 'maybe'}).status_code == 422

    def probe(_: int) -> int:
        with httpx.Client(base_url=app.base_url, timeout=30) as own:
            return own.get('/readyz').status_code

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(probe, range(400)))
    assert answers == [200] * 400
    log = app.log.read_text()
    assert 'Traceback' not in log
