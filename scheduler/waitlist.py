"""Offering freed tickets to the waiting lists, on a thread of this process's own.

Every instance hears of the shows whose tickets came free in its own commits (`services.freed`) and offers them at
once; the elected instance also sweeps every few seconds: offers past their end pass on, entries of shows that have
started close, and any show with people waiting and tickets free gets its offers (a commit on an instance that
died before offering, or a Busy moment). Offers are made under the show's lock, so two instances offering the same
show at once give each entry one offer and each ticket to one entry.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from services import freed
from services import waitlist as waitlist_service
from services.mail import waitlist_mail  # noqa: F401 - registers the cancelled-performance email's composer
from services.workers import transaction

log = logging.getLogger(__name__)


class OfferRunner:
    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self.clock = clock
        self._wanted: set[int] = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self._stopping = threading.Event()
        self._unsubscribe = freed.subscribe(self.want)
        self._thread = threading.Thread(target=self._loop, args=(self._stopping,), name='waitlist', daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stopping.set()
        self._wake.set()

    def want(self, show_id: int) -> None:
        """After a commit that freed tickets of the show: offer them soon (never on the caller's thread)."""
        with self._lock:
            self._wanted.add(show_id)
        self._wake.set()

    def _loop(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            self._wake.wait(5)
            self._wake.clear()
            with self._lock:
                shows, self._wanted = sorted(self._wanted), set()
            for show_id in shows:
                if stopping.is_set():
                    return
                self.offer(show_id)

    def offer(self, show_id: int) -> list[int]:
        """Offer the show's free tickets now; a failure is logged and left to the sweep."""
        try:
            with transaction(waitlist_service.offer_freed) as session:
                return waitlist_service.offer_freed(session, show_id=show_id, now=self.clock())
        except Exception:
            log.exception('Offering the freed tickets of show %s failed; the sweep will try again', show_id)
            return []

    def sweep(self) -> int:
        """The elected instance's pass: expired offers pass on, and every show with people waiting is looked at.
        The number of offers made."""
        now = self.clock()
        with transaction(waitlist_service.expire_offers) as session:
            waitlist_service.expire_offers(session, now=now)
            shows = waitlist_service.shows_to_offer(session, now=now)
        return sum(len(self.offer(show_id)) for show_id in shows)
