"""Verified addresses and changes of address, on SQLite and PostgreSQL, with the emails through the outbox and a real
SMTP server: signup sends a one-time link; no booking email reaches an unverified address, and the confirmations
owed are sent once it is verified (shows not yet started, each once); a change of address asks for the password,
mails the new address a link and the old one a notice, and applies only when the link is opened; used, expired,
unknown and other people's links change nothing; two confirmations at once succeed once."""

from __future__ import annotations

import datetime as dt
import re
import threading
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from models import AuditAction, AuditEvent, EmailLink, OutboxKind, OutboxMessage, OutboxStatus, Role, Show, User
from models.db import session_scope, utcnow
from services import auth, booking, email_links, throttle
from services.config import get_settings
from services.errors import Conflict, Invalid, TooManyAttempts
from services.kv import KV
from services.mail import outbox
from tests.factories import PASSWORD, make_show, make_theatre, make_user

VERIFY_LINK = re.compile(r'http://127\.0\.0\.1:8080/verify-email/([A-Za-z0-9_-]+)')
CHANGE_LINK = re.compile(r'http://127\.0\.0\.1:8080/confirm-email/([A-Za-z0-9_-]+)')


@pytest.fixture
def mail(any_db, smtp_server):
    """Both databases, a real SMTP server the app sends to, and fresh throttle counters."""
    throttle.configure(KV(None))
    return smtp_server


def deliver(now: dt.datetime | None = None) -> outbox.BatchResult:
    return outbox.deliver_due(settings=get_settings(), clock=lambda: now or utcnow())


def text_of(message: EmailMessage) -> str:
    return message.get_body(('plain',)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(('html',)).get_content()


def token_in(message: EmailMessage, pattern: re.Pattern[str] = VERIFY_LINK) -> str:
    found = pattern.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


def sign_up(username: str = 'asha', email: str = 'asha@example.com', name: str = 'Asha Rao') -> int:
    with session_scope() as s:
        return auth.signup(s, username=username, name=name, email=email, password=PASSWORD).id


def user(user_id: int) -> User:
    with session_scope() as s:
        return s.get_one(User, user_id)


def verify(token: object, now: dt.datetime | None = None) -> None:
    with session_scope() as s:
        email_links.verify_email(s, token=token, now=now)


def ask_change(user_id: int, email: object, password: object = PASSWORD) -> email_links.AccountView:
    with session_scope() as s:
        return email_links.request_email_change(s, user_id=user_id, email=email, current_password=password)


def confirm_change(token: object, now: dt.datetime | None = None) -> None:
    with session_scope() as s:
        email_links.confirm_email_change(s, token=token, now=now)


def a_show(starts_in: dt.timedelta = dt.timedelta(days=3)):
    return make_show(make_theatre(make_user(role=Role.MANAGER)), name='Hamlet', starts_in=starts_in)


def book(show, user_id: int, tickets: int = 2) -> int:
    with session_scope() as s:
        return booking.book(s, show_id=show.id, user_id=user_id, tickets=tickets).id


def kinds() -> list[tuple[str, str]]:
    with session_scope() as s:
        return [(r.kind, r.to_address) for r in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


# --- verification at signup -----------------------------------------------------------------------------------


def test_signup_sends_a_one_time_link_that_verifies_the_address(mail):
    asha = sign_up()
    assert user(asha).email_verified_at is None
    deliver()
    (received,) = mail.received
    assert received.to == 'asha@example.com'
    assert received.message['Subject'] == 'Confirm your email address for TicketShow'
    token = token_in(received.message)
    assert f'/verify-email/{token}' in html_of(received.message)
    with session_scope() as s:
        (row,) = s.scalars(select(EmailLink))
        assert row.token_hash != token and len(row.token_hash) == 64  # only its digest is kept
        assert row.expires_at - row.created_at == dt.timedelta(hours=48)

    verify(token)

    assert user(asha).email_verified_at is not None
    with pytest.raises(Invalid, match='invalid, used or expired'):
        verify(token)  # once only


@pytest.mark.parametrize('token', ['', 'x' * 101, 'no-such-token', None, 7])
def test_a_made_up_link_verifies_nothing(mail, token):
    asha = sign_up()
    with pytest.raises(Invalid) as refused:
        verify(token)
    assert refused.value.errors == {'token': email_links.INVALID_VERIFY_LINK}
    assert user(asha).email_verified_at is None


def test_an_expired_link_verifies_nothing(mail):
    asha = sign_up()
    deliver()
    token = token_in(mail.received[0].message)
    with pytest.raises(Invalid):
        verify(token, now=utcnow() + dt.timedelta(hours=48, seconds=1))
    assert user(asha).email_verified_at is None
    verify(token, now=utcnow() + dt.timedelta(hours=47))
    assert user(asha).email_verified_at is not None


def test_a_link_to_an_address_the_account_no_longer_has_proves_nothing(mail):
    asha = sign_up()
    deliver()
    old_token = token_in(mail.received[0].message)
    with session_scope() as s:
        s.get_one(User, asha).email = 'other@example.com'
    with pytest.raises(Invalid):
        verify(old_token)
    assert user(asha).email_verified_at is None


def test_no_booking_email_goes_to_an_unverified_address_and_the_owed_ones_go_once_it_is_verified(mail):
    asha = sign_up()
    deliver()
    token = token_in(mail.received[0].message)
    upcoming, later = a_show(), a_show(dt.timedelta(days=9))
    first = book(upcoming, asha)
    second = book(later, asha, tickets=1)
    cancelled = book(upcoming, asha, tickets=1)
    with session_scope() as s:
        booking.cancel_booking(s, booking_id=cancelled, user_id=asha)
    with session_scope() as s:  # a booking made before verifying, of a show that has started since
        started = a_show(dt.timedelta(hours=1))
        past = booking.book(s, show_id=started.id, user_id=asha, tickets=1).id
        s.get_one(Show, started.id).starts_at = utcnow() - dt.timedelta(minutes=5)
    deliver()
    assert mail.recipients == ['asha@example.com']  # only the link: no confirmation, no cancellation
    assert [kind for kind, _ in kinds()] == ['email_verification']

    verify(token)
    deliver()

    confirmations = [r for r in mail.received if r.message['Subject'].startswith('Your tickets')]
    assert len(confirmations) == 2
    with session_scope() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.BOOKING_CONFIRMED)).all()
        assert sorted(r.booking_id for r in rows) == sorted([first, second])
        assert past not in {r.booking_id for r in rows}
        assert {r.status for r in rows} == {OutboxStatus.SENT}
    # From now on the address gets booking email at once, and the owed ones never again.
    book(later, asha, tickets=1)
    deliver()
    assert len([r for r in mail.received if r.message['Subject'].startswith('Your tickets')]) == 3


