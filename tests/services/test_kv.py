"""The key-value store under throttling, leases and the cache: Redis, the memory fallback, and outages."""

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


def test_set_get_delete_incr_and_decr(kv):
    kv.set('a', 'one')
    assert kv.get('a') == 'one'
    kv.delete('a')
    assert kv.get('a') is None
    assert [kv.incr('n', ttl=60) for _ in range(3)] == [1, 2, 3]
    kv.decr('n')
    assert kv.incr('n', ttl=60) == 3
    kv.decr('gone')  # a counter that has expired stays gone
    assert kv.get('gone') is None


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


def test_the_cache_goes_cold_in_an_outage_and_everything_from_before_is_dropped_after(own_redis):
    clock = Clock()
    kv = KV(own_redis.url, clock=clock)
    recovered = []
    kv.on_recover.append(lambda: recovered.append(True))
    kv.set('cache:x', 'cached', ttl=600)
    own_redis.stop()
    assert kv.get('cache:x') is None and not kv.using_redis  # the cache is simply cold
    assert kv.incr('throttle:n', ttl=60) == 1  # counters go on in process memory
    own_redis.start()  # a new, empty server on the same port
    clock.now += RETRY_SECONDS + 0.1
    assert kv.get('cache:x') is None
    assert kv.using_redis and recovered == [True]


def test_mget_reads_several_keys_in_order(kv):
    kv.set('a', 'one')
    kv.set('c', 'three')
    assert kv.mget('a', 'b', 'c') == ['one', None, 'three']
    assert kv.mget() == []


def test_incr_many_counts_each_key_once_and_keeps_its_expiry(kv):
    kv.incr('x', ttl=60)
    kv.incr_many('x', 'y', ttl=600)
    assert kv.mget('x', 'y') == ['2', '1']
    assert 0 < kv.ttl('x') <= 60 < kv.ttl('y') <= 600


def test_mget_and_incr_many_fall_back_to_memory_in_an_outage(own_redis):
    clock = Clock()
    kv = KV(own_redis.url, clock=clock)
    kv.set('a', 'from redis')
    own_redis.stop()
    assert kv.mget('a', 'n') == [None, None] and not kv.using_redis
    kv.incr_many('n', 'm', ttl=60)
    kv.set('a', 'in memory')
    assert kv.mget('a', 'n', 'm') == ['in memory', '1', '1']
