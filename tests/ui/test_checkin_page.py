"""The check-in page /checkin: who finds it, picking the show, scans answered in green or red (checked against the
database), the live count, undo, and every refusal: another theatre's ticket, another show's, a cancelled one,
a second scan, bad input, a show that is not the person's, a person on no door."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from nicegui.testing import User
from sqlalchemy import select

from models import AuditAction, AuditEvent, Booking, BookingStatus, Role, Show, Ticket, TicketStatus
from models import User as Account
from models.db import session_scope, utcnow
from services import booking as booking_service
from services import checkin, staff
from services.formats import local
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services.test_seating import HOUSE, create_reserved, put_map, seat_ids
from tests.ui.helpers import count, elements, eventually, landed_on, open_as, texts
from ui.ticket_page import spaced


@dataclass
class Door:
    meera: Account  # manages Prithvi
    dev: Account  # on Prithvi's door staff
    hamlet: Show  # Prithvi, in two hours
    macbeth: Show  # Prithvi, in three days
    tughlaq: Show  # Ranga Shankara (another manager's), in two hours
    booking: Booking  # Asha's 2 tickets for Hamlet
    cancelled: Booking  # Kiran's cancelled ticket for Hamlet
    other_show: Booking  # Asha's ticket for Macbeth
    other_theatre: Booking  # Asha's ticket for Tughlaq


def seed() -> Door:
    meera = make_user(username='meera', role=Role.MANAGER, name='Meera Nair')
    ravi = make_user(username='ravi', role=Role.MANAGER, name='Ravi Kumar')
    prithvi = make_theatre(meera, name='Prithvi', place='Mumbai')
    ranga = make_theatre(ravi, name='Ranga Shankara', place='Bengaluru')
    hamlet = make_show(prithvi, name='Hamlet', starts_in=dt.timedelta(hours=2))
    macbeth = make_show(prithvi, name='Macbeth', starts_in=dt.timedelta(days=3))
    tughlaq = make_show(ranga, name='Tughlaq', starts_in=dt.timedelta(hours=2))
    asha = make_user(username='asha', name='Asha Rao')
    kiran = make_user(username='kiran', name='Kiran Das')
    dev = make_user(username='dev', name='Dev Shah')
    with session_scope() as session:
        staff.add_staff(session, actor_id=meera.id, theatre_id=prithvi.id, username='dev')
    return Door(
        meera=meera,
        dev=dev,
        hamlet=hamlet,
        macbeth=macbeth,
        tughlaq=tughlaq,
        booking=make_booking(asha, hamlet, tickets=2),
        cancelled=make_booking(kiran, hamlet, tickets=1, status=BookingStatus.CANCELLED),
        other_show=make_booking(asha, macbeth, tickets=1),
        other_theatre=make_booking(asha, tughlaq, tickets=1),
    )


def codes(booking: Booking) -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(Ticket.code).where(Ticket.booking_id == booking.id).order_by(Ticket.id)))


def ticket(code: str) -> Ticket:
    with session_scope() as session:
        found = session.scalar(select(Ticket).where(Ticket.code == code))
        assert found is not None
        return found


async def open_door(user: User, username: str, show: Show) -> None:
    await open_as(user, username, f'/checkin?show={show.id}')
    await user.should_see(marker='code')


async def scan(user: User, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused field, then Enter."""
    user.find(marker='code').type(code).trigger('keydown.enter')


def answer(user: User) -> tuple[str, str, str] | None:
    """The answer on show: ('admit' or 'refuse', its title, its detail), or None while the door is ready."""
    for kind in ('admit', 'refuse'):
        if elements(user, marker=f'door-{kind}'):
            (title,) = texts(user, 'door-answer-title')
            (detail,) = texts(user, 'door-answer-detail')
            return kind, title, detail
    return None


async def next_answer(user: User, before: int) -> tuple[str, str, str]:
    """Wait for a new answer (each scan draws the panel anew)."""
    await eventually(lambda: panels(user) != before and answer(user) is not None, message='an answer to the scan')
    found = answer(user)
    assert found is not None
    return found


