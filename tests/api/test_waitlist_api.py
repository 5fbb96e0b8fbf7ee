"""The waiting list and cancelling a performance through the API (API.md, "Waiting list" and "Cancelling a
performance"), with the app in process: every route's success and its refusals, other people's entries and other
managers' shows, bad bodies and ids; set-aside tickets are neither left nor for sale; a cancelled show leaves the
listing but stays on its page and in its bookers' bookings.

The scheduler does not run here: the tests offer freed tickets themselves (`waitlist.offer_freed`), as it would.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from nicegui.testing import User
from sqlalchemy import select

from models import Booking, OutboxKind, OutboxMessage, Role, Show, WaitlistEntry
from models.db import session_scope, utcnow
from services import waitlist
from services.booking import CANCELLED
from tests.api.test_contract import API, bearer, database, moment
from tests.factories import make_booking, make_show, make_theatre, make_user

ENTRY_FIELDS = {'id', 'show_id', 'tickets', 'status', 'position', 'offer_expires_at', 'booking_id'}
REASON = 'The lead actor is ill; we are sorry.'


class Stage:
    """Meera's Prithvi with Hamlet (3 tickets, sold out to three buyers of 1) and Tughlaq (10 tickets, none sold);
    Omar's Ranga with Nagamandala; Asha, Ravi and Kiran to wait; an admin."""

    def __init__(self, hamlet_tickets: int = 3) -> None:
        self.meera = make_user(username='meera', role=Role.MANAGER)
        self.omar = make_user(username='omar', role=Role.MANAGER)
        make_user(username='root', role=Role.ADMIN)
        self.asha = make_user(username='asha', email='asha@example.com')
        self.ravi = make_user(username='ravi')
        self.kiran = make_user(username='kiran')
        self.prithvi = make_theatre(self.meera, name='Prithvi')
        self.hamlet = make_show(self.prithvi, name='Hamlet', num_tickets=hamlet_tickets)
        self.tughlaq = make_show(self.prithvi, name='Tughlaq', num_tickets=10)
        self.naga = make_show(make_theatre(self.omar, name='Ranga'), name='Nagamandala', num_tickets=5)
        self.buyers = [make_user(username=f'buyer{i}') for i in range(hamlet_tickets)]
        self.bought = [make_booking(b, self.hamlet, tickets=1) for b in self.buyers]

    async def cancel_bought(self, user: User, *indexes: int) -> None:
        """Buyers cancel their bookings of Hamlet through the API: tickets come free."""
        for i in indexes:
            cancelled = await user.http_client.delete(
                f'{API}/bookings/{self.bought[i].id}', headers=await bearer(user, f'buyer{i}')
            )
            assert cancelled.status_code == 200, cancelled.text


def offer(show_id: int, now: dt.datetime | None = None) -> list[int]:
    """What the scheduler does after a commit that freed tickets."""
    with session_scope() as session:
        return waitlist.offer_freed(session, show_id=show_id, now=now)


def emails(kind: OutboxKind) -> list[int | None]:
    """Who the queued emails of a kind are for, in the order queued."""
    with session_scope() as session:
        return list(
            session.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
        )


def show_row(show_id: int) -> tuple[int, int, str]:
    with session_scope() as session:
        show = session.get_one(Show, show_id)
        return show.tickets_sold, show.tickets_offered, show.status.value


async def join(user: User, show_id: int, tickets: Any, headers: dict[str, str]) -> dict[str, Any]:
    joined = await user.http_client.post(f'{API}/shows/{show_id}/waitlist', json={'tickets': tickets}, headers=headers)
    assert joined.status_code == 201, joined.text
    return dict(joined.json())


async def refused(
    user: User, method: str, url: str, headers: dict[str, str], status: int, body: Any = None
) -> dict[str, Any]:
    """The request is refused with `status` and a readable detail, and changes nothing."""
    before = database()
    kwargs: dict[str, Any] = {'headers': headers}
    if body is not None:
        kwargs['json'] = body
    response = await user.http_client.request(method, url, **kwargs)
    assert response.status_code == status, (method, url, body, response.text)
    assert response.json()['detail'], response.text
    assert database() == before, (method, url, body)
    return dict(response.json())


# --- joining, reading and leaving ------------------------------------------------------------------------


