"""More waiting-list queues worked by hand, on SQLite and PostgreSQL: who is offered what as tickets come free in
steps, leaving and declining, expiry on an injected clock, places in line, a person's list and the manager's; and
on reserved-seat shows the seats an offer sets aside, which nobody else (nor the person's own seat picker) touches.

The helpers here are shared by test_waitlist_races.py and test_cancellation.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from models import (
    ClaimKind,
    OutboxKind,
    OutboxMessage,
    Role,
    SeatClaim,
    SeatHold,
    Show,
    Theatre,
    User,
    WaitlistEntry,
)
from models.db import session_scope, utcnow
from services import booking, freed, waitlist
from services.errors import Conflict, NotAllowed, NotFound
from services.seating import SeatsTaken, holds, layout
from services.shows import ShowView
from services.waitlist.offers import EXPIRED
from tests.factories import make_show, make_theatre, make_user
from tests.services.test_seating import create_reserved, put_map, seat_ids, statuses

pytestmark = pytest.mark.usefixtures('any_db')

SECOND = dt.timedelta(seconds=1)


# --- helpers (also used by the race and cancellation tests) ---------------------------------------------------


def sold_out(
    tickets: int = 10, *, manager: User | None = None, starts_in: dt.timedelta = dt.timedelta(days=3)
) -> tuple[User, Show, list[booking.BookingView]]:
    """A general-admission show whose `tickets` went one each to as many buyers: its manager, it, the bookings."""
    manager = manager or make_user(role=Role.MANAGER)
    made = make_show(make_theatre(manager), num_tickets=tickets, starts_in=starts_in)
    bought = []
    for _ in range(tickets):
        buyer = make_user()
        with session_scope() as s:
            bought.append(booking.book(s, show_id=made.id, user_id=buyer.id, tickets=1))
    return manager, made, bought


def join(show_id: int, tickets: int, person: User | None = None, *, now: dt.datetime | None = None):
    person = person or make_user()
    with session_scope() as s:
        return person, waitlist.join(s, show_id=show_id, user_id=person.id, tickets=tickets, now=now)


def cancel(*views: booking.BookingView) -> None:
    """Each booking cancelled by its buyer."""
    for view in views:
        with session_scope() as s:
            user_id = s.get_one(booking.Booking, view.id).user_id
            booking.cancel_booking(s, booking_id=view.id, user_id=user_id)


def offer(show_id: int, *, now: dt.datetime | None = None) -> list[int]:
    with session_scope() as s:
        return waitlist.offer_freed(s, show_id=show_id, now=now)


def statuses_of(*entries) -> list[str]:
    with session_scope() as s:
        return [s.get_one(WaitlistEntry, e.id).status.value for e in entries]


def show_row(show_id: int) -> Show:
    with session_scope() as s:
        return s.get_one(Show, show_id)


def entry_row(entry) -> WaitlistEntry:
    with session_scope() as s:
        return s.get_one(WaitlistEntry, entry.id)


def view_of(entry, person: User) -> waitlist.EntryView:
    with session_scope() as s:
        return waitlist.get_entry(s, entry_id=entry.id, user_id=person.id)


def leave(entry, person: User, *, now: dt.datetime | None = None) -> None:
    with session_scope() as s:
        waitlist.leave(s, entry_id=entry.id, user_id=person.id, now=now)


def accept(entry, person: User, *, now: dt.datetime | None = None) -> booking.BookingView:
    with session_scope() as s:
        return waitlist.accept(s, entry_id=entry.id, user_id=person.id, now=now)


def offer_mail_to() -> list[int]:
    """The people an offer email was queued for, one item per email, in order."""
    with session_scope() as s:
        return list(
            s.scalars(
                select(OutboxMessage.user_id)
                .where(OutboxMessage.kind == OutboxKind.WAITLIST_OFFER)
                .order_by(OutboxMessage.id)
            )
        )


@dataclass
class Venue:
    """A reserved show on a small map, every seat sold to a buyer of its own (`bought` by seat name)."""

    manager: User
    theatre: Theatre
    show: ShowView
    ids: dict[str, int]
    bought: dict[str, booking.BookingView]


def reserved_sold_out(rows: int = 2, seats: int = 4) -> Venue:
    """Stalls of `rows` rows A… of `seats` seats each, the stage in front of row A's middle; all sold."""
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    put_map(manager, theatre, layout.generate([('Stalls', rows, seats)]))
    show = create_reserved(manager, theatre)
    ids = seat_ids(theatre)
    bought = {}
    for name, seat_id in ids.items():
        buyer = make_user()
        with session_scope() as s:
            bought[name] = booking.book(s, show_id=show.id, user_id=buyer.id, seats=[seat_id])
    return Venue(manager, theatre, show, ids, bought)


