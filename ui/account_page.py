"""The account page: who you are, your password, and every device you are logged in on."""

from __future__ import annotations

from nicegui import ui

from models import Role
from services import auth, preferences, sessions
from services.errors import DomainError
from services.formats import when
from services.sessions import Principal
from services.words import role_name
from ui.account_details import danger_card, details_card
from ui.common import call, call_hashing, notify_error, show_errors
from ui.guard import page_for
from ui.layout import frame


@page_for()
async def account_page(who: Principal) -> None:
    with frame('Account', who):
        ui.label('Your account').classes('text-3xl font-bold')
        with ui.card().classes('w-full p-4 gap-1'):
            ui.label(who.name).classes('text-xl font-bold')
            role = role_name(who.role)
            ui.label(f'@{who.username} · {role}').classes('text-gray-600')

        await details_card(who)

        with ui.row().classes('w-full gap-4 items-start'):
            with ui.card().classes('grow basis-80 p-4 gap-2').mark('password-card'):
                ui.label('Change password').classes('text-lg font-bold')
                ui.label('Every other device is logged out when you change it.').classes('text-sm text-gray-600')
                fields = {
                    'current_password': ui.input('Current password', password=True),
                    'new_password': ui.input('New password', password=True).props('hint="8–128 characters"'),
                    'new_password_confirm': ui.input('New password again', password=True),
                }
                for name, element in fields.items():
                    element.props('outlined autocomplete=new-password').classes('w-full').mark(name)

                async def change() -> None:
                    try:
                        await call_hashing(
                            auth.change_password,
                            user_id=who.user_id,
                            keep_session=who.session_id,
                            **{name: element.value for name, element in fields.items()},
                        )
                    except DomainError as error:
                        show_errors(error, fields)
                        return
                    for element in fields.values():
                        element.value = ''
                        element.error = None
                    ui.notify('Password changed; your other devices are logged out.', type='positive')
                    devices.refresh()

                ui.button('Change password', on_click=change).props('unelevated no-caps').mark('change-password')

            await _email_card(who)

            with ui.card().classes('grow basis-80 p-4 gap-2'):
                ui.label('Where you are logged in').classes('text-lg font-bold')

                @ui.refreshable
                async def devices() -> None:
                    mine = await call(sessions.sessions_of, user_id=who.user_id)
                    for item in mine:
                        with (
                            ui.row()
                            .classes('w-full items-center justify-between border-t py-2')
                            .mark(f'device-{item.id}')
                        ):
                            with ui.column().classes('gap-0'):
                                ui.label(item.device).classes('font-medium')
                                seen = when(item.last_seen)
                                ui.label(f'{item.client or "unknown address"} · last seen {seen}').classes(
                                    'text-sm text-gray-600'
                                )
                            if item.id == who.session_id:
                                ui.badge('This device', color='positive')
                            else:
                                ui.button('Log out', on_click=lambda i=item.id: end(i)).props(
                                    'outline dense no-caps color=negative'
                                ).mark('end-session')

                async def end(sid: str) -> None:
                    await call(sessions.end, user_id=who.user_id, session_id=sid)
                    ui.notify('That device is logged out.', type='positive')
                    devices.refresh()

                await devices()

        danger_card(who)
    return None


async def _email_card(who: Principal) -> None:
    """Which emails to get; a switch saves at once."""
    chosen = await call(preferences.mail_preferences, user_id=who.user_id, read=True)
    with ui.card().classes('grow basis-80 p-4 gap-2').mark('email-card'):
        ui.label('Emails').classes('text-lg font-bold')
        reminders = ui.switch('Daily reminder of shows for me', value=chosen.reminders).mark('wants-reminders')
        ui.label('Only on days after you booked nothing for a day.').classes('text-xs text-gray-600 -mt-2 ml-10')
        reports = ui.switch('Monthly report', value=chosen.reports).mark('wants-reports')
        ui.label(
            'Your bookings of the month' + (' and how your theatres did' if who.role != Role.USER else '')
        ).classes('text-xs text-gray-600 -mt-2 ml-10')

        async def save() -> None:
            try:
                await call(
                    preferences.set_mail_preferences,
                    user_id=who.user_id,
                    reminders=bool(reminders.value),
                    reports=bool(reports.value),
                )
            except DomainError as error:
                notify_error(error)
                return
            ui.notify('Email choices saved.', type='positive')

        reminders.on_value_change(save)
        reports.on_value_change(save)
