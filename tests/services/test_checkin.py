"""Door check-in: a ticket is admitted once, every refusal says why, only the theatre's door may scan, an undo is
audited; the counts reach the dashboard, the summary, the charts and the show export; and 20 doors scanning the
same 10 codes at the same instant admit each code exactly once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import (
    AuditAction,
    AuditEvent,
    AuditObject,
    BookingStatus,
    ExportKind,
    Role,
    Show,
    Theatre,
    Ticket,
    TicketStatus,
    User,
)
from models.db import session_scope
from services import cache, checkin, staff, summary, theatres
from services.checkin import UNKNOWN, DoorCount
from services.config import get_settings
from services.errors import Conflict, Invalid, NotFound
from services.exports.tables import TABLES
from services.kv import KV
from tests.factories import make_booking, make_show, make_theatre, make_user

IST = ZoneInfo('Asia/Kolkata')
NOW = dt.datetime(2030, 12, 6, 19, 2, tzinfo=IST)  # a Friday evening at the door (the app's time zone: Kolkata)
ALREADY = re.compile(r'^Already checked in at (\w{3} \d{1,2} \w{3} )?\d\d:\d\d\.$')


@pytest.fixture(autouse=True)
def kolkata(monkeypatch):
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2030, 12, day, hour, minute, tzinfo=IST)


@dataclass
class Door:
    meera: User  # manages Prithvi
    omar: User  # manages Ranga
    admin: User
    dora: User  # on Prithvi's door staff
    sam: User  # on Ranga's door staff
    asha: User
    ravi: User
    prithvi: Theatre
    ranga: Theatre
    hamlet: Show  # Prithvi, tonight 19:30
    macbeth: Show  # Prithvi, tonight 21:00
    tughlaq: Show  # Prithvi, tomorrow 20:30
    naga: Show  # Ranga, tonight 19:30
    codes: dict[str, list[str]]  # per booking: asha's 2 and ravi's 1 for Hamlet, asha's for Macbeth, ...


def codes_of(booking_id: int) -> list[str]:
    with session_scope() as s:
        return list(s.scalars(select(Ticket.code).where(Ticket.booking_id == booking_id).order_by(Ticket.id)))


def build() -> Door:
    meera = make_user(role=Role.MANAGER, username='meera')
    omar = make_user(role=Role.MANAGER, username='omar')
    prithvi, ranga = make_theatre(meera, name='Prithvi'), make_theatre(omar, name='Ranga')
    door = Door(
        meera=meera,
        omar=omar,
        admin=make_user(role=Role.ADMIN, username='root'),
        dora=make_user(username='dora'),
        sam=make_user(username='sam'),
        asha=make_user(username='asha', name='Asha Rao'),
        ravi=make_user(username='ravi', name='Ravi Iyer'),
        prithvi=prithvi,
        ranga=ranga,
        hamlet=make_show(prithvi, name='Hamlet', starts_at=at(6, 19, 30), num_tickets=10),
        macbeth=make_show(prithvi, name='Macbeth', starts_at=at(6, 21), num_tickets=10),
        tughlaq=make_show(prithvi, name='Tughlaq', starts_at=at(7, 20, 30), num_tickets=10),
        naga=make_show(ranga, name='Nagamandala', starts_at=at(6, 19, 30), num_tickets=10),
        codes={},
    )
    with session_scope() as s:
        staff.add_staff(s, actor_id=meera.id, theatre_id=prithvi.id, username='dora')
        staff.add_staff(s, actor_id=omar.id, theatre_id=ranga.id, username='sam')
    for name, who, show, tickets, status in [
        ('asha-hamlet', door.asha, door.hamlet, 2, BookingStatus.CONFIRMED),
        ('ravi-hamlet', door.ravi, door.hamlet, 1, BookingStatus.CONFIRMED),
        ('ravi-hamlet-cancelled', door.ravi, door.hamlet, 2, BookingStatus.CANCELLED),
        ('asha-macbeth', door.asha, door.macbeth, 1, BookingStatus.CONFIRMED),
        ('asha-tughlaq', door.asha, door.tughlaq, 1, BookingStatus.CONFIRMED),
        ('asha-naga', door.asha, door.naga, 1, BookingStatus.CONFIRMED),
    ]:
        door.codes[name] = codes_of(make_booking(who, show, tickets=tickets, status=status).id)
    return door


@pytest.fixture
def door(any_db) -> Door:
    return build()


@pytest.fixture
def door_one_db(database) -> Door:
    """The same stage on the suite's default database, for rules that do not depend on the database."""
    return build()


