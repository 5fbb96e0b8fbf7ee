"""The waiting list under concurrent changes, on SQLite and PostgreSQL (where they bite): each pair starts together
at a barrier, round after round, and whichever wins, the end state is one of the consistent ones.

- cancelling the performance while its offer is being accepted;
- two instances offering the same freed tickets at once (`offer_freed` directly, and two `OfferRunner`s);
- one person joining twice at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import func, select

from models import (
    Booking,
    BookingStatus,
    ClaimKind,
    OutboxKind,
    OutboxMessage,
    SeatClaim,
    SeatHold,
    Ticket,
    TicketStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from models.db import session_scope, utcnow
from scheduler.waitlist import OfferRunner
from services import cancellation, waitlist
from services.booking import CANCELLED
from services.errors import Conflict, DomainError
from tests.factories import make_user
from tests.services.test_waitlist_queues import (
    cancel,
    entry_row,
    join,
    offer,
    reserved_sold_out,
    show_row,
    sold_out,
)

pytestmark = pytest.mark.usefixtures('any_db')

ROUNDS = 20
KINDS = ['general', 'reserved']


@dataclass
class Outcome:
    results: dict[str, object] = field(default_factory=dict)  # name → what its work returned, or its DomainError
    errors: list[str] = field(default_factory=list)  # anything else: a deadlock, a lock timeout, a bug


def at_once(**works: Callable[[], object]) -> Outcome:
    """Run the works on threads of their own, all let go together at a barrier."""
    outcome = Outcome()
    barrier = threading.Barrier(len(works))

    def run(name: str, work: Callable[[], object]) -> None:
        barrier.wait()
        try:
            outcome.results[name] = work()
        except DomainError as refused:
            outcome.results[name] = refused
        except Exception as error:  # noqa: BLE001 - a database failure is what these tests look for
            outcome.errors.append(f'{name}: {type(error).__name__}: {str(error).splitlines()[0]}')

    threads = [threading.Thread(target=run, args=item) for item in works.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), 'a thread is stuck'
    return outcome


def the_show(kind: str, tickets: int):
    """A sold-out show of `tickets` tickets, one per buyer: (manager, show id, the bookings in order)."""
    if kind == 'general':
        manager, show, bought = sold_out(tickets)
        return manager, show.id, bought
    venue = reserved_sold_out(1, tickets)
    return venue.manager, venue.show.id, list(venue.bought.values())


def outbox_users(kind: OutboxKind) -> list[int]:
    with session_scope() as s:
        return sorted(s.scalars(select(OutboxMessage.user_id).where(OutboxMessage.kind == kind)))


# --- cancelling the performance while an offer is accepted ----------------------------------------------------


@pytest.mark.parametrize('kind', KINDS)
def test_cancelling_while_an_offer_is_accepted_ends_consistent_either_way(kind):
    wins = {'accepted first': 0, 'cancelled first': 0}
    for _ in range(ROUNDS):
        manager, show_id, bought = the_show(kind, 3)
        person, entry = join(show_id, 1)
        cancel(bought[0])
        assert offer(show_id) == [entry.id]
        kept = {row.user_id for row in _confirmed(show_id)}
        before = outbox_users(OutboxKind.SHOW_CANCELLED)

        def accept(person=person, entry=entry):
            with session_scope() as s:
                return waitlist.accept(s, entry_id=entry.id, user_id=person.id)

        def call_off(manager=manager, show_id=show_id):
            with session_scope() as s:
                return cancellation.cancel_show(s, actor_id=manager.id, show_id=show_id, reason='The stage flooded.')

        outcome = at_once(accept=accept, cancel=call_off)

        assert outcome.errors == []
        assert getattr(outcome.results['cancel'], 'status', None) == 'cancelled'
        accepted = outcome.results['accept']
        with session_scope() as s:
            mine = s.scalars(select(Booking).where(Booking.show_id == show_id, Booking.user_id == person.id)).all()
        if isinstance(accepted, Conflict):  # the cancellation came first: the offer had ended with the show
            wins['cancelled first'] += 1
            assert accepted.message == CANCELLED
            assert mine == []
            assert entry_row(entry).status == WaitlistStatus.EXPIRED
            told = kept
        else:  # the booking came first and was cancelled with the others, its holder told
            wins['accepted first'] += 1
            assert [(b.id, b.status) for b in mine] == [(getattr(accepted, 'id', None), BookingStatus.CANCELLED)]
            assert entry_row(entry).status == WaitlistStatus.BOOKED
            told = kept | {person.id}
        assert outbox_users(OutboxKind.SHOW_CANCELLED) == sorted(before + sorted(told))
        after = show_row(show_id)
        assert (after.status.value, after.tickets_sold, after.tickets_offered) == ('cancelled', 0, 0)
        with session_scope() as s:
            assert _confirmed(show_id, s) == []
            valid = select(func.count(Ticket.id)).where(
                Ticket.show_id == show_id, Ticket.status != TicketStatus.CANCELLED
            )
            assert s.scalar(valid) == 0
            live = select(func.count(WaitlistEntry.id)).where(
                WaitlistEntry.show_id == show_id, WaitlistEntry.status.in_(('waiting', 'offered'))
            )
            assert s.scalar(live) == 0
            if kind == 'reserved':
                claimed = select(func.count(SeatClaim.seat_id)).where(SeatClaim.show_id == show_id)
                assert s.scalar(claimed) == 0
                assert s.scalar(select(func.count(SeatHold.id)).where(SeatHold.show_id == show_id)) == 0
    assert sum(wins.values()) == ROUNDS, wins


@pytest.mark.parametrize('kind', KINDS)
def test_a_person_cancelling_a_booking_while_the_performance_is_cancelled_never_deadlocks(kind):
    """Both lock the show before its bookings, so neither waits for the other in a cycle (before, PostgreSQL could
    abort one as a deadlock: the person's booking row first, then the show, against the show, then its bookings)."""
    from services import booking as booking_service

    for _ in range(ROUNDS):
        manager, show_id, bought = the_show(kind, 3)
        first = bought[0]
        with session_scope() as s:
            owner = s.get_one(Booking, first.id).user_id

        def own_cancel(first=first, owner=owner):
            with session_scope() as s:
                return booking_service.cancel_booking(s, booking_id=first.id, user_id=owner)

        def call_off(manager=manager, show_id=show_id):
            with session_scope() as s:
                return cancellation.cancel_show(s, actor_id=manager.id, show_id=show_id, reason='The stage flooded.')

        outcome = at_once(own=own_cancel, show=call_off)
        assert outcome.errors == []
        assert getattr(outcome.results['show'], 'status', None) == 'cancelled'
        assert _confirmed(show_id) == []
        assert (show_row(show_id).tickets_sold, show_row(show_id).tickets_offered) == (0, 0)


def _confirmed(show_id: int, session=None) -> list[Booking]:
    def read(s):
        return list(
            s.scalars(select(Booking).where(Booking.show_id == show_id, Booking.status == BookingStatus.CONFIRMED))
        )

    if session is not None:
        return read(session)
    with session_scope() as s:
        return read(s)


# --- two instances offering the same freed tickets --------------------------------------------------------------

SIZES = [3, 1, 4, 2, 2, 1, 5]  # against 7 free: the 3, the 1, the first 2 and the last 1 (3 + 1 + 2 + 1 = 7)
FITS = [0, 1, 3, 5]
FREED = 7


def _offer_directly(show_id: int) -> Callable[[], object]:
    return lambda: offer(show_id)


def _offer_by_runner(show_id: int) -> Callable[[], object]:
    return lambda: OfferRunner(utcnow).offer(show_id)  # one runner per instance; offer() is what their threads run


@pytest.mark.parametrize('offerer', ['offer_freed', 'runner'])
@pytest.mark.parametrize('kind', KINDS)
def test_two_instances_offering_at_once_give_each_ticket_to_one_entry_and_each_entry_one_offer(kind, offerer, caplog):
    caplog.set_level(logging.ERROR, logger='scheduler.waitlist')  # a runner logs (and swallows) what goes wrong
    make = _offer_directly if offerer == 'offer_freed' else _offer_by_runner
    for _ in range(ROUNDS // 2):
        _, show_id, bought = the_show(kind, 10)
        joined = [join(show_id, size) for size in SIZES]
        cancel(*bought[:FREED])
        mail_before = outbox_users(OutboxKind.WAITLIST_OFFER)

        outcome = at_once(first=make(show_id), second=make(show_id))

        assert outcome.errors == []
        assert [r.getMessage() for r in caplog.records] == []
        first, second = outcome.results['first'], outcome.results['second']
        assert isinstance(first, list) and isinstance(second, list)
        assert not set(first) & set(second)
        expected = [joined[i][1].id for i in FITS]
        assert sorted(first + second) == expected  # the fair order, whoever ran it
        rows = [entry_row(entry) for _, entry in joined]
        assert [row.offers for row in rows] == [1 if i in FITS else 0 for i in range(len(SIZES))]
        assert [row.status.value for row in rows] == ['offered' if i in FITS else 'waiting' for i in range(len(SIZES))]
        after = show_row(show_id)
        assert sum(SIZES[i] for i in FITS) == FREED
        assert (after.tickets_sold, after.tickets_offered, after.tickets_left) == (10 - FREED, FREED, 0)
        offered_to = sorted(joined[i][0].id for i in FITS)
        assert outbox_users(OutboxKind.WAITLIST_OFFER) == sorted(mail_before + offered_to)  # one email each
        if kind == 'reserved':
            with session_scope() as s:
                claims = s.execute(
                    select(SeatClaim.hold_id, SeatClaim.seat_id).where(
                        SeatClaim.show_id == show_id, SeatClaim.kind == ClaimKind.HELD
                    )
                ).all()
            per_hold: dict[int | None, int] = {}
            for hold_id, _seat in claims:
                per_hold[hold_id] = per_hold.get(hold_id, 0) + 1
            assert per_hold == {rows[i].hold_id: SIZES[i] for i in FITS}  # each offer exactly its seats, no seat twice
        caplog.clear()


# --- joining twice at once ------------------------------------------------------------------------------------


def test_one_person_joining_twice_at_once_gets_one_entry():
    _, show, _bought = sold_out(2)
    for _ in range(ROUNDS):
        person = make_user()

        def join_for(tickets: int, person=person) -> object:
            return join(show.id, tickets, person)[1]

        outcome = at_once(first=lambda: join_for(1), second=lambda: join_for(2))

        assert outcome.errors == []
        results = list(outcome.results.values())
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(refused) == 1 and refused[0].message == 'You are already on the waiting list for this show.'
        [made] = [r for r in results if not isinstance(r, Conflict)]
        with session_scope() as s:
            entries = s.scalars(
                select(WaitlistEntry).where(WaitlistEntry.show_id == show.id, WaitlistEntry.user_id == person.id)
            ).all()
        assert [(e.id, e.status) for e in entries] == [(getattr(made, 'id', None), WaitlistStatus.WAITING)]
    with session_scope() as s:
        assert s.scalar(select(func.count(WaitlistEntry.id)).where(WaitlistEntry.show_id == show.id)) == ROUNDS
    assert show_row(show.id).tickets_left == 0
