"""The email outbox: a message queued in a transaction goes out after its commit and never after a rollback; each
is delivered exactly once through a real SMTP server, by racing threads and by two instances with engines of their
own; an outage loses nothing and costs no tries; refusals back off on an injected clock, then give up."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from models import OutboxKind, OutboxMessage, OutboxStatus
from models.db import make_engine, session_scope
from services.config import Settings, get_settings
from services.errors import NotAllowed
from services.mail import admin as mail_admin
from services.mail import outbox
from services.mail.outbox import CLAIM_TIMEOUT, OUTAGE_RETRY, RETRY_AFTER, BatchResult
from services.mail.transport import SmtpMailer, compose
from tests.factories import make_user

START = dt.datetime(2026, 12, 10, 13, 0, tzinfo=dt.UTC)


class Clock:
    """The time every step of a delivery reads; moved by hand, never slept on."""

    def __init__(self, now: dt.datetime = START) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mail(any_db, smtp_server):
    """Both databases and a real SMTP server the app's settings point at."""
    return smtp_server


def message(to: str, number: int = 0):
    return compose(
        sender='TicketShow <noreply@ticketshow.invalid>',
        to=to,
        subject=f'Message {number}',
        text=f'Plain words {number}',
        html=f'<p>Rich words {number}</p>',
    )


def queue(addresses: list[str], *, now: dt.datetime = START, send_before: dt.datetime | None = None) -> list[int]:
    """Queue one message to each address, in one transaction; their ids."""
    with session_scope() as s:
        rows = [
            outbox.enqueue(
                s,
                kind=OutboxKind.PASSWORD_RESET,
                message=message(to, number),
                send_before=send_before,
                now=now,
            )
            for number, to in enumerate(addresses)
        ]
        return [row.id for row in rows]


def deliver(clock: Callable[[], dt.datetime], **kwargs) -> BatchResult:
    return outbox.deliver_due(settings=get_settings(), clock=clock, **kwargs)


def rows() -> list[OutboxMessage]:
    with session_scope() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def statuses() -> Counter[OutboxStatus]:
    return Counter(row.status for row in rows())


# --- after the commit, or never -----------------------------------------------------------------------------


def test_a_message_queued_in_a_transaction_that_rolls_back_is_never_sent(mail, clock):
    with pytest.raises(RuntimeError), session_scope() as s:
        outbox.enqueue(s, kind=OutboxKind.PASSWORD_RESET, message=message('ann@example.com'), now=clock())
        raise RuntimeError('the change failed after asking for its email')

    result = deliver(clock)

    assert rows() == []
    assert result.claimed == 0 and mail.received == []


def test_subscribers_are_woken_after_the_commit_only(any_db, clock):
    woken: list[str] = []
    unsubscribe = outbox.subscribe(lambda: woken.append('woken'))
    try:
        with session_scope() as s:
            outbox.enqueue(s, kind=OutboxKind.PASSWORD_RESET, message=message('ann@example.com'), now=clock())
            assert woken == []  # not before the row is visible to the deliverer
        assert woken == ['woken']
        with pytest.raises(RuntimeError), session_scope() as s:
            outbox.enqueue(s, kind=OutboxKind.PASSWORD_RESET, message=message('bob@example.com'), now=clock())
            raise RuntimeError('rolled back')
        assert woken == ['woken']
    finally:
        unsubscribe()


def test_a_committed_message_is_delivered_in_one_pass_as_it_was_composed(mail, clock):
    (queued,) = queue(['Ann Rao <ann@example.com>'])
    clock.advance(dt.timedelta(seconds=1))

    result = deliver(clock)

    (received,) = mail.received
    assert received.rcpt_tos == ('ann@example.com',)
    assert received.message['Subject'] == 'Message 0'
    assert received.message.get_body(('plain',)).get_content().strip() == 'Plain words 0'
    assert received.message.get_body(('html',)).get_content().strip() == '<p>Rich words 0</p>'
    (row,) = rows()
    assert (row.id, row.status, row.attempts, row.sent_at, row.error) == (queued, 'sent', 1, clock.now, None)
    assert row.message is None  # the body (it may hold a live link) is gone once sent
    assert (result.claimed, result.sent, result.server_down) == (1, 1, None)
    assert deliver(clock).claimed == 0 and len(mail.received) == 1


