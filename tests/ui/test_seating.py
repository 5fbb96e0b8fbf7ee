"""Reserved seating in the simulated browser (issue 15): the buyer's seat picker, the manager's seat-map editor and
the dashboard's show form and seats dialog, each click checked against the database.

The map is clicked as a browser does: the interactive image's mouse event at the image coordinates where the seat's
circle is drawn (tests/ui/seating_helpers.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction
from sqlalchemy import select

from models import Booking, ClaimKind, Role, SeatClaim, SeatKind, SectionPrice, Show, ShowSeating, Theatre, Ticket
from models import User as Account
from models.db import session_scope
from services import booking as booking_service
from services.seating import holds, layout, maps
from tests.factories import make_theatre, make_user
from tests.services.test_seating import HOUSE, HOUSE_SEATS, create_reserved, map_body, put_map, seat_ids
from tests.ui.helpers import (
    count,
    current_path,
    elements,
    eventually,
    field,
    landed_on,
    log_in,
    open_as,
    open_dialog,
    open_not_found,
    shows_error_pages,
    texts,
)
from tests.ui.seating_helpers import (
    claims_of,
    click_seat,
    drag,
    drawn,
    held_by,
    mouse,
    press_seat,
    seat_map,
    title,
)

KOLKATA = ZoneInfo('Asia/Kolkata')  # the app's time zone in the UI tests (tests/ui/conftest.py)
COUNTDOWN = re.compile(r'Held for you for 9:5\d')  # a fresh hold: ten minutes (the default), less a second or so


@dataclass
class Venue:
    manager: Account
    theatre: Theatre
    show_id: int  # reserved: Circle 150.00, Stalls the ticket price 100.00
    ids: dict[str, int]  # seat name → id


async def see(user: User, target: str | None = None, *, marker: str | None = None) -> None:
    """`user.should_see` with time for a service call on a busy machine (it gives up after 0.3 s)."""
    await user.should_see(target, marker=marker, retries=50)


def venue() -> Venue:
    """Prithvi with the HOUSE map (Stalls A–C × 6, Circle A–B × 4) and a reserved show, Hamlet."""
    meera = make_user(username='meera', role=Role.MANAGER, name='Meera Nair')
    theatre = make_theatre(meera, name='Prithvi', place='Mumbai', capacity=HOUSE_SEATS)
    put_map(meera, theatre, HOUSE)
    show = create_reserved(meera, theatre, prices={'Circle': '150'})
    return Venue(meera, theatre, show.id, seat_ids(theatre))


def hold_for(person: Account, show_id: int, seats: list[int]) -> holds.HoldView:
    """Another buyer's hold, made as their own picker would."""
    with session_scope() as session:
        return holds.hold_seats(session, show_id=show_id, user_id=person.id, seats=seats)


def sell_to(person: Account, show_id: int, seats: list[int]) -> booking_service.BookingView:
    with session_scope() as session:
        return booking_service.book(session, show_id=show_id, user_id=person.id, seats=seats, send_email=False)


def names(ids: dict[str, int], seat_set: set[int]) -> list[str]:
    return sorted(name for name, seat_id in ids.items() if seat_id in seat_set)


def chosen(user: User) -> list[str]:
    """The seats the basket lists."""
    return texts(user, 'chosen-seat')


async def basket_shows(user: User, wanted: list[str]) -> None:
    await eventually(lambda: chosen(user) == wanted, message=lambda: f'basket {wanted}, not {chosen(user)}')


def listed(user: User) -> dict[int, str]:
    """What the accessible list beside the map offers (seat id → 'Stalls A1 · ₹100')."""
    (seat_list,) = elements(user, marker='seat-list')
    assert isinstance(seat_list, ui.select)
    return dict(seat_list.options)


async def open_picker(user: User, place: Venue, username: str) -> None:
    await open_as(user, username, f'/shows/{place.show_id}')
    await see(user, marker='seat-picker')
    await eventually(lambda: len(drawn(user)) == HOUSE_SEATS, message='the map drawn')


# --- the buyer's picker -------------------------------------------------------------------------------------


