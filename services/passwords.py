"""Password hashing (bcrypt) on a small pool of its own: a flood of logins or signups burns these threads,
never the ones that serve pages and queries."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import bcrypt

from services.config import get_settings
from services.errors import Busy

T = TypeVar('T')


def _prehash(password: str) -> bytes:
    # bcrypt reads only 72 bytes; a SHA-256 digest first lets every allowed password (up to 128 chars) count whole.
    return base64.b64encode(hashlib.sha256(password.encode()).digest())


def hash_password(password: str) -> str:
    return bcrypt.hashpw(_prehash(password), bcrypt.gensalt(rounds=get_settings().bcrypt_rounds)).decode()


def verify_password(password: str, password_hash: str) -> bool:
    return bcrypt.checkpw(_prehash(password), password_hash.encode())


_dummy: str | None = None


def dummy_hash() -> str:
    """A hash to check against when there is no account: the answer takes as long as for a real one."""
    global _dummy
    if _dummy is None:
        _dummy = hash_password('not-a-real-password')
    return _dummy


# Past this many calls waiting for the pool, a new one is turned away at once (503, "try again") rather than
# queued for minutes while its connection is held open.
MAX_WAITING = 64

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_waiting = 0


def pool() -> ThreadPoolExecutor:
    """The threads that run every call which hashes or checks a password (login, signup, password changes)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            workers = get_settings().password_workers or max(1, (os.cpu_count() or 2) - 1)
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix='password')
        return _pool


def submit(work: Callable[[], T]) -> Future[T]:
    """Run `work` on the password pool; `Busy` at once when too many calls are already waiting for it."""
    global _waiting
    executor = pool()
    with _pool_lock:
        if _waiting >= MAX_WAITING:
            raise Busy('Too many people are logging in right now. Please try again in a few seconds.', retry_after=5)
        _waiting += 1

    def run() -> T:
        global _waiting
        try:
            return work()
        finally:
            with _pool_lock:
                _waiting -= 1

    return executor.submit(run)
