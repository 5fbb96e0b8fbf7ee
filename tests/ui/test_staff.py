"""Door staff managed from the dashboard (added by username, errors beside the field, removed after a confirmation),
and check-ins counted on the dashboard and the summary."""

from __future__ import annotations

from functools import partial

from nicegui.testing import User
from sqlalchemy import select

from models import AuditAction, AuditEvent, Role, Show, Theatre, TheatreStaff, Ticket
from models import User as Account
from models.db import session_scope
from services import checkin, staff
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.ui.helpers import count, elements, eventually, landed_on, log_in, open_as, open_dialog, texts


def seed() -> tuple[Account, Theatre, Theatre]:
    """Meera's Prithvi, Ravi's Ranga Shankara, and people to put on a door."""
    meera = make_user(username='meera', role=Role.MANAGER, name='Meera Nair')
    ravi = make_user(username='ravi', role=Role.MANAGER, name='Ravi Kumar')
    make_user(username='dev', name='Dev Shah')
    make_user(username='gone', name='Gone Away', is_active=False)
    return meera, make_theatre(meera, name='Prithvi'), make_theatre(ravi, name='Ranga Shankara')


def members(theatre: Theatre) -> list[str]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(Account.username)
                .join(TheatreStaff, TheatreStaff.user_id == Account.id)
                .where(TheatreStaff.theatre_id == theatre.id)
                .order_by(Account.username)
            )
        )


async def open_staff(user: User, theatre: Theatre, username: str = 'meera') -> None:
    await open_as(user, username, '/manage')
    with user.scope(marker=f'theatre-{theatre.id}'):
        user.find(marker='door-staff').click()
    await open_dialog(user, 'staff-dialog')


def username_error(user: User) -> str | None:
    (field,) = elements(user, marker='staff-username')
    return getattr(field, 'error', None)


def error_is(user: User, message: str) -> bool:
    return username_error(user) == message


async def add(user: User, username: str) -> None:
    user.find(marker='staff-username').clear().type(username)
    user.find(marker='add-staff').click()


async def test_a_manager_adds_door_staff_by_username(user: User) -> None:
    _, prithvi, _ = seed()
    await open_staff(user, prithvi)
    await user.should_see(marker='no-staff')
    await add(user, 'DEV')  # usernames match whatever the case
    await user.should_see('dev can now check tickets in at Prithvi.')
    await eventually(lambda: texts(user, 'staff-username-label') == ['dev'])
    await user.should_see('Dev Shah · added')
    assert members(prithvi) == ['dev']
    assert count(AuditEvent, AuditEvent.action == AuditAction.STAFF_ADDED) == 1
    (field,) = elements(user, marker='staff-username')
    assert getattr(field, 'value', None) == ''


async def test_enter_in_the_field_adds_too(user: User) -> None:
    _, prithvi, _ = seed()
    await open_staff(user, prithvi)
    user.find(marker='staff-username').type('dev').trigger('keydown.enter')
    await eventually(lambda: members(prithvi) == ['dev'])
    await eventually(lambda: texts(user, 'staff-username-label') == ['dev'])


async def test_bad_usernames_are_refused_beside_the_field(user: User) -> None:
    _, prithvi, ranga = seed()
    with session_scope() as session:
        staff.add_staff(session, actor_id=ranga.owner_id, theatre_id=ranga.id, username='dev')
    await open_staff(user, prithvi)
    for typed, message in (
        ('', 'Username is required.'),
        ('nobody', 'No active account has the username “nobody”.'),
        ('gone', 'No active account has the username “gone”.'),
    ):
        await add(user, typed)
        await eventually(partial(error_is, user, message), message=lambda: f'{username_error(user)!r}')
        assert members(prithvi) == []
    await add(user, 'dev')  # on another theatre's door: may be on this one too
    await eventually(lambda: members(prithvi) == ['dev'])
    await eventually(lambda: username_error(user) is None)
    await add(user, 'dev')
    await eventually(lambda: username_error(user) == 'dev is already on the door staff of Prithvi.')
    assert members(prithvi) == ['dev']
    assert members(ranga) == ['dev']


async def test_removing_asks_first(user: User) -> None:
    meera, prithvi, _ = seed()
    with session_scope() as session:
        staff.add_staff(session, actor_id=meera.id, theatre_id=prithvi.id, username='dev')
    await open_staff(user, prithvi)
    await eventually(lambda: texts(user, 'staff-username-label') == ['dev'])
    user.find(marker='remove-staff').click()
    confirm = await open_dialog(user, 'remove-staff-dialog')
    await user.should_see('Dev Shah can no longer check tickets in at Prithvi.')
    user.find('Keep').click()
    await eventually(lambda: not confirm.value)
    assert members(prithvi) == ['dev']
    user.find(marker='remove-staff').click()
    await open_dialog(user, 'remove-staff-dialog')
    user.find(marker='confirm-remove').click()
    await user.should_see('dev is no longer on the door staff of Prithvi.')
    assert members(prithvi) == []
    assert count(AuditEvent, AuditEvent.action == AuditAction.STAFF_REMOVED) == 1
    await user.should_see(marker='no-staff')


async def test_an_admin_manages_any_theatres_door(user: User) -> None:
    _, _, ranga = seed()
    make_user(username='root', role=Role.ADMIN)
    await open_staff(user, ranga, 'root')
    await add(user, 'dev')
    await eventually(lambda: members(ranga) == ['dev'])


async def test_a_manager_has_no_door_staff_button_for_another_theatre(user: User) -> None:
    _, _, ranga = seed()
    await log_in(user, 'meera', target='/manage')
    await landed_on(user, '/manage')
    await user.should_see(marker='door-staff')
    assert not elements(user, marker=f'theatre-{ranga.id}')


async def test_check_ins_are_counted_on_the_dashboard_and_the_summary(user: User) -> None:
    meera, prithvi, _ = seed()
    hamlet = make_show(prithvi, name='Hamlet', num_tickets=50)
    make_show(prithvi, name='Tughlaq')  # nothing sold: no count
    booking = make_booking(make_user(username='asha'), hamlet, tickets=3)
    with session_scope() as session:
        code = session.scalars(select(Ticket.code).where(Ticket.booking_id == booking.id)).first()
        checkin.check_in(session, actor_id=meera.id, show_id=hamlet.id, code=code)
    await open_as(user, 'meera', '/manage')
    await user.should_see(marker='manage-show-checked-in')
    assert texts(user, 'manage-show-checked-in') == ['Checked in 1 of 3 sold']
    await user.open('/summary')
    await user.should_see(marker='best-seller-figures')
    assert texts(user, 'best-seller-figures') == ['3/50 sold · ₹750 · checked in 1 of 3']
    await user.should_see('of 100 offered · 1 checked in')
    with session_scope() as session:
        assert session.get_one(Show, hamlet.id).tickets_sold == 3
