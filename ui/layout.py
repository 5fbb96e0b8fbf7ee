"""The frame every page shares: header with navigation by role, content column, footer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import app, ui

from models import Role
from services.sessions import Principal
from ui.common import door_worker, log_out

PRIMARY = '#4c1d95'
# Dark mode's shades of the theme's colours for text and icons: each at least 4.5:1 on Quasar's dark card (#1d1d1d).
DARK_TEXT = (
    ('primary', '#c4b5fd'),
    ('secondary', '#5eead4'),
    ('accent', '#fbbf24'),
    ('positive', '#4ade80'),
    ('negative', '#f87171'),
    ('grey-8', '#bdbdbd'),
)


def _nav_items(who: Principal | None, *, door: bool = False) -> list[tuple[str, str, str]]:
    items = [('Shows', '/', 'theater_comedy')]
    if who is not None:
        items.append(('My bookings', '/bookings', 'confirmation_number'))
        if who.role in (Role.MANAGER, Role.ADMIN):
            items.append(('Dashboard', '/manage', 'dashboard'))
            items.append(('Summary', '/summary', 'insights'))
            items.append(('Audit', '/audit', 'history'))
        if door:  # managers, admins, and anyone on a theatre's door staff
            items.append(('Check-in', '/checkin', 'qr_code_scanner'))
        if who.role == Role.ADMIN:
            items.append(('Users', '/admin/users', 'group'))
            items.append(('Mail', '/admin/mail', 'mail'))
            items.append(('System', '/admin/system', 'monitor_heart'))
    return items


def _account_items(who: Principal) -> list[tuple[str, str, str]]:
    """What sits behind the person's name: their own things, and the way out."""
    return [
        ('Account', '/account', 'account_circle'),
        ('My exports', '/exports', 'download'),
    ]


# Quasar's defaults and what its markup lacks for a screen reader or a keyboard: the same message again replaces the one
# showing (Quasar's grouping) without a counter badge piling up on it; the page-load bar (a progressbar) has a name;
# a table or seat map that scrolls inside itself (a phone, a zoom) takes the focus while it does (the keyboard
# scrolls it).
QUASAR_DEFAULTS = """<script>window.addEventListener("DOMContentLoaded", () => {
  Quasar.Notify.setDefaults({badgeStyle: "display: none"});
  Quasar.LoadingBar.setDefaults({"aria-label": "Loading"});
  const focusable = () => document.querySelectorAll(".q-table__middle, .seat-map-box").forEach((box) => {
    if (box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1) {
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", box.matches(".q-table__middle") ? "Table, scrolls" : "Seat map, scrolls");
    } else if (box.hasAttribute("tabindex")) {
      ["tabindex", "role", "aria-label"].forEach((name) => box.removeAttribute(name));
    }
  });
  // Quasar's file picker: its add button (an icon) and its file input say what they are for (the picker's label).
  const named = () => document.querySelectorAll(".q-uploader").forEach((picker) => {
    const label = (picker.querySelector(".q-uploader__title") || {}).textContent || "Choose a file";
    picker.querySelectorAll(".q-uploader__input:not([aria-label]), .q-btn:not([aria-label])")
      .forEach((element) => element.setAttribute("aria-label", label));
  });
  let queued = false;
  const soon = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; focusable(); named(); });
  };
  new MutationObserver(soon).observe(document.body, {childList: true, subtree: true});
  window.addEventListener("resize", soon);
});</script>"""


