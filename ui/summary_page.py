"""The managers' summary: totals, a chart comparing theatres, and per theatre its figures, best sellers and charts
(and, for a theatre with a seat map, which of its seats sell first)."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.events import GenericEventArguments

from models import ExportKind, Role
from services import charts as chart_data
from services import summary
from services.errors import DomainError
from services.formats import money, theatre_tz, when
from services.seating import heat, heat_chart
from services.sessions import Principal
from services.summary import Summary, TheatreSummary
from services.waitlist import figures as waitlist_figures
from services.waitlist.figures import WaitlistFigures
from services.words import noun, percent, plural
from ui import charts
from ui.common import call
from ui.exports_page import export_buttons
from ui.guard import page_for
from ui.layout import empty_state, frame

FIGURE_GRID = 'w-full gap-2 sm:gap-3 grid-cols-2 sm:grid-cols-3 lg:grid-cols-5'
WRAP = 'min-w-0 [overflow-wrap:anywhere]'  # a name of 100 letters without a space wraps instead of widening the page
# In the dark: rules between rows and card edges in a grey that stays a line, not a white stroke; and the seat heat
# map (a picture drawn on white) inverted, with its hues turned back, so it is no white slab on a dark page.
DARK_CSS = (
    '.body--dark .summary-rule { border-color: #3f3f46 !important; }'
    '.body--dark .seat-heat-picture { filter: invert(0.88) hue-rotate(180deg); }'
)


def _figure(label: str, value: str, hint: str = '', *, mark: str) -> None:
    with ui.card().classes('p-3 sm:p-4 gap-0').mark(mark):
        ui.label(label).classes('text-xs uppercase tracking-wide text-gray-500')
        ui.label(value).classes('text-2xl font-bold').mark('value')
        if hint:
            ui.label(hint).classes('text-xs text-gray-500')


def _when_seen(fill: Callable[[ui.element], Awaitable[None]], *, mark: str, height: int) -> None:
    """A box that `fill` fills the first time it comes into view or near it (Quasar's QIntersection): charts below
    the fold cost the first paint nothing, and a summary of many theatres draws only what is looked at."""
    box = ui.element('q-intersection').props('once margin="0px 0px 400px 0px"').classes('w-full')
    box.style(f'min-height: {height}px').mark(mark)
    with box:
        with ui.row().classes('w-full justify-center items-center gap-2 py-8 text-gray-500').mark('chart-loading'):
            ui.spinner(size='md')
            ui.label('Loading the charts…')
    started: list[bool] = []

    async def seen(event: GenericEventArguments) -> None:
        if not event.args or started:
            return
        started.append(True)
        await fill(box)

    box.on('visibility', seen)


def _chart_empty(icon: str, title: str, hint: str, *, mark: str) -> None:
    with ui.column().classes('w-full items-center text-center gap-1 py-8 text-gray-500').mark(mark):
        ui.icon(icon, size='40px')
        ui.label(title).classes('font-medium')
        ui.label(hint).classes('text-sm')


def _chart_heading(title: str, hint: str) -> None:
    ui.label(title).classes('font-bold')
    ui.label(hint).classes('text-xs text-gray-500 -mt-1')


@page_for(
    Role.MANAGER,
    Role.ADMIN,
    title='Summary',
    refusal='The summary is for theatre managers. Sign up as a manager to run a theatre.',
)
async def summary_page(who: Principal) -> None:
    with frame('Summary', who):
        ui.add_css(DARK_CSS)
        figures = await call(summary.summary, actor_id=who.user_id, read=True)
        with ui.row().classes('w-full items-center justify-between'):
            ui.label('Summary of all theatres' if who.role == Role.ADMIN else 'Summary').classes('text-3xl font-bold')
            ui.button('My exports', icon='folder_open', on_click=lambda: ui.navigate.to('/exports')).props(
                'flat no-caps'
            )
        if not figures.theatres:
            empty_state(
                'insights',
                'Nothing to sum up yet',
                'Add a theatre and its shows on the dashboard; their sales appear here.',
                action=('Go to the dashboard', '/manage'),
            )
            return None
        with ui.grid().classes(FIGURE_GRID).mark('totals'):
            _figure('Theatres', f'{len(figures.theatres):,}', mark='total-theatres')
            _figure('Shows', f'{figures.total("shows"):,}', mark='total-shows')
            _figure(
                'Tickets sold',
                f'{figures.total("tickets_sold"):,}',
                f'of {figures.total("tickets_offered"):,} offered · '
                f'{percent(figures.total("tickets_sold"), figures.total("tickets_offered"))} full',
                mark='total-sold',
            )
            _figure('Revenue', money(figures.total('revenue_cents')), 'confirmed bookings', mark='total-revenue')
            _figure(
                f'Last {figures.recent_days} days',
                f'{figures.total("recent_bookings"):,}',
                f'{noun(figures.total("recent_bookings"), "booking")} · '
                f'{plural(figures.total("recent_tickets"), "ticket")}',
                mark='total-recent',
            )
        if len(figures.theatres) > 1:
            _comparison(figures)
        ids = [theatre.theatre_id for theatre in figures.theatres]
        mapped = set(await call(heat.mapped_theatres, actor_id=who.user_id, theatre_ids=ids, read=True))
        lists = await call(waitlist_figures.by_theatre, actor_id=who.user_id, theatre_ids=ids, read=True)
        pictures: list[Callable[[], Awaitable[None]]] = []
        for theatre in figures.theatres:
            _theatre_section(
                theatre,
                who,
                admin=who.role == Role.ADMIN,
                pictures=pictures,
                mapped=mapped,
                waiting=lists.get(theatre.theatre_id),
            )
        if pictures:
            ui.timer(0, lambda: _draw_all(pictures), once=True)  # once the page is shown: a picture takes a while
    return None


async def _draw_all(pictures: list[Callable[[], Awaitable[None]]]) -> None:
    """One after another, top first: the drawing takes turns anyway (services.charts)."""
    for draw in pictures:
        await draw()


def _theatre_section(
    theatre: TheatreSummary,
    who: Principal,
    *,
    admin: bool,
    pictures: list[Callable[[], Awaitable[None]]],
    mapped: set[int],
    waiting: WaitlistFigures | None = None,
) -> None:
    with ui.card().classes('w-full p-4 gap-3').mark(f'summary-{theatre.theatre_id}'):
        with ui.row().classes('w-full items-start justify-between gap-2'):
            with ui.column().classes('gap-0 min-w-0'):
                ui.label(theatre.name).classes(f'text-xl font-bold {WRAP}').mark('summary-name')
                detail = f'{theatre.place} · {theatre.capacity:,} seats'
                ui.label(detail + (f' · owner {theatre.owner_name}' if admin else '')).classes('text-sm text-gray-600')
            export_buttons(who, ExportKind.THEATRE, theatre.theatre_id)
        with ui.grid().classes(FIGURE_GRID):
            _figure('Shows', f'{theatre.shows:,}', mark='shows')
            _figure(
                'Tickets sold',
                f'{theatre.tickets_sold:,}',
                f'of {theatre.tickets_offered:,} offered · {theatre.checked_in:,} checked in',
                mark='sold',
            )
            _figure('Occupancy', percent(theatre.tickets_sold, theatre.tickets_offered), mark='occupancy')
            _figure('Revenue', money(theatre.revenue_cents), mark='revenue')
            _figure(
                'Last 30 days',
                f'{theatre.recent_bookings:,}',
                f'{noun(theatre.recent_bookings, "booking")} · {plural(theatre.recent_tickets, "ticket")}',
                mark='recent',
            )
        if waiting is not None:
            _waitlist_chips(waiting)
        if theatre.best_sellers:
            ui.label('Best sellers').classes('font-bold')
            with ui.column().classes('w-full gap-1').mark('best-sellers'):
                for rank, show in enumerate(theatre.best_sellers, start=1):
                    with ui.row().classes(
                        'w-full justify-between gap-2 text-sm border-b border-gray-200 summary-rule py-1'
                    ):
                        starts = when(show.starts_at, theatre_tz(theatre.timezone))
                        ui.label(f'{rank}. {show.name} · {starts}').classes(WRAP)
                        ui.label(
                            f'{show.tickets_sold:,}/{show.num_tickets:,} sold · {money(show.revenue_cents)} · '
                            f'checked in {show.checked_in:,} of {show.tickets_sold:,}'
                        ).classes('text-gray-600').mark('best-seller-figures')
        elif theatre.shows:
            ui.label('No tickets sold yet.').classes('text-sm text-gray-500')
        _theatre_charts(theatre, who)
        if theatre.theatre_id in mapped:
            pictures.append(_seat_heat_card(theatre, who))


def _comparison(figures: Summary) -> None:
    """The theatres' revenue side by side, drawn once the card is in view (the figures are already here)."""
    shown = charts.comparison_theatres(figures)
    with ui.card().classes('w-full p-4 gap-2').mark('comparison'):
        more = f' · the best {len(shown)} of {len(figures.theatres):,}' if len(shown) < len(figures.theatres) else ''
        _chart_heading('Revenue by theatre', f"Confirmed bookings, with how full each theatre's shows are{more}")
        if not any(theatre.revenue_cents for theatre in shown):
            _chart_empty('payments', 'No bookings yet', 'Revenue appears here once people book.', mark='chart-empty')
            return

        async def fill(box: ui.element) -> None:
            box.clear()
            with box:
                charts.echart(
                    lambda dark: charts.comparison_options(figures, dark=dark),
                    height=charts.comparison_height(figures),
                    mark='chart-comparison',
                )

        _when_seen(fill, mark='comparison-box', height=charts.comparison_height(figures))


def _theatre_charts(theatre: TheatreSummary, who: Principal) -> None:
    """Bookings per day and sales per show, side by side on a wide screen; loaded and drawn once in view."""

    async def fill(box: ui.element) -> None:
        try:
            detail = await call(
                chart_data.theatre_chart_data, actor_id=who.user_id, theatre_id=theatre.theatre_id, read=True
            )
        except DomainError as error:  # the theatre went away, or is no longer theirs, since the page was built
            if not box.is_deleted:
                box.clear()
                with box:
                    ui.label(str(error)).classes('text-sm text-gray-500 py-4').mark('chart-error')
            return
        if box.is_deleted:  # the page was left while the data came
            return
        box.clear()
        with box, ui.grid().classes('w-full gap-4 grid-cols-1 lg:grid-cols-2'):
            with ui.column().classes('w-full min-w-0 gap-1').mark('trend'):
                _chart_heading('Bookings per day', f'Last {len(detail.days)} days: tickets above, revenue below')
                if charts.has_bookings(detail):
                    charts.echart(
                        lambda dark: charts.trend_options(detail, dark=dark), height=charts.TREND_PX, mark='chart-trend'
                    )
                else:
                    _chart_empty(
                        'bar_chart',
                        f'No bookings in the last {len(detail.days)} days',
                        "Each day's tickets and revenue appear here as people book.",
                        mark='chart-empty',
                    )
            with ui.column().classes('w-full min-w-0 gap-1').mark('sales'):
                shown = len(detail.top_shows)
                more = f' · the best {shown} of {detail.shows:,}' if shown < detail.shows else ''
                _chart_heading('Tickets sold per show', f'Sold against offered, best sellers first{more}')
                if detail.top_shows:
                    charts.echart(
                        lambda dark: charts.sales_options(detail, dark=dark),
                        height=charts.sales_height(detail),
                        mark='chart-sales',
                    )
                else:
                    _chart_empty(
                        'theater_comedy',
                        'No shows yet',
                        'Add a show on the dashboard to see its sales.',
                        mark='chart-empty',
                    )

    _when_seen(fill, mark='charts-box', height=charts.TREND_PX + 40)


def _waitlist_chips(figures: WaitlistFigures) -> None:
    """The theatre's waiting lists in a row of small figures; nothing when no one ever joined one."""
    chips = (
        ('joined', figures.joined, 'joined', 'group_add'),
        ('offered', figures.offered, 'offered tickets', 'mark_email_unread'),
        ('booked', figures.booked, 'booked', 'confirmation_number'),
        ('waiting', figures.waiting, 'waiting now', 'hourglass_top'),
    )
    if not any(value for _, value, _, _ in chips):
        return
    with ui.row().classes('w-full items-center gap-2').mark('waitlist-figures'):
        ui.label('Waiting lists').classes('font-bold mr-1')
        for key, value, label, icon in chips:
            with ui.row().classes(
                'items-center gap-1 no-wrap rounded-full border border-gray-300 summary-rule px-3 py-1 text-sm'
            ):
                ui.icon(icon, size='16px').classes('text-gray-600')
                ui.label(f'{value:,}').classes('font-bold').mark(f'waitlist-{key}')
                ui.label(label).classes('text-gray-600')
        if figures.booked_share is not None:
            ui.label(f'{percent(figures.booked, figures.offered)} of offers booked').classes('text-xs text-gray-500')


def _seat_heat_card(theatre: TheatreSummary, who: Principal) -> Callable[[], Awaitable[None]]:
    """The card for the seat heat map, drawing until the returned coroutine function fills it in (on a worker
    thread, off the event loop; cached until the theatre's bookings, shows or map change)."""
    with ui.card().classes('w-full p-3 gap-2 shadow-none border border-gray-200 summary-rule').mark('seat-heat'):
        ui.label('Which seats sell first').classes('font-bold')
        ui.label(
            'Warm seats sell first, cool ones last, grey ones never: each seat by its place in the order of sale of '
            "the theatre's reserved shows (a show it did not sell in counts as last)."
        ).classes('text-sm text-gray-600')
        body = ui.column().classes('w-full items-center gap-1')
        with body:
            with ui.row().classes('items-center gap-2 py-6 text-gray-500').mark('seat-heat-drawing'):
                ui.spinner(size='md')
                ui.label('Drawing the seat map…')

    async def draw() -> None:
        try:
            png = await call(heat_chart.seat_heat_chart, actor_id=who.user_id, theatre_id=theatre.theatre_id, read=True)
        except DomainError as error:  # the theatre went away, or is no longer theirs, since the page was built
            if body.is_deleted:
                return
            body.clear()
            with body:
                ui.label(str(error)).classes('text-sm text-gray-500 py-4').mark('seat-heat-error')
            return
        if body.is_deleted:  # the page was left while the picture was drawn
            return
        body.clear()
        with body:
            if png is None:
                with (
                    ui.column()
                    .classes('w-full items-center text-center gap-1 py-6 text-gray-500')
                    .mark('seat-heat-empty')
                ):
                    ui.icon('event_seat', size='40px')
                    ui.label('No reserved-seat sales yet').classes('font-medium')
                    ui.label('Once seats of reserved shows sell, this shows which of them go first.').classes('text-sm')
                return
            _picture(f'data:image/png;base64,{base64.b64encode(png).decode()}', theatre.name)

    return draw


def _picture(source: str, theatre_name: str) -> None:
    """The heat map, as wide as the card allows; a click or tap opens it at full size (a picture in a data URL
    cannot open in a new tab as the other charts do). The full-size copy is sent only when asked for."""
    alt = f'Which seats sell first at {theatre_name}: each seat coloured from sells first to sells last'
    image = ui.image(source).props('fit=contain no-transition')
    image.classes('w-full max-w-3xl rounded cursor-pointer seat-heat-picture')
    image.props['alt'] = alt  # set as a value, never parsed: a theatre's name may hold quotes
    image.mark('chart-seat-heat')
    ui.label('Tap to enlarge').classes('lt-sm text-xs text-gray-500 text-center w-full')
    opened: list[ui.dialog] = []

    def enlarge() -> None:
        if not opened:
            with ui.dialog().props('maximized') as dialog, ui.card().classes('w-full p-2 gap-2').mark('heat-large'):
                ui.button('Close', icon='close', on_click=dialog.close).props('flat no-caps').classes('self-end')
                with ui.element('div').classes('w-full overflow-auto'):
                    large = ui.image(source).props('fit=contain no-transition')
                    large.classes('w-[880px] mx-auto seat-heat-picture')
                    large.props['alt'] = alt
            opened.append(dialog)
        opened[0].open()

    image.on('click', enlarge)
