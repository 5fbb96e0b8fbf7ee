"""Door staff: a theatre's manager (or an admin) adds people by username and removes them, audited; staff may read a
booking of their theatre at the door and see nothing else of it (no dashboard, summary, charts or exports)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from models import AuditAction, AuditEvent, AuditObject, Role, Show, Theatre, TheatreStaff, User
from models.db import session_scope
from services import booking, exports, staff, summary, theatres
from services.errors import Conflict, Invalid, NotAllowed, NotFound
from tests.factories import make_booking, make_show, make_theatre, make_user


@dataclass
class Stage:
    meera: User  # manages Prithvi
    omar: User  # manages Ranga
    admin: User
    dora: User  # an audience member, on Prithvi's door staff
    asha: User  # an audience member with a booking at each theatre
    prithvi: Theatre
    ranga: Theatre
    hamlet: Show  # at Prithvi
    tughlaq: Show  # at Ranga


def build() -> Stage:
    meera = make_user(role=Role.MANAGER, username='meera')
    omar = make_user(role=Role.MANAGER, username='omar')
    prithvi = make_theatre(meera, name='Prithvi')
    ranga = make_theatre(omar, name='Ranga')
    stage = Stage(
        meera=meera,
        omar=omar,
        admin=make_user(role=Role.ADMIN, username='root'),
        dora=make_user(username='dora', name='Dora Door'),
        asha=make_user(username='asha'),
        prithvi=prithvi,
        ranga=ranga,
        hamlet=make_show(prithvi, name='Hamlet'),
        tughlaq=make_show(ranga, name='Tughlaq'),
    )
    add(meera, prithvi, 'dora')
    return stage


def add(actor: User, theatre: Theatre, username: str) -> staff.StaffView:
    with session_scope() as s:
        return staff.add_staff(s, actor_id=actor.id, theatre_id=theatre.id, username=username)


def members(theatre: Theatre) -> list[tuple[int, int]]:
    with session_scope() as s:
        rows = s.execute(
            select(TheatreStaff.theatre_id, TheatreStaff.user_id).where(TheatreStaff.theatre_id == theatre.id)
        )
        return sorted(tuple(row) for row in rows)


def staff_events() -> list[tuple[str, str, str, int | None, str | None, dict]]:
    with session_scope() as s:
        return [
            (e.action, e.object_type, e.object_id, e.theatre_id, e.actor_username, e.changes)
            for e in s.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.in_([AuditAction.STAFF_ADDED, AuditAction.STAFF_REMOVED]))
                .order_by(AuditEvent.id)
            )
        ]


def test_a_manager_adds_lists_and_removes_door_staff_and_each_change_is_audited(any_db):
    stage = build()
    ravi = make_user(username='ravi', name='Ravi Rao')
    added = add(stage.meera, stage.prithvi, '  RAVI ')  # a username is found whatever its case, trimmed
    assert (added.user_id, added.username, added.name, added.theatre_id) == (
        ravi.id,
        'ravi',
        'Ravi Rao',
        stage.prithvi.id,
    )
    with session_scope() as s:
        listed = staff.list_staff(s, actor_id=stage.meera.id, theatre_id=stage.prithvi.id)
        assert s.get_one(TheatreStaff, (stage.prithvi.id, ravi.id)).added_by_id == stage.meera.id
    assert [(m.username, m.name) for m in listed] == [('dora', 'Dora Door'), ('ravi', 'Ravi Rao')]  # by username

    with session_scope() as s:
        staff.remove_staff(s, actor_id=stage.meera.id, theatre_id=stage.prithvi.id, user_id=stage.dora.id)
    assert members(stage.prithvi) == [(stage.prithvi.id, ravi.id)]
    prithvi = str(stage.prithvi.id)
    assert staff_events() == [
        ('staff_added', AuditObject.THEATRE, prithvi, stage.prithvi.id, 'meera', {'username': 'dora'}),
        ('staff_added', AuditObject.THEATRE, prithvi, stage.prithvi.id, 'meera', {'username': 'ravi'}),
        ('staff_removed', AuditObject.THEATRE, prithvi, stage.prithvi.id, 'meera', {'username': 'dora'}),
    ]


def test_an_admin_manages_the_staff_of_any_theatre(database):
    stage = build()
    added = add(stage.admin, stage.ranga, 'dora')  # one person may be on the door of several theatres
    assert added.theatre_id == stage.ranga.id
    with session_scope() as s:
        assert [m.username for m in staff.list_staff(s, actor_id=stage.admin.id, theatre_id=stage.ranga.id)] == ['dora']
        staff.remove_staff(s, actor_id=stage.admin.id, theatre_id=stage.prithvi.id, user_id=stage.dora.id)
    assert members(stage.prithvi) == []
    assert members(stage.ranga) == [(stage.ranga.id, stage.dora.id)]
    assert [(e[0], e[4]) for e in staff_events()[1:]] == [('staff_added', 'root'), ('staff_removed', 'root')]


@pytest.mark.parametrize(
    ('username', 'message'),
    [
        pytest.param('nobody', 'No active account has the username “nobody”.', id='unknown'),
        pytest.param('gone', 'No active account has the username “gone”.', id='disabled'),
        pytest.param('   ', 'Username is required.', id='blank'),
        pytest.param(None, 'Username must be text.', id='missing'),
        pytest.param('x' * 33, 'Username must be at most 32 characters.', id='too-long'),
        pytest.param('<dora>', 'Username must not contain < or >.', id='markup'),
    ],
)
def test_a_username_that_names_no_active_account_is_refused_beside_the_field(any_db, username, message):
    stage = build()
    make_user(username='gone', is_active=False)
    with pytest.raises(Invalid) as refused, session_scope() as s:
        staff.add_staff(s, actor_id=stage.meera.id, theatre_id=stage.prithvi.id, username=username)
    assert refused.value.errors == {'username': message}
    assert members(stage.prithvi) == [(stage.prithvi.id, stage.dora.id)]
    assert len(staff_events()) == 1


def test_someone_already_on_the_staff_is_a_conflict(any_db):
    stage = build()
    with pytest.raises(Conflict) as refused, session_scope() as s:
        staff.add_staff(s, actor_id=stage.meera.id, theatre_id=stage.prithvi.id, username='Dora')
    assert (refused.value.message, refused.value.field) == ('dora is already on the door staff of Prithvi.', 'username')
    assert members(stage.prithvi) == [(stage.prithvi.id, stage.dora.id)]
    assert len(staff_events()) == 1


@pytest.mark.parametrize('theatre_id', ['ranga', 0, -1, 2**31, None, '1', 1.0])
def test_another_managers_theatre_or_an_impossible_id_is_not_found(database, theatre_id):
    stage = build()
    target = stage.ranga.id if theatre_id == 'ranga' else theatre_id
    calls = [
        lambda s: staff.list_staff(s, actor_id=stage.meera.id, theatre_id=target),
        lambda s: staff.add_staff(s, actor_id=stage.meera.id, theatre_id=target, username='asha'),
        lambda s: staff.remove_staff(s, actor_id=stage.meera.id, theatre_id=target, user_id=stage.dora.id),
    ]
    for call in calls:
        with pytest.raises(NotFound, match=r'^No such theatre\.$'), session_scope() as s:
            call(s)
    assert members(stage.ranga) == [] and len(staff_events()) == 1


def test_removing_someone_not_on_the_staff_is_not_found(database):
    stage = build()
    for user_id in (stage.asha.id, 10**6, None, 'x'):
        with pytest.raises(NotFound, match='not on this theatre’s door staff'), session_scope() as s:
            staff.remove_staff(s, actor_id=stage.meera.id, theatre_id=stage.prithvi.id, user_id=user_id)
    assert members(stage.prithvi) == [(stage.prithvi.id, stage.dora.id)] and len(staff_events()) == 1


def test_audience_members_and_door_staff_may_not_manage_staff(database):
    stage = build()
    for who in (stage.asha, stage.dora):
        for call in (
            lambda s, who=who: staff.list_staff(s, actor_id=who.id, theatre_id=stage.prithvi.id),
            lambda s, who=who: staff.add_staff(s, actor_id=who.id, theatre_id=stage.prithvi.id, username='asha'),
            lambda s, who=who: staff.remove_staff(
                s, actor_id=who.id, theatre_id=stage.prithvi.id, user_id=stage.dora.id
            ),
        ):
            with pytest.raises(NotAllowed, match=r'^Only theatre managers or admins can manage theatres\.$'):
                with session_scope() as s:
                    call(s)
    assert members(stage.prithvi) == [(stage.prithvi.id, stage.dora.id)] and len(staff_events()) == 1


def test_door_staff_read_a_booking_of_their_theatre_only_while_on_its_staff(any_db):
    stage = build()
    at_prithvi = make_booking(stage.asha, stage.hamlet, tickets=2)
    at_ranga = make_booking(stage.asha, stage.tughlaq, tickets=1)
    with session_scope() as s:
        seen = booking.get_booking(s, booking_id=at_prithvi.id, actor_id=stage.dora.id)
    assert (seen.id, seen.reference, seen.show_name, len(seen.tickets)) == (
        at_prithvi.id,
        at_prithvi.reference,
        'Hamlet',
        2,
    )
    with pytest.raises(NotFound, match=r'^No such booking\.$'), session_scope() as s:
        booking.get_booking(s, booking_id=at_ranga.id, actor_id=stage.dora.id)  # another theatre's booking

    with session_scope() as s:
        staff.remove_staff(s, actor_id=stage.meera.id, theatre_id=stage.prithvi.id, user_id=stage.dora.id)
    with pytest.raises(NotFound, match=r'^No such booking\.$'), session_scope() as s:
        booking.get_booking(s, booking_id=at_prithvi.id, actor_id=stage.dora.id)  # refused at once


def test_door_staff_who_are_audience_members_see_no_figures_of_the_theatre(database):
    stage = build()
    refusals = {
        'dashboard': lambda s: theatres.dashboard(s, actor_id=stage.dora.id),
        'theatre': lambda s: theatres.get_theatre(s, actor_id=stage.dora.id, theatre_id=stage.prithvi.id),
        'summary': lambda s: summary.summary(s, actor_id=stage.dora.id),
        'charts': lambda s: summary.theatre_detail(s, actor_id=stage.dora.id, theatre_id=stage.prithvi.id),
        'show export': lambda s: exports.request_export(
            s, actor_id=stage.dora.id, kind='show', target_id=stage.hamlet.id, format='csv'
        ),
        'theatre export': lambda s: exports.request_export(
            s, actor_id=stage.dora.id, kind='theatre', target_id=stage.prithvi.id, format='csv'
        ),
    }
    for what, call in refusals.items():
        with pytest.raises(NotAllowed), session_scope() as s:
            call(s)
            pytest.fail(f'door staff got the {what}')


def test_door_staff_who_manage_another_theatre_see_only_their_own(database):
    stage = build()
    add(stage.meera, stage.prithvi, 'omar')  # Ranga's manager, on Prithvi's door
    with session_scope() as s:
        assert [e.theatre.name for e in theatres.dashboard(s, actor_id=stage.omar.id)] == ['Ranga']
        assert [t.name for t in summary.summary(s, actor_id=stage.omar.id).theatres] == ['Ranga']
    refusals = {
        'theatre': lambda s: theatres.get_theatre(s, actor_id=stage.omar.id, theatre_id=stage.prithvi.id),
        'charts': lambda s: summary.theatre_detail(s, actor_id=stage.omar.id, theatre_id=stage.prithvi.id),
        'show export': lambda s: exports.request_export(
            s, actor_id=stage.omar.id, kind='show', target_id=stage.hamlet.id, format='csv'
        ),
        'theatre export': lambda s: exports.request_export(
            s, actor_id=stage.omar.id, kind='theatre', target_id=stage.prithvi.id, format='csv'
        ),
        'staff': lambda s: staff.list_staff(s, actor_id=stage.omar.id, theatre_id=stage.prithvi.id),
    }
    for what, call in refusals.items():
        with pytest.raises(NotFound), session_scope() as s:
            call(s)
            pytest.fail(f'door staff got the {what}')
