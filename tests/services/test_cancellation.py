"""Cancelling a performance (`services.cancellation`), on SQLite and PostgreSQL: every booking and ticket cancelled,
seats and holds freed, the waiting list closed, one email per person listing their bookings with the reason (sent
through the outbox to a real SMTP server), the reason checked, the refusals; and afterwards the show counts nowhere
as sold: not in the summary, the monthly reports, the reminder's picks or the exports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import (
    AuditAction,
    AuditEvent,
    Booking,
    BookingStatus,
    ClaimKind,
    ExportKind,
    OutboxKind,
    OutboxMessage,
    Role,
    SeatClaim,
    SeatHold,
    Ticket,
    TicketStatus,
    User,
)
from models.db import session_scope, utcnow
from services import booking, cancellation, search, shows, summary, waitlist
from services.booking import CANCELLED
from services.config import get_settings
from services.errors import Conflict, Invalid, NotAllowed, NotFound
from services.exports.tables import TABLES, Column
from services.mail import content, outbox
from services.seating import holds, layout, show_config
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services.test_seating import create_reserved, put_map, seat_ids, statuses
from tests.services.test_waitlist_queues import cancel, entry_row, join, offer, show_row, statuses_of

pytestmark = pytest.mark.usefixtures('any_db')

REASON = 'Flooding & a power cut: the hall is closed.'


def book(show_id: int, person: User, tickets: int = 1, **kwargs) -> booking.BookingView:
    with session_scope() as s:
        return booking.book(s, show_id=show_id, user_id=person.id, tickets=tickets, **kwargs)


def call_off(actor: User, show_id: int, reason: object = REASON, **kwargs) -> shows.ShowView:
    with session_scope() as s:
        return cancellation.cancel_show(s, actor_id=actor.id, show_id=show_id, reason=reason, **kwargs)


def affected(actor: User, show_id: int) -> cancellation.Affected:
    with session_scope() as s:
        return cancellation.affected(s, actor_id=actor.id, show_id=show_id)


def outbox_rows(kind: OutboxKind) -> list[OutboxMessage]:
    with session_scope() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)))


def bookings_of(show_id: int) -> list[tuple[int, BookingStatus]]:
    with session_scope() as s:
        return [(b.id, b.status) for b in s.scalars(select(Booking).where(Booking.show_id == show_id))]


def live_tickets(show_id: int) -> int:
    with session_scope() as s:
        return s.scalar(
            select(func.count(Ticket.id)).where(Ticket.show_id == show_id, Ticket.status != TicketStatus.CANCELLED)
        )


# --- a general-admission performance ------------------------------------------------------------------------


@pytest.fixture
def house():
    """A show of 8 tickets, sold out: Alice 2 + 3 (and 1 she cancelled herself), Dave 2, Bob 1 that he cancelled
    and whose ticket went to the first of two on the waiting list (offered); the second still waits."""
    manager = make_user(role=Role.MANAGER)
    show = make_show(make_theatre(manager, name='Prithvi'), name='Hamlet', num_tickets=8, price_cents=10000)
    alice, bob, dave = make_user(name='Alice Rao'), make_user(), make_user()
    alices = [book(show.id, alice, 2), book(show.id, alice, 3)]
    her_own = book(show.id, alice, 1)
    cancel(her_own)
    dave_booked = book(show.id, dave, 2)
    bobs = book(show.id, bob, 1)
    _, gets_offer = join(show.id, 1)
    _, waits = join(show.id, 2)
    cancel(bobs)
    assert offer(show.id) == [gets_offer.id]
    return dict(
        manager=manager,
        show=show,
        alice=alice,
        bob=bob,
        dave=dave,
        alices=alices,
        alice_cancelled=her_own,
        daves=dave_booked,
        offered=gets_offer,
        waiting=waits,
    )


def test_affected_counts_what_cancelling_would_touch(house):
    assert affected(house['manager'], house['show'].id) == cancellation.Affected(
        bookings=3, people=2, tickets=7, waiting=2
    )
    admin = make_user(role=Role.ADMIN)
    assert affected(admin, house['show'].id).bookings == 3
    with pytest.raises(NotFound):
        affected(make_user(role=Role.MANAGER), house['show'].id)
    with pytest.raises(NotAllowed):
        affected(house['alice'], house['show'].id)


def test_cancelling_cancels_every_booking_and_ticket_closes_the_list_and_queues_one_row_per_person(house):
    show, manager = house['show'], house['manager']
    cancellations_before = len(outbox_rows(OutboxKind.BOOKING_CANCELLED))

    view = call_off(manager, show.id, f'  {REASON}  ')

    assert (view.status, view.cancel_reason, view.cancelled) == ('cancelled', REASON, True)
    assert (view.tickets_sold, view.tickets_offered) == (0, 0)
    after = show_row(show.id)
    assert (after.status.value, after.tickets_sold, after.tickets_offered, after.cancel_reason) == (
        'cancelled',
        0,
        0,
        REASON,
    )
    assert after.cancelled_at is not None
    assert {status for _, status in bookings_of(show.id)} == {BookingStatus.CANCELLED}
    assert live_tickets(show.id) == 0
    assert statuses_of(house['offered'], house['waiting']) == ['expired', 'expired']
    rows = outbox_rows(OutboxKind.SHOW_CANCELLED)
    assert sorted(r.user_id for r in rows) == sorted([house['alice'].id, house['dave'].id])  # not Bob: his went
    assert all(r.message is None and r.subject.startswith('Cancelled: Hamlet') for r in rows)
    assert len(outbox_rows(OutboxKind.BOOKING_CANCELLED)) == cancellations_before  # no usual cancellation emails
    with session_scope() as s:
        [event] = s.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.SHOW_CANCELLED)).all()
        assert event.actor_id == manager.id
        assert event.changes == {'reason': REASON, 'bookings': 3, 'people': 2, 'tickets': 7}
    assert affected(manager, show.id) == cancellation.Affected(0, 0, 0, 0)


def test_each_person_gets_one_email_with_the_reason_listing_their_bookings(house, smtp_server):
    call_off(house['manager'], house['show'].id)

    [subject] = {row.subject for row in outbox_rows(OutboxKind.SHOW_CANCELLED)}

    outbox.deliver_due(settings=get_settings())

    cancelled = [r for r in smtp_server.received if r.message['Subject'] == subject]
    assert subject.startswith('Cancelled: Hamlet')
    assert sorted(r.to for r in cancelled) == sorted([house['alice'].email, house['dave'].email])
    [to_alice] = [r.message for r in cancelled if r.to == house['alice'].email]
    text = to_alice.get_body(('plain',)).get_content()
    html = to_alice.get_body(('html',)).get_content()
    assert 'Hello Alice,' in text and 'Hamlet' in text and 'Prithvi' in text
    assert REASON in text and 'Flooding &amp; a power cut' in html and REASON not in html
    assert 'Your 2 bookings are cancelled:' in text
    theirs = [b.reference for b in house['alices']]
    assert all(ref in text and ref in html for ref in theirs)
    assert house['alice_cancelled'].reference not in text  # the one she had cancelled herself is not listed
    assert text.index(theirs[0]) < text.index(theirs[1])
    [to_dave] = [r.message for r in cancelled if r.to == house['dave'].email]
    dave_text = to_dave.get_body(('plain',)).get_content()
    assert 'Your booking is cancelled:' in dave_text and house['daves'].reference in dave_text
    assert not any(ref in dave_text for ref in theirs)


@pytest.mark.parametrize(
    ('reason', 'message'),
    [
        ('', 'Reason is required.'),
        ('   ', 'Reason is required.'),
        (None, 'Reason must be text.'),
        ('x' * 501, 'Reason must be at most 500 characters.'),
        ('<b>ill</b>', 'Reason must not contain < or >.'),
    ],
)
def test_a_bad_reason_is_refused_beside_the_field_and_changes_nothing(house, reason, message):
    with pytest.raises(Invalid) as error:
        call_off(house['manager'], house['show'].id, reason)
    assert error.value.errors == {'reason': message}
    after = show_row(house['show'].id)
    assert (after.status.value, after.tickets_sold, after.tickets_offered) == ('scheduled', 7, 1)
    assert statuses_of(house['offered'], house['waiting']) == ['offered', 'waiting']
    assert outbox_rows(OutboxKind.SHOW_CANCELLED) == []


def test_a_reason_of_500_characters_is_taken_and_an_admin_may_cancel():
    manager = make_user(role=Role.MANAGER)
    show = make_show(make_theatre(manager))
    view = call_off(make_user(role=Role.ADMIN), show.id, 'r' * 500)
    assert (view.status, view.cancel_reason) == ('cancelled', 'r' * 500)


def test_started_cancelled_and_someone_elses_shows_are_refused(house):
    show, manager = house['show'], house['manager']
    with pytest.raises(Conflict, match='already started'):
        call_off(manager, show.id, now=show.starts_at)
    with pytest.raises(NotFound):
        call_off(make_user(role=Role.MANAGER), show.id)
    with pytest.raises(NotAllowed):
        call_off(house['alice'], show.id)
    with pytest.raises(NotFound):
        call_off(manager, 10**6)
    assert show_row(show.id).status.value == 'scheduled'
    call_off(manager, show.id)
    with pytest.raises(Conflict, match='already cancelled'):
        call_off(manager, show.id)
    assert len(outbox_rows(OutboxKind.SHOW_CANCELLED)) == 2  # the second attempt queued nothing


def test_a_cancelled_show_leaves_the_listing_and_can_be_neither_booked_nor_changed_nor_joined(house):
    show, manager = house['show'], house['manager']
    other = make_show(make_theatre(manager), name='Macbeth')

    def listed() -> list[int]:
        with session_scope() as s:
            return [item.id for item in search.search_shows(s, now=utcnow()).items]

    assert set(listed()) == {show.id, other.id}
    call_off(manager, show.id)
    assert listed() == [other.id]
    with session_scope() as s:
        assert search.search_shows(s, q='Hamlet', now=utcnow()).total == 0
        public = shows.public_show(s, show_id=show.id)  # its page still shows it, marked cancelled
    assert (public.status, public.cancel_reason) == ('cancelled', REASON)
    with pytest.raises(Conflict) as refused:
        book(show.id, make_user())
    assert refused.value.message == CANCELLED
    current = show_row(show.id)
    with pytest.raises(Conflict, match='cancelled'), session_scope() as s:
        shows.update_show(
            s,
            actor_id=manager.id,
            show_id=show.id,
            name='Hamlet again',
            rating=current.rating,
            tags=[],
            ticket_price=current.price_cents / 100,
            num_tickets=current.num_tickets,
            starts_at=current.starts_at,
        )
    assert show_row(show.id).name == 'Hamlet'
    with pytest.raises(Conflict, match='cancelled'):
        join(show.id, 1)
    assert offer(show.id) == []
    with pytest.raises(Conflict) as too_late, session_scope() as s:  # the offer it had ended with the show
        waitlist.accept(s, entry_id=house['offered'].id, user_id=entry_row(house['offered']).user_id)
    assert too_late.value.message == CANCELLED
    with session_scope() as s:  # the bookers still see their bookings, cancelled
        mine = booking.my_bookings(s, user_id=house['alice'].id)
    assert [(b.show_id, b.status) for b in mine.upcoming] == [(show.id, BookingStatus.CANCELLED)] * 3


# --- a reserved-seat performance ----------------------------------------------------------------------------


def test_cancelling_a_reserved_show_frees_its_seats_and_holds_but_keeps_its_house_seats():
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    put_map(manager, theatre, layout.generate([('Stalls', 1, 5)]))
    show = create_reserved(manager, theatre)
    ids = seat_ids(theatre)
    with session_scope() as s:
        show_config.set_house_seats(s, actor_id=manager.id, show_id=show.id, seats=[ids['Stalls A5']])
    alice, dave, frank = make_user(), make_user(), make_user()
    book(show.id, alice, None, seats=[ids['Stalls A1'], ids['Stalls A2']])
    daves = book(show.id, dave, None, seats=[ids['Stalls A3']])
    with session_scope() as s:  # Frank is choosing on the picker
        holds.hold_seats(s, show_id=show.id, user_id=frank.id, seats=[ids['Stalls A4']])
    _, offered = join(show.id, 1)
    _, waiting = join(show.id, 1)
    cancel(daves)
    assert offer(show.id) == [offered.id]
    assert entry_row(offered).hold_id is not None
    seen = statuses(show.id)
    assert [seen[f'Stalls A{n}'] for n in range(1, 6)] == ['sold', 'sold', 'held', 'held', 'blocked']
    assert affected(manager, show.id) == cancellation.Affected(bookings=1, people=1, tickets=2, waiting=2)

    call_off(manager, show.id)

    seen = statuses(show.id)
    assert [seen[f'Stalls A{n}'] for n in range(1, 6)] == ['free', 'free', 'free', 'free', 'blocked']
    with session_scope() as s:
        kinds = s.scalars(select(SeatClaim.kind).where(SeatClaim.show_id == show.id)).all()
        assert kinds == [ClaimKind.BLOCKED]
        assert s.scalar(select(func.count(SeatHold.id)).where(SeatHold.show_id == show.id)) == 0
        assert holds.current_hold(s, show_id=show.id, user_id=frank.id) is None
    assert statuses_of(offered, waiting) == ['expired', 'expired']
    assert live_tickets(show.id) == 0
    assert (show_row(show.id).tickets_sold, show_row(show.id).tickets_offered) == (0, 0)
    with pytest.raises(Conflict) as refused, session_scope() as s:
        holds.hold_seats(s, show_id=show.id, user_id=frank.id, seats=[ids['Stalls A1']])
    assert refused.value.message == CANCELLED
    with pytest.raises(Conflict) as refused:
        book(show.id, frank, None, seats=[ids['Stalls A1']])
    assert refused.value.message == CANCELLED
    assert [r.user_id for r in outbox_rows(OutboxKind.SHOW_CANCELLED)] == [alice.id]


# --- counts nowhere as sold ---------------------------------------------------------------------------------


def at(day: int, hour: int = 12) -> dt.datetime:
    """A moment of October 2026, midday UTC: far from any day's or month's edge in the app's zone."""
    return dt.datetime(2026, 10, day, hour, 0, tzinfo=dt.UTC)


