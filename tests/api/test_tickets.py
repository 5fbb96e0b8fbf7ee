"""Bookings through the API carry their reference and tickets; GET /bookings/{id} for those who may see it."""

from __future__ import annotations

import re

from nicegui.testing import User

from models import Role
from tests.api.test_contract import API, bearer
from tests.factories import make_show, make_theatre, make_user

CROCKFORD = re.compile(r'[0-9ABCDEFGHJKMNPQRSTVWXYZ]{1,12}')


async def test_a_booking_comes_with_its_reference_and_tickets_for_those_who_may_see_it(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    show = make_show(make_theatre(meera), num_tickets=10, price_cents=30000)
    make_user(username='asha')
    make_user(username='ravi')
    make_user(username='other', role=Role.MANAGER)
    make_user(username='root', role=Role.ADMIN)
    asha = await bearer(user, 'asha')

    made = await user.http_client.post(f'{API}/shows/{show.id}/bookings', json={'tickets': 3}, headers=asha)
    assert made.status_code == 201, made.text
    booking = made.json()
    assert CROCKFORD.fullmatch(booking['reference'])
    assert [(t['price'], t['status'], t['seat'], t['checked_in_at']) for t in booking['tickets']] == [
        (300.0, 'valid', None, None)
    ] * 3
    assert len({t['code'] for t in booking['tickets']}) == 3

    for who in ('asha', 'meera', 'root'):
        seen = await user.http_client.get(f'{API}/bookings/{booking["id"]}', headers=await bearer(user, who))
        assert seen.status_code == 200, (who, seen.text)
        assert seen.json() == booking
    for who in ('ravi', 'other'):
        hidden = await user.http_client.get(f'{API}/bookings/{booking["id"]}', headers=await bearer(user, who))
        assert hidden.status_code == 404 and hidden.json() == {'detail': 'No such booking.'}
    assert (await user.http_client.get(f'{API}/bookings/{booking["id"]}')).status_code == 401

    listed = await user.http_client.get(f'{API}/bookings', headers=asha)
    assert [b['reference'] for b in listed.json()] == [booking['reference']]
    cancelled = await user.http_client.delete(f'{API}/bookings/{booking["id"]}', headers=asha)
    assert {t['status'] for t in cancelled.json()['tickets']} == {'cancelled'}
