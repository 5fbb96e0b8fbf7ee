"""Reusable parts: the show card, a show's poster (or its generated placeholder), its ratings and the small
badges; a table that turns into cards on a phone."""

from __future__ import annotations

import hashlib
from typing import Any

from nicegui import ui

from services.formats import money, theatre_tz, when
from services.posters import WIDTHS, poster_urls
from services.shows import ShowView
from services.words import plural
from ui.common import cut_short

# Dark enough that white text on any two of them, and on the gradient between, passes WCAG AA.
PALETTE = (
    '#5b21b6',  # violet
    '#be185d',  # pink
    '#0f766e',  # teal
    '#075985',  # sky
    '#92400e',  # amber
    '#991b1b',  # red
    '#3730a3',  # indigo
    '#065f46',  # emerald
    '#86198f',  # fuchsia
    '#334155',  # slate
    '#9f1239',  # rose
    '#155e75',  # cyan
)
WRAP_ANYWHERE = 'overflow-wrap: anywhere'  # a 100-letter word wraps instead of widening the page
CARD_SIZES = '(min-width: 640px) 180px, 112px'  # the poster's width in a card, for choosing among the widths


def ratings(show: ShowView, *, size: str = 'text-sm') -> None:
    """The audience's average and how many gave it (when anyone has), then the manager's rating as the critics':
    each says whose it is, so neither passes for the other. Text keeps the page's colours (readable in both
    modes); only the audience's star is amber."""
    with ui.row().classes(f'items-center gap-x-3 gap-y-1 {size}').mark('ratings'):
        if show.audience_rating is not None:
            with ui.row().classes('items-center gap-1 no-wrap').mark('audience-rating'):
                ui.label('Audience rating').classes('sr-only')
                ui.icon('star', size='1.3em').classes('text-amber-600')
                ui.label(f'{show.audience_rating:.1f}').classes('font-bold').mark('audience-average')
                ui.label(f'({plural(show.ratings, "rating")})').classes('text-gray-600').mark('audience-count')
        with ui.row().classes('items-center gap-1 no-wrap text-gray-600').mark('critics-rating'):
            ui.label('Critics')
            ui.icon('star_outline', size='1.2em')
            ui.label(f'{show.rating:.1f}').classes('font-medium').mark('critics-score')


def availability(show: ShowView) -> None:
    """Tickets left as a bar and a count, or a Housefull badge."""
    if show.housefull:
        ui.badge('Housefull', color='negative').classes('text-sm px-2 py-1').mark('housefull')
        return
    share_left = show.tickets_left / show.num_tickets
    color = 'positive' if share_left > 0.3 else 'warning' if share_left > 0.1 else 'negative'
    with ui.column().classes('w-full gap-1'):
        ui.linear_progress(value=share_left, show_value=False, color=color, size='6px').props(
            'rounded track-color=grey-3 aria-label="Tickets left"'
        ).classes('w-full')
        ui.label(f'{show.tickets_left:,} of {plural(show.num_tickets, "ticket")} left').classes(
            'text-xs text-gray-600'
        ).mark('tickets-left')