def test_a_batch_goes_over_one_connection_in_the_order_queued(mail, clock):
    addresses = [f'person{i}@example.com' for i in range(6)]
    queue(addresses)

    result = deliver(clock)

    assert result.sent == 6
    assert mail.recipients == addresses
    assert len({r.peer for r in mail.received}) == 1


def test_a_message_not_yet_due_waits(mail, clock):
    queue(['ann@example.com'], now=START + dt.timedelta(minutes=5))
    assert deliver(clock).claimed == 0
    clock.advance(dt.timedelta(minutes=5))
    assert deliver(clock).sent == 1


# --- exactly once when deliverers race -------------------------------------------------------------------


def race(deliverers: list[Callable[[], BatchResult]]) -> list[BatchResult]:
    """Each deliverer on a thread of its own, started at once, passing until a pass finds nothing."""
    start = threading.Barrier(len(deliverers))
    results: list[BatchResult] = []
    errors: list[BaseException] = []

    def run(deliver_once: Callable[[], BatchResult]) -> None:
        start.wait()
        try:
            while (result := deliver_once()).claimed:
                results.append(result)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(d,)) for d in deliverers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def test_threads_delivering_at_once_send_each_of_50_messages_exactly_once(mail, clock):
    addresses = [f'person{i}@example.com' for i in range(50)]
    queue(addresses)

    results = race([lambda n=n: deliver(clock, limit=5, worker=f'thread{n}') for n in range(4)])

    assert Counter(mail.recipients) == Counter(addresses)  # each once, none twice
    assert sum(r.sent for r in results) == 50
    assert sum(r.claimed for r in results) == 50  # no message was claimed by two batches
    assert statuses() == {OutboxStatus.SENT: 50}


def test_two_instances_with_engines_of_their_own_send_each_of_50_messages_exactly_once(any_db, mail, clock):
    addresses = [f'person{i}@example.com' for i in range(50)]
    queue(addresses)
    engines = [make_engine(any_db), make_engine(any_db)]  # two processes' connection pools
    factories = [sessionmaker(engine, expire_on_commit=False) for engine in engines]
    try:
        results = race(
            [
                lambda factory=factory, n=n: deliver(clock, limit=5, transaction=factory.begin, worker=f'instance{n}')
                for n, factory in enumerate(factories)
            ]
        )
    finally:
        for engine in engines:
            engine.dispose()

    assert Counter(mail.recipients) == Counter(addresses)
    assert sum(r.sent for r in results) == 50
    assert sum(r.claimed for r in results) == 50  # no message was claimed by two batches
    assert statuses() == {OutboxStatus.SENT: 50}


# --- the server down, refusals, the clock --------------------------------------------------------------------


def test_a_server_that_is_down_loses_nothing_and_uses_up_no_tries(mail, clock):
    addresses = [f'person{i}@example.com' for i in range(3)]
    queue(addresses)
    mail.stop()

    down = deliver(clock)

    assert down.server_down.startswith(f'cannot reach the SMTP server 127.0.0.1:{mail.port}')
    assert (down.claimed, down.sent, down.deferred) == (3, 0, 3)
    assert {(r.status, r.attempts, r.next_attempt_at) for r in rows()} == {('pending', 0, START + OUTAGE_RETRY)}
    assert all(r.message for r in rows())
    clock.advance(OUTAGE_RETRY - dt.timedelta(seconds=1))
    assert deliver(clock).claimed == 0  # no connection attempt before the wait is over

    mail.start()
    clock.advance(dt.timedelta(seconds=1))
    up = deliver(clock)

    assert up.sent == 3
    assert Counter(mail.recipients) == Counter(addresses)
    assert {(r.status, r.attempts) for r in rows()} == {('sent', 1)}


def test_an_outage_makes_every_due_message_wait_not_only_the_batch(mail, clock):
    queue([f'person{i}@example.com' for i in range(5)])
    mail.stop()

    down = deliver(clock, limit=2)

    assert (down.claimed, down.deferred) == (2, 2)
    assert {r.next_attempt_at for r in rows()} == {START + OUTAGE_RETRY}
    assert deliver(clock, limit=2).claimed == 0  # the next poll does not knock on the dead server again


