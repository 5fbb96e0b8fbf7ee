"""The waiting list through a real server process with its scheduler on, and a real SMTP server: freed tickets are
offered in the fair order, each offer by exactly one email with its entry's link, set-aside tickets are not for
sale, accepting books them; then a cancelled performance tells each person who held a booking once, with the
reason, and sends none of the usual per-booking cancellation emails. On SQLite or PostgreSQL as the suite runs
(`live_app`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from tests.api.conftest import LiveApp
from tests.conftest import Received, SmtpServer

PASSWORD = 'live-password-1'
PUBLIC_URL = 'http://tickets.test'  # where the emails' links point
SHOW = 'Waiting Game'
REASON = 'The stage flooded; we are very sorry.'
WAIT_SECONDS = 30  # for the scheduler's thread and the outbox; never reached when all is well

# The 30 entries' tickets, in the order they join (positions 1–30). The show has 10 tickets, sold as 10 bookings of
# 1; they are cancelled one by one, so each cancellation frees 1 more ticket, and every offer is accepted at once.
# By hand, with "in join order, skipping none that fits":
#   1st: 1 free: 3, 2, 3 do not fit; position 4 wants 1                → offer 4.
#   2nd: 1 free: nobody else wants 1                                    → none (1 left for sale).
#   3rd: 2 free: position 1 wants 3; position 2 wants 2                 → offer 2.
#   4th: 1 free                                                         → none.
#   5th: 2 free: 1, 3, 5 want 3; position 6 wants 2                     → offer 6.
#   6th: 1 free                                                         → none.
#   7th: 2 free: everyone from 1 to 19 wants 3; position 20 wants 2     → offer 20.
#   8th: 1 free, 9th: 2 free: only 3s are left                          → none, none.
#   10th: 3 free: position 1, first in line all along, fits at last     → offer 1.
SIZES = (3, 2, 3, 1, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3)
OFFERS = {1: [4], 2: [], 3: [2], 4: [], 5: [6], 6: [], 7: [20], 8: [], 9: [], 10: [1]}
LEFT = {1: 0, 2: 1, 3: 0, 4: 1, 5: 0, 6: 1, 7: 0, 8: 1, 9: 2, 10: 0}  # for sale after each cancellation's offers


def wait_for(what: str, condition: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f'still waiting after {WAIT_SECONDS} s for {what}'
        time.sleep(0.1)


def account(client: httpx.Client, smtp: SmtpServer, username: str, role: str = 'user') -> dict[str, str]:
    """A new account whose owner opened the verification link, as anyone who wants their emails does."""
    body = {'username': username, 'name': username.title(), 'email': f'{username}@example.com', 'password': PASSWORD}
    signed_up = client.post('/api/v1/auth/signup', json={**body, 'role': role})
    assert signed_up.status_code == 201, signed_up.text
    verified = client.post('/api/v1/auth/verify-email', json={'token': smtp.verification_token(body['email'])})
    assert verified.status_code == 204, verified.text
    login = client.post('/api/v1/auth/login', json={'username': username, 'password': PASSWORD})
    assert login.status_code == 200, login.text
    return {'Authorization': f'Bearer {login.json()["access_token"]}'}


def text_of(received: Received) -> str:
    body = received.message.get_body(('plain',))
    assert body is not None
    return str(body.get_content())


def linked_entry(received: Received) -> int:
    """The entry id in the email's link to its offer."""
    return int(text_of(received).split(f'{PUBLIC_URL}/waitlist/')[1].split()[0])


def offer_emails(smtp: SmtpServer) -> list[Received]:
    return [r for r in list(smtp.received) if r.message['Subject'].startswith(f'Tickets for {SHOW} are yours until')]


def show_cancelled_emails(smtp: SmtpServer) -> list[Received]:
    """The cancelled-performance emails: `Cancelled: <show> — <when>`, where a booking's cancellation adds its
    `(ref …)`."""
    return [
        r
        for r in list(smtp.received)
        if r.message['Subject'].startswith(f'Cancelled: {SHOW} — ') and '(ref ' not in r.message['Subject']
    ]


