"""The API is an app of its own, answered ahead of the pages' middleware (api/routes.py, ApiFirst): a bearer-token
request never passes NiceGUI's session and request tracking, the documents come from the API app, the pages are
untouched, and a fault of ours answers JSON."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from models import Role
from services import booking
from tests.api.test_contract import API, bearer, raw_client
from tests.factories import make_show, make_theatre, make_user


async def test_an_api_answer_sets_no_cookie_while_a_page_does(user: User) -> None:
    """NiceGUI's middleware gives every request a browser id in a re-signed cookie; the API's answers go around it."""
    manager = make_user(username='meera', role=Role.MANAGER)
    show = make_show(make_theatre(manager))
    make_user(username='asha')
    headers = await bearer(user, 'asha')
    async with raw_client() as client:
        listing = await client.get(f'{API}/shows')
        booked = await client.post(f'{API}/shows/{show.id}/bookings', json={'tickets': 1}, headers=headers)
        page = await client.get('/')
    assert listing.status_code == 200
    assert booked.status_code == 201, booked.text
    assert 'set-cookie' not in listing.headers
    assert 'set-cookie' not in booked.headers
    assert page.status_code == 200
    assert 'session=' in page.headers.get('set-cookie', '')  # the pages keep theirs


@pytest.mark.parametrize('path', ['/openapi.json', '/docs', '/redoc'])
async def test_the_documents_are_served_by_the_api_app(user: User, path: str) -> None:
    async with raw_client() as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert 'set-cookie' not in response.headers
    if path == '/openapi.json':
        document = response.json()
        assert document['info']['title'] == 'TicketShow API'
        assert f'{API}/shows/{{show_id}}/bookings' in document['paths']
        assert not any(p.startswith('/_nicegui') for p in document['paths'])  # NiceGUI's own routes stay out


async def test_a_fault_in_an_api_route_answers_json_without_its_text(user: User, monkeypatch, caplog) -> None:
    """A bug (here: the booking service raising something no rule expects) is a 500 with a JSON detail that says
    nothing of the fault; the log has it."""
    manager = make_user(username='meera', role=Role.MANAGER)
    show = make_show(make_theatre(manager))
    make_user(username='asha')
    headers = await bearer(user, 'asha')

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError('secret internals: /var/lib/db password=hunter2')

    monkeypatch.setattr(booking, 'book', broken)
    async with raw_client() as client:
        response = await client.post(f'{API}/shows/{show.id}/bookings', json={'tickets': 1}, headers=headers)
    assert response.status_code == 500
    assert response.headers['content-type'].startswith('application/json')
    assert 'hunter2' not in response.text and 'internals' not in response.text
    assert response.json()['detail'].startswith('Something went wrong on our side')


async def test_a_page_path_that_looks_like_the_api_prefix_is_still_a_page(user: User) -> None:
    """Only /api/ and the API's own paths go to the API app: /apiary is an unknown page, answered by the pages."""
    async with raw_client() as client:
        page = await client.get('/apiary')
        api = await client.get('/api/v1/nope')
    assert page.status_code == 404
    assert page.headers['content-type'].startswith('text/html')
    assert api.status_code == 404
    assert api.json() == {'detail': 'No such endpoint: GET /api/v1/nope'}