def offered_seats(entry, person: User) -> list[str]:
    return list(view_of(entry, person).seats)


# --- general admission, by hand ---------------------------------------------------------------------------------


def test_sizes_3_3_1_against_1_then_2_then_3_freed() -> None:
    _, show, bought = sold_out(10)
    _, a3 = join(show.id, 3)
    b_person, b3 = join(show.id, 3)
    c_person, c1 = join(show.id, 1)
    cancel(bought[0])  # 1 free: neither 3 fits; the 1 does
    assert offer(show.id) == [c1.id]
    assert statuses_of(a3, b3, c1) == ['waiting', 'waiting', 'offered']
    cancel(*bought[1:3])  # 2 more free: 2 for sale, still no 3
    assert offer(show.id) == []
    assert statuses_of(a3, b3, c1) == ['waiting', 'waiting', 'offered']
    assert (show_row(show.id).tickets_left, show_row(show.id).tickets_offered) == (2, 1)
    cancel(*bought[3:6])  # 3 more: 5 for sale; the first 3 fits, then 2 are left and the second 3 waits
    assert offer(show.id) == [a3.id]
    assert statuses_of(a3, b3, c1) == ['offered', 'waiting', 'offered']
    after = show_row(show.id)
    assert (after.tickets_sold, after.tickets_offered, after.tickets_left) == (4, 4, 2)
    assert view_of(b3, b_person).position == 1
    leave(c1, c_person)  # the 1 declines: 3 for sale, the second 3 fits at last
    assert offer(show.id) == [b3.id]
    assert statuses_of(a3, b3, c1) == ['offered', 'offered', 'left']
    after = show_row(show.id)
    assert (after.tickets_sold, after.tickets_offered, after.tickets_left) == (4, 6, 0)


def test_sizes_1_1_1_against_2_freed() -> None:
    _, show, bought = sold_out(5)
    _, first = join(show.id, 1)
    _, second = join(show.id, 1)
    third_person, third = join(show.id, 1)
    cancel(*bought[:2])
    assert offer(show.id) == [first.id, second.id]
    assert statuses_of(first, second, third) == ['offered', 'offered', 'waiting']
    assert view_of(third, third_person).position == 1
    assert offer_mail_to() == [entry_row(first).user_id, entry_row(second).user_id]
    assert (show_row(show.id).tickets_offered, show_row(show.id).tickets_left) == (2, 0)


def test_an_entry_that_left_while_waiting_gets_no_offer_and_may_join_again_at_the_back() -> None:
    _, show, bought = sold_out(3)
    leaver, gone = join(show.id, 1)
    _, stays = join(show.id, 1)
    leave(gone, leaver)
    with pytest.raises(Conflict, match='already left'):
        leave(gone, leaver)
    cancel(bought[0])
    assert offer(show.id) == [stays.id]
    assert statuses_of(gone, stays) == ['left', 'offered']
    assert offer_mail_to() == [entry_row(stays).user_id]
    _, again = join(show.id, 1, leaver)  # a new entry, behind everyone who joined meanwhile
    assert again.id != gone.id and again.position == 1 and again.status == 'waiting'