def scan(who: User, show: Show, code: object, now: dt.datetime = NOW) -> checkin.Admission:
    with session_scope() as s:
        return checkin.check_in(s, actor_id=who.id, show_id=show.id, code=code, now=now)  # type: ignore[arg-type]


def undo(who: User, code: object, now: dt.datetime = NOW):
    with session_scope() as s:
        return checkin.undo_check_in(s, actor_id=who.id, code=code, now=now)  # type: ignore[arg-type]


def tickets() -> dict[str, tuple[TicketStatus, dt.datetime | None, int | None]]:
    """Every ticket's (status, checked_in_at, checked_in_by_id), by code: compared before and after a refusal."""
    with session_scope() as s:
        return {t.code: (t.status, t.checked_in_at, t.checked_in_by_id) for t in s.scalars(select(Ticket)).all()}


# --- admitting and refusing --------------------------------------------------------------------------------


def test_a_ticket_is_admitted_once_and_every_later_scan_says_when(door):
    code, other = door.codes['asha-hamlet']
    admitted = scan(door.dora, door.hamlet, f'  {code}\n')  # a scanner's Enter, a typist's spaces
    assert admitted.ticket.code == code
    assert (admitted.ticket.status, admitted.ticket.checked_in_at) == (TicketStatus.CHECKED_IN, NOW)
    assert admitted.booking_reference and admitted.show_id == door.hamlet.id and admitted.seat is None
    assert (admitted.holder_name, admitted.tickets_in_booking) == ('Asha Rao', 2)
    assert admitted.count == DoorCount(show_id=door.hamlet.id, tickets_sold=3, checked_in=1)  # cancelled: not sold
    assert tickets()[code] == (TicketStatus.CHECKED_IN, NOW, door.dora.id)
    assert tickets()[other] == (TicketStatus.VALID, None, None)  # the booking's other ticket is not let in with it

    before = tickets()
    for later, when in [(NOW + dt.timedelta(minutes=8), '19:02'), (NOW + dt.timedelta(days=1), 'Fri 6 Dec 19:02')]:
        with pytest.raises(Conflict) as refused:
            scan(door.dora, door.hamlet, code, now=later)
        assert (refused.value.message, refused.value.field) == (f'Already checked in at {when}.', 'code')
    assert tickets() == before  # nothing changed: still checked in at 19:02, by Dora


def test_the_theatres_manager_and_admins_work_its_door_too(door_one_db):
    door = door_one_db
    by_meera = scan(door.meera, door.hamlet, door.codes['asha-hamlet'][0])
    by_admin = scan(door.admin, door.naga, door.codes['asha-naga'][0])
    assert by_meera.count.checked_in == 1 and by_admin.count.checked_in == 1
    assert tickets()[door.codes['asha-naga'][0]][2] == door.admin.id


def test_a_cancelled_ticket_admits_nobody(door):
    (code, _) = door.codes['ravi-hamlet-cancelled']
    before = tickets()
    with pytest.raises(Conflict) as refused:
        scan(door.dora, door.hamlet, code)
    assert refused.value.message == 'Cancelled: this ticket was cancelled and does not admit anyone.'
    assert tickets() == before


@pytest.mark.parametrize(
    ('booking', 'message'),
    [
        pytest.param('asha-macbeth', 'Other show: Macbeth, 21:00.', id='tonight'),
        pytest.param('asha-tughlaq', 'Other show: Tughlaq, Sat 7 Dec 20:30.', id='another-day'),
    ],
)
def test_a_ticket_of_another_show_of_the_theatre_is_refused_naming_that_show_and_time(door, booking, message):
    before = tickets()
    with pytest.raises(Invalid) as refused:
        scan(door.dora, door.hamlet, door.codes[booking][0])
    assert refused.value.errors == {'code': message}
    assert tickets() == before


