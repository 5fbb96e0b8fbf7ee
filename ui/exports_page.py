"""Exports: start one from any page, follow it in a dialog or not at all, find it under My exports."""

from __future__ import annotations

from nicegui import ui

from models import ExportFormat, ExportKind, ExportStatus, Role
from services import exports
from services.errors import DomainError
from services.exports import ExportView
from services.formats import when
from services.sessions import Principal
from services.words import plural
from ui.common import call, cut_short, notify_error
from ui.guard import page_for
from ui.layout import empty_state, frame

POLL_SECONDS = 1.0
STATUS_LOOK: dict[str, tuple[str, str, str]] = {
    ExportStatus.PENDING: ('Waiting', 'grey-7', 'schedule'),
    ExportStatus.RUNNING: ('Running', 'primary', 'autorenew'),
    ExportStatus.DONE: ('Ready', 'positive', 'check_circle'),
    ExportStatus.FAILED: ('Failed', 'negative', 'error'),
}
FORMAT_NAMES: dict[str, str] = {ExportFormat.CSV: 'CSV', ExportFormat.XLSX: 'Excel'}


def download_url(job: ExportView) -> str:
    return f'/api/v1/exports/{job.id}/file'


def download(job: ExportView) -> None:
    ui.download.from_url(download_url(job), filename=job.filename)


def status_badge(job: ExportView) -> None:
    label, color, icon = STATUS_LOOK[job.status]
    ui.chip(label, icon=icon, color=color, text_color='white').props('dense square').mark('export-status')


def export_buttons(who: Principal, kind: ExportKind, target_id: int | None = None, *, label: str = 'Export') -> None:
    """A button with a menu: CSV or Excel. Without a label it is a round icon button."""
    button = ui.button(label, icon='download').props('outline no-caps dense' if label else 'flat round dense')
    if not label:
        button.props['aria-label'] = 'Export'
        button.tooltip('Export')
    with button.mark(f'export-{kind}'), ui.menu():
        for fmt, name in FORMAT_NAMES.items():
            ui.menu_item(f'{name} (.{fmt})', on_click=lambda f=fmt: start_export(who, kind, target_id, f)).mark(
                f'export-{kind}-{fmt}'
            )


async def start_export(who: Principal, kind: ExportKind, target_id: int | None, fmt: ExportFormat) -> None:
    """Record the job, then follow it in a dialog the person may close: the export goes on either way."""
    try:
        job = await call(exports.request_export, actor_id=who.user_id, kind=kind, target_id=target_id, format=fmt)
    except DomainError as error:
        notify_error(error)
        return
    client = ui.context.client
    with client.content, ui.dialog() as dialog, ui.card().classes('w-full max-w-md p-6 gap-3').mark('export-dialog'):
        ui.label(f'Exporting {job.title}').classes('text-lg font-bold')
        state = ui.label('Waiting for a free worker…').classes('text-sm text-gray-600').mark('export-state')
        bar = (
            ui.linear_progress(value=0, show_value=False)
            .props('rounded size=8px aria-label="Export progress"')
            .classes('w-full')
        )
        ui.label('You can close this and keep working: the export carries on and is listed under My exports.').classes(
            'text-xs text-gray-500'
        )
        with ui.row().classes('w-full justify-end'):
            ui.button('My exports', on_click=lambda: ui.navigate.to('/exports')).props('flat no-caps')
            ui.button('Close', on_click=dialog.close).props('flat no-caps').mark('export-close')
            fetch = ui.button('Download', icon='download').props('unelevated no-caps').mark('export-download')
            fetch.set_enabled(False)
    dialog.open()

    async def poll() -> None:
        try:
            current = await call(exports.get_export, actor_id=who.user_id, job_id=job.id, read=True)
        except DomainError as error:
            timer.deactivate()
            notify_error(error)
            return
        bar.value = current.progress / 100
        if current.status == ExportStatus.RUNNING:
            state.text = f'{plural(current.rows, "row")} written ({current.progress}%)'
        if current.active:
            return
        timer.deactivate()
        bar.visible = False
        if current.status == ExportStatus.DONE:
            state.text = f'Ready: {plural(current.rows, "row")}.'
            fetch.on_click(lambda: download(current))
            fetch.set_enabled(True)
            ui.notify(f'Your export of {current.title} is ready.', type='positive')
        else:
            state.text = current.error or 'The export failed.'
            ui.notify(f'The export of {current.title} failed: {current.error}', type='negative')

    with client.content:
        timer = ui.timer(POLL_SECONDS, poll)


@page_for()
async def exports_page(who: Principal) -> None:
    with frame('My exports', who):
        ui.label('My exports').classes('text-3xl font-bold')
        ui.label('Files you exported in the last day. They are deleted after that; export again any time.').classes(
            'text-sm text-gray-600'
        )

        @ui.refreshable
        async def listing() -> None:
            jobs = await call(exports.my_exports, actor_id=who.user_id, read=True)
            if not jobs:
                hint = (
                    'Export a theatre or a show from the dashboard or the summary, or your bookings from My bookings.'
                    if who.role in (Role.MANAGER, Role.ADMIN)
                    else 'Export your booking history from My bookings.'
                )
                empty_state('download', 'No exports yet', hint)
                return
            with ui.column().classes('w-full gap-2').mark('exports'):
                for job in jobs:
                    _export_row(job)
            poller.active = any(job.active for job in jobs)

        poller = ui.timer(POLL_SECONDS, listing.refresh, active=False)
        await listing()
    return None


def _export_row(job: ExportView) -> None:
    with ui.card().classes('w-full p-4').mark(f'export-{job.id}'):
        with ui.row().classes('w-full items-center justify-between gap-3 no-wrap'):
            with ui.column().classes('gap-1 min-w-0'):
                cut_short(job.title, 'font-bold').mark('export-title')
                ui.label(f'{FORMAT_NAMES[job.format]} · started {when(job.created_at)}').classes(
                    'text-sm text-gray-600'
                )
                if job.status == ExportStatus.DONE:
                    ui.label(plural(job.rows, 'row')).classes('text-sm text-gray-600')
                elif job.status == ExportStatus.FAILED:
                    ui.label(job.error or 'The export failed.').classes('text-sm text-negative')
                else:
                    ui.linear_progress(value=job.progress / 100, show_value=False).props(
                        'rounded aria-label="Export progress"'
                    ).classes('w-48')
            with ui.row().classes('items-center gap-2 no-wrap'):
                status_badge(job)
                if job.status == ExportStatus.DONE:
                    ui.button(icon='download', on_click=lambda: download(job)).props(
                        'flat round aria-label="Download"'
                    ).mark('download').tooltip('Download')