async def test_a_logged_out_visitor_sees_the_map_and_is_asked_to_log_in(user: User) -> None:
    place = venue()
    await user.open(f'/shows/{place.show_id}')
    await see(user, marker='seat-picker')
    seats = drawn(user)
    assert len(seats) == HOUSE_SEATS
    assert seats['Stalls A1'].title == 'Stalls A1: free, ₹100'
    assert seats['Circle B4'].title == 'Circle B4: free, ₹150'
    with user.scope(marker='legend'):
        await see(user, 'Stalls · ₹100')
        await see(user, 'Circle · ₹150')
    await see(user, 'Log in to book')
    await user.should_not_see(marker='book-seats')
    click_seat(user, 'Stalls B3')  # choosing asks to log in, and holds nothing
    await landed_on(user, f'/login?redirect_to=/shows/{place.show_id}')
    assert count(SeatClaim) == 0


async def test_clicking_two_free_seats_holds_them_with_a_total_and_a_countdown(user: User) -> None:
    place = venue()
    asha = make_user(username='asha')
    await open_picker(user, place, 'asha')
    await see(user, marker='basket-empty')
    await user.should_not_see(marker='book-seats')

    click_seat(user, 'Stalls B3')
    await basket_shows(user, ['Stalls B3'])
    click_seat(user, 'Circle A2')
    await basket_shows(user, ['Stalls B3', 'Circle A2'])

    assert names(place.ids, held_by(asha.id, place.show_id)) == ['Circle A2', 'Stalls B3']
    with session_scope() as session:
        claims = session.scalars(select(SeatClaim).where(SeatClaim.show_id == place.show_id)).all()
        assert {(c.kind, c.user_id, c.hold_id is not None) for c in claims} == {(ClaimKind.HELD, asha.id, True)}
    assert texts(user, 'total') == ['₹250']  # 100 in the stalls + 150 in the circle
    await see(user, 'Total (2 seats)')
    (countdown,) = texts(user, 'countdown')
    assert COUNTDOWN.fullmatch(countdown), countdown
    seats = drawn(user)
    assert seats['Stalls B3'].title == 'Stalls B3: your seat'
    assert seats['Circle A2'].title == 'Circle A2: your seat'
    assert seats['Stalls B4'].title == 'Stalls B4: free, ₹100'
    await see(user, marker='book-seats')

    click_seat(user, 'Stalls B3')  # a chosen seat clicked again is let go
    await basket_shows(user, ['Circle A2'])
    assert names(place.ids, held_by(asha.id, place.show_id)) == ['Circle A2']
    assert texts(user, 'total') == ['₹150']
    assert drawn(user)['Stalls B3'].title == 'Stalls B3: free, ₹100'


async def test_best_available_holds_seats_together_in_the_chosen_section(user: User) -> None:
    place = venue()
    asha = make_user(username='asha')
    await open_picker(user, place, 'asha')
    (how_many,) = elements(user, marker='best-count')
    (section,) = [e for e in elements(user, kind=ui.select) if e.props.get('label') == 'Section']
    with user.client:
        how_many.value = 4
        section.value = 'Circle'
    user.find(marker='best').click()
    await basket_shows(user, ['Circle A1', 'Circle A2', 'Circle A3', 'Circle A4'])  # the row nearest the stage
    assert names(place.ids, held_by(asha.id, place.show_id)) == ['Circle A1', 'Circle A2', 'Circle A3', 'Circle A4']
    assert texts(user, 'total') == ['₹600']

    with user.client:  # again, anywhere: a new choice replaces the hold
        how_many.value = 3
        section.value = 'Any section'
    user.find(marker='best').click()
    await eventually(lambda: len(chosen(user)) == 3, message='three seats')
    picked = chosen(user)
    rows = {name[:-1] for name in picked}
    numbers = sorted(int(name[-1]) for name in picked)
    assert rows == {'Stalls A'}, picked  # the front row, side by side
    assert numbers == list(range(numbers[0], numbers[0] + 3)), picked
    assert names(place.ids, held_by(asha.id, place.show_id)) == sorted(picked)


async def test_best_available_says_when_no_row_has_the_seats(user: User) -> None:
    place = venue()
    make_user(username='asha')
    await open_picker(user, place, 'asha')
    (how_many,) = elements(user, marker='best-count')
    (section,) = [e for e in elements(user, kind=ui.select) if e.props.get('label') == 'Section']
    with user.client:
        how_many.value = 5
        section.value = 'Circle'
    user.find(marker='best').click()
    await see(user, 'No row in Circle has 5 free seats next to each other.')
    assert count(SeatClaim) == 0


