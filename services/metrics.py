"""What an instance counts for Prometheus: requests per route template, bookings and refusals, check-ins, holds,
offers, email, exports, the cache, login throttles, connected browsers and the event loop's lag.

Counters live in this process (one registry per instance: Prometheus scrapes every instance and sums). Queue depths
(email outbox, export jobs, open waiting-list offers) are the database's, read when scraped: the scrape runs on a
thread, never on the event loop. Labels are bounded sets (a route's template, never its ids; a reason's code, never
a message), so the number of series stays small whatever people send.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterator
from typing import ParamSpec, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Receive, Scope, Send

from models import db
from services.asgi import route_template, watch
from services.errors import DomainError

P = ParamSpec('P')
T = TypeVar('T')
CONTENT_TYPE = CONTENT_TYPE_LATEST
REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # CPU, resident memory, open files
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    'ticketshow_http_requests',
    'HTTP requests answered, by route template',
    ['method', 'route', 'status'],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    'ticketshow_http_request_duration_seconds',
    'Time to answer an HTTP request, by route template',
    ['method', 'route'],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
BOOKINGS = Counter('ticketshow_bookings', 'Bookings confirmed (committed)', ['seating'], registry=REGISTRY)
TICKETS_SOLD = Counter('ticketshow_tickets_sold', 'Tickets sold by confirmed bookings', registry=REGISTRY)
REFUSALS = Counter('ticketshow_booking_refusals', 'Bookings refused, by reason', ['reason'], registry=REGISTRY)
CHECKINS = Counter('ticketshow_checkins', 'Tickets scanned at the door, by result', ['result'], registry=REGISTRY)
SEAT_HOLDS = Counter('ticketshow_seat_holds', 'Seat holds taken (chosen seats kept for their buyer)', registry=REGISTRY)
WAITLIST_OFFERS = Counter('ticketshow_waitlist_offers', 'Waiting-list offers made', registry=REGISTRY)
EMAILS = Counter(
    'ticketshow_emails', 'Emails tried, by outcome (sent; refused, to retry; failed)', ['outcome'], registry=REGISTRY
)
CACHE = Counter('ticketshow_cache_reads', 'Cached reads, by result (hit, miss)', ['result'], registry=REGISTRY)
CACHE_HITS, CACHE_MISSES = CACHE.labels('hit'), CACHE.labels('miss')
THROTTLED = Counter(
    'ticketshow_throttled', 'Logins and signups refused by their limits, by what', ['what'], registry=REGISTRY
)
BUSY = Counter(
    'ticketshow_database_busy', 'Transactions refused because the database was locked too long', registry=REGISTRY
)
CLIENTS = Gauge('ticketshow_connected_clients', 'Browser pages this instance holds', registry=REGISTRY)
LOOP_LAG = Histogram(
    'ticketshow_event_loop_lag_seconds',
    'How late the event loop ran a timer: the time anything waits to start',
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
    registry=REGISTRY,
)


def refusal_reason(error: DomainError) -> str:
    """A short code for why a booking or a scan was refused: the error's own when it names one (`sold_out`,
    `already`), else its kind."""
    if error.reason:
        return error.reason
    return {
        'Invalid': 'invalid',
        'NotFound': 'not_found',
        'Unauthenticated': 'unauthenticated',
        'NotAllowed': 'not_allowed',
        'Busy': 'busy',
    }.get(type(error).__name__, 'conflict')


def counts_refusals(counter: Counter) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """A service whose refusals (its DomainErrors) `counter` counts by `refusal_reason`, then raised as they were."""

    def decorate(service: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(service)
        def counted(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return service(*args, **kwargs)
            except DomainError as error:
                counter.labels(refusal_reason(error)).inc()
                raise

        return counted

    return decorate


class QueueDepths(Collector):
    """The database's queues, counted when Prometheus scrapes (on the scrape's thread)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from services.system import queue_depths  # here, not above: services.system imports this module's users

        outbox = GaugeMetricFamily('ticketshow_outbox_messages', 'Emails in the outbox, by status', labels=['status'])
        exports = GaugeMetricFamily('ticketshow_export_jobs', 'Export jobs, by state', labels=['state'])
        offers = GaugeMetricFamily('ticketshow_waitlist_offers_open', 'Waiting-list offers waiting for an answer')
        try:
            with db.session_scope() as session:
                depths = queue_depths(session)
        except Exception:  # noqa: BLE001 - a scrape while the database is away gives the process's figures only
            return
        for status, count in depths.outbox.items():
            outbox.add_metric([status], count)
        for state, count in depths.exports.items():
            exports.add_metric([state], count)
        offers.add_metric([], depths.offers_open)
        yield from (outbox, exports, offers)


REGISTRY.register(QueueDepths())


def count_booking(tickets: int, *, reserved: bool) -> None:
    """A booking committed (called after the commit)."""
    BOOKINGS.labels('reserved' if reserved else 'general').inc()
    TICKETS_SOLD.inc(tickets)


def count_emails(*, sent: int, failed: int, retrying: int = 0) -> None:
    for outcome, n in (('sent', sent), ('failed', failed), ('retrying', retrying)):
        if n:
            EMAILS.labels(outcome).inc(n)


METHODS = frozenset({'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'})


class HttpMetrics:
    """Pure ASGI, outermost: every HTTP request's count and time by method, route template and status. The template
    is the route that answered (`/api/v1/shows/{show_id}`), `unmatched` when none did; any other method is
    `OTHER`: nothing a client sends makes a new series."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.inner(scope, receive, send)
            return
        method = scope['method'] if scope['method'] in METHODS else 'OTHER'

        def answered(status: int, seconds: float) -> None:
            route = route_template(scope)
            REQUESTS.labels(method, route, str(status)).inc()
            REQUEST_SECONDS.labels(method, route).observe(seconds)

        await watch(self.inner, scope, receive, send, done=answered)


def exposition() -> bytes:
    """Every metric in Prometheus's text format (reads the database: call it off the event loop)."""
    return generate_latest(REGISTRY)


async def watch_loop_lag(interval: float = 0.5) -> None:
    """Sleep `interval` over and over and record how much later than asked the loop woke us: while it is busy
    (a long page build, a blocking call), everything waiting on it is that late."""
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time()
        await asyncio.sleep(interval)
        LOOP_LAG.observe(max(0.0, loop.time() - asked - interval))
