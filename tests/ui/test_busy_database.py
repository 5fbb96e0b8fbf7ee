"""Pages while another process keeps the database locked: a booking confirmed then, or an unsubscribe link
opened then, says that TicketShow is busy and changes nothing; once the lock is gone the same click works."""

from __future__ import annotations

from contextlib import AbstractContextManager

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

import models
from models import Booking
from models.db import engine, session_scope
from services.config import get_settings
from services.errors import Busy
from services.mail.links import unsubscribe_token
from tests.factories import make_user, tickets_sold
from tests.locks import writers_locked_out
from tests.ui.helpers import count, current_path, elements, eventually, open_as, open_dialog
from tests.ui.test_booking import choose_tickets, seed_show

WAIT_SECONDS = 15.0  # far more than the one-second lock timeout: only a hang fails it


@pytest.fixture
def short_lock_timeout(monkeypatch) -> None:
    """Asked for before `user`, which starts main.py: writes give up on a lock after one second."""
    monkeypatch.setenv('TICKETSHOW_DB_LOCK_TIMEOUT_SECONDS', '1')
    get_settings.cache_clear()


@pytest.fixture
def long_lock_timeout(monkeypatch) -> None:
    """A lock timeout beyond NiceGUI's default time limit for building a page (3 s)."""
    monkeypatch.setenv('TICKETSHOW_DB_LOCK_TIMEOUT_SECONDS', '3.5')
    get_settings.cache_clear()


def locked() -> AbstractContextManager[None]:
    return writers_locked_out(engine().url.render_as_string(hide_password=False))


async def test_a_booking_while_the_database_is_locked_says_busy_and_books_nothing(
    short_lock_timeout, user: User
) -> None:
    show = seed_show()
    make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    choose_tickets(user, 2)
    user.find(marker='book').click()
    await open_dialog(user, 'confirm-dialog')
    (book_button,) = elements(user, marker='book')

    with locked():
        user.find('Confirm booking').click()
        await eventually(lambda: user.notify.contains(Busy.MESSAGE), timeout=WAIT_SECONDS, message='the busy notice')
        assert 'loading' not in book_button.props  # the button is usable again: the page did not break
        assert tickets_sold(show.id) == 0
        assert count(Booking) == 0

    assert current_path(user) == f'/shows/{show.id}'  # still on the show, which can be booked now
    (first,) = elements(user, marker='confirm-dialog')
    user.find(marker='book').click()
    await eventually(lambda: len(elements(user, marker='confirm-dialog')) == 2, message='a second confirmation')
    dialog = await open_dialog(user, 'confirm-dialog')
    assert dialog is not first.parent_slot.parent  # the new confirmation, not the closed one
    (confirm,) = [e for e in dialog.descendants() if isinstance(e, ui.button) and e.text == 'Confirm booking']
    UserInteraction(user, {confirm}, 'Confirm booking').click()
    await eventually(lambda: user.back_history[-1].startswith('/bookings?booked='), message='My bookings')
    assert tickets_sold(show.id) == 2
    assert count(Booking) == 1


async def test_an_unsubscribe_link_opened_while_the_database_is_locked_says_busy(long_lock_timeout, user: User) -> None:
    """The page itself writes as it is built, so it waits out the whole lock timeout: it still answers, with
    the busy message rather than NiceGUI's "the page took too long", and the person still gets the reports."""
    asha = make_user(username='asha')
    token = unsubscribe_token(get_settings().mail_secret(), user_id=asha.id, kind='reports')
    with locked():
        await user.open(f'/unsubscribe?t={token}')
        await user.should_see(Busy.MESSAGE)
    assert preferences(asha.id).wants_reports

    await user.open(f'/unsubscribe?t={token}')
    await user.should_see('You will get no more')
    assert not preferences(asha.id).wants_reports


def preferences(user_id: int) -> models.User:
    with session_scope() as session:
        found = session.get(models.User, user_id)
        assert found is not None
        return found
