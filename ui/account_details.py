"""The account page's own details — name, email address (verified or not, a change waiting for its link) — and the
danger card that deletes the account; and the two pages a link in an email opens: `/verify-email/{token}` and
`/confirm-email/{token}`. Neither link page needs a login: the link is the proof."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import app, ui

from models import User
from services import accounts, email_links
from services.errors import Conflict, DomainError, Invalid
from services.sessions import Principal
from ui.common import call, call_hashing, notify_error, principal, show_errors
from ui.confirm import confirm
from ui.layout import frame
from ui.not_found import answer_not_found

CARD = 'w-full max-w-md mx-auto p-6 gap-3 items-center text-center'
DELETED_NOTICE = 'Your account is deleted and you are logged out. Your bookings stay on the theatres’ books, nameless.'


async def unverified_banner(who: Principal) -> None:
    """Above My bookings while the address is unverified: the e-tickets wait for its link, and a new link is a click
    away (the same once-a-minute limit as on the account page)."""
    mine = await call(email_links.account, read=True, user_id=who.user_id)
    if mine.email_verified:
        return
    # The same pale amber in both modes (set inline, so a dark card's own colours never win): dark text on it.
    banner = ui.card().classes('w-full p-3 gap-2 no-shadow border').style('background: #fffbeb; color: #111827')
    with banner.mark('unverified-banner'):
        with ui.row().classes('w-full items-center gap-2 no-wrap'):
            ui.icon('mark_email_unread', size='24px').classes('text-amber-800').props('aria-hidden=true')
            ui.label(
                f'Open the link we sent to {mine.email} to get your tickets by email: we send them only to a '
                'verified address. Your bookings are safe either way.'
            ).classes('text-sm grow min-w-0 break-words')
        with ui.row().classes('gap-2 ml-8'):
            ui.button('Send the link again', on_click=lambda: _resend_verification(who)).props(
                'outline dense no-caps color=grey-9'
            ).mark('banner-resend-verification')
            ui.button('Account', icon='manage_accounts').props('href=/account flat dense no-caps color=grey-9')


async def _resend_verification(who: Principal) -> None:
    """A new verification link (the service keeps it to one a minute), from the banner or the details card."""
    try:
        await call(email_links.resend_verification, user_id=who.user_id)
    except DomainError as error:
        notify_error(error)
        return
    ui.notify('We sent a new link to your address. It works for 48 hours.', type='positive')


async def details_card(who: Principal) -> None:
    """Name (saved at once), the address and its state, and a change of address confirmed by a link."""
    mine = await call(email_links.account, read=True, user_id=who.user_id)
    with ui.card().classes('w-full p-4 gap-2').mark('details-card'):
        ui.label('Your details').classes('text-lg font-bold')
        with ui.row().classes('w-full items-start gap-2 no-wrap'):
            name = (
                ui.input('Full name', value=mine.name)
                .props('outlined autocomplete=name maxlength=100')
                .classes('grow min-w-0')
                .mark('name')
            )

            async def save_name() -> None:
                try:
                    saved = await call(accounts.rename, user_id=who.user_id, name=name.value)
                except DomainError as error:
                    show_errors(error, {'name': name})
                    return
                name.value, name.error = saved.name, None
                ui.notify('Name saved.', type='positive')

            name.on('keydown.enter', save_name)
            ui.button('Save', on_click=save_name).props('unelevated no-caps').classes('mt-2').mark('save-name')

        @ui.refreshable
        async def address() -> None:
            view = await call(email_links.account, read=True, user_id=who.user_id)
            with ui.row().classes('items-center gap-2 min-w-0 max-w-full'):
                ui.icon('mail', size='20px').props('aria-hidden=true')
                ui.label(view.email).classes('break-all').mark('current-email')
            if not view.email_verified:
                with ui.row().classes('items-center gap-2').mark('unverified'):
                    ui.icon('warning', color='warning', size='20px').props('aria-hidden=true')
                    ui.label('Email not verified — we send tickets only to a verified address.').classes('text-sm')
                    ui.button('Send the link again', on_click=lambda: _resend_verification(who)).props(
                        'outline dense no-caps'
                    ).mark('resend-verification')
            if view.pending_email is not None:
                with ui.row().classes('items-center gap-2 min-w-0 max-w-full').mark('pending-email'):
                    ui.label(f'Waiting for you to open the link we sent to {view.pending_email}.').classes(
                        'text-sm break-all'
                    )
                    ui.button('Cancel change', on_click=cancel_change).props('flat dense no-caps').mark(
                        'cancel-email-change'
                    )

        async def cancel_change() -> None:
            try:
                await call(email_links.cancel_email_change, user_id=who.user_id)
            except DomainError as error:
                notify_error(error)
                return
            ui.notify('The change of address is cancelled.', type='positive')
            address.refresh()

        await address()
        ui.label('Change your email address').classes('font-medium mt-2')
        fields = {
            'email': ui.input('New email').props('outlined type=email autocomplete=email maxlength=254'),
            'current_password': ui.input('Current password', password=True).props(
                'outlined autocomplete=current-password'
            ),
        }
        fields['email'].mark('new-email')
        fields['current_password'].mark('email-password')
        for element in fields.values():
            element.classes('w-full')

        async def change_email() -> None:
            try:
                view = await call_hashing(
                    email_links.request_email_change,
                    user_id=who.user_id,
                    **{field: element.value for field, element in fields.items()},
                )
            except DomainError as error:
                show_errors(error, fields)
                return
            for element in fields.values():
                element.value, element.error = '', None
            ui.notify(
                f'We sent a link to {view.pending_email}. Your address changes when you open it.', type='positive'
            )
            address.refresh()

        fields['current_password'].on('keydown.enter', change_email)
        ui.label('We send a link to the new address; your address stays as it is until you open it.').classes(
            'text-xs text-gray-600'
        )
        ui.button('Send confirmation link', on_click=change_email).props('unelevated no-caps').mark('change-email')


def danger_card(who: Principal) -> None:
    """Delete the account, after the current password and one question."""
    with ui.card().classes('w-full p-4 gap-2 border border-red-300').mark('danger-card'):
        ui.label('Delete account').classes('text-lg font-bold text-negative')
        ui.label(
            'Your name, username, email address and password are removed and you are logged out everywhere. '
            'Your bookings and ratings stay on the theatres’ books, without your name. This cannot be undone.'
        ).classes('text-sm')
        password = (
            ui.input('Current password', password=True)
            .props('outlined autocomplete=current-password')
            .classes('w-full max-w-sm')
            .mark('delete-password')
        )

        async def delete() -> None:
            if not password.value:
                password.error = 'Give your current password to delete your account.'
                return
            password.error = None
            asked = await confirm(
                'Delete your account?',
                'This cannot be undone: you cannot log in again, and your tickets are no longer sent to you.',
                yes='Delete my account',
                no='Keep my account',
                mark='confirm-delete-account',
            )
            if not asked:
                return
            try:
                await call_hashing(accounts.delete_account, user_id=who.user_id, current_password=password.value)
            except DomainError as error:
                show_errors(error, {'current_password': password})
                return
            app.storage.client.pop('session_id', None)
            ui.navigate.to('/auth/renew?deleted=1')  # a new browser id, then the home page with the notice

        ui.button('Delete account', on_click=delete).props('outline no-caps color=negative').mark('delete-account')


def account_deleted_notice() -> None:
    """On the home page, right after deleting an account."""
    with ui.row().classes('w-full items-center gap-2 p-3 rounded bg-green-50 text-green-900').mark('account-deleted'):
        ui.icon('check_circle', size='20px').props('aria-hidden=true')
        ui.label(DELETED_NOTICE).classes('break-words')


# --- the pages an email's link opens ---------------------------------------------------------------------------


async def verify_email_page(token: str) -> None:
    def done(user: User) -> None:
        ui.label(f'Thank you: {user.email} is verified.').classes('text-lg break-all').mark('verify-done')
        ui.label('Your tickets and booking emails go there from now on.').classes('text-gray-600')

    await _link_page(
        'Verify your email', email_links.verify_email, token, email_links.INVALID_VERIFY_LINK, 'verify', done
    )


async def confirm_email_page(token: str) -> None:
    def done(user: User) -> None:
        ui.label(f'Your email address is now {user.email}.').classes('text-lg break-all').mark('confirm-done')

    invalid = email_links.INVALID_CHANGE_LINK
    await _link_page('Confirm your new email', email_links.confirm_email_change, token, invalid, 'confirm', done)


async def _link_page(
    title: str, use: Callable[..., User], token: str, invalid: str, mark: str, done: Callable[[User], None]
) -> None:
    """A page an email's link opens: the link used through `use`, then either its failure said (unknown, used or
    expired: 404; the address taken meanwhile: 409; a busy database: nothing changed, the link still works) or
    the done icon and `done`'s words; a way on either way."""
    who = await principal()
    with frame(title, who), ui.card().classes(CARD):
        try:
            user = await call(use, token=token)
        except Invalid:
            answer_not_found()
            _link_failed(invalid, f'{mark}-invalid')
        except Conflict as error:
            ui.context.client.status_code = 409
            _link_failed(error.message, f'{mark}-taken')
        except DomainError as error:
            _link_failed(error.message, f'{mark}-failed')
        else:
            ui.icon('mark_email_read', size='48px', color='positive').props('aria-hidden=true')
            done(user)
        _onward(who)


def _link_failed(message: str, mark: str) -> None:
    ui.icon('link_off', size='48px', color='negative').props('aria-hidden=true')
    ui.label(message).classes('text-lg break-words').mark(mark)


def _onward(who: Principal | None) -> None:
    if who is not None:
        ui.link('Your account', '/account').mark('to-account')
    else:
        ui.link('Log in', '/login?redirect_to=/account').mark('to-login')
    ui.link('All shows', '/')
