"""Log in, sign up, log out.

A login on a page gets a one-time ticket, bound to the browser that asked, and the browser redeems it at
`/auth/session`, which gives the browser a new id in its signed cookie and binds the session to that id:
a cookie planted before the login is left with nothing. Logging out is a button, never a link.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from models import Role
from services import auth, sessions, workers
from services.errors import Busy, DomainError
from ui.common import browser_id, call_hashing, client_of, log_out, principal, safe_target, show_errors
from ui.layout import frame


def _redeem(ticket: str, target: str) -> None:
    """Hand the browser to /auth/session, which swaps its id and binds the new session to it."""
    ui.navigate.to('/auth/session?' + urlencode({'ticket': ticket, 'next': target}))


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
                _user, ticket = await call_hashing(
                    auth.log_in,
                    username=username.value,
                    password=password.value,
                    browser_id=browser_id(),
                    **client_of(request),
                )
            except DomainError as error:
                show_errors(error, {'password': password})
                return
            _redeem(ticket, target)

        password.on('keydown.enter', try_login)
        ui.button('Log in', on_click=try_login).props('unelevated no-caps').classes('w-full').mark('login-submit')
        with ui.row().classes('w-full justify-between gap-1 text-sm'):
            with ui.row().classes('gap-1'):
                ui.label('New here?')
                ui.link('Create an account', f'/signup?redirect_to={quote(target, safe="")}')
            ui.link('Forgot your password?', '/forgot-password').mark('forgot-password')
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
            ui.radio({Role.USER: 'An audience member', Role.MANAGER: 'A theatre manager'}, value=Role.USER)
            .props('inline')
            .mark('role')
        )
        fields['role'] = role

        async def try_signup() -> None:
            values = {name: element.value for name, element in fields.items()}
            try:
                user, ticket = await call_hashing(
                    auth.signup_and_log_in, browser_id=browser_id(), **client_of(request), **values
                )
            except DomainError as error:
                show_errors(error, {k: v for k, v in fields.items() if k != 'role'})
                return
            ui.notify(f'Welcome, {user.name}!', type='positive')
            _redeem(ticket, target)

        ui.button('Sign up', on_click=try_signup).props('unelevated no-caps').classes('w-full mt-2').mark(
            'signup-submit'
        )
        with ui.row().classes('gap-1 text-sm'):
            ui.label('Have an account?')
            ui.link('Log in', f'/login?redirect_to={quote(target, safe="")}')
    return None


async def complete_login(request: Request, ticket: str = '', next: str = '/') -> RedirectResponse:
    """Redeem a login ticket: the browser gets a new id, and the session is bound to it."""
    new_id = str(uuid.uuid4())
    redeem = {'ticket': ticket[:200], 'browser_id': str(request.session.get('id', '')), 'new_browser_id': new_id}
    try:
        done = await workers.run_write(workers.in_transaction, sessions.complete_browser_login, redeem)
    except Busy:
        done = False  # nothing was changed; the login page again
    if done:
        request.session['id'] = new_id
        return RedirectResponse(safe_target(next), status_code=303)
    return RedirectResponse('/login', status_code=303)


async def renew_browser(request: Request, deleted: str = '') -> RedirectResponse:
    """After a logout: a browser that nobody is logged in on gets a new id. A link here logs nobody out.
    After deleting one's account (`deleted`), the home page says it was done."""
    browser = {'browser_id': str(request.session.get('id', ''))}
    if await workers.run_read(workers.in_transaction, sessions.for_browser, browser) is None:
        request.session['id'] = str(uuid.uuid4())
    return RedirectResponse('/?account_deleted=1' if deleted else '/', status_code=303)


async def logout_page() -> RedirectResponse | None:
    """A link to /logout (from anywhere) only asks: the button does it."""
    who = await principal()
    if who is None:
        return RedirectResponse('/', status_code=303)
    with frame('Log out', who), ui.card().classes('w-full max-w-sm mx-auto p-6 gap-3 items-center text-center'):
        ui.icon('logout', size='40px', color='primary')
        ui.label(f'Log out of TicketShow, {who.name}?').classes('text-lg')
        ui.button('Log out', on_click=log_out).props('unelevated no-caps').classes('w-full').mark('logout-submit')
    return None
