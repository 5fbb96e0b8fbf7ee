"""Deleting one's own account and changing one's name, on SQLite and PostgreSQL: the bookings, tickets and ratings
stay for the theatres' books while name, username, address and password go; sessions end, waiting emails are
dropped, an open offer goes to the next in line, door staff memberships end; a wrong password, a manager who owns
theatres and the last admin are refused and nothing changes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models import (
    AuditAction,
    AuditEvent,
    Booking,
    BookingStatus,
    OutboxMessage,
    OutboxStatus,
    Role,
    Show,
    TheatreStaff,
    Ticket,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from models.db import session_scope, utcnow
from services import accounts, auth, booking, sessions, staff, throttle, users, waitlist
from services.config import get_settings
from services.errors import Conflict, Invalid, Unauthenticated
from services.kv import KV
from services.mail import outbox
from tests.factories import PASSWORD, make_show, make_theatre, make_user


@pytest.fixture
def db(any_db):
    throttle.configure(KV(None))
    return any_db


def delete(user_id: int, password: object = PASSWORD) -> None:
    with session_scope() as s:
        accounts.delete_account(s, user_id=user_id, current_password=password)


def row(user_id: int) -> User:
    with session_scope() as s:
        return s.get_one(User, user_id)


def api_token(user_id: int) -> str:
    with session_scope() as s:
        return sessions.open_api_session(s, s.get_one(User, user_id))


def token_works(token: str) -> bool:
    with session_scope() as s:
        return sessions.for_token(s, token=token) is not None


def test_deleting_keeps_the_books_and_removes_the_person(db):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    show = make_show(theatre, num_tickets=10)
    asha = make_user(username='asha', name='Asha Rao', email='asha@example.com')
    with session_scope() as s:
        booked = booking.book(s, show_id=show.id, user_id=asha.id, tickets=3)
    with session_scope() as s:
        staff.add_staff(s, actor_id=manager.id, theatre_id=theatre.id, username='asha')
    token = api_token(asha.id)

    delete(asha.id)

    gone = row(asha.id)
    assert (gone.name, gone.username, gone.email) == (
        'Deleted user',
        f'deleted-{asha.id}',
        accounts.deleted_email(asha.id),
    )
    assert gone.email.endswith('.invalid')
    assert not gone.is_active and gone.deleted_at is not None and gone.email_verified_at is None
    assert not gone.wants_reminders and not gone.wants_reports
    assert not token_works(token)
    with pytest.raises(Unauthenticated), session_scope() as s:
        auth.authenticate(s, username='asha', password=PASSWORD)
    with pytest.raises(Unauthenticated), session_scope() as s:
        auth.authenticate(s, username=f'deleted-{asha.id}', password=PASSWORD)
    with session_scope() as s:
        kept = s.get_one(Booking, booked.id)
        assert (kept.status, kept.user_id) == (BookingStatus.CONFIRMED, asha.id)
        assert s.scalar(select(func.count()).select_from(Ticket).where(Ticket.booking_id == booked.id)) == 3
        assert s.get_one(Show, show.id).tickets_sold == 3  # still sold: the theatre's books stand
        assert s.scalars(select(TheatreStaff).where(TheatreStaff.user_id == asha.id)).all() == []
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.ACCOUNT_DELETED))
        assert event.actor_username == f'deleted-{asha.id}' and event.object_label == f'deleted-{asha.id}'
        assert 'asha' not in str(event.changes).lower()


def test_queued_email_to_the_person_is_never_sent_and_forgets_the_address(db, smtp_server):
    show = make_show(make_theatre(make_user(role=Role.MANAGER)))
    asha = make_user(username='asha', email='asha@example.com')
    with session_scope() as s:
        booking.book(s, show_id=show.id, user_id=asha.id, tickets=1)  # its confirmation waits in the outbox

    delete(asha.id)
    result = outbox.deliver_due(settings=get_settings())

    assert smtp_server.received == [] and result.sent == 0
    with session_scope() as s:
        (message,) = s.scalars(select(OutboxMessage))
        assert message.status == OutboxStatus.EXPIRED and message.message is None
        assert 'asha' not in message.to_address


def test_an_open_offer_goes_to_the_next_in_line(db):
    show = make_show(make_theatre(make_user(role=Role.MANAGER)), num_tickets=2)
    buyer, asha, bina = (make_user() for _ in range(3))
    with session_scope() as s:
        sold = booking.book(s, show_id=show.id, user_id=buyer.id, tickets=2)
    for person in (asha, bina):
        with session_scope() as s:
            waitlist.join(s, show_id=show.id, user_id=person.id, tickets=2)
    with session_scope() as s:
        booking.cancel_booking(s, booking_id=sold.id, user_id=buyer.id)
    with session_scope() as s:
        waitlist.offer_freed(s, show_id=show.id)
        assert s.scalar(select(WaitlistEntry.status).where(WaitlistEntry.user_id == asha.id)) == WaitlistStatus.OFFERED

    delete(asha.id)
    with session_scope() as s:
        waitlist.offer_freed(s, show_id=show.id)  # what the deletion's commit sets off

    with session_scope() as s:
        assert s.scalar(select(WaitlistEntry.status).where(WaitlistEntry.user_id == asha.id)) == WaitlistStatus.LEFT
        assert s.scalar(select(WaitlistEntry.status).where(WaitlistEntry.user_id == bina.id)) == WaitlistStatus.OFFERED
        assert s.get_one(Show, show.id).tickets_offered == 2


def unchanged(user_id: int, before: User) -> None:
    after = row(user_id)
    assert (after.name, after.username, after.email, after.is_active, after.deleted_at) == (
        before.name,
        before.username,
        before.email,
        True,
        None,
    )
    with session_scope() as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.ACCOUNT_DELETED)).all() == []


@pytest.mark.parametrize('password', ['wrong-password-1', '', None, 'x' * 500])
def test_a_wrong_password_deletes_nothing(db, password):
    asha = make_user(username='asha')
    token = api_token(asha.id)
    with pytest.raises(Invalid) as refused:
        delete(asha.id, password)
    assert refused.value.errors == {'current_password': 'This is not your current password.'}
    unchanged(asha.id, asha)
    assert token_works(token)


def test_a_manager_who_owns_theatres_is_told_to_hand_them_over_first(db):
    meera = make_user(role=Role.MANAGER, username='meera')
    make_theatre(meera)
    make_theatre(meera)
    with pytest.raises(Conflict, match='You still own 2 theatres: delete them or hand them over first'):
        delete(meera.id)
    unchanged(meera.id, meera)


def test_the_last_active_admin_cannot_delete_themselves(db):
    root = make_user(role=Role.ADMIN, username='root')
    make_user(role=Role.ADMIN, username='old', is_active=False)
    with pytest.raises(Conflict, match='last active admin'):
        delete(root.id)
    unchanged(root.id, root)
    other = make_user(role=Role.ADMIN, username='other')
    delete(root.id)
    assert row(root.id).deleted_at is not None
    with pytest.raises(Conflict, match='deleted by its owner'), session_scope() as s:
        users.set_active(s, actor_id=other.id, user_id=root.id, active=True)


def test_a_new_account_cannot_take_a_deleted_accounts_username(db):
    with pytest.raises(Invalid) as refused, session_scope() as s:
        auth.signup(s, username='deleted-99', name='Mallory', email='m@example.com', password=PASSWORD)
    assert 'kept for deleted accounts' in refused.value.errors['username']


# --- the name -----------------------------------------------------------------------------------------------


def test_the_name_changes_at_once_and_is_checked_as_at_signup(db):
    asha = make_user(name='Asha')
    with session_scope() as s:
        assert accounts.rename(s, user_id=asha.id, name='  Asha Rao ').name == 'Asha Rao'
    for bad, message in [('', 'Full name is required.'), ('<b>Asha</b>', None), ('x' * 101, None), (None, None)]:
        with pytest.raises(Invalid) as refused, session_scope() as s:
            accounts.rename(s, user_id=asha.id, name=bad)
        assert set(refused.value.errors) == {'name'}
        if message:
            assert refused.value.errors['name'] == message
    assert row(asha.id).name == 'Asha Rao'


def test_a_deleted_account_has_no_booking_email_address(db):
    asha = make_user()
    delete(asha.id)
    with session_scope() as s:
        assert outbox.verified(s, [asha.id]) == set()
    assert row(asha.id).deleted_at <= utcnow() + dt.timedelta(seconds=1)
