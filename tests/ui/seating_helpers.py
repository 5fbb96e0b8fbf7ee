"""Reading a drawn seat map and pointing at it in NiceGUI's simulated browser.

The map is a `ui.interactive_image` (marker 'seat-map') whose SVG content has one <circle> per seat, with the seat's
name in its <title>. A click is the image's 'mouse' event with image coordinates, as the browser sends it; the
centre of a seat's circle is where `ui.seat_map.Frame.px` put the seat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from sqlalchemy import select

from models import ClaimKind, SeatClaim
from models.db import session_scope
from tests.ui.helpers import elements

_CIRCLE = re.compile(
    r'<circle cx="(?P<x>-?[\d.]+)" cy="(?P<y>-?[\d.]+)" r="[\d.]+" fill="(?P<fill>[^"]*)"(?P<rest>[^>]*)>'
    r'(?:<title>(?P<title>[^<]*)</title>)?</circle>'
)
_NAME = re.compile(r'(.+?)(?:: | \()')  # 'Stalls A1: free, ₹100' (picker, dashboard), 'Stalls A1 (standard)' (editor)


@dataclass(frozen=True)
class Drawn:
    """One seat as the map draws it."""

    name: str  # 'Stalls A1'
    x: float  # image pixels
    y: float
    fill: str
    title: str  # what a hover or a screen reader says: 'Stalls A1: free, ₹100'
    ringed: bool  # drawn with a coloured outline (the editor's selection)


def seat_map(user: User) -> ui.interactive_image:
    """The page's seat map (the newest, should a closed dialog's linger)."""
    found = [e for e in elements(user, marker='seat-map') if isinstance(e, ui.interactive_image)]
    assert found, 'no seat map on the page'
    return max(found, key=lambda e: e.id)


def drawn(user: User) -> dict[str, Drawn]:
    """Every seat on the map by name, in drawing order."""
    seats: dict[str, Drawn] = {}
    for match in _CIRCLE.finditer(seat_map(user).content):
        title = unescape(match['title'] or '')
        named = _NAME.match(title)
        assert named, f'a seat without a name: {match[0]}'
        seats[named[1]] = Drawn(
            named[1], float(match['x']), float(match['y']), match['fill'], title, 'stroke-width' in match['rest']
        )
    return seats


def title(user: User, name: str) -> str:
    return drawn(user)[name].title


def mouse(user: User, kind: str, x: float, y: float, *, shift: bool = False) -> None:
    """The browser's mouse event of type `kind` ('click', 'mousedown', 'mouseup') at image point (x, y)."""
    UserInteraction(user, {seat_map(user)}, None).trigger(
        'mouse',
        {'mouse_event_type': kind, 'image_x': x, 'image_y': y, 'button': 0, 'buttons': 1, 'shiftKey': shift},
    )


def click_seat(user: User, name: str) -> None:
    """Click the seat (the picker and the dashboard listen to clicks)."""
    seat = drawn(user)[name]
    mouse(user, 'click', seat.x, seat.y)


def press_seat(user: User, name: str, *, shift: bool = False) -> None:
    """Press and release on the seat (the editor listens to mousedown and mouseup, to tell clicks from drags)."""
    seat = drawn(user)[name]
    mouse(user, 'mousedown', seat.x, seat.y, shift=shift)
    mouse(user, 'mouseup', seat.x + 1, seat.y + 1, shift=shift)


def drag(user: User, start: tuple[float, float], end: tuple[float, float], *, shift: bool = False) -> None:
    mouse(user, 'mousedown', *start, shift=shift)
    mouse(user, 'mouseup', *end, shift=shift)


def held_by(user_id: int, show_id: int) -> set[int]:
    """The seat ids the person holds for the show (claims of kind held)."""
    with session_scope() as session:
        return set(
            session.scalars(
                select(SeatClaim.seat_id).where(
                    SeatClaim.show_id == show_id, SeatClaim.user_id == user_id, SeatClaim.kind == ClaimKind.HELD
                )
            )
        )


def claims_of(show_id: int, kind: ClaimKind) -> set[int]:
    with session_scope() as session:
        return set(
            session.scalars(select(SeatClaim.seat_id).where(SeatClaim.show_id == show_id, SeatClaim.kind == kind))
        )