def placeholder_colours(name: str) -> tuple[str, str, int]:
    """Two different palette colours and a gradient angle, always the same for the same name (whatever its case
    or surrounding spaces): every performance of a production gets the same placeholder."""
    digest = int.from_bytes(hashlib.blake2b(name.strip().casefold().encode(), digest_size=8).digest(), 'big')
    count = len(PALETTE)
    first = digest % count
    second = (first + 1 + (digest // count) % (count - 1)) % count
    angle = 120 + (digest // count**2) % 7 * 15
    return PALETTE[first], PALETTE[second], angle


def poster_placeholder(name: str, *, text: str) -> None:
    """The generated stand-in for a missing poster, filling its parent: the name (as a label, never as HTML) on a
    gradient of two palette colours, and a faint icon."""
    first, second, angle = placeholder_colours(name)
    with (
        ui.element('div')
        .classes('absolute inset-0 flex flex-col items-center justify-center overflow-hidden p-3 text-center')
        .style(f'background: linear-gradient({angle}deg, {first}, {second})')
        .mark('poster-placeholder')
    ):
        ui.icon('theater_comedy').classes('absolute text-white opacity-20 text-[7rem] -right-6 -bottom-6')
        ui.label(name).classes(f'relative text-white font-extrabold leading-tight line-clamp-5 {text}').style(
            f'{WRAP_ANYWHERE}; text-shadow: 0 1px 3px rgb(0 0 0 / 45%)'
        )


def poster_image(show: ShowView, *, sizes: str, classes: str) -> None:
    """The stored poster at every width, the browser choosing by `sizes`; loaded only when it scrolls near."""
    urls = poster_urls(show.poster_key) or {}
    image = ui.element('img').classes(classes).mark('poster')
    image.props.update(
        src=urls[WIDTHS[1]],
        srcset=', '.join(f'{url} {width}w' for width, url in urls.items()),
        sizes=sizes,
        alt=show.name,
        loading='lazy',
        decoding='async',
        width=str(WIDTHS[1]),
        height=str(WIDTHS[1] * 3 // 2),
    )


def _card_poster(show: ShowView, link: str) -> None:
    """A 2:3 poster on the left on a phone; above the details, on its own blurred colours, on wider screens."""
    with (
        ui.link(target=link)
        .classes('relative block shrink-0 overflow-hidden w-28 aspect-[2/3] sm:w-full sm:aspect-[3/2] bg-slate-800')
        .props('tabindex=-1 aria-hidden=true')  # the show's name is the link for keyboards and screen readers
    ):
        if show.poster_key is None:
            poster_placeholder(show.name, text='text-base sm:text-2xl')
            return
        backdrop = ui.element('img').classes(
            'max-sm:hidden absolute inset-0 w-full h-full object-cover scale-125 blur-xl opacity-70'
        )
        backdrop.props.update(src=(poster_urls(show.poster_key) or {})[WIDTHS[0]], alt='', loading='lazy')
        poster_image(
            show,
            sizes=CARD_SIZES,
            classes='relative block w-full h-full object-cover sm:w-auto sm:mx-auto sm:shadow-xl',
        )


def show_card(show: ShowView) -> None:
    link = f'/shows/{show.id}'
    with (
        ui.card()
        .classes('w-full h-full p-0 gap-0 overflow-hidden hover:shadow-lg transition-shadow')
        .mark(f'show-{show.id}')
    ):
        with ui.element('div').classes('flex no-wrap flex-row sm:flex-col w-full h-full'):
            _card_poster(show, link)
            with ui.column().classes('min-w-0 grow gap-1 sm:gap-2 p-3 sm:p-4'):
                ui.link(show.name, link).classes(
                    'w-full text-base sm:text-lg font-bold leading-tight no-underline min-w-0 line-clamp-3'
                ).style(WRAP_ANYWHERE).mark('show-name')
                ratings(show)
                with ui.row().classes('w-full items-center gap-1 no-wrap text-gray-700'):
                    ui.icon('place', size='18px')
                    cut_short(f'{show.theatre_name} · {show.place}', 'text-sm min-w-0')
                with ui.row().classes('items-center gap-1 no-wrap text-gray-700'):
                    ui.icon('event', size='18px')
                    ui.label(when(show.starts_at, theatre_tz(show.theatre_timezone))).classes('text-sm font-medium')
                if show.tags:
                    with ui.row().classes('gap-1 max-sm:hidden'):
                        for tag in show.tags:
                            ui.badge(tag, color='secondary').props('outline').classes('text-xs')
                ui.space()
                availability(show)
                with ui.row().classes('w-full items-center justify-between no-wrap gap-2'):
                    ui.label(money(show.price_cents)).classes('text-lg sm:text-xl font-bold').mark('price')
                    ui.button('Details' if show.housefull else 'Book', on_click=lambda: ui.navigate.to(link)).props(
                        f'unelevated no-caps {"outline color=grey-8" if show.housefull else ""}'
                    )


def responsive_table(rows: list[dict[str, Any]], columns: list[dict[str, Any]], *, marker: str) -> None:
    """A table from 600 px up; on a phone the same rows as cards, each column's label beside its value, so nothing is
    cut off, squeezed letter by letter or scrolled sideways. Two of Quasar's tables over the same rows (the cards are
    drawn in the browser); the table carries `marker`, the cards `marker-cards`."""
    ui.table(rows=rows, columns=columns, row_key='id').props('flat bordered dense wrap-cells').classes(
        'w-full gt-xs'
    ).mark(marker)
    cards = ui.table(rows=rows, columns=columns, row_key='id').props('dense grid hide-header bordered')
    cards.classes('w-full xs').mark(f'{marker}-cards')
