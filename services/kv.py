"""A small key-value store with TTLs: Redis when it answers, process memory when it does not.

Login throttling, the scheduler's lease and the cache sit on `KV`; none of them is a record that
must survive (sessions are in the database).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0
# The scheduler's lease: the instance that holds it runs the mail jobs and the outbox (scheduler/jobs.py), and
# /readyz names it (services/health.py).
LEADER_KEY = 'scheduler:leader'


@dataclass
class _Entry:
    value: Any
    expires: float | None


@dataclass
class MemoryStore:
    """Redis's semantics for the few commands used here, in one process."""

    clock: Callable[[], float] = time.monotonic
    _data: dict[str, _Entry] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _writes: int = 0

    def _live(self, key: str) -> _Entry | None:
        entry = self._data.get(key)
        if entry is not None and entry.expires is not None and entry.expires <= self.clock():
            del self._data[key]
            return None
        return entry

    def _expiry(self, ttl: float | None) -> float | None:
        return None if ttl is None else self.clock() + ttl

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._live(key)
            return entry.value if entry is not None and isinstance(entry.value, str) else None

    def mget(self, *keys: str) -> list[str | None]:
        with self._lock:
            entries = [self._live(key) for key in keys]
        return [e.value if e is not None and isinstance(e.value, str) else None for e in entries]

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        with self._lock:
            self._data[key] = _Entry(value, self._expiry(ttl))
            self._writes += 1
            if self._writes % 1000 == 0:  # expired entries nobody reads again must not pile up
                for stale in [k for k in self._data if self._live(k) is None]:
                    self._data.pop(stale, None)

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            entry = self._live(key)
            if entry is None:
                entry = self._data[key] = _Entry('0', self._expiry(ttl))
            entry.value = str(int(entry.value) + 1)
            return int(entry.value)

    def incr_many(self, keys: tuple[str, ...], ttl: float) -> None:
        for key in keys:
            self.incr(key, ttl)

    def decr(self, key: str) -> None:
        with self._lock:
            entry = self._live(key)
            if entry is not None:
                entry.value = str(int(entry.value) - 1)

    def ttl(self, key: str) -> float | None:
        with self._lock:
            entry = self._live(key)
            if entry is None or entry.expires is None:
                return None
            return max(0.0, entry.expires - self.clock())

    def claim(self, key: str, owner: str, ttl: float) -> bool:
        with self._lock:
            entry = self._live(key)
            if entry is not None and entry.value != owner:
                return False
            self._data[key] = _Entry(owner, self._expiry(ttl))
            return True

    def release(self, key: str, owner: str) -> None:
        with self._lock:
            entry = self._live(key)
            if entry is not None and entry.value == owner:
                del self._data[key]


_CLAIM = """
local holder = redis.call('get', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_DECR = """
if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._claim = client.register_script(_CLAIM)
        self._release = client.register_script(_RELEASE)
        self._decr = client.register_script(_DECR)

    def claim(self, key: str, owner: str, ttl: float) -> bool:
        """Take or renew a lease atomically: only while nobody else holds it."""
        return bool(self._claim(keys=[key], args=[owner, max(1, int(ttl * 1000))]))

    def release(self, key: str, owner: str) -> None:
        self._release(keys=[key], args=[owner])

    def get(self, key: str) -> str | None:
        value = self.client.get(key)
        return None if value is None else str(value)

    def mget(self, *keys: str) -> list[str | None]:
        return [None if value is None else str(value) for value in self.client.mget(keys)]

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self.client.set(key, value, px=None if ttl is None else max(1, int(ttl * 1000)))

    def delete(self, *keys: str) -> None:
        if keys:
            self.client.delete(*keys)

    def incr(self, key: str, ttl: float) -> int:
        with self.client.pipeline() as pipe:
            pipe.incr(key)
            pipe.pexpire(key, max(1, int(ttl * 1000)), nx=True)
            count, _ = pipe.execute()
        return int(count)

    def incr_many(self, keys: tuple[str, ...], ttl: float) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.incr(key)
                pipe.pexpire(key, max(1, int(ttl * 1000)), nx=True)
            pipe.execute()

    def decr(self, key: str) -> None:
        self._decr(keys=[key])

    def ttl(self, key: str) -> float | None:
        millis = int(self.client.pttl(key))
        return None if millis < 0 else millis / 1000


