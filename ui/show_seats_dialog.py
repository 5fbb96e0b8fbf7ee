"""A reserved show's seats for its manager: the map coloured sold, held and free, and the house seats (kept back
from sale for this show only), chosen by clicking seats and saved at once."""

from __future__ import annotations

from dataclasses import dataclass, field

from nicegui import ui
from nicegui.events import MouseEventArguments

from models import SeatKind
from services.errors import DomainError
from services.seating import seat_name, seats, show_config
from services.seating.seats import BLOCKED, FREE, HELD, SOLD, ShowSeatsView
from services.sessions import Principal
from services.shows import ShowView
from services.words import plural
from ui.common import call, notify_error
from ui.seat_map import Dot, SeatCanvas, frame_of, nearest, svg

COLOURS = {SOLD: '#334155', HELD: '#f59e0b', FREE: '#16a34a'}
HOUSE = '#7c3aed'


@dataclass
class _Board:
    view: ShowSeatsView | None = None
    house: set[int] = field(default_factory=set)  # the seats kept back, as chosen on the map (saved on Save)
    dots: list[Dot] = field(default_factory=list)


async def show_seats_dialog(show: ShowView, who: Principal) -> None:
    state = _Board()

    def dots(view: ShowSeatsView, house: set[int]) -> list[Dot]:
        drawn = []
        for section in view.sections:
            for row in section.rows:
                for seat in row.seats:
                    if seat.id in house:
                        fill, mark, what = HOUSE, 'H', 'house seat'
                    elif seat.status == BLOCKED:
                        fill, mark, what = 'none', '×', 'blocked on the map'
                    else:
                        fill, mark, what = COLOURS[seat.status], '', seat.status
                    title = f'{seat_name(section.name, row.label, seat.label)}: {what}'
                    drawn.append(
                        Dot(
                            seat.id,
                            seat.x,
                            seat.y,
                            seat.label,
                            row.label,
                            section.name,
                            fill,
                            '#ffffff',
                            None,
                            mark,
                            title,
                        )
                    )
        return drawn

    async def load() -> None:
        view = await call(seats.show_seats, show_id=show.id, read=True)
        state.view = view
        state.house = {
            seat.id
            for section in view.sections
            for row in section.rows
            for seat in row.seats
            if seat.status == BLOCKED and seat.kind != SeatKind.BLOCKED
        }
        redraw()

    def redraw() -> None:
        view, house = state.view, state.house
        assert view is not None
        drawn = dots(view, house)
        state.dots = drawn
        frame = frame_of(drawn, view.stage)
        canvas.draw(frame, svg(frame, drawn, view.stage))
        counts.text = (
            f'Sold {view.count(SOLD):,} · Held {view.count(HELD):,} · Free {view.count(FREE):,} · '
            f'House seats {len(house):,}'
        )

    def clicked(event: MouseEventArguments) -> None:
        dot = nearest(canvas.frame, state.dots, event.image_x, event.image_y)
        house = state.house
        if dot is None:
            return
        if dot.id in house:
            house.discard(dot.id)
        elif dot.fill == COLOURS[FREE]:
            house.add(dot.id)
        else:
            ui.notify('Only a free seat can be kept back.', type='info')
            return
        redraw()

    async def save() -> None:
        try:
            kept = await call(
                show_config.set_house_seats, actor_id=who.user_id, show_id=show.id, seats=sorted(state.house)
            )
        except DomainError as failure:
            notify_error(failure)
            await load()
            return
        ui.notify(f'{plural(len(kept), "house seat")} kept back from sale.', type='positive')
        await load()

    with ui.dialog() as dialog, ui.card().classes('w-full max-w-5xl p-4 gap-2').mark('show-seats-dialog'):
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(f'Seats of {show.name}').classes('text-xl font-bold break-words min-w-0')
            ui.button(icon='close', on_click=dialog.close).props('flat round aria-label="Close"')
        counts = ui.label().classes('text-sm text-gray-700').mark('seat-counts')
        with ui.row().classes('gap-4 text-sm'):
            for colour, text in (
                (COLOURS[SOLD], 'Sold'),
                (COLOURS[HELD], 'Held'),
                (COLOURS[FREE], 'Free'),
                (HOUSE, 'House seat'),
            ):
                with ui.row().classes('items-center gap-1 no-wrap'):
                    ui.element('span').classes('inline-block w-3 h-3 rounded-full').style(f'background: {colour}')
                    ui.label(text)
        ui.label('Click free seats to keep them back for this show (house seats); click again to release.').classes(
            'text-sm text-gray-600'
        )
        canvas = SeatCanvas(on_mouse=clicked, events=['click'], label=f'Seats of {show.name}')
        with ui.row().classes('w-full justify-end'):
            ui.button('Save house seats', icon='save', on_click=save).props('unelevated no-caps').mark('save-house')
    await load()
    dialog.open()
    await dialog
    dialog.delete()
