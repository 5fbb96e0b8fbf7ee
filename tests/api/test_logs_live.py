"""TICKETSHOW_LOG_FORMAT=json on a real server: every line JSON, a request id from the proxy or fresh on every
request's line, the route template and the user id, and never a password, token, hash or address."""

from __future__ import annotations

import json
import re

from tests.api.test_race import _token
from tests.test_instances import make_show

PASSWORD = 'race-password-1'  # what tests.api.test_race._token signs people up with


def records(app) -> list[dict]:
    lines = [line for line in app.log.read_text().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line: one JSON object, or this fails
    assert all({'time', 'level', 'logger', 'message'} <= set(r) for r in parsed)
    return parsed


def test_json_logs_carry_request_ids_route_templates_and_users_but_no_secrets(live_app):
    app = live_app(TICKETSHOW_LOG_FORMAT='json', TICKETSHOW_DEMO_DATA='true')
    with app.client() as client:
        manager_token = _token(client, 'logmanager', 'manager')
        show_id = make_show(client, manager_token, tickets=20)
        buyer_token = _token(client, 'logbuyer')
        me = client.get('/api/v1/me', headers={'Authorization': f'Bearer {buyer_token}'}).json()
        booked = client.post(
            f'/api/v1/shows/{show_id}/bookings',
            json={'tickets': 2},
            headers={'Authorization': f'Bearer {buyer_token}', 'X-Request-ID': 'proxy-7f3a.1'},
        )
        assert booked.status_code == 201, booked.text
        assert booked.headers['x-request-id'] == 'proxy-7f3a.1'
        planted = client.get('/api/v1/shows', headers={'X-Request-ID': '<script>alert(1)</script>'})
        fresh = planted.headers['x-request-id']
        assert re.fullmatch(r'[0-9a-f]{32}', fresh)
        too_long = client.get('/healthz', headers={'X-Request-ID': 'a' * 65}).headers['x-request-id']
        assert too_long != 'a' * 65 and re.fullmatch(r'[0-9a-f]{32}', too_long)
        page = client.get('/')
        assert page.status_code == 200 and re.fullmatch(r'[0-9a-f]{32}', page.headers['x-request-id'])
        failed = client.post('/api/v1/auth/login', json={'username': 'logbuyer', 'password': 'wrong-' + PASSWORD})
        assert failed.status_code == 401

    logged = records(app)
    requests = [r for r in logged if r['logger'] == 'ticketshow.request']
    booking = next(r for r in requests if r.get('request_id') == 'proxy-7f3a.1')
    assert booking['route'] == '/api/v1/shows/{show_id}/bookings'
    assert (booking['method'], booking['status'], booking['user_id']) == ('POST', 201, me['id'])
    assert isinstance(booking['duration_ms'], float) and booking['duration_ms'] > 0
    assert next(r for r in requests if r.get('request_id') == fresh)['route'] == '/api/v1/shows'
    assert next(r for r in requests if r['route'] == '/')['status'] == 200  # the pages too
    assert all(r['request_id'] for r in requests)
    assert len({r['request_id'] for r in requests}) == len(requests)  # one line per request, each its own id
    starting = [r for r in logged if r['message'].startswith('TicketShow is starting on')]
    assert len(starting) == 1
    assert any(r['message'].startswith('Demo logins are in ') for r in logged)

    text = app.log.read_text()
    demo_logins = (app.log.parent / 'demo_logins.txt').read_text().splitlines()
    demo_passwords = [line.split(' / ')[1].split()[0] for line in demo_logins]
    for secret in [PASSWORD, manager_token, buyer_token, '$2b$', 'logbuyer@example.com', *demo_passwords]:
        assert secret not in text, secret
    assert '<script>' not in text
    assert 'Traceback' not in text
