"""The audit trail: one event per audited change, in the change's own transaction; who may read which events;
the filters; and that neither the ORM nor plain SQL can change or delete an event."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from models import AuditAction, AuditEvent, AuditObject, Booking, Show, Theatre, User
from models.audit import AppendOnly
from models.db import session_scope, utcnow
from models.migrate import upgrade
from services import audit, booking, exports, shows, theatres, users
from services.config import get_settings
from services.errors import Conflict, Invalid, NotAllowed, NotFound
from services.formats import money, when
from tests.factories import make_booking, make_show, make_theatre, make_user

TOMORROW = utcnow() + dt.timedelta(days=1)
SHOW = dict(name='Hamlet', rating='4', tags='drama', ticket_price='250', num_tickets='50', starts_at=TOMORROW)


def events(**conditions: Any) -> list[AuditEvent]:
    """Every event (matching `conditions`), oldest first."""
    with session_scope() as s:
        return list(s.scalars(select(AuditEvent).filter_by(**conditions).order_by(AuditEvent.id)))


def the_event(action: AuditAction) -> AuditEvent:
    found = events(action=action)
    assert len(found) == 1, f'{len(found)} {action} events'
    return found[0]


def trail(actor: User, **filters: Any) -> audit.AuditPage:
    with session_scope() as s:
        return audit.trail(s, actor_id=actor.id, **filters)


def actions(page: audit.AuditPage) -> list[str]:
    return [entry.action for entry in page.items]


@pytest.fixture
def stage(database):
    """A manager's theatre with an upcoming show, an audience member and an admin."""
    manager = make_user(role='manager', username='asha')
    theatre = make_theatre(manager, name='Prithvi', capacity=100)
    show = make_show(theatre, name='Hamlet', num_tickets=50, price_cents=25000)
    return {
        'manager': manager,
        'theatre': theatre,
        'show': show,
        'member': make_user(username='ravi'),
        'admin': make_user(role='admin', username='root'),
    }


# --- what is recorded ----------------------------------------------------------------------------------------


def test_a_booking_and_its_cancellation_are_each_one_event_by_the_booker(stage):
    member, show = stage['member'], stage['show']
    with session_scope() as s:
        made = booking.book(s, show_id=show.id, user_id=member.id, tickets=2)
    created = the_event(AuditAction.BOOKING_CREATED)
    assert (created.actor_id, created.actor_username) == (member.id, 'ravi')
    assert (created.object_type, created.object_id, created.object_label) == ('booking', str(made.id), made.reference)
    assert (created.theatre_id, created.show_id) == (stage['theatre'].id, show.id)
    assert created.changes == {'tickets': 2, 'price_cents': 25000, 'total_cents': 50000}
    with session_scope() as s:
        booking.cancel_booking(s, booking_id=made.id, user_id=member.id)
    cancelled = the_event(AuditAction.BOOKING_CANCELLED)
    assert (cancelled.actor_id, cancelled.object_id, cancelled.show_id) == (member.id, str(made.id), show.id)
    assert cancelled.changes['tickets'] == 2
    assert len(events()) == 2


def test_show_changes_record_each_changed_field_old_and_new(stage):
    manager, theatre = stage['manager'], stage['theatre']
    with session_scope() as s:
        created = shows.create_show(s, actor_id=manager.id, theatre_id=theatre.id, **SHOW)
    event = the_event(AuditAction.SHOW_CREATED)
    assert (event.actor_username, event.object_type, event.object_id) == ('asha', 'show', str(created.id))
    assert (event.theatre_id, event.show_id, event.object_label) == (theatre.id, created.id, 'Hamlet')
    assert event.changes['price_cents'] == 25000 and event.changes['num_tickets'] == 50
    assert event.changes['tags'] == ['drama']
    assert dt.datetime.fromisoformat(event.changes['starts_at']) == created.starts_at

    with session_scope() as s:
        shows.update_show(
            s, actor_id=manager.id, show_id=created.id, **{**SHOW, 'ticket_price': '300.50', 'num_tickets': '60'}
        )
    changed = the_event(AuditAction.SHOW_CHANGED)
    assert changed.changes == {'price_cents': [25000, 30050], 'num_tickets': [50, 60]}
    assert (changed.show_id, changed.theatre_id) == (created.id, theatre.id)

    with session_scope() as s:  # saved as it is: nothing changed, nothing recorded
        shows.update_show(
            s, actor_id=manager.id, show_id=created.id, **{**SHOW, 'ticket_price': '300.50', 'num_tickets': '60'}
        )
    assert len(events(action=AuditAction.SHOW_CHANGED)) == 1

    with session_scope() as s:
        shows.update_show(s, actor_id=manager.id, show_id=created.id, **{**SHOW, 'name': 'Macbeth', 'tags': 'a, b'})
    renamed = events(action=AuditAction.SHOW_CHANGED)[-1]
    assert renamed.changes == {
        'name': ['Hamlet', 'Macbeth'],
        'tags': [['drama'], ['a', 'b']],
        'price_cents': [30050, 25000],
        'num_tickets': [60, 50],
    }
    assert renamed.object_label == 'Macbeth'