class KV:
    """Redis first; process memory when Redis fails, with a retry every few seconds.

    Nothing here must outlive a Redis restart: sessions and their revocations are in the database.
    What lives here is throttle counters, leases and the cache; when Redis answers again after an
    outage, the `on_recover` callbacks run (the cache drops everything from before and during it).
    """

    def __init__(self, url: str | None, *, prefix: str = 'ticketshow:', clock: Callable[[], float] = time.monotonic):
        self.prefix = prefix
        self.memory = MemoryStore(clock=clock)
        self._redis: RedisStore | None = None
        self._clock = clock
        self._up = False
        self._retry_at = 0.0
        self._lock = threading.Lock()
        self.on_recover: list[Callable[[], None]] = []
        if url:
            client = redis.Redis.from_url(
                url, decode_responses=True, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=0
            )
            self._redis = RedisStore(client)
            try:
                client.ping()
                self._up = True
                log.info('Redis at %s: throttling, leases and cache live there', _safe_url(url))
            except redis.RedisError as error:
                log.warning(
                    'Redis at %s is unreachable (%s): using an in-process store until it answers', _safe_url(url), error
                )
                self._retry_at = clock() + RETRY_SECONDS
        else:
            log.info('No Redis configured: throttling, leases and cache live in process memory')

    @property
    def using_redis(self) -> bool:
        return self._up

    def _maybe_recover(self) -> None:
        if self._up or self._redis is None or self._clock() < self._retry_at:
            return
        with self._lock:
            if self._up or self._clock() < self._retry_at:
                return
            try:
                self._redis.client.ping()
            except redis.RedisError:
                self._retry_at = self._clock() + RETRY_SECONDS
                return
            self._up = True
        log.warning('Redis answers again')
        for callback in self.on_recover:
            callback()

    def _went_down(self, error: Exception) -> None:
        with self._lock:
            if self._up:
                log.warning('Redis stopped answering (%s): using the in-process store until it returns', error)
            self._up = False
            self._retry_at = self._clock() + RETRY_SECONDS

    def _do(self, op: str, key: str, *args: Any) -> Any:
        full = self.prefix + key
        self._maybe_recover()
        if self._up and self._redis is not None:
            try:
                return getattr(self._redis, op)(full, *args)
            except redis.RedisError as error:
                self._went_down(error)
        return getattr(self.memory, op)(full, *args)

    def get(self, key: str) -> str | None:
        return self._do('get', key)

    def mget(self, *keys: str) -> list[str | None]:
        """Several values in one round trip, in the order asked (None where a key is absent)."""
        if not keys:
            return []
        self._maybe_recover()
        full = [self.prefix + key for key in keys]
        if self._up and self._redis is not None:
            try:
                return self._redis.mget(*full)
            except redis.RedisError as error:
                self._went_down(error)
        return self.memory.mget(*full)

    def ttl(self, key: str) -> float | None:
        return self._do('ttl', key)

    def set(self, key: str, value: str, ttl: float | None = None) -> None:
        self._do('set', key, value, ttl)

    def incr(self, key: str, ttl: float) -> int:
        """Add one and return the new count, atomically; a new counter expires after `ttl` seconds."""
        return int(self._do('incr', key, ttl))

    def incr_many(self, *keys: str, ttl: float) -> None:
        """Add one to each counter, in one round trip (each one atomically; not all of them as one)."""
        if not keys:
            return
        self._maybe_recover()
        full = tuple(self.prefix + key for key in keys)
        if self._up and self._redis is not None:
            try:
                self._redis.incr_many(full, ttl)
                return
            except redis.RedisError as error:
                self._went_down(error)
        self.memory.incr_many(full, ttl)

    def decr(self, key: str) -> None:
        """Take one back from a counter that exists (one that has expired stays gone)."""
        self._do('decr', key)

    def delete(self, *keys: str) -> None:
        for key in keys:
            self._do('delete', key)

    def claim(self, key: str, owner: str, ttl: float) -> bool:
        """A lease on `key` for `owner` (taken or renewed), if nobody else holds it. Without Redis it is
        this process's alone: every instance then thinks it leads, and what it guards must be idempotent."""
        return bool(self._do('claim', key, owner, ttl))

    def release(self, key: str, owner: str) -> None:
        self._do('release', key, owner)


def _safe_url(url: str) -> str:
    """host:port/db, without any password the URL may carry."""
    parts = urlsplit(url)
    return f'{parts.hostname}:{parts.port or 6379}{parts.path}'
