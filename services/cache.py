"""Read-through caching with versioned namespaces, invalidated after the writing transaction commits.

A cached value depends on namespaces (`listing`, `sales`, `show:7`, `theatre:3`, ...), each with a version
counter. The entry is stored under its key alone, stamped with the versions it was computed under; a read fetches
the entry and the current versions in one MGET (one Redis round trip) and trusts it only while they match. A write
bumps its namespaces once its transaction has committed, so the next read misses and recomputes; old entries are
overwritten or age out by their TTL. Per-user values must put the user in the key (`key=f'dashboard:{user_id}'`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from services import metrics
from services.hooks import on_commit
from services.kv import KV

log = logging.getLogger(__name__)
T = TypeVar('T')
ALL = 'all'  # bumped when Redis returns after an outage: nothing cached before it is trusted
LISTING = 'listing'  # what the public listing shows: bumped by changes to shows and theatres, not by bookings
SALES = 'sales'  # what is read from sales (managers' dashboards and figures): bumped by bookings and cancellations


class Cache:
    def __init__(self, kv: KV, *, ttl: float = 60) -> None:
        self.kv = kv
        self.ttl = ttl
        self.hits = 0
        self.misses = 0
        kv.on_recover.append(lambda: self.bump(ALL))

    @staticmethod
    def key_for(key: str) -> str:
        """Where the entry for `key` is stored (whatever versions it was computed under)."""
        return f'cache:{hashlib.sha256(key.encode()).hexdigest()[:32]}'

    def _read(self, key: str, namespaces: Iterable[str]) -> tuple[str, str | None]:
        """The current versions stamp, and the entry's value if it was computed under exactly those: one MGET."""
        names = (ALL, *namespaces)
        *versions, entry = self.kv.mget(*(f'ver:{ns}' for ns in names), self.key_for(key))
        stamp = '.'.join(version or '0' for version in versions)
        if entry is None:
            return stamp, None
        entry_stamp, _, value = entry.partition('\n')
        return stamp, value if entry_stamp == stamp else None

    def get_or_compute(
        self,
        key: str,
        namespaces: Iterable[str],
        compute: Callable[[], T],
        adapter: TypeAdapter[T],
        *,
        ttl: float | None = None,
    ) -> T:
        stamp, cached = self._read(key, namespaces)
        if cached is not None:
            try:
                value = adapter.validate_json(cached)
            except ValueError:
                log.warning('unreadable cache entry %s: recomputing', self.key_for(key))
            else:
                self.hits += 1
                metrics.CACHE_HITS.inc()
                return value
        self.misses += 1
        metrics.CACHE_MISSES.inc()
        value = compute()
        # Stamped with the versions read before computing: a write that commits meanwhile bumps past them.
        entry = f'{stamp}\n{adapter.dump_json(value).decode()}'
        self.kv.set(self.key_for(key), entry, self.ttl if ttl is None else ttl)
        return value

    def bump(self, *namespaces: str) -> None:
        self.kv.incr_many(*(f'ver:{ns}' for ns in namespaces), ttl=30 * 24 * 3600)


_cache: Cache | None = None


def configure(kv: KV | None, *, ttl: float = 60) -> Cache | None:
    """Cache through `kv`; None turns caching off."""
    global _cache
    _cache = None if kv is None else Cache(kv, ttl=ttl)
    return _cache


def cache() -> Cache | None:
    return _cache


def cached(
    key: str, namespaces: Iterable[str], compute: Callable[[], T], adapter: TypeAdapter[T], *, ttl: float | None = None
) -> T:
    """`compute()` through the configured cache, or straight when none is configured."""
    return compute() if _cache is None else _cache.get_or_compute(key, namespaces, compute, adapter, ttl=ttl)


def invalidate_after_commit(session: Session, *namespaces: str) -> None:
    """Bump these namespaces once `session` commits; nothing happens if it rolls back."""
    if _cache is not None:
        on_commit(session, functools.partial(_cache.bump, *namespaces))
