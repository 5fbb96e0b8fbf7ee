import time

import pytest

from models.db import session_scope
from services import auth, sessions, throttle
from services.errors import TooManyAttempts, Unauthenticated
from services.kv import KV
from tests.factories import PASSWORD, make_user


@pytest.fixture(params=['memory', 'redis'])
def kv(request, database):
    kv = KV(None) if request.param == 'memory' else KV(request.getfixturevalue('redis_url'))
    sessions.configure(idle_seconds=600, max_seconds=3600, kv=kv)
    throttle.configure(kv, max_failures=3, window_seconds=60)
    return kv


def attempt(username: str, password: str, client: str = '10.1.1.1'):
    with session_scope() as s:
        return auth.log_in(s, username=username, password=password, client=client, device='test')


def test_login_opens_a_session(kv):
    user = make_user(username='asha')
    logged_in, token = attempt('asha', PASSWORD)
    assert logged_in.id == user.id and sessions.store().get(token).user_id == user.id


def test_after_n_failures_even_the_right_password_is_refused_with_retry_after(kv):
    make_user(username='asha')
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            attempt('asha', 'wrong-password')
    with pytest.raises(TooManyAttempts) as error:
        attempt('asha', PASSWORD)
    assert 50 <= error.value.retry_after <= 60
    assert error.value.message == 'Too many failed logins. Try again in 1 minute.'


def test_counters_are_per_username_and_per_client(kv):
    make_user(username='asha')
    make_user(username='ravi')
    for name in ('x1', 'x2', 'x3'):  # three different usernames from one address
        with pytest.raises(Unauthenticated):
            attempt(name, 'wrong-password', client='10.9.9.9')
    with pytest.raises(TooManyAttempts):
        attempt('ravi', PASSWORD, client='10.9.9.9')
    assert attempt('ravi', PASSWORD, client='10.2.2.2')[0].username == 'ravi'  # another address is fine


def test_a_success_resets_the_username_counter(kv):
    make_user(username='asha')
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            attempt('asha', 'wrong-password', client='10.0.0.1')
    attempt('asha', PASSWORD, client='10.0.0.2')
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            attempt('asha', 'wrong-password', client='10.0.0.3')
    assert attempt('asha', PASSWORD, client='10.0.0.4')[0].username == 'asha'


def test_the_window_passes(database, redis_url):
    kv = KV(redis_url)
    sessions.configure(idle_seconds=600, max_seconds=3600, kv=kv)
    throttle.configure(kv, max_failures=2, window_seconds=0.5)
    make_user(username='asha')
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            attempt('asha', 'wrong-password')
    with pytest.raises(TooManyAttempts):
        attempt('asha', PASSWORD)
    time.sleep(0.7)
    assert attempt('asha', PASSWORD)[0].username == 'asha'