def test_an_unknown_code_or_a_code_of_another_theatre_is_not_found(door):
    before = tickets()
    for code in ('A' * 22, door.codes['asha-naga'][0], door.codes['asha-hamlet'][0].lower() + 'x'):
        with pytest.raises(NotFound) as refused:
            scan(door.dora, door.hamlet, code)
        assert (refused.value.message, refused.value.field) == (UNKNOWN, 'code')
    assert tickets() == before


@pytest.mark.parametrize(
    ('code', 'message'),
    [
        pytest.param('', 'Ticket code is required.', id='empty'),
        pytest.param(' \n', 'Ticket code is required.', id='blank'),
        pytest.param(None, 'Ticket code must be text.', id='missing'),
        pytest.param(12345, 'Ticket code must be text.', id='number'),
        pytest.param('x' * 65, 'Ticket code must be at most 64 characters.', id='too-long'),
        pytest.param('ab\x00cd', 'Ticket code must not contain control characters.', id='nul'),
        pytest.param('<img src=x>', 'Ticket code must not contain < or >.', id='markup'),
    ],
)
def test_a_code_that_cannot_be_one_is_refused_beside_the_field(door_one_db, code, message):
    before = tickets()
    for call in (lambda: scan(door_one_db.dora, door_one_db.hamlet, code), lambda: undo(door_one_db.dora, code)):
        with pytest.raises(Invalid) as refused:
            call()
        assert refused.value.errors == {'code': message}
    assert tickets() == before


def test_only_the_theatres_door_staff_its_manager_and_admins_may_scan_there(door_one_db):
    door = door_one_db
    code = door.codes['asha-hamlet'][0]
    before = tickets()
    # an audience member, another theatre's manager, another theatre's door staff: the show is not theirs to know
    for who in (door.asha, door.omar, door.sam):
        with pytest.raises(NotFound, match=r'^No such show\.$'):
            scan(who, door.hamlet, code)
        with pytest.raises(NotFound, match=r'^No such show\.$'), session_scope() as s:
            checkin.door_count(s, actor_id=who.id, show_id=door.hamlet.id)
    for show_id in (10**6, 0, None, '1'):
        with pytest.raises(NotFound, match=r'^No such show\.$'), session_scope() as s:
            checkin.check_in(s, actor_id=door.dora.id, show_id=show_id, code=code)  # type: ignore[arg-type]
    assert tickets() == before
    # Sam works Ranga's door, not Prithvi's: Prithvi's ticket is unknown at Ranga, his own ticket goes in
    with pytest.raises(NotFound, match=re.escape(UNKNOWN)):
        scan(door.sam, door.naga, code)
    assert scan(door.sam, door.naga, door.codes['asha-naga'][0]).count.checked_in == 1


def test_someone_taken_off_the_door_staff_is_refused_at_once(door):
    code, second = door.codes['asha-hamlet']
    scan(door.dora, door.hamlet, code)
    with session_scope() as s:
        staff.remove_staff(s, actor_id=door.meera.id, theatre_id=door.prithvi.id, user_id=door.dora.id)
    before = tickets()
    with pytest.raises(NotFound, match=r'^No such show\.$'):
        scan(door.dora, door.hamlet, second)
    with pytest.raises(NotFound, match=re.escape(UNKNOWN)):
        undo(door.dora, code)
    with session_scope() as s:
        assert checkin.door_shows(s, actor_id=door.dora.id, now=NOW) == []
    assert tickets() == before


# --- undo ------------------------------------------------------------------------------------------------