@pytest.fixture
def season():
    """One theatre in October 2026: Normal (20 × ₹100; Alice bought 2), Called Off (20 × ₹100; Bob bought 3,
    Alice 1, then the performance was cancelled on the 10th) and Waitlisted (2 × ₹50; Carol bought 1, Dan's 1 was
    cancelled and is set aside for Erin's offer until the 12th, 13:00)."""
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Alpha', place='Pune')
    normal = make_show(theatre, name='Normal', starts_at=at(25, 19), num_tickets=20, price_cents=10000)
    called_off = make_show(theatre, name='Called Off', starts_at=at(20, 19), num_tickets=20, price_cents=10000)
    waitlisted = make_show(theatre, name='Waitlisted', starts_at=at(22, 19), num_tickets=2, price_cents=5000)
    alice, bob, carol, dan, erin = (make_user(name=n) for n in ('Alice A', 'Bob B', 'Carol C', 'Dan D', 'Erin E'))
    make_booking(alice, normal, tickets=2, created_at=at(5))
    make_booking(bob, called_off, tickets=3, created_at=at(5))
    make_booking(alice, called_off, tickets=1, created_at=at(5))
    make_booking(carol, waitlisted, tickets=1, created_at=at(5))
    dans = make_booking(dan, waitlisted, tickets=1, created_at=at(5))
    join(waitlisted.id, 1, erin, now=at(6))
    with session_scope() as s:
        booking.cancel_booking(s, booking_id=dans.id, user_id=dan.id, now=at(7))
    assert offer(waitlisted.id, now=at(12, 11)) != []
    call_off(manager, called_off.id, now=at(10))
    return dict(
        manager=manager,
        theatre=theatre,
        normal=normal,
        called_off=called_off,
        waitlisted=waitlisted,
        alice=alice,
        bob=bob,
        carol=carol,
    )


