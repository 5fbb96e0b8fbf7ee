"""Throttling of logins, signups and other costly requests, counted atomically so no burst gets past a limit.

Logins are limited per (account, address) and per address, never per account alone: someone guessing a
person's password from one place cannot keep that person, logging in from another, out. Every attempt
takes its place in the counters *before* the password is checked (an atomic increment), so 40 guesses
fired at once get exactly as many checks as the limit allows; a success gives its place back.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from services import metrics
from services.errors import TooManyAttempts
from services.kv import KV
from services.words import plural


def _minutes(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return plural(minutes, 'minute')


def _account(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]


@dataclass(frozen=True)
class LoginAttempt:
    """The counters one login attempt holds a place in, to settle once the password is checked."""

    pair: str
    address: str


class LoginThrottle:
    def __init__(
        self,
        kv: KV,
        *,
        max_failures: int = 5,
        address_max_failures: int = 20,
        window_seconds: float = 900,
        signups_per_hour: int = 10,
    ) -> None:
        self.kv = kv
        self.max_failures = max_failures
        self.address_max_failures = address_max_failures
        self.window_seconds = window_seconds
        self.signups_per_hour = signups_per_hour

    def _refuse(self, key: str, message: str) -> TooManyAttempts:
        # The limit's name, never whom it counts: 'throttle:pair:…' and 'throttle:ip:…' are logins, the others
        # name themselves ('signup', 'reset', 'delete', 'pwchange', 'verify-resend', 'emailchange').
        kind = key.split(':')[1]
        metrics.THROTTLED.labels('login' if kind in ('pair', 'ip') else kind).inc()
        wait = max(1, math.ceil(self.kv.ttl(key) or self.window_seconds))
        return TooManyAttempts(message.format(wait=_minutes(wait)), retry_after=wait)

    def _epoch(self, account: str) -> str:
        """Bumped when an admin lifts the account's limits: its old counters are left behind."""
        return self.kv.get(f'throttle:epoch:{account}') or '0'

    def begin(self, *, username: str, client: str) -> LoginAttempt:
        """Take a place for one attempt, or raise TooManyAttempts while this address may not try."""
        account = _account(username)
        attempt = LoginAttempt(
            pair=f'throttle:pair:{account}:{self._epoch(account)}:{client}', address=f'throttle:ip:{client}'
        )
        if self.kv.incr(attempt.pair, ttl=self.window_seconds) > self.max_failures:
            raise self._refuse(attempt.pair, 'Too many failed logins. Try again in {wait}.')
        if self.kv.incr(attempt.address, ttl=self.window_seconds) > self.address_max_failures:
            self.kv.decr(attempt.pair)  # this attempt never ran
            raise self._refuse(attempt.address, 'Too many failed logins from your network. Try again in {wait}.')
        return attempt

    def succeeded(self, attempt: LoginAttempt) -> None:
        """The right password: the account's failures from this address are forgotten, and the place given back."""
        self.kv.delete(attempt.pair)
        self.kv.decr(attempt.address)

    def release(self, attempt: LoginAttempt) -> None:
        """Give back the place of an attempt whose password was never checked."""
        self.kv.decr(attempt.pair)
        self.kv.decr(attempt.address)

    def lift(self, *, username: str) -> None:
        """Let everyone try to log in to this account again at once (an admin's action)."""
        self.kv.incr(f'throttle:epoch:{_account(username)}', ttl=30 * 24 * 3600)

    def count_signup(self, *, client: str) -> None:
        """One more account made from this address; refused past the hourly limit."""
        key = f'throttle:signup:{client}'
        if self.kv.incr(key, ttl=3600) > self.signups_per_hour:
            raise self._refuse(key, 'Too many new accounts from your network. Try again in {wait}.')

    def count(self, key: str, *, limit: int, window_seconds: float, message: str) -> None:
        """A general limit: raise TooManyAttempts(message) once `key` was counted `limit` times in the window."""
        full = f'throttle:{key}'
        if self.kv.incr(full, ttl=window_seconds) > limit:
            raise self._refuse(full, message)


_throttle: LoginThrottle | None = None


def configure(kv: KV, **limits: float) -> LoginThrottle:
    global _throttle
    _throttle = LoginThrottle(kv, **limits)  # type: ignore[arg-type]
    return _throttle


def throttle() -> LoginThrottle:
    if _throttle is None:
        raise RuntimeError('login throttle not configured: call services.throttle.configure() first')
    return _throttle