async def test_choosing_from_the_list_holds(user: User) -> None:
    place = venue()
    asha = make_user(username='asha')
    sell_to(make_user(username='ravi'), place.show_id, [place.ids['Stalls A1']])
    await open_picker(user, place, 'asha')
    offered = listed(user)
    assert place.ids['Stalls A1'] not in offered  # sold: not offered
    assert offered[place.ids['Circle B4']] == 'Circle B4 · ₹150'
    assert len(offered) == HOUSE_SEATS - 1

    (seat_list,) = elements(user, marker='seat-list')
    values = list(offered)  # what the browser sends back: the options' indexes
    chosen_ids = [place.ids['Stalls C2'], place.ids['Circle B4']]
    UserInteraction(user, {seat_list}, None).trigger(  # NiceGUI keeps Vue's event names camel-cased
        'update:modelValue', [{'value': values.index(i), 'label': offered[i]} for i in chosen_ids]
    )
    await basket_shows(user, ['Stalls C2', 'Circle B4'])
    assert held_by(asha.id, place.show_id) == set(chosen_ids)
    assert texts(user, 'total') == ['₹250']
    assert drawn(user)['Stalls C2'].title == 'Stalls C2: your seat'  # the map shows what the list chose


async def test_clicking_a_sold_seat_says_it_is_not_free_and_holds_nothing(user: User) -> None:
    place = venue()
    asha = make_user(username='asha')
    sell_to(make_user(username='ravi'), place.show_id, [place.ids['Stalls A3']])
    await open_picker(user, place, 'asha')
    assert title(user, 'Stalls A3') == 'Stalls A3: sold'
    click_seat(user, 'Stalls A3')
    await see(user, 'Stalls A3 is not free.')
    assert held_by(asha.id, place.show_id) == set()
    await see(user, marker='basket-empty')


async def test_book_these_seats_books_exactly_the_held_seats(user: User) -> None:
    place = venue()
    asha = make_user(username='asha')
    await open_picker(user, place, 'asha')
    click_seat(user, 'Stalls C3')
    await basket_shows(user, ['Stalls C3'])
    click_seat(user, 'Stalls C4')
    await basket_shows(user, ['Stalls C3', 'Stalls C4'])
    user.find(marker='book-seats').click()
    await eventually(lambda: current_path(user).startswith('/bookings?booked='), message='My bookings')
    await see(user, marker='upcoming')
    wanted = {place.ids['Stalls C3'], place.ids['Stalls C4']}
    with session_scope() as session:
        (booking,) = session.scalars(select(Booking)).all()
        sold = set(session.scalars(select(Ticket.seat_id).where(Ticket.booking_id == booking.id)))
        assert (booking.user_id, booking.show_id, booking.booked_tickets, booking.total_cents) == (
            asha.id,
            place.show_id,
            2,
            20000,
        )
    assert current_path(user) == f'/bookings?booked={booking.id}'
    assert sold == wanted
    assert claims_of(place.show_id, ClaimKind.SOLD) == wanted
    assert claims_of(place.show_id, ClaimKind.HELD) == set()  # the hold became the sale
    await see(user, 'Booked 2 tickets for Hamlet')
    assert texts(user, 'booking-seats') == ['Stalls C3, C4']


async def test_a_seat_taken_meanwhile_is_refused_and_the_map_redraws(user: User) -> None:
    place = venue()
    asha = make_user(username='asha')
    ravi = make_user(username='ravi')
    await open_picker(user, place, 'asha')
    click_seat(user, 'Stalls B3')
    await basket_shows(user, ['Stalls B3'])
    assert title(user, 'Stalls B4') == 'Stalls B4: free, ₹100'

    hold_for(ravi, place.show_id, [place.ids['Stalls B4']])  # Ravi is quicker; Asha's map has not caught up yet
    click_seat(user, 'Stalls B4')
    await see(user, 'This seat is no longer free: Stalls B4. Nothing was booked or held; please choose again.')
    await eventually(lambda: title(user, 'Stalls B4') == 'Stalls B4: held by someone', message='the map redrawn')
    assert held_by(asha.id, place.show_id) == {place.ids['Stalls B3']}  # all or nothing: her hold stands as it was
    assert held_by(ravi.id, place.show_id) == {place.ids['Stalls B4']}
    assert chosen(user) == ['Stalls B3']
    assert place.ids['Stalls B4'] not in listed(user)