@contextmanager
def frame(title: str, who: Principal | None) -> Iterator[ui.column]:
    """Header, a centred content column (yielded) and a footer."""
    ui.colors(primary=PRIMARY, secondary='#0f766e', accent='#b45309', positive='#15803d', negative='#b91c1c')
    ui.page_title(f'{title} · TicketShow')
    # Keyboard users always see where they are (Quasar's own focus helper is faint on coloured buttons).
    ui.add_css(
        ':focus-visible { outline: 3px solid #b45309 !important; outline-offset: 2px; }'
        f'.nicegui-link {{ color: {PRIMARY}; }} .body--dark .nicegui-link {{ color: #c4b5fd; }}'
        # Dark mode: the greys meant for white would be too dim on a dark card (links have their own colour above).
        '.body--dark .text-gray-500, .body--dark .text-gray-600, .body--dark .text-gray-700'
        ' { color: #d1d5db !important; }'
        # In a layer: Quasar's own !important colours sit in a layer, and a layered !important beats an unlayered one.
        # Dark mode: text and icons in the theme's colours (flat and outline buttons, badges, icons, toggles) are too
        # dark on a dark card: lighter shades there (not on white, as on a ticket; a filled button is bg-*, not text-*).
        '@layer overrides {'
        + ''.join(
            f' .body--dark .text-{name}:not(.bg-white) {{ color: {shade} !important; }}' for name, shade in DARK_TEXT
        )
        + ' }'
        # A word too long for its box (a 100-letter name) breaks anywhere instead of widening the page; `anywhere`
        # (unlike `break-word`) also lets flex items and table cells shrink to fit. Table cells keep a sensible width
        # (a phone's table scrolls inside itself rather than breaking every word).
        ' body, .break-words { overflow-wrap: anywhere; }'
        ' .q-table th, .q-table td { min-width: 4.5rem; }'
        # Cut short with an ellipsis (.truncate) means never wider than its box, even in a column that sizes its items
        # to their content.
        # (:where: any width a page gives it still wins.)
        ' :where(.truncate) { max-width: 100%; }'
        # On paper: no header, navigation, footer or buttons; black on white whatever the screen's mode.
        '@media print { .q-header, .print-hide, .q-notifications { display: none !important; }'
        ' .q-page-container { padding-top: 0 !important; }'
        ' body, .body--dark, .body--dark .q-card { background: #fff !important; color: #000 !important; }'
        ' .body--dark .text-gray-500, .body--dark .text-gray-600, .body--dark .text-gray-700'
        ' { color: #374151 !important; } }'
    )
    ui.add_body_html(QUASAR_DEFAULTS)
    dark = ui.dark_mode(app.storage.user.get('dark', False))
    nav = _nav_items(who, door=door_worker())
    with ui.header(elevated=True).classes('items-center justify-between no-wrap px-2 sm:px-4 py-2 bg-primary'):
        with ui.link(target='/').classes('text-white no-underline flex items-center gap-2'):
            ui.icon('local_activity', size='28px')
            ui.label('TicketShow').classes('text-xl font-bold tracking-tight')
        with ui.row().classes('items-center gap-0 gt-sm no-wrap'):
            for label, target, icon in nav:
                ui.button(label, icon=icon, on_click=lambda t=target: ui.navigate.to(t)).props(
                    'flat no-caps color=white padding="sm"'
                )
        with ui.row().classes('items-center gap-1 no-wrap'):

            def toggle_dark() -> None:
                dark.value = not dark.value
                app.storage.user['dark'] = dark.value

            ui.button(icon='dark_mode', on_click=toggle_dark).props('flat round color=white aria-label="Dark mode"')
            if who is None:
                ui.button('Log in', on_click=lambda: ui.navigate.to('/login')).props(
                    'flat no-caps color=white'
                ).classes('gt-xs')
                ui.button('Sign up', on_click=lambda: ui.navigate.to('/signup')).props(
                    'unelevated no-caps color=accent'
                )
            else:
                with ui.button(icon='account_circle').props('flat no-caps color=white aria-label="Your account"'):
                    # A long name is cut short with an ellipsis: the navigation beside it keeps its room.
                    ui.label(who.name).classes('gt-xs ml-2 truncate').style('max-width: 12rem').mark('header-name')
                    with ui.menu():
                        _menu_items(_account_items(who))
                        with ui.menu_item(on_click=log_out).mark('logout'), ui.row().classes('items-center gap-2'):
                            ui.icon('logout')
                            ui.label('Log out')
            with ui.button(icon='menu').props('flat round color=white aria-label="Menu"').classes('lt-md'):
                with ui.menu():
                    _menu_items(nav + ([('Log in', '/login', 'login')] if who is None else []))
    with ui.column().classes('w-full max-w-6xl mx-auto px-3 sm:px-6 py-4 gap-4') as content:
        yield content
    with ui.row().classes('w-full justify-center py-6 text-gray-500 print-hide'):
        ui.label('TicketShow · book shows, run theatres').classes('text-xs')


def _menu_items(items: list[tuple[str, str, str]]) -> None:
    for label, target, icon in items:
        with ui.menu_item(on_click=lambda t=target: ui.navigate.to(t)), ui.row().classes('items-center gap-2'):
            ui.icon(icon)
            ui.label(label)


def not_allowed(message: str) -> None:
    with ui.card().classes('w-full max-w-lg mx-auto items-center text-center gap-3 p-8'):
        ui.icon('block', size='48px', color='negative')
        ui.label(message).classes('text-lg').mark('not-allowed')
        ui.button('Back to shows', on_click=lambda: ui.navigate.to('/')).props('no-caps')


def empty_state(icon: str, title: str, hint: str, *, action: tuple[str, str] | None = None) -> None:
    with ui.column().classes('w-full items-center text-center gap-2 py-10 text-gray-500'):
        ui.icon(icon, size='56px')
        ui.label(title).classes('text-lg font-medium')
        ui.label(hint)
        if action is not None:
            label, target = action
            ui.button(label, on_click=lambda: ui.navigate.to(target)).props('no-caps')
