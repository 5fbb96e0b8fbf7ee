"""A mail run's bookkeeping by steps of people (one claim and one settling transaction per step, not two per email)
through a real local SMTP server: a failure in the middle of a step sends nobody twice and loses nobody."""

import datetime as dt
import email
from collections import Counter
from email import policy

import pytest
from sqlalchemy import event, select

from models import MailDelivery, db
from models.db import session_scope
from services.config import Settings, get_settings
from services.mail import jobs as mailings
from services.mail import runner
from services.mail.transport import SmtpMailer
from tests.factories import make_booking, make_show, make_theatre, make_user

NOW = dt.datetime(2026, 12, 10, 13, 0, tzinfo=dt.UTC)
AFTER_OCTOBER = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)
PEOPLE = 8


@pytest.fixture
def crowd(database, monkeypatch):
    """Eight audience members who each get today's reminder, in id order; steps of three people."""
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    monkeypatch.setenv('TICKETSHOW_PUBLIC_URL', 'https://shows.example')
    get_settings.cache_clear()
    monkeypatch.setattr(runner, 'STEP', 3)
    theatre = make_theatre(make_user(role='manager'))
    make_show(theatre, starts_at=NOW + dt.timedelta(days=2))
    return [make_user(username=f'person{i}') for i in range(PEOPLE)]


def rows() -> dict[int, tuple[str, int]]:
    with session_scope() as s:
        return {
            d.user_id: (d.status, d.attempts) for d in s.scalars(select(MailDelivery).order_by(MailDelivery.user_id))
        }


def test_a_server_dying_in_the_middle_of_a_step_leaves_the_rest_unclaimed_and_the_next_run_sends_exactly_them(
    crowd, smtp_server
):
    smtp_server.die_after = 4  # the fifth email, the second of the second step, meets a server going down

    broken = mailings.send_reminders(now=NOW)

    assert (broken.status, broken.sent, broken.failed) == ('failed', 4, 1)
    assert smtp_server.recipients == [p.email for p in crowd[:4]]
    # Sent ones are marked; the one in flight failed without costing a try; the step's last and the steps never
    # reached hold no claim at all.
    assert rows() == {**{p.id: ('sent', 1) for p in crowd[:4]}, crowd[4].id: ('failed', 0)}

    smtp_server.start()
    resumed = mailings.send_reminders(now=NOW + dt.timedelta(minutes=15))

    assert (resumed.status, resumed.sent, resumed.failed, resumed.skipped) == ('done', 4, 0, 4)
    assert Counter(smtp_server.recipients) == Counter(p.email for p in crowd)  # each exactly once, in all
    assert rows() == {p.id: ('sent', 1) for p in crowd}


def test_a_refusal_in_the_middle_of_a_step_costs_that_person_a_try_while_the_step_and_the_run_go_on(crowd, smtp_server):
    refused = crowd[4]
    smtp_server.refuse = {refused.email}

    first = mailings.send_reminders(now=NOW)

    assert (first.status, first.sent, first.failed) == ('done', PEOPLE - 1, 1)
    assert smtp_server.recipients == [p.email for p in crowd if p is not refused]
    assert rows()[refused.id] == ('failed', 1)
    smtp_server.refuse = set()

    second = mailings.send_reminders(now=NOW + dt.timedelta(hours=1))

    assert (second.sent, second.failed, second.skipped) == (1, 0, PEOPLE - 1)
    assert Counter(smtp_server.recipients) == Counter(p.email for p in crowd)
    assert rows()[refused.id] == ('sent', 2)


class BreaksOn(SmtpMailer):
    """A mailer with a bug that strikes while one message is being handed over: whether it went is unknown."""

    def __init__(self, settings: Settings, address: str) -> None:
        super().__init__(settings)
        self.address = address

    def send(self, message) -> None:
        if message.recipients == (self.address,):
            raise RuntimeError('a bug in the middle of a send')
        super().send(message)


def test_a_bug_in_the_middle_of_a_step_keeps_the_one_in_flight_claimed_and_hands_back_the_rest(crowd, smtp_server):
    unknown = crowd[4]

    broken = mailings.send_reminders(now=NOW, mailer=BreaksOn(get_settings(), unknown.email))

    assert broken.status == 'failed' and 'a bug in the middle of a send' in broken.error
    assert broken.sent == 4
    # The one in flight may have gone: claimed for good. Those after it in its step were never started: no claim.
    assert rows() == {**{p.id: ('sent', 1) for p in crowd[:4]}, unknown.id: ('claimed', 1)}

    resumed = mailings.send_reminders(now=NOW + dt.timedelta(minutes=15))

    assert (resumed.status, resumed.sent, resumed.skipped) == ('done', 3, 5)
    assert Counter(smtp_server.recipients) == Counter(p.email for p in crowd if p is not unknown)
    assert rows()[unknown.id] == ('claimed', 1)


def test_a_run_claims_and_settles_a_step_of_people_per_transaction_not_each_email(crowd, smtp_server):
    writes: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if 'mail_deliveries' in statement and statement.lstrip().split()[0].upper() in {'INSERT', 'UPDATE', 'DELETE'}:
            writes.append(statement)

    engine = db.engine()
    event.listen(engine, 'before_cursor_execute', count)
    try:
        result = mailings.send_reminders(now=NOW)
    finally:
        event.remove(engine, 'before_cursor_execute', count)

    assert result.sent == PEOPLE
    steps = -(-PEOPLE // runner.STEP)
    assert len(writes) == 2 * steps  # one claiming insert and one "sent" update per step of three


def test_the_unsubscribe_secret_is_read_once_per_run(crowd, smtp_server, monkeypatch):
    reads = []
    secret = Settings.mail_secret

    def counted(self: Settings) -> str:
        reads.append(1)
        return secret(self)

    monkeypatch.setattr(Settings, 'mail_secret', counted)

    result = mailings.send_reminders(now=NOW)

    assert result.sent == PEOPLE
    assert len(reads) == 1


def test_managers_charts_drawn_in_the_pool_reach_their_reports(database, smtp_server, monkeypatch):
    monkeypatch.setattr(mailings, 'POOL_FROM', 2)  # two managers on the page: their charts go to the pool
    get_settings.cache_clear()
    managers = [make_user(role='manager', name=f'Boss {i}') for i in range(2)]
    audience = make_user()
    for manager in managers:
        show = make_show(make_theatre(manager), starts_at=dt.datetime(2026, 10, 20, 12, tzinfo=dt.UTC))
        make_booking(audience, show, tickets=1, created_at=dt.datetime(2026, 10, 5, 12, tzinfo=dt.UTC))

    result = mailings.send_monthly_reports(month='2026-10', now=AFTER_OCTOBER)

    assert (result.status, result.sent) == ('done', 3)
    # The audience member's report went before the managers', whose charts were drawn meanwhile.
    assert smtp_server.recipients == [audience.email] + [m.email for m in managers]
    for received in smtp_server.received[1:]:
        [image] = [p for p in received.message.walk() if p.get_content_type() == 'image/png']
        assert image.get_content().startswith(b'\x89PNG\r\n\x1a\n')
        html = received.message.get_body(('html',)).get_content()
        assert f'cid:{image["Content-ID"].strip("<>")}' in html
        parsed = email.message_from_bytes(received.message.as_bytes(), policy=policy.default)
        assert not parsed.defects
