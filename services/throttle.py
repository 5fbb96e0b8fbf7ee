"""Login throttling: too many failures for one username or one client address are refused for a while."""

from __future__ import annotations

import hashlib
import math

from services.errors import TooManyAttempts
from services.kv import KV


class LoginThrottle:
    def __init__(self, kv: KV, *, max_failures: int = 5, window_seconds: float = 900) -> None:
        self.kv = kv
        self.max_failures = max_failures
        self.window_seconds = window_seconds

    def _keys(self, username: str, client: str) -> tuple[str, str]:
        user = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        return f'throttle:user:{user}', f'throttle:ip:{client}'

    def check(self, *, username: str, client: str) -> None:
        """Raise TooManyAttempts while either counter is at its limit."""
        for key in self._keys(username, client):
            count = self.kv.get(key)
            if count is not None and int(count) >= self.max_failures:
                wait = max(1, math.ceil(self.kv.ttl(key) or self.window_seconds))
                minutes = math.ceil(wait / 60)
                raise TooManyAttempts(
                    f'Too many failed logins. Try again in {minutes} minute{"s" if minutes != 1 else ""}.',
                    retry_after=wait,
                )

    def failed(self, *, username: str, client: str) -> None:
        for key in self._keys(username, client):
            self.kv.incr(key, ttl=self.window_seconds)

    def succeeded(self, *, username: str) -> None:
        self.kv.delete(self._keys(username, '')[0])


_throttle: LoginThrottle | None = None


def configure(kv: KV, *, max_failures: int, window_seconds: float) -> LoginThrottle:
    global _throttle
    _throttle = LoginThrottle(kv, max_failures=max_failures, window_seconds=window_seconds)
    return _throttle


def throttle() -> LoginThrottle:
    if _throttle is None:
        raise RuntimeError('login throttle not configured: call services.throttle.configure() first')
    return _throttle