def test_deleting_a_show_keeps_its_history_under_its_id(stage):
    manager, show, theatre = stage['manager'], stage['show'], stage['theatre']
    with session_scope() as s:
        shows.delete_show(s, actor_id=manager.id, show_id=show.id)
    deleted = the_event(AuditAction.SHOW_DELETED)
    assert (deleted.object_id, deleted.show_id, deleted.theatre_id) == (str(show.id), show.id, theatre.id)
    assert deleted.changes['name'] == 'Hamlet'
    assert actions(trail(manager, show_id=show.id)) == [AuditAction.SHOW_DELETED]


def test_theatre_events_and_a_deletion_takes_one_event_per_show(stage):
    manager = stage['manager']
    with session_scope() as s:
        made = theatres.create_theatre(s, actor_id=manager.id, name='Ranga', place='Pune', capacity='80')
    assert the_event(AuditAction.THEATRE_CREATED).changes == {'name': 'Ranga', 'place': 'Pune', 'capacity': 80}
    with session_scope() as s:
        theatres.update_theatre(s, actor_id=manager.id, theatre_id=made.id, name='Ranga', place='Goa', capacity=90)
    changed = the_event(AuditAction.THEATRE_CHANGED)
    assert changed.changes == {'place': ['Pune', 'Goa'], 'capacity': [80, 90]}
    assert (changed.theatre_id, changed.show_id) == (made.id, None)

    theatre, show = stage['theatre'], stage['show']
    with session_scope() as s:
        theatres.delete_theatre(s, actor_id=manager.id, theatre_id=theatre.id)
    assert the_event(AuditAction.THEATRE_DELETED).object_id == str(theatre.id)
    assert [(e.show_id, e.theatre_id) for e in events(action=AuditAction.SHOW_DELETED)] == [(show.id, theatre.id)]
    # the theatre is gone, but the manager who deleted it still sees that they did
    assert AuditAction.THEATRE_DELETED in actions(trail(manager, theatre_id=theatre.id))


def test_account_actions_are_recorded_by_the_admin_who_took_them(stage):
    admin, member = stage['admin'], stage['member']
    with session_scope() as s:
        users.set_active(s, actor_id=admin.id, user_id=member.id, active=False)
    with session_scope() as s:  # already disabled: no change, no event
        users.set_active(s, actor_id=admin.id, user_id=member.id, active=False)
    with session_scope() as s:
        users.set_active(s, actor_id=admin.id, user_id=member.id, active=True)
    with session_scope() as s:
        users.lift_login_limits(s, actor_id=admin.id, user_id=member.id)
    recorded = [(e.action, e.actor_username, e.object_type, e.object_label, e.changes) for e in events()]
    assert recorded == [
        (AuditAction.ACCOUNT_DISABLED, 'root', AuditObject.USER, 'ravi', {'is_active': [True, False]}),
        (AuditAction.ACCOUNT_ENABLED, 'root', AuditObject.USER, 'ravi', {'is_active': [False, True]}),
        (AuditAction.LOGIN_LIMITS_LIFTED, 'root', AuditObject.USER, 'ravi', {}),
    ]


