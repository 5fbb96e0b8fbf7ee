"""Sessions in the database: tokens, browser bindings, timeouts on a clock the test moves, revocation."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import select

from models import LoginSession, Role, User
from models.db import session_scope
from services import sessions
from tests.factories import make_user

START = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(any_db) -> Clock:
    clock = Clock()
    sessions.configure(idle_seconds=60, max_seconds=150, clock=clock)
    return clock


def api_token(user_id: int, **kwargs: str) -> str:
    with session_scope() as s:
        return sessions.open_api_session(s, s.get(User, user_id), **kwargs)


def by_token(token: str | None):
    with session_scope() as s:
        return sessions.for_token(s, token=token)


def by_browser(browser: str | None):
    with session_scope() as s:
        return sessions.for_browser(s, browser_id=browser)


def browser_login(user_id: int, browser: str, new_browser: str, **kwargs: str) -> bool:
    with session_scope() as s:
        ticket = sessions.start_browser_login(s, s.get(User, user_id), browser_id=browser, **kwargs)
    with session_scope() as s:
        return sessions.complete_browser_login(s, ticket=ticket, browser_id=browser, new_browser_id=new_browser)


def test_a_token_is_random_and_resolves_to_its_person(clock):
    user = make_user(username='asha')
    first, second = api_token(user.id), api_token(user.id)
    assert first != second and len(first) >= 40
    who = by_token(first)
    assert (who.user_id, who.username, who.role) == (user.id, 'asha', Role.USER)
    assert by_token('forged') is None and by_token(None) is None and by_token('x' * 10_000) is None


def test_the_database_holds_only_digests(clock):
    user = make_user()
    token = api_token(user.id, device='Firefox', client='127.0.0.1')
    with session_scope() as s:
        (row,) = s.scalars(select(LoginSession)).all()
    assert row.id == hashlib.sha256(token.encode()).hexdigest() and token not in repr(vars(row))


def test_idle_timeout_slides_with_use_and_expires(clock):
    sessions.configure(idle_seconds=60, max_seconds=1000, clock=clock)
    user = make_user()
    token = api_token(user.id)
    for _ in range(4):
        clock.advance(40)
        assert by_token(token) is not None  # used within the idle minute: still alive, "last seen" written back
        sessions._toucher.submit(lambda: None).result()  # the write-back runs on its own thread; let it land
    clock.advance(61)
    assert by_token(token) is None


def test_the_absolute_maximum_ends_even_a_busy_session(clock):
    user = make_user()
    token = api_token(user.id)
    for _ in range(3):
        clock.advance(49)
        assert by_token(token) is not None
        sessions._toucher.submit(lambda: None).result()
    clock.advance(4)  # 151 s after the login, used 4 s ago
    assert by_token(token) is None


def test_a_browser_login_binds_to_the_new_browser_id_only_once(clock):
    user = make_user()
    with session_scope() as s:
        ticket = sessions.start_browser_login(s, s.get(User, user.id), browser_id='planted')
    assert by_browser('planted') is None and by_token(ticket) is None  # a pending login is nobody's session
    with session_scope() as s:
        assert not sessions.complete_browser_login(s, ticket=ticket, browser_id='other', new_browser_id='b2')
    with session_scope() as s:
        assert sessions.complete_browser_login(s, ticket=ticket, browser_id='planted', new_browser_id='fresh')
    with session_scope() as s:
        assert not sessions.complete_browser_login(s, ticket=ticket, browser_id='fresh', new_browser_id='again')
    assert by_browser('fresh').user_id == user.id
    assert by_browser('planted') is None  # the id the browser had before the login has nothing
    assert by_token(ticket) is None  # a browser session's ticket is no bearer token


def test_a_login_ticket_goes_stale(clock):
    user = make_user()
    with session_scope() as s:
        ticket = sessions.start_browser_login(s, s.get(User, user.id), browser_id='b1')
    clock.advance(sessions.LOGIN_TICKET_SECONDS + 1)
    with session_scope() as s:
        assert not sessions.complete_browser_login(s, ticket=ticket, browser_id='b1', new_browser_id='b2')


def test_revoke_list_end_and_revoke_all_but_one(clock):
    user, other = make_user(), make_user()
    laptop = api_token(user.id, device='Firefox on Linux', client='10.0.0.1')
    phone = api_token(user.id, device='Safari on iPhone', client='10.0.0.2')
    tablet = api_token(user.id, device='Chrome on Android', client='10.0.0.3')
    theirs = api_token(other.id)
    assert browser_login(user.id, 'b-old', 'b-new', device='Edge on Windows')
    with session_scope() as s:
        sessions.revoke_token(s, token=laptop)
    assert by_token(laptop) is None and by_token(phone) is not None
    with session_scope() as s:
        mine = sessions.sessions_of(s, user_id=user.id)
    assert {i.device for i in mine} == {'Safari on iPhone', 'Chrome on Android', 'Edge on Windows'}
    phone_id, tablet_id = (sessions.digest(t) for t in (phone, tablet))
    with session_scope() as s:
        assert not sessions.end(s, user_id=other.id, session_id=phone_id)  # nobody ends another's session
    with session_scope() as s:
        assert sessions.end(s, user_id=user.id, session_id=tablet_id)
    assert by_token(tablet) is None
    with session_scope() as s:
        assert sessions.revoke_user(s, user_id=user.id, keep=phone_id) == 1  # the browser session
    assert by_token(phone) is not None and by_browser('b-new') is None and by_token(theirs) is not None
    with session_scope() as s:
        sessions.revoke_browser(s, browser_id='b-new')
        assert [i.id for i in sessions.sessions_of(s, user_id=user.id)] == [phone_id]


def test_a_disabled_account_has_no_session(clock):
    user = make_user()
    token = api_token(user.id)
    with session_scope() as s:
        s.get(User, user.id).is_active = False
    assert by_token(token) is None
