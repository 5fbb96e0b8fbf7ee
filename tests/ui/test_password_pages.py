"""The forgotten-password pages: asking for a link says the same for any address, the link's page changes the
password once and logs the person out everywhere, and every problem shows beside its field or as a clear page."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import re
import secrets
from email import policy

from nicegui.testing import User
from sqlalchemy import select

from models import PasswordReset
from models import User as Account
from models.db import session_scope, utcnow
from services import password_reset
from services.config import get_settings
from services.mail import outbox
from services.passwords import verify_password
from services.sessions import digest
from tests.factories import PASSWORD, make_user
from tests.ui.helpers import (
    api_token,
    error_of,
    eventually,
    field,
    live_sessions,
    open_as,
    open_not_found,
    token_works,
)

NEW_PASSWORD = 'a-brand-new-one-9'


async def sent_links() -> list[str]:
    """The reset links in the app's outbox folder, once every request so far is handled and its queued email
    delivered (the tests run the app without its scheduler, which would deliver it within seconds)."""
    assert await asyncio.to_thread(password_reset.settle)
    await asyncio.to_thread(outbox.deliver_due, settings=get_settings())
    folder = get_settings().outbox_dir
    links = []
    for path in sorted(folder.glob('*.eml')) if folder.is_dir() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        found = re.search(r'/reset-password\?token=[A-Za-z0-9_-]+', message.get_body(('plain',)).get_content())
        assert found
        links.append(found.group(0))
    return links


def reset_link(username: str, *, expires_in: dt.timedelta = dt.timedelta(hours=1)) -> str:
    """A link as the email carries it, made directly (the email itself is the subject of other tests)."""
    token = secrets.token_urlsafe(32)
    with session_scope() as s:
        user_id = s.scalar(select(Account.id).where(Account.username == username))
        s.add(PasswordReset(token_hash=digest(token), user_id=user_id, expires_at=utcnow() + expires_in))
    return f'/reset-password?token={token}'


def password_is(username: str, password: str) -> bool:
    with session_scope() as s:
        return verify_password(password, s.scalar(select(Account.password_hash).where(Account.username == username)))


async def test_the_login_page_leads_to_the_forgotten_password_page(user: User) -> None:
    await user.open('/login')
    user.find(marker='forgot-password').click()
    await user.should_see('Forgot your password?')
    await user.should_see(marker='forgot-submit')


async def test_asking_for_a_link_says_the_same_for_a_known_and_an_unknown_address(user: User) -> None:
    make_user(username='asha', email='asha@example.com')
    for address in ('nobody@example.com', 'asha@example.com'):
        await user.open('/forgot-password')
        user.find('Email').type(address)
        user.find(marker='forgot-submit').click()
        await user.should_see(password_reset.SENT)
    assert len(await sent_links()) == 1


async def test_a_malformed_address_is_shown_beside_the_field(user: User) -> None:
    await user.open('/forgot-password')
    user.find('Email').type('asha.example.com')
    user.find(marker='forgot-submit').click()
    await eventually(lambda: error_of(user, 'Email') == 'Enter an email address like name@example.com.')
    await user.should_not_see(password_reset.SENT)
    assert await sent_links() == []


async def test_the_emailed_link_changes_the_password_and_logs_out_everywhere(user: User) -> None:
    make_user(username='asha', email='asha@example.com')
    phone = api_token('asha')
    await user.open('/forgot-password')
    user.find('Email').type('asha@example.com')
    user.find(marker='forgot-submit').click()
    await user.should_see(password_reset.SENT)
    (link,) = await sent_links()
    await user.open(link)
    await user.should_see('Choose a new password')
    field(user, 'New password').type(NEW_PASSWORD)
    field(user, 'New password again').type(NEW_PASSWORD)
    user.find(marker='reset-submit').click()
    await user.should_see('Your password is changed. Please log in.')
    assert password_is('asha', NEW_PASSWORD)
    assert not token_works(phone)
    user.find(marker='reset-login').click()
    await user.should_see(marker='login-submit')
    await open_not_found(user, link)  # a second time: used up
    await user.should_see(password_reset.INVALID_LINK)


async def test_a_browser_logged_in_is_logged_out_by_the_reset(user: User) -> None:
    make_user(username='asha')
    await open_as(user, 'asha', '/bookings')
    await eventually(lambda: len(live_sessions('asha')) == 1, message='the browser to be logged in')
    await user.open(reset_link('asha'))
    field(user, 'New password').type(NEW_PASSWORD)
    field(user, 'New password again').type(NEW_PASSWORD)
    user.find(marker='reset-submit').click()
    await user.should_see('Your password is changed. Please log in.')
    assert live_sessions('asha') == []


async def test_password_problems_show_beside_their_fields_and_keep_the_link(user: User) -> None:
    make_user(username='asha')
    await user.open(reset_link('asha'))
    field(user, 'New password').type('short-7')
    field(user, 'New password again').type('short-7')
    user.find(marker='reset-submit').click()
    await eventually(lambda: error_of(user, 'New password') == 'Password must be 8–128 characters.')
    field(user, 'New password').clear().type(NEW_PASSWORD)
    field(user, 'New password again').clear().type(NEW_PASSWORD + 'x')
    user.find(marker='reset-submit').click()
    await eventually(lambda: error_of(user, 'New password again') == 'The two passwords differ.')
    assert error_of(user, 'New password') is None
    assert password_is('asha', PASSWORD)
    field(user, 'New password again').clear().type(NEW_PASSWORD)
    user.find(marker='reset-submit').click()
    await user.should_see('Your password is changed. Please log in.')
    assert password_is('asha', NEW_PASSWORD)


async def test_an_expired_link_says_so_and_offers_a_new_one(user: User) -> None:
    make_user(username='asha')
    await open_not_found(user, reset_link('asha', expires_in=dt.timedelta(seconds=-1)))
    await user.should_see(password_reset.INVALID_LINK)
    await user.should_not_see(marker='reset-submit')
    user.find(marker='ask-again').click()
    await user.should_see('Forgot your password?')


async def test_a_made_up_or_missing_token_says_the_link_is_invalid(user: User) -> None:
    for path in ('/reset-password?token=made-up', '/reset-password', '/reset-password?token=' + 'x' * 5000):
        await open_not_found(user, path)
        await user.should_see(password_reset.INVALID_LINK)
        await user.should_not_see(marker='reset-submit')


async def test_a_link_used_elsewhere_meanwhile_turns_the_form_into_the_invalid_link_message(user: User) -> None:
    make_user(username='asha')
    link = reset_link('asha')
    await user.open(link)
    await user.should_see('Choose a new password')
    with session_scope() as s:
        s.execute(PasswordReset.__table__.update().values(used_at=utcnow()))  # type: ignore[attr-defined]
    field(user, 'New password').type(NEW_PASSWORD)
    field(user, 'New password again').type(NEW_PASSWORD)
    user.find(marker='reset-submit').click()
    await user.should_see(password_reset.INVALID_LINK)
    assert password_is('asha', PASSWORD)