def test_a_declined_offer_goes_at_once_to_the_next_one_that_fits() -> None:
    _, show, bought = sold_out(4)
    first_person, first = join(show.id, 1)
    _, too_big = join(show.id, 2)
    _, fits = join(show.id, 1)
    cancel(bought[0])
    assert offer(show.id) == [first.id]
    heard: list[int] = []
    stop = freed.subscribe(heard.append)
    try:
        leave(first, first_person)
    finally:
        stop()
    assert heard == [show.id]  # the decline's commit wakes the offers (the scheduler's runner listens)
    assert (show_row(show.id).tickets_offered, show_row(show.id).tickets_left) == (0, 1)
    assert offer(show.id) == [fits.id]  # 1 free: the 2 waits first in line, the next 1 gets it
    assert statuses_of(first, too_big, fits) == ['left', 'waiting', 'offered']
    with pytest.raises(Conflict, match='already left'):
        accept(first, first_person)


def test_an_expired_offer_passes_its_tickets_on_and_cannot_be_accepted() -> None:
    _, show, bought = sold_out(4)
    late_person, late = join(show.id, 2)
    next_person, following = join(show.id, 2)
    cancel(*bought[:2])
    t0 = utcnow()
    assert offer(show.id, now=t0) == [late.id]
    ends = entry_row(late).offer_expires_at
    assert ends == waitlist.offer_expiry(t0, show.starts_at, 120)
    with session_scope() as s:
        row = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.user_id == late_person.id, OutboxMessage.kind == OutboxKind.WAITLIST_OFFER
            )
        ).one()
        assert row.send_before == ends  # the email is not sent after the offer ends
    assert offer(show.id, now=ends - SECOND) == []  # still open: nothing passes on
    assert offer(show.id, now=ends) == [following.id]  # ended: its 2 tickets go to the next in line at once
    assert statuses_of(late, following) == ['expired', 'offered']
    with pytest.raises(Conflict) as error:
        accept(late, late_person, now=ends)
    assert error.value.message == EXPIRED
    after = show_row(show.id)
    assert (after.tickets_sold, after.tickets_offered, after.tickets_left) == (2, 2, 0)
    assert entry_row(late).offers == 1 and entry_row(following).offers == 1
    made = accept(following, next_person, now=ends + SECOND)
    assert made.booked_tickets == 2
    after = show_row(show.id)
    assert (after.tickets_sold, after.tickets_offered) == (4, 0)


def test_places_in_line_move_up_as_those_ahead_are_offered_or_leave() -> None:
    manager, show, bought = sold_out(4)
    people, entries = zip(*(join(show.id, 1) for _ in range(4)), strict=True)

    def places() -> list[int | None]:
        return [view_of(e, p).position for p, e in zip(people, entries, strict=True)]

    assert places() == [1, 2, 3, 4]
    cancel(bought[0])
    offer(show.id)
    assert places() == [None, 1, 2, 3]
    leave(entries[2], people[2])
    assert places() == [None, 1, None, 2]
    with session_scope() as s:
        listed = waitlist.show_entries(s, actor_id=manager.id, show_id=show.id)
    assert [(e.id, e.status.value, e.position) for e in listed] == [
        (entries[0].id, 'offered', None),
        (entries[1].id, 'waiting', 1),
        (entries[2].id, 'left', None),
        (entries[3].id, 'waiting', 2),
    ]
    assert [e.username for e in listed] == [p.username for p in people]


