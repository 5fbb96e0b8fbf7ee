"""The seat race through HTTP: 50 people on 50 connections each try to book 2–4 seats chosen at random among the
same 40 seats of a reserved show, again and again until none are left (straight from the seats, or by holding
them first and then booking the hold).

Whatever the rush: every seat is sold exactly once, every booking has exactly the seats it asked for (all or
nothing), every refusal is a 409 that names seats which were really taken, and no other status ever comes back.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

import httpx

from tests.api.test_race import _token

PEOPLE = 50
ROWS, PER_ROW = 4, 10  # the same 40 seats for everyone
STARTS_AT = '2030-01-01T19:30:00+05:30'


def _free(client: httpx.Client, show_id: int) -> list[int]:
    body = client.get(f'/api/v1/shows/{show_id}/seats').json()
    return [
        seat['id']
        for section in body['sections']
        for row in section['rows']
        for seat in row['seats']
        if seat['status'] == 'free'
    ]


def _stage(url: str) -> tuple[int, list[int]]:
    """A manager, a theatre with a 40-seat map and a reserved show on it: the show id and its seat ids."""
    with httpx.Client(base_url=url, timeout=60) as setup:
        manager = {'Authorization': f'Bearer {_token(setup, "seatmanager", "manager")}'}
        theatre = setup.post(
            '/api/v1/theatres', json={'name': 'Seat Hall', 'place': 'Pune', 'capacity': 100}, headers=manager
        )
        assert theatre.status_code == 201, theatre.text
        rows = [{'label': chr(ord('A') + r), 'seats': [str(n) for n in range(1, PER_ROW + 1)]} for r in range(ROWS)]
        seatmap = setup.put(
            f'/api/v1/theatres/{theatre.json()["id"]}/seatmap',
            json={'sections': [{'name': 'Stalls', 'rows': rows}]},
            headers=manager,
        )
        assert seatmap.status_code == 200, seatmap.text
        assert seatmap.json()['seats'] == ROWS * PER_ROW
        show = setup.post(
            f'/api/v1/theatres/{theatre.json()["id"]}/shows',
            json={
                'name': 'Seat Race',
                'rating': 4,
                'ticket_price': 300,
                'starts_at': STARTS_AT,
                'seating': 'reserved',
            },
            headers=manager,
        )
        assert show.status_code == 201, show.text
        assert show.json()['num_tickets'] == ROWS * PER_ROW
        show_id = show.json()['id']
        return show_id, _free(setup, show_id)


def seat_race(urls: list[str], *, through_holds: bool) -> None:
    """The race against one server or several (person i talks to server i mod n), asserting the outcome."""
    show_id, all_seats = _stage(urls[0])
    assert len(all_seats) == ROWS * PER_ROW
    tokens = []
    for i in range(PEOPLE):
        with httpx.Client(base_url=urls[i % len(urls)], timeout=60) as client:
            tokens.append(_token(client, f'seatracer{i:02d}'))

    statuses: Counter[tuple[str, int]] = Counter()
    booked: list[tuple[list[int], dict[str, Any]]] = []  # (seats asked for, the booking)
    refusals: list[tuple[list[int], list[int]]] = []  # (seats asked for, seats the 409 named)
    start = threading.Barrier(PEOPLE)
    lock = threading.Lock()
    failures: list[str] = []

    def person(index: int) -> None:
        rng = random.Random(index)
        headers = {'Authorization': f'Bearer {tokens[index]}'}
        with httpx.Client(base_url=urls[index % len(urls)], timeout=60, headers=headers) as client:
            start.wait()
            while True:
                free = _free(client, show_id)
                if not free:
                    return
                want = sorted(rng.sample(free, min(len(free), rng.randint(2, 4))))
                if through_holds:
                    response = client.post(f'/api/v1/shows/{show_id}/holds', json={'seats': want})
                    with lock:
                        statuses[('hold', response.status_code)] += 1
                    if response.status_code == 201:
                        if sorted(s['id'] for s in response.json()['seats']) != want:
                            failures.append(f'hold {response.json()} is not {want}')
                        response = client.post(f'/api/v1/holds/{response.json()["id"]}/book')
                        with lock:
                            statuses[('book hold', response.status_code)] += 1
                        if response.status_code != 201:  # a live hold of one's own is always bookable
                            failures.append(f'booking a hold answered {response.status_code}: {response.text}')
                            return
                else:
                    response = client.post(f'/api/v1/shows/{show_id}/bookings', json={'seats': want})
                    with lock:
                        statuses[('book', response.status_code)] += 1
                with lock:
                    if response.status_code == 201:
                        booked.append((want, response.json()))
                    elif response.status_code == 409:
                        refusals.append((want, response.json().get('seats', [])))
                    else:
                        failures.append(f'{response.status_code}: {response.text}')
                        return

    threads = [threading.Thread(target=person, args=(i,)) for i in range(PEOPLE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    print(
        f'\n[seat race, {len(urls)} server(s), {"holds" if through_holds else "direct"}] people={PEOPLE} '
        f'seats={len(all_seats)} statuses={dict(statuses)} bookings={len(booked)} refusals={len(refusals)}'
    )
    assert failures == []
    assert {status for _, status in statuses} <= {201, 409}
    sold = Counter(t['seat']['id'] for _, b in booked for t in b['tickets'])
    assert sorted(sold) == sorted(all_seats)  # every seat sold ...
    assert set(sold.values()) == {1}  # ... exactly once
    for want, booking in booked:  # all or nothing: exactly the seats asked for
        assert sorted(t['seat']['id'] for t in booking['tickets']) == want
        assert booking['booked_tickets'] == len(want)
    for want, named in refusals:  # each refusal names seats that were asked for and were taken
        assert named and set(named) <= set(want)
    assert refusals  # the race was a race
    with httpx.Client(base_url=urls[-1], timeout=60) as check:
        confirmed = 0
        for token in tokens:
            mine = check.get('/api/v1/bookings', headers={'Authorization': f'Bearer {token}'}).json()
            confirmed += sum(len(b['tickets']) for b in mine if b['status'] == 'confirmed' and b['show_id'] == show_id)
        assert confirmed == len(all_seats)  # what people see as theirs is what was sold
        show = check.get(f'/api/v1/shows/{show_id}').json()
        assert (show['tickets_sold'], show['tickets_left']) == (len(all_seats), 0)
        assert _free(check, show_id) == []


def test_the_seat_race_sells_every_seat_once_on_sqlite(live_app):
    seat_race([live_app().base_url], through_holds=False)


def test_the_seat_race_through_holds_sells_every_seat_once_on_sqlite(live_app):
    seat_race([live_app().base_url], through_holds=True)


def test_the_seat_race_sells_every_seat_once_on_postgres(live_app, fresh_postgres_url):
    seat_race([live_app(database_url=fresh_postgres_url).base_url], through_holds=False)


def test_the_seat_race_through_holds_sells_every_seat_once_on_postgres(live_app, fresh_postgres_url):
    seat_race([live_app(database_url=fresh_postgres_url).base_url], through_holds=True)
