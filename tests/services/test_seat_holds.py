"""Holds (issue 15): seats kept for a buyer while they pay, replaced, released, booked, expired on an injected
clock; and buyers racing for the same seats from many threads, on SQLite and PostgreSQL."""

import datetime as dt
import random
import threading
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from models import (
    Booking,
    BookingStatus,
    ClaimKind,
    Role,
    SeatClaim,
    SeatHold,
    Show,
    Theatre,
    Ticket,
    TicketStatus,
    User,
)
from models.db import session_scope, utcnow
from services import booking
from services.config import get_settings
from services.errors import Conflict, Invalid, NotFound
from services.seating import SeatsTaken, holds, layout
from services.seating.holds import EXPIRED
from services.shows import ShowView
from tests.factories import make_show, make_theatre, make_user, tickets_sold
from tests.services.test_seating import HOUSE, create_reserved, put_map, seat_ids, statuses, version

MINUTE = dt.timedelta(minutes=1)


@dataclass
class Stage:
    show: ShowView  # reserved, on the map HOUSE (Stalls 3×6, Circle 2×4); Circle at 150.00, Stalls at 100.00
    ids: dict[str, int]
    alice: User
    bob: User
    t0: dt.datetime  # the injected clock's start; the show starts three days later
    manager: User
    theatre: Theatre


@pytest.fixture
def stage(database) -> Stage:
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    put_map(manager, theatre, HOUSE)
    show = create_reserved(manager, theatre, prices={'Circle': '150'})
    return Stage(show, seat_ids(theatre), make_user(), make_user(), utcnow(), manager, theatre)


def hold(stage: Stage, user: User, names: list[str], at: dt.datetime) -> holds.HoldView:
    with session_scope() as s:
        return holds.hold_seats(s, show_id=stage.show.id, user_id=user.id, seats=[stage.ids[n] for n in names], now=at)


def book(stage: Stage, user: User, names: list[str], at: dt.datetime) -> booking.BookingView:
    with session_scope() as s:
        return booking.book(s, show_id=stage.show.id, user_id=user.id, seats=[stage.ids[n] for n in names], now=at)


def book_hold(user: User, hold_id: int, at: dt.datetime) -> booking.BookingView:
    with session_scope() as s:
        return holds.book_hold(s, hold_id=hold_id, user_id=user.id, now=at)


def current(stage: Stage, user: User, at: dt.datetime) -> list[str] | None:
    """The names of the seats of the user's live hold, or None."""
    with session_scope() as s:
        view = holds.current_hold(s, show_id=stage.show.id, user_id=user.id, now=at)
    return None if view is None else [seat.name for seat in view.seats]


def hold_count() -> int:
    with session_scope() as s:
        return s.scalar(select(func.count(SeatHold.id)))


def booking_count(show_id: int) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count(Booking.id)).where(Booking.show_id == show_id))


# --- one buyer at a time --------------------------------------------------------------------------------------


def test_a_hold_keeps_chosen_seats_for_ten_minutes_at_their_prices(stage):
    seen = version(stage.show.id)
    view = hold(stage, stage.alice, ['Circle A1', 'Stalls A1'], stage.t0)
    assert [(seat.name, seat.price_cents) for seat in view.seats] == [('Stalls A1', 10000), ('Circle A1', 15000)]
    assert view.total_cents == 25000
    assert view.expires_at == stage.t0 + 10 * MINUTE
    assert view.seconds_left(stage.t0 + MINUTE) == 540
    assert version(stage.show.id) > seen
    with session_scope() as s:
        assert holds.get_hold(s, hold_id=view.id, user_id=stage.alice.id) == view
    assert current(stage, stage.alice, stage.t0 + 9 * MINUTE) == ['Stalls A1', 'Circle A1']
    mine = statuses(stage.show.id, viewer_id=stage.alice.id, now=stage.t0)
    theirs = statuses(stage.show.id, viewer_id=stage.bob.id, now=stage.t0)
    assert (mine['Stalls A1'], theirs['Stalls A1'], theirs['Stalls A2']) == ('held+mine', 'held', 'free')
    assert tickets_sold(stage.show.id) == 0  # a hold sells nothing


