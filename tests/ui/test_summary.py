"""The managers' summary page and its charts, through the browser session."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

from nicegui import ElementFilter, ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from PIL import Image

from models import BookingStatus, Role
from models.db import session_scope
from services import booking
from services.charts import DARK, LIGHT
from services.summary import ShowSales, TheatreDetail
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services.test_seating import HOUSE, create_reserved, put_map, seat_ids
from tests.ui.helpers import elements, eventually, open_as, shows_error_pages
from ui.charts import sales_options

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
    assert figure(user, 'occupancy', scope) == '6.3%'  # 5 of 80: below 10% a share shows its tenths
    assert figure(user, 'shows', scope) == '2'
    with user.scope(marker='best-sellers'):
        await user.should_see('1. Hamlet')
        await user.should_see('2. Tughlaq')
    trend, sales = await show_charts(user, theatre_id)

    assert [series['name'] for series in trend['series']] == ['Tickets booked', 'Revenue']
    assert trend['legend']['data'] == ['Tickets booked', 'Revenue']  # each can be switched off
    tickets, revenue = ([item['value'] for item in series['data']] for series in trend['series'])
    assert len(tickets) == len(revenue) == 30 and sum(tickets) == 5 and sum(revenue) == 1250.0  # ₹, not cents
    today = trend['series'][0]['data'][-1]['tip']  # the seed's bookings are made today
    assert '5 tickets booked' in today and '2 bookings' in today and '₹1,250 revenue' in today
    assert [axis['gridIndex'] for axis in trend['yAxis']] == [0, 1]  # two panels, not a second axis over the bars
    assert trend['yAxis'][1]['axisLabel']['formatter'] == '₹{value}'

    names = [label.split('\n')[0] for label in sales['yAxis']['data']]
    assert names == ['Hamlet', 'Tughlaq']  # best seller first (the axis is drawn top down)
    assert sales['yAxis']['inverse'] is True
    offered, sold = sales['series']
    assert (offered['name'], sold['name']) == ('Tickets offered', 'Tickets sold')
    assert [item['value'] for item in offered['data']] == [50, 30]
    assert [item['value'] for item in sold['data']] == [3, 2]
    assert [item['label']['formatter'] for item in offered['data']] == ['3 / 50', '2 / 30']
    assert '<b>Hamlet</b>' in sold['data'][0]['tip'] and '3 of 50 tickets sold' in sold['data'][0]['tip']
    assert '₹750 revenue' in sold['data'][0]['tip']

    # The images stay for the API and the emails.
    for kind in ('trend', 'sales'):
        response = await user.http_client.get(f'/api/v1/theatres/{theatre_id}/{kind}.png')
        assert response.status_code == 200
        assert response.headers['content-type'] == 'image/png'
        assert response.content.startswith(PNG)
        assert len(response.content) > 5000


async def show_charts(user: User, theatre_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Scroll the theatre's charts into view (what the browser's QIntersection reports) and return the options of
    its two charts once they are drawn: bookings per day, and sales per show."""
    with user.client:
        (box,) = ElementFilter(marker='charts-box', local_scope=False).within(marker=f'summary-{theatre_id}')
    assert charts_in(user, theatre_id) == []  # nothing is drawn before it is seen
    UserInteraction(user, {box}, None).trigger('visibility', False)  # still out of view: nothing happens
    assert charts_in(user, theatre_id) == [] and elements(user, marker='chart-loading')
    UserInteraction(user, {box}, None).trigger('visibility', True)
    await eventually(lambda: charts_in(user, theatre_id), message='the charts')
    trend, sales = charts_in(user, theatre_id)
    return trend.options, sales.options['baseOption']


def charts_in(user: User, theatre_id: int) -> list[ui.echart]:
    with user.client:
        found = ElementFilter(kind=ui.echart, local_scope=False).within(marker=f'summary-{theatre_id}')
        return sorted(found, key=lambda chart: chart.props['options'].get('baseOption') is not None)


async def test_charts_follow_dark_mode(user: User) -> None:
    theatre_id, _ = seed()
    await open_as(user, 'meera', '/summary')
    await user.should_see('Prithvi')
    dark_switch = user.find(kind=ui.button, content='dark_mode')  # the header's
    dark_switch.click()  # dark before the charts are drawn: they start dark
    trend, sales = await show_charts(user, theatre_id)
    assert trend['series'][0]['itemStyle']['color'] == DARK.primary
    assert trend['series'][1]['itemStyle']['color'] == DARK.secondary
    assert trend['textStyle']['color'] == DARK.ink and trend['backgroundColor'] == 'transparent'
    assert trend['tooltip']['backgroundColor'] == DARK.surface
    assert sales['series'][0]['itemStyle']['color'] == DARK.primary_soft
    assert sales['yAxis']['axisLabel']['color'] == DARK.ink

    dark_switch.click()  # and back to light: the drawn charts change with the page
    await eventually(lambda: charts_in(user, theatre_id)[0].options['textStyle']['color'] == LIGHT.ink)
    trend_chart, sales_chart = charts_in(user, theatre_id)
    assert trend_chart.options['series'][0]['itemStyle']['color'] == LIGHT.primary
    assert trend_chart.options['tooltip']['backgroundColor'] == LIGHT.surface
    light_sales = sales_chart.options['baseOption']
    assert light_sales['series'][1]['itemStyle']['color'] == LIGHT.primary
    assert light_sales['yAxis']['axisLabel']['color'] == LIGHT.ink
    assert light_sales['series'][1]['data'] == sales['series'][1]['data']  # the same figures, other colours
    assert LIGHT.primary != DARK.primary and LIGHT.ink != DARK.ink