def test_resending_is_limited_to_one_a_minute_and_refused_once_verified(mail):
    asha = sign_up()
    with session_scope() as s:
        email_links.resend_verification(s, user_id=asha)
    with pytest.raises(TooManyAttempts, match='a moment ago'), session_scope() as s:
        email_links.resend_verification(s, user_id=asha)
    deliver()
    assert mail.recipients == ['asha@example.com', 'asha@example.com']
    verify(token_in(mail.received[1].message))  # the newer link works, and so would the older
    with pytest.raises(Conflict, match='already verified'), session_scope() as s:
        email_links.resend_verification(s, user_id=asha)


def test_existing_accounts_and_admins_count_as_verified(mail):
    with session_scope() as s:
        admin = auth.create_admin(s, username='root', name='Root', email='root@example.com', password=PASSWORD)
        admin_id = admin.id
    assert user(admin_id).email_verified_at is not None
    assert kinds() == []  # no link for an address its operator gave


# --- changing one's address -----------------------------------------------------------------------------------


def test_a_change_mails_the_new_address_a_link_and_the_old_one_a_notice_and_waits_for_the_link(mail):
    asha = make_user(username='asha', name='Asha Rao', email='asha@example.com')
    view = ask_change(asha.id, 'new.asha@example.org')
    assert (view.email, view.pending_email) == ('asha@example.com', 'new.asha@example.org')
    deliver()
    by_address = {r.to: r.message for r in mail.received}
    assert set(by_address) == {'new.asha@example.org', 'asha@example.com'}
    notice = text_of(by_address['asha@example.com'])
    assert 'n***@example.org' in notice and 'new.asha' not in notice
    assert 'change your password' in notice.lower()
    assert user(asha.id).email == 'asha@example.com'  # not until the link is opened

    confirm_change(token_in(by_address['new.asha@example.org'], CHANGE_LINK))

    changed = user(asha.id)
    assert changed.email == 'new.asha@example.org' and changed.email_verified_at is not None
    with session_scope() as s:
        assert email_links.pending_email(s, asha.id) is None
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.EMAIL_CHANGED))
        assert 'asha@example.com' not in str(event.changes) and 'new.asha' not in str(event.changes)