def booking_cancelled_emails(smtp: SmtpServer, reference: str) -> list[Received]:
    return [
        r
        for r in list(smtp.received)
        if r.message['Subject'].startswith('Cancelled: ') and r.message['Subject'].endswith(f'(ref {reference})')
    ]


def test_freed_tickets_are_offered_in_order_by_one_email_each_and_a_cancellation_tells_each_holder_once(
    live_app: Callable[..., LiveApp], smtp_server: SmtpServer
) -> None:
    app = live_app(TICKETSHOW_SCHEDULER='on', TICKETSHOW_PUBLIC_URL=PUBLIC_URL)
    with app.client() as client:
        manager = account(client, smtp_server, 'meera', 'manager')
        theatre = client.post(
            '/api/v1/theatres', json={'name': 'Lyric', 'place': 'Pune', 'capacity': 100}, headers=manager
        )
        assert theatre.status_code == 201, theatre.text
        starts_at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).replace(microsecond=0).isoformat()
        shows_url = f'/api/v1/theatres/{theatre.json()["id"]}/shows'
        show_body = {'name': SHOW, 'rating': 4, 'ticket_price': 300, 'num_tickets': 10, 'starts_at': starts_at}
        created = client.post(shows_url, json=show_body, headers=manager)
        assert created.status_code == 201, created.text
        show_id = created.json()['id']
        show_url = f'/api/v1/shows/{show_id}'

        buyers = [account(client, smtp_server, f'buyer{i:02d}') for i in range(10)]
        bought = []
        for headers in buyers:
            sold_one = client.post(f'{show_url}/bookings', json={'tickets': 1}, headers=headers)
            assert sold_one.status_code == 201, sold_one.text
            bought.append(sold_one.json())
        assert client.get(show_url).json()['tickets_left'] == 0

        waiters = {p: account(client, smtp_server, f'waiter{p:02d}') for p in range(1, len(SIZES) + 1)}
        entries: dict[int, dict[str, Any]] = {}
        for position, headers in waiters.items():
            joined = client.post(f'{show_url}/waitlist', json={'tickets': SIZES[position - 1]}, headers=headers)
            assert joined.status_code == 201, joined.text
            assert (joined.json()['position'], joined.json()['status']) == (position, 'waiting')
            entries[position] = joined.json()
        by_id = {entry['id']: position for position, entry in entries.items()}
        stranger = account(client, smtp_server, 'stranger')

        def listed() -> list[dict[str, Any]]:
            answer = client.get(f'{show_url}/waitlist', headers=manager)
            assert answer.status_code == 200, answer.text
            return list(answer.json())

        def given() -> list[int]:
            """The positions offered so far (offered or booked), in join order."""
            return [by_id[e['id']] for e in listed() if e['status'] in ('offered', 'booked')]

        offered_so_far: list[int] = []
        accepted: dict[int, dict[str, Any]] = {}
        for step in range(1, 11):
            cancelled = client.delete(f'/api/v1/bookings/{bought[step - 1]["id"]}', headers=buyers[step - 1])
            assert cancelled.status_code == 200, cancelled.text
            expected = sorted(offered_so_far + OFFERS[step])
            wait_for(f'the offers after cancellation {step}: {expected}', lambda expected=expected: given() == expected)
            offered_so_far = expected

            entries_now = listed()
            assert [by_id[e['id']] for e in entries_now] == list(range(1, len(SIZES) + 1))  # in join order
            statuses = {by_id[e['id']]: e['status'] for e in entries_now}
            assert {p for p, s in statuses.items() if s == 'offered'} == set(OFFERS[step]), step
            assert {p for p, s in statuses.items() if s == 'booked'} == set(accepted), step
            still_waiting = [e for e in entries_now if e['status'] == 'waiting']
            assert [e['position'] for e in still_waiting] == list(range(1, len(still_waiting) + 1))

            show = client.get(show_url).json()
            set_aside = sum(SIZES[p - 1] for p in OFFERS[step])
            sold = 10 - step + sum(SIZES[p - 1] for p in accepted)
            assert (show['tickets_sold'], show['tickets_left']) == (sold, LEFT[step]), step
            assert show['num_tickets'] - show['tickets_sold'] - show['tickets_left'] == set_aside  # not for sale
            if LEFT[step] == 0:
                stranger_booking = client.post(f'{show_url}/bookings', json={'tickets': 1}, headers=stranger)
                assert stranger_booking.status_code == 409, stranger_booking.text
                assert stranger_booking.json()['detail'] == 'Housefull: no tickets left.'

            for position in OFFERS[step]:
                link = f'{PUBLIC_URL}/waitlist/{entries[position]["id"]}'
                email = wait_for(
                    f'the offer email of position {position}',
                    lambda link=link: [r for r in offer_emails(smtp_server) if link in text_of(r)],
                )
                assert [r.to for r in email] == [f'waiter{position:02d}@example.com']
                taken = client.post(f'/api/v1/waitlist/{entries[position]["id"]}/accept', headers=waiters[position])
                assert taken.status_code == 201, taken.text
                booking = taken.json()
                assert (booking['show_id'], booking['booked_tickets'], booking['status']) == (
                    show_id,
                    SIZES[position - 1],
                    'confirmed',
                )
                mine = client.get('/api/v1/waitlist', headers=waiters[position]).json()
                assert [(e['status'], e['booking_id']) for e in mine] == [('booked', booking['id'])]
                accepted[position] = booking

        assert list(accepted) == [4, 2, 6, 20, 1]  # the order the offers came in
        after = client.get(show_url).json()
        assert (after['tickets_sold'], after['tickets_left']) == (10, 0)
        offers = offer_emails(smtp_server)
        assert Counter(by_id[linked_entry(r)] for r in offers) == Counter(
            list(accepted)
        )  # one email per offer, no more
        assert all(r.to == f'waiter{by_id[linked_entry(r)]:02d}@example.com' for r in offers)

        called_off = client.post(f'{show_url}/cancel', json={'reason': REASON}, headers=manager)
        assert called_off.status_code == 200, called_off.text
        assert (called_off.json()['status'], called_off.json()['cancel_reason']) == ('cancelled', REASON)

        holders = {f'waiter{p:02d}@example.com' for p in accepted}
        wait_for(
            'one cancelled-performance email per holder',
            lambda: {r.to for r in show_cancelled_emails(smtp_server)} == holders,
        )
        sentinel = client.post(shows_url, json={**show_body, 'name': 'Sentinel'}, headers=manager).json()
        made = client.post(f'/api/v1/shows/{sentinel["id"]}/bookings', json={'tickets': 1}, headers=stranger).json()
        assert client.delete(f'/api/v1/bookings/{made["id"]}', headers=stranger).status_code == 200
        wait_for(  # queued after the show's cancellation: once it is sent, so is anything queued with it
            'the later booking cancellation email', lambda: booking_cancelled_emails(smtp_server, made['reference'])
        )

        told = show_cancelled_emails(smtp_server)
        assert sorted(r.to for r in told) == sorted(holders)  # exactly one each, and no one else
        for email in told:
            text = text_of(email)
            assert REASON in text
            position = int(email.to.removeprefix('waiter').split('@')[0])
            assert accepted[position]['reference'] in text
        for position, booking in accepted.items():
            assert booking_cancelled_emails(smtp_server, booking['reference']) == [], position
            theirs = client.get('/api/v1/bookings', headers=waiters[position]).json()
            assert [(b['id'], b['status']) for b in theirs] == [(booking['id'], 'cancelled')]
        for booking in bought:  # the buyers' own cancellations were told as usual, once each
            assert len(booking_cancelled_emails(smtp_server, booking['reference'])) == 1
        assert show_id not in [s['id'] for s in client.get('/api/v1/shows').json()['items']]
        assert client.get(show_url).json()['status'] == 'cancelled'
        assert {e['status'] for e in listed()} == {'booked', 'expired'}
