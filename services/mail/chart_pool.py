"""The managers' monthly charts, drawn by other processes while the run sends the page's other emails.

A chart is a matplotlib drawing of some 50–100 ms of CPU, twenty times the rest of an email: drawn in turn by the
run's one builder thread, a page of managers would hold the SMTP connection idle for seconds. So when a page has
`POOL_FROM` charts or more, each is started in a process pool (`spawn`: the run's threads are never forked) as soon
as its manager is known to still need the report, and the run sends the page's other emails meanwhile; the email
waits for its chart only if it is not drawn yet. With fewer charts, starting the pool (a few seconds of imports)
costs more than it saves, and each chart is drawn when its email is built, as before. The pool lives for one run.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor

from services import charts

POOL_FROM = 8  # charts on a page from which drawing them in a pool pays for starting it
MAX_WORKERS = 4

Series = dict[str, dict[dt.date, int]]


def workers() -> int:
    """One process per core but one, which the run itself (and the database, the mail server) keeps busy."""
    return max(1, min(MAX_WORKERS, (os.cpu_count() or 1) - 1))


class ChartPool:
    """The charts of one run, keyed by whose they are; `close` ends the pool, if one was started."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._started: dict[object, Future[bytes]] = {}

    def start(self, key: object, month_label: str, days: list[dt.date], series: Series) -> None:
        """Begin drawing this chart in the pool (started at the first)."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(workers(), mp_context=multiprocessing.get_context('spawn'))
        self._started[key] = self._pool.submit(charts.render_month_trend, month_label, days, series)

    def png(self, key: object, month_label: str, days: list[dt.date], series: Series) -> bytes:
        """The chart: the pool's, once drawn, if it was started there; else drawn here and now."""
        started = self._started.pop(key, None)
        if started is not None:
            return started.result()
        return charts.render_month_trend(month_label, days, series)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._started.clear()
