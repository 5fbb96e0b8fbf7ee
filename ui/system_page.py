"""The admin's system page: health checks, the instances running, the scheduler's leader, the queues, the last mail
runs and the var folder's disk use, on one page that refreshes itself every few seconds."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from nicegui import ui

from models import MailKind, Role
from models.db import utcnow
from services import health, system
from services.config import get_settings
from services.formats import when
from services.sessions import Principal
from services.words import percent, plural
from ui.common import call
from ui.components import responsive_table
from ui.guard import page_for
from ui.layout import empty_state, frame

REFRESH_SECONDS = 5.0
STATE_LOOKS = {'ok': ('check_circle', 'positive', 'OK'), 'degraded': ('warning', 'warning', 'Degraded'),
               'failed': ('error', 'negative', 'Failed')}  # fmt: skip
CHECK_NAMES = {
    'database': 'Database',
    'migrations': 'Schema',
    'redis': 'Redis',
    'scheduler': 'Scheduler',
    'outbox': 'Email outbox',
}
KIND_LABELS = {MailKind.REMINDER: 'Daily reminder', MailKind.REPORT: 'Monthly reports'}


def _ago(moment: dt.datetime, now: dt.datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return plural(seconds, 'second') + ' ago'
    return plural(seconds // 60, 'minute') + ' ago'


def _size(count: int) -> str:
    for unit, scale in (('GB', 1e9), ('MB', 1e6), ('kB', 1e3)):
        if count >= scale:
            return f'{count / scale:,.1f} {unit}'
    return plural(count, 'byte')


@page_for(Role.ADMIN, title='System', refusal='Only admins can see the system page.')
async def system_page(who: Principal) -> None:
    settings = get_settings()
    with frame('System', who):
        with ui.row().classes('w-full items-center gap-2'):
            ui.label('System').classes('text-3xl font-bold')
            ui.space()
            updated = ui.label().classes('text-sm text-gray-600').mark('updated')
            ui.button(icon='refresh', on_click=lambda: status.refresh()).props('flat round aria-label="Refresh"')

        @ui.refreshable
        async def status() -> None:
            now = utcnow()
            found = await call(system.system_status, actor_id=who.user_id, now=now, read=True)  # in this page's slot
            readiness, disk, leader = await asyncio.gather(  # the rest off the loop, side by side
                health.readiness(),
                asyncio.to_thread(system.disk_use, settings.var_dir),
                asyncio.to_thread(health.leader_id),
            )
            updated.set_text(f'Updated {when(now)} · every {REFRESH_SECONDS:g} s')
            _health(readiness)
            _instances(found.instances, leader, now)
            _queues(found.queues)
            _runs(found.runs)
            _disk(disk)

        await status()
        ui.timer(REFRESH_SECONDS, status.refresh)


def _health(readiness: health.Readiness) -> None:
    ui.label('Health').classes('text-xl font-bold mt-2')
    ui.label(
        "This instance's view, as GET /readyz answers it: "
        + {'ready': 'everything is fine.', 'degraded': 'serving, but something needs a look.'}.get(
            readiness.status, 'this instance cannot serve.'
        )
    ).classes('text-sm text-gray-600')
    with ui.row().classes('w-full gap-3').mark('health'):
        for name, check in readiness.checks.items():
            icon, colour, word = STATE_LOOKS[check.state]
            with ui.card().classes('grow basis-56 p-3 gap-1').mark(f'check-{name}'):
                with ui.row().classes('items-center gap-2 no-wrap'):
                    ui.icon(icon, color=colour).classes('text-2xl')
                    ui.label(CHECK_NAMES.get(name, name)).classes('font-bold')
                    ui.badge(word, color=colour)
                ui.label(check.detail).classes('text-sm text-gray-700 break-words')


def _instances(instances: list[system.InstanceView], leader: str | None, now: dt.datetime) -> None:
    ui.label('Instances').classes('text-xl font-bold mt-2')
    if not instances:
        empty_state('dns', 'No instance seen in the last minute', 'Each instance writes its row every 15 seconds.')
        return
    rows: list[dict[str, Any]] = [
        {
            'id': i.id,
            'instance': i.id[:8]
            + (' · this one' if i.this_one else '')
            + (' · runs the scheduled jobs' if i.id == leader else ''),
            'where': f'{i.host}:{i.port}',
            'pid': i.pid,
            'started': when(i.started_at),
            'seen': _ago(i.seen_at, now),
        }
        for i in instances
    ]
    columns = [
        {'name': n, 'label': label, 'field': n, 'align': 'left'}
        for n, label in [('instance', 'Instance'), ('where', 'Host'), ('pid', 'Process'), ('started', 'Started'),
                         ('seen', 'Last seen')]
    ]  # fmt: skip
    responsive_table(rows, columns, marker='instances')
    if leader is None:
        ui.label('No instance holds the scheduler lease: mail jobs and the email outbox wait.').classes(
            'text-sm text-negative'
        )


def _queues(queues: system.QueueDepths) -> None:
    ui.label('Queues').classes('text-xl font-bold mt-2')
    outbox_waiting = queues.outbox.get('pending', 0)
    outbox_sending = queues.outbox.get('claimed', 0) + queues.outbox.get('sending', 0)
    exports_waiting = queues.exports.get('pending', 0)
    exports_running = queues.exports.get('running', 0)
    with ui.row().classes('w-full gap-3').mark('queues'):
        for title, figure, hint in [
            ('Emails waiting', outbox_waiting, f'{plural(outbox_sending, "being sent", "being sent")}'),
            ('Emails failed', queues.outbox.get('failed', 0), f'{queues.outbox.get("sent", 0):,} sent in all'),
            ('Exports queued', exports_waiting, f'{exports_running:,} running'),
            ('Exports failed', queues.exports.get('failed', 0), f'{queues.exports.get("done", 0):,} done'),
            ('Waiting-list offers open', queues.offers_open, 'waiting for an answer'),
        ]:
            with ui.card().classes('grow basis-40 p-3 gap-0'):
                ui.label(title).classes('text-sm text-gray-600')
                ui.label(f'{figure:,}').classes('text-2xl font-bold')
                ui.label(hint).classes('text-xs text-gray-600')


def _runs(runs: list[system.RunView]) -> None:
    ui.label('Last mail runs').classes('text-xl font-bold mt-2')
    if not runs:
        empty_state('schedule_send', 'No runs yet', 'The daily reminder and monthly reports appear here once run.')
        return
    rows: list[dict[str, Any]] = [
        {
            'id': n,
            'job': KIND_LABELS.get(r.kind, r.kind) + (' (dry run)' if r.dry_run else ''),
            'period': r.period,
            'status': r.status,
            'sent': r.sent,
            'failed': r.failed,
            'started': when(r.started_at),
        }
        for n, r in enumerate(runs)
    ]
    columns = [
        {'name': n, 'label': label, 'field': n, 'align': 'left'}
        for n, label in [('started', 'Started'), ('job', 'Job'), ('period', 'Period'), ('status', 'Status'),
                         ('sent', 'Sent'), ('failed', 'Failed')]
    ]  # fmt: skip
    responsive_table(rows, columns, marker='runs')


def _disk(disk: system.DiskUse) -> None:
    ui.label('Disk').classes('text-xl font-bold mt-2')
    used_share = 1 - disk.free_bytes / disk.total_bytes if disk.total_bytes else 0.0
    with ui.card().classes('w-full p-3 gap-1').mark('disk'):
        ui.label(f'The var folder ({disk.folder}) holds {_size(disk.used_bytes)}').classes('break-all')
        ui.linear_progress(
            value=used_share, show_value=False, color='warning' if used_share > 0.9 else 'primary'
        ).props('aria-label="Disk used" rounded size=10px')
        ui.label(
            f'{_size(disk.free_bytes)} free of {_size(disk.total_bytes)} '
            f'({percent(disk.total_bytes - disk.free_bytes, disk.total_bytes)} used)'
        ).classes('text-sm text-gray-600')
