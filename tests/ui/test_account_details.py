"""The account page's details and danger cards, and the pages an email's link opens: a name saved at once, an
unverified address with its resend button, a change of address confirmed by the link in the email, deleting the
account (password, one question, then the home page with a notice); every problem beside its field or as a clear
page, and nothing changed by a refusal."""

from __future__ import annotations

import asyncio
import email
import re
from email import policy
from email.message import EmailMessage

from nicegui.testing import User
from sqlalchemy import select

from models import Role
from models import User as Account
from models.db import session_scope
from services import accounts
from services.config import get_settings
from services.mail import outbox
from tests.factories import PASSWORD, make_theatre, make_user
from tests.ui.helpers import eventually, landed_on, log_in, open_as, open_dialog, open_not_found
from tests.ui.test_signup_login import sign_up


async def sent() -> list[EmailMessage]:
    """The app's delivered emails (no SMTP server: the outbox folder), once what was queued is delivered."""
    await asyncio.to_thread(outbox.deliver_due, settings=get_settings())
    folder = get_settings().outbox_dir
    files = sorted(folder.glob('*.eml')) if folder.is_dir() else []
    return [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]  # type: ignore[misc]


async def link_in(address: str, path: str) -> str:
    for message in reversed(await sent()):
        found = re.search(rf'/{path}/[A-Za-z0-9_-]+', message.get_body(('plain',)).get_content())
        if message['To'] == address and found:
            return found.group(0)
    raise AssertionError(f'no {path} link sent to {address}')


def account(username: str) -> Account | None:
    with session_scope() as s:
        return s.scalar(select(Account).where(Account.username == username))


def error_at(user: User, marker: str) -> str | None:
    (element,) = user.find(marker=marker).elements
    return element.error


async def test_the_name_is_saved_at_once_and_checked_beside_the_field(user: User) -> None:
    make_user(username='asha', name='Asha')
    await open_as(user, 'asha', '/account')
    await user.should_see('Your details')
    user.find(marker='name').clear().type('<b>Asha</b>')
    user.find(marker='save-name').click()
    await eventually(lambda: error_at(user, 'name') is not None)
    assert account('asha').name == 'Asha'
    user.find(marker='name').clear().type('Asha Rao')
    user.find(marker='save-name').click()
    await user.should_see('Name saved.')
    assert account('asha').name == 'Asha Rao'


async def test_a_new_account_verifies_its_address_with_the_link_from_its_email(user: User) -> None:
    await sign_up(user)
    await user.should_see('Welcome, Asha Rao!')
    await landed_on(user, '/')
    await user.open('/bookings')  # the tickets wait for the link: My bookings says so, with the way to it
    await user.should_see(marker='unverified-banner')
    await user.should_see('Open the link we sent to asha@example.com to get your tickets by email')
    await user.open('/account')
    await user.should_see('Email not verified — we send tickets only to a verified address.')
    user.find(marker='resend-verification').click()
    await user.should_see('We sent a new link to your address. It works for 48 hours.')
    user.find(marker='resend-verification').click()
    await user.should_see('We sent you a link a moment ago.')
    link = await link_in('asha@example.com', 'verify-email')

    await user.open(link)

    await user.should_see('Thank you: asha@example.com is verified.')
    assert account('asha').email_verified_at is not None
    await open_not_found(user, link)  # used: a clear page, answered 404
    await user.should_see(marker='verify-invalid')
    await user.open('/account')
    await user.should_see('Your details')
    await user.should_not_see(marker='unverified')
    await user.open('/bookings')
    await user.should_see('No upcoming bookings')
    await user.should_not_see(marker='unverified-banner')


async def test_a_made_up_link_is_a_clear_404_page(user: User) -> None:
    await open_not_found(user, '/verify-email/not-a-real-token')
    await user.should_see('This verification link is invalid, used or expired.')
    await open_not_found(user, '/confirm-email/' + 'x' * 300)
    await user.should_see('This link to confirm a new email address is invalid, used or expired.')


async def test_a_change_of_address_waits_for_the_link_sent_to_the_new_one(user: User) -> None:
    make_user(username='asha', email='asha@example.com')
    await open_as(user, 'asha', '/account')
    await user.should_see('Change your email address')
    user.find(marker='new-email').type('new@example.com')
    user.find(marker='email-password').type('not-my-password')
    user.find(marker='change-email').click()
    await eventually(lambda: error_at(user, 'email-password') == 'This is not your current password.')
    assert await sent() == []
    user.find(marker='email-password').clear().type(PASSWORD)
    user.find(marker='change-email').click()
    await user.should_see('We sent a link to new@example.com. Your address changes when you open it.')
    await user.should_see('Waiting for you to open the link we sent to new@example.com.')
    assert account('asha').email == 'asha@example.com'
    link = await link_in('new@example.com', 'confirm-email')
    assert any(m['To'] == 'asha@example.com' for m in await sent())  # the notice to the old address

    await user.open(link)

    await user.should_see('Your email address is now new@example.com.')
    assert account('asha').email == 'new@example.com'
    await user.open('/account')
    await user.should_see('Your details')
    await user.should_not_see(marker='pending-email')


async def test_deleting_asks_for_the_password_and_once_more_then_logs_out_to_the_home_page(user: User) -> None:
    make_user(username='asha', email='asha@example.com')
    await open_as(user, 'asha', '/account')
    await user.should_see(marker='danger-card')
    user.find(marker='delete-account').click()
    await eventually(lambda: error_at(user, 'delete-password') == 'Give your current password to delete your account.')
    user.find(marker='delete-password').type('not-my-password')
    user.find(marker='delete-account').click()
    await open_dialog(user, 'confirm-dialog')
    user.find(marker='confirm-delete-account').click()
    await eventually(lambda: error_at(user, 'delete-password') == 'This is not your current password.')
    assert account('asha') is not None

    user.find(marker='delete-password').clear().type(PASSWORD)
    user.find(marker='delete-account').click()
    dialog = await open_dialog(user, 'confirm-dialog')
    user.find('Keep my account').click()
    await eventually(lambda: not dialog.value)
    assert account('asha') is not None
    user.find(marker='delete-account').click()
    await open_dialog(user, 'confirm-dialog')
    user.find(marker='confirm-delete-account').click()

    await user.should_see(marker='account-deleted')
    await user.should_see('Upcoming shows')  # the home page, logged out
    await user.should_not_see(marker='header-name')
    assert account('asha') is None
    await log_in(user, 'asha')
    await user.should_see('Wrong username or password.')


async def test_a_manager_who_owns_a_theatre_is_told_what_to_do_first(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    make_theatre(meera)
    await open_as(user, 'meera', '/account')
    user.find(marker='delete-password').type(PASSWORD)
    user.find(marker='delete-account').click()
    await open_dialog(user, 'confirm-dialog')
    user.find(marker='confirm-delete-account').click()
    await user.should_see('You still own 1 theatre: delete them or hand them over first')
    assert account('meera') is not None


async def test_the_admin_list_shows_a_deleted_account_as_deleted_user(user: User) -> None:
    make_user(username='root', role=Role.ADMIN)
    asha = make_user(username='asha', name='Asha Rao')
    with session_scope() as s:
        accounts.delete_account(s, user_id=asha.id, current_password=PASSWORD)
    await open_as(user, 'root', '/admin/users')
    await user.should_see(f'Deleted user (@deleted-{asha.id})')
    await user.should_not_see('Asha Rao')
