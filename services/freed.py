"""Tickets came free on a show: the signal that wakes the waiting list's offers.

A change that frees tickets (a cancelled booking, more tickets put on sale, an expired hold or offer, a declined
offer) calls `tickets_freed` in its transaction; once that commits, every subscriber hears the show's id. The
scheduler subscribes and offers the freed tickets to the waiting list on a thread of its own. Nothing is lost when
nobody is subscribed or the process dies first: the elected instance's sweep finds the show again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session

from services.hooks import on_commit

log = logging.getLogger(__name__)
_listeners: list[Callable[[int], None]] = []
_lock = threading.Lock()


def subscribe(listener: Callable[[int], None]) -> Callable[[], None]:
    """Hear of every show whose tickets came free; returns the function that stops it."""
    with _lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def tickets_freed(session: Session, show_id: int) -> None:
    """In the freeing transaction: tell the subscribers after its commit (never if it rolls back)."""
    on_commit(session, lambda: _tell(show_id))


def _tell(show_id: int) -> None:
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(show_id)
