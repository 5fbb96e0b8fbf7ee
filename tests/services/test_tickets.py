"""A ticket row per seat, a reference per booking: written with the booking, voided with its cancellation."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from models import Booking, Role, Ticket, TicketStatus
from models.db import session_scope
from services import booking
from services.errors import Conflict, NotFound
from tests.factories import make_show, make_theatre, make_user

CROCKFORD = re.compile(r'[0-9ABCDEFGHJKMNPQRSTVWXYZ]{1,12}')


def stage():
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    show = make_show(theatre, num_tickets=20)
    return manager, theatre, show


def test_a_booking_gets_a_readable_reference_and_one_valid_ticket_per_seat(any_db):
    _manager, _theatre, show = stage()
    asha = make_user()
    with session_scope() as s:
        made = booking.book(s, show_id=show.id, user_id=asha.id, tickets=3)
    assert CROCKFORD.fullmatch(made.reference) and len(made.reference) == 10
    assert len(made.tickets) == 3 and {t.status for t in made.tickets} == {TicketStatus.VALID}
    codes = {t.code for t in made.tickets}
    assert len(codes) == 3 and all(len(c) >= 22 for c in codes)  # 128 random bits, URL-safe
    assert {t.price_cents for t in made.tickets} == {made.price_cents}
    with session_scope() as s:
        rows = s.scalars(select(Ticket).where(Ticket.booking_id == made.id)).all()
        assert {(r.show_id, r.seat_id, r.checked_in_at) for r in rows} == {(show.id, None, None)}


def test_references_and_codes_differ_between_bookings(any_db):
    _manager, _theatre, show = stage()
    buyers = [make_user() for _ in range(5)]
    with session_scope() as s:
        made = [booking.book(s, show_id=show.id, user_id=buyer.id, tickets=2) for buyer in buyers]
    assert len({m.reference for m in made}) == 5
    assert len({t.code for m in made for t in m.tickets}) == 10


def test_cancelling_voids_the_tickets_in_the_same_transaction(any_db):
    _manager, _theatre, show = stage()
    asha = make_user()
    with session_scope() as s:
        made = booking.book(s, show_id=show.id, user_id=asha.id, tickets=2)
    with session_scope() as s:
        cancelled = booking.cancel_booking(s, booking_id=made.id, user_id=asha.id)
    assert {t.status for t in cancelled.tickets} == {TicketStatus.CANCELLED}
    with session_scope() as s:
        valid = s.scalar(select(func.count(Ticket.id)).where(Ticket.status == TicketStatus.VALID))
        assert valid == 0 == s.get_one(type(show), show.id).tickets_sold


def test_a_refused_booking_leaves_no_ticket_and_no_booking(any_db):
    _manager, _theatre, show = stage()
    buyers = [make_user() for _ in range(3)]
    with pytest.raises(Conflict), session_scope() as s:  # only 20 tickets: the third is refused, all roll back
        for buyer, count in zip(buyers, (10, 10, 1), strict=True):
            booking.book(s, show_id=show.id, user_id=buyer.id, tickets=count)
    with session_scope() as s:
        assert s.scalar(select(func.count(Ticket.id))) == 0 and s.scalar(select(func.count(Booking.id))) == 0


def test_a_booking_is_seen_by_its_owner_its_theatres_manager_and_admins_only(any_db):
    manager, _theatre, show = stage()
    asha, ravi = make_user(), make_user()
    other_manager, admin = make_user(role=Role.MANAGER), make_user(role=Role.ADMIN)
    with session_scope() as s:
        made = booking.book(s, show_id=show.id, user_id=asha.id, tickets=2)
    for allowed in (asha, manager, admin):
        with session_scope() as s:
            seen = booking.get_booking(s, booking_id=made.id, actor_id=allowed.id)
        assert seen.reference == made.reference and len(seen.tickets) == 2
    for stranger in (ravi, other_manager):
        with pytest.raises(NotFound), session_scope() as s:
            booking.get_booking(s, booking_id=made.id, actor_id=stranger.id)
    for bad in (0, -1, 2**40, 'x', None):
        with pytest.raises(NotFound), session_scope() as s:
            booking.get_booking(s, booking_id=bad, actor_id=asha.id)