def test_my_entries_live_first_soonest_show_first_then_closed_ones_of_shows_to_come_newest_first() -> None:
    manager = make_user(role=Role.MANAGER)
    person = make_user()
    days = {name: dt.timedelta(days=d) for name, d in (('d2', 2), ('d4', 4), ('d5', 5), ('d6', 6), ('d1', 1))}
    shows = {name: sold_out(1, manager=manager, starts_in=when)[1] for name, when in days.items()}
    entries = {name: join(show.id, 1, person)[1] for name, show in shows.items()}
    leave(entries['d4'], person)
    leave(entries['d6'], person)
    later = utcnow() + dt.timedelta(days=1, hours=12)  # the show in a day has started by then
    with session_scope() as s:
        waitlist.expire_offers(s, now=later)
    assert statuses_of(entries['d1']) == ['expired']
    with session_scope() as s:
        mine = waitlist.my_entries(s, user_id=person.id, now=later)
    assert [e.id for e in mine] == [entries[name].id for name in ('d2', 'd5', 'd6', 'd4')]
    assert [e.status.value for e in mine] == ['waiting', 'waiting', 'left', 'left']
    assert [e.show_id for e in mine][:2] == [shows['d2'].id, shows['d5'].id]
    with session_scope() as s:
        assert waitlist.my_entries(s, user_id=make_user().id) == []


def test_the_managers_list_is_for_the_shows_manager_and_admins_only() -> None:
    manager, show, _ = sold_out(1)
    _, entry = join(show.id, 1)
    admin = make_user(role=Role.ADMIN)
    for who in (manager, admin):
        with session_scope() as s:
            assert [e.id for e in waitlist.show_entries(s, actor_id=who.id, show_id=show.id)] == [entry.id]
    with pytest.raises(NotFound), session_scope() as s:
        waitlist.show_entries(s, actor_id=make_user(role=Role.MANAGER).id, show_id=show.id)
    with pytest.raises(NotAllowed), session_scope() as s:
        waitlist.show_entries(s, actor_id=make_user().id, show_id=show.id)
    with pytest.raises(NotFound), session_scope() as s:
        waitlist.show_entries(s, actor_id=manager.id, show_id=10**6)


# --- reserved seats -----------------------------------------------------------------------------------------


def test_an_offer_sets_aside_the_best_seats_together_among_those_free() -> None:
    venue = reserved_sold_out(2, 4)
    pair_person, pair = join(venue.show.id, 2)
    one_person, one = join(venue.show.id, 1)
    # A1 and A4 are nearest the stage but apart; B1–B2 and B2–B3 are together, B2–B3 nearer the middle
    cancel(*(venue.bought[n] for n in ('Stalls A1', 'Stalls A4', 'Stalls B1', 'Stalls B2', 'Stalls B3')))
    assert offer(venue.show.id) == [pair.id, one.id]
    assert offered_seats(pair, pair_person) == ['Stalls B2', 'Stalls B3']
    assert len(offered_seats(one, one_person)) == 1
    assert set(offered_seats(one, one_person)) <= {'Stalls A1', 'Stalls A4'}  # the nearest free seat
    seen = statuses(venue.show.id)
    assert [seen[n] for n in ('Stalls B2', 'Stalls B3', 'Stalls B1')] == ['held', 'held', 'free']
    after = show_row(venue.show.id)
    assert (after.tickets_offered, after.tickets_left) == (3, 2)
    with session_scope() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.user_id == pair_person.id)).one()
        assert b'Stalls B2, Stalls B3' in row.message