def test_a_mistaken_scan_is_undone_audited_and_the_ticket_admits_again(door):
    code = door.codes['ravi-hamlet'][0]
    scan(door.dora, door.hamlet, code)
    undone = undo(door.dora, code, now=NOW + dt.timedelta(minutes=1))
    assert (undone.code, undone.status, undone.checked_in_at) == (code, TicketStatus.VALID, None)
    assert tickets()[code] == (TicketStatus.VALID, None, None)
    with session_scope() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == AuditAction.CHECKIN_UNDONE)).all()
        booking_id = s.scalar(select(Ticket.booking_id).where(Ticket.code == code))
        ticket_id = s.scalar(select(Ticket.id).where(Ticket.code == code))
        assert (event.object_type, event.object_id, event.theatre_id, event.show_id) == (
            AuditObject.BOOKING,
            str(booking_id),
            door.prithvi.id,
            door.hamlet.id,
        )
        assert (event.actor_username, event.changes) == ('dora', {'ticket_id': ticket_id})
        assert event.at == NOW + dt.timedelta(minutes=1)

    later = NOW + dt.timedelta(minutes=5)
    assert scan(door.dora, door.hamlet, code, now=later).ticket.checked_in_at == later  # admits again, once
    with pytest.raises(Conflict, match=r'^Already checked in at 19:07\.$'):
        scan(door.dora, door.hamlet, code, now=later)


def test_an_undo_that_has_nothing_to_undo_is_refused(door):
    before = tickets()
    with pytest.raises(Conflict, match=r'^This ticket is not checked in\.$'):
        undo(door.dora, door.codes['asha-hamlet'][0])
    with pytest.raises(Conflict, match=r'^Cancelled: this ticket was cancelled\.$'):
        undo(door.dora, door.codes['ravi-hamlet-cancelled'][0])
    for code in ('A' * 22, door.codes['asha-naga'][0]):  # unknown, or another theatre's
        with pytest.raises(NotFound, match=re.escape(UNKNOWN)):
            undo(door.dora, code)
    assert tickets() == before
    with session_scope() as s:
        assert s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == AuditAction.CHECKIN_UNDONE)) == 0


# --- counts and the door's list of shows -------------------------------------------------------------------


def test_the_door_count_is_tickets_sold_and_checked_in(door):
    def count() -> DoorCount:
        with session_scope() as s:
            return checkin.door_count(s, actor_id=door.dora.id, show_id=door.hamlet.id)

    assert count() == DoorCount(door.hamlet.id, tickets_sold=3, checked_in=0)
    for code in door.codes['asha-hamlet']:
        scan(door.dora, door.hamlet, code)
    assert count() == DoorCount(door.hamlet.id, tickets_sold=3, checked_in=2)
    undo(door.dora, door.codes['asha-hamlet'][0])
    assert count() == DoorCount(door.hamlet.id, tickets_sold=3, checked_in=1)


def test_the_door_lists_the_shows_it_may_scan_for_todays_first(door_one_db):
    door = door_one_db
    matinee = make_show(door.prithvi, name='Matinee', starts_at=at(6, 14))
    make_show(door.prithvi, name='Yesterday', starts_at=at(5, 19, 30))
    scan(door.dora, door.hamlet, door.codes['asha-hamlet'][0])

    def names(who: User, now: dt.datetime) -> list[tuple[str, int, int]]:
        with session_scope() as s:
            return [(d.name, d.tickets_sold, d.checked_in) for d in checkin.door_shows(s, actor_id=who.id, now=now)]

    assert names(door.dora, NOW) == [
        ('Matinee', 0, 0),  # earlier today: still listed, for late arrivals
        ('Hamlet', 3, 1),
        ('Macbeth', 1, 0),
        ('Tughlaq', 1, 0),
    ]
    assert names(door.sam, NOW) == [('Nagamandala', 1, 0)]
    assert names(door.omar, NOW) == [('Nagamandala', 1, 0)]
    assert [n for n, *_ in names(door.admin, NOW)] == ['Matinee', 'Hamlet', 'Nagamandala', 'Macbeth', 'Tughlaq']
    assert names(door.asha, NOW) == []
    # past midnight, last night's late shows are still at the door (six hours), the matinee is not
    assert [n for n, *_ in names(door.dora, at(7, 1))] == ['Hamlet', 'Macbeth', 'Tughlaq']
    with session_scope() as s:
        (listed,) = [d for d in checkin.door_shows(s, actor_id=door.dora.id, now=NOW) if d.id == matinee.id]
    assert (listed.theatre_id, listed.theatre_name, listed.starts_at) == (door.prithvi.id, 'Prithvi', at(6, 14))


