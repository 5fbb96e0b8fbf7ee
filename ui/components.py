"""Reusable parts: the show card and its small badges."""

from __future__ import annotations

from nicegui import ui

from services.formats import money, when
from services.shows import ShowView


def rating_badge(rating: float) -> None:
    with ui.row().classes('items-center gap-1 text-amber-700').mark('rating'):
        ui.icon('star', size='18px')
        ui.label(f'{rating:.1f}').classes('text-sm font-medium')


def availability(show: ShowView) -> None:
    """Tickets left as a bar and a count, or a Housefull badge."""
    if show.housefull:
        ui.badge('Housefull', color='negative').classes('text-sm px-2 py-1').mark('housefull')
        return
    share_left = show.tickets_left / show.num_tickets
    color = 'positive' if share_left > 0.3 else 'warning' if share_left > 0.1 else 'negative'
    with ui.column().classes('w-full gap-1'):
        ui.linear_progress(value=share_left, show_value=False, color=color, size='6px').props(
            'rounded track-color=grey-3'
        ).classes('w-full')
        ui.label(f'{show.tickets_left:,} of {show.num_tickets:,} tickets left').classes('text-xs text-gray-600').mark(
            'tickets-left'
        )


def show_card(show: ShowView) -> None:
    link = f'/shows/{show.id}'
    with ui.card().classes('w-full h-full gap-2 p-4 hover:shadow-lg transition-shadow').mark(f'show-{show.id}'):
        with ui.row().classes('w-full items-start justify-between no-wrap gap-2'):
            ui.link(show.name, link).classes('text-lg font-bold leading-tight no-underline').mark('show-name')
            rating_badge(show.rating)
        with ui.row().classes('items-center gap-1 text-gray-700'):
            ui.icon('place', size='18px')
            ui.label(f'{show.theatre_name} · {show.place}').classes('text-sm')
        with ui.row().classes('items-center gap-1 text-gray-700'):
            ui.icon('event', size='18px')
            ui.label(when(show.starts_at)).classes('text-sm font-medium')
        if show.tags:
            with ui.row().classes('gap-1'):
                for tag in show.tags:
                    ui.badge(tag, color='secondary').props('outline').classes('text-xs')
        ui.space()
        availability(show)
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(money(show.price_cents)).classes('text-xl font-bold').mark('price')
            ui.button('Housefull' if show.housefull else 'Book', on_click=lambda: ui.navigate.to(link)).props(
                f'unelevated no-caps {"outline color=grey" if show.housefull else ""}'
            )