def test_a_server_dying_mid_batch_sends_the_rest_once_it_is_back(mail, clock):
    addresses = [f'person{i}@example.com' for i in range(5)]
    queue(addresses)
    mail.die_after = 2

    broken = deliver(clock)

    assert (broken.sent, broken.deferred) == (2, 3)
    assert broken.server_down
    assert mail.recipients == addresses[:2]
    mail.start()
    clock.advance(OUTAGE_RETRY)
    resumed = deliver(clock)
    assert resumed.sent == 3
    assert Counter(mail.recipients) == Counter(addresses)
    assert {(r.status, r.attempts) for r in rows()} == {('sent', 1)}


def test_a_refused_recipient_backs_off_then_is_given_up_while_the_others_go(mail, clock):
    assert get_settings().mail_max_attempts == 3
    mail.refuse = {'bad@example.com'}
    queue(['good1@example.com', 'bad@example.com', 'good2@example.com'])

    first = deliver(clock)

    assert (first.sent, first.retrying, first.failed) == (2, 1, 0)
    assert mail.recipients == ['good1@example.com', 'good2@example.com']
    bad = next(r for r in rows() if r.to_address == 'bad@example.com')
    assert (bad.status, bad.attempts, bad.next_attempt_at) == ('pending', 1, START + RETRY_AFTER)
    assert bad.error == 'recipient refused: bad@example.com (550 5.1.1 no such user)'

    clock.advance(RETRY_AFTER - dt.timedelta(seconds=1))
    assert deliver(clock).claimed == 0
    clock.advance(dt.timedelta(seconds=1))
    second = deliver(clock)
    assert (second.retrying, second.failed) == (1, 0)
    bad = next(r for r in rows() if r.to_address == 'bad@example.com')
    assert (bad.attempts, bad.next_attempt_at) == (2, clock.now + 2 * RETRY_AFTER)  # doubled

    clock.advance(2 * RETRY_AFTER)
    third = deliver(clock)
    assert (third.retrying, third.failed) == (0, 1)
    bad = next(r for r in rows() if r.to_address == 'bad@example.com')
    assert (bad.status, bad.attempts, bad.message) == ('failed', 3, None)

    clock.advance(dt.timedelta(days=1))
    assert deliver(clock).claimed == 0  # given up: never a fourth try
    assert mail.refused == ['bad@example.com'] * 3
    assert len(mail.received) == 2


@pytest.mark.parametrize(
    'attempts, retry_minutes, wait',
    [
        (1, 15, RETRY_AFTER),
        (2, 15, 2 * RETRY_AFTER),
        (4, 15, 8 * RETRY_AFTER),
        (5, 15, dt.timedelta(minutes=15)),  # 16 minutes would be past the runs' retry interval
        (10, 15, dt.timedelta(minutes=15)),
        (2, 1.5, dt.timedelta(minutes=1.5)),
    ],
)
def test_the_back_off_doubles_up_to_the_runs_retry_interval(attempts, retry_minutes, wait):
    assert outbox.retry_delay(attempts, Settings(mail_retry_minutes=retry_minutes)) == wait


def test_a_message_past_its_send_before_expires_unsent_and_loses_its_body(mail, clock):
    queue(['late@example.com'], send_before=START + dt.timedelta(hours=1))
    queue(['timely@example.com'], send_before=START + dt.timedelta(hours=2))
    mail.stop()
    deliver(clock)
    mail.start()
    clock.advance(dt.timedelta(hours=1))

    result = deliver(clock)

    assert (result.expired, result.sent) == (1, 1)
    assert mail.recipients == ['timely@example.com']
    late = next(r for r in rows() if r.to_address == 'late@example.com')
    assert (late.status, late.message, late.attempts) == ('expired', None, 0)


# --- a sender that died ----------------------------------------------------------------------------------


def add_row(to: str, status: OutboxStatus, claimed_at: dt.datetime, claimed_by: str = 'dead:0123') -> int:
    with session_scope() as s:
        row = OutboxMessage(
            kind=OutboxKind.PASSWORD_RESET,
            to_address=to,
            subject='Left behind',
            message=message(to).as_bytes(),
            status=status,
            attempts=0,
            next_attempt_at=START - dt.timedelta(hours=1),
            claimed_by=claimed_by,
            claimed_at=claimed_at,
            created_at=START - dt.timedelta(hours=1),
        )
        s.add(row)
        s.flush()
        return row.id


