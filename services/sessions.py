"""Login sessions: a random token per login, with a sliding idle timeout and an absolute maximum.

The browser (or API client) keeps only the token; the record lives in the key-value store
(Redis, or process memory as the fallback) under a hash of the token, so a dump of the store
holds no usable token. Revoking a record ends the session at the next click or request.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from models import User
from services.kv import KV

# How often a busy session's "last seen" is written back: often enough for the idle timeout, not on every click.
TOUCH_FRACTION = 0.1
TOUCH_MAX_SECONDS = 60


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
class SessionInfo:
    """One active session as its owner sees it on the account page."""

    id: str
    device: str
    client: str
    created: float
    last_seen: float


_BROWSERS = (('Edg/', 'Edge'), ('OPR/', 'Opera'), ('Firefox/', 'Firefox'), ('Chrome/', 'Chrome'), ('Safari/', 'Safari'))
_SYSTEMS = (
    ('Android', 'Android'),
    ('iPhone', 'iPhone'),
    ('iPad', 'iPad'),
    ('Windows', 'Windows'),
    ('Mac OS X', 'macOS'),
    ('Linux', 'Linux'),
)


def describe_device(user_agent: str | None) -> str:
    """'Firefox on Linux' from a User-Agent header; the raw start of it for anything else (API clients)."""
    agent = user_agent or ''
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return f'{browser} on {system}'
    return agent[:60] or 'Unknown device'


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


class SessionStore:
    def __init__(
        self, kv: KV, *, idle_seconds: float, max_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.kv = kv
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self._clock = clock

    def _ttl(self, created: float, now: float) -> float:
        return min(self.idle_seconds, self.max_seconds - (now - created))

    def _save(self, sid: str, record: dict[str, Any], now: float) -> None:
        created = float(record['created'])
        self.kv.set(f'sess:{sid}', json.dumps(record), ttl=self._ttl(created, now))
        self.kv.sadd(f'usess:{record["user_id"]}', sid, ttl=self.max_seconds)

    def create(self, principal: Principal, *, device: str = '', client: str = '') -> str:
        token = secrets.token_urlsafe(32)
        now = self._clock()
        record = {**asdict(principal), 'created': now, 'last_seen': now, 'device': device[:200], 'client': client[:64]}
        self._save(session_id(token), record, now)
        return token

    def _load(self, sid: str, now: float) -> dict[str, Any] | None:
        raw = self.kv.get(f'sess:{sid}')
        if raw is None:
            return None
        record: dict[str, Any] = json.loads(raw)
        created, last_seen = float(record['created']), float(record['last_seen'])
        if now - created >= self.max_seconds or now - last_seen >= self.idle_seconds:
            self.kv.delete(f'sess:{sid}')
            return None
        return record

    def get(self, token: str | None) -> Principal | None:
        """The session's principal, refreshing its idle timer; None once expired or revoked."""
        if not token or len(token) > 100:
            return None
        sid, now = session_id(token), self._clock()
        record = self._load(sid, now)
        if record is None:
            return None
        if now - float(record['last_seen']) >= min(TOUCH_MAX_SECONDS, self.idle_seconds * TOUCH_FRACTION):
            record['last_seen'] = now
            self._save(sid, record, now)
        return Principal(
            user_id=int(record['user_id']),
            username=str(record['username']),
            name=str(record['name']),
            role=str(record['role']),
        )

    def revoke(self, token: str | None) -> None:
        if token:
            self.kv.delete(f'sess:{session_id(token)}')

    def sessions_of(self, user_id: int) -> list[SessionInfo]:
        """The user's live sessions, most recently used first."""
        now, live = self._clock(), []
        for sid in self.kv.smembers(f'usess:{user_id}'):
            record = self._load(sid, now)
            if record is None or record['user_id'] != user_id:
                self.kv.srem(f'usess:{user_id}', sid)
                continue
            live.append(
                SessionInfo(
                    id=sid,
                    device=str(record.get('device', '')),
                    client=str(record.get('client', '')),
                    created=float(record['created']),
                    last_seen=float(record['last_seen']),
                )
            )
        return sorted(live, key=lambda s: s.last_seen, reverse=True)

    def end(self, user_id: int, sid: str) -> bool:
        """End one of the user's own sessions by its id; False if it is not theirs or already gone."""
        if sid not in self.kv.smembers(f'usess:{user_id}'):
            return False
        self.kv.delete(f'sess:{sid}')
        self.kv.srem(f'usess:{user_id}', sid)
        return True

    def revoke_user(self, user_id: int, *, keep: str | None = None) -> int:
        """End every session of a user (but the one whose token is `keep`); returns how many ended."""
        kept = session_id(keep) if keep else None
        ended = 0
        for sid in self.kv.smembers(f'usess:{user_id}'):
            if sid != kept:
                self.kv.delete(f'sess:{sid}')
                self.kv.srem(f'usess:{user_id}', sid)
                ended += 1
        return ended


_store: SessionStore | None = None


def configure(*, idle_seconds: float, max_seconds: float, kv: KV | None = None) -> SessionStore:
    global _store
    _store = SessionStore(kv or KV(None), idle_seconds=idle_seconds, max_seconds=max_seconds)
    return _store


def store() -> SessionStore:
    if _store is None:
        raise RuntimeError('session store not configured: call services.sessions.configure() first')
    return _store