def panels(user: User) -> int:
    """The id of the answer panel on show: a new scan's answer is a new element."""
    shown = elements(user, marker='door-admit') + elements(user, marker='door-refuse')
    return shown[0].id if shown else 0


async def scanned(user: User, code: str) -> tuple[str, str, str]:
    before = panels(user)
    await scan(user, code)
    return await next_answer(user, before)


def field_value(user: User) -> str:
    (field,) = elements(user, marker='code')
    return str(getattr(field, 'value', '') or '')


# --- who finds the page -------------------------------------------------------------------------------------


async def test_door_staff_find_check_in_in_the_menu(user: User) -> None:
    seed()
    await open_as(user, 'dev', '/')
    await user.should_see('Check-in')


async def test_a_manager_finds_check_in_in_the_menu(user: User) -> None:
    seed()
    await open_as(user, 'meera', '/')
    await user.should_see('Check-in')


async def test_an_audience_member_on_no_door_is_not_offered_check_in(user: User) -> None:
    seed()
    await open_as(user, 'asha', '/')
    await user.should_see('My bookings')
    await user.should_not_see('Check-in')


async def test_an_audience_member_on_no_door_is_told_so_kindly(user: User) -> None:
    door = seed()
    await open_as(user, 'asha', '/checkin')
    await user.should_see('You are not on the door staff of any theatre')
    await user.should_see('asha')  # the username to give a manager
    assert not elements(user, marker='code')
    assert not elements(user, marker=f'door-show-{door.hamlet.id}')
    await open_as_again(user, f'/checkin?show={door.hamlet.id}')
    await user.should_see('You are not on the door staff of any theatre')
    assert not elements(user, marker='code')


async def open_as_again(user: User, path: str) -> None:
    await user.open(path)
    await landed_on(user, path)


async def test_removed_staff_lose_the_door_at_once(user: User) -> None:
    door = seed()
    await open_door(user, 'dev', door.hamlet)
    with session_scope() as session:
        staff.remove_staff(session, actor_id=door.meera.id, theatre_id=door.hamlet.theatre_id, user_id=door.dev.id)
    code = codes(door.booking)[0]
    kind, title, _ = await scanned(user, code)
    assert (kind, title) == ('refuse', 'You can no longer check tickets in for this show.')
    assert ticket(code).status == TicketStatus.VALID
    await open_as_again(user, '/checkin')
    await user.should_see('You are not on the door staff of any theatre')
    await user.should_not_see('Check-in')


# --- picking the show ---------------------------------------------------------------------------------------


async def test_door_staff_pick_one_of_their_theatres_shows(user: User) -> None:
    door = seed()
    await open_as(user, 'dev', '/checkin')
    await user.should_see(marker=f'door-show-{door.hamlet.id}')
    assert texts(user, 'door-show-name') == ['Hamlet', 'Macbeth']  # soonest first; no other theatre's show
    assert texts(user, 'door-show-count') == ['0 of 2 in', '0 of 1 in']  # cancelled tickets are not sold
    user.find(marker=f'door-show-{door.hamlet.id}').click()
    await landed_on(user, f'/checkin?show={door.hamlet.id}')
    await user.should_see(marker='code')
    assert texts(user, 'door-show-title') == ['Hamlet']
    assert texts(user, 'door-count') == ['0 of 2 in']
    await user.should_see(marker='door-ready')


async def test_an_admin_picks_from_every_theatre(user: User) -> None:
    seed()
    make_user(username='root', role=Role.ADMIN)
    await open_as(user, 'root', '/checkin')
    await user.should_see(marker='door-show-name')
    assert texts(user, 'door-show-name') == ['Hamlet', 'Tughlaq', 'Macbeth']


async def test_a_manager_without_shows_is_told_there_is_nothing_to_check_in(user: User) -> None:
    make_user(username='nisha', role=Role.MANAGER)
    await open_as(user, 'nisha', '/checkin')
    await user.should_see('No shows to check in')
    assert not elements(user, marker='code')


