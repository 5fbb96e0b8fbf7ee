"""The managers' summary and a theatre's chart data, against figures worked out by hand."""

import datetime as dt
from dataclasses import dataclass

import pytest

from models import BookingStatus, Role
from models.db import session_scope, utcnow
from models.show import Show
from models.theatre import Theatre
from models.user import User
from services import audit, booking, cache, charts, summary
from services.config import get_settings
from services.errors import NotAllowed, NotFound
from services.kv import KV
from tests.factories import make_booking, make_show, make_theatre, make_user

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def ago(days: float = 0, *, hours: float = 0, minutes: float = 0) -> dt.datetime:
    return NOW - dt.timedelta(days=days, hours=hours, minutes=minutes)


@dataclass
class Stage:
    manager: User
    other: User
    admin: User
    member: User
    prithvi: Theatre
    ranga: Theatre
    empty: Theatre
    theirs: Theatre
    shows: dict[str, Show]


@pytest.fixture
def utc(monkeypatch):
    """The app's time zone is UTC, whatever this machine's is."""
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'UTC')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def kolkata(monkeypatch):
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def store(database):
    yield cache.configure(KV(None), ttl=60)
    cache.configure(None)


def build() -> Stage:
    """Two managers' theatres; the figures the tests expect are worked out by hand beside each booking."""
    manager = make_user(role=Role.MANAGER, name='Asha Manager')
    other = make_user(role=Role.MANAGER, name='Other Manager')
    admin = make_user(role=Role.ADMIN)
    member = make_user()
    u1, u2, u3 = make_user(), make_user(), make_user()
    # Created worst first, so that the best-revenue-first order is the summary's doing.
    empty = make_theatre(manager, name='Empty Hall', place='Pune', capacity=80)
    ranga = make_theatre(manager, name='Ranga Shankara', place='Bengaluru', capacity=300)
    prithvi = make_theatre(manager, name='Prithvi', place='Mumbai', capacity=200)
    theirs = make_theatre(other, name='Theirs', place='Delhi', capacity=50)

    hamlet = make_show(prithvi, name='Hamlet', price_cents=30000, num_tickets=100, starts_in=2 * DAY)
    tughlaq = make_show(prithvi, name='Tughlaq', price_cents=20000, num_tickets=50, starts_in=4 * DAY)
    macbeth = make_show(prithvi, name='Macbeth', price_cents=50000, num_tickets=20, starts_in=1 * DAY)
    godot = make_show(prithvi, name='Waiting for Godot', price_cents=10000, num_tickets=30, starts_in=6 * DAY)
    unsold = make_show(prithvi, name='Unsold', price_cents=40000, num_tickets=40, starts_in=3 * DAY)
    evam = make_show(ranga, name='Evam Indrajit', price_cents=15000, num_tickets=60)
    their_show = make_show(theirs, name='Their Show', price_cents=20000, num_tickets=10)

    make_booking(u1, hamlet, tickets=4, created_at=ago(5))  # 20 Nov 12:00, recent
    make_booking(u2, hamlet, tickets=3, created_at=ago(30, minutes=1))  # just too old to be recent, still revenue
    make_booking(u3, hamlet, tickets=2, status=BookingStatus.CANCELLED, created_at=ago(2))
    make_booking(u1, tughlaq, tickets=5, created_at=ago(1))  # 24 Nov
    make_booking(u2, tughlaq, tickets=5, created_at=ago(5, hours=-3))  # 20 Nov 15:00
    make_booking(u3, macbeth, tickets=2, created_at=ago(3))  # 22 Nov
    make_booking(u2, macbeth, tickets=4, status=BookingStatus.CANCELLED, created_at=ago(3))
    make_booking(u1, godot, tickets=6, created_at=ago(60))  # old
    make_booking(u3, unsold, tickets=2, status=BookingStatus.CANCELLED, created_at=ago(4))
    make_booking(u1, evam, tickets=2, created_at=ago(20))
    make_booking(u2, their_show, tickets=2, created_at=ago(1))
    shows = {s.name: s for s in (hamlet, tughlaq, macbeth, godot, unsold, evam, their_show)}
    return Stage(manager, other, admin, member, prithvi, ranga, empty, theirs, shows)


