"""Booking and cancelling from the show page and My bookings, checked against the database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import update

from models import Booking, BookingStatus, Role, Show, Theatre
from models.db import session_scope, utcnow
from services import booking as booking_service
from services.config import get_settings
from tests.factories import make_booking, make_show, make_theatre, make_user, tickets_sold
from tests.services.test_seating import HOUSE, create_reserved, put_map, seat_ids
from tests.ui.helpers import (
    count,
    current_path,
    elements,
    eventually,
    landed_on,
    open_as,
    open_dialog,
    open_not_found,
    texts,
)


def seed_show(**kwargs: object) -> Show:
    theatre = make_theatre(make_user(role=Role.MANAGER), name='Prithvi', place='Mumbai')
    return make_show(theatre, **{'name': 'Hamlet', 'num_tickets': 50, 'price_cents': 25000, **kwargs})


def choose_tickets(user: User, number: int) -> None:
    (tickets,) = elements(user, marker='tickets')
    with user.client:
        tickets.value = number


async def confirm_booking(user: User) -> None:
    user.find(marker='book').click()
    await open_dialog(user, 'confirm-dialog')
    user.find('Confirm booking').click()


async def test_a_logged_out_visitor_is_offered_to_log_in(user: User) -> None:
    show = seed_show()
    await user.open(f'/shows/{show.id}')
    await user.should_see('Log in to book')
    await user.should_not_see(marker='book')
    user.find(kind=ui.button, content='Log in to book').click()
    await landed_on(user, f'/login?redirect_to=/shows/{show.id}')
    await user.should_see(marker='login-reason')


async def test_booking_three_tickets(user: User) -> None:
    show = seed_show(price_cents=25050)
    asha = make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    await user.should_see(marker='book')
    assert texts(user, 'unit-price') == ['₹250.50']
    assert texts(user, 'total') == ['₹250.50']
    choose_tickets(user, 3)
    assert texts(user, 'total') == ['₹751.50']
    user.find(marker='book').click()
    await open_dialog(user, 'confirm-dialog')
    await user.should_see('3 × ₹250.50 = ₹751.50')
    assert tickets_sold(show.id) == 0  # nothing is sold before the confirmation
    user.find('Confirm booking').click()
    await eventually(lambda: user.back_history[-1].startswith('/bookings?booked='), message='My bookings')
    await user.should_see('Booked 3 tickets for Hamlet: ₹751.50.')  # said on the page the person lands on
    await user.should_see(marker='upcoming')
    assert tickets_sold(show.id) == 3
    with session_scope() as session:
        booking = session.query(Booking).one()
        assert (booking.user_id, booking.show_id, booking.booked_tickets, booking.total_cents, booking.status) == (
            asha.id,
            show.id,
            3,
            75150,
            BookingStatus.CONFIRMED,
        )
    with user.scope(marker=f'booking-{booking.id}'):
        await user.should_see('Hamlet')
        await user.should_see('3 × ₹250.50 = ₹751.50')
        await user.should_see('Confirmed')


async def test_going_back_from_the_confirmation_books_nothing(user: User) -> None:
    show = seed_show()
    make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    choose_tickets(user, 2)
    user.find(marker='book').click()
    dialog = await open_dialog(user, 'confirm-dialog')
    user.find('Back').click()
    await eventually(lambda: not dialog.value)
    assert tickets_sold(show.id) == 0
    assert count(Booking) == 0
    await user.should_see(marker='book')


async def test_cancelling_an_upcoming_booking_releases_the_seats(user: User) -> None:
    show = seed_show()
    asha = make_user(username='asha')
    booking = make_booking(asha, show, tickets=4)
    assert tickets_sold(show.id) == 4
    await open_as(user, 'asha', '/bookings')
    with user.scope(marker=f'booking-{booking.id}'):
        await user.should_see('Confirmed')
        user.find(marker='cancel').click()
    await open_dialog(user, 'cancel-dialog')
    await user.should_see('4 tickets for Hamlet')
    user.find('Cancel booking').click()
    await user.should_see('Booking for Hamlet cancelled.')
    assert tickets_sold(show.id) == 0
    with session_scope() as session:
        assert session.get_one(Booking, booking.id).status is BookingStatus.CANCELLED
    await eventually(lambda: texts(user, 'status') == ['Cancelled'])
    await user.should_not_see(marker='cancel')


async def test_keeping_a_booking_changes_nothing(user: User) -> None:
    show = seed_show()
    asha = make_user(username='asha')
    make_booking(asha, show, tickets=4)
    await open_as(user, 'asha', '/bookings')
    await user.should_see(marker='cancel')
    user.find(marker='cancel').click()
    dialog = await open_dialog(user, 'cancel-dialog')
    user.find('Keep it').click()
    await eventually(lambda: not dialog.value)
    assert tickets_sold(show.id) == 4
    assert texts(user, 'status') == ['Confirmed']


async def test_a_past_booking_cannot_be_cancelled(user: User) -> None:
    show = seed_show(starts_in=-dt.timedelta(hours=2))
    asha = make_user(username='asha')
    make_booking(asha, show, tickets=2)
    await open_as(user, 'asha', '/bookings')
    await user.should_see(marker='past')
    with user.scope(marker='past'):
        await user.should_see('Hamlet')
    await user.should_see('No upcoming bookings')
    await user.should_not_see(marker='cancel')


async def test_more_tickets_than_are_left_cannot_be_chosen(user: User) -> None:
    show = seed_show(num_tickets=10, tickets_sold=8)
    make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    await user.should_see('2 of 10 tickets left')
    choose_tickets(user, 3)
    (tickets,) = elements(user, marker='tickets')
    assert tickets.error == 'Choose between 1 and 2 tickets.'
    assert texts(user, 'total') == ['—']
    (book,) = elements(user, marker='book')
    assert not book.enabled
    user.find(marker='book').click()  # a disabled button does nothing
    await user.should_not_see(marker='confirm-dialog')
    assert tickets_sold(show.id) == 8


async def test_seats_sold_meanwhile_give_not_enough_tickets_left(user: User) -> None:
    show = seed_show(num_tickets=10)
    make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    await user.should_see(marker='book')
    make_booking(make_user(username='ravi'), show, tickets=8)  # someone else buys while Asha chooses
    choose_tickets(user, 3)
    await confirm_booking(user)
    await user.should_see('Not enough tickets left: only 2 left.')
    (tickets,) = elements(user, marker='tickets')
    assert tickets.error == 'Not enough tickets left: only 2 left.'
    assert tickets_sold(show.id) == 8
    assert count(Booking) == 1  # only Ravi's
    assert current_path(user) == f'/shows/{show.id}'


async def test_a_housefull_show_offers_no_booking(user: User) -> None:
    show = seed_show(num_tickets=5, tickets_sold=5)
    make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    await user.should_see('Housefull: every ticket is sold.')
    await user.should_not_see(marker='book')


async def test_a_started_show_cannot_be_booked(user: User) -> None:
    show = seed_show(starts_in=-dt.timedelta(minutes=5))
    make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    await user.should_see(marker='started')
    await user.should_not_see(marker='book')
    await user.should_not_see(marker='tickets')


async def test_a_show_that_starts_while_the_page_is_open_is_refused(user: User) -> None:
    show = seed_show()
    make_user(username='asha')
    await open_as(user, 'asha', f'/shows/{show.id}')
    await user.should_see(marker='book')
    with session_scope() as session:
        session.execute(update(Show).where(Show.id == show.id).values(starts_at=utcnow() - dt.timedelta(minutes=1)))
    choose_tickets(user, 2)
    await confirm_booking(user)
    await user.should_see('This show has already started; it can no longer be booked.')
    assert tickets_sold(show.id) == 0
    assert count(Booking) == 0


async def test_an_unknown_show_says_so(user: User) -> None:
    await open_not_found(user, '/shows/999')
    await user.should_see('No such show')
    await user.should_see('This show does not exist. It may have been removed.')
    await user.should_not_see(marker='booking-card')


async def test_my_bookings_shows_each_bookings_reference(user: User) -> None:
    show = seed_show()
    asha = make_user(username='asha')
    made = make_booking(asha, show, tickets=2)
    with session_scope() as s:
        reference = s.get_one(Booking, made.id).reference
    await open_as(user, 'asha', '/bookings')
    await user.should_see(f'Ref. {reference}')
    assert texts(user, 'reference') == [f'Ref. {reference}']


@pytest.fixture
def utc_machine(monkeypatch) -> None:
    """The app's time zone is UTC (set before the `user` fixture starts the app): a newcomer's machine."""
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'UTC')
    get_settings.cache_clear()


async def test_my_bookings_and_the_tickets_read_a_show_in_its_theatre_s_time_zone(utc_machine, user: User) -> None:
    starts = (utcnow() + dt.timedelta(days=7)).replace(hour=14, minute=0, second=0, microsecond=0)
    show = seed_show(starts_at=starts)
    with session_scope() as s:
        s.get_one(Theatre, show.theatre_id).timezone = 'Asia/Kolkata'
    made = make_booking(make_user(username='asha'), show, tickets=2)
    shown = f'{starts.astimezone(ZoneInfo("Asia/Kolkata")):%a %d %b %Y}, 19:30 IST'  # 14:00 UTC
    await open_as(user, 'asha', '/bookings')
    await user.should_see(f'Prithvi · Mumbai · {shown}')
    await user.should_not_see('14:00')
    await user.open(f'/bookings/{made.id}')
    await user.should_see(marker='ticket-header')
    assert texts(user, 'ticket-when') == [shown]


async def test_my_bookings_shows_a_reserved_booking_s_seats(user: User) -> None:
    meera = make_user(role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi', place='Mumbai', capacity=10)
    put_map(meera, theatre, HOUSE)
    reserved = create_reserved(meera, theatre, prices={'Circle': '150'})
    general = make_show(theatre, name='Open Mic', price_cents=25000, starts_at=utcnow() + dt.timedelta(days=5))
    ids = seat_ids(theatre)
    asha = make_user(username='asha')
    with session_scope() as session:
        seated = booking_service.book(
            session, show_id=reserved.id, user_id=asha.id, seats=[ids['Circle A2'], ids['Stalls B4'], ids['Stalls B3']]
        )
        whole_row = booking_service.book(
            session, show_id=reserved.id, user_id=asha.id, seats=[ids[f'Stalls A{n}'] for n in range(1, 7)]
        )
    open_mic = make_booking(asha, general, tickets=2)
    await open_as(user, 'asha', '/bookings')
    await user.should_see(marker='upcoming')

    with user.scope(marker=f'booking-{seated.id}'):
        await user.should_see('3 tickets = ₹350')  # the seats cost different prices: no one unit price
    with user.scope(marker=f'booking-{whole_row.id}'):
        await user.should_see('Stalls A1, A2, A3, A4, A5, A6')
        await user.should_see('6 × ₹100 = ₹600')
    with user.scope(marker=f'booking-{open_mic.id}'):
        await user.should_see('2 × ₹250 = ₹500')
    mixed, row = texts(user, 'booking-seats')  # and none for general admission
    # a row's seats in number order; the sections in the order of the tickets, which is not yet the map's on
    # PostgreSQL (seating.check_choice reads the seats without an ORDER BY)
    assert sorted(mixed.split('; ')) == ['Circle A2', 'Stalls B3, B4']
    assert row == 'Stalls A1, A2, A3, A4, A5, A6'
    assert all('break-words' in label.classes for label in elements(user, marker='booking-seats'))  # long lists wrap

    with user.scope(marker=f'booking-{seated.id}'):
        user.find(marker='cancel').click()
    await open_dialog(user, 'cancel-dialog')
    await user.should_see(f'The seats ({mixed}) go back on sale.')