@pytest.mark.parametrize(
    ('email', 'password', 'errors'),
    [
        ('new@example.com', 'wrong-password-1', {'current_password': 'This is not your current password.'}),
        ('not an address', PASSWORD, None),
        ('', PASSWORD, {'email': 'New email is required.'}),
        ('ASHA@example.com', PASSWORD, {'email': 'This is already your email address.'}),
    ],
)
def test_a_bad_change_is_refused_and_changes_nothing(mail, email, password, errors):
    asha = make_user(username='asha', email='asha@example.com')
    with pytest.raises(Invalid) as refused:
        ask_change(asha.id, email, password)
    if errors is not None:
        assert refused.value.errors == errors
    else:
        assert set(refused.value.errors) == {'email'}
    assert kinds() == []
    with session_scope() as s:
        assert s.scalars(select(EmailLink)).all() == []


def test_an_address_another_account_uses_is_refused_then_and_when_the_link_is_opened(mail):
    asha = make_user(username='asha', email='asha@example.com')
    make_user(username='bina', email='bina@example.com')
    with pytest.raises(Conflict, match='Another account uses that email address') as refused:
        ask_change(asha.id, 'Bina@Example.com')
    assert refused.value.field == 'email'
    ask_change(asha.id, 'free@example.com')
    deliver()
    token = token_in(next(r.message for r in mail.received if r.to == 'free@example.com'), CHANGE_LINK)
    make_user(username='chai', email='FREE@example.com')  # takes it meanwhile

    with pytest.raises(Conflict, match='Another account'):
        confirm_change(token)

    assert user(asha.id).email == 'asha@example.com'


def test_a_newer_change_replaces_the_older_and_used_or_expired_links_do_nothing(mail):
    asha = make_user(username='asha', email='asha@example.com')
    ask_change(asha.id, 'first@example.com')
    ask_change(asha.id, 'second@example.com')
    deliver()
    tokens = {r.to: token_in(r.message, CHANGE_LINK) for r in mail.received if r.to != 'asha@example.com'}
    with pytest.raises(Invalid, match='invalid, used or expired'):
        confirm_change(tokens['first@example.com'])
    with pytest.raises(Invalid):
        confirm_change(tokens['second@example.com'], now=utcnow() + dt.timedelta(hours=24, seconds=1))
    with pytest.raises(Invalid):
        verify(tokens['second@example.com'])  # a change link is no verification link
    confirm_change(tokens['second@example.com'])
    with pytest.raises(Invalid):
        confirm_change(tokens['second@example.com'])
    assert user(asha.id).email == 'second@example.com'


def test_each_link_changes_only_its_own_account(mail):
    asha = make_user(username='asha', email='asha@example.com')
    bina = make_user(username='bina', email='bina@example.com')
    ask_change(bina.id, 'bina.new@example.com')
    deliver()
    token = token_in(next(r.message for r in mail.received if r.to == 'bina.new@example.com'), CHANGE_LINK)
    confirm_change(token)  # whoever opens it: the link, not a login, says whose address it is
    assert user(asha.id).email == 'asha@example.com'
    assert user(bina.id).email == 'bina.new@example.com'


def test_cancelling_a_change_stops_its_link(mail):
    asha = make_user(username='asha', email='asha@example.com')
    ask_change(asha.id, 'new@example.com')
    deliver()
    token = token_in(next(r.message for r in mail.received if r.to == 'new@example.com'), CHANGE_LINK)
    with session_scope() as s:
        assert email_links.cancel_email_change(s, user_id=asha.id).pending_email is None
    with pytest.raises(Invalid):
        confirm_change(token)
    assert user(asha.id).email == 'asha@example.com'


def test_an_unverified_account_that_changes_its_address_gets_its_owed_confirmations_there(mail):
    asha = sign_up()
    show = a_show()
    book(show, asha)
    ask_change(asha, 'asha.real@example.com')
    deliver()
    token = token_in(next(r.message for r in mail.received if r.to == 'asha.real@example.com'), CHANGE_LINK)
    confirm_change(token)
    deliver()
    tickets = [r.to for r in mail.received if r.message['Subject'].startswith('Your tickets')]
    assert tickets == ['asha.real@example.com']


def test_two_confirmations_of_one_link_at_once_succeed_once(mail):
    asha = make_user(username='asha', email='asha@example.com')
    ask_change(asha.id, 'new@example.com')
    deliver()
    token = token_in(next(r.message for r in mail.received if r.to == 'new@example.com'), CHANGE_LINK)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm() -> None:
        start.wait()
        try:
            confirm_change(token)
            outcomes.append('done')
        except Invalid:
            outcomes.append('refused')

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ['done', 'refused']
    with session_scope() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.EMAIL_CHANGED)).all()
    assert len(events) == 1