@pytest.mark.parametrize('show', ['tughlaq', 'missing', 'garbage'])
async def test_a_show_that_is_not_theirs_sends_them_to_pick_again(user: User, show: str) -> None:
    door = seed()
    wanted = {'tughlaq': str(door.tughlaq.id), 'missing': '987654', 'garbage': 'x1'}[show]
    await open_as(user, 'dev', f'/checkin?show={wanted}')
    await user.should_see(marker='door-note')
    await user.should_see('That show is not one you can check tickets in for.')
    assert not elements(user, marker='code')
    assert texts(user, 'door-show-name') == ['Hamlet', 'Macbeth']
    await user.should_not_see('Tughlaq')


# --- scanning -----------------------------------------------------------------------------------------------


async def test_a_scan_admits_once_and_says_so_in_green_then_red(user: User) -> None:
    door = seed()
    first = codes(door.booking)[0]
    await open_door(user, 'dev', door.hamlet)
    kind, title, detail = await scanned(user, first)
    assert (kind, title) == ('admit', 'Admit 1 — General admission')
    assert detail == f'Asha Rao · Ref. {spaced(door.booking.reference)}'
    assert field_value(user) == ''  # cleared for the next scan
    await eventually(lambda: texts(user, 'door-count') == ['1 of 2 in'])
    admitted = ticket(first)
    assert admitted.status == TicketStatus.CHECKED_IN
    assert admitted.checked_in_by_id == door.dev.id
    assert admitted.checked_in_at is not None

    kind, title, detail = await scanned(user, first)
    assert (kind, title, detail) == (
        'refuse',
        f'Already checked in at {local(admitted.checked_in_at):%H:%M}.',
        'Do not admit.',
    )
    assert texts(user, 'door-count') == ['1 of 2 in']
    assert ticket(first).checked_in_at == admitted.checked_in_at  # the first admission stands


async def test_a_reserved_ticket_s_admit_names_its_seat(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER, name='Meera Nair')
    theatre = make_theatre(meera, name='Prithvi', place='Mumbai', capacity=10)
    put_map(meera, theatre, HOUSE)
    show = create_reserved(meera, theatre, starts_at=utcnow() + dt.timedelta(hours=2))
    ids = seat_ids(theatre)
    asha = make_user(username='asha', name='Asha Rao')
    with session_scope() as session:
        booked = booking_service.book(session, show_id=show.id, user_id=asha.id, seats=[ids['Stalls C5']])
    await open_as(user, 'meera', f'/checkin?show={show.id}')
    await user.should_see(marker='code')

    kind, title, detail = await scanned(user, booked.tickets[0].code)

    assert (kind, title) == ('admit', 'Admit 1 — Stalls · Row C · Seat 5')
    assert detail == f'Asha Rao · Ref. {spaced(booked.reference)}'


async def test_the_check_in_button_does_what_enter_does(user: User) -> None:
    door = seed()
    await open_door(user, 'meera', door.hamlet)
    user.find(marker='code').type(codes(door.booking)[1])
    before = panels(user)
    user.find(marker='check-in').click()
    kind, title, _ = await next_answer(user, before)
    assert (kind, title) == ('admit', 'Admit 1 — General admission')
    assert ticket(codes(door.booking)[1]).checked_in_by_id == door.meera.id


async def test_a_code_with_the_scanners_spaces_around_it_is_admitted(user: User) -> None:
    door = seed()
    await open_door(user, 'dev', door.hamlet)
    kind, _, _ = await scanned(user, f'  {codes(door.booking)[0]}\t')
    assert kind == 'admit'


async def test_a_ticket_for_another_show_names_that_show(user: User) -> None:
    door = seed()
    (code,) = codes(door.other_show)
    await open_door(user, 'dev', door.hamlet)
    kind, title, detail = await scanned(user, code)
    macbeth = local(door.macbeth.starts_at)
    assert kind == 'refuse'
    assert title == f'Other show: Macbeth, {macbeth:%a} {macbeth.day} {macbeth:%b %H:%M}.'
    assert detail == 'Do not admit.'
    assert ticket(code).status == TicketStatus.VALID