def test_the_door_s_day_and_clock_are_its_theatre_s_whatever_the_app_s_zone(any_db, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'UTC')  # a newcomer's machine
    get_settings.cache_clear()
    now = dt.datetime(2030, 12, 6, 20, 0, tzinfo=dt.UTC)  # 01:30 on the 7th in Mumbai, 15:00 on the 6th in New York

    def utc(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2030, 12, day, hour, 0, tzinfo=dt.UTC)

    meera, nina, admin = make_user(role=Role.MANAGER), make_user(role=Role.MANAGER), make_user(role=Role.ADMIN)
    mumbai, new_york = make_theatre(meera, name='Prithvi'), make_theatre(nina, name='Public')
    with session_scope() as s:
        s.get_one(Theatre, mumbai.id).timezone = 'Asia/Kolkata'
        s.get_one(Theatre, new_york.id).timezone = 'America/New_York'
    make_show(mumbai, name='Mumbai yesterday', starts_at=utc(6, 8))  # 13:30 on the 6th there: 12 hours ago
    make_show(mumbai, name='Mumbai past midnight', starts_at=utc(6, 19))  # 00:30 on the 7th: today there
    tonight = make_show(mumbai, name='Mumbai tonight', starts_at=utc(7, 14))  # 19:30 on the 7th: today there
    make_show(mumbai, name='Mumbai tomorrow', starts_at=utc(8, 14))
    make_show(new_york, name='New York morning', starts_at=utc(6, 13))  # 08:00 on the 6th: today there, 7 h ago
    make_show(new_york, name='New York evening', starts_at=utc(7, 2))  # 21:00 on the 6th: today there

    with session_scope() as s:
        listed = checkin.door_shows(s, actor_id=admin.id, now=now)
        mine = checkin.door_shows(s, actor_id=meera.id, now=now)
    assert [(d.name, d.is_today(now)) for d in listed] == [
        ('New York morning', True),
        ('Mumbai past midnight', True),
        ('New York evening', True),  # the 7th in UTC, still the 6th at its door
        ('Mumbai tonight', True),  # the 7th in Mumbai already: today, not coming up
        ('Mumbai tomorrow', False),
    ]
    assert [d.name for d in mine] == ['Mumbai past midnight', 'Mumbai tonight', 'Mumbai tomorrow']
    assert mine[0].theatre_timezone == 'Asia/Kolkata' and mine[0].tz == ZoneInfo('Asia/Kolkata')

    code = codes_of(make_booking(make_user(), tonight, tickets=1).id)[0]
    scan(meera, tonight, code, now=now)
    with pytest.raises(Conflict, match=r'^Already checked in at 01:30\.$'):  # Mumbai's clock, not UTC's 20:00
        scan(meera, tonight, code, now=now + dt.timedelta(minutes=5))


