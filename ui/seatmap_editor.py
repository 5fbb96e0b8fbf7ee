"""The manager's seat-map editor: generate a map, then edit it on the drawn map, and save it.

Select seats by clicking (shift-click adds or removes one), or by dragging a rectangle (with shift: added to the
selection); mark them wheelchair, blocked or standard, or delete them; rename or renumber a row, add a row, move
a section, place the stage; undo and redo; export and import the map as JSON in the API's shape. Every change
is a pure function of `services.seating.edit` on the map body; nothing is stored until Save, which the service
checks (and refuses, naming the seats, when a live booking or hold uses a seat the new map removes or blocks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from nicegui import events, ui

from models import Role, SeatKind
from services import theatres
from services.errors import DomainError, NotFound
from services.seating import edit, layout, maps
from services.seating.edit import Body, Key
from services.seating.layout import Stage
from services.sessions import Principal
from services.words import plural
from ui.common import call, notify_error, path_id
from ui.guard import page_for
from ui.layout import frame
from ui.not_found import not_found
from ui.seat_map import SELECTED_STROKE, Dot, SeatCanvas, frame_of, section_colours, svg

DRAG_PIXELS = 6  # a press and release further apart than this is a rectangle, not a click


@dataclass
class _Editor:
    history: edit.History
    selected: set[Key] = field(default_factory=set)
    keys: list[Key] = field(default_factory=list)  # dot id → key
    pressed: tuple[float, float] | None = None
    placing_stage: bool = False

    @property
    def body(self) -> Body:
        return self.history.current


def _dots(body: Body, selected: set[Key]) -> tuple[list[Dot], list[Key]]:
    colours = section_colours(section['name'] for section in body['sections'])
    dots, keys = [], []
    for section in body['sections']:
        for row in section['rows']:
            for seat in row['seats']:
                key = (section['name'], row['label'], seat['label'])
                kind = seat['kind']
                fill = 'none' if kind == SeatKind.BLOCKED else colours[section['name']]
                mark = {SeatKind.WHEELCHAIR: '♿', SeatKind.BLOCKED: '×'}.get(SeatKind(kind), '')
                dots.append(
                    Dot(
                        len(keys),
                        seat['x'],
                        seat['y'],
                        seat['label'],
                        row['label'],
                        section['name'],
                        fill,
                        '#ffffff' if fill != 'none' else '#64748b',
                        SELECTED_STROKE if key in selected else None,
                        mark,
                        f'{section["name"]} {row["label"]}{seat["label"]} ({kind})',
                    )
                )
                keys.append(key)
    return dots, keys


@page_for(
    Role.MANAGER,
    Role.ADMIN,
    title='Seat map',
    refusal='The seat-map editor is for theatre managers.',
)
async def seatmap_page(who: Principal, theatre_id: str) -> None:
    with frame('Seat map', who):
        try:
            theatre = await call(theatres.get_theatre, actor_id=who.user_id, theatre_id=path_id(theatre_id), read=True)
        except NotFound:
            not_found(
                who, 'No such theatre', 'This link leads to no theatre of yours. Your theatres are on the Dashboard.'
            )
            return
        try:
            saved = await call(maps.get_seatmap, actor_id=who.user_id, theatre_id=theatre.id, read=True)
            start: Body = edit.normalise(saved.as_body())
        except NotFound:
            start = {'sections': [], 'stage': {'x': 0.0, 'y': 0.0, 'width': 6.0}}
        ui.page_title(f'Seat map · {theatre.name} · TicketShow')
        ui.link('← Dashboard', '/manage').classes('text-sm')
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label(f'Seat map · {theatre.name}').classes('text-3xl font-bold break-words min-w-0')
            ui.button('Save map', icon='save', on_click=lambda: save()).props('unelevated no-caps').mark('save-map')
        editor = _Editor(edit.History(start))

        def change(body: Body) -> None:
            editor.history.push(body)
            editor.selected &= set(edit.keys(body))
            redraw()

        def apply(operation: str, run: object) -> None:
            """Run an editing step; a step the map refuses says why and changes nothing."""
            try:
                assert callable(run)
                change(run())
            except DomainError as failure:
                problem.text = failure.message
                notify_error(failure)
                return
            problem.text = ''
            ui.notify(operation, type='positive', timeout=1200)

        def on_selection(operation: str, run: object) -> None:
            if not editor.selected:
                ui.notify('Select seats on the map first.', type='warning')
                return
            apply(operation, run)

        def redraw() -> None:
            body = editor.body
            dots, editor.keys = _dots(body, editor.selected)
            stage = Stage(**body['stage']) if body['sections'] else None
            frame_ = frame_of(dots, stage)
            canvas.draw(frame_, svg(frame_, dots, stage))
            total = len(dots)
            blocked = sum(1 for dot in dots if dot.fill == 'none')
            status.text = (
                f'{plural(total, "seat")} · {total - blocked:,} for sale · {len(editor.selected):,} selected'
                if total
                else 'No seats yet: generate a map below, or import one.'
            )
            undo_button.enabled, redo_button.enabled = editor.history.can_undo, editor.history.can_redo
            section_choice.options = [s['name'] for s in body['sections']]
            if section_choice.value not in section_choice.options:
                section_choice.value = section_choice.options[0] if section_choice.options else None
            section_choice.update()
            stage_width.value = round(body['stage']['width'], 1)

        def mouse(event: events.MouseEventArguments) -> None:
            if event.type == 'mousedown':
                editor.pressed = (event.image_x, event.image_y)
                return
            if event.type != 'mouseup' or editor.pressed is None:
                return
            (x0, y0), editor.pressed = editor.pressed, None
            x, y = canvas.frame.seat(event.image_x, event.image_y)
            if editor.placing_stage:
                editor.placing_stage = False
                stage_button.props(remove='color=warning')
                apply('Stage placed.', lambda: edit.set_stage(editor.body, x, y))
                return
            if math.hypot(event.image_x - x0, event.image_y - y0) <= DRAG_PIXELS:
                key = edit.seat_at(editor.body, x, y)
                if key is None:
                    if not event.shift:
                        editor.selected = set()
                elif event.shift:
                    editor.selected ^= {key}
                else:
                    editor.selected = {key}
            else:
                sx, sy = canvas.frame.seat(x0, y0)
                inside = set(edit.in_rect(editor.body, sx, sy, x, y))
                editor.selected = editor.selected | inside if event.shift else inside
            redraw()

        def selected_row() -> tuple[str, str] | None:
            rows = {(section, row) for section, row, _ in editor.selected}
            return next(iter(rows)) if len(rows) == 1 else None

        def rename_row() -> None:
            row = selected_row()
            if row is None:
                ui.notify('Select seats of one row first.', type='warning')
                return
            apply('Row renamed.', lambda: edit.rename_row(editor.body, row[0], row[1], row_label.value or ''))

        def renumber(right_to_left: bool) -> None:
            row = selected_row()
            if row is None:
                ui.notify('Select seats of one row first.', type='warning')
                return
            apply('Row renumbered.', lambda: edit.renumber_row(editor.body, *row, right_to_left=right_to_left))

        def move(dx: float, dy: float) -> None:
            if section_choice.value:
                apply('Section moved.', lambda: edit.move_section(editor.body, section_choice.value, dx, dy))

        def add_row() -> None:
            if section_choice.value:
                count = int(new_row_seats.value) if new_row_seats.value else None
                apply('Row added.', lambda: edit.add_row(editor.body, section_choice.value, seats=count))

        def generate() -> None:
            plan = []
            for name, rows, per_row in generator_rows:
                plan.append((name.value or '', int(rows.value or 0), int(per_row.value or 0)))
            bad = [
                name
                for name, rows, per_row in plan
                if not name.strip() or not 1 <= rows <= 500 or not 1 <= per_row <= 2000
            ]
            if bad or not plan:
                problem.text = 'Each section needs a name, 1–500 rows and 1–2,000 seats per row.'
                return
            body = layout.generate(
                [(n.strip(), r, p) for n, r, p in plan],
                right_to_left=numbering.value == 'rtl',
                aisle_every=int(aisle.value or 0),
            )
            apply('Map generated.', lambda: edit.normalise(body))

        async def export() -> None:
            ui.download.content(edit.to_json(editor.body).encode(), f'seatmap-theatre-{theatre.id}.json')

        async def imported(event: events.UploadEventArguments) -> None:
            text = (await event.file.read()).decode('utf-8', errors='replace')
            apply('Map imported.', lambda: edit.from_json(text))

        async def save() -> None:
            try:
                view = await call(maps.put_seatmap, actor_id=who.user_id, theatre_id=theatre.id, body=editor.body)
            except DomainError as failure:
                problem.text = failure.message
                notify_error(failure)
                return
            problem.text = ''
            ui.notify(f'Seat map saved: {plural(view.seats, "seat")} for sale.', type='positive')

        with ui.card().classes('w-full p-3 gap-2'):
            with ui.row().classes('w-full items-center gap-1'):
                undo_button = (
                    ui.button(icon='undo', on_click=lambda: (editor.history.undo(), redraw()))
                    .props('flat round aria-label="Undo"')
                    .mark('undo')
                )
                redo_button = (
                    ui.button(icon='redo', on_click=lambda: (editor.history.redo(), redraw()))
                    .props('flat round aria-label="Redo"')
                    .mark('redo')
                )
                ui.separator().props('vertical')
                for label, kind, icon in (
                    ('Standard', SeatKind.STANDARD, 'event_seat'),
                    ('Wheelchair', SeatKind.WHEELCHAIR, 'accessible'),
                    ('Blocked', SeatKind.BLOCKED, 'block'),
                ):
                    ui.button(
                        label,
                        icon=icon,
                        on_click=lambda k=kind, t=label: on_selection(
                            f'Marked {t.lower()}.', lambda: edit.set_kind(editor.body, editor.selected, k.value)
                        ),
                    ).props('outline dense no-caps').mark(f'mark-{kind.value}')
                ui.button(
                    'Delete',
                    icon='delete',
                    on_click=lambda: on_selection(
                        'Seats deleted.', lambda: edit.delete_seats(editor.body, editor.selected)
                    ),
                ).props('outline dense no-caps color=negative').mark('delete-seats')
                ui.button(
                    'Select all', on_click=lambda: (editor.selected.update(edit.keys(editor.body)), redraw())
                ).props('flat dense no-caps')
                ui.button('Clear selection', on_click=lambda: (editor.selected.clear(), redraw())).props(
                    'flat dense no-caps'
                )
            status = ui.label().classes('text-sm text-gray-700').mark('map-status')
            problem = ui.label().classes('text-sm text-negative font-medium break-words').mark('map-problem')
            ui.label(
                'Click a seat to select it, shift-click to add or remove one, drag a rectangle to select many.'
            ).classes('text-xs text-gray-600')
            canvas = SeatCanvas(on_mouse=mouse, events=['mousedown', 'mouseup'], label=f'Seat map of {theatre.name}')

        with ui.row().classes('w-full gap-4 items-start'):
            with ui.card().classes('grow basis-80 p-4 gap-2').mark('generator'):
                ui.label('Generate a map').classes('text-lg font-bold')
                ui.label('Replaces the map being edited (saving is still up to you).').classes('text-xs text-gray-600')
                generator_rows: list[tuple[ui.input, ui.number, ui.number]] = []
                lines = ui.column().classes('w-full gap-1')

                def add_line(name: str = '', rows: int = 10, per_row: int = 20) -> None:
                    with lines, ui.row().classes('w-full no-wrap gap-2'):
                        generator_rows.append(
                            (
                                ui.input('Section', value=name).props('dense outlined').classes('grow'),
                                ui.number('Rows', value=rows, min=1, max=500, precision=0)
                                .props('dense outlined')
                                .classes('w-20'),
                                ui.number('Seats/row', value=per_row, min=1, max=2000, precision=0)
                                .props('dense outlined')
                                .classes('w-24'),
                            )
                        )

                add_line('Stalls', 12, 20)
                ui.button('Add a section', icon='add', on_click=lambda: add_line()).props('flat dense no-caps')
                with ui.row().classes('w-full gap-2'):
                    numbering = (
                        ui.select(
                            {'ltr': 'Numbers left to right', 'rtl': 'Numbers right to left'},
                            value='ltr',
                            label='Numbering',
                        )
                        .props('dense outlined')
                        .classes('grow')
                    )
                    aisle = (
                        ui.number('Aisle every n seats (0: none)', value=0, min=0, max=100, precision=0)
                        .props('dense outlined')
                        .classes('grow')
                    )
                ui.button('Generate', icon='grid_on', on_click=generate).props('unelevated no-caps').mark('generate')
            with ui.card().classes('grow basis-80 p-4 gap-2'):
                ui.label('Rows and sections').classes('text-lg font-bold')
                with ui.row().classes('w-full items-end gap-2 no-wrap'):
                    row_label = ui.input('New row label').props('dense outlined').classes('grow').mark('row-label')
                    ui.button('Rename selected row', on_click=rename_row).props('outline dense no-caps').mark(
                        'rename-row'
                    )
                with ui.row().classes('w-full gap-2'):
                    ui.button('Number 1→ from the left', on_click=lambda: renumber(False)).props('flat dense no-caps')
                    ui.button('from the right', on_click=lambda: renumber(True)).props('flat dense no-caps')
                section_choice = (
                    ui.select([], label='Section').props('dense outlined').classes('w-full').mark('section-choice')
                )
                with ui.row().classes('w-full items-end gap-2 no-wrap'):
                    new_row_seats = (
                        ui.number('Seats in the new row', precision=0, min=1, max=2000)
                        .props('dense outlined')
                        .classes('grow')
                    )
                    ui.button('Add a row', icon='add', on_click=add_row).props('outline dense no-caps').mark('add-row')
                with ui.row().classes('items-center gap-1'):
                    ui.label('Move section').classes('text-sm')
                    for icon, dx, dy in (('west', -1, 0), ('north', 0, -1), ('south', 0, 1), ('east', 1, 0)):
                        ui.button(icon=icon, on_click=lambda x=dx, y=dy: move(x, y)).props(
                            f'flat round dense aria-label="Move section {icon}"'
                        )
            with ui.card().classes('grow basis-64 p-4 gap-2'):
                ui.label('Stage and file').classes('text-lg font-bold')

                def place_stage() -> None:
                    editor.placing_stage = True
                    stage_button.props('color=warning')
                    ui.notify("Click on the map where the stage's centre goes.")

                stage_button = (
                    ui.button('Place the stage', icon='theaters', on_click=place_stage)
                    .props('outline dense no-caps')
                    .mark('place-stage')
                )
                stage_width = ui.number('Stage width (seats)', min=1, max=500, precision=1).props('dense outlined')
                stage_width.on(
                    'change',
                    lambda: apply(
                        'Stage resized.',
                        lambda: edit.set_stage(
                            editor.body,
                            editor.body['stage']['x'],
                            editor.body['stage']['y'],
                            float(stage_width.value or 1),
                        ),
                    ),
                )
                ui.button('Export JSON', icon='download', on_click=export).props('outline dense no-caps').mark(
                    'export-map'
                )
                ui.upload(
                    label='Import JSON', auto_upload=True, on_upload=imported, max_file_size=16 * 1024 * 1024
                ).props('accept=.json flat bordered').classes('w-full').mark('import-map')
        redraw()
