"""Email in the browser: choosing emails, unsubscribing from a link, rating a past show, the admin's mail page."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
from email import policy

from nicegui import ui
from nicegui.testing import User

from models import JobRun, Role, ShowRating
from models import User as Account
from models.db import session_scope
from services import password_reset
from services.config import get_settings
from services.mail import outbox
from services.mail.links import unsubscribe_token
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.ui.helpers import count, elements, eventually, open_as, open_not_found, shows_error_pages


def wants(user_id: int) -> tuple[bool, bool]:
    with session_scope() as session:
        account = session.get_one(Account, user_id)
        return account.wants_reminders, account.wants_reports


def toggle(user: User, marker: str) -> None:
    (switch,) = elements(user, marker=marker)
    with user.client:
        switch.value = not switch.value


async def test_email_choices_save_at_once(user: User) -> None:
    asha = make_user(username='asha')
    await open_as(user, 'asha', '/account')
    await user.should_see('Daily reminder of shows for me')
    toggle(user, 'wants-reminders')
    await user.should_see('Email choices saved.')
    assert wants(asha.id) == (False, True)
    toggle(user, 'wants-reports')
    await eventually(lambda: wants(asha.id) == (False, False))


async def test_an_unsubscribe_link_works_without_logging_in_and_can_be_undone(user: User) -> None:
    asha = make_user(username='asha', email='asha@example.com')
    await user.open('/')  # the app has started: its settings and secret exist
    token = unsubscribe_token(get_settings().mail_secret(), user_id=asha.id, kind='reports')
    await user.open(f'/unsubscribe?t={token}')
    await user.should_see('You will get no more monthly reports.')
    await user.should_see('asha@example.com')
    assert wants(asha.id) == (True, False)
    user.find(marker='resubscribe').click()
    await user.should_see('You will get monthly reports again.')
    assert wants(asha.id) == (True, True)


async def test_a_forged_unsubscribe_link_changes_nothing(user: User) -> None:
    asha = make_user(username='asha')
    await user.open('/')
    token = unsubscribe_token('not-the-secret', user_id=asha.id, kind='reminders')
    await open_not_found(user, f'/unsubscribe?t={token}')
    await user.should_see('This unsubscribe link is not valid.')
    assert wants(asha.id) == (True, True)


async def test_one_click_unsubscribe_by_post(user: User) -> None:
    asha = make_user(username='asha')
    await user.open('/')
    token = unsubscribe_token(get_settings().mail_secret(), user_id=asha.id, kind='reminders')
    response = await user.http_client.post(f'/unsubscribe?t={token}', data={'List-Unsubscribe': 'One-Click'})
    assert response.status_code == 200
    assert response.json() == {'detail': 'You will get no more daily reminders.'}
    assert wants(asha.id) == (False, True)
    forged = await user.http_client.post('/unsubscribe?t=bm90LWEtdG9rZW4')
    assert forged.status_code == 404


async def test_rating_a_past_show_from_my_bookings(user: User) -> None:
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    show = make_show(theatre, name='Hamlet', starts_in=-dt.timedelta(days=2))
    asha = make_user(username='asha')
    make_booking(asha, show, tickets=2)
    await open_as(user, 'asha', '/bookings')
    await user.should_see('How was it?')
    (stars,) = elements(user, marker='rating-stars')
    assert isinstance(stars, ui.rating)
    with user.client:
        stars.value = 4
    await user.should_see('Thanks: you rated Hamlet 4 of 5.')
    with session_scope() as session:
        (rating,) = session.query(ShowRating).all()
        assert (rating.user_id, rating.show_id, rating.score) == (asha.id, show.id, 4)


async def test_the_admin_runs_the_reminders_and_reads_the_outbox(user: User) -> None:
    make_user(username='root', role=Role.ADMIN)
    make_user(username='asha', email='asha@example.com')
    make_show(make_theatre(make_user(role=Role.MANAGER), name='Prithvi'), name='Hamlet')
    await open_as(user, 'root', '/admin/mail')
    await user.should_see('The outbox is empty')
    user.find(marker='dry-reminder').click()
    await user.should_see('would send 1, failed 0, skipped 0', retries=50)
    assert count(JobRun) == 1
    assert not list(get_settings().outbox_dir.glob('*.eml'))
    user.find(marker='send-reminder').click()
    await user.should_see('sent 1, failed 0, skipped 0', retries=50)
    (path,) = get_settings().outbox_dir.glob('*.eml')
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message['To'] == 'asha@example.com'
    assert 'Hamlet' in message.get_body(('plain',)).get_content()
    with user.scope(marker='outbox'):
        await user.should_see('Shows coming up for you')
        await user.should_see('to asha@example.com')
    response = await user.http_client.get(f'/api/v1/admin/outbox/{path.name}')
    assert response.status_code == 200
    assert response.headers['content-type'].startswith('message/rfc822')


async def test_only_admins_see_the_mail_page_and_the_outbox(user: User) -> None:
    make_user(username='meera', role=Role.MANAGER)
    shows_error_pages(user)  # the refusal answers 403
    await open_as(user, 'meera', '/admin/mail')
    await user.should_see(marker='not-allowed')
    response = await user.http_client.get('/api/v1/admin/outbox/20261125-180000-0123abcd.eml')
    assert response.status_code == 403


async def test_the_admin_sees_the_email_queue_move_without_any_body(user: User) -> None:
    make_user(username='root', role=Role.ADMIN)
    make_user(username='asha', email='asha@example.com')
    await open_as(user, 'root', '/admin/mail')
    await user.should_see('No email queued yet')
    with session_scope() as session:
        password_reset.request_reset(session, email='asha@example.com', client='10.0.0.1')
    assert await asyncio.to_thread(password_reset.settle)

    user.find(marker='queue-refresh').click()
    await user.should_see('Waiting: 1')
    (table,) = elements(user, marker='queue')
    (row,) = table.rows
    assert (row['kind'], row['to'], row['subject'], row['status'], row['tries']) == (
        'Password reset',
        'asha@example.com',
        'Choose a new TicketShow password',
        'Waiting',
        0,
    )
    assert 'token=' not in repr(table.rows)  # the link stays in the body, which the page never shows

    await asyncio.to_thread(outbox.deliver_due, settings=get_settings())  # what the scheduler does
    user.find(marker='queue-refresh').click()
    await user.should_see('Sent: 1')
    await user.should_see('Waiting: 0')