def test_check_ins_reach_the_dashboard_the_summary_the_charts_and_the_show_export(door):
    store = cache.configure(KV(None), ttl=600)  # cached figures must not hide a scan
    try:

        def figures() -> tuple[dict[int, int], int, dict[int, int], dict[int, int]]:
            with session_scope() as s:
                (entry,) = theatres.dashboard(s, actor_id=door.meera.id)
                (theatre,) = summary.summary(s, actor_id=door.meera.id).theatres
                detail = summary.theatre_detail(s, actor_id=door.meera.id, theatre_id=door.prithvi.id)
            assert {show.id for show in entry.shows} >= set(entry.checked_in)
            return (
                {show.id: entry.checked_in_for(show.id) for show in entry.shows},
                theatre.checked_in,
                {show.show_id: show.checked_in for show in theatre.best_sellers},
                {show.show_id: show.checked_in for show in detail.top_shows},
            )

        nobody = {door.hamlet.id: 0, door.macbeth.id: 0, door.tughlaq.id: 0}
        assert figures() == (nobody, 0, nobody, nobody)
        assert store is not None and store.misses > 0
        for code in [*door.codes['asha-hamlet'], door.codes['asha-tughlaq'][0]]:
            scan(door.dora, door.hamlet if code != door.codes['asha-tughlaq'][0] else door.tughlaq, code)
        scan(door.sam, door.naga, door.codes['asha-naga'][0])  # another theatre's: not in Prithvi's figures
        counted = {door.hamlet.id: 2, door.macbeth.id: 0, door.tughlaq.id: 1}
        assert figures() == (counted, 3, counted, counted)
        undo(door.dora, door.codes['asha-hamlet'][1])
        counted[door.hamlet.id] = 1
        assert figures() == (counted, 2, counted, counted)
        with session_scope() as s:
            (admin_entry,) = [e for e in theatres.dashboard(s, actor_id=door.admin.id) if e.theatre.id == door.ranga.id]
        assert admin_entry.checked_in == {door.naga.id: 1}
    finally:
        cache.configure(None)

    with session_scope() as s:
        meera = s.get_one(User, door.meera.id)
        table = TABLES[ExportKind.SHOW](s, meera, door.hamlet.id, IST)
        rows = [dict(zip([c.name for c in table.columns], row, strict=True)) for row in table.rows()]
    assert table.columns[-1].name == 'checked_in'
    assert [(r['customer_username'], r['tickets'], r['status'], r['checked_in']) for r in rows] == [
        ('asha', 2, 'confirmed', 1),
        ('ravi', 1, 'confirmed', 0),
        ('ravi', 2, 'cancelled', 0),
    ]


# --- the race at the door ----------------------------------------------------------------------------------

DOORS = 20
CODES = 10


def test_twenty_doors_scanning_the_same_ten_codes_at_once_admit_each_code_exactly_once(any_db, capsys):
    """Twenty door staff, each on a thread and a connection of their own, scan the same ten tickets at the same
    instant, each in their own order: each code is admitted once and refused nineteen times, saying when."""
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    show = make_show(theatre, num_tickets=CODES)
    codes = [c for _ in range(CODES // 2) for c in codes_of(make_booking(make_user(), show, tickets=2).id)]
    doors = [make_user() for _ in range(DOORS)]
    with session_scope() as s:
        for person in doors:
            staff.add_staff(s, actor_id=manager.id, theatre_id=theatre.id, username=person.username)
    start = threading.Barrier(DOORS)
    admitted: dict[str, list[int]] = {code: [] for code in codes}
    refused: Counter[str] = Counter()
    messages: set[str] = set()
    errors: list[str] = []
    lock = threading.Lock()

    def door(index: int) -> None:
        order = random.Random(index).sample(codes, len(codes))
        start.wait()
        for code in order:
            try:
                with session_scope() as s:
                    checkin.check_in(s, actor_id=doors[index].id, show_id=show.id, code=code)
            except Conflict as error:
                with lock:
                    refused[code] += 1
                    messages.add(error.message)
            except Exception as error:  # noqa: BLE001 - any other failure is what this test looks for
                errors.append(repr(error))
            else:
                with lock:
                    admitted[code].append(doors[index].id)

    threads = [threading.Thread(target=door, args=(i,)) for i in range(DOORS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    with session_scope() as s:
        rows = {
            t.code: (t.status, t.checked_in_by_id) for t in s.scalars(select(Ticket).where(Ticket.show_id == show.id))
        }
        counted = checkin.count(s, show.id)
    with capsys.disabled():
        print(
            f'\n[door race {any_db.split(":")[0]}] doors={DOORS} codes={CODES} scans={DOORS * CODES} '
            f'admitted={sum(len(a) for a in admitted.values())} refused={sum(refused.values())} errors={len(errors)}'
        )
    assert errors == []
    assert not any(thread.is_alive() for thread in threads)
    assert {code: len(by) for code, by in admitted.items()} == dict.fromkeys(codes, 1)
    assert refused == dict.fromkeys(codes, DOORS - 1)
    assert messages and all(ALREADY.fullmatch(m) for m in messages), messages
    assert rows == {code: (TicketStatus.CHECKED_IN, by[0]) for code, by in admitted.items()}  # the table agrees
    assert counted == DoorCount(show.id, tickets_sold=CODES, checked_in=CODES)
