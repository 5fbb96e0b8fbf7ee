"""The admin's list of accounts: search, page through, disable and re-enable."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable

from nicegui import ui

from models import Role
from services import users
from services.errors import DomainError
from services.formats import when
from services.sessions import Principal
from services.users import UserView
from services.words import role_name
from ui.common import call, notify_error
from ui.confirm import confirm
from ui.guard import page_for
from ui.layout import empty_state, frame

PAGE_SIZE = 25


@page_for(Role.ADMIN, title='Users', refusal='Only admins can see every account.')
async def users_page(who: Principal) -> None:
    with frame('Users', who):
        ui.label('Users').classes('text-3xl font-bold')
        state = {'q': '', 'page': 1}
        search = (
            ui.input('Search username or name')
            .props('outlined dense clearable debounce=350')
            .classes('w-full max-w-md')
            .mark('user-search')
        )

        @ui.refreshable
        async def listing() -> None:
            found = await call(
                users.list_users,
                read=True,
                actor_id=who.user_id,
                q=state['q'] or '',
                limit=PAGE_SIZE,
                offset=(state['page'] - 1) * PAGE_SIZE,
            )
            if not found.items:
                empty_state('person_search', 'No accounts match', 'Try another name.')
                return
            with ui.column().classes('w-full gap-2'):
                for account in found.items:
                    _user_row(account, is_self=account.id == who.user_id, toggle=toggle, lift=lift)
            pages = max(1, math.ceil(found.total / PAGE_SIZE))
            if pages > 1:
                ui.pagination(1, pages, direction_links=True, value=state['page'], on_change=lambda e: go(e.value))

        async def go(page: int) -> None:
            state['page'] = page
            listing.refresh()

        async def toggle(account: UserView) -> None:
            if account.is_active and not await confirm(
                f'Disable {account.username}?',
                f'{account.name} is logged out everywhere and cannot log in until the account is enabled again. '
                'Their bookings stay as they are.',
                yes='Disable',
                no='Cancel',
                mark='confirm-disable',
            ):
                return
            try:
                await call(users.set_active, actor_id=who.user_id, user_id=account.id, active=not account.is_active)
            except DomainError as error:
                notify_error(error)
                return
            ui.notify(
                f'{account.username} is {"enabled" if not account.is_active else "disabled and logged out"}.',
                type='positive',
            )
            listing.refresh()

        async def lift(account: UserView) -> None:
            try:
                await call(users.lift_login_limits, actor_id=who.user_id, user_id=account.id)
            except DomainError as error:
                notify_error(error)
                return
            ui.notify(f'{account.username} may try to log in again from anywhere.', type='positive')

        def on_search() -> None:
            state.update(q=search.value or '', page=1)
            listing.refresh()

        search.on_value_change(on_search)
        await listing()
    return None


def _user_row(
    account: UserView,
    *,
    is_self: bool,
    toggle: Callable[[UserView], Awaitable[None]],
    lift: Callable[[UserView], Awaitable[None]],
) -> None:
    with ui.card().classes('w-full p-3').mark(f'user-{account.username}'):
        with ui.row().classes('w-full items-center justify-between gap-2'):
            with ui.column().classes('gap-0'):
                ui.label(f'{account.name} (@{account.username})').classes('font-medium break-all')
                seen = when(account.last_seen_at) if account.last_seen_at else 'never'
                ui.label(f'{role_name(account.role)} · {account.email} · last login {seen}').classes(
                    'text-sm text-gray-600'
                )
            with ui.row().classes('items-center gap-2'):
                ui.badge(
                    'Active' if account.is_active else 'Disabled', color='positive' if account.is_active else 'grey'
                )
                ui.button(icon='lock_open', on_click=lambda: lift(account)).props(
                    'flat dense round aria-label="Lift login limits"'
                ).tooltip('Lift login limits').mark(f'lift-{account.username}')
                if not is_self:
                    ui.button('Disable' if account.is_active else 'Enable', on_click=lambda: toggle(account)).props(
                        f'outline dense no-caps color={"negative" if account.is_active else "positive"}'
                    ).mark('toggle-user')