def test_exports_of_personal_data_are_recorded_and_a_theatre_export_is_not(stage):
    manager, member, show, theatre = stage['manager'], stage['member'], stage['show'], stage['theatre']
    with session_scope() as s:
        shown = exports.request_export(s, actor_id=manager.id, kind='show', target_id=show.id, format='xlsx')
        exports.request_export(s, actor_id=manager.id, kind='theatre', target_id=theatre.id)
        mine = exports.request_export(s, actor_id=member.id, kind='bookings')
    recorded = [(e.actor_username, e.object_id, e.theatre_id, e.show_id, e.changes) for e in events()]
    assert recorded == [
        ('asha', shown.id, theatre.id, show.id, {'kind': 'show', 'format': 'xlsx'}),
        ('ravi', mine.id, None, None, {'kind': 'bookings', 'format': 'csv'}),
    ]
    assert {e.action for e in events()} == {AuditAction.EXPORT_REQUESTED}


def test_the_trail_never_keeps_a_secret(stage):
    with pytest.raises(ValueError, match='never keeps secrets'), session_scope() as s:
        member = s.get_one(User, stage['member'].id)
        audit.record(
            s, actor_id=None, action=AuditAction.ACCOUNT_ENABLED, target=member, changes={'password_hash': 'x'}
        )
    assert events() == []


# --- the same transaction ------------------------------------------------------------------------------------


class Undo(Exception):
    pass


def test_a_rolled_back_change_leaves_no_event(any_db):
    manager = make_user(role='manager')
    show = make_show(make_theatre(manager))
    member = make_user()
    with pytest.raises(Undo), session_scope() as s:
        booking.book(s, show_id=show.id, user_id=member.id, tickets=1)
        shows.update_show(s, actor_id=manager.id, show_id=show.id, **{**SHOW, 'ticket_price': '999'})
        s.flush()
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 2  # written, in this transaction
        raise Undo
    assert events() == []
    with session_scope() as s:
        assert s.scalar(select(func.count()).select_from(Booking)) == 0


def test_a_refused_change_leaves_no_event(stage):
    make_booking(stage['member'], stage['show'])
    for refused in (
        lambda s: shows.delete_show(s, actor_id=stage['manager'].id, show_id=stage['show'].id),
        lambda s: theatres.delete_theatre(s, actor_id=stage['manager'].id, theatre_id=stage['theatre'].id),
        lambda s: users.set_active(s, actor_id=stage['admin'].id, user_id=stage['admin'].id, active=False),
    ):
        with pytest.raises(Conflict), session_scope() as s:
            refused(s)
    assert events() == []


# --- append only ---------------------------------------------------------------------------------------------


def _one_event() -> AuditEvent:
    member = make_user(username='ravi')
    with session_scope() as s:
        return audit.record(s, actor_id=None, action=AuditAction.ACCOUNT_ENABLED, target=s.get_one(User, member.id))


def test_the_orm_refuses_to_change_or_delete_an_event(any_db):
    event = _one_event()
    with pytest.raises(AppendOnly), session_scope() as s:
        s.get_one(AuditEvent, event.id).object_label = 'rewritten'
        s.flush()
    with pytest.raises(AppendOnly), session_scope() as s:
        s.delete(s.get_one(AuditEvent, event.id))
        s.flush()
    with pytest.raises(AppendOnly), session_scope() as s:
        s.execute(update(AuditEvent).values(object_label='rewritten'))
    with pytest.raises(AppendOnly), session_scope() as s:
        s.execute(delete(AuditEvent))
    assert [(e.id, e.object_label) for e in events()] == [(event.id, 'ravi')]


def _assert_sql_refused(url: str, event_id: int) -> None:
    engine = create_engine(url)
    try:
        for statement in ("UPDATE audit_events SET object_label = 'rewritten'", 'DELETE FROM audit_events'):
            with pytest.raises(DBAPIError, match='append-only'), engine.begin() as conn:
                conn.execute(text(statement))
        with engine.connect() as conn:
            assert conn.execute(text('SELECT id, object_label FROM audit_events')).all() == [(event_id, 'ravi')]
    finally:
        engine.dispose()


def test_the_database_refuses_an_update_or_delete_in_plain_sql(any_db):
    _assert_sql_refused(any_db, _one_event().id)


@pytest.mark.parametrize('kind', ['sqlite', 'postgres'])
def test_the_migrated_database_refuses_them_too(kind, tmp_path, request):
    url = (
        f'sqlite:///{tmp_path / "migrated.sqlite3"}'
        if kind == 'sqlite'
        else request.getfixturevalue('fresh_postgres_url')
    )
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO audit_events (at, action, object_type, object_id, object_label, changes)'
                " VALUES (:at, 'account_enabled', 'user', '1', 'ravi', '{}')"
            ),
            {'at': dt.datetime(2026, 12, 1, 10, 0)},
        )
        event_id = conn.execute(text('SELECT id FROM audit_events')).scalar_one()
    engine.dispose()
    _assert_sql_refused(url, event_id)