async def test_empty_states_for_a_theatre_without_bookings_or_shows(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    quiet = make_theatre(meera, name='Quiet Hall', place='Pune')
    make_show(quiet, name='Nobody Came', num_tickets=40)
    bare = make_theatre(meera, name='Bare Stage', place='Goa')
    await open_as(user, 'meera', '/summary')
    await user.should_see('Quiet Hall')
    with user.scope(marker='comparison'):  # two theatres, no revenue: no empty chart
        await user.should_see('No bookings yet')
    assert not elements(user, marker='comparison-box')

    for theatre in (quiet, bare):
        with user.client:
            (box,) = ElementFilter(marker='charts-box', local_scope=False).within(marker=f'summary-{theatre.id}')
        UserInteraction(user, {box}, None).trigger('visibility', True)
    await eventually(lambda: len(elements(user, marker='chart-empty')) >= 4, message='the empty states')
    with user.scope(marker=f'summary-{quiet.id}'):
        await user.should_see('No bookings in the last 30 days')
        await user.should_not_see('No shows yet')
    with user.scope(marker=f'summary-{bare.id}'):
        await user.should_see('No bookings in the last 30 days')
        await user.should_see('No shows yet')
    assert len(charts_in(user, quiet.id)) == 1  # its one show's sales: 0 of 40
    assert charts_in(user, bare.id) == []


async def test_long_and_marked_up_names_are_cut_on_the_axis_and_whole_and_escaped_in_the_tooltip(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi', place='Mumbai')
    long_name = 'The Extraordinarily Long and Winding Tale of the Travelling Players of Old Bombay'
    make_booking(make_user(username='asha'), make_show(theatre, name=long_name), tickets=2)
    make_show(theatre, name='<img src=x onerror=alert(1)>')
    await open_as(user, 'meera', '/summary')
    await user.should_see('Prithvi')
    _, sales = await show_charts(user, theatre.id)
    first, second = (label.split('\n')[0] for label in sales['yAxis']['data'])
    assert first == 'The Extraordinarily Long an…' and len(first) == 28
    assert second == '<img src=x onerror=alert(1)>'  # drawn on the canvas as text
    tips = [item['tip'] for item in sales['series'][1]['data']]
    assert f'<b>{long_name}</b>' in tips[0]
    assert '&lt;img src=x onerror=alert(1)&gt;' in tips[1] and '<img' not in tips[1]


async def test_the_theatres_are_compared_in_a_chart(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    asha = make_user(username='asha')
    prithvi = make_theatre(meera, name='Prithvi', place='Mumbai')
    make_booking(asha, make_show(prithvi, name='Hamlet', num_tickets=50, price_cents=25000), tickets=3)
    make_booking(asha, make_show(prithvi, name='Tughlaq', num_tickets=30, price_cents=25000), tickets=2)
    tata = make_theatre(meera, name='Tata Theatre', place='Mumbai')
    make_booking(asha, make_show(tata, name='Ghashiram', num_tickets=50, price_cents=10000), tickets=1)
    await open_as(user, 'meera', '/summary')
    await user.should_see('Revenue by theatre')
    assert not elements(user, marker='chart-comparison')
    with user.client:
        (box,) = ElementFilter(marker='comparison-box', local_scope=False)
    UserInteraction(user, {box}, None).trigger('visibility', True)
    await eventually(lambda: elements(user, marker='chart-comparison'), message='the comparison')
    (chart,) = elements(user, marker='chart-comparison')
    options = chart.props['options']['baseOption']
    assert options['yAxis']['data'] == ['Prithvi\nMumbai', 'Tata Theatre\nMumbai']  # best revenue first
    (series,) = options['series']
    assert [item['value'] for item in series['data']] == [1250.0, 100.0]
    assert [item['label']['formatter'] for item in series['data']] == ['₹1,250\n6.3% full', '₹100\n2% full']
    assert '5 of 80 tickets sold' in series['data'][0]['tip']


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
    shows_error_pages(user)  # the refusal answers 403
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


def test_the_sales_chart_names_each_show_s_day_and_time_in_its_theatre_s_zone() -> None:
    sold = ShowSales(1, 'Hamlet', dt.datetime(2030, 12, 12, 20, 0, tzinfo=dt.UTC), 100, 40, 400000, 0)
    detail = TheatreDetail(7, 'Prithvi', 1, [sold], [], timezone='Asia/Kolkata')  # 01:30 on the 13th there
    options = sales_options(detail, dark=False)['baseOption']
    assert options['yAxis']['data'] == ['Hamlet\n13 Dec']
    (tip,) = {item['tip'] for series in options['series'] for item in series['data']}
    assert 'Fri 13 Dec 2030, 01:30 IST' in tip