async def test_the_picker_redraws_when_someone_else_holds_or_lets_go(user: User) -> None:
    place = venue()
    make_user(username='asha')
    ravi = make_user(username='ravi')
    await open_picker(user, place, 'asha')
    image = seat_map(user)
    assert place.ids['Stalls A3'] in listed(user)

    theirs = hold_for(ravi, place.show_id, [place.ids['Stalls A3'], place.ids['Stalls A4']])
    await eventually(
        lambda: title(user, 'Stalls A3') == 'Stalls A3: held by someone', timeout=3, message='the hold shown'
    )
    assert title(user, 'Stalls A4') == 'Stalls A4: held by someone'
    assert place.ids['Stalls A3'] not in listed(user) and place.ids['Stalls A4'] not in listed(user)
    assert seat_map(user) is image  # redrawn in place, not reloaded

    with session_scope() as session:
        holds.release_hold(session, hold_id=theirs.id, user_id=ravi.id)
    await eventually(lambda: title(user, 'Stalls A3') == 'Stalls A3: free, ₹100', timeout=3, message='freed')
    assert place.ids['Stalls A3'] in listed(user)


async def test_a_sale_elsewhere_shows_as_sold_within_a_poll_while_the_countdown_runs(user: User) -> None:
    place = venue()
    make_user(username='asha')
    await open_picker(user, place, 'asha')
    click_seat(user, 'Stalls A1')
    await basket_shows(user, ['Stalls A1'])
    (first,) = texts(user, 'countdown')
    sell_to(make_user(username='ravi'), place.show_id, [place.ids['Circle B1']])
    await asyncio.sleep(1.5)  # the picker polls the show's seat version every second
    await eventually(lambda: title(user, 'Circle B1') == 'Circle B1: sold', timeout=1, message='the sale shown')
    await eventually(lambda: texts(user, 'countdown') != [first], timeout=1.5, message='the countdown to tick')
    (later,) = texts(user, 'countdown')
    assert COUNTDOWN.fullmatch(later) and later < first, (first, later)  # the clock ticks down on its own


# --- the manager's seat-map editor --------------------------------------------------------------------------


def status(user: User) -> str:
    (text,) = texts(user, 'map-status')
    return text


def inside(user: User, marker: str, kind: type[ui.element]) -> list[ui.element]:
    """The elements of `kind` inside the element marked `marker`, in page order."""
    (outer,) = elements(user, marker=marker)
    return sorted((e for e in outer.descendants() if isinstance(e, kind)), key=lambda e: e.id)


def selected(user: User) -> list[str]:
    return sorted(name for name, seat in drawn(user).items() if seat.ringed)


def kinds(theatre: Theatre) -> dict[str, str]:
    """Seat name → kind, as saved."""
    with session_scope() as session:
        view = maps.load_map(session, theatre.id)
    assert view is not None
    return {
        f'{section.name} {row.label}{seat.label}': seat.kind.value
        for section in view.sections
        for row in section.rows
        for seat in row.seats
    }


async def open_editor(user: User, theatre: Theatre, username: str = 'meera') -> None:
    await open_as(user, username, f'/theatres/{theatre.id}/seatmap')
    await see(user, marker='save-map')


def saved_map(theatre: Theatre) -> maps.SeatMapView | None:
    with session_scope() as session:
        return maps.load_map(session, theatre.id)


