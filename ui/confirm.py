"""One question before a step that is hard to undo: a dialog with the step's own words on its buttons."""

from __future__ import annotations

from nicegui import ui


async def confirm(
    title: str, text: str, *, yes: str = 'Delete', no: str = 'Keep', mark: str = 'confirm-delete'
) -> bool:
    """True when the person presses `yes`; False for `no`, Escape or a click outside."""
    with ui.dialog() as dialog, ui.card().classes('p-6 gap-3 max-w-md').mark('confirm-dialog'):
        ui.label(title).classes('text-xl font-bold break-words')
        ui.label(text).classes('break-words')
        with ui.row().classes('w-full justify-end'):
            ui.button(no, on_click=lambda: dialog.submit(False)).props('flat no-caps')
            ui.button(yes, on_click=lambda: dialog.submit(True)).props('unelevated no-caps color=negative').mark(mark)
    result = await dialog
    dialog.delete()
    return bool(result)