def test_the_hold_time_is_a_setting_and_a_hold_never_outlasts_the_shows_start(stage, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_HOLD_MINUTES', '2')
    get_settings.cache_clear()
    assert hold(stage, stage.alice, ['Stalls A1'], stage.t0).expires_at == stage.t0 + 2 * MINUTE
    monkeypatch.delenv('TICKETSHOW_HOLD_MINUTES')
    get_settings.cache_clear()
    theatre = make_theatre(stage.manager)
    put_map(stage.manager, theatre, HOUSE)
    soon = create_reserved(stage.manager, theatre, starts_at=stage.t0 + 5 * MINUTE, now=stage.t0)
    with session_scope() as s:
        view = holds.hold_seats(
            s, show_id=soon.id, user_id=stage.alice.id, seats=[seat_ids(theatre)['Stalls A1']], now=stage.t0
        )
    assert view.expires_at == soon.starts_at


def test_held_seats_are_refused_to_others_until_the_hold_expires_without_anyone_acting(stage):
    alices = hold(stage, stage.alice, ['Stalls A1', 'Stalls A2'], stage.t0)
    with pytest.raises(SeatsTaken) as error:
        hold(stage, stage.bob, ['Stalls A2', 'Stalls A3'], stage.t0 + 5 * MINUTE)
    assert error.value.extra == {'seats': [stage.ids['Stalls A2']]}
    assert error.value.message.startswith('This seat is no longer free: Stalls A2.')
    with pytest.raises(SeatsTaken, match='Stalls A1, Stalls A2'):
        book(stage, stage.bob, ['Stalls A1', 'Stalls A2'], stage.t0 + 10 * MINUTE - dt.timedelta(microseconds=1))
    seen = statuses(stage.show.id, now=stage.t0 + 5 * MINUTE)
    assert (seen['Stalls A2'], seen['Stalls A3']) == ('held', 'free')  # all or nothing: Bob holds no A3
    assert current(stage, stage.bob, stage.t0 + 5 * MINUTE) is None
    expiry = alices.expires_at
    assert statuses(stage.show.id, now=expiry)['Stalls A1'] == 'free'  # expired: free, though nobody cleaned up
    assert current(stage, stage.alice, expiry) is None
    taken = book(stage, stage.bob, ['Stalls A1', 'Stalls A2'], expiry)
    assert sorted(taken.seats) == ['Stalls A1', 'Stalls A2']
    with pytest.raises(Conflict) as late:
        book_hold(stage.alice, alices.id, expiry)
    assert late.value.message == EXPIRED
    assert tickets_sold(stage.show.id) == 2


def test_an_expired_hold_cannot_be_booked_even_while_its_seats_are_still_free(stage):
    held = hold(stage, stage.alice, ['Stalls B2'], stage.t0)
    with pytest.raises(Conflict) as error:
        book_hold(stage.alice, held.id, stage.t0 + 11 * MINUTE)
    assert error.value.message == EXPIRED
    assert tickets_sold(stage.show.id) == 0 and booking_count(stage.show.id) == 0
    assert statuses(stage.show.id, now=stage.t0 + 11 * MINUTE)['Stalls B2'] == 'free'


def test_booking_a_hold_sells_exactly_its_seats_and_ends_the_hold(stage):
    held = hold(stage, stage.alice, ['Stalls A1', 'Circle A1'], stage.t0)
    seen = version(stage.show.id)
    made = book_hold(stage.alice, held.id, stage.t0 + 9 * MINUTE)
    assert sorted((t.seat, t.price_cents) for t in made.tickets) == [('Circle A1', 15000), ('Stalls A1', 10000)]
    assert made.total_cents == held.total_cents == 25000
    assert made.status is BookingStatus.CONFIRMED
    assert version(stage.show.id) > seen
    assert tickets_sold(stage.show.id) == 2
    seen = statuses(stage.show.id, viewer_id=stage.alice.id, now=stage.t0 + 20 * MINUTE)  # sold seats never expire
    assert (seen['Stalls A1'], seen['Circle A1']) == ('sold', 'sold')
    assert list(seen.values()).count('free') == 24
    assert current(stage, stage.alice, stage.t0 + 9 * MINUTE) is None
    assert hold_count() == 0
    with pytest.raises(NotFound, match='No such hold'):
        book_hold(stage.alice, held.id, stage.t0 + 9 * MINUTE)  # booked once only
    assert booking_count(stage.show.id) == 1


def test_holding_again_replaces_the_hold_but_keeps_its_clock(stage):
    first = hold(stage, stage.alice, ['Stalls A1'], stage.t0)
    second = hold(stage, stage.alice, ['Stalls A2', 'Stalls A3'], stage.t0 + 4 * MINUTE)
    assert second.expires_at == first.expires_at == stage.t0 + 10 * MINUTE  # the basket's clock keeps running
    assert [seat.name for seat in second.seats] == ['Stalls A2', 'Stalls A3']
    seen = statuses(stage.show.id, viewer_id=stage.alice.id, now=stage.t0 + 4 * MINUTE)
    assert [seen[f'Stalls A{n}'] for n in (1, 2, 3)] == ['free', 'held+mine', 'held+mine']
    assert hold_count() == 1
    third = hold(stage, stage.alice, ['Stalls A4'], stage.t0 + 12 * MINUTE)  # the old one had expired: a new clock
    assert third.expires_at == stage.t0 + 22 * MINUTE
    assert hold_count() == 1


def test_a_replacement_that_cannot_be_had_leaves_the_old_hold_as_it_was(stage):
    first = hold(stage, stage.alice, ['Stalls A1'], stage.t0)
    hold(stage, stage.bob, ['Stalls A3'], stage.t0)
    with pytest.raises(SeatsTaken, match='Stalls A3'):
        hold(stage, stage.alice, ['Stalls A2', 'Stalls A3'], stage.t0 + MINUTE)
    assert current(stage, stage.alice, stage.t0 + MINUTE) == ['Stalls A1']
    with session_scope() as s:
        assert holds.get_hold(s, hold_id=first.id, user_id=stage.alice.id) == first
    assert statuses(stage.show.id, now=stage.t0 + MINUTE)['Stalls A2'] == 'free'


def test_releasing_a_hold_frees_its_seats_at_once(stage):
    held = hold(stage, stage.alice, ['Stalls A1', 'Stalls A2'], stage.t0)
    seen = version(stage.show.id)
    with session_scope() as s:
        holds.release_hold(s, hold_id=held.id, user_id=stage.alice.id)
    assert version(stage.show.id) > seen
    assert set(statuses(stage.show.id, now=stage.t0).values()) == {'free'}
    assert current(stage, stage.alice, stage.t0) is None and hold_count() == 0
    assert sorted(book(stage, stage.bob, ['Stalls A1', 'Stalls A2'], stage.t0 + MINUTE).seats) == [
        'Stalls A1',
        'Stalls A2',
    ]


@pytest.mark.parametrize(
    'act',
    [
        pytest.param(lambda s, hold_id, user: holds.get_hold(s, hold_id=hold_id, user_id=user.id), id='get'),
        pytest.param(lambda s, hold_id, user: holds.release_hold(s, hold_id=hold_id, user_id=user.id), id='release'),
        pytest.param(lambda s, hold_id, user: holds.book_hold(s, hold_id=hold_id, user_id=user.id), id='book'),
    ],
)
def test_someone_elses_hold_is_not_found_and_stays(stage, act):
    held = hold(stage, stage.alice, ['Stalls A1'], stage.t0)
    for hold_id in (held.id, held.id + 1000, str(held.id), True, -1):
        with pytest.raises(NotFound) as error, session_scope() as s:
            act(s, hold_id, stage.bob)
        assert error.value.message == 'No such hold.'
    assert current(stage, stage.alice, stage.t0) == ['Stalls A1']
    assert tickets_sold(stage.show.id) == 0


def test_ones_own_hold_does_not_stop_ones_own_booking(stage):
    hold(stage, stage.alice, ['Stalls A1', 'Stalls A2'], stage.t0)
    made = book(stage, stage.alice, ['Stalls A2', 'Stalls A3'], stage.t0 + MINUTE)
    assert sorted(made.seats) == ['Stalls A2', 'Stalls A3']
    seen = statuses(stage.show.id, viewer_id=stage.alice.id, now=stage.t0 + MINUTE)
    assert [seen[f'Stalls A{n}'] for n in (1, 2, 3)] == ['held+mine', 'sold', 'sold']
    with pytest.raises(SeatsTaken, match='Stalls A1'):
        book(stage, stage.bob, ['Stalls A1'], stage.t0 + MINUTE)
    # The hold keeps the seat still held, and booking it books just that one.
    assert current(stage, stage.alice, stage.t0 + MINUTE) == ['Stalls A1']
    with session_scope() as s:
        left = holds.current_hold(s, show_id=stage.show.id, user_id=stage.alice.id, now=stage.t0 + MINUTE)
    assert left is not None
    assert book_hold(stage.alice, left.id, stage.t0 + 2 * MINUTE).seats == ['Stalls A1']


def test_booking_every_seat_one_holds_ends_the_hold(stage):
    hold(stage, stage.alice, ['Stalls A1', 'Stalls A2'], stage.t0)
    book(stage, stage.alice, ['Stalls A1', 'Stalls A2'], stage.t0 + MINUTE)
    assert current(stage, stage.alice, stage.t0 + MINUTE) is None
    assert hold_count() == 0


def test_expire_holds_frees_only_expired_holds_tells_pickers_and_keeps_the_hold_a_day(stage):
    alices = hold(stage, stage.alice, ['Stalls A1'], stage.t0)
    bobs = hold(stage, stage.bob, ['Stalls A2'], stage.t0 + 5 * MINUTE)
    seen = version(stage.show.id)
    with session_scope() as s:
        assert holds.expire_holds(s, now=stage.t0 + 10 * MINUTE) == 1
    assert version(stage.show.id) > seen
    with session_scope() as s:
        assert sorted(s.scalars(select(SeatHold.id))) == sorted([alices.id, bobs.id])
        assert s.scalars(select(SeatClaim.seat_id)).all() == [stage.ids['Stalls A2']]
        assert holds.get_hold(s, hold_id=alices.id, user_id=stage.alice.id).seats == ()
    with pytest.raises(Conflict) as error:  # "expired", not "no such hold"
        book_hold(stage.alice, alices.id, stage.t0 + 11 * MINUTE)
    assert error.value.message == EXPIRED
    seen = version(stage.show.id)
    with session_scope() as s:
        assert holds.expire_holds(s, now=stage.t0 + 10 * MINUTE) == 0
    assert version(stage.show.id) == seen  # nothing changed, nothing to redraw
    with session_scope() as s:  # a day later the expired hold itself goes
        holds.expire_holds(s, now=stage.t0 + dt.timedelta(days=1, minutes=11))
    with pytest.raises(NotFound), session_scope() as s:
        holds.get_hold(s, hold_id=alices.id, user_id=stage.alice.id)


def test_a_hold_needs_a_reserved_show_yet_to_start_and_one_to_ten_seats(stage):
    general = make_show(make_theatre(stage.manager), num_tickets=5)
    with pytest.raises(NotFound, match='general admission'), session_scope() as s:
        holds.hold_seats(s, show_id=general.id, user_id=stage.alice.id, seats=[stage.ids['Stalls A1']])
    with pytest.raises(Invalid) as error:
        hold(stage, stage.alice, [f'Stalls {row}{n}' for row in 'AB' for n in range(1, 7)][:11], stage.t0)
    assert error.value.errors == {'seats': 'At most 10 seats at a time.'}
    with pytest.raises(Conflict, match='already started'):
        hold(stage, stage.alice, ['Stalls A1'], stage.show.starts_at)
    assert hold_count() == 0


def test_a_live_hold_keeps_its_seat_on_the_map_but_an_expired_one_does_not(stage):
    hold(stage, stage.alice, ['Stalls C6'], stage.t0)
    smaller = layout.generate([('Stalls', 3, 5), ('Circle', 2, 4)])  # C6 goes
    with pytest.raises(Conflict) as error:
        put_map(stage.manager, stage.theatre, smaller, now=stage.t0 + 5 * MINUTE)
    assert error.value.message == (
        'These seats are in use and cannot be removed or blocked: Stalls C6 (held for Hamlet).'
    )
    assert put_map(stage.manager, stage.theatre, smaller, now=stage.t0 + 10 * MINUTE).seats == 23


# --- buyers racing for the same seats ---------------------------------------------------------------------------

THREADS = 8
ROW = 10  # one row: thread i wants seats i, i+1 and i+2, so each overlaps its neighbours


def _outcome(show_id: int) -> tuple[dict[int, tuple[ClaimKind, int | None]], dict[int, int], int]:
    """The show's claims (seat → kind, user), its valid tickets per seat, and its sold count."""
    with session_scope() as s:
        claims = {
            c.seat_id: (c.kind, c.user_id) for c in s.scalars(select(SeatClaim).where(SeatClaim.show_id == show_id))
        }
        tickets = dict(
            s.execute(
                select(Ticket.seat_id, func.count(Ticket.id))
                .where(Ticket.show_id == show_id, Ticket.status == TicketStatus.VALID)
                .group_by(Ticket.seat_id)
            ).all()
        )
        sold = s.scalar(select(Show.tickets_sold).where(Show.id == show_id))
    return claims, tickets, sold


def _race_for_seats(show_id: int, ids: list[int], users: list[User]) -> tuple[dict, list[int], list[str]]:
    """Thread i holds (odd i) or books (even i) seats i, i+1 and i+2, all at once: who won what, who lost."""
    start = threading.Barrier(THREADS)
    won: dict[int, tuple[str, list[int]]] = {}
    lost: list[int] = []
    errors: list[str] = []

    def attempt(index: int) -> None:
        wanted = ids[index : index + 3]
        how = 'hold' if index % 2 else 'book'
        start.wait()
        try:
            with session_scope() as s:
                if how == 'hold':
                    holds.hold_seats(s, show_id=show_id, user_id=users[index].id, seats=wanted)
                else:
                    booking.book(s, show_id=show_id, user_id=users[index].id, seats=wanted)
            won[index] = (how, wanted)
        except SeatsTaken as error:
            if not set(error.extra['seats']) <= set(wanted):
                errors.append(f'{index} was refused seats it did not ask for: {error.extra}')
            lost.append(index)
        except Exception as error:  # noqa: BLE001 - any other failure is what this test looks for
            errors.append(repr(error))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return won, lost, errors


def test_racing_holders_and_buyers_get_each_seat_once_and_all_or_nothing(any_db):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    put_map(manager, theatre, layout.generate([('Stalls', 1, ROW)]))
    ids = list(seat_ids(theatre).values())
    users = [make_user() for _ in range(THREADS)]
    for _ in range(3):  # three shows, three races
        show = create_reserved(manager, theatre)
        won, lost, errors = _race_for_seats(show.id, ids, users)

        assert errors == []
        assert len(won) + len(lost) == THREADS and won
        taken = [seat for _, wanted in won.values() for seat in wanted]
        assert len(taken) == len(set(taken))  # no seat went to two winners
        claims, tickets, sold = _outcome(show.id)
        expected = {
            seat: (ClaimKind.HELD if how == 'hold' else ClaimKind.SOLD, users[index].id)
            for index, (how, wanted) in won.items()
            for seat in wanted
        }
        assert claims == expected  # every winner has all its seats, every loser none
        sold_seats = [seat for how, wanted in won.values() if how == 'book' for seat in wanted]
        assert tickets == dict.fromkeys(sold_seats, 1)  # one valid ticket per sold seat
        assert sold == len(sold_seats)
        with session_scope() as s:
            holders = set(s.scalars(select(SeatHold.user_id).where(SeatHold.show_id == show.id)))
            buyers = set(s.scalars(select(Booking.user_id).where(Booking.show_id == show.id)))
        assert holders == {users[i].id for i, (how, _) in won.items() if how == 'hold'}
        assert buyers == {users[i].id for i, (how, _) in won.items() if how == 'book'}


def test_racing_buyers_of_the_best_seats_never_share_a_seat(any_db):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    put_map(manager, theatre, layout.generate([('Stalls', 3, 8)]))
    show = create_reserved(manager, theatre)
    users = [make_user() for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    bought: list[booking.BookingView] = []
    refusals: list[str] = []
    errors: list[str] = []

    def buy(index: int) -> None:
        rng = random.Random(index)
        start.wait()
        for _ in range(3):
            try:
                with session_scope() as s:
                    bought.append(booking.book(s, show_id=show.id, user_id=users[index].id, tickets=rng.randint(2, 3)))
            except Conflict as error:
                refusals.append(error.message)
            except Exception as error:  # noqa: BLE001 - any other failure is what this test looks for
                errors.append(repr(error))

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    expected = ('No row has', 'Seats are going fast', 'Not enough tickets', 'Housefull')
    assert all(message.startswith(expected) for message in refusals)
    seats = [t.seat_id for made in bought for t in made.tickets]
    assert len(seats) == len(set(seats)) and None not in seats
    for made in bought:  # each booking is one block: one row, seats side by side
        rows = {name.split()[1][0] for name in made.seats}
        numbers = sorted(int(name.split()[1][1:]) for name in made.seats)
        assert len(rows) == 1 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    claims, tickets, sold = _outcome(show.id)
    assert set(claims) == set(seats) and {kind for kind, _ in claims.values()} <= {ClaimKind.SOLD}
    assert tickets == dict.fromkeys(seats, 1)
    assert sold == len(seats) == sum(made.booked_tickets for made in bought)
