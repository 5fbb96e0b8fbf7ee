"""The buyer's seat picker on a reserved show's page: choose seats on the map (or from the list), hold them with
a countdown, book exactly them.

Choosing holds at once: each click sends the whole choice as one hold (all or none), so a seat shown as yours is
yours until the countdown ends. Every second the picker asks the database for the show's seat version (one
integer); when another buyer, on this instance or another, has held, booked or let go of seats, it redraws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from nicegui import ui
from nicegui.events import MouseEventArguments

from models import SeatKind
from models.db import utcnow
from services.booking import MAX_TICKETS_PER_BOOKING
from services.errors import DomainError
from services.formats import money, theatre_tz, when
from services.seating import holds, seat_name, seats
from services.seating.holds import HoldView
from services.seating.seats import BLOCKED, FREE, SOLD, ShowSeatsView
from services.sessions import Principal
from services.shows import ShowView
from services.words import plural
from ui.common import call, notify_error
from ui.seat_map import HELD as HELD_FILL
from ui.seat_map import MINE, Dot, SeatCanvas, frame_of, nearest, section_colours, svg
from ui.seat_map import SOLD as SOLD_FILL

MOST = MAX_TICKETS_PER_BOOKING  # the booking rule's limit, not a second one
POLL_SECONDS = 1.0


@dataclass
class _State:
    view: ShowSeatsView | None = None
    hold: HoldView | None = None
    dots: list[Dot] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # seat id → 'Stalls C7'
    prices: dict[int, int] = field(default_factory=dict)
    busy: bool = False

    @property
    def chosen(self) -> list[int]:
        return [] if self.hold is None else [seat.id for seat in self.hold.seats]


def _dots(view: ShowSeatsView, chosen: set[int]) -> tuple[list[Dot], dict[int, str], dict[int, int]]:
    colours = section_colours(section.name for section in view.sections)
    dots, names, prices = [], {}, {}
    for section in view.sections:
        for row in section.rows:
            for seat in row.seats:
                name = seat_name(section.name, row.label, seat.label)
                names[seat.id], prices[seat.id] = name, section.price_cents
                mark = '♿' if seat.kind == SeatKind.WHEELCHAIR else ''
                if seat.id in chosen:
                    fill, text, state = MINE, '#ffffff', 'your seat'
                elif seat.status == FREE:
                    fill, text, state = colours[section.name], '#ffffff', f'free, {money(section.price_cents)}'
                elif seat.status == BLOCKED:
                    fill, text, mark, state = 'none', '#94a3b8', '×', 'not for sale'
                else:
                    fill = SOLD_FILL if seat.status == SOLD else HELD_FILL
                    text, state = '#475569', 'sold' if seat.status == SOLD else 'held by someone'
                title = f'{name}: {state}' + (', wheelchair space' if seat.kind == SeatKind.WHEELCHAIR else '')
                dots.append(
                    Dot(seat.id, seat.x, seat.y, seat.label, row.label, section.name, fill, text, None, mark, title)
                )
    return dots, names, prices


async def seat_picker(show: ShowView, who: Principal | None) -> None:
    """The picker for `show` (reserved). Without a login the map is shown, and choosing asks to log in."""
    state = _State()
    user_id = who.user_id if who is not None else None

    async def load() -> None:
        state.view = await call(seats.show_seats, show_id=show.id, viewer_id=user_id, read=True)
        if user_id is not None:
            state.hold = await call(holds.current_hold, show_id=show.id, user_id=user_id, read=True)
        draw()

    def draw() -> None:
        assert state.view is not None
        state.dots, state.names, state.prices = _dots(state.view, set(state.chosen))
        frame = frame_of(state.dots, state.view.stage)
        canvas.draw(frame, svg(frame, state.dots, state.view.stage))
        legend.refresh()
        basket.refresh()
        seat_list.options = {
            dot.id: f'{state.names[dot.id]} · {money(state.prices[dot.id])}'
            for dot in state.dots
            if dot.fill not in (HELD_FILL, SOLD_FILL, 'none')
        }
        seat_list.set_value(state.chosen)
        seat_list.update()
        sections.options = ['Any section'] + [s.name for s in state.view.sections]
        sections.update()
        has_seats = state.hold is not None and bool(state.hold.seats)
        clear_button.set_visibility(has_seats)
        book_button.set_visibility(has_seats)

    async def choose(wanted: list[int]) -> None:
        """Hold exactly `wanted` (releasing the hold when it is empty)."""
        if user_id is None:
            ui.navigate.to(f'/login?redirect_to={quote(f"/shows/{show.id}")}')
            return
        if len(wanted) > MOST:
            ui.notify(f'At most {MOST} seats per booking.', type='warning')
            draw()
            return
        if state.busy:
            return
        state.busy = True
        try:
            if not wanted:
                if state.hold is not None:
                    await call(holds.release_hold, hold_id=state.hold.id, user_id=user_id)
                state.hold = None
            else:
                state.hold = await call(holds.hold_seats, show_id=show.id, user_id=user_id, seats=wanted)
        except DomainError as failure:
            notify_error(failure)
        finally:
            state.busy = False
        await load()

    async def clicked(event: MouseEventArguments) -> None:
        if state.view is None:
            return
        dot = nearest(canvas.frame, state.dots, event.image_x, event.image_y)
        if dot is None:
            return
        chosen = state.chosen
        if dot.id in chosen:
            await choose([i for i in chosen if i != dot.id])
        elif dot.fill in (HELD_FILL, SOLD_FILL, 'none'):
            ui.notify(f'{state.names[dot.id]} is not free.', type='info')
        else:
            await choose([*chosen, dot.id])

    async def best() -> None:
        count = int(how_many.value or 0)
        section = None if sections.value in (None, 'Any section') else sections.value
        try:
            block = await call(
                seats.best_available, show_id=show.id, count=count, section=section, holder_id=user_id, read=True
            )
        except DomainError as failure:
            notify_error(failure)
            return
        await choose(block)

    async def book() -> None:
        if state.hold is None or user_id is None:
            return
        hold = state.hold
        book_button.props('loading')
        try:
            made = await call(holds.book_hold, hold_id=hold.id, user_id=user_id)
        except DomainError as failure:
            book_button.props(remove='loading')
            notify_error(failure)
            await load()
            return
        ui.navigate.to(f'/bookings?booked={made.id}')

    last_version = {'value': -1}

    async def tick() -> None:
        if state.hold is not None and state.hold.seconds_left() <= 0:
            state.hold = None
            ui.notify('Your hold has ended and the seats were released. Choose again to book.', type='warning')
            await load()
            return
        countdown.refresh()
        if state.busy:
            return
        version = await call(seats.version, show_id=show.id, read=True)
        if version != last_version['value']:
            last_version['value'] = version
            if state.view is not None and version != state.view.version:
                await load()

    with ui.card().classes('w-full p-4 sm:p-6 gap-3').mark('seat-picker'):
        with ui.row().classes('w-full items-center justify-between gap-2'):
            ui.label('Choose your seats').classes('text-xl font-bold')
            ui.label(when(show.starts_at, theatre_tz(show.theatre_timezone))).classes('text-sm text-gray-600')

        @ui.refreshable
        def legend() -> None:
            if state.view is None:
                return
            colours = section_colours(s.name for s in state.view.sections)
            with ui.row().classes('w-full gap-x-4 gap-y-1 text-sm items-center').mark('legend'):
                for section in state.view.sections:
                    _swatch(colours[section.name], f'{section.name} · {money(section.price_cents)}')
                _swatch(MINE, 'Your seats')
                _swatch(HELD_FILL, 'Held')
                _swatch(SOLD_FILL, 'Sold')
                with ui.row().classes('items-center gap-1 no-wrap'):
                    ui.label('♿').classes('text-base')
                    ui.label('Wheelchair space')

        legend()
        with ui.row().classes('w-full gap-6 items-start'):
            with ui.column().classes('grow basis-[34rem] min-w-0 gap-1'):
                canvas = SeatCanvas(on_mouse=clicked, events=['click'], label=f'Seat map of {show.theatre_name}')
            with ui.column().classes('grow basis-72 min-w-0 gap-3'):
                with ui.row().classes('w-full items-end gap-2'):
                    sections = ui.select(['Any section'], value='Any section', label='Section').classes('min-w-40')
                    how_many = (
                        ui.select(list(range(1, MOST + 1)), value=2, label='Seats').classes('w-20').mark('best-count')
                    )
                    ui.button('Best available', icon='auto_awesome', on_click=best).props('outline no-caps').mark(
                        'best'
                    )
                seat_list = (
                    ui.select({}, multiple=True, with_input=True, label='Or choose from the list (type to search)')
                    .props('use-chips outlined')
                    .classes('w-full')
                    .mark('seat-list')
                )

                async def listed() -> None:
                    if sorted(seat_list.value or []) != sorted(state.chosen):
                        await choose(list(seat_list.value or []))

                seat_list.on('update:model-value', lambda _: listed(), throttle=0.3)

                @ui.refreshable
                def countdown() -> None:
                    if state.hold is None:
                        return
                    left = state.hold.seconds_left(utcnow())
                    ui.label(f'Held for you for {left // 60}:{left % 60:02d}').classes(
                        'text-sm font-medium ' + ('text-negative' if left < 60 else 'text-gray-700')
                    ).mark('countdown')

                @ui.refreshable
                def basket() -> None:
                    with ui.column().classes('w-full gap-1').mark('basket'):
                        if user_id is None:
                            ui.label('Log in to choose seats and book.')
                            ui.button(
                                'Log in to book',
                                icon='login',
                                on_click=lambda: ui.navigate.to(f'/login?redirect_to={quote(f"/shows/{show.id}")}'),
                            ).props('unelevated no-caps')
                            return
                        if state.hold is None or not state.hold.seats:
                            ui.label('Tap free seats on the map (up to 10), or let us find the best ones.').classes(
                                'text-gray-600'
                            ).mark('basket-empty')
                            return
                        for seat in state.hold.seats:
                            with ui.row().classes('w-full justify-between no-wrap'):
                                ui.label(seat.name).classes('break-words min-w-0').mark('chosen-seat')
                                ui.label(money(seat.price_cents))
                        with ui.row().classes('w-full justify-between text-lg font-bold'):
                            ui.label(f'Total ({plural(len(state.hold.seats), "seat")})')
                            ui.label(money(state.hold.total_cents)).mark('total')
                        countdown()

                basket()
                with ui.row().classes('w-full gap-2 justify-end'):
                    clear_button = (
                        ui.button('Clear', on_click=lambda: choose([])).props('flat no-caps').mark('clear-seats')
                    )
                    book_button = (
                        ui.button('Book these seats', icon='confirmation_number', on_click=book)
                        .props('unelevated no-caps size=lg')
                        .mark('book-seats')
                    )
    await load()
    ui.timer(POLL_SECONDS, tick)


def _swatch(colour: str, text: str) -> None:
    with ui.row().classes('items-center gap-1 no-wrap'):
        ui.element('span').classes('inline-block w-3 h-3 rounded-full').style(f'background: {colour}')
        ui.label(text)
