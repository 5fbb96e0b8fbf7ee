"""Email pages: unsubscribing from a link (no login), and the admin's view of the mail jobs, the email queue and
the outbox folder."""

from __future__ import annotations

from typing import Any

from nicegui import app, run, ui

from models import MailKind, OutboxStatus, Role, RunStatus
from services import preferences
from services.errors import DomainError, NotFound
from services.formats import when
from services.mail import admin as mail_admin
from services.sessions import Principal
from ui.common import call, notify_error, principal
from ui.components import responsive_table
from ui.guard import page_for
from ui.layout import empty_state, frame
from ui.not_found import answer_not_found

KIND_LABELS: dict[str, str] = {MailKind.REMINDER: 'Daily reminder', MailKind.REPORT: 'Monthly reports'}
QUEUE_STATUSES: dict[OutboxStatus, tuple[str, str]] = {  # label and badge colour, in the order the counts show
    OutboxStatus.PENDING: ('Waiting', 'primary'),
    OutboxStatus.CLAIMED: ('Being sent', 'primary'),
    OutboxStatus.SENDING: ('Being sent', 'primary'),
    OutboxStatus.FAILED: ('Failed', 'negative'),
    OutboxStatus.EXPIRED: ('Expired', 'grey-8'),
    OutboxStatus.SENT: ('Sent', 'positive'),
}


def _sent_or_next(email: mail_admin.QueuedEmail) -> str:
    """When it went, or when it is tried next while it waits."""
    if email.sent_at is not None:
        return when(email.sent_at)
    return when(email.next_attempt_at) if email.status == OutboxStatus.PENDING else ''


async def unsubscribe_page(t: str = '') -> None:
    """One click in an email ends that kind of email at once; the page offers to undo it."""
    who = await principal()
    with frame('Emails', who), ui.card().classes('w-full max-w-lg mx-auto p-8 gap-3 items-center text-center'):
        try:
            done = await call(preferences.unsubscribe, token=t)
        except DomainError as error:
            if isinstance(error, NotFound):
                answer_not_found()
            ui.icon('link_off', size='48px', color='negative')
            ui.label(error.message).classes('text-lg').mark('unsubscribe-result')
            return
        ui.icon('unsubscribe', size='48px', color='primary')
        ui.label(f'You will get no more {done.kind_name}.').classes('text-xl font-bold').mark('unsubscribe-result')
        ui.label(f'This applies to {done.email} from now on.').classes('text-gray-600')

        async def undo() -> None:
            try:
                again = await call(preferences.unsubscribe, token=t, subscribe=True)
            except DomainError as error:  # the database was busy: nothing changed, the button stays
                notify_error(error)
                return
            ui.notify(f'You will get {again.kind_name} again.', type='positive')
            undo_button.disable()

        undo_button = ui.button('Undo: keep getting them', on_click=undo).props('outline no-caps').mark('resubscribe')
        ui.link('Choose all your emails on your account page', '/account').classes('text-sm')


