"""Login and signup throttling: per (account, address) and per address, counted atomically."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from models import Role
from models.db import session_scope
from services import auth, sessions, throttle
from services.errors import Invalid, TooManyAttempts, Unauthenticated
from services.kv import KV
from tests.factories import PASSWORD, make_user


@pytest.fixture(params=['memory', 'redis'])
def kv(request, database):
    kv = KV(None) if request.param == 'memory' else KV(request.getfixturevalue('redis_url'))
    sessions.configure(idle_seconds=600, max_seconds=3600)
    throttle.configure(kv, max_failures=3, address_max_failures=6, window_seconds=60, signups_per_hour=2)
    return kv


def attempt(username: str, password: str, client: str = '10.1.1.1'):
    with session_scope() as s:
        return auth.log_in(s, username=username, password=password, client=client, device='test')


def test_login_opens_a_session(kv):
    user = make_user(username='asha')
    logged_in, token = attempt('asha', PASSWORD)
    with session_scope() as s:
        assert logged_in.id == user.id and sessions.for_token(s, token=token).user_id == user.id


def test_after_n_failures_this_address_is_refused_even_the_right_password_with_retry_after(kv):
    make_user(username='asha')
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            attempt('asha', 'wrong-password')
    with pytest.raises(TooManyAttempts) as error:
        attempt('asha', PASSWORD)
    assert 50 <= error.value.retry_after <= 60
    assert error.value.message == 'Too many failed logins. Try again in 1 minute.'


def test_an_attackers_failures_never_keep_the_owner_out_from_another_address(kv):
    make_user(username='root', role=Role.ADMIN)
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            attempt('root', 'guess', client='203.0.113.9')
    for _ in range(5):
        with pytest.raises(TooManyAttempts):
            attempt('root', 'guess', client='203.0.113.9')
    assert attempt('root', PASSWORD, client='198.51.100.7')[0].username == 'root'


def test_an_address_guessing_many_accounts_is_refused_for_all_of_them(kv):
    make_user(username='ravi')
    for name in ('x1', 'x2', 'x3', 'x4', 'x5', 'x6'):  # two guesses each at six accounts from one address
        with pytest.raises(Unauthenticated):
            attempt(name, 'wrong-password', client='10.9.9.9')
    with pytest.raises(TooManyAttempts) as error:
        attempt('ravi', PASSWORD, client='10.9.9.9')
    assert 'from your network' in error.value.message
    assert attempt('ravi', PASSWORD, client='10.2.2.2')[0].username == 'ravi'  # another address is fine


def test_a_success_forgets_that_addresss_failures(kv):
    make_user(username='asha')
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            attempt('asha', 'wrong-password')
    attempt('asha', PASSWORD)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            attempt('asha', 'wrong-password')
    assert attempt('asha', PASSWORD)[0].username == 'asha'


@pytest.mark.parametrize('guesses', [40])
def test_a_parallel_burst_of_wrong_guesses_gets_exactly_the_limit_of_checks(kv, guesses):
    make_user(username='asha')

    def guess(_: int) -> str:
        try:
            attempt('asha', 'wrong-password')
        except Unauthenticated:
            return '401'
        except TooManyAttempts:
            return '429'
        return '200'

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(guess, range(guesses)))
    assert answers.count('401') == 3 and answers.count('429') == guesses - 3


def test_an_admin_lifts_the_limit_of_an_account(kv):
    make_user(username='asha')
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            attempt('asha', 'wrong-password')
    with pytest.raises(TooManyAttempts):
        attempt('asha', PASSWORD)
    throttle.throttle().lift(username='asha')
    assert attempt('asha', PASSWORD)[0].username == 'asha'


def test_signups_are_limited_per_address_and_bad_input_does_not_count(kv):
    def sign_up(name: str, client: str, password: str = PASSWORD):
        with session_scope() as s:
            return auth.signup(
                s, username=name, name='N', email=f'{name}@example.com', password=password, client=client
            )

    for _ in range(3):
        with pytest.raises(Exception, match='8–128'):
            sign_up('shorty', '10.5.5.5', password='short')
    sign_up('first', '10.5.5.5')
    sign_up('second', '10.5.5.5')
    with pytest.raises(TooManyAttempts) as error:
        sign_up('third', '10.5.5.5')
    assert error.value.message == 'Too many new accounts from your network. Try again in 60 minutes.'
    assert sign_up('fourth', '10.6.6.6').username == 'fourth'


def test_the_window_passes(database, redis_url):
    kv = KV(redis_url)
    throttle.configure(kv, max_failures=2, window_seconds=0.5)
    make_user(username='asha')
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            attempt('asha', 'wrong-password')
    with pytest.raises(TooManyAttempts):
        attempt('asha', PASSWORD)
    time.sleep(0.7)  # Redis's own expiry: a real TTL, no clock of ours to move
    assert attempt('asha', PASSWORD)[0].username == 'asha'


def test_a_stolen_session_gets_five_tries_at_the_current_password(kv):
    user = make_user(username='asha')

    def change(current: str) -> None:
        with session_scope() as s:
            auth.change_password(
                s,
                user_id=user.id,
                current_password=current,
                new_password='new-pass-1',
                new_password_confirm='new-pass-1',
            )

    for n in range(5):
        with pytest.raises(Invalid):
            change(f'guess-{n}')
    with pytest.raises(TooManyAttempts) as error:
        change(PASSWORD)  # even the right one: a guess past the limit learns nothing
    assert error.value.message == 'Too many password changes. Try again in 15 minutes.'
