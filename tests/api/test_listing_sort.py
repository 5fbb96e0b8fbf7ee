"""`GET /api/v1/shows`: the `sort` parameter, its 422 and the free text over places and tags."""

from __future__ import annotations

import datetime as dt

import pytest
from nicegui.testing import User

from models import Role
from tests.factories import make_show, make_theatre, make_user

API = '/api/v1'
DAY = dt.timedelta(days=1)


def seed() -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    prithvi = make_theatre(meera, name='Prithvi', place='Mumbai')
    natak = make_theatre(meera, name='Natak Ghar', place='Pune')
    make_show(prithvi, name='Hamlet', starts_in=DAY, price_cents=60000, rating=4.5, tickets_sold=5, tags=('drama',))
    make_show(natak, name='Tughlaq', starts_in=2 * DAY, price_cents=20000, rating=3.0, tickets_sold=40)
    make_show(natak, name='Laugh Riot', starts_in=3 * DAY, price_cents=40000, rating=4.8, tags=('comedy',))


async def listed(user: User, **params: object) -> list[str]:
    response = await user.http_client.get(f'{API}/shows', params=params)
    assert response.status_code == 200, response.text
    return [show['name'] for show in response.json()['items']]


@pytest.mark.parametrize(
    'params, expected',
    [
        pytest.param({}, ['Hamlet', 'Tughlaq', 'Laugh Riot'], id='default-date'),
        pytest.param({'sort': 'date'}, ['Hamlet', 'Tughlaq', 'Laugh Riot'], id='date'),
        pytest.param({'sort': 'price'}, ['Tughlaq', 'Laugh Riot', 'Hamlet'], id='price'),
        pytest.param({'sort': 'rating'}, ['Laugh Riot', 'Hamlet', 'Tughlaq'], id='rating'),
        pytest.param({'sort': 'popularity'}, ['Tughlaq', 'Hamlet', 'Laugh Riot'], id='popularity'),
        pytest.param({'sort': 'price', 'limit': 2, 'offset': 1}, ['Laugh Riot', 'Hamlet'], id='price-paged'),
        pytest.param({'q': 'pune'}, ['Tughlaq', 'Laugh Riot'], id='q-place'),
        pytest.param({'q': 'COMED'}, ['Laugh Riot'], id='q-tag'),
        pytest.param({'q': 'pune', 'sort': 'rating'}, ['Laugh Riot', 'Tughlaq'], id='q-place-by-rating'),
    ],
)
async def test_the_listing_sorts(user: User, params: dict[str, object], expected: list[str]) -> None:
    seed()
    assert await listed(user, **params) == expected


@pytest.mark.parametrize('sort', ['cheapest', 'DATE', '', 'price,rating'])
async def test_an_unknown_sort_is_422(user: User, sort: str) -> None:
    seed()
    response = await user.http_client.get(f'{API}/shows', params={'sort': sort})
    assert response.status_code == 422
    (error,) = response.json()['detail']
    assert error['loc'] == ['query', 'sort']
    assert "'date', 'price', 'rating' or 'popularity'" in error['msg']
