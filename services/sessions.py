"""Login sessions: a random token per login, with a sliding idle timeout and an absolute maximum.

The browser keeps only the token; this store is the authority, so revoking a token ends the
session at the next click. This store lives in process memory; the Redis issue (#3) moves it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from models import User


@dataclass(frozen=True)
class Principal:
    """Who is logged in: plain values only, safe to keep outside a database session."""

    user_id: int
    username: str
    name: str
    role: str

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(user_id=user.id, username=user.username, name=user.name, role=user.role)


@dataclass(frozen=True)
class _Record:
    principal: Principal
    created: float
    last_seen: float


class MemorySessionStore:
    def __init__(self, *, idle_seconds: float, max_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self._clock = clock
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def create(self, principal: Principal) -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._drop_expired(now)
            self._records[token] = _Record(principal, created=now, last_seen=now)
        return token

    def get(self, token: str | None) -> Principal | None:
        """The session's principal, refreshing its idle timer; None once expired or revoked."""
        if not token:
            return None
        now = self._clock()
        with self._lock:
            record = self._records.get(token)
            if record is None:
                return None
            if self._expired(record, now):
                del self._records[token]
                return None
            self._records[token] = replace(record, last_seen=now)
            return record.principal

    def revoke(self, token: str | None) -> None:
        with self._lock:
            self._records.pop(token or '', None)

    def revoke_user(self, user_id: int) -> int:
        with self._lock:
            tokens = [t for t, r in self._records.items() if r.principal.user_id == user_id]
            for token in tokens:
                del self._records[token]
        return len(tokens)

    def _expired(self, record: _Record, now: float) -> bool:
        return now - record.last_seen > self.idle_seconds or now - record.created > self.max_seconds

    def _drop_expired(self, now: float) -> None:
        for token in [t for t, r in self._records.items() if self._expired(r, now)]:
            del self._records[token]


_store: MemorySessionStore | None = None


def configure(*, idle_seconds: float, max_seconds: float) -> MemorySessionStore:
    global _store
    _store = MemorySessionStore(idle_seconds=idle_seconds, max_seconds=max_seconds)
    return _store


def store() -> MemorySessionStore:
    if _store is None:
        raise RuntimeError('session store not configured: call services.sessions.configure() first')
    return _store