def test_the_summary_counts_none_of_a_cancelled_shows_tickets_or_money(season):
    with session_scope() as s:
        [theatre] = summary.summary(s, actor_id=season['manager'].id, now=at(12)).theatres
        detail = summary.theatre_detail(s, actor_id=season['manager'].id, theatre_id=season['theatre'].id, now=at(12))
    assert (theatre.tickets_sold, theatre.revenue_cents, theatre.recent_bookings, theatre.recent_tickets) == (
        3,
        2 * 10000 + 5000,
        2,
        3,
    )
    assert theatre.tickets_offered == 22  # the called-off performance offers no tickets any more
    assert theatre.occupancy == pytest.approx(3 / 22)
    assert [(b.name, b.tickets_sold, b.revenue_cents) for b in theatre.best_sellers] == [
        ('Normal', 2, 20000),
        ('Waitlisted', 1, 5000),
    ]
    assert [(t.name, t.num_tickets, t.tickets_sold, t.revenue_cents) for t in detail.top_shows] == [
        ('Normal', 20, 2, 20000),
        ('Waitlisted', 2, 1, 5000),
    ]
    by_day = {d.day: (d.bookings, d.tickets, d.revenue_cents) for d in detail.days if d.bookings}
    assert by_day == {dt.date(2026, 10, 5): (2, 3, 25000)}


