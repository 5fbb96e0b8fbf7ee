"""One not-found page, answered 404, for every unknown path and every unknown (or not-yours) id of a page; in the
app's frame, with a search box and a way back. The API keeps its JSON 404s, static files their plain ones, and a
page a role may not open keeps its refusal."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import nicegui
import pytest
from nicegui.testing import User

from models import Role
from tests.api.conftest import LiveApp, start_live_app
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.ui.helpers import elements, open_as, open_not_found
from ui.not_found import NO_SUCH_PAGE, PAGE_NOT_FOUND

MISSING_PATHS = ['/nope', '/shows/1/reviews/and/more', '/Shows', '/bookings-old/7', '/nope/']


def title_of(response: httpx.Response) -> str:
    found = re.search(r'<title>(.*?)</title>', response.text, re.S)
    assert found is not None, response.text[:300]
    return html.unescape(found.group(1)).strip()


def assert_not_found_page(response: httpx.Response, title: str, *, logged_in: bool = False) -> None:
    """A 404 that is our page (NiceGUI's page, with the frame and the way on), never NiceGUI's or FastAPI's own."""
    assert response.status_code == 404, (response.status_code, response.text[:300])
    assert response.headers['content-type'].startswith('text/html')
    assert response.headers.get('x-nicegui-content') == 'page'
    assert title_of(response) == f'{title} · TicketShow'
    for text in ('TicketShow', 'Error 404', title, 'All shows', 'Search shows, theatres, places'):
        assert text in response.text, text
    assert ('My bookings' in response.text) is logged_in  # the header's menu has it too, for those logged in
    for foreign in ("This page doesn't exist", 'HTTPException', '"detail"', 'Not Found'):
        assert foreign not in response.text, foreign


@pytest.mark.parametrize('path', MISSING_PATHS)
async def test_an_unknown_path_answers_404_with_the_not_found_page(user: User, path: str) -> None:
    assert_not_found_page(await user.http_client.get(path), PAGE_NOT_FOUND)


@pytest.mark.parametrize('path', ['/shows/abc', '/shows/999999', '/shows/0', '/shows/-1', '/shows/1e3', '/shows/٤٢'])
async def test_an_id_that_is_no_show_answers_404(user: User, path: str) -> None:
    response = await user.http_client.get(path)
    assert_not_found_page(response, 'No such show')
    assert 'This show does not exist. It may have been removed.' in response.text


async def test_a_show_that_exists_still_answers_200(user: User) -> None:
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    show = make_show(theatre, name='Hamlet')
    response = await user.http_client.get(f'/shows/{show.id}')
    assert response.status_code == 200
    assert title_of(response) == 'Hamlet · TicketShow'
    assert 'Error 404' not in response.text


async def test_the_api_keeps_its_json_404s(user: User) -> None:
    for path in ('/api/v1/nope', '/api/nope/deeper', '/api/v1/shows/999999'):
        response = await user.http_client.get(path)
        assert response.status_code == 404, path
        assert response.headers['content-type'] == 'application/json', path
        assert response.json()['detail'], path
        assert 'x-nicegui-content' not in response.headers


async def test_static_files_keep_plain_404s(user: User) -> None:
    response = await user.http_client.get(f'/_nicegui/{nicegui.__version__}/static/no-such-file.js')
    assert response.status_code == 404
    assert 'x-nicegui-content' not in response.headers
    assert response.json() == {'detail': 'Not Found'}


async def test_a_logged_in_person_gets_the_page_with_their_header_and_bookings(user: User) -> None:
    make_user(username='asha', name='Asha Rao')
    await open_as(user, 'asha', '/bookings')
    for path, title in [
        ('/nope', PAGE_NOT_FOUND),
        ('/bookings/999999', 'No such booking'),
        ('/bookings/abc', 'No such booking'),
        ('/waitlist/abc', 'No such waiting-list entry'),
        ('/waitlist/999999', 'No such waiting-list entry'),
        ('/shows/abc', 'No such show'),
    ]:
        response = await user.http_client.get(path)
        assert_not_found_page(response, title, logged_in=True)
        assert 'Asha Rao' in response.text, path  # the header knows who is there


async def test_someone_elses_booking_is_the_same_404_as_a_missing_one(user: User) -> None:
    theatre = make_theatre(make_user(username='meera', role=Role.MANAGER), name='Prithvi')
    show = make_show(theatre, name='Hamlet')
    booking = make_booking(make_user(username='asha', name='Asha Rao'), show, tickets=2)
    make_user(username='ravi', name='Ravi Kumar')
    await open_as(user, 'ravi', '/bookings')
    theirs = await user.http_client.get(f'/bookings/{booking.id}')
    missing = await user.http_client.get('/bookings/999999')
    assert_not_found_page(theirs, 'No such booking', logged_in=True)
    assert_not_found_page(missing, 'No such booking', logged_in=True)
    for secret in ('Hamlet', 'Asha Rao', booking.reference):
        assert secret not in theirs.text


async def test_a_manager_gets_404_for_a_theatre_that_is_not_there_or_not_theirs(user: User) -> None:
    other = make_theatre(make_user(username='meera', role=Role.MANAGER), name='Prithvi Theatre')
    make_user(username='kiran', role=Role.MANAGER, name='Kiran Shah')
    await open_as(user, 'kiran', '/manage')
    for path in ('/theatres/999/seatmap', f'/theatres/{other.id}/seatmap', '/theatres/abc/seatmap'):
        response = await user.http_client.get(path)
        assert_not_found_page(response, 'No such theatre', logged_in=True)
        assert 'Prithvi Theatre' not in response.text


async def test_a_role_that_may_not_open_a_page_keeps_its_refusal(user: User) -> None:
    make_user(username='asha')
    await open_as(user, 'asha', '/bookings')
    response = await user.http_client.get('/theatres/999/seatmap')
    assert response.status_code == 403  # the refusal names the page's role, whatever the id
    assert 'The seat-map editor is for theatre managers.' in response.text
    assert 'Error 404' not in response.text


async def test_a_visitor_is_still_sent_to_log_in_before_any_id_is_looked_at(user: User) -> None:
    for path in ('/bookings/999999', '/waitlist/abc', '/theatres/999/seatmap'):
        response = await user.http_client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers['location'] == f'/login?redirect_to={quote(path, safe="")}'


async def test_the_page_offers_a_search_and_the_way_back(user: User) -> None:
    await open_not_found(user, '/nope')
    await user.should_see(PAGE_NOT_FOUND)
    await user.should_see(NO_SUCH_PAGE)
    await user.should_see('Log in')  # the header, drawn for a visitor
    (form,) = elements(user, marker='not-found-search')
    assert form.tag == 'form' and form.props['action'] == '/' and form.props['method'] == 'get'
    (query,) = [e for e in form.descendants() if isinstance(e, nicegui.ui.input)]
    assert query.props['name'] == 'q'  # the listing reads ?q=
    (home,) = elements(user, marker='not-found-home')
    assert home.props['href'] == '/'
    assert not elements(user, marker='not-found-bookings')


@pytest.fixture
def server(tmp_path, app_database_url) -> Iterator[LiveApp]:
    """main.py as the real server process (uvicorn, every middleware), on this test's database."""
    app = start_live_app(tmp_path / 'live', database_url=app_database_url)
    try:
        yield app
    finally:
        app.process.terminate()
        app.process.wait(timeout=20)


def test_the_real_server_answers_404_pages_and_json(server: LiveApp) -> None:
    with server.client() as client:
        for path in ('/nope', '/shows/abc', '/shows/999999', '/a/deep/path/that/is/not/there'):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.headers.get('x-nicegui-content') == 'page', path
            assert 'Error 404' in response.text and 'Search shows, theatres, places' in response.text, path
        assert title_of(client.get('/shows/abc')) == 'No such show · TicketShow'
        assert title_of(client.get('/nope')) == f'{PAGE_NOT_FOUND} · TicketShow'
        api = client.get('/api/v1/nope')
        assert api.status_code == 404
        assert api.json() == {'detail': 'No such endpoint: GET /api/v1/nope'}
        assert client.get('/').status_code == 200
