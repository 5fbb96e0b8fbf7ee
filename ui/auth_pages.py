"""Log in, sign up, log out."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, run, ui

from services import auth, sessions
from services.errors import DomainError
from services.sessions import Principal
from ui.common import call, client_of, principal, safe_target, show_errors
from ui.layout import frame


def _start_session(token: str, name: str, target: str) -> None:
    app.storage.user.update(token=token, name=name)
    ui.navigate.to(safe_target(target))


async def login_page(request: Request, redirect_to: str = '/') -> RedirectResponse | None:
    target = safe_target(redirect_to)
    if await principal() is not None:
        return RedirectResponse(target, status_code=303)
    with frame('Log in', None), ui.card().classes('w-full max-w-sm mx-auto p-6 gap-3'):
        ui.label('Log in').classes('text-2xl font-bold')
        if target != '/':
            ui.label('Please log in to continue.').classes('text-gray-600').mark('login-reason')
        username = ui.input('Username').props('outlined autofocus autocomplete=username').classes('w-full')
        password = (
            ui.input('Password', password=True, password_toggle_button=True)
            .props('outlined autocomplete=current-password')
            .classes('w-full')
        )

        async def try_login() -> None:
            try:
                user, token = await call(
                    auth.log_in, username=username.value, password=password.value, **client_of(request)
                )
            except DomainError as error:
                show_errors(error, {'password': password})
                return
            _start_session(token, user.name, target)

        password.on('keydown.enter', try_login)
        ui.button('Log in', on_click=try_login).props('unelevated no-caps').classes('w-full').mark('login-submit')
        with ui.row().classes('gap-1 text-sm'):
            ui.label('New here?')
            ui.link('Create an account', f'/signup?redirect_to={quote(target, safe="")}')
    return None


async def signup_page(request: Request, redirect_to: str = '/') -> RedirectResponse | None:
    target = safe_target(redirect_to)
    if await principal() is not None:
        return RedirectResponse(target, status_code=303)
    with frame('Sign up', None), ui.card().classes('w-full max-w-md mx-auto p-6 gap-2'):
        ui.label('Create your account').classes('text-2xl font-bold')
        fields = {
            'username': ui.input('Username').props('outlined autocomplete=username hint="3–32 letters, digits, . _ -"'),
            'name': ui.input('Full name').props('outlined autocomplete=name'),
            'email': ui.input('Email').props('outlined type=email autocomplete=email'),
            'password': ui.input('Password', password=True, password_toggle_button=True).props(
                'outlined autocomplete=new-password hint="8–128 characters"'
            ),
            'password_confirm': ui.input('Password again', password=True).props('outlined autocomplete=new-password'),
        }
        for element in fields.values():
            element.classes('w-full')
        ui.label('I am').classes('text-sm text-gray-600 mt-2')
        role = (
            ui.radio({'user': 'An audience member', 'manager': 'A theatre manager'}, value='user')
            .props('inline')
            .mark('role')
        )
        fields['role'] = role

        async def try_signup() -> None:
            values = {name: element.value for name, element in fields.items()}
            try:
                user = await call(auth.signup, **values)
            except DomainError as error:
                show_errors(error, {k: v for k, v in fields.items() if k != 'role'})
                return
            ui.notify(f'Welcome, {user.name}!', type='positive')
            token = await run.io_bound(sessions.store().create, Principal.of(user), **client_of(request))
            _start_session(token, user.name, target)

        ui.button('Sign up', on_click=try_signup).props('unelevated no-caps').classes('w-full mt-2').mark(
            'signup-submit'
        )
        with ui.row().classes('gap-1 text-sm'):
            ui.label('Have an account?')
            ui.link('Log in', f'/login?redirect_to={quote(target, safe="")}')
    return None


async def logout_page() -> RedirectResponse:
    await run.io_bound(sessions.store().revoke, app.storage.user.get('token'))
    app.storage.user.clear()
    return RedirectResponse('/', status_code=303)