@page_for(Role.ADMIN, title='Mail', refusal='Only admins can see the mail jobs.')
async def mail_admin_page(who: Principal) -> None:
    with frame('Mail', who):
        ui.label('Mail jobs').classes('text-3xl font-bold')
        scheduler = getattr(app.state, 'mail_scheduler', None)
        with ui.row().classes('w-full gap-3'):
            for kind, label in KIND_LABELS.items():
                with ui.card().classes('grow basis-72 p-4 gap-2').mark(f'job-{kind}'):
                    ui.label(label).classes('text-lg font-bold')
                    upcoming = scheduler.next_runs().get(kind) if scheduler is not None else None
                    ui.label(
                        f'Next run: {when(upcoming)}' if upcoming else 'The scheduler is off in this instance.'
                    ).classes('text-sm text-gray-600')
                    with ui.row().classes('gap-2'):
                        ui.button('Dry run', on_click=lambda k=kind: start(k, True)).props('outline no-caps').mark(
                            f'dry-{kind}'
                        )
                        ui.button('Send now', on_click=lambda k=kind: start(k, False)).props('unelevated no-caps').mark(
                            f'send-{kind}'
                        )

        async def start(kind: MailKind, dry_run: bool) -> None:
            try:
                job = await call(mail_admin.run_now, actor_id=who.user_id, kind=kind, dry_run=dry_run)
            except DomainError as error:
                notify_error(error)
                return
            ui.notify(f'{KIND_LABELS[kind]}: {"dry run" if dry_run else "run"} started…', type='info')
            result = await run.io_bound(job)
            ui.notify(
                result.describe(), type='positive' if result.status == RunStatus.DONE else 'negative', multi_line=True
            )
            runs.refresh()
            outbox.refresh()

        ui.label('Last runs').classes('text-xl font-bold mt-2')

        @ui.refreshable
        async def runs() -> None:
            items = await call(mail_admin.recent_runs, actor_id=who.user_id, read=True)
            if not items:
                empty_state(
                    'schedule_send', 'No runs yet', 'Runs appear here once the scheduler or an admin starts one.'
                )
                return
            rows: list[dict[str, Any]] = [
                {
                    'id': r.id,
                    'when': when(r.started_at),
                    'job': KIND_LABELS[r.kind] + (' (dry run)' if r.dry_run else ''),
                    'period': r.period,
                    'trigger': r.trigger,
                    'status': r.status,
                    'sent': r.sent,
                    'failed': r.failed,
                    'skipped': r.skipped,
                    'error': r.error or '',
                }
                for r in items
            ]
            columns = [
                {'name': n, 'label': label, 'field': n, 'align': 'left'}
                for n, label in [
                    ('when', 'Started'),
                    ('job', 'Job'),
                    ('period', 'Period'),
                    ('trigger', 'By'),
                    ('status', 'Status'),
                    ('sent', 'Sent'),
                    ('failed', 'Failed'),
                    ('skipped', 'Skipped'),
                    ('error', 'Error'),
                ]
            ]
            responsive_table(rows, columns, marker='runs')

        await runs()
        with ui.row().classes('w-full items-center gap-2 mt-2'):
            ui.label('Email queue').classes('text-xl font-bold')
            ui.button(icon='refresh', on_click=lambda: queue.refresh()).props('flat round aria-label="Refresh"').mark(
                'queue-refresh'
            )
        ui.label(
            'Emails a change asks for, such as password-reset links: the elected instance sends each within seconds, '
            'once; refused ones are tried again a few times.'
        ).classes('text-sm text-gray-600')

        @ui.refreshable
        async def queue() -> None:
            found = await call(mail_admin.email_queue, actor_id=who.user_id, read=True)
            counts: dict[str, int] = {}
            for status, count in found.counts.items():
                label = QUEUE_STATUSES[status][0]
                counts[label] = counts.get(label, 0) + count
            colours = {label: colour for label, colour in QUEUE_STATUSES.values()}
            with ui.row().classes('gap-2').mark('queue-counts'):
                for label, count in counts.items():
                    ui.badge(f'{label}: {count}', color=colours[label]).classes('text-sm px-2 py-1')
                if found.stuck:
                    ui.badge(f'Stopped mid-send, may have gone: {found.stuck}', color='warning').classes(
                        'text-sm px-2 py-1'
                    )
            if not found.latest:
                empty_state('outgoing_mail', 'No email queued yet', 'Password-reset emails appear here once asked for.')
                return
            rows: list[dict[str, Any]] = [
                {
                    'id': m.id,
                    'when': when(m.created_at),
                    'kind': m.kind.replace('_', ' ').capitalize(),
                    'to': m.to,
                    'subject': m.subject,
                    'status': QUEUE_STATUSES[m.status][0] + (' (stopped mid-send)' if m.stuck else ''),
                    'tries': m.attempts,
                    'next': _sent_or_next(m),
                    'error': m.error or '',
                }
                for m in found.latest
            ]
            columns = [
                {'name': n, 'label': label, 'field': n, 'align': 'left'}
                for n, label in [
                    ('when', 'Queued'),
                    ('kind', 'Email'),
                    ('to', 'To'),
                    ('subject', 'Subject'),
                    ('status', 'Status'),
                    ('tries', 'Tries'),
                    ('next', 'Sent / next try'),
                    ('error', 'Last error'),
                ]
            ]
            responsive_table(rows, columns, marker='queue')

        await queue()
        ui.label('Outbox folder').classes('text-xl font-bold mt-2')
        ui.label('With no SMTP server configured, every email is written here as a file a mail client opens.').classes(
            'text-sm text-gray-600'
        )

        @ui.refreshable
        async def outbox() -> None:
            items = await call(mail_admin.outbox, actor_id=who.user_id, read=True)
            if not items:
                empty_state('inbox', 'The outbox is empty', 'Emails appear here when SMTP is not configured.')
                return
            with ui.column().classes('w-full gap-1').mark('outbox'):
                for item in items:
                    with ui.row().classes('w-full items-center justify-between border-b border-gray-200 py-1 no-wrap'):
                        with ui.column().classes('gap-0 min-w-0'):  # wrapped, not cut: the date must show on a phone
                            ui.label(item.subject).classes('font-medium')
                            ui.label(f'to {item.to} · {when(item.written_at)}').classes('text-sm text-gray-600')
                        ui.button(
                            icon='download',
                            on_click=lambda n=item.name: ui.download.from_url(f'/api/v1/admin/outbox/{n}'),
                        ).props('flat round aria-label="Download"')

        await outbox()
    return None