def test_a_claim_its_sender_never_started_is_taken_back_after_the_timeout_and_sent_once(mail, clock):
    add_row('stale@example.com', OutboxStatus.CLAIMED, START - CLAIM_TIMEOUT - dt.timedelta(seconds=1))
    add_row('fresh@example.com', OutboxStatus.CLAIMED, START - dt.timedelta(minutes=1))

    result = deliver(clock)

    assert result.sent == 1
    assert mail.recipients == ['stale@example.com']  # a claim this young may still be a live batch's
    clock.advance(CLAIM_TIMEOUT)
    deliver(clock)
    assert mail.recipients == ['stale@example.com', 'fresh@example.com']
    assert deliver(clock).claimed == 0 and len(mail.received) == 2


def test_a_message_whose_sender_stopped_mid_send_is_never_sent_again_and_shows_as_stopped(mail, clock):
    admin = make_user(role='admin')
    add_row('maybe@example.com', OutboxStatus.SENDING, START - CLAIM_TIMEOUT - dt.timedelta(minutes=1))

    for hours in range(3):
        clock.advance(dt.timedelta(hours=hours))
        assert deliver(clock).claimed == 0

    assert mail.received == []
    with session_scope() as s:
        seen = mail_admin.email_queue(s, actor_id=admin.id, now=clock.now)
    assert seen.stuck == 1 and seen.counts[OutboxStatus.SENDING] == 1
    assert [(m.to, m.status, m.stuck) for m in seen.latest] == [('maybe@example.com', 'sending', True)]


def test_a_slow_batch_whose_claims_were_taken_back_sends_none_of_them_twice(mail, clock):
    """Batch A claims five messages and stalls on its first past the claim timeout; B takes the four A had not
    started and sends them. A's own gate then refuses the four: each message reaches the server once."""
    addresses = [f'person{i}@example.com' for i in range(5)]
    queue(addresses)
    later = Clock(START + CLAIM_TIMEOUT + dt.timedelta(minutes=1))
    results: dict[str, BatchResult] = {}

    class Stalling(SmtpMailer):
        def send(self, msg) -> None:
            if 'b' not in results:
                results['b'] = deliver(later, worker='b')  # meanwhile, on the other instance
            super().send(msg)

    results['a'] = deliver(clock, mailer=Stalling(get_settings()), worker='a')

    assert (results['a'].claimed, results['a'].sent) == (5, 1)
    assert (results['b'].claimed, results['b'].sent) == (4, 4)
    assert Counter(mail.recipients) == Counter(addresses)
    assert statuses() == {OutboxStatus.SENT: 5}


# --- the admin's view ------------------------------------------------------------------------------------


def test_admins_see_the_queue_counts_and_latest_emails_without_their_bodies(mail, clock):
    admin = make_user(role='admin')
    mail.refuse = {'bad@example.com'}
    queue(['ann@example.com', 'bad@example.com', 'cem@example.com'])
    deliver(clock)
    queue(['dev@example.com'], now=START + dt.timedelta(minutes=1))

    with session_scope() as s:
        seen = mail_admin.email_queue(s, actor_id=admin.id, now=clock.now)

    assert seen.counts[OutboxStatus.SENT] == 2
    assert seen.counts[OutboxStatus.PENDING] == 2  # the refused one waits for its next try, and the new one
    assert seen.counts[OutboxStatus.FAILED] == 0 and seen.stuck == 0
    assert [(m.to, m.status, m.attempts) for m in seen.latest] == [
        ('dev@example.com', 'pending', 0),
        ('cem@example.com', 'sent', 1),
        ('bad@example.com', 'pending', 1),
        ('ann@example.com', 'sent', 1),
    ]
    assert 'no such user' in seen.latest[2].error
    assert 'Plain words' not in repr(seen) and 'Rich words' not in repr(seen)


@pytest.mark.parametrize('role', ['user', 'manager'])
def test_only_admins_see_the_email_queue(any_db, role):
    someone = make_user(role=role)
    with session_scope() as s, pytest.raises(NotAllowed):
        mail_admin.email_queue(s, actor_id=someone.id)
