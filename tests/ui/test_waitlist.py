"""The waiting list and cancelled performances in the simulated browser (issue 16): joining and leaving on the show
page, offers taken up or declined there and on `/waitlist/{id}`, the list on My bookings, the manager's waiting-list
and cancel dialogs and the summary's figures, each click checked against the database.

The scheduler is off in page tests, so nothing offers freed tickets by itself: a test makes offers as the offer
runner would, with `waitlist.offer_freed` in a transaction of its own.
"""

from __future__ import annotations

import datetime as dt

import pytest
from nicegui.element import Element
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from models import Booking, BookingStatus, Role, Show, ShowStatus, WaitlistEntry, WaitlistStatus
from models import User as Account
from models.db import session_scope
from services import booking as booking_service
from services import cancellation, waitlist
from services.errors import Conflict
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services.test_seating import HOUSE, HOUSE_SEATS, create_reserved, put_map, seat_ids
from tests.ui.helpers import count, elements, eventually, landed_on, log_in, open_as, open_dialog, open_not_found, texts

DAYS_5 = dt.timedelta(days=5)  # after the factories' default of three days


async def see(user: User, target: str | None = None, *, marker: str | None = None) -> None:
    """`user.should_see` with time for a service call on a busy machine (it gives up after 0.3 s)."""
    await user.should_see(target, marker=marker, retries=50)


def manager() -> Account:
    return make_user(username='meera', role=Role.MANAGER, name='Meera Nair')