async def test_generating_a_two_section_map_and_saving_it(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi', capacity=200)
    await open_editor(user, theatre)
    assert status(user) == 'No seats yet: generate a map below, or import one.'
    assert drawn(user) == {}

    user.find('Add a section').click()
    (stalls, circle) = inside(user, 'generator', ui.input)
    numbers = inside(user, 'generator', ui.number)
    (stalls_rows, circle_rows) = [e for e in numbers if e.props['label'] == 'Rows']
    (stalls_seats, circle_seats) = [e for e in numbers if e.props['label'] == 'Seats/row']
    with user.client:
        stalls_rows.value, stalls_seats.value = 3, 6
        circle.value, circle_rows.value, circle_seats.value = 'Circle', 2, 4
    assert stalls.value == 'Stalls'
    user.find(marker='generate').click()
    await see(user, 'Map generated.')
    assert status(user) == '26 seats · 26 for sale · 0 selected'
    seats = drawn(user)
    assert len(seats) == 26
    assert seats['Stalls C6'].title == 'Stalls C6 (standard)'
    assert seats['Circle B4'].y > seats['Stalls C6'].y  # the circle behind the stalls
    assert saved_map(theatre) is None  # nothing is stored until Save

    user.find(marker='save-map').click()
    await see(user, 'Seat map saved: 26 seats for sale.')
    view = saved_map(theatre)
    assert view is not None
    expected = layout.generate([('Stalls', 3, 6), ('Circle', 2, 4)])
    assert [
        (section.name, row.label, [(seat.label, seat.x, seat.y) for seat in row.seats])
        for section in view.sections
        for row in section.rows
    ] == [
        (section['name'], row['label'], [(seat['label'], seat['x'], seat['y']) for seat in row['seats']])
        for section in expected['sections']
        for row in section['rows']
    ]
    assert view.seats == 26
    with session_scope() as session:
        assert session.get_one(Theatre, theatre.id).capacity == 26


async def test_a_rectangle_selects_seats_to_block_and_undo_restores_them(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi', capacity=HOUSE_SEATS)
    put_map(meera, theatre, HOUSE)
    await open_editor(user, theatre)
    await eventually(lambda: len(drawn(user)) == HOUSE_SEATS, message='the saved map drawn')
    assert status(user) == '26 seats · 26 for sale · 0 selected'

    seats = drawn(user)
    a1, b2 = seats['Stalls A1'], seats['Stalls B2']
    drag(user, (a1.x - 10, a1.y - 10), (b2.x + 10, b2.y + 10))
    assert selected(user) == ['Stalls A1', 'Stalls A2', 'Stalls B1', 'Stalls B2']
    assert status(user) == '26 seats · 26 for sale · 4 selected'

    user.find(marker='mark-blocked').click()
    await see(user, 'Marked blocked.')
    assert status(user) == '26 seats · 22 for sale · 4 selected'
    assert title(user, 'Stalls A1') == 'Stalls A1 (blocked)'
    assert drawn(user)['Stalls A1'].fill == 'none'
    assert title(user, 'Stalls A3') == 'Stalls A3 (standard)'

    user.find(marker='undo').click()
    assert status(user) == '26 seats · 26 for sale · 4 selected'
    assert title(user, 'Stalls A1') == 'Stalls A1 (standard)'
    user.find(marker='redo').click()
    assert status(user) == '26 seats · 22 for sale · 4 selected'

    user.find(marker='save-map').click()
    await see(user, 'Seat map saved: 22 seats for sale.')
    saved = kinds(theatre)
    assert sorted(name for name, kind in saved.items() if kind == SeatKind.BLOCKED) == [
        'Stalls A1',
        'Stalls A2',
        'Stalls B1',
        'Stalls B2',
    ]
    assert len(saved) == HOUSE_SEATS


async def test_clicks_select_and_delete_seats(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi', capacity=HOUSE_SEATS)
    put_map(meera, theatre, HOUSE)
    await open_editor(user, theatre)
    await eventually(lambda: len(drawn(user)) == HOUSE_SEATS, message='the saved map drawn')
    press_seat(user, 'Stalls C6')
    assert selected(user) == ['Stalls C6']
    press_seat(user, 'Stalls C5', shift=True)  # shift-click adds
    assert selected(user) == ['Stalls C5', 'Stalls C6']
    press_seat(user, 'Circle B1')  # a plain click starts over
    assert selected(user) == ['Circle B1']
    mouse(user, 'mousedown', 3, 3)  # a click beside the seats clears the selection
    mouse(user, 'mouseup', 3, 3)
    assert selected(user) == []
    press_seat(user, 'Circle B1')
    press_seat(user, 'Stalls C5', shift=True)
    press_seat(user, 'Stalls C6', shift=True)
    press_seat(user, 'Circle B1', shift=True)  # shift-click on a selected seat takes it out
    assert selected(user) == ['Stalls C5', 'Stalls C6']

    user.find(marker='delete-seats').click()
    await see(user, 'Seats deleted.')
    assert status(user) == '24 seats · 24 for sale · 0 selected'
    assert 'Stalls C6' not in drawn(user)
    user.find(marker='save-map').click()
    await see(user, 'Seat map saved: 24 seats for sale.')
    saved = kinds(theatre)
    assert len(saved) == 24
    assert 'Stalls C5' not in saved and 'Stalls C6' not in saved and 'Stalls C4' in saved


async def test_a_save_that_would_remove_a_booked_seat_is_refused_naming_it(user: User) -> None:
    place = venue()
    sell_to(make_user(username='ravi'), place.show_id, [place.ids['Stalls C6']])
    before = map_body(place.theatre)
    await open_editor(user, place.theatre)
    await eventually(lambda: len(drawn(user)) == HOUSE_SEATS, message='the saved map drawn')
    press_seat(user, 'Stalls C6')
    press_seat(user, 'Stalls C5', shift=True)
    user.find(marker='delete-seats').click()
    user.find(marker='save-map').click()
    refusal = 'These seats are in use and cannot be removed or blocked: Stalls C6 (booked for Hamlet).'
    await see(user, refusal)
    assert texts(user, 'map-problem') == [refusal]
    assert map_body(place.theatre) == before  # nothing saved, not even Stalls C5's removal
    assert status(user) == '24 seats · 24 for sale · 0 selected'  # the edit is kept, to undo or change


async def test_another_manager_is_told_there_is_no_such_theatre(user: User) -> None:
    place = venue()
    make_user(username='kiran', role=Role.MANAGER)
    await open_as(user, 'kiran', '/manage')
    await open_not_found(user, f'/theatres/{place.theatre.id}/seatmap')
    await see(user, marker='not-found')
    await see(user, 'No such theatre')
    await user.should_not_see(marker='seat-map')
    await user.should_not_see(marker='save-map')


async def test_an_audience_member_is_refused_the_editor(user: User) -> None:
    place = venue()
    make_user(username='asha')
    shows_error_pages(user)  # the refusal answers 403
    await open_as(user, 'asha', f'/theatres/{place.theatre.id}/seatmap')
    await see(user, 'The seat-map editor is for theatre managers.')
    await user.should_not_see(marker='seat-map')
    await user.should_not_see(marker='save-map')


# --- the dashboard ------------------------------------------------------------------------------------------


def in_days(days: int) -> str:
    return (dt.datetime.now(dt.UTC).astimezone(KOLKATA).date() + dt.timedelta(days=days)).isoformat()


async def open_dashboard(user: User) -> None:
    await log_in(user, 'meera', target='/manage')
    await landed_on(user, '/manage')
    await see(user, marker='add-theatre')


async def test_the_show_form_of_a_theatre_with_a_map_creates_a_reserved_show(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi', capacity=HOUSE_SEATS)
    put_map(meera, theatre, HOUSE)
    await open_dashboard(user)
    with user.scope(marker=f'theatre-{theatre.id}'):
        user.find(marker='add-show').click()
    await open_dialog(user, 'show-dialog')
    (seating,) = [e for e in elements(user, kind=ui.select) if e.props.get('label') == 'Seating']
    assert seating.value == 'reserved'  # a theatre with a map sells by seat unless told otherwise
    (tickets,) = [e for e in elements(user, kind=ui.input) if str(e.props.get('label')).startswith('Number of')]
    assert not tickets.visible  # the map says how many
    for label, value in {
        'Show name': 'Hamlet',
        'Rating (0–5)': '4.5',
        'Tags, separated by commas': 'drama',
        'Ticket price': '100',
        'Date': in_days(10),
        'Time': '19:30',
        'Section prices': 'Circle: 150',
    }.items():
        field(user, label).clear().type(value)
    user.find(marker='save').click()
    await see(user, 'Show added.')

    with session_scope() as session:
        (show,) = session.scalars(select(Show).where(Show.theatre_id == theatre.id)).all()
        assert (show.name, show.price_cents, show.num_tickets, show.tickets_sold) == ('Hamlet', 10000, HOUSE_SEATS, 0)
        assert session.get(ShowSeating, show.id) is not None
        prices = session.execute(select(SectionPrice.section, SectionPrice.price_cents)).all()
        assert [tuple(row) for row in prices] == [('Circle', 15000)]
    with user.scope(marker=f'manage-show-{show.id}'):
        await see(user, marker='show-seats')  # a reserved show has its seats button


async def test_the_show_form_can_still_make_a_general_admission_show(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi', capacity=HOUSE_SEATS)
    put_map(meera, theatre, HOUSE)
    await open_dashboard(user)
    with user.scope(marker=f'theatre-{theatre.id}'):
        user.find(marker='add-show').click()
    await open_dialog(user, 'show-dialog')
    (seating,) = [e for e in elements(user, kind=ui.select) if e.props.get('label') == 'Seating']
    with user.client:
        seating.value = 'general'
    await user.should_not_see('Section prices')
    for label, value in {
        'Show name': 'Open Mic',
        'Rating (0–5)': '4',
        'Ticket price': '50',
        'Date': in_days(5),
        'Time': '19:30',
        'Number of tickets (at most 26)': '20',
    }.items():
        field(user, label).clear().type(value)
    user.find(marker='save').click()
    await see(user, 'Show added.')
    with session_scope() as session:
        (show,) = session.scalars(select(Show)).all()
        assert (show.name, show.num_tickets) == ('Open Mic', 20)
        assert session.get(ShowSeating, show.id) is None
    with user.scope(marker=f'manage-show-{show.id}'):
        await user.should_not_see(marker='show-seats')


async def test_the_theatre_card_opens_the_seat_map_editor(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi', capacity=HOUSE_SEATS)
    await open_dashboard(user)
    with user.scope(marker=f'theatre-{theatre.id}'):
        await user.should_not_see('Seating')
        user.find(marker='seat-map-button').click()
    await landed_on(user, f'/theatres/{theatre.id}/seatmap')
    await see(user, 'Seat map · Prithvi')


async def test_the_seats_dialog_keeps_a_seat_back_as_a_house_seat(user: User) -> None:
    place = venue()
    sell_to(make_user(username='ravi'), place.show_id, [place.ids['Stalls A1']])
    hold_for(make_user(username='asha'), place.show_id, [place.ids['Stalls A2']])
    await open_dashboard(user)
    with user.scope(marker=f'manage-show-{place.show_id}'):
        user.find(marker='show-seats').click()
    await open_dialog(user, 'show-seats-dialog')
    await eventually(lambda: len(drawn(user)) == HOUSE_SEATS, message='the show map drawn')
    assert texts(user, 'seat-counts') == ['Sold 1 · Held 1 · Free 24 · House seats 0']
    assert title(user, 'Stalls A1') == 'Stalls A1: sold'
    assert title(user, 'Stalls A2') == 'Stalls A2: held'

    click_seat(user, 'Stalls A1')  # sold: cannot be kept back
    await see(user, 'Only a free seat can be kept back.')
    click_seat(user, 'Circle B4')
    assert texts(user, 'seat-counts') == ['Sold 1 · Held 1 · Free 24 · House seats 1']
    assert title(user, 'Circle B4') == 'Circle B4: house seat'
    assert claims_of(place.show_id, ClaimKind.BLOCKED) == set()  # not before Save

    user.find(marker='save-house').click()
    await see(user, '1 house seat kept back from sale.')
    assert claims_of(place.show_id, ClaimKind.BLOCKED) == {place.ids['Circle B4']}
    with session_scope() as session:
        assert session.get_one(Show, place.show_id).num_tickets == HOUSE_SEATS - 1
    await eventually(
        lambda: texts(user, 'seat-counts') == ['Sold 1 · Held 1 · Free 23 · House seats 1'], message='reloaded'
    )

    click_seat(user, 'Circle B4')  # clicked again: back on sale
    user.find(marker='save-house').click()
    await see(user, '0 house seats kept back from sale.')
    assert claims_of(place.show_id, ClaimKind.BLOCKED) == set()
    with session_scope() as session:
        assert session.get_one(Show, place.show_id).num_tickets == HOUSE_SEATS