# --- who reads what, and the filters --------------------------------------------------------------------------


def test_a_manager_sees_their_theatres_events_and_never_another_managers(stage):
    mine, other = stage['manager'], make_user(role='manager', username='bina')
    their_theatre = make_theatre(other, name='Elsewhere')
    their_show = make_show(their_theatre)
    member = stage['member']
    with session_scope() as s:
        booking.book(s, show_id=stage['show'].id, user_id=member.id, tickets=1)
        booking.book(s, show_id=their_show.id, user_id=member.id, tickets=1)
        shows.update_show(s, actor_id=other.id, show_id=their_show.id, **SHOW)
        users.lift_login_limits(s, actor_id=stage['admin'].id, user_id=member.id)
    seen = trail(mine)
    assert [(e.action, e.show_id) for e in seen.items] == [(AuditAction.BOOKING_CREATED, stage['show'].id)]
    assert seen.total == 1
    theirs = trail(other)
    assert {e.theatre_id for e in theirs.items} == {their_theatre.id}
    assert len(theirs.items) == 2
    # a filter cannot widen the view: their theatre's id gives nothing
    assert trail(mine, theatre_id=their_theatre.id).items == []
    assert trail(stage['admin']).total == 4


def test_audience_members_may_not_read_the_trail(stage):
    with pytest.raises(NotAllowed, match='see the audit trail'):
        trail(stage['member'])
    with pytest.raises(NotAllowed), session_scope() as s:
        audit.theatre_choices(s, actor_id=stage['member'].id)


def test_filters_by_person_theatre_show_kind_and_days(stage):
    admin, manager, member, show = stage['admin'], stage['manager'], stage['member'], stage['show']
    second = make_show(stage['theatre'], name='Othello')
    tz = get_settings().tz
    day = dt.datetime(2026, 12, 10, 12, 0, tzinfo=tz)
    with session_scope() as s:
        bookings = [s.get_one(Booking, make_booking(member, shown).id) for shown in (show, second)]
        for offset, (who, made) in enumerate(((member.id, bookings[0]), (member.id, bookings[1]), (admin.id, None))):
            target = made if made is not None else s.get_one(User, member.id)
            action = AuditAction.BOOKING_CREATED if made is not None else AuditAction.LOGIN_LIMITS_LIFTED
            audit.record(s, actor_id=who, action=action, target=target, at=day + dt.timedelta(days=offset))
    assert trail(admin).total == 3
    assert [e.show_id for e in trail(admin, person=' RAVI ').items] == [second.id, show.id]  # newest first
    assert trail(admin, person='root').total == 1
    assert trail(admin, person='nobody').items == []
    assert [e.show_id for e in trail(admin, show_id=show.id).items] == [show.id]
    assert trail(admin, theatre_id=str(stage['theatre'].id)).total == 2
    assert actions(trail(admin, action='login_limits_lifted')) == [AuditAction.LOGIN_LIMITS_LIFTED]
    assert trail(admin, date_from='2026-12-11').total == 2
    assert trail(admin, date_to='2026-12-11').total == 2
    assert trail(admin, date_from=dt.date(2026, 12, 11), date_to=dt.date(2026, 12, 11)).total == 1
    assert trail(manager).total == 2  # the booking events of their theatre, not the account action
    page = trail(admin, page=2, page_size=2)
    assert (len(page.items), page.total, page.pages) == (1, 3, 2)
    assert page.items[0].at == day