def test_the_monthly_reports_count_none_of_a_cancelled_shows_tickets_or_money(season):
    settings = get_settings()
    with session_scope() as s:
        [report] = content.manager_reports(s, [season['manager'].id], '2026-10', settings.tz, settings.tz_name).values()
        audience = content.audience_reports(
            s, [season['alice'].id, season['bob'].id, season['carol'].id], '2026-10', settings.tz
        )
    [alpha] = report.theatres
    assert (alpha.bookings, alpha.tickets, alpha.revenue_cents) == (2, 3, 25000)
    assert (alpha.performances, alpha.seats_offered, alpha.seats_sold) == (2, 22, 3)  # the called-off one did not
    assert [(line.name, line.tickets) for line in alpha.best] == [('Normal', 2), ('Waitlisted', 1)]
    assert alpha.per_day == {dt.date(2026, 10, 5): 3}
    assert set(audience) == {season['alice'].id, season['carol'].id}  # Bob has nothing left to report
    assert [(line.show, line.tickets, line.total_cents) for line in audience[season['alice'].id].bookings] == [
        ('Normal', 2, 20000)
    ]


def test_the_reminder_picks_no_cancelled_show_and_none_whose_tickets_are_set_aside(season):
    now = at(12)
    with session_scope() as s:
        popular = content.popular_soon(s, now=now)
        for_bob = content.picks_for(s, user_id=season['bob'].id, now=now, popular=popular)
        for_alice = content.picks_for(s, user_id=season['alice'].id, now=now, popular=popular)
    assert [(p.name, p.tickets_left) for p in popular] == [('Normal', 18)]
    assert [p.name for p in for_bob] == ['Normal']  # his only booking was cancelled with the show
    assert for_alice == []  # she has Normal already; nothing else is on sale


