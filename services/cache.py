"""Read-through caching with versioned namespaces, invalidated after the writing transaction commits.

A cached value's key carries the current version of every namespace it depends on
(`listing`, `show:7`, `theatre:3`, ...). A write bumps those versions once its transaction has
committed, so the next read misses and recomputes; old entries simply age out by their TTL.
Per-user values must put the user in the key (`key=f'dashboard:{user_id}'`).
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from services.hooks import on_commit
from services.kv import KV

log = logging.getLogger(__name__)
T = TypeVar('T')
ALL = 'all'  # bumped when Redis returns after an outage: nothing cached before it is trusted


class Cache:
    def __init__(self, kv: KV, *, ttl: float = 60) -> None:
        self.kv = kv
        self.ttl = ttl
        self.hits = 0
        self.misses = 0
        kv.on_recover.append(lambda: self.bump(ALL))

    def _versions(self, namespaces: Iterable[str]) -> str:
        return '.'.join(self.kv.get(f'ver:{ns}') or '0' for ns in (ALL, *namespaces))

    def key_for(self, key: str, namespaces: Iterable[str]) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f'cache:{digest}:{self._versions(namespaces)}'

    def get_or_compute(
        self,
        key: str,
        namespaces: Iterable[str],
        compute: Callable[[], T],
        adapter: TypeAdapter[T],
        *,
        ttl: float | None = None,
    ) -> T:
        full_key = self.key_for(key, namespaces)
        cached = self.kv.get(full_key)
        if cached is not None:
            try:
                value = adapter.validate_json(cached)
            except ValueError:
                log.warning('unreadable cache entry %s: recomputing', full_key)
            else:
                self.hits += 1
                return value
        self.misses += 1
        value = compute()
        self.kv.set(full_key, adapter.dump_json(value).decode(), self.ttl if ttl is None else ttl)
        return value

    def bump(self, *namespaces: str) -> None:
        for ns in namespaces:
            self.kv.incr(f'ver:{ns}', ttl=30 * 24 * 3600)


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