@pytest.mark.parametrize(
    ('filters', 'field', 'message'),
    [
        ({'person': 'a b'}, 'person', 'Enter a username'),
        ({'theatre_id': 'x'}, 'theatre_id', 'Theatre must be a whole number.'),
        ({'show_id': 0}, 'show_id', 'Show must be between'),
        ({'action': 'rewrote_history'}, 'action', 'Choose a kind of event from the list.'),
        ({'date_from': '12/24/2026'}, 'date_from', 'Enter a date like 2026-12-24.'),
        ({'date_to': '0001-01-01'}, 'date_to', 'Enter a date from 1970 to 2999.'),
        ({'date_to': dt.date(9999, 12, 31)}, 'date_to', 'Enter a date from 1970 to 2999.'),
        ({'date_from': '2026-12-24', 'date_to': '2026-12-23'}, 'date_to', 'must not be before the start date'),
        ({'page': 0}, 'page', 'page must be'),
        ({'page_size': 500}, 'page_size', 'page_size must be'),
    ],
)
def test_bad_filters_are_refused_beside_their_field(stage, filters, field, message):
    with pytest.raises(Invalid) as refused:
        trail(stage['admin'], **filters)
    assert message in refused.value.errors[field]


def test_entries_read_as_text(stage):
    manager, show = stage['manager'], stage['show']
    with session_scope() as s:  # everything as it was but the price
        shows.update_show(
            s,
            actor_id=manager.id,
            show_id=show.id,
            **{**SHOW, 'tags': '', 'ticket_price': '300', 'starts_at': show.starts_at},
        )
    (entry,) = trail(manager).items
    assert (entry.who, entry.what, entry.subject) == ('asha', 'Changed a show', f'show #{show.id} · Hamlet')
    assert entry.details == f'price: {money(25000)} → {money(30000)}'
    with session_scope() as s:
        shows.delete_show(s, actor_id=manager.id, show_id=show.id)
    deleted = trail(manager, action='show_deleted').items[0]
    assert deleted.details == (
        f'name: Hamlet; rating: 4.0; tags: (none); price: {money(30000)}; tickets offered: 50; '
        f'starts: {when(show.starts_at)}'
    )
    with session_scope() as s:
        audit.record(s, actor_id=None, action=AuditAction.LOGIN_LIMITS_LIFTED, target=s.get_one(User, manager.id))
    system = trail(stage['admin'], action='login_limits_lifted').items[0]
    assert (system.who, system.what, system.details) == ('system', 'Lifted login limits', '')


def test_a_show_s_start_in_the_trail_reads_in_its_theatre_s_zone(stage):
    manager, show = stage['manager'], stage['show']
    with session_scope() as s:
        s.get_one(Theatre, stage['theatre'].id).timezone = 'America/New_York'
    later = show.starts_at + dt.timedelta(hours=2)
    with session_scope() as s:
        shows.update_show(s, actor_id=manager.id, show_id=show.id, **{**SHOW, 'starts_at': later})

    (entry,) = trail(manager, action='show_changed').items

    new_york = ZoneInfo('America/New_York')
    assert f'starts: {when(show.starts_at, new_york)} → {when(later, new_york)}' in entry.details
    assert ' EST' in entry.details


def test_filter_choices_are_the_actors_own(stage):
    other = make_user(role='manager')
    theirs = make_theatre(other, name='Elsewhere')
    with session_scope() as s:
        assert audit.theatre_choices(s, actor_id=stage['manager'].id) == [(stage['theatre'].id, 'Prithvi')]
        assert audit.theatre_choices(s, actor_id=stage['admin'].id) == [
            (theirs.id, 'Elsewhere'),
            (stage['theatre'].id, 'Prithvi'),
        ]
        (choice,) = audit.show_choices(s, actor_id=stage['manager'].id, theatre_id=stage['theatre'].id)
        assert choice[0] == stage['show'].id and choice[1].startswith('Hamlet · ')
    with pytest.raises(NotFound), session_scope() as s:
        audit.show_choices(s, actor_id=stage['manager'].id, theatre_id=theirs.id)


def test_the_trail_outlives_what_it_describes(stage):
    """Plain ids, no foreign keys: deleting a theatre and its show leaves their events whole."""
    manager, theatre, show = stage['manager'], stage['theatre'], stage['show']
    with session_scope() as s:
        theatres.delete_theatre(s, actor_id=manager.id, theatre_id=theatre.id)
    with session_scope() as s:
        assert s.get(Theatre, theatre.id) is None and s.get(Show, show.id) is None
    assert [(e.theatre_id, e.show_id) for e in trail(stage['admin']).items] == [
        (theatre.id, None),
        (theatre.id, show.id),
    ]


def test_every_kind_of_event_has_a_label_people_read():
    assert set(audit.ACTION_LABELS) == set(AuditAction)