async def test_a_ticket_of_another_theatre_is_unknown_at_this_door(user: User) -> None:
    door = seed()
    (code,) = codes(door.other_theatre)
    await open_door(user, 'dev', door.hamlet)
    kind, title, _ = await scanned(user, code)
    assert (kind, title) == ('refuse', checkin.UNKNOWN)
    assert ticket(code).status == TicketStatus.VALID
    await user.should_not_see('Tughlaq')


async def test_a_cancelled_ticket_is_refused(user: User) -> None:
    door = seed()
    (code,) = codes(door.cancelled)
    await open_door(user, 'dev', door.hamlet)
    kind, title, _ = await scanned(user, code)
    assert kind == 'refuse'
    assert title.startswith('Cancelled')
    assert ticket(code).status == TicketStatus.CANCELLED
    assert texts(user, 'door-count') == ['0 of 2 in']


@pytest.mark.parametrize(
    ('typed', 'message'),
    [
        ('not-a-ticket', checkin.UNKNOWN),
        ('x' * 65, 'Ticket code must be at most 64 characters.'),
        ('<script>', 'Ticket code must not contain < or >.'),
    ],
)
async def test_bad_input_is_refused_in_red_and_changes_nothing(user: User, typed: str, message: str) -> None:
    door = seed()
    await open_door(user, 'dev', door.hamlet)
    kind, title, _ = await scanned(user, typed)
    assert (kind, title) == ('refuse', message)
    assert count(Ticket, Ticket.status == TicketStatus.CHECKED_IN) == 0
    assert field_value(user) == ''


async def test_enter_on_an_empty_field_does_nothing(user: User) -> None:
    door = seed()
    await open_door(user, 'dev', door.hamlet)
    user.find(marker='code').trigger('keydown.enter')
    await user.should_see(marker='door-ready')
    assert answer(user) is None


# --- undo and the count -------------------------------------------------------------------------------------


async def test_undo_takes_the_last_admission_back(user: User) -> None:
    door = seed()
    first = codes(door.booking)[0]
    await open_door(user, 'dev', door.hamlet)
    assert not elements(user, marker='undo')
    await scanned(user, first)
    await eventually(lambda: texts(user, 'door-count') == ['1 of 2 in'])
    user.find(marker='undo').click()
    await user.should_see('Scan undone')
    await eventually(lambda: texts(user, 'door-count') == ['0 of 2 in'])
    assert ticket(first).status == TicketStatus.VALID
    assert count(AuditEvent, AuditEvent.action == AuditAction.CHECKIN_UNDONE) == 1
    await user.should_see(marker='door-ready')
    assert not elements(user, marker='undo')
    kind, _, _ = await scanned(user, first)  # the ticket lets its holder in again
    assert kind == 'admit'


async def test_a_refusal_keeps_the_last_admission_to_undo(user: User) -> None:
    door = seed()
    first, second = codes(door.booking)
    await open_door(user, 'dev', door.hamlet)
    await scanned(user, first)
    await scanned(user, first)  # red: already in
    await user.should_see(marker='undo')
    user.find(marker='undo').click()
    await eventually(lambda: ticket(first).status == TicketStatus.VALID)
    assert ticket(second).status == TicketStatus.VALID


async def test_the_count_follows_the_other_doors(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr('ui.checkin_page.COUNT_SECONDS', 0.2)
    door = seed()
    await open_door(user, 'dev', door.hamlet)
    assert texts(user, 'door-count') == ['0 of 2 in']
    with session_scope() as session:  # the manager at the other door
        checkin.check_in(session, actor_id=door.meera.id, show_id=door.hamlet.id, code=codes(door.booking)[1])
    await eventually(lambda: texts(user, 'door-count') == ['1 of 2 in'], message='the count to follow')
