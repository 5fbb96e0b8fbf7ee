"""Redis stops while people use the app: pages keep answering, seats stay right, and it recovers."""

import asyncio

import pytest
from nicegui import ui
from nicegui.testing import User

from models import Role
from services import kv as kv_module
from tests.factories import make_show, make_theatre, make_user, tickets_sold
from tests.ui.helpers import log_in


@pytest.fixture
def app_on_own_redis(own_redis, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_REDIS_URL', own_redis.url)
    monkeypatch.setattr(kv_module, 'RETRY_SECONDS', 0.2)
    return own_redis


async def test_the_app_keeps_working_through_a_redis_outage(app_on_own_redis, user: User) -> None:
    theatre = make_theatre(make_user(role=Role.MANAGER), place='Mumbai')
    show = make_show(theatre, name='Hamlet', num_tickets=10)
    make_user(username='asha')
    await log_in(user, 'asha', target=f'/shows/{show.id}')
    await user.should_see('Book tickets')

    app_on_own_redis.stop()
    await user.open('/')
    await user.should_see('Hamlet')
    await user.open(f'/shows/{show.id}')
    await user.should_see('10 of 10 tickets left')
    user.find(marker='tickets').elements.pop().value = 2
    user.find(marker='book').click()
    await user.should_see(marker='confirm-dialog')
    dialog = user.find(ui.dialog).elements.pop()
    while not dialog.value:
        await asyncio.sleep(0.05)
    user.find('Confirm booking').click()
    await user.should_see('Booked 2 tickets')  # still logged in: the session's local copy answered
    assert tickets_sold(show.id) == 2

    app_on_own_redis.start()  # back, and empty: nothing persisted
    await asyncio.sleep(0.3)
    await user.open(f'/shows/{show.id}')
    await user.should_see('8 of 10 tickets left')  # nothing stale from before the outage
    await user.open('/bookings')
    await user.should_see('Hamlet')  # the session was handed back to Redis
