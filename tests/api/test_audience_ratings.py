"""A show's audience rating through the API: `rating` stays the manager's, `audience_rating` (one decimal, or null)
and `ratings` (their number) come from every performance of the production; a score given through the API shows
at once; `min_rating` and `sort=rating` trust the audience from three ratings on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nicegui.testing import User

from models import Role, Show
from tests.api.test_contract import API, as_read, bearer, show_json
from tests.factories import make_booking, make_show, make_theatre, make_user

DAY = dt.timedelta(days=1)


def audience(body: dict[str, Any]) -> tuple[float, float | None, int]:
    return body['rating'], body['audience_rating'], body['ratings']


async def rate(user: User, show: Show, *scores: int) -> None:
    """Each score from a new person who booked the show, through POST /shows/{id}/rating."""
    for score in scores:
        person = make_user()
        make_booking(person, show, tickets=1)
        headers = await bearer(user, person.username)
        response = await user.http_client.post(f'{API}/shows/{show.id}/rating', json={'score': score}, headers=headers)
        assert response.status_code == 200, response.text


async def test_a_show_carries_its_productions_audience_rating_beside_the_managers(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    prithvi = make_theatre(meera, name='Prithvi')
    past = make_show(prithvi, name='Hamlet', starts_in=-DAY, rating=3.5)
    upcoming = make_show(prithvi, name='Hamlet', starts_in=2 * DAY, rating=3.5)
    unrated = make_show(prithvi, name='Tughlaq', starts_in=3 * DAY, rating=4.0)
    await rate(user, past, 5, 4, 4)

    listing = (await user.http_client.get(f'{API}/shows')).json()['items']
    assert [audience(item) for item in listing] == [(3.5, 4.3, 3), (4.0, None, 0)]
    assert [as_read(item) for item in listing] == [show_json(upcoming.id), show_json(unrated.id)]
    one = (await user.http_client.get(f'{API}/shows/{past.id}')).json()
    assert audience(one) == (3.5, 4.3, 3) and as_read(one) == show_json(past.id)
    board = (await user.http_client.get(f'{API}/dashboard', headers=await bearer(user, 'meera'))).json()
    assert {s['id']: audience(s) for s in board[0]['shows']} == {
        past.id: (3.5, 4.3, 3),
        upcoming.id: (3.5, 4.3, 3),
        unrated.id: (4.0, None, 0),
    }


async def test_a_new_score_shows_at_once(user: User) -> None:
    prithvi = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    past = make_show(prithvi, name='Hamlet', starts_in=-DAY)
    upcoming = make_show(prithvi, name='Hamlet', starts_in=DAY)
    for _ in range(2):  # read twice: cached, if the app caches
        assert audience((await user.http_client.get(f'{API}/shows/{upcoming.id}')).json())[1:] == (None, 0)
        assert (await user.http_client.get(f'{API}/shows')).json()['items'][0]['ratings'] == 0
    await rate(user, past, 2)
    assert audience((await user.http_client.get(f'{API}/shows/{upcoming.id}')).json())[1:] == (2.0, 1)
    assert audience((await user.http_client.get(f'{API}/shows')).json()['items'][0])[1:] == (2.0, 1)


async def test_minimum_rating_and_sort_trust_the_audience_from_three_ratings(user: User) -> None:
    prithvi = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    hamlet_past = make_show(prithvi, name='Hamlet', starts_in=-DAY, rating=4.5)
    make_show(prithvi, name='Hamlet', starts_in=DAY, rating=4.5)
    make_show(prithvi, name='Tughlaq', starts_in=2 * DAY, rating=4.0)

    async def names(**query: Any) -> list[str]:
        response = await user.http_client.get(f'{API}/shows', params=query)
        assert response.status_code == 200
        return [item['name'] for item in response.json()['items']]

    await rate(user, hamlet_past, 2, 2)
    assert await names(min_rating=4.5) == ['Hamlet']  # two scores: the manager's 4.5 still counts
    assert await names(sort='rating') == ['Hamlet', 'Tughlaq']
    await rate(user, hamlet_past, 3)
    assert await names(min_rating=4.5) == []  # three: the audience's 2.3
    assert await names(min_rating=2.3) == ['Hamlet', 'Tughlaq']
    assert await names(sort='rating') == ['Tughlaq', 'Hamlet']
