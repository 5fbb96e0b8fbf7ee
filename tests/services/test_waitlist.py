"""The waiting list's fairness, hand-worked: freed tickets go to the entries in the order they joined, skipping
none that fits; offers set tickets aside, expire, pass on; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from models import OutboxKind, OutboxMessage, Role, Show, Theatre, WaitlistEntry
from models.db import session_scope, utcnow
from services import booking, cancellation, waitlist
from services.config import get_settings
from services.errors import Conflict, Invalid, NotFound
from services.mail import waitlist_mail
from tests.factories import make_show, make_theatre, make_user

pytestmark = pytest.mark.usefixtures('any_db')


def _sold_out(tickets: int = 10):
    manager = make_user(role=Role.MANAGER)
    show = make_show(make_theatre(manager), num_tickets=tickets)
    buyers = []
    for _ in range(tickets):
        buyer = make_user()
        with session_scope() as session:
            buyers.append(booking.book(session, show_id=show.id, user_id=buyer.id, tickets=1))
    return manager, show, buyers


def _join(show: Show, tickets: int):
    person = make_user()
    with session_scope() as session:
        entry = waitlist.join(session, show_id=show.id, user_id=person.id, tickets=tickets)
    return person, entry


def _cancel(view) -> None:
    with session_scope() as session:
        user_id = session.get_one(booking.Booking, view.id).user_id
        booking.cancel_booking(session, booking_id=view.id, user_id=user_id)


def _offer(show: Show) -> list[int]:
    with session_scope() as session:
        return waitlist.offer_freed(session, show_id=show.id)


def _statuses(*entries) -> list[str]:
    with session_scope() as session:
        return [session.get_one(WaitlistEntry, e.id).status.value for e in entries]


def _show(show: Show) -> Show:
    with session_scope() as session:
        return session.get_one(Show, show.id)


def test_sizes_4_1_2_against_2_then_3_freed() -> None:
    _, show, bought = _sold_out(10)
    _, four = _join(show, 4)
    _, one = _join(show, 1)
    _, two = _join(show, 2)
    assert [four.position, one.position, two.position] == [1, 2, 3]
    _cancel(bought[0])
    _cancel(bought[1])  # 2 free: the 4 does not fit; the 1 is the first that fits, then 1 is left: the 2 waits
    assert _offer(show) == [one.id]
    assert _statuses(four, one, two) == ['waiting', 'offered', 'waiting']
    assert _show(show).tickets_offered == 1 and _show(show).tickets_left == 1
    for view in bought[2:5]:  # 3 more: 4 free in all, the 4 is first in line and fits now
        _cancel(view)
    assert _offer(show) == [four.id]
    assert _statuses(four, one, two) == ['offered', 'offered', 'waiting']
    assert _show(show).tickets_left == 0 and _show(show).tickets_offered == 5


def test_the_first_in_line_is_not_passed_over_when_it_fits() -> None:
    _, show, bought = _sold_out(6)
    _, four = _join(show, 4)
    _, one = _join(show, 1)
    for view in bought[:4]:
        _cancel(view)
    assert _offer(show) == [four.id]  # 4 free: the 4 gets them, not the 1
    assert _statuses(four, one) == ['offered', 'waiting']


def test_set_aside_tickets_cannot_be_booked_by_anyone_else_and_accepting_books_them() -> None:
    _, show, bought = _sold_out(4)
    person, entry = _join(show, 2)
    _cancel(bought[0])
    _cancel(bought[1])
    assert _offer(show) == [entry.id]
    stranger = make_user()
    with session_scope() as session, pytest.raises(Conflict, match='Housefull'):
        booking.book(session, show_id=show.id, user_id=stranger.id, tickets=1)
    with session_scope() as session:
        view = waitlist.accept(session, entry_id=entry.id, user_id=person.id)
    assert view.booked_tickets == 2 and len(view.tickets) == 2
    after = _show(show)
    assert (after.tickets_sold, after.tickets_offered) == (4, 0)
    assert _statuses(entry) == ['booked']
    with session_scope() as session, pytest.raises(Conflict, match='already been accepted'):
        waitlist.accept(session, entry_id=entry.id, user_id=person.id)


def test_an_offer_sends_one_email_with_the_link() -> None:
    _, show, bought = _sold_out(2)
    person, entry = _join(show, 1)
    _cancel(bought[0])
    _offer(show)
    with session_scope() as session:
        rows = session.query(OutboxMessage).filter_by(kind=OutboxKind.WAITLIST_OFFER).all()
        assert [r.user_id for r in rows] == [person.id]
        assert f'/waitlist/{entry.id}'.encode() in rows[0].message
    assert _offer(show) == []  # nothing offered twice


@pytest.fixture
def utc_machine(monkeypatch):
    """The app's time zone is UTC (a newcomer's machine); theatres say where they are."""
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'UTC')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_offer_and_the_called_off_show_s_emails_read_in_the_theatre_s_time_zone(utc_machine) -> None:
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Prithvi')
    with session_scope() as session:
        session.get_one(Theatre, theatre.id).timezone = 'Asia/Kolkata'
    starts = (utcnow() + dt.timedelta(days=3)).replace(hour=14, minute=0, second=0, microsecond=0)
    show = make_show(theatre, name='Hamlet', num_tickets=1, starts_at=starts)
    buyer = make_user()
    with session_scope() as session:
        bought = booking.book(session, show_id=show.id, user_id=buyer.id, tickets=1)
    person, entry = _join(show, 1)
    _cancel(bought)
    assert _offer(show) == [entry.id]
    india = ZoneInfo('Asia/Kolkata')
    day = starts.astimezone(india)
    with session_scope() as session:
        ends = session.get_one(WaitlistEntry, entry.id).offer_expires_at.astimezone(india)
        (row,) = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.WAITLIST_OFFER))
        assert row.message is not None
        offer = message_from_bytes(row.message, policy=policy.default)
        (view,) = waitlist.my_entries(session, user_id=person.id)
    assert isinstance(offer, EmailMessage)
    assert offer['Subject'] == f'Tickets for Hamlet are yours until {ends:%a %H:%M} IST'
    show_time, offer_end = f'{day:%a %d %b %Y}, 19:30 IST', f'{ends:%a %d %b %Y, %H:%M} IST'
    for part in (offer.get_body(('plain',)).get_content(), offer.get_body(('html',)).get_content()):
        assert f'on {show_time} at Prithvi' in part and offer_end in part
    assert view.theatre_timezone == 'Asia/Kolkata' and view.tz == india  # what My bookings shows it in

    with session_scope() as session:  # the buyer of the offered ticket, then the show is called off
        waitlist.accept(session, entry_id=entry.id, user_id=person.id)
    with session_scope() as session:
        cancellation.cancel_show(session, actor_id=manager.id, show_id=show.id, reason='Flooding')
    with session_scope() as session:
        (row,) = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.SHOW_CANCELLED))
        assert row.subject == f'Cancelled: Hamlet — {day:%a %d %b} 19:30 IST'
        called_off = waitlist_mail.compose_show_cancelled(session, row, get_settings())()
    for part in (called_off.get_body(('plain',)).get_content(), called_off.get_body(('html',)).get_content()):
        assert f'the performance of Hamlet on {show_time} at Prithvi' in part.replace('<b>', '').replace('</b>', '')


def test_an_expired_offer_passes_to_the_next_in_line() -> None:
    _, show, bought = _sold_out(3)
    _, first = _join(show, 1)
    _, second = _join(show, 1)
    _cancel(bought[0])
    _offer(show)
    with session_scope() as session:
        ends = session.get_one(WaitlistEntry, first.id).offer_expires_at
    later = ends + dt.timedelta(seconds=1)
    with session_scope() as session:
        assert waitlist.expire_offers(session, now=later) == [show.id]
    with session_scope() as session:
        assert waitlist.offer_freed(session, show_id=show.id, now=later) == [second.id]
    assert _statuses(first, second) == ['expired', 'offered']


def test_accepting_after_the_end_is_refused() -> None:
    _, show, bought = _sold_out(2)
    person, entry = _join(show, 1)
    _cancel(bought[0])
    _offer(show)
    with session_scope() as session:
        ends = session.get_one(WaitlistEntry, entry.id).offer_expires_at
    with session_scope() as session, pytest.raises(Conflict, match='expired'):
        waitlist.accept(session, entry_id=entry.id, user_id=person.id, now=ends)


def test_declining_passes_the_offer_on_at_once() -> None:
    _, show, bought = _sold_out(2)
    first_person, first = _join(show, 1)
    _, second = _join(show, 1)
    _cancel(bought[0])
    _offer(show)
    with session_scope() as session:
        waitlist.leave(session, entry_id=first.id, user_id=first_person.id)
    assert _show(show).tickets_offered == 0
    assert _offer(show) == [second.id]
    assert _statuses(first, second) == ['left', 'offered']


def test_joining_is_refused_when_the_tickets_can_be_booked_or_twice() -> None:
    _, show, bought = _sold_out(3)
    person, _entry = _join(show, 2)
    with session_scope() as session, pytest.raises(Conflict, match='already on the waiting list'):
        waitlist.join(session, show_id=show.id, user_id=person.id, tickets=1)
    _cancel(bought[0])
    other = make_user()
    with session_scope() as session, pytest.raises(Conflict, match='can be booked now'):
        waitlist.join(session, show_id=show.id, user_id=other.id, tickets=1)
    for bad in (0, 11, 'x', None):
        with session_scope() as session, pytest.raises(Invalid):
            waitlist.join(session, show_id=show.id, user_id=other.id, tickets=bad)
    with session_scope() as session, pytest.raises(NotFound):
        waitlist.join(session, show_id=10**6, user_id=other.id, tickets=1)


def test_someone_elses_entry_is_not_found() -> None:
    _, show, _bought = _sold_out(1)
    _, entry = _join(show, 1)
    other = make_user()
    for action in (waitlist.accept, waitlist.leave, waitlist.get_entry):
        with session_scope() as session, pytest.raises(NotFound):
            action(session, entry_id=entry.id, user_id=other.id)


def test_offers_never_outlast_the_show_and_shrink_as_it_nears() -> None:
    now = utcnow()
    assert waitlist.offer_expiry(now, now + dt.timedelta(days=2), 120) == now + dt.timedelta(minutes=120)
    assert waitlist.offer_expiry(now, now + dt.timedelta(hours=2), 120) == now + dt.timedelta(minutes=30)
    assert waitlist.offer_expiry(now, now + dt.timedelta(minutes=8), 120) == now + dt.timedelta(minutes=5)
    assert waitlist.offer_expiry(now, now + dt.timedelta(minutes=3), 120) == now + dt.timedelta(minutes=3)


def test_entries_of_a_started_show_close() -> None:
    _, show, _bought = _sold_out(1)
    _, entry = _join(show, 1)
    with session_scope() as session:
        waitlist.expire_offers(session, now=_show(show).starts_at)
    assert _statuses(entry) == ['expired']


def test_more_tickets_on_sale_are_offered_first(monkeypatch) -> None:
    manager, show, _bought = _sold_out(2)
    _, entry = _join(show, 3)
    from services import shows

    current = _show(show)

    def put_on_sale(tickets: int) -> None:
        with session_scope() as session:
            shows.update_show(
                session,
                actor_id=manager.id,
                show_id=show.id,
                name=current.name,
                rating=current.rating,
                tags=[],
                ticket_price=current.price_cents / 100,
                num_tickets=tickets,
                starts_at=current.starts_at,
            )

    put_on_sale(5)
    assert _offer(show) == [entry.id]
    with pytest.raises(Conflict, match='set aside for the waiting list'):
        put_on_sale(4)


def test_the_summary_figures_count_joined_offered_and_booked_for_the_theatres_own_manager_only() -> None:
    from services.errors import NotAllowed
    from services.waitlist import figures

    manager, show, bought = _sold_out(3)
    first_person, first = _join(show, 1)
    _join(show, 2)
    _cancel(bought[0])
    _offer(show)
    with session_scope() as session:
        waitlist.accept(session, entry_id=first.id, user_id=first_person.id)
        theatre_id = session.get_one(Show, show.id).theatre_id
    with session_scope() as session:
        mine = figures.by_theatre(session, actor_id=manager.id, theatre_ids=[theatre_id])
    assert mine == {theatre_id: figures.WaitlistFigures(joined=2, offered=1, booked=1, booked_tickets=1, waiting=1)}
    assert mine[theatre_id].booked_share == 1.0
    other = make_user(role=Role.MANAGER)
    admin = make_user(role=Role.ADMIN)
    with session_scope() as session:
        assert figures.by_theatre(session, actor_id=other.id, theatre_ids=[theatre_id]) == {}
        assert figures.by_theatre(session, actor_id=admin.id, theatre_ids=[theatre_id]) == mine
    with session_scope() as session, pytest.raises(NotAllowed):
        figures.by_theatre(session, actor_id=first_person.id, theatre_ids=[theatre_id])
