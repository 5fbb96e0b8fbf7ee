"""A forgotten password: ask for a link by email (`/forgot-password`), then choose a new password with it
(`/reset-password?token=...`). Neither page needs a login, and neither says whether an address is known."""

from __future__ import annotations

from fastapi import Request
from nicegui import ui

from services import password_reset
from services.errors import DomainError, Invalid
from ui.common import call, call_hashing, client_of, principal, show_errors
from ui.layout import frame
from ui.not_found import answer_not_found

CARD = 'w-full max-w-sm mx-auto p-6 gap-3'


async def forgot_password_page(request: Request) -> None:
    who = await principal()
    with frame('Forgot your password', who), ui.card().classes(CARD) as card:
        ui.label('Forgot your password?').classes('text-2xl font-bold')
        ui.label('Give the email address of your account: we will send it a link to choose a new password.').classes(
            'text-gray-600'
        )
        email = ui.input('Email').props('outlined type=email autocomplete=email autofocus').classes('w-full')

        async def send() -> None:
            button.disable()
            try:
                await call(password_reset.request_reset, email=email.value, client=client_of(request)['client'])
            except DomainError as error:  # a malformed address, too many requests, a busy database
                email.error = error.message
                button.enable()
                return
            card.clear()
            with card.classes('items-center text-center'):
                ui.icon('mark_email_read', size='48px', color='primary')
                ui.label(password_reset.SENT).classes('text-lg').mark('reset-requested')
                ui.link('Back to log in', '/login')

        email.on('keydown.enter', send)
        button = (
            ui.button('Send me a link', on_click=send)
            .props('unelevated no-caps')
            .classes('w-full')
            .mark('forgot-submit')
        )
        ui.link('Back to log in', '/login').classes('text-sm')


async def reset_password_page(token: str = '') -> None:
    who = await principal()
    usable = await call(password_reset.link_is_valid, read=True, token=token)
    with frame('Choose a new password', who), ui.card().classes(CARD) as card:
        if not usable:
            answer_not_found()
            _invalid_link()
            return
        ui.label('Choose a new password').classes('text-2xl font-bold')
        ui.label('It logs your account out everywhere; then you log in with the new one.').classes('text-gray-600')
        fields = {
            'password': ui.input('New password', password=True, password_toggle_button=True).props(
                'outlined autocomplete=new-password autofocus hint="8–128 characters"'
            ),
            'password_confirm': ui.input('New password again', password=True).props(
                'outlined autocomplete=new-password'
            ),
        }
        for element in fields.values():
            element.classes('w-full')

        async def change() -> None:
            try:
                await call_hashing(
                    password_reset.confirm_reset,
                    token=token,
                    **{name: element.value for name, element in fields.items()},
                )
            except Invalid as error:
                if 'token' in error.errors:  # used or expired meanwhile: no password can help now
                    card.clear()
                    with card:
                        _invalid_link()
                    return
                show_errors(error, fields)
                return
            except DomainError as error:
                show_errors(error, fields)
                return
            card.clear()
            with card.classes('items-center text-center'):
                ui.icon('task_alt', size='48px', color='positive')
                ui.label('Your password is changed. Please log in.').classes('text-lg').mark('reset-done')
                ui.button('Log in', on_click=lambda: ui.navigate.to('/login')).props('unelevated no-caps').classes(
                    'w-full'
                ).mark('reset-login')

        fields['password_confirm'].on('keydown.enter', change)
        ui.button('Change password', on_click=change).props('unelevated no-caps').classes('w-full').mark('reset-submit')


def _invalid_link() -> None:
    with ui.column().classes('w-full items-center text-center gap-3'):
        ui.icon('link_off', size='48px', color='negative')
        ui.label(password_reset.INVALID_LINK).classes('text-lg').mark('reset-invalid')
        ui.link('Ask for a new link', '/forgot-password').mark('ask-again')
