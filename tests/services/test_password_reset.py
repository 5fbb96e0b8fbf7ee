"""Forgotten passwords: the email and its one-time link through the outbox and a real SMTP server, expiry on a
given clock, every session ended, nothing said about unknown addresses, the throttles, and two confirmations at
once."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from email.message import EmailMessage

import pytest
from sqlalchemy import event, select

from models import OutboxMessage, PasswordReset, User
from models.db import engine, session_scope, utcnow
from services import auth, password_reset, sessions, throttle
from services.config import get_settings
from services.errors import Invalid, TooManyAttempts
from services.kv import KV
from services.mail import outbox
from services.passwords import verify_password
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = 'a-brand-new-one-9'
LINK = re.compile(r'http://127\.0\.0\.1:8080/reset-password\?token=([A-Za-z0-9_-]+)')


@pytest.fixture
def mail(any_db, smtp_server):
    """Both databases, a real SMTP server the app sends to, and fresh throttle counters."""
    throttle.configure(KV(None))
    yield smtp_server
    assert password_reset.settle(), 'a reset email was still being sent'


def ask(email: object, *, client: str = '10.0.0.1', now: dt.datetime | None = None) -> None:
    """A request as the API or the page makes it, then wait for what it queues after the commit, and deliver
    that as the elected scheduler does within seconds."""
    with session_scope() as s:
        password_reset.request_reset(s, email=email, client=client, now=now)
    assert password_reset.settle()
    deliver(now)


def deliver(now: dt.datetime | None = None) -> outbox.BatchResult:
    return outbox.deliver_due(settings=get_settings(), clock=lambda: now or utcnow())


def queued() -> list[OutboxMessage]:
    with session_scope() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def confirm(token: str, password: object = NEW_PASSWORD, confirmation: object = None, **kwargs) -> None:
    with session_scope() as s:
        password_reset.confirm_reset(
            s,
            token=token,
            password=password,
            password_confirm=password if confirmation is None else confirmation,
            **kwargs,
        )


def is_valid(token: str, now: dt.datetime | None = None) -> bool:
    with session_scope() as s:
        return password_reset.link_is_valid(s, token=token, now=now)


def text_of(message: EmailMessage) -> str:
    return message.get_body(('plain',)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(('html',)).get_content()


def token_in(message: EmailMessage) -> str:
    found = LINK.search(text_of(message))
    assert found, text_of(message)
    return found.group(1)


def password_works(user_id: int, password: str) -> bool:
    with session_scope() as s:
        return verify_password(password, s.get(User, user_id).password_hash)


def resets() -> list[PasswordReset]:
    with session_scope() as s:
        return list(s.scalars(select(PasswordReset).order_by(PasswordReset.id)))


def api_token(user_id: int) -> str:
    with session_scope() as s:
        return sessions.open_api_session(s, s.get(User, user_id))


def token_works(token: str) -> bool:
    with session_scope() as s:
        return sessions.for_token(s, token=token) is not None


# --- asking for a link ---------------------------------------------------------------------------------


def test_a_known_address_gets_an_email_naming_the_account_with_a_one_time_link(mail):
    asha = make_user(username='asha', name='Asha Rao', email='Asha@Example.com')
    before = utcnow()
    ask('asha@EXAMPLE.com')  # addresses are compared whatever their case
    (received,) = mail.received
    assert received.to == 'Asha@Example.com'
    assert received.message['Subject'] == 'Choose a new TicketShow password'
    assert '"asha"' in text_of(received.message) and '<b>asha</b>' in html_of(received.message)
    token = token_in(received.message)
    assert len(token) >= 43  # 32 random bytes
    assert f'reset-password?token={token}' in html_of(received.message)
    (row,) = resets()
    assert row.user_id == asha.id and row.used_at is None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()  # only the digest is stored
    assert token not in repr(vars(row))
    assert dt.timedelta(minutes=59) < row.expires_at - before <= dt.timedelta(hours=1, seconds=5)


def test_the_email_escapes_the_persons_name_in_its_html(mail):
    make_user(username='ann', name='Ann & "Bob"', email='ann@example.com')
    ask('ann@example.com')
    (received,) = mail.received
    assert 'Ann &amp; &quot;Bob&quot;' in html_of(received.message)
    assert 'Hello Ann & "Bob",' in text_of(received.message)


def test_each_active_account_of_an_address_gets_its_own_link(mail):
    make_user(username='asha', email='family@example.com')
    make_user(username='ravi', email='FAMILY@example.com')
    make_user(username='gone', email='family@example.com', is_active=False)
    ask('family@example.com')
    named = sorted(re.search(r'account "(\w+)"', text_of(r.message)).group(1) for r in mail.received)
    assert named == ['asha', 'ravi']
    assert len({token_in(r.message) for r in mail.received}) == 2


def test_an_unknown_address_sends_nothing_and_gets_the_same_answer(mail):
    make_user(username='asha', email='asha@example.com')
    assert ask('nobody@example.com') is None
    assert mail.received == [] and resets() == []


@pytest.mark.parametrize('address', ['asha@example.com', 'nobody@example.com'])
def test_the_request_does_the_same_work_for_a_known_and_an_unknown_address(mail, address):
    """No query at all before the answer: the lookup happens after it, so its time cannot tell."""
    make_user(username='asha', email='asha@example.com')
    me = threading.get_ident()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if threading.get_ident() == me:
            statements.append(statement)

    event.listen(engine(), 'before_cursor_execute', record)
    try:
        with session_scope() as s:
            password_reset.request_reset(s, email=address, client='10.0.0.1')
    finally:
        event.remove(engine(), 'before_cursor_execute', record)
    assert statements == []
    assert password_reset.settle()


@pytest.mark.parametrize(
    'address',
    [
        pytest.param('', id='empty'),
        pytest.param(None, id='missing'),
        pytest.param('asha.example.com', id='no-at'),
        pytest.param('asha@example.com, eve@example.com', id='two-addresses'),
        pytest.param('asha@example.com\nBcc: eve@example.com', id='header-injection'),
        pytest.param('a' * 243 + '@example.com', id='255-chars'),
    ],
)
def test_a_malformed_address_is_refused_beside_its_field_and_sends_nothing(mail, address):
    make_user(username='asha', email='asha@example.com')
    with pytest.raises(Invalid) as error:
        ask(address)
    assert set(error.value.errors) == {'email'}
    assert mail.received == [] and resets() == []


def test_an_address_gets_three_emails_an_hour_and_then_silently_none(mail):
    make_user(username='asha', email='asha@example.com')
    for client in ('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'):
        ask('ASHA@example.com', client=client)  # no error: the fourth is answered like the others
    assert len(mail.received) == 3 and len(resets()) == 3


def test_a_network_address_may_ask_five_times_an_hour_then_waits(mail):
    make_user(username='asha', email='asha@example.com')
    for number in range(5):
        ask(f'person{number}@example.com', client='203.0.113.9')
    with pytest.raises(TooManyAttempts) as refused:
        ask('asha@example.com', client='203.0.113.9')
    assert 3500 <= refused.value.retry_after <= 3600
    assert refused.value.message == ('Too many requests for a new password from your network. Try again in 60 minutes.')
    assert mail.received == []
    ask('asha@example.com', client='198.51.100.7')  # another network is not held up
    assert len(mail.received) == 1


def test_the_link_and_its_email_are_queued_together_and_sent_only_by_the_outbox(mail):
    asha = make_user(username='asha', email='asha@example.com')
    with session_scope() as s:
        password_reset.request_reset(s, email='asha@example.com', client='10.0.0.1')
    assert password_reset.settle()

    (link,) = resets()
    (email,) = queued()
    assert mail.received == []  # queued in the links' transaction; delivering is the outbox's work
    assert (email.kind, email.user_id, email.to_address, email.status) == (
        'password_reset',
        asha.id,
        'asha@example.com',
        'pending',
    )
    assert email.subject == 'Choose a new TicketShow password'
    assert email.send_before == link.expires_at  # a dead link is not worth an email
    assert deliver().sent == 1
    (received,) = mail.received
    assert hashlib.sha256(token_in(received.message).encode()).hexdigest() == link.token_hash
    (email,) = queued()
    assert (email.status, email.message) == ('sent', None)  # the token is gone from the database with the body


def test_a_mail_server_that_is_down_delays_the_email_and_loses_nothing(mail):
    make_user(username='asha', email='asha@example.com')
    mail.stop()
    start = utcnow()
    ask('asha@example.com', now=start)  # the request itself never waits for the server
    assert mail.received == []
    assert [(e.status, e.attempts) for e in queued()] == [('pending', 0)]

    mail.start()
    deliver(start + outbox.OUTAGE_RETRY)

    (received,) = mail.received
    assert is_valid(token_in(received.message), now=start + outbox.OUTAGE_RETRY)


def test_an_email_still_undelivered_when_its_link_expires_is_never_sent(mail):
    make_user(username='asha', email='asha@example.com')
    mail.stop()
    start = utcnow()
    ask('asha@example.com', now=start)
    mail.start()

    result = deliver(start + password_reset.LINK_LIFETIME)

    assert result.expired == 1 and mail.received == []
    assert [(e.status, e.message) for e in queued()] == [('expired', None)]


# --- using a link --------------------------------------------------------------------------------------


def link_for(mail, username: str = 'asha', **ask_kwargs) -> tuple[int, str]:
    with session_scope() as s:
        user = s.scalar(select(User).where(User.username == username))
        user_id, address = user.id, user.email
    count = len(mail.received)
    ask(address, **ask_kwargs)
    assert len(mail.received) == count + 1
    return user_id, token_in(mail.received[-1].message)


def test_the_link_changes_the_password_once(mail):
    make_user(username='asha')
    user_id, token = link_for(mail)
    assert is_valid(token)
    confirm(token)
    assert password_works(user_id, NEW_PASSWORD) and not password_works(user_id, PASSWORD)
    assert not is_valid(token)
    with pytest.raises(Invalid) as again:
        confirm(token, 'yet-another-one-7')
    assert again.value.errors == {'token': 'This reset link is invalid or has expired; ask for a new one.'}
    assert password_works(user_id, NEW_PASSWORD)


def test_using_a_link_ends_every_session_of_the_person_and_no_one_elses(mail):
    asha = make_user(username='asha')
    ravi = make_user(username='ravi')
    phone, laptop, others = api_token(asha.id), api_token(asha.id), api_token(ravi.id)
    _, token = link_for(mail)
    confirm(token)
    assert not token_works(phone) and not token_works(laptop)
    assert token_works(others)


def test_using_a_link_uses_up_every_other_link_of_the_person(mail):
    make_user(username='asha')
    make_user(username='ravi')
    _, first = link_for(mail, client='10.0.0.1')
    _, second = link_for(mail, client='10.0.0.2')
    _, ravis = link_for(mail, 'ravi')
    confirm(second)
    assert not is_valid(first) and not is_valid(second)
    assert is_valid(ravis)
    with pytest.raises(Invalid):
        confirm(first)


def test_a_link_expires_after_one_hour(mail):
    start = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    make_user(username='asha')
    user_id, early = link_for(mail, client='10.0.0.1', now=start)
    _, late = link_for(mail, client='10.0.0.2', now=start)
    assert is_valid(late, now=start + dt.timedelta(minutes=59, seconds=59))
    assert not is_valid(late, now=start + dt.timedelta(hours=1))
    with pytest.raises(Invalid) as expired:
        confirm(late, now=start + dt.timedelta(hours=1))
    assert 'expired' in expired.value.errors['token']
    assert password_works(user_id, PASSWORD)
    confirm(early, now=start + dt.timedelta(minutes=59, seconds=59))
    assert password_works(user_id, NEW_PASSWORD)


def test_a_link_in_the_database_past_its_expiry_is_refused(mail):
    user = make_user(username='asha')
    _, token = link_for(mail)
    with session_scope() as s:
        s.execute(
            PasswordReset.__table__.update().values(expires_at=utcnow() - dt.timedelta(seconds=1))  # type: ignore[attr-defined]
        )
    with pytest.raises(Invalid):
        confirm(token)
    assert password_works(user.id, PASSWORD)


@pytest.mark.parametrize(
    'password, confirmation, field',
    [
        pytest.param('', '', 'password', id='empty'),
        pytest.param('short-7', 'short-7', 'password', id='7-chars'),
        pytest.param('p' * 129, 'p' * 129, 'password', id='129-chars'),
        pytest.param(None, None, 'password', id='missing'),
        pytest.param(NEW_PASSWORD, NEW_PASSWORD + 'x', 'password_confirm', id='different-confirmation'),
    ],
)
def test_a_bad_password_changes_nothing_and_keeps_the_link_usable(mail, password, confirmation, field):
    asha = make_user(username='asha')
    phone = api_token(asha.id)
    _, token = link_for(mail)
    with pytest.raises(Invalid) as error:
        with session_scope() as s:
            password_reset.confirm_reset(s, token=token, password=password, password_confirm=confirmation)
    assert set(error.value.errors) == {field}
    assert password_works(asha.id, PASSWORD) and token_works(phone) and is_valid(token)
    confirm(token)
    assert password_works(asha.id, NEW_PASSWORD)


@pytest.mark.parametrize('token', ['', 'not-a-token', 'x' * 10_000, None, 42])
def test_a_made_up_token_is_refused(mail, token):
    make_user(username='asha')
    with pytest.raises(Invalid) as error, session_scope() as s:
        password_reset.confirm_reset(s, token=token, password=NEW_PASSWORD, password_confirm=NEW_PASSWORD)
    assert set(error.value.errors) == {'token'}


def test_a_link_of_an_account_disabled_since_is_refused(mail):
    asha = make_user(username='asha')
    _, token = link_for(mail)
    with session_scope() as s:
        s.get(User, asha.id).is_active = False
    assert not is_valid(token)
    with pytest.raises(Invalid):
        confirm(token)


def race(token: str, passwords: list[str]) -> dict[str, str]:
    """Each password's outcome when all of them use the same link at the same instant."""
    start = threading.Barrier(len(passwords))
    outcomes: dict[str, str] = {}

    def use(password: str) -> None:
        start.wait()
        try:
            confirm(token, password)
            outcomes[password] = 'changed'
        except Invalid as error:
            outcomes[password] = error.errors['token']
        except Exception as error:  # noqa: BLE001 - any other outcome is what this test looks for
            outcomes[password] = repr(error)

    threads = [threading.Thread(target=use, args=(password,)) for password in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_two_confirmations_at_once_change_the_password_exactly_once(mail):
    asha = make_user(username='asha')
    for round_ in range(3):
        _, token = link_for(mail, client=f'10.0.0.{round_}')
        outcomes = race(token, [f'parallel-{round_}-a', f'parallel-{round_}-b'])
        assert sorted(outcomes.values()) == sorted(['changed', password_reset.INVALID_LINK]), outcomes
        (winner,) = [password for password, outcome in outcomes.items() if outcome == 'changed']
        assert password_works(asha.id, winner)


def test_changing_the_password_uses_up_the_open_links(mail):
    make_user(username='asha')
    user_id, token = link_for(mail)
    with session_scope() as s:
        auth.change_password(
            s, user_id=user_id, current_password=PASSWORD, new_password='changed-1', new_password_confirm='changed-1'
        )
    assert not is_valid(token)