async def test_people_join_a_sold_out_show_in_order_and_see_their_place(user: User) -> None:
    stage = Stage()
    asha, ravi = await bearer(user, 'asha'), await bearer(user, 'ravi')

    first = await join(user, stage.hamlet.id, 2, asha)
    second = await join(user, stage.hamlet.id, 1, ravi)

    assert set(first) >= ENTRY_FIELDS
    expected = {
        'show_id': stage.hamlet.id,
        'tickets': 2,
        'status': 'waiting',
        'position': 1,
        'offer_expires_at': None,
        'booking_id': None,
        'show_name': 'Hamlet',
        'theatre_name': 'Prithvi',
        'show_status': 'scheduled',
        'seats': [],
    }
    assert {k: first[k] for k in expected} == expected
    assert moment(first['joined_at']) <= utcnow()
    assert (second['position'], second['tickets']) == (2, 1)
    mine = await user.http_client.get(f'{API}/waitlist', headers=asha)
    assert (mine.status_code, mine.json()) == (200, [first])
    assert emails(OutboxKind.WAITLIST_OFFER) == []  # joining sends no email
    with session_scope() as session:
        assert len(session.scalars(select(OutboxMessage)).all()) == 0

    left = await user.http_client.delete(f'{API}/waitlist/{first["id"]}', headers=asha)
    assert (left.status_code, left.content) == (204, b'')
    after = (await user.http_client.get(f'{API}/waitlist', headers=asha)).json()
    assert [(e['id'], e['status'], e['position']) for e in after] == [(first['id'], 'left', None)]
    ravis = (await user.http_client.get(f'{API}/waitlist', headers=ravi)).json()
    assert [(e['id'], e['position']) for e in ravis] == [(second['id'], 1)]  # moved up
    again = await join(user, stage.hamlet.id, 1, asha)  # having left, one may join again, at the back
    assert (again['position'], again['status']) == (2, 'waiting')


async def test_someone_wanting_more_than_is_left_may_join(user: User) -> None:
    stage = Stage()
    make_booking(stage.ravi, stage.tughlaq, tickets=8)  # 2 left
    entry = await join(user, stage.tughlaq.id, 3, await bearer(user, 'asha'))
    assert (entry['status'], entry['position'], entry['tickets']) == ('waiting', 1, 3)


async def test_joining_is_refused_when_bookable_twice_or_with_a_bad_body(user: User) -> None:
    stage = Stage()
    asha = await bearer(user, 'asha')
    hamlet = f'{API}/shows/{stage.hamlet.id}/waitlist'
    await join(user, stage.hamlet.id, 1, asha)

    await refused(user, 'POST', hamlet, {}, 401, {'tickets': 1})
    twice = await refused(user, 'POST', hamlet, asha, 409, {'tickets': 2})
    assert twice['detail'] == 'You are already on the waiting list for this show.'
    bookable = await refused(user, 'POST', f'{API}/shows/{stage.tughlaq.id}/waitlist', asha, 409, {'tickets': 10})
    assert bookable['detail'] == '10 tickets can be booked now: book them instead of joining the waiting list.'
    ravi = await bearer(user, 'ravi')
    for tickets in (0, 11, -1):
        bad = await refused(user, 'POST', hamlet, ravi, 422, {'tickets': tickets})
        assert bad == {'detail': 'Number of tickets must be between 1 and 10.'}
    for body in ({'tickets': 'x'}, {'tickets': '2'}, {'tickets': 1.5}, {}, {'tickets': 1, 'seats': [1]}, [1]):
        bad = await refused(user, 'POST', hamlet, ravi, 422, body)
        assert isinstance(bad['detail'], list)  # the field list
    await refused(user, 'POST', f'{API}/shows/999999/waitlist', ravi, 404, {'tickets': 1})
    await refused(user, 'POST', f'{API}/shows/x/waitlist', ravi, 422, {'tickets': 1})