def sold_out(num_tickets: int = 4, *, name: str = 'Hamlet') -> tuple[Show, list[Booking]]:
    """A general-admission show sold out to one buyer per two tickets (real bookings, so some can be cancelled)."""
    theatre = make_theatre(manager(), name='Prithvi', place='Mumbai')
    show = make_show(theatre, name=name, num_tickets=num_tickets, price_cents=25000)
    bookings = [make_booking(make_user(), show, tickets=2) for _ in range(num_tickets // 2)]
    return show, bookings


def join(person: Account, show_id: int, tickets: int) -> waitlist.EntryView:
    with session_scope() as session:
        return waitlist.join(session, show_id=show_id, user_id=person.id, tickets=tickets)


def free(booking_id: int) -> None:
    """Its buyer cancels it; the tickets come free."""
    with session_scope() as session:
        user_id = session.get_one(Booking, booking_id).user_id
        booking_service.cancel_booking(session, booking_id=booking_id, user_id=user_id)


def offer(show_id: int) -> list[int]:
    """What the offer runner does once tickets come free."""
    with session_scope() as session:
        return waitlist.offer_freed(session, show_id=show_id)


def entry(entry_id: int) -> WaitlistEntry:
    with session_scope() as session:
        return session.get_one(WaitlistEntry, entry_id)


def show_row(show_id: int) -> Show:
    with session_scope() as session:
        return session.get_one(Show, show_id)


def set_value(user: User, marker: str, value: object) -> None:
    (element,) = elements(user, marker=marker)
    with user.client:
        element.value = value  # type: ignore[attr-defined]


def error_of(user: User, marker: str) -> str | None:
    """The message beside the field (None while a redraw has taken it away)."""
    found = elements(user, marker=marker)
    return found[0].error if len(found) == 1 else None  # type: ignore[attr-defined]


def inside(user: User, row: str, marker: str) -> list[Element]:
    """The elements marked `marker` inside the one marked `row` (a dashboard row of several shows)."""
    (outer,) = elements(user, marker=row)
    return [e for e in elements(user, marker=marker) if outer in e.ancestors()]


def within(user: User, row: str, marker: str) -> UserInteraction[Element]:
    found = inside(user, row, marker)
    assert len(found) == 1, f'expected one {marker} in {row}, found {len(found)}'
    return UserInteraction(user, set(found), marker)


def shown(element: Element) -> bool:
    """Visible, and so is everything around it."""
    return all(e.visible for e in (element, *element.ancestors()))


def join_shown(user: User) -> bool:
    found = elements(user, marker='join-waitlist')
    return bool(found) and all(shown(e) for e in found)


def words(found: list[Element]) -> list[str]:
    return [getattr(e, 'text', '') for e in found]


async def confirm(user: User, dialog: str) -> None:
    await open_dialog(user, dialog)
    user.find(marker='confirm-yes').click()


# --- the show page ------------------------------------------------------------------------------------------


async def test_joining_a_sold_out_show_shows_the_place_in_line(user: User) -> None:
    show, _ = sold_out()
    join(make_user(username='bob'), show.id, 1)  # first in line
    asha = make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    await see(user, marker='housefull')
    await see(user, 'Join the waiting list')
    assert not elements(user, marker='book')
    set_value(user, 'waitlist-tickets', 3)
    user.find(marker='join-waitlist').click()
    await see(user, 'You are number 2 in line for 3 tickets.')
    with session_scope() as session:
        mine = waitlist.my_entry(session, show_id=show.id, user_id=asha.id)
    assert mine is not None and mine.status == WaitlistStatus.WAITING and mine.tickets == 3 and mine.position == 2
    assert elements(user, marker='leave-waitlist')
    assert not elements(user, marker='join-waitlist')


async def test_a_bad_number_or_one_that_can_be_booked_is_refused_beside_the_field(user: User) -> None:
    theatre = make_theatre(manager(), name='Prithvi')
    show = make_show(theatre, name='Hamlet', num_tickets=10, tickets_sold=7)  # 3 left
    make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    await see(user, marker='book')
    assert not [e for e in elements(user, marker='join-waitlist') if shown(e)]  # folded under "Want more?"
    user.find(marker='want-more').click()
    await eventually(lambda: join_shown(user), message='the list unfolded')
    assert elements(user, marker='waitlist-tickets')[0].value == 4  # type: ignore[attr-defined]
    set_value(user, 'waitlist-tickets', 3)
    user.find(marker='join-waitlist').click()
    await eventually(lambda: error_of(user, 'waitlist-tickets'), message='the refusal beside the field')
    assert (
        error_of(user, 'waitlist-tickets')
        == '3 tickets can be booked now: book them instead of joining the waiting list.'
    )
    set_value(user, 'waitlist-tickets', 11)
    user.find(marker='join-waitlist').click()
    await eventually(lambda: error_of(user, 'waitlist-tickets') == 'Number of tickets must be between 1 and 10.')
    assert count(WaitlistEntry) == 0
    set_value(user, 'waitlist-tickets', 5)
    user.find(marker='join-waitlist').click()
    await see(user, 'You are number 1 in line for 5 tickets.')
    assert count(WaitlistEntry, WaitlistEntry.status == WaitlistStatus.WAITING) == 1
    await see(user, marker='book')  # the 3 left can still be booked meanwhile


async def test_no_waiting_list_while_a_full_booking_is_there_to_be_had(user: User) -> None:
    theatre = make_theatre(manager(), name='Prithvi')
    show = make_show(theatre, name='Hamlet', num_tickets=50, tickets_sold=40)  # 10 left: any booking fits
    make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    await see(user, marker='book')
    assert not elements(user, marker='waitlist-card')


async def test_a_booking_refused_for_too_few_tickets_offers_the_waiting_list(user: User) -> None:
    theatre = make_theatre(manager(), name='Prithvi')
    show = make_show(theatre, name='Hamlet', num_tickets=10, tickets_sold=7)  # 3 left
    make_user(username='asha')
    bob = make_user(username='bob')
    await open_as(user, 'asha', f'/shows/{show.id}')
    await see(user, marker='book')
    set_value(user, 'tickets', 3)
    user.find(marker='book').click()
    await open_dialog(user, 'confirm-dialog')
    with session_scope() as session:  # someone else was quicker
        booking_service.book(session, show_id=show.id, user_id=bob.id, tickets=2, send_email=False)
    user.find('Confirm booking').click()
    await eventually(lambda: error_of(user, 'tickets') == 'Not enough tickets left: only 1 left.')
    await eventually(lambda: join_shown(user), message='the list open')
    assert elements(user, marker='waitlist-tickets')[0].value == 3  # type: ignore[attr-defined]
    user.find(marker='join-waitlist').click()
    await see(user, 'You are number 1 in line for 3 tickets.')


async def test_leaving_the_waiting_list(user: User) -> None:
    show, _ = sold_out()
    asha = make_user(username='asha')
    mine = join(asha, show.id, 2)
    await open_as(user, 'asha', f'/shows/{show.id}')
    await see(user, 'You are number 1 in line for 2 tickets.')
    user.find(marker='leave-waitlist').click()
    await open_dialog(user, 'leave-dialog')
    user.find('Stay in line').click()
    await eventually(lambda: not elements(user, marker='leave-dialog'))
    assert entry(mine.id).status == WaitlistStatus.WAITING
    user.find(marker='leave-waitlist').click()
    await confirm(user, 'leave-dialog')
    await eventually(lambda: entry(mine.id).status == WaitlistStatus.LEFT, message='the entry left')
    await see(user, 'Join the waiting list')
    assert not elements(user, marker='waitlist-position')


async def test_a_visitor_is_asked_to_log_in_to_join(user: User) -> None:
    show, _ = sold_out()
    await user.open(f'/shows/{show.id}')
    await see(user, marker='waitlist-card')
    user.find(marker='join-waitlist').click()
    await landed_on(user, f'/login?redirect_to=/shows/{show.id}')
    await see(user, marker='login-reason')


async def test_an_offer_shows_on_the_show_page_and_accepting_books_it(user: User) -> None:
    show, bookings = sold_out()
    asha = make_user(username='asha')
    mine = join(asha, show.id, 2)
    free(bookings[0].id)
    assert offer(show.id) == [mine.id]
    await open_as(user, 'asha', f'/shows/{show.id}')
    await see(user, marker='offer-card')
    (text,) = texts(user, 'offer-text')
    assert text.startswith('2 tickets are set aside for you until ')
    assert texts(user, 'offer-price') == ['2 × ₹250 = ₹500']
    await see(user, marker='offer-countdown')
    user.find(marker='accept-offer').click()
    await eventually(lambda: entry(mine.id).status == WaitlistStatus.BOOKED, message='the offer booked')
    booked = entry(mine.id).booking_id
    await landed_on(user, f'/bookings/{booked}')
    await see(user, marker='ticket-reference')
    with session_scope() as session:
        made = session.get_one(Booking, booked)
        assert (made.user_id, made.booked_tickets, made.status) == (asha.id, 2, BookingStatus.CONFIRMED)
    assert (show_row(show.id).tickets_sold, show_row(show.id).tickets_offered) == (4, 0)


async def test_the_offer_page_accepts_and_goes_to_the_new_booking(user: User) -> None:
    show, bookings = sold_out()
    asha = make_user(username='asha')
    mine = join(asha, show.id, 2)
    free(bookings[1].id)
    offer(show.id)
    await open_as(user, 'asha', f'/waitlist/{mine.id}')
    await see(user, marker='waitlist-entry')
    assert texts(user, 'entry-show') == ['Hamlet']
    assert texts(user, 'entry-status') == ['Offer open']
    (text,) = texts(user, 'offer-text')
    assert text.startswith('2 tickets are set aside for you until ')
    assert texts(user, 'offer-price') == ['2 × ₹250 = ₹500']
    (left,) = texts(user, 'offer-countdown')
    assert left.endswith(' left') and left != '0:00 left'
    user.find(marker='accept-offer').click()
    await eventually(lambda: entry(mine.id).booking_id is not None, message='the offer booked')
    await landed_on(user, f'/bookings/{entry(mine.id).booking_id}')
    assert count(Booking, Booking.user_id == asha.id, Booking.status == BookingStatus.CONFIRMED) == 1


async def test_declining_passes_the_offer_on(user: User) -> None:
    show, bookings = sold_out()
    asha, bob = make_user(username='asha'), make_user(username='bob')
    first, second = join(asha, show.id, 2), join(bob, show.id, 2)
    free(bookings[0].id)
    assert offer(show.id) == [first.id]
    await open_as(user, 'asha', f'/waitlist/{first.id}')
    await see(user, marker='decline-offer')
    user.find(marker='decline-offer').click()
    await confirm(user, 'decline-dialog')
    await eventually(lambda: entry(first.id).status == WaitlistStatus.LEFT, message='the offer declined')
    await see(user, 'You declined this offer.')
    assert texts(user, 'entry-status') == ['Offer declined']
    assert show_row(show.id).tickets_offered == 0  # set aside no longer
    assert offer(show.id) == [second.id]  # the runner's next pass: the next in line gets them
    assert entry(second.id).status == WaitlistStatus.OFFERED


async def test_a_waiting_entry_and_a_booked_one_on_the_offer_page(user: User) -> None:
    show, bookings = sold_out()
    asha = make_user(username='asha')
    mine = join(asha, show.id, 2)
    await open_as(user, 'asha', f'/waitlist/{mine.id}')
    await see(user, 'You are number 1 in line for 2 tickets.')
    assert not elements(user, marker='accept-offer')
    free(bookings[0].id)
    offer(show.id)
    with session_scope() as session:
        made = waitlist.accept(session, entry_id=mine.id, user_id=asha.id)
    await user.open(f'/waitlist/{mine.id}')
    await see(user, 'You accepted this offer: the tickets are booked.')
    user.find(marker='open-booking').click()
    await landed_on(user, f'/bookings/{made.id}')


async def test_someone_elses_entry_is_not_found(user: User) -> None:
    show, _ = sold_out()
    mine = join(make_user(username='asha'), show.id, 2)
    make_user(username='bob')
    await open_as(user, 'bob', '/bookings')
    await open_not_found(user, f'/waitlist/{mine.id}')
    await see(user, 'No such waiting-list entry')
    assert not elements(user, marker='waitlist-entry')
    await open_not_found(user, '/waitlist/not-a-number')
    await see(user, 'No such waiting-list entry')


async def test_a_reserved_shows_offer_names_its_seats(user: User) -> None:
    meera = manager()
    theatre = make_theatre(meera, name='Prithvi', place='Mumbai', capacity=HOUSE_SEATS)
    put_map(meera, theatre, HOUSE)
    show = create_reserved(meera, theatre, prices={'Circle': '150'})
    ids = sorted(seat_ids(theatre).values())
    buyer = make_user()
    with session_scope() as session:
        sold = [
            booking_service.book(session, show_id=show.id, user_id=buyer.id, seats=ids[start : start + 10]).id
            for start in range(0, len(ids), 10)
        ]
    asha = make_user(username='asha')
    mine = join(asha, show.id, 2)
    free(sold[0])
    assert offer(show.id) == [mine.id]
    await open_as(user, 'asha', f'/waitlist/{mine.id}')
    await see(user, marker='offer-seats')
    (seats,) = texts(user, 'offer-seats')
    assert len(seats.split(', ')) == 2
    assert seats == ', '.join(entry_seats(mine.id))


def entry_seats(entry_id: int) -> tuple[str, ...]:
    with session_scope() as session:
        return waitlist.entries.views(session, [session.get_one(WaitlistEntry, entry_id)])[0].seats


# --- My bookings --------------------------------------------------------------------------------------------


async def test_my_bookings_lists_the_waiting_lists(user: User) -> None:
    hamlet, hamlet_bookings = sold_out(name='Hamlet')
    othello = make_show(
        make_theatre(make_user(role=Role.MANAGER)), name='Othello', num_tickets=2, tickets_sold=2, starts_in=DAYS_5
    )
    asha = make_user(username='asha')
    offered = join(asha, hamlet.id, 2)
    join(make_user(), othello.id, 1)
    waiting = join(asha, othello.id, 1)
    free(hamlet_bookings[0].id)
    offer(hamlet.id)
    await open_as(user, 'asha', '/bookings')
    await see(user, marker='waitlists')
    assert texts(user, 'waitlist-show') == ['Hamlet', 'Othello']  # live entries, the soonest show first
    offered_row, waiting_row = f'waitlist-{offered.id}', f'waitlist-{waiting.id}'
    assert words(inside(user, waiting_row, 'waitlist-status')) == ['Waiting: number 2 in line']
    assert words(inside(user, offered_row, 'waitlist-status')) == ['Offer open']
    (ends,) = words(inside(user, offered_row, 'waitlist-offer-end'))
    assert ends.startswith('Set aside for you until ')
    assert not inside(user, waiting_row, 'open-offer')
    within(user, waiting_row, 'leave-waitlist').click()
    await confirm(user, 'leave-dialog')
    await eventually(lambda: entry(waiting.id).status == WaitlistStatus.LEFT, message='left Othello')
    await eventually(lambda: 'Left the list' in texts(user, 'waitlist-status'), message='the list redrawn')
    within(user, offered_row, 'open-offer').click()
    await landed_on(user, f'/waitlist/{offered.id}')
    await see(user, marker='accept-offer')


async def test_no_waiting_lists_no_section(user: User) -> None:
    make_user(username='asha')
    await open_as(user, 'asha', '/bookings')
    await see(user, 'No upcoming bookings')
    await user.should_not_see('Waiting lists')


# --- the manager --------------------------------------------------------------------------------------------


async def open_dashboard(user: User) -> None:
    await log_in(user, 'meera', target='/manage')
    await landed_on(user, '/manage')
    await see(user, marker='add-theatre')


async def test_the_managers_waiting_list_dialog_lists_the_entries_in_order(user: User) -> None:
    show, bookings = sold_out()
    quiet = make_show(make_theatre(show_owner(show), name='Quiet'), name='Empty house', num_tickets=10)
    people = [make_user(username=name) for name in ('bob', 'asha', 'carl')]
    entries = [join(person, show.id, tickets) for person, tickets in zip(people, (2, 1, 3), strict=True)]
    free(bookings[0].id)
    assert offer(show.id) == [entries[0].id]  # bob's 2 fit
    await open_dashboard(user)
    assert words(inside(user, f'manage-show-{show.id}', 'waitlist-count')) == ['3']
    assert not inside(user, f'manage-show-{quiet.id}', 'waitlist-count')
    within(user, f'manage-show-{show.id}', 'show-waitlist').click()
    await open_dialog(user, 'waitlist-dialog')
    assert texts(user, 'waitlist-username') == ['bob', 'asha', 'carl']
    assert texts(user, 'waitlist-position') == ['—', '1', '2']
    assert texts(user, 'waitlist-status') == ['Offer open', 'Waiting', 'Waiting']
    details = texts(user, 'waitlist-detail')
    assert details[0].startswith('2 tickets · offer ends ') and details[1].startswith('1 ticket · joined ')
    user.find(marker='close-waitlist').click()
    await eventually(lambda: not elements(user, marker='waitlist-dialog'), message='the dialog closed')
    within(user, f'manage-show-{quiet.id}', 'show-waitlist').click()
    await open_dialog(user, 'waitlist-dialog')
    await see(user, 'No one is on the waiting list')
    assert not texts(user, 'waitlist-username')


def show_owner(show: Show) -> Account:
    with session_scope() as session:
        owner = session.get_one(Show, show.id).theatre.owner
        session.expunge(owner)
        return owner


async def test_cancelling_a_performance(user: User) -> None:
    theatre = make_theatre(manager(), name='Prithvi', place='Mumbai')
    show = make_show(theatre, name='Hamlet', num_tickets=6)
    asha, bob = make_user(username='asha'), make_user(username='bob')
    mine = [
        make_booking(asha, show, tickets=2),
        make_booking(asha, show, tickets=1),
        make_booking(bob, show, tickets=3),
    ]
    waiting = join(make_user(username='carl'), show.id, 2)
    await open_dashboard(user)
    within(user, f'manage-show-{show.id}', 'cancel-show').click()
    await open_dialog(user, 'cancel-show-dialog')
    assert texts(user, 'cancel-affected') == [
        '3 bookings by 2 people (6 tickets) will be cancelled and everyone emailed; 1 person on the waiting list.'
    ]
    user.find(marker='confirm-cancel-show').click()
    await eventually(lambda: error_of(user, 'cancel-reason') == 'Reason is required.', message='the empty reason')
    assert show_row(show.id).status == ShowStatus.SCHEDULED
    set_value(user, 'cancel-reason', 'x' * 501)
    user.find(marker='confirm-cancel-show').click()
    await eventually(lambda: error_of(user, 'cancel-reason') == 'Reason must be at most 500 characters.')
    set_value(user, 'cancel-reason', 'The lead actor is ill.')
    assert error_of(user, 'cancel-reason') is None
    user.find(marker='confirm-cancel-show').click()
    await eventually(lambda: show_row(show.id).status == ShowStatus.CANCELLED, message='the show cancelled')
    cancelled = show_row(show.id)
    assert (cancelled.cancel_reason, cancelled.tickets_sold) == ('The lead actor is ill.', 0)
    assert count(Booking, Booking.show_id == show.id, Booking.status == BookingStatus.CANCELLED) == len(mine)
    assert entry(waiting.id).status == WaitlistStatus.EXPIRED
    await eventually(lambda: elements(user, marker='manage-show-cancelled'), message='the Cancelled badge')
    assert not inside(user, f'manage-show-{show.id}', 'cancel-show')
    assert not inside(user, f'manage-show-{show.id}', 'edit-show')
    with session_scope() as session, pytest.raises(Conflict):
        booking_service.book(session, show_id=show.id, user_id=bob.id, tickets=1)

    await user.open(f'/shows/{show.id}')
    await see(user, marker='cancelled-banner')
    assert texts(user, 'cancel-reason') == ['Reason: The lead actor is ill.']
    assert not elements(user, marker='booking-card') and not elements(user, marker='waitlist-card')
    await user.open('/')
    await see(user, 'TicketShow')
    await eventually(lambda: not elements(user, marker=f'show-{show.id}'), message='gone from the listing')


async def test_a_cancelled_shows_bookings_are_marked_on_my_bookings(user: User) -> None:
    meera = manager()
    theatre = make_theatre(meera, name='Prithvi')
    othello, macbeth = make_show(theatre, name='Othello'), make_show(theatre, name='Macbeth')
    asha = make_user(username='asha')
    make_booking(asha, othello, tickets=1)
    make_booking(asha, macbeth, tickets=2)
    with session_scope() as session:
        cancellation.cancel_show(session, actor_id=meera.id, show_id=macbeth.id, reason='Flooded stage.')
    await open_as(user, 'asha', '/bookings')
    await see(user, marker='cancelled')
    assert texts(user, 'called-off-reason') == ['Reason: Flooded stage.']
    assert len(elements(user, marker='called-off')) == 1  # Othello's booking stands
    await see(user, 'Cancelled — performance called off')
    await user.open(f'/shows/{macbeth.id}')  # the listing leaves it out; its bookers' link still leads to it
    await see(user, marker='cancelled-banner')


async def test_the_summary_shows_the_waiting_list_figures(user: User) -> None:
    show, bookings = sold_out()
    other = make_theatre(show_owner(show), name='Quiet')
    make_show(other, name='Empty house')
    first, _second = join(make_user(), show.id, 2), join(make_user(), show.id, 2)
    free(bookings[0].id)
    offer(show.id)
    with session_scope() as session:
        waitlist.accept(session, entry_id=first.id, user_id=entry(first.id).user_id)
    await log_in(user, 'meera', target='/summary')
    await landed_on(user, '/summary')
    await see(user, marker='waitlist-figures')
    assert len(elements(user, marker='waitlist-figures')) == 1  # the quiet theatre has none
    assert [texts(user, f'waitlist-{key}') for key in ('joined', 'offered', 'booked', 'waiting')] == [
        ['2'],
        ['1'],
        ['1'],
        ['1'],
    ]
