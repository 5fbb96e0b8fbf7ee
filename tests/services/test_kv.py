"""The key-value store under sessions, throttling and cache: Redis, the memory fallback, and outages."""

import time

import pytest

from services.kv import KV, RETRY_SECONDS, MemoryStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=['memory', 'redis'])
def kv(request):
    if request.param == 'memory':
        return KV(None)
    return KV(request.getfixturevalue('redis_url'))


def test_set_get_delete_incr_and_sets(kv):
    kv.set('a', 'one')
    assert kv.get('a') == 'one'
    kv.delete('a')
    assert kv.get('a') is None
    assert [kv.incr('n', ttl=60) for _ in range(3)] == [1, 2, 3]
    kv.sadd('s', 'x', ttl=60)
    kv.sadd('s', 'y', ttl=60)
    kv.srem('s', 'x')
    assert kv.smembers('s') == {'y'}


def test_ttl_expires_keys(kv):
    kv.set('short', 'v', ttl=0.2)
    kv.incr('counter', ttl=0.2)
    assert 0 < kv.ttl('short') <= 0.2
    time.sleep(0.35)
    assert kv.get('short') is None and kv.get('counter') is None and kv.ttl('short') is None


def test_incr_keeps_the_first_expiry():
    clock = Clock()
    store = MemoryStore(clock=clock)
    store.incr('n', ttl=10)
    clock.now += 6
    store.incr('n', ttl=10)
    clock.now += 5
    assert store.get('n') is None


def test_unreachable_redis_at_start_falls_back_and_says_so_once(caplog):
    kv = KV('redis://127.0.0.1:1/0')
    kv.set('k', 'v', ttl=60)
    assert kv.get('k') == 'v' and not kv.using_redis
    assert sum('unreachable' in r.message for r in caplog.records) == 1


def test_redis_restarted_empty_gets_our_sessions_back(own_redis):
    clock = Clock()
    kv = KV(own_redis.url, clock=clock)
    recovered = []
    kv.on_recover.append(lambda: recovered.append(True))
    kv.set('sess:before', 'alive', ttl=600)
    kv.set('sess:kept', 'still here', ttl=600)
    kv.sadd('usess:1', 'kept', ttl=600)
    kv.set('cache:x', 'cached', ttl=600)
    own_redis.stop()
    assert kv.get('sess:before') == 'alive'  # the memory mirror answers during the outage
    assert kv.get('cache:x') is None  # the cache is simply cold
    kv.delete('sess:before')  # a logout during the outage
    kv.set('sess:during', 'new', ttl=600)
    assert not kv.using_redis
    own_redis.start()  # a new, empty server on the same port
    clock.now += RETRY_SECONDS + 0.1
    assert kv.get('sess:during') == 'new'
    assert kv.using_redis and recovered == [True]
    assert kv.get('sess:before') is None
    assert kv.get('sess:kept') == 'still here' and kv.smembers('usess:1') == {'kept'}
    assert 590 < kv.ttl('sess:kept') <= 600
    assert kv.get('cache:x') is None  # cache entries are not carried over


def test_a_logout_during_an_outage_stays_a_logout_when_redis_returns(own_redis):
    import redis

    clock = Clock()
    kv = KV(own_redis.url, clock=clock)
    kv.set('sess:token', 'alive', ttl=600)
    admin = redis.Redis.from_url(own_redis.url)
    admin.client_pause(1500)  # Redis keeps its data but stops answering: our 0.5 s timeout trips
    kv.delete('sess:token')
    assert not kv.using_redis and kv.get('sess:token') is None
    time.sleep(1.6)
    clock.now += RETRY_SECONDS + 0.1
    assert kv.get('sess:token') is None and kv.using_redis
    assert admin.get('ticketshow:sess:token') is None
    admin.close()
