"""PUT /shows/{id} on a show that has started: its time, tickets and price are 409, the rest may still change.

A show cannot be created in the past through the API, so the factories write one that started an hour ago.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from nicegui.testing import User

from models.db import utcnow
from tests.api.test_contract import API, IST, bearer, database, manager_with_show, show_json
from tests.factories import make_booking, make_user

STARTED = 'This show has started: its time, tickets and price can no longer change.'


async def _started_show(user: User) -> tuple[dict[str, Any], dict[str, str]]:
    """Hamlet, 50 tickets at 250, started an hour ago with 3 sold: as GET answers it, and meera's token."""
    _meera, _prithvi, hamlet = manager_with_show(num_tickets=50, price_cents=25000, starts_in=-dt.timedelta(hours=1))
    make_booking(make_user(username='asha'), hamlet, tickets=3)
    response = await user.http_client.get(f'{API}/shows/{hamlet.id}')
    assert response.status_code == 200
    return response.json(), await bearer(user, 'meera')


def _body(show: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The show sent back as GET gave it, with `changes`."""
    fields = ('name', 'rating', 'tags', 'ticket_price', 'num_tickets', 'starts_at')
    return {**{key: show[key] for key in fields}, **changes}


@pytest.mark.parametrize(
    'changes',
    [
        pytest.param({'starts_at': (utcnow() + dt.timedelta(days=7)).isoformat()}, id='moved-into-the-future'),
        pytest.param({'starts_at': '2020-01-01T19:30:00+05:30'}, id='moved-into-the-past'),
        pytest.param({'num_tickets': 60}, id='more-tickets'),
        pytest.param({'num_tickets': 40}, id='fewer-tickets'),
        pytest.param({'ticket_price': 300}, id='higher-price'),
        pytest.param({'ticket_price': 249.99}, id='lower-price'),
        pytest.param({'name': 'Hamlet again', 'ticket_price': 0}, id='renamed-and-free'),
    ],
)
async def test_a_started_shows_time_tickets_and_price_are_409(user: User, changes: dict[str, Any]) -> None:
    show, headers = await _started_show(user)
    before = database()
    response = await user.http_client.put(f'{API}/shows/{show["id"]}', json=_body(show, **changes), headers=headers)
    assert response.status_code == 409
    assert response.json() == {'detail': STARTED}
    assert database() == before
    assert (await user.http_client.get(f'{API}/shows/{show["id"]}')).json() == show


async def test_a_started_show_moved_into_the_future_does_not_go_back_on_sale(user: User) -> None:
    show, headers = await _started_show(user)
    moved = _body(show, starts_at=(utcnow() + dt.timedelta(days=7)).isoformat())
    assert (await user.http_client.put(f'{API}/shows/{show["id"]}', json=moved, headers=headers)).status_code == 409
    asha = await bearer(user, 'asha')
    booked = await user.http_client.post(f'{API}/shows/{show["id"]}/bookings', json={'tickets': 1}, headers=asha)
    assert booked.status_code == 409
    assert 'already started' in booked.json()['detail']
    assert show_json(show['id'])['tickets_sold'] == 3


async def test_a_started_show_is_still_renamed_retagged_and_rerated(user: User) -> None:
    show, headers = await _started_show(user)
    same_start_elsewhere = dt.datetime.fromisoformat(show['starts_at']).astimezone(IST).isoformat()
    body = _body(show, name='Hamlet (last night)', tags=['classic'], rating=4.5, starts_at=same_start_elsewhere)
    response = await user.http_client.put(f'{API}/shows/{show["id"]}', json=body, headers=headers)
    assert response.status_code == 200, response.text
    changed = response.json()
    assert {key: changed[key] for key in ('name', 'tags', 'rating')} == {
        'name': 'Hamlet (last night)',
        'tags': ['classic'],
        'rating': 4.5,
    }
    frozen = ('ticket_price', 'num_tickets', 'tickets_left', 'starts_at')
    assert {key: changed[key] for key in frozen} == {key: show[key] for key in frozen}
    stored = show_json(show['id'])
    assert (stored['ticket_price'], stored['num_tickets'], stored['tickets_sold']) == (250, 50, 3)
    assert stored['starts_at'] == dt.datetime.fromisoformat(show['starts_at'])
