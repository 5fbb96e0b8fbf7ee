"""GET /audit: the trail through the API, with the page's filters, roles and refusals."""

from __future__ import annotations

from nicegui.testing import User

from models import Role
from tests.api.test_contract import API, bearer
from tests.factories import make_show, make_theatre, make_user


async def test_the_trail_through_the_api(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    make_user(username='other', role=Role.MANAGER)
    make_user(username='root', role=Role.ADMIN)
    make_user(username='asha')
    show = make_show(make_theatre(meera), price_cents=30000)
    asha = await bearer(user, 'asha')
    made = await user.http_client.post(f'{API}/shows/{show.id}/bookings', json={'tickets': 2}, headers=asha)
    assert made.status_code == 201, made.text
    changed = await user.http_client.put(
        f'{API}/shows/{show.id}',
        json={
            'name': show.name,
            'rating': 4,
            'tags': [],
            'ticket_price': 350,
            'num_tickets': 50,
            'starts_at': show.starts_at.isoformat(),
        },
        headers=await bearer(user, 'meera'),
    )
    assert changed.status_code == 200, changed.text

    seen = await user.http_client.get(f'{API}/audit', headers=await bearer(user, 'meera'))
    assert seen.status_code == 200, seen.text
    body = seen.json()
    assert (body['total'], body['page'], body['pages']) == (2, 1, 1)
    newest, booked = body['items']
    assert (newest['actor'], newest['action'], newest['object_type']) == ('meera', 'show_changed', 'show')
    assert newest['changes'] == {'price_cents': [30000, 35000]}
    assert newest['details'] == 'price: ₹300 → ₹350'
    reference = made.json()['reference']
    assert (booked['actor'], booked['action'], booked['object_label']) == ('asha', 'booking_created', reference)

    filtered = await user.http_client.get(
        f'{API}/audit', params={'action': 'booking_created', 'person': 'asha'}, headers=await bearer(user, 'root')
    )
    assert [e['action'] for e in filtered.json()['items']] == ['booking_created']
    theirs = await user.http_client.get(f'{API}/audit', headers=await bearer(user, 'other'))
    assert theirs.status_code == 200 and theirs.json()['items'] == []

    refused = await user.http_client.get(f'{API}/audit', headers=asha)
    assert refused.status_code == 403
    assert refused.json() == {'detail': 'Only theatre managers or admins can see the audit trail.'}
    backwards = await user.http_client.get(
        f'{API}/audit', params={'date_from': '2026-12-24', 'date_to': '2026-12-01'}, headers=await bearer(user, 'root')
    )
    assert backwards.status_code == 422
    assert backwards.json() == {'detail': 'The end date must not be before the start date.'}
    unknown = await user.http_client.get(f'{API}/audit', params={'action': 'nope'}, headers=await bearer(user, 'root'))
    assert unknown.status_code == 422