async def test_leaving_refusals(user: User) -> None:
    stage = Stage()
    asha, ravi = await bearer(user, 'asha'), await bearer(user, 'ravi')
    entry = await join(user, stage.hamlet.id, 1, asha)
    url = f'{API}/waitlist/{entry["id"]}'
    await refused(user, 'DELETE', url, {}, 401)
    other = await refused(user, 'DELETE', url, ravi, 404)  # someone else's entry is not known to them
    assert other['detail'] == 'No such waiting-list entry.'
    await refused(user, 'DELETE', f'{API}/waitlist/999999', asha, 404)
    await refused(user, 'DELETE', f'{API}/waitlist/x', asha, 422)
    assert (await user.http_client.delete(url, headers=asha)).status_code == 204
    twice = await refused(user, 'DELETE', url, asha, 409)
    assert twice['detail'] == 'You have already left this waiting list.'
    await refused(user, 'GET', f'{API}/waitlist', {}, 401)


# --- offers: set aside, accepted, declined, expired -----------------------------------------------------


async def test_freed_tickets_are_offered_set_aside_and_accepted(user: User) -> None:
    stage = Stage()
    asha, kiran = await bearer(user, 'asha'), await bearer(user, 'kiran')
    entry = await join(user, stage.hamlet.id, 2, asha)

    await stage.cancel_bought(user, 0)
    assert offer(stage.hamlet.id) == []  # 1 free: Asha's 2 do not fit, and she stays first
    await stage.cancel_bought(user, 1)
    assert offer(stage.hamlet.id) == [entry['id']]
    assert show_row(stage.hamlet.id) == (1, 2, 'scheduled')

    page = (await user.http_client.get(f'{API}/shows/{stage.hamlet.id}')).json()
    assert (page['tickets_sold'], page['tickets_left'], page['status'], page['cancel_reason']) == (
        1,
        0,
        'scheduled',
        None,
    )
    listed = (await user.http_client.get(f'{API}/shows')).json()['items']
    assert next(s for s in listed if s['id'] == stage.hamlet.id)['tickets_left'] == 0
    stranger = await refused(
        user, 'POST', f'{API}/shows/{stage.hamlet.id}/bookings', kiran, 409, {'tickets': 1}
    )  # set-aside tickets are not for sale
    assert stranger['detail'] == 'Housefull: no tickets left.'
    offered = (await user.http_client.get(f'{API}/waitlist', headers=asha)).json()[0]
    assert (offered['status'], offered['position'], offered['booking_id']) == ('offered', None, None)
    ends = moment(offered['offer_expires_at'])
    assert utcnow() + dt.timedelta(minutes=119) < ends <= utcnow() + dt.timedelta(minutes=120)  # the default 120
    assert emails(OutboxKind.WAITLIST_OFFER) == [stage.asha.id]
    with session_scope() as session:
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.WAITLIST_OFFER)).one()
        assert f'/waitlist/{entry["id"]}'.encode() in (message.message or b'')

    accepted = await user.http_client.post(f'{API}/waitlist/{entry["id"]}/accept', headers=asha)
    assert accepted.status_code == 201, accepted.text
    booking = accepted.json()
    assert (booking['show_id'], booking['booked_tickets'], booking['status'], len(booking['tickets'])) == (
        stage.hamlet.id,
        2,
        'confirmed',
        2,
    )
    assert show_row(stage.hamlet.id) == (3, 0, 'scheduled')
    closed = (await user.http_client.get(f'{API}/waitlist', headers=asha)).json()[0]
    assert (closed['status'], closed['booking_id'], closed['position']) == ('booked', booking['id'], None)
    assert booking['id'] in [b['id'] for b in (await user.http_client.get(f'{API}/bookings', headers=asha)).json()]
    twice = await refused(user, 'POST', f'{API}/waitlist/{entry["id"]}/accept', asha, 409)
    assert twice['detail'] == 'This offer has already been accepted: the tickets are in your bookings.'


async def test_accepting_refusals(user: User) -> None:
    stage = Stage()
    asha, ravi = await bearer(user, 'asha'), await bearer(user, 'ravi')
    entry = await join(user, stage.hamlet.id, 1, asha)
    url = f'{API}/waitlist/{entry["id"]}/accept'
    waiting = await refused(user, 'POST', url, asha, 409)
    assert waiting['detail'] == 'There is no offer to accept yet: you are still waiting.'
    await stage.cancel_bought(user, 0)
    assert offer(stage.hamlet.id) == [entry['id']]
    await refused(user, 'POST', url, {}, 401)
    other = await refused(user, 'POST', url, ravi, 404)
    assert other['detail'] == 'No such waiting-list entry.'
    await refused(user, 'POST', f'{API}/waitlist/999999/accept', asha, 404)
    await refused(user, 'POST', f'{API}/waitlist/x/accept', asha, 422)
    assert (await user.http_client.post(url, headers=asha)).status_code == 201


