"""Page views whose browser never opens the websocket are deleted seconds after the page was sent.

NiceGUI keeps every page it builds as a `Client` (all its elements, its outbox, its storage) until the browser's
websocket connects, and deletes one that never connects only after 60 s. A crawler, a link preview or a script that
fetches `/` never connects: at 50 requests/s that is 3,000 whole pages held at once, hundreds of MiB, and gen-2
garbage collections that pause every visitor's page. Here such a page view lives a few seconds after its HTML was
sent (`TICKETSHOW_UNCONNECTED_PAGE_SECONDS`), then goes.

The threshold is 10 s by default, counted from when the page was sent (not from the request, so a page that waited
for a busy database still gets all of it). A browser connects as soon as its scripts have run: well under a second on
loopback, a second or two on a phone with a warm cache, some 5–8 s for a first visit over a slow 3G link. A browser
later than that is not stranded: NiceGUI's page script reloads a page whose handshake is refused, and the reload, its
scripts now cached, connects.

A connected page is never touched here; after a disconnect NiceGUI's own `reconnect_timeout` decides. A page whose
function answered with its own response (a redirect) was never sent as a page: it goes once it is older than the page's
`response_timeout` plus the threshold.
"""

from __future__ import annotations

import gc
import logging
import os
import time

from nicegui import Client, app

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0  # how often to look: one pass over the live clients, a few microseconds each
REPORT_SECONDS = 60.0  # the longest a burst of deletions goes unlogged
COLLECT_SECONDS = 5.0  # while page views are being deleted, the garbage they leave is collected this often at most


class Pruner:
    """Deletes the page views that were sent but never connected, once they are older than `grace` seconds."""

    def __init__(self, grace: float) -> None:
        self.grace = grace
        # When each unconnected page was first seen sent, by client id (NiceGUI records only the request's time).
        self._sent: dict[str, float] = {}
        self._deleted = 0  # since `_since`, for the log line that sums a burst up
        self._since = 0.0
        self._garbage = 0  # page views deleted since the last collection
        self._collected = 0.0

    def prune(self) -> int:
        """One pass: delete what is stale; the number deleted."""
        now = time.time()
        sent: dict[str, float] = {}
        stale: list[Client] = []
        for client in list(Client.instances.values()):
            # A connected page, or one NiceGUI already waits on to reconnect, is not ours to delete (NiceGUI's own
            # pruning reads the same private fields).
            if client.has_socket_connection or client._delete_tasks:
                continue
            if client._response_built:  # the page's HTML is on its way: the browser's clock runs
                sent[client.id] = since = self._sent.get(client.id, now)
                if now - since >= self.grace:
                    stale.append(client)
            elif now - client.created >= client.page.response_timeout + self.grace:
                stale.append(client)  # answered with a response of its own, or a build that never ended
        for client in stale:
            sent.pop(client.id, None)
            client.delete()
        self._sent = sent
        self._garbage += len(stale)
        if self._garbage and now - self._collected >= COLLECT_SECONDS:
            # A deleted page is a few thousand objects in reference cycles (elements, their slots, props and
            # handlers), older than the young generations: only a full collection frees them, and Python runs one
            # only when the old generation has grown by a quarter. Under a crawler that is hundreds of MiB of dead
            # pages first, then a long pause. Collected every few seconds (the start-up heap frozen), a collection
            # walks only the pages alive and frees the dead ones while they are few.
            gc.collect()
            self._garbage, self._collected = 0, now
        self._report(now, len(stale), waiting=len(sent))
        return len(stale)

    def _report(self, now: float, deleted: int, *, waiting: int) -> None:
        """One line when a burst of unconnected views (a crawler, say) is over, none left waiting, and one a minute
        while it lasts."""
        if deleted and not self._deleted:
            self._since = now
        self._deleted += deleted
        if self._deleted and (not waiting or now - self._since >= REPORT_SECONDS):
            log.info(
                'deleted %d page views that never connected over %.0f s; %d clients remain',
                self._deleted,
                now - self._since,
                len(Client.instances),
            )
            self._deleted = 0


def start(grace: float) -> Pruner:
    """Prune every `CHECK_SECONDS` for as long as the app runs (NiceGUI's own 60-second pruning stays as a backstop).

    Everything the process holds once it has started (modules, routes, settings) lives as long as the process:
    frozen out of the collector's way, a full collection walks only the pages and what they use. (Not under NiceGUI's
    simulated user, which starts the app again in one process for every test: tests/ui/conftest.py freezes once.)"""
    pruner = Pruner(grace)
    if 'NICEGUI_USER_SIMULATION' not in os.environ:
        app.on_startup(gc.freeze)
    app.timer(CHECK_SECONDS, pruner.prune)
    return pruner