def names(columns: Iterable[Column]) -> list[str]:
    return [column.name for column in columns]


def test_the_exports_count_none_of_a_cancelled_shows_tickets_or_money(season):
    zone = ZoneInfo('UTC')
    with session_scope() as s:
        manager = s.get_one(User, season['manager'].id)
        theatre = TABLES[ExportKind.THEATRE](s, manager, season['theatre'].id, zone)
        theatre_rows = [dict(zip(names(theatre.columns), row, strict=True)) for row in theatre.rows()]
        show = TABLES[ExportKind.SHOW](s, manager, season['called_off'].id, zone)
        show_rows = [dict(zip(names(show.columns), row, strict=True)) for row in show.rows()]
        histories = {}
        for who in ('alice', 'bob'):
            person = s.get_one(User, season[who].id)
            table = TABLES[ExportKind.BOOKINGS](s, person, None, zone)
            histories[who] = [dict(zip(names(table.columns), row, strict=True)) for row in table.rows()]
    fields = ('show', 'show_status', 'tickets_offered', 'tickets_sold', 'tickets_left', 'revenue')
    assert [tuple(r[f] for f in fields) for r in theatre_rows] == [
        ('Called Off', 'cancelled', 20, 0, 0, 0.0),
        ('Waitlisted', 'scheduled', 2, 1, 0, 50.0),  # the other ticket is set aside for an offer: not left
        ('Normal', 'scheduled', 20, 2, 18, 200.0),
    ]
    header = dict(zip(names(show.header), show.header.values(), strict=True))
    assert (header['show_status'], header['tickets_sold']) == ('cancelled', 0)
    assert sorted((r['customer_username'], r['tickets'], r['status']) for r in show_rows) == sorted(
        [(season['bob'].username, 3, 'cancelled'), (season['alice'].username, 1, 'cancelled')]
    )
    assert [(r['show'], r['tickets'], r['status']) for r in histories['bob']] == [('Called Off', 3, 'cancelled')]
    assert sorted((r['show'], r['status']) for r in histories['alice']) == [
        ('Called Off', 'cancelled'),
        ('Normal', 'confirmed'),
    ]
