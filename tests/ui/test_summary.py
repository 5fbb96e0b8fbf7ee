"""The managers' summary page and its charts, through the browser session."""

from __future__ import annotations

from nicegui import ElementFilter, ui
from nicegui.testing import User

from models import BookingStatus, Role
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.ui.helpers import elements, open_as

PNG = b'\x89PNG\r\n\x1a\n'


def seed() -> tuple[int, int]:
    """Meera's theatre with two shows: 3 + 2 tickets sold at ₹250, and a cancelled booking that does not count."""
    meera = make_user(username='meera', role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi', place='Mumbai')
    hamlet = make_show(theatre, name='Hamlet', num_tickets=50, price_cents=25000)
    tughlaq = make_show(theatre, name='Tughlaq', num_tickets=30, price_cents=25000)
    asha = make_user(username='asha')
    make_booking(asha, hamlet, tickets=3)
    make_booking(asha, tughlaq, tickets=2)
    make_booking(asha, tughlaq, tickets=4, status=BookingStatus.CANCELLED)
    return theatre.id, hamlet.id


def figure(user: User, marker: str, scope: str) -> str:
    """The value shown on the figure card `marker` inside the element marked `scope`."""
    with user.client:
        (value,) = ElementFilter(marker='value', local_scope=False).within(marker=scope).within(marker=marker)
    return value.text


async def test_the_summary_shows_each_theatres_figures_and_charts(user: User) -> None:
    theatre_id, _ = seed()
    await open_as(user, 'meera', '/summary')
    await user.should_see('Prithvi')
    scope = f'summary-{theatre_id}'
    assert figure(user, 'sold', scope) == '5'
    assert figure(user, 'revenue', scope) == '₹1,250'
    assert figure(user, 'occupancy', scope) == '6%'  # 5 of 80
    assert figure(user, 'shows', scope) == '2'
    with user.scope(marker='best-sellers'):
        await user.should_see('1. Hamlet')
        await user.should_see('2. Tughlaq')
    images = elements(user, kind=ui.image)
    sources = sorted(image.source.split('?')[0] for image in images)
    assert sources == [f'/api/v1/theatres/{theatre_id}/sales.png', f'/api/v1/theatres/{theatre_id}/trend.png']
    for source in sources:
        response = await user.http_client.get(source)
        assert response.status_code == 200
        assert response.headers['content-type'] == 'image/png'
        assert response.content.startswith(PNG)
        assert len(response.content) > 5000


async def test_another_manager_gets_no_chart_of_a_foreign_theatre(user: User) -> None:
    theatre_id, _ = seed()
    make_user(username='omar', role=Role.MANAGER)
    await open_as(user, 'omar', '/summary')
    await user.should_see('Nothing to sum up yet')
    response = await user.http_client.get(f'/api/v1/theatres/{theatre_id}/trend.png')
    assert response.status_code == 404
    assert response.json() == {'detail': 'No such theatre.'}


async def test_charts_need_a_login(user: User) -> None:
    theatre_id, _ = seed()
    await user.open('/')
    response = await user.http_client.get(f'/api/v1/theatres/{theatre_id}/trend.png')
    assert response.status_code == 401
    assert 'log in' in response.json()['detail']


async def test_an_audience_member_is_turned_away(user: User) -> None:
    seed()
    await open_as(user, 'asha', '/summary')
    await user.should_see(marker='not-allowed')
    await user.should_not_see('Prithvi')
    response = await user.http_client.get('/api/v1/summary/theatres.png')
    assert response.status_code == 403
