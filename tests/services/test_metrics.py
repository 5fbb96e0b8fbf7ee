"""What the services count: a sale once committed (never a rolled-back one), a refusal by its reason, a door scan
by its result; and the Grafana dashboard asks only for series the app exposes."""

from __future__ import annotations

import asyncio
import json
import re
from contextlib import nullcontext
from pathlib import Path

import httpx
import pytest
from prometheus_client import Metric

from models import Role
from models.db import session_scope
from services import booking, checkin, metrics
from services.errors import DomainError
from tests.factories import make_show, make_theatre, make_user

DASHBOARD = Path(__file__).resolve().parents[2] / 'docs' / 'grafana-dashboard.json'
QUEUE_GAUGES = {'ticketshow_outbox_messages', 'ticketshow_export_jobs', 'ticketshow_waitlist_offers_open'}  # read
# from the database when scraped: there only when one is configured


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_sale_counts_once_committed_and_a_refusal_by_its_reason(database):
    manager = make_user(role=Role.MANAGER)
    show = make_show(make_theatre(manager), num_tickets=3)
    buyer = make_user()
    sold, tickets = sample('ticketshow_bookings_total', seating='general'), sample('ticketshow_tickets_sold_total')
    sold_out = sample('ticketshow_booking_refusals_total', reason='sold_out')
    invalid = sample('ticketshow_booking_refusals_total', reason='invalid')

    with pytest.raises(RuntimeError):  # booked, then the transaction fails: nothing sold, nothing counted
        with session_scope() as session:
            booking.book(session, show_id=show.id, user_id=buyer.id, tickets=2)
            raise RuntimeError('the commit never comes')
    assert sample('ticketshow_bookings_total', seating='general') == sold

    with session_scope() as session:
        view = booking.book(session, show_id=show.id, user_id=buyer.id, tickets=2)
        assert sample('ticketshow_bookings_total', seating='general') == sold  # not before the commit
    assert sample('ticketshow_bookings_total', seating='general') == sold + 1
    assert sample('ticketshow_tickets_sold_total') == tickets + 2

    for asked, reason in ((5, 'sold_out'), ('many', 'invalid')):
        with pytest.raises(DomainError) as refusal, session_scope() as session:
            booking.book(session, show_id=show.id, user_id=buyer.id, tickets=asked)
        assert metrics.refusal_reason(refusal.value) == reason
    assert sample('ticketshow_booking_refusals_total', reason='sold_out') == sold_out + 1
    assert sample('ticketshow_booking_refusals_total', reason='invalid') == invalid + 1

    admitted = sample('ticketshow_checkins_total', result='admitted')
    already = sample('ticketshow_checkins_total', result='already')
    for refused in (False, True):
        with pytest.raises(DomainError) if refused else nullcontext(), session_scope() as session:
            checkin.check_in(session, actor_id=manager.id, show_id=show.id, code=view.tickets[0].code)
    assert sample('ticketshow_checkins_total', result='admitted') == admitted + 1
    assert sample('ticketshow_checkins_total', result='already') == already + 1


def exposed_names() -> set[str]:
    names: set[str] = set()
    family: Metric
    for family in metrics.REGISTRY.collect():
        suffixes = {'counter': ('_total',), 'histogram': ('_bucket', '_count', '_sum'), 'gauge': ('',)}
        names |= {family.name + suffix for suffix in suffixes.get(family.type, ('',))}
    return names


def test_the_grafana_dashboard_asks_only_for_series_the_app_exposes():
    panels = json.loads(DASHBOARD.read_text())['panels']
    exprs = [target['expr'] for panel in panels for target in panel['targets']]
    asked = {name for expr in exprs for name in re.findall(r'\b(?:ticketshow|process)_[a-z_]+', expr)}
    assert len(asked) > 10
    assert asked <= exposed_names() | QUEUE_GAUGES, asked - exposed_names()


def test_requests_are_counted_by_route_template_and_odd_methods_as_other():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def hello(request):
        return PlainTextResponse('hi')

    app = metrics.HttpMetrics(Starlette(routes=[Route('/things/{thing_id}', hello, methods=['GET', 'BREW'])]))
    before = sample('ticketshow_http_requests_total', method='OTHER', route='/things/{thing_id}', status='200')
    unmatched = sample('ticketshow_http_requests_total', method='GET', route='unmatched', status='404')

    async def go() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url='http://test') as client:
            assert (await client.request('BREW', '/things/12')).status_code == 200
            assert (await client.get('/nothing/here/12')).status_code == 404

    asyncio.run(go())
    assert (
        sample('ticketshow_http_requests_total', method='OTHER', route='/things/{thing_id}', status='200') == before + 1
    )
    assert sample('ticketshow_http_requests_total', method='GET', route='unmatched', status='404') == unmatched + 1
