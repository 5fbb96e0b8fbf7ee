"""GET /metrics on a real server: its token, and what a booking race, a door and stray paths leave in it."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.api.test_race import _token
from tests.test_instances import make_show

TOKEN = 'a-metrics-token-for-the-test-0123456789'
PEOPLE = 20
CAPACITY = 30


def scrape(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get('/metrics', headers={'Authorization': f'Bearer {TOKEN}'})
    assert answer.status_code == 200, answer.text
    assert answer.headers['content-type'].startswith('text/plain')
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_are_off_without_a_token_and_refuse_a_wrong_one(live_app):
    off = live_app()
    with off.client() as client:
        answer = client.get('/metrics', headers={'Authorization': f'Bearer {TOKEN}'})
        assert answer.status_code == 404
        assert 'TICKETSHOW_METRICS_TOKEN' in answer.json()['detail']
    on = live_app(TICKETSHOW_METRICS_TOKEN=TOKEN)
    with on.client() as client:
        for headers in ({}, {'Authorization': 'Bearer wrong'}, {'Authorization': TOKEN}, {'Cookie': f'token={TOKEN}'}):
            refused = client.get('/metrics', headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers['www-authenticate'] == 'Bearer'
            assert 'ticketshow_' not in refused.text
        assert client.get('/metrics', headers={'Authorization': f'bearer  {TOKEN}'}).status_code == 200  # any case
    assert TOKEN not in on.log.read_text()


def test_a_booking_race_a_door_and_stray_paths_are_counted(live_app):
    app = live_app(TICKETSHOW_METRICS_TOKEN=TOKEN)
    with app.client() as setup:
        manager_token = _token(setup, 'metricsmanager', 'manager')
        manager = {'Authorization': f'Bearer {manager_token}'}
        show_id = make_show(setup, manager_token, tickets=CAPACITY)
        tokens = [_token(setup, f'counted{i:02d}') for i in range(PEOPLE)]
        before = scrape(setup)

    statuses: Counter[int] = Counter()
    codes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(PEOPLE)

    def person(index: int) -> None:
        with httpx.Client(base_url=app.base_url, timeout=60, headers={'Authorization': f'Bearer {tokens[index]}'}) as c:
            start.wait()
            while True:
                answer = c.post(f'/api/v1/shows/{show_id}/bookings', json={'tickets': 1})
                with lock:
                    statuses[answer.status_code] += 1
                    if answer.status_code == 201:
                        codes.append(answer.json()['tickets'][0]['code'])
                if answer.status_code != 201:
                    return

    threads = [threading.Thread(target=person, args=(i,)) for i in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses == {201: CAPACITY, 409: PEOPLE}

    with app.client() as client:
        assert (
            client.post('/api/v1/checkin', json={'code': codes[0], 'show_id': show_id}, headers=manager).status_code
            == 200
        )
        assert (
            client.post('/api/v1/checkin', json={'code': codes[0], 'show_id': show_id}, headers=manager).status_code
            == 409
        )
        assert (
            client.post('/api/v1/checkin', json={'code': 'x' * 22, 'show_id': show_id}, headers=manager).status_code
            == 404
        )
        for i in range(30):  # stray paths and odd methods: no new series for each
            client.get(f'/no/such/page/{i}')
            client.request('BREW', f'/api/v1/shows/{i}')
        time.sleep(1.2)  # the event loop's lag is sampled every half second
        after = scrape(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew('ticketshow_bookings_total', seating='general') == CAPACITY
    assert grew('ticketshow_tickets_sold_total') == CAPACITY
    assert grew('ticketshow_booking_refusals_total', reason='sold_out') == PEOPLE
    route = '/api/v1/shows/{show_id}/bookings'
    assert grew('ticketshow_http_requests_total', method='POST', route=route, status='201') == CAPACITY
    assert grew('ticketshow_http_requests_total', method='POST', route=route, status='409') == PEOPLE
    assert grew('ticketshow_http_request_duration_seconds_count', method='POST', route=route) == CAPACITY + PEOPLE
    assert grew('ticketshow_checkins_total', result='admitted') == 1
    assert grew('ticketshow_checkins_total', result='already') == 1
    assert grew('ticketshow_checkins_total', result='unknown') == 1
    # Every signup queued its verification email (no scheduler here delivers it).
    assert value(after, 'ticketshow_outbox_messages', status='pending') == PEOPLE + 1
    assert value(after, 'ticketshow_event_loop_lag_seconds_count') >= 2
    assert ('ticketshow_connected_clients', ()) in after
    assert value(after, 'process_resident_memory_bytes') > 0
    routes = {dict(labels).get('route') for name, labels in after if name == 'ticketshow_http_requests_total'}
    methods = {dict(labels).get('method') for name, labels in after if name == 'ticketshow_http_requests_total'}
    assert not any(part.isdigit() for r in routes for part in r.split('/')), routes  # templates, never ids
    assert methods <= {'GET', 'POST', 'OTHER'}  # BREW: refused by the HTTP parser, or counted as OTHER
    assert len(routes) < 20, routes