async def test_an_offer_past_its_end_cannot_be_accepted(user: User) -> None:
    stage = Stage()
    asha = await bearer(user, 'asha')
    entry = await join(user, stage.hamlet.id, 1, asha)
    await stage.cancel_bought(user, 0)
    three_hours_ago = utcnow() - dt.timedelta(hours=3)
    assert offer(stage.hamlet.id, now=three_hours_ago) == [entry['id']]  # so it ended an hour ago
    shown = (await user.http_client.get(f'{API}/waitlist', headers=asha)).json()[0]
    assert shown['status'] == 'offered' and moment(shown['offer_expires_at']) < utcnow()
    expired = await refused(user, 'POST', f'{API}/waitlist/{entry["id"]}/accept', asha, 409)
    assert expired['detail'] == 'This offer has expired and its tickets went to the next person in line.'
    assert show_row(stage.hamlet.id) == (2, 1, 'scheduled')


async def test_declining_passes_the_offer_to_the_next_in_line(user: User) -> None:
    stage = Stage()
    asha, ravi = await bearer(user, 'asha'), await bearer(user, 'ravi')
    first = await join(user, stage.hamlet.id, 1, asha)
    second = await join(user, stage.hamlet.id, 1, ravi)
    await stage.cancel_bought(user, 0)
    assert offer(stage.hamlet.id) == [first['id']]
    declined = await user.http_client.delete(f'{API}/waitlist/{first["id"]}', headers=asha)
    assert declined.status_code == 204
    assert show_row(stage.hamlet.id) == (2, 0, 'scheduled')  # back, for the next in line
    assert offer(stage.hamlet.id) == [second['id']]
    assert [e['status'] for e in (await user.http_client.get(f'{API}/waitlist', headers=asha)).json()] == ['left']
    assert [e['status'] for e in (await user.http_client.get(f'{API}/waitlist', headers=ravi)).json()] == ['offered']
    assert emails(OutboxKind.WAITLIST_OFFER) == [stage.asha.id, stage.ravi.id]


