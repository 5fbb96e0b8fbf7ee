"""The manage dialog of a show that has started: a new time, ticket count or price is refused beside its field."""

from __future__ import annotations

import datetime as dt

import pytest
from nicegui.testing import User

from tests.factories import make_show, make_theatre
from tests.ui.helpers import error_of
from tests.ui.test_manage import SHOW_LABELS, fill, in_days, make_manager, open_dashboard, open_show_dialog, shows_of

STARTED = 'This show has started: its time, tickets and price can no longer change.'


@pytest.mark.parametrize(
    ('changes', 'label'),
    [
        ({'date': in_days(7)}, 'Date'),
        ({'time': '21:00'}, 'Date'),
        ({'num_tickets': '60'}, SHOW_LABELS['num_tickets']),
        ({'ticket_price': '300'}, 'Ticket price'),
    ],
    ids=['new-date', 'new-time', 'more-tickets', 'new-price'],
)
async def test_a_started_show_keeps_its_time_tickets_and_price(user: User, changes: dict[str, str], label: str) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi', capacity=200)
    last_night = dt.datetime(2026, 1, 10, 14, 0, tzinfo=dt.UTC)  # 19:30 in Kolkata, the app's time zone here
    show = make_show(theatre, name='Hamlet', num_tickets=50, price_cents=25000, starts_at=last_night)
    await open_dashboard(user)
    await open_show_dialog(user, edit=show)
    fill(user, SHOW_LABELS, {'name': 'Hamlet (last night)', **changes})
    user.find(marker='save').click()
    await user.should_see(STARTED)
    assert error_of(user, label) == STARTED
    (unchanged,) = shows_of(theatre.id)
    assert (unchanged.name, unchanged.starts_at, unchanged.num_tickets, unchanged.price_cents) == (
        'Hamlet',
        show.starts_at,
        50,
        25000,
    )