def test_seats_set_aside_for_an_offer_are_nobody_elses_and_the_offers_own_picker_leaves_them_be() -> None:
    venue = reserved_sold_out(2, 4)
    person, entry = join(venue.show.id, 2)
    cancel(*(venue.bought[n] for n in ('Stalls A2', 'Stalls A3', 'Stalls B1')))
    assert offer(venue.show.id) == [entry.id]
    assert offered_seats(entry, person) == ['Stalls A2', 'Stalls A3']
    offer_hold = entry_row(entry).hold_id
    ids = venue.ids
    stranger = make_user()
    with pytest.raises(SeatsTaken, match='Stalls A2'), session_scope() as s:
        holds.hold_seats(s, show_id=venue.show.id, user_id=stranger.id, seats=[ids['Stalls A2'], ids['Stalls B1']])
    with pytest.raises(SeatsTaken, match='Stalls A3'), session_scope() as s:
        booking.book(s, show_id=venue.show.id, user_id=stranger.id, seats=[ids['Stalls A3']])
    with pytest.raises(Conflict), session_scope() as s:  # a block of 2: only B1 is free
        booking.book(s, show_id=venue.show.id, user_id=stranger.id, tickets=2)

    with session_scope() as s:  # the person picks another seat for themselves on the seat picker
        own = holds.hold_seats(s, show_id=venue.show.id, user_id=person.id, seats=[ids['Stalls B1']])
    with session_scope() as s:
        shown = holds.current_hold(s, show_id=venue.show.id, user_id=person.id)
    assert shown is not None and [seat.name for seat in shown.seats] == ['Stalls B1']  # the picker's, not the offer's
    with session_scope() as s:  # holding again replaces the picker's hold only
        holds.hold_seats(s, show_id=venue.show.id, user_id=person.id, seats=[ids['Stalls B1']])
    with pytest.raises(SeatsTaken), session_scope() as s:  # the offer's seats are not the picker's to take
        holds.hold_seats(s, show_id=venue.show.id, user_id=person.id, seats=[ids['Stalls A2']])
    for act in (holds.release_hold, holds.get_hold):
        with pytest.raises(NotFound), session_scope() as s:
            act(s, hold_id=offer_hold, user_id=person.id)
    with session_scope() as s:
        kept = s.scalars(select(SeatClaim.seat_id).where(SeatClaim.hold_id == offer_hold)).all()
        assert sorted(kept) == sorted([ids['Stalls A2'], ids['Stalls A3']])
        assert s.get(SeatHold, own.id) is None  # the first picker hold was replaced

    made = accept(entry, person)
    assert sorted(made.seats) == ['Stalls A2', 'Stalls A3']
    assert statuses_of(entry) == ['booked']
    after = show_row(venue.show.id)
    assert (after.tickets_sold, after.tickets_offered) == (7, 0)
    with session_scope() as s:
        assert s.get(SeatHold, offer_hold) is None
        shown = holds.current_hold(s, show_id=venue.show.id, user_id=person.id)
        sold = s.scalars(select(SeatClaim.seat_id).where(SeatClaim.booking_id == made.id)).all()
    assert shown is not None and [seat.name for seat in shown.seats] == ['Stalls B1']  # the picker's hold stays
    assert sorted(sold) == sorted([ids['Stalls A2'], ids['Stalls A3']])


def test_an_expired_offers_seats_are_free_again_and_go_to_the_next() -> None:
    venue = reserved_sold_out(2, 4)
    late_person, late = join(venue.show.id, 2)
    next_person, following = join(venue.show.id, 2)
    cancel(*(venue.bought[n] for n in ('Stalls B2', 'Stalls B3')))
    t0 = utcnow()
    assert offer(venue.show.id, now=t0) == [late.id]
    ends = entry_row(late).offer_expires_at
    seen = statuses(venue.show.id, now=ends)
    assert (seen['Stalls B2'], seen['Stalls B3']) == ('free', 'free')  # past its end the hold keeps nothing
    assert offer(venue.show.id, now=ends) == [following.id]
    assert statuses_of(late, following) == ['expired', 'offered']
    assert offered_seats(following, next_person) == ['Stalls B2', 'Stalls B3']
    with session_scope() as s:
        assert s.get(SeatHold, entry_row(late).hold_id) is None
        assert s.scalar(select(func.count(SeatClaim.seat_id)).where(SeatClaim.kind == ClaimKind.HELD)) == 2
    with pytest.raises(Conflict) as error:
        accept(late, late_person, now=ends)
    assert error.value.message == EXPIRED
    made = accept(following, next_person, now=ends + SECOND)
    assert sorted(made.seats) == ['Stalls B2', 'Stalls B3']
    assert (show_row(venue.show.id).tickets_sold, show_row(venue.show.id).tickets_offered) == (8, 0)
