import time

import pytest

from services.kv import KV
from services.sessions import Principal, SessionStore, session_id

WHO = Principal(user_id=1, username='asha', name='Asha', role='user')


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=['memory', 'redis'])
def kv(request):
    return KV(None) if request.param == 'memory' else KV(request.getfixturevalue('redis_url'))


def test_token_is_random_and_resolves_to_its_principal(kv):
    store = SessionStore(kv, idle_seconds=60, max_seconds=600)
    first, second = store.create(WHO), store.create(WHO)
    assert first != second and len(first) >= 40
    assert store.get(first) == WHO
    assert store.get('forged') is None and store.get(None) is None and store.get('x' * 10_000) is None


def test_the_store_holds_only_a_hash_of_the_token(redis_url):
    import redis

    kv = KV(redis_url)
    token = SessionStore(kv, idle_seconds=60, max_seconds=600).create(WHO, device='Firefox', client='127.0.0.1')
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    keys = client.keys('*')
    assert f'ticketshow:sess:{session_id(token)}' in keys
    assert not any(token in key or token in (client.get(key) or '') for key in keys if client.type(key) == 'string')
    client.close()


def test_idle_timeout_slides_with_use_and_expires_for_real(kv):
    store = SessionStore(kv, idle_seconds=0.6, max_seconds=60)
    token = store.create(WHO)
    for _ in range(3):
        time.sleep(0.3)
        assert store.get(token) == WHO  # used within the idle timeout: still alive
    time.sleep(0.8)
    assert store.get(token) is None


def test_absolute_maximum_ends_even_a_busy_session(kv):
    clock = Clock()
    store = SessionStore(kv, idle_seconds=60, max_seconds=150, clock=clock)
    token = store.create(WHO)
    for _ in range(3):
        clock.now += 49
        assert store.get(token) == WHO
    clock.now += 4
    assert store.get(token) is None


def test_revoke_one_list_end_and_revoke_all_but_one(kv):
    store = SessionStore(kv, idle_seconds=60, max_seconds=600)
    laptop = store.create(WHO, device='Firefox on Linux', client='10.0.0.1')
    phone = store.create(WHO, device='Safari on iPhone', client='10.0.0.2')
    tablet = store.create(WHO, device='Chrome on Android', client='10.0.0.3')
    other = store.create(Principal(user_id=2, username='b', name='B', role='user'))
    store.revoke(laptop)
    assert store.get(laptop) is None and store.get(phone) == WHO
    assert {s.device for s in store.sessions_of(1)} == {'Safari on iPhone', 'Chrome on Android'}
    assert not store.end(2, session_id(phone))  # nobody ends another person's session
    assert store.end(1, session_id(tablet)) and store.get(tablet) is None
    store.create(WHO)
    assert store.revoke_user(1, keep=phone) == 1
    assert store.get(phone) == WHO and store.get(other) is not None
    assert [s.id for s in store.sessions_of(1)] == [session_id(phone)]