async def test_a_reserved_show_offers_seats_that_only_the_entry_may_book(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    make_user(username='asha')
    make_user(username='ravi')
    make_user(username='kiran')
    theatre = make_theatre(meera, name='Prithvi')
    manager = await bearer(user, 'meera')
    rows = [{'label': 'A', 'seats': ['1', '2', '3', '4']}]
    mapped = await user.http_client.put(
        f'{API}/theatres/{theatre.id}/seatmap', json={'sections': [{'name': 'Stalls', 'rows': rows}]}, headers=manager
    )
    assert mapped.status_code == 200, mapped.text
    created = await user.http_client.post(
        f'{API}/theatres/{theatre.id}/shows',
        json={
            'name': 'Seat Play',
            'rating': 4,
            'ticket_price': 300,
            'starts_at': (utcnow() + dt.timedelta(days=3)).isoformat(),
            'seating': 'reserved',
        },
        headers=manager,
    )
    assert created.status_code == 201, created.text
    show_id = created.json()['id']
    asha, ravi, kiran = await bearer(user, 'asha'), await bearer(user, 'ravi'), await bearer(user, 'kiran')
    first = await user.http_client.post(f'{API}/shows/{show_id}/bookings', json={'tickets': 2}, headers=asha)
    assert first.status_code == 201, first.text
    bookable = await refused(user, 'POST', f'{API}/shows/{show_id}/waitlist', kiran, 409, {'tickets': 2})
    assert bookable['detail'].startswith('2 tickets can be booked now')
    seats = (await user.http_client.get(f'{API}/shows/{show_id}/seats')).json()
    rest = [s['id'] for row in seats['sections'][0]['rows'] for s in row['seats'] if s['status'] == 'free']
    second = await user.http_client.post(f'{API}/shows/{show_id}/bookings', json={'seats': rest}, headers=ravi)
    assert (second.status_code, len(rest)) == (201, 2), second.text
    entry = await join(user, show_id, 2, kiran)

    assert (await user.http_client.delete(f'{API}/bookings/{first.json()["id"]}', headers=asha)).status_code == 200
    assert offer(show_id) == [entry['id']]
    offered = (await user.http_client.get(f'{API}/waitlist', headers=kiran)).json()[0]
    freed = sorted(t['seat']['label'] for t in first.json()['tickets'])
    assert offered['status'] == 'offered'
    assert offered['seats'] == [f'Stalls A{label}' for label in freed]
    seats = (await user.http_client.get(f'{API}/shows/{show_id}/seats')).json()
    states = {s['label']: s['status'] for row in seats['sections'][0]['rows'] for s in row['seats']}
    assert {label for label, state in states.items() if state == 'held'} == set(freed)
    seat_ids = [t['seat']['id'] for t in first.json()['tickets']]
    taken = await refused(user, 'POST', f'{API}/shows/{show_id}/bookings', asha, 409, {'seats': seat_ids})
    assert sorted(taken['seats']) == sorted(seat_ids)
    accepted = await user.http_client.post(f'{API}/waitlist/{entry["id"]}/accept', headers=kiran)
    assert accepted.status_code == 201, accepted.text
    assert sorted(t['seat']['id'] for t in accepted.json()['tickets']) == sorted(seat_ids)


# --- the manager's list -----------------------------------------------------------------------------------


async def test_the_manager_sees_the_list_in_order_with_its_offers(user: User) -> None:
    stage = Stage()
    first = await join(user, stage.hamlet.id, 2, await bearer(user, 'asha'))
    second = await join(user, stage.hamlet.id, 1, await bearer(user, 'ravi'))
    third = await join(user, stage.hamlet.id, 1, await bearer(user, 'kiran'))
    await stage.cancel_bought(user, 0)
    assert offer(stage.hamlet.id) == [second['id']]  # 1 free: Asha's 2 do not fit, Ravi's 1 does
    url = f'{API}/shows/{stage.hamlet.id}/waitlist'
    for who in ('meera', 'root'):
        listed = await user.http_client.get(url, headers=await bearer(user, who))
        assert listed.status_code == 200, listed.text
        assert [(e['id'], e['username'], e['status'], e['position']) for e in listed.json()] == [
            (first['id'], 'asha', 'waiting', 1),
            (second['id'], 'ravi', 'offered', None),
            (third['id'], 'kiran', 'waiting', 2),
        ]
        assert listed.json()[1]['offer_expires_at'] is not None
    assert (await refused(user, 'GET', url, await bearer(user, 'asha'), 403))['detail']
    assert (await refused(user, 'GET', url, await bearer(user, 'omar'), 404))['detail'] == 'No such show.'
    await refused(user, 'GET', url, {}, 401)
    await refused(user, 'GET', f'{API}/shows/999999/waitlist', await bearer(user, 'meera'), 404)
    await refused(user, 'GET', f'{API}/shows/x/waitlist', await bearer(user, 'meera'), 422)


# --- cancelling a performance ---------------------------------------------------------------------------


async def test_the_cancel_counts_are_for_the_manager_and_admins(user: User) -> None:
    stage = Stage()
    make_booking(stage.buyers[0], stage.tughlaq, tickets=3)
    make_booking(stage.buyers[0], stage.tughlaq, tickets=2)
    make_booking(stage.ravi, stage.tughlaq, tickets=4)
    await join(user, stage.hamlet.id, 1, await bearer(user, 'asha'))
    url = f'{API}/shows/{stage.tughlaq.id}/cancel'
    for who in ('meera', 'root'):
        counts = await user.http_client.get(url, headers=await bearer(user, who))
        assert counts.status_code == 200, counts.text
        assert counts.json() == {'show_id': stage.tughlaq.id, 'bookings': 3, 'people': 2, 'tickets': 9, 'waiting': 0}
    hamlet = await user.http_client.get(f'{API}/shows/{stage.hamlet.id}/cancel', headers=await bearer(user, 'meera'))
    assert hamlet.json() == {'show_id': stage.hamlet.id, 'bookings': 3, 'people': 3, 'tickets': 3, 'waiting': 1}
    await refused(user, 'GET', url, await bearer(user, 'asha'), 403)
    await refused(user, 'GET', url, await bearer(user, 'omar'), 404)
    await refused(user, 'GET', url, {}, 401)
    await refused(user, 'GET', f'{API}/shows/x/cancel', await bearer(user, 'meera'), 422)


async def test_cancelling_a_performance(user: User) -> None:
    stage = Stage()
    asha, ravi, kiran = await bearer(user, 'asha'), await bearer(user, 'ravi'), await bearer(user, 'kiran')
    waiting = await join(user, stage.hamlet.id, 2, asha)
    offered = await join(user, stage.hamlet.id, 1, ravi)
    await stage.cancel_bought(user, 0)  # buyer0's booking cancelled before: no second email for it
    assert offer(stage.hamlet.id) == [offered['id']]
    make_booking(stage.buyers[1], stage.tughlaq, tickets=2)  # another show: untouched
    booked_before = emails(OutboxKind.BOOKING_CANCELLED)

    cancelled = await user.http_client.post(
        f'{API}/shows/{stage.hamlet.id}/cancel', json={'reason': f'  {REASON} '}, headers=await bearer(user, 'meera')
    )

    assert cancelled.status_code == 200, cancelled.text
    show = cancelled.json()
    assert (show['id'], show['status'], show['cancel_reason'], show['tickets_sold'], show['tickets_left']) == (
        stage.hamlet.id,
        'cancelled',
        REASON,
        0,
        0,  # nothing of a cancelled performance is for sale
    )
    assert show_row(stage.hamlet.id) == (0, 0, 'cancelled')
    page = await user.http_client.get(f'{API}/shows/{stage.hamlet.id}')
    assert page.status_code == 200 and (page.json()['status'], page.json()['cancel_reason']) == ('cancelled', REASON)
    listing = (await user.http_client.get(f'{API}/shows')).json()
    assert stage.hamlet.id not in [s['id'] for s in listing['items']]
    assert stage.tughlaq.id in [s['id'] for s in listing['items']]
    for i in (1, 2):
        theirs = (await user.http_client.get(f'{API}/bookings', headers=await bearer(user, f'buyer{i}'))).json()
        hamlet_bookings = [b for b in theirs if b['show_id'] == stage.hamlet.id]
        assert [(b['id'], b['status']) for b in hamlet_bookings] == [(stage.bought[i].id, 'cancelled')]
        assert {t['status'] for t in hamlet_bookings[0]['tickets']} == {'cancelled'}
    tughlaq = (await user.http_client.get(f'{API}/bookings', headers=await bearer(user, 'buyer1'))).json()
    assert [b['status'] for b in tughlaq if b['show_id'] == stage.tughlaq.id] == ['confirmed']
    for headers, entry in ((asha, waiting), (ravi, offered)):
        shown = (await user.http_client.get(f'{API}/waitlist', headers=headers)).json()
        assert [(e['id'], e['status'], e['show_status']) for e in shown] == [(entry['id'], 'expired', 'cancelled')]
    assert emails(OutboxKind.SHOW_CANCELLED) == [stage.buyers[1].id, stage.buyers[2].id]  # one per holder
    assert emails(OutboxKind.BOOKING_CANCELLED) == booked_before  # not the usual per-booking email

    manager = await bearer(user, 'meera')
    twice = await refused(user, 'POST', f'{API}/shows/{stage.hamlet.id}/cancel', manager, 409, {'reason': REASON})
    assert twice['detail'] == 'This performance is already cancelled.'
    book = await refused(user, 'POST', f'{API}/shows/{stage.hamlet.id}/bookings', kiran, 409, {'tickets': 1})
    assert book['detail'] == CANCELLED
    rejoin = await refused(user, 'POST', f'{API}/shows/{stage.hamlet.id}/waitlist', kiran, 409, {'tickets': 1})
    assert rejoin['detail'] == CANCELLED
    accept = await refused(user, 'POST', f'{API}/waitlist/{offered["id"]}/accept', ravi, 409)
    assert accept['detail']
    assert offer(stage.hamlet.id) == []
    counts = await user.http_client.get(f'{API}/shows/{stage.hamlet.id}/cancel', headers=manager)
    assert counts.json() == {'show_id': stage.hamlet.id, 'bookings': 0, 'people': 0, 'tickets': 0, 'waiting': 0}


@pytest.mark.parametrize(
    'body',
    [
        pytest.param({'reason': ''}, id='empty'),
        pytest.param({'reason': '   '}, id='blank'),
        pytest.param({'reason': 'x' * 501}, id='501-characters'),
        pytest.param({'reason': '<b>ill</b>'}, id='markup'),
        pytest.param({}, id='missing'),
        pytest.param({'reason': 7}, id='number'),
        pytest.param({'reason': None}, id='null'),
        pytest.param({'reason': 'ill', 'notify': False}, id='extra-field'),
        pytest.param({'reason': 'x' * 2001}, id='2001-characters'),
    ],
)
async def test_a_bad_reason_is_422(user: User, body: dict[str, Any]) -> None:
    stage = Stage()
    await refused(user, 'POST', f'{API}/shows/{stage.hamlet.id}/cancel', await bearer(user, 'meera'), 422, body)
    assert show_row(stage.hamlet.id) == (3, 0, 'scheduled')


async def test_a_reason_of_500_characters_is_enough(user: User) -> None:
    stage = Stage()
    reason = 'x' * 500
    cancelled = await user.http_client.post(
        f'{API}/shows/{stage.hamlet.id}/cancel', json={'reason': reason}, headers=await bearer(user, 'root')
    )
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()['cancel_reason'] == reason


async def test_only_the_shows_manager_or_an_admin_cancels(user: User) -> None:
    stage = Stage()
    url = f'{API}/shows/{stage.hamlet.id}/cancel'
    body = {'reason': REASON}
    await refused(user, 'POST', url, {}, 401, body)
    await refused(user, 'POST', url, await bearer(user, 'asha'), 403, body)
    assert (await refused(user, 'POST', url, await bearer(user, 'omar'), 404, body))['detail'] == 'No such show.'
    await refused(user, 'POST', f'{API}/shows/999999/cancel', await bearer(user, 'meera'), 404, body)
    await refused(user, 'POST', f'{API}/shows/x/cancel', await bearer(user, 'meera'), 422, body)
    with session_scope() as session:
        assert (
            session.scalars(select(Booking.status).where(Booking.show_id == stage.hamlet.id)).all() == ['confirmed'] * 3
        )


async def test_a_started_show_cannot_be_cancelled(user: User) -> None:
    stage = Stage()
    with session_scope() as session:
        session.get_one(Show, stage.tughlaq.id).starts_at = utcnow() - dt.timedelta(minutes=1)
    started = await refused(
        user, 'POST', f'{API}/shows/{stage.tughlaq.id}/cancel', await bearer(user, 'meera'), 409, {'reason': REASON}
    )
    assert started['detail'] == 'This show has already started; it can no longer be cancelled.'


async def test_entries_of_every_state_keep_the_contract_shape(user: User) -> None:
    stage = Stage()
    entry = await join(user, stage.hamlet.id, 1, await bearer(user, 'asha'))
    with session_scope() as session:
        row = session.get_one(WaitlistEntry, entry['id'])
        assert (row.user_id, row.show_id, row.tickets) == (stage.asha.id, stage.hamlet.id, 1)
    assert set(entry) == ENTRY_FIELDS | {
        'show_name',
        'theatre_name',
        'place',
        'starts_at',
        'show_status',
        'joined_at',
        'offered_at',
        'seats',
    }


@pytest.mark.parametrize(
    'method, path, body',
    [
        ('POST', '/shows/{id}/waitlist', {'tickets': 1}),
        ('GET', '/shows/{id}/waitlist', None),
        ('DELETE', '/waitlist/{id}', None),
        ('POST', '/waitlist/{id}/accept', None),
        ('GET', '/shows/{id}/cancel', None),
        ('POST', '/shows/{id}/cancel', {'reason': REASON}),
    ],
)
@pytest.mark.parametrize('ident, status', [('0', 404), ('9' * 20, 404), ('x', 422), ('1.5', 422)])
async def test_ids_that_cannot_be_are_404_or_422(
    user: User, method: str, path: str, body: dict[str, Any] | None, ident: str, status: int
) -> None:
    make_user(username='root', role=Role.ADMIN)
    headers = await bearer(user, 'root')
    await refused(user, method, API + path.format(id=ident), headers, status, body)