def figures(t: summary.TheatreSummary) -> tuple:
    return (
        t.name,
        t.place,
        t.capacity,
        t.owner_name,
        t.shows,
        t.tickets_offered,
        t.tickets_sold,
        t.revenue_cents,
        t.recent_bookings,
        t.recent_tickets,
    )


def sellers(t) -> list[tuple[str, int, int, int]]:
    return [(s.name, s.num_tickets, s.tickets_sold, s.revenue_cents) for s in t]


def test_summary_figures_by_hand(any_db):
    stage = build()
    with session_scope() as s:
        result = summary.summary(s, actor_id=stage.manager.id, now=NOW)

    prithvi, ranga, empty = result.theatres
    # Prithvi: offered 100+50+20+30+40; sold 7+10+2+6 (cancelled seats are not sold); revenue 7*300+10*200+2*500+6*100
    assert figures(prithvi) == ('Prithvi', 'Mumbai', 200, 'Asha Manager', 5, 240, 25, 570000, 4, 16)
    assert prithvi.theatre_id == stage.prithvi.id
    assert prithvi.occupancy == pytest.approx(25 / 240)
    # By tickets sold, not by revenue (Macbeth earned more than Godot but sold fewer); Unsold sold nothing.
    assert sellers(prithvi.best_sellers) == [
        ('Tughlaq', 50, 10, 200000),
        ('Hamlet', 100, 7, 210000),
        ('Waiting for Godot', 30, 6, 60000),
    ]
    assert [b.show_id for b in prithvi.best_sellers] == [
        stage.shows['Tughlaq'].id,
        stage.shows['Hamlet'].id,
        stage.shows['Waiting for Godot'].id,
    ]
    assert figures(ranga) == ('Ranga Shankara', 'Bengaluru', 300, 'Asha Manager', 1, 60, 2, 30000, 1, 2)
    assert sellers(ranga.best_sellers) == [('Evam Indrajit', 60, 2, 30000)]
    assert figures(empty) == ('Empty Hall', 'Pune', 80, 'Asha Manager', 0, 0, 0, 0, 0, 0)
    assert empty.occupancy == 0.0 and empty.best_sellers == []

    assert result.recent_days == 30
    assert result.total('revenue_cents') == 600000
    assert result.total('tickets_sold') == 27
    assert result.total('tickets_offered') == 300
    assert result.total('recent_bookings') == 5
    assert result.total('recent_tickets') == 18
    assert result.total('shows') == 6
    assert result.occupancy == pytest.approx(0.09)


def test_summary_of_nothing_is_zero(database):
    manager = make_user(role=Role.MANAGER)
    with session_scope() as s:
        result = summary.summary(s, actor_id=manager.id, now=NOW)
    assert result.theatres == [] and result.total('revenue_cents') == 0 and result.occupancy == 0.0


def test_managers_see_their_own_admins_see_all_audience_none(database):
    stage = build()
    with session_scope() as s:
        theirs = summary.summary(s, actor_id=stage.other.id, now=NOW)
        everything = summary.summary(s, actor_id=stage.admin.id, now=NOW)
    assert [figures(t) for t in theirs.theatres] == [('Theirs', 'Delhi', 50, 'Other Manager', 1, 10, 2, 40000, 1, 2)]
    assert [(t.name, t.owner_name, t.revenue_cents) for t in everything.theatres] == [
        ('Prithvi', 'Asha Manager', 570000),
        ('Theirs', 'Other Manager', 40000),
        ('Ranga Shankara', 'Asha Manager', 30000),
        ('Empty Hall', 'Asha Manager', 0),
    ]
    assert everything.total('revenue_cents') == 640000 and everything.total('tickets_sold') == 29
    with pytest.raises(NotAllowed, match='Only theatre managers or admins'), session_scope() as s:
        summary.summary(s, actor_id=stage.member.id, now=NOW)


