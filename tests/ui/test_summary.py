"""The managers' summary page and its charts, through the browser session."""

from __future__ import annotations

import base64
import io

from nicegui import ElementFilter, ui
from nicegui.testing import User
from PIL import Image

from models import BookingStatus, Role
from models.db import session_scope
from services import booking
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services.test_seating import HOUSE, create_reserved, put_map, seat_ids
from tests.ui.helpers import elements, eventually, open_as

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


def seed_seated() -> tuple[int, int]:
    """Meera's Prithvi with a seat map and a reserved show two seats of which are sold, and her Tata Theatre with a
    map but no reserved show; Prithvi's general-admission theatre of `seed` has no map at all."""
    meera = make_user(username='meera', role=Role.MANAGER)
    asha = make_user(username='asha')
    prithvi = make_theatre(meera, name='Prithvi', place='Mumbai')
    put_map(meera, prithvi, HOUSE)
    show = create_reserved(meera, prithvi)
    ids = seat_ids(prithvi)
    with session_scope() as s:
        booking.book(s, show_id=show.id, user_id=asha.id, seats=[ids['Stalls A1'], ids['Stalls A2']], send_email=False)
    tata = make_theatre(meera, name='Tata Theatre', place='Mumbai')
    put_map(meera, tata, HOUSE)
    make_theatre(meera, name='Open Hall', place='Pune')
    return prithvi.id, tata.id


async def test_a_theatre_with_a_seat_map_shows_which_seats_sell_first(user: User) -> None:
    prithvi, tata = seed_seated()
    await open_as(user, 'meera', '/summary')
    await user.should_see('Prithvi')
    await eventually(lambda: elements(user, marker='chart-seat-heat'), message='the seat heat map')
    with user.client:
        (card,) = ElementFilter(marker='seat-heat', local_scope=False).within(marker=f'summary-{prithvi}')
        (image,) = ElementFilter(kind=ui.image, marker='chart-seat-heat', local_scope=False).within(
            marker=f'summary-{prithvi}'
        )
    assert card is not None
    assert image.source.startswith('data:image/png;base64,')
    picture = Image.open(io.BytesIO(base64.b64decode(image.source.split(',', 1)[1])))
    assert picture.format == 'PNG' and picture.width == 880
    assert 'Prithvi' in image.props['alt']
    with user.scope(marker=f'summary-{prithvi}'):
        await user.should_see('Which seats sell first')
        await user.should_see('Warm seats sell first')
    # Tata has a map but nothing sold at a reserved show: the card says so, with no picture.
    await eventually(lambda: elements(user, marker='seat-heat-empty'), message='the empty state')
    with user.scope(marker=f'summary-{tata}'):
        await user.should_see('Which seats sell first')
        await user.should_see('No reserved-seat sales yet')
    assert len(elements(user, marker='seat-heat')) == 2  # Open Hall, without a map, has no card
    assert len(elements(user, marker='chart-seat-heat')) == 1
    assert not elements(user, marker='seat-heat-drawing')  # both cards are drawn


async def test_the_summary_of_theatres_without_seat_maps_has_no_seat_heat_card(user: User) -> None:
    seed()
    await open_as(user, 'meera', '/summary')
    await user.should_see('Prithvi')
    await user.should_not_see('Which seats sell first')
    assert not elements(user, marker='seat-heat')
