"""The request id reaches what is logged on the database threads, and the JSON lines' shape."""

from __future__ import annotations

import asyncio
import io
import json
import logging

import httpx
import pytest

from services import logs, workers

inside = logging.getLogger('ticketshow.test.inside')


@pytest.fixture
def captured():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    handler.addFilter(logs.RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


async def endpoint(scope, receive, send) -> None:
    """Logs on the event loop, on a read thread and on the write thread, then answers."""
    inside.info('on the loop')
    await workers.run_read(inside.info, 'on a read thread')
    await workers.run_write(inside.info, 'on the write thread')
    await send({'type': 'http.response.start', 'status': 204, 'headers': []})
    await send({'type': 'http.response.body', 'body': b''})


def test_a_request_id_is_on_every_line_of_the_request_on_every_thread(captured, sqlite_db):
    async def two_requests() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=logs.RequestIds(endpoint))
        async with httpx.AsyncClient(transport=transport, base_url='http://test') as client:
            return await asyncio.gather(client.get('/a', headers={'X-Request-ID': 'first-request'}), client.get('/b'))

    first, second = asyncio.run(two_requests())
    assert first.headers['x-request-id'] == 'first-request'
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    for request_id in ('first-request', second.headers['x-request-id']):
        mine = [line for line in lines if line.get('request_id') == request_id]
        assert [line['message'] for line in mine] == [
            'on the loop',
            'on a read thread',
            'on the write thread',
            'request',
        ]
        assert mine[-1]['status'] == 204 and mine[-1]['route'] == 'unmatched' and mine[-1]['user_id'] is None
    logging.getLogger('ticketshow.test.outside').warning('no request')
    last = json.loads(captured.getvalue().splitlines()[-1])
    assert last['message'] == 'no request' and 'request_id' not in last


def test_an_exception_is_one_json_line_with_its_traceback(captured):
    try:
        raise ValueError('a fault')
    except ValueError:
        inside.exception('it broke')
    [line] = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert line['level'] == 'ERROR' and line['message'] == 'it broke'
    assert line['exception'].startswith('Traceback') and 'ValueError: a fault' in line['exception']
