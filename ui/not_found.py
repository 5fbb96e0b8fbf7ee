"""The one page for a path or an id that leads nowhere: answered 404, drawn in the app's frame.

A page whose id is unknown (or is one the viewer may not know exists) calls `not_found(...)` inside its frame;
a path no route matches gets `not_found_page`, which main.py hands to `ui.run(root=...)`: NiceGUI builds the
root page for every path it cannot route (the API keeps its JSON 404s, static files their plain ones).
"""

from __future__ import annotations

from nicegui import ui

from services.sessions import Principal
from ui.common import principal
from ui.layout import frame

PAGE_NOT_FOUND = 'Page not found'
NO_SUCH_PAGE = 'There is no page at this address. It may have moved, or the link may be mistyped.'
SEARCH_LIMIT = 100  # as the listing's own search box

_CSS = '.not-found-icon { color: #4c1d95; } .body--dark .not-found-icon { color: #c4b5fd; }'


def not_found(who: Principal | None, title: str = PAGE_NOT_FOUND, hint: str = NO_SUCH_PAGE) -> None:
    """Say that nothing is here, offer a way on, and make the page's response 404.

    Drawn where it is called (inside the page's frame). Only the first build of a page sets the status:
    a later redraw of a page already delivered just shows the card.
    """
    answer_not_found()
    ui.page_title(f'{title} · TicketShow')
    ui.add_css(_CSS)
    with ui.column().classes('w-full items-center text-center gap-3 py-10 sm:py-16 px-2').mark('not-found'):
        ui.icon('search_off', size='64px').classes('not-found-icon').props('aria-hidden=true')
        ui.label('Error 404').classes('text-sm font-medium tracking-widest uppercase text-gray-600')
        ui.label(title).classes('text-2xl sm:text-3xl font-bold break-words max-w-full').mark('not-found-title')
        ui.label(hint).classes('text-gray-600 max-w-md break-words').mark('not-found-hint')
        _search_box()
        with ui.row().classes('gap-2 justify-center'):
            ui.button('All shows', icon='theater_comedy').props('href=/ unelevated no-caps').mark('not-found-home')
            if who is not None:
                ui.button('My bookings', icon='confirmation_number').props('href=/bookings outline no-caps').mark(
                    'not-found-bookings'
                )


def answer_not_found() -> None:
    """Make the page being built answer 404, for a page that says in its own words that its link leads nowhere."""
    ui.context.client.status_code = 404


def _search_box() -> None:
    """A plain GET form to the listing (`/?q=...`): it works at once, without a round trip to the server."""
    with (
        ui.element('form')
        .props('action=/ method=get role=search')
        .classes('w-full max-w-md flex no-wrap items-stretch gap-2')
        .mark('not-found-search')
    ):
        ui.input(placeholder='Search shows, theatres, places').props(
            f'name=q type=search outlined dense maxlength={SEARCH_LIMIT} aria-label="Search shows"'
        ).classes('grow')
        ui.button(icon='search').props('type=submit unelevated aria-label="Search"')


async def not_found_page() -> None:
    """What every path without a page shows (NiceGUI's root page, built for any path no route matches)."""
    who = await principal()
    with frame(PAGE_NOT_FOUND, who):
        not_found(who)