def test_theatre_detail_by_hand(database, utc):
    stage = build()
    with session_scope() as s:
        detail = summary.theatre_detail(s, actor_id=stage.manager.id, theatre_id=stage.prithvi.id, now=NOW)
        best_two = summary.theatre_detail(s, actor_id=stage.manager.id, theatre_id=stage.prithvi.id, top=2, now=NOW)
    assert (detail.theatre_id, detail.name, detail.shows) == (stage.prithvi.id, 'Prithvi', 5)
    assert sellers(detail.top_shows) == [
        ('Tughlaq', 50, 10, 200000),
        ('Hamlet', 100, 7, 210000),
        ('Waiting for Godot', 30, 6, 60000),
        ('Macbeth', 20, 2, 100000),
        ('Unsold', 40, 0, 0),
    ]
    assert sellers(best_two.top_shows) == sellers(detail.top_shows)[:2] and best_two.shows == 5
    assert len(detail.days) == 30
    assert detail.days[0].day == dt.date(2026, 10, 27) and detail.days[-1].day == dt.date(2026, 11, 25)
    assert [d.day for d in detail.days] == [dt.date(2026, 10, 27) + n * DAY for n in range(30)]
    # Confirmed bookings only, per day: 20 Nov has Hamlet 4 x 300 and Tughlaq 5 x 200.
    assert {d.day: (d.bookings, d.tickets, d.revenue_cents) for d in detail.days if d.bookings} == {
        dt.date(2026, 11, 20): (2, 9, 220000),
        dt.date(2026, 11, 22): (1, 2, 100000),
        dt.date(2026, 11, 24): (1, 5, 100000),
    }
    assert all(d.tickets == d.revenue_cents == 0 for d in detail.days if not d.bookings)


def test_theatre_detail_of_an_empty_theatre(database, utc):
    stage = build()
    with session_scope() as s:
        detail = summary.theatre_detail(s, actor_id=stage.admin.id, theatre_id=stage.empty.id, now=NOW)
    assert (detail.name, detail.shows, detail.top_shows) == ('Empty Hall', 0, [])
    assert len(detail.days) == 30 and all((d.bookings, d.tickets, d.revenue_cents) == (0, 0, 0) for d in detail.days)


def test_theatre_detail_is_for_its_manager_or_an_admin(database):
    stage = build()
    for theatre_id in (stage.theirs.id, 999999, 'abc', None):
        with pytest.raises(NotFound, match='No such theatre'), session_scope() as s:
            summary.theatre_detail(s, actor_id=stage.manager.id, theatre_id=theatre_id, now=NOW)
    with pytest.raises(NotAllowed), session_scope() as s:
        summary.theatre_detail(s, actor_id=stage.member.id, theatre_id=stage.prithvi.id, now=NOW)
    with session_scope() as s:
        assert summary.theatre_detail(s, actor_id=stage.admin.id, theatre_id=stage.theirs.id, now=NOW).name == 'Theirs'


def test_bookings_count_on_their_local_day(any_db, kolkata):
    """Kolkata is UTC+5:30: 19:00 UTC on 20 Nov is 00:30 on 21 Nov there, and the 30 days are local days."""
    manager, buyer = make_user(role=Role.MANAGER), make_user()
    theatre = make_theatre(manager, name='Kalakshetra')
    show = make_show(theatre, price_cents=10000, num_tickets=50)
    utc = dt.UTC
    make_booking(buyer, show, tickets=1, created_at=dt.datetime(2026, 11, 20, 18, 0, tzinfo=utc))  # 20 Nov 23:30
    make_booking(buyer, show, tickets=3, created_at=dt.datetime(2026, 11, 20, 19, 0, tzinfo=utc))  # 21 Nov 00:30
    make_booking(buyer, show, tickets=2, created_at=dt.datetime(2026, 10, 26, 18, 0, tzinfo=utc))  # 26 Oct: too old
    make_booking(buyer, show, tickets=4, created_at=dt.datetime(2026, 10, 26, 19, 0, tzinfo=utc))  # 27 Oct 00:30
    now = dt.datetime(2026, 11, 24, 19, 0, tzinfo=utc)  # already 25 Nov 00:30 in Kolkata
    with session_scope() as s:
        detail = summary.theatre_detail(s, actor_id=manager.id, theatre_id=theatre.id, now=now)
    assert detail.days[0].day == dt.date(2026, 10, 27) and detail.days[-1].day == dt.date(2026, 11, 25)
    assert {d.day: (d.bookings, d.tickets, d.revenue_cents) for d in detail.days if d.bookings} == {
        dt.date(2026, 10, 27): (1, 4, 40000),
        dt.date(2026, 11, 20): (1, 1, 10000),
        dt.date(2026, 11, 21): (1, 3, 30000),
    }


def test_summary_is_cached_and_fresh_after_booking_and_cancel(store):
    manager, other, buyer = make_user(role=Role.MANAGER), make_user(role=Role.MANAGER), make_user()
    theatre = make_theatre(manager, name='Prithvi')
    make_theatre(other, name='Elsewhere')
    show = make_show(theatre, price_cents=25000, num_tickets=10)

    def read(actor_id: int) -> summary.Summary:
        with session_scope() as s:
            return summary.summary(s, actor_id=actor_id, now=utcnow())

    first = read(manager.id)
    assert (store.hits, store.misses) == (0, 1)
    assert read(manager.id) == first and (store.hits, store.misses) == (1, 1)
    assert [t.name for t in read(other.id).theatres] == ['Elsewhere']  # cached per person
    assert first.total('revenue_cents') == 0

    with session_scope() as s:
        made = booking.book(s, show_id=show.id, user_id=buyer.id, tickets=4)
    after_booking = read(manager.id)
    assert (after_booking.total('tickets_sold'), after_booking.total('revenue_cents')) == (4, 100000)
    assert after_booking.total('recent_bookings') == 1

    with session_scope() as s:
        booking.cancel_booking(s, booking_id=made.id, user_id=buyer.id)
    after_cancel = read(manager.id)
    assert (after_cancel.total('tickets_sold'), after_cancel.total('revenue_cents')) == (0, 0)
    assert after_cancel.total('recent_bookings') == 0


def test_a_theatre_s_shows_read_in_its_time_zone_in_the_summary_the_charts_and_the_audit_filter(any_db, utc):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Prithvi')
    with session_scope() as s:
        s.get_one(Theatre, theatre.id).timezone = 'Asia/Kolkata'
    starts = dt.datetime(2030, 12, 12, 14, 0, tzinfo=dt.UTC)  # 19:30 in Mumbai
    show = make_show(theatre, name='Hamlet', starts_at=starts)
    make_booking(make_user(), show, tickets=2)
    with session_scope() as s:
        (figures,) = summary.summary(s, actor_id=manager.id).theatres
        detail = summary.theatre_detail(s, actor_id=manager.id, theatre_id=theatre.id)
        choices = audit.show_choices(s, actor_id=manager.id, theatre_id=theatre.id)
        png = charts.theatre_chart(s, actor_id=manager.id, theatre_id=theatre.id, kind='sales')
    assert (figures.timezone, [b.name for b in figures.best_sellers]) == ('Asia/Kolkata', ['Hamlet'])
    assert (detail.timezone, [t.name for t in detail.top_shows]) == ('Asia/Kolkata', ['Hamlet'])
    assert choices == [(show.id, 'Hamlet · Thu 12 Dec 2030, 19:30 IST')]
    assert png.startswith(b'\x89PNG')
