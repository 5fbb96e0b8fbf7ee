"""The audit trail page: admins see every event, managers their own theatres' (never another manager's); the
filters narrow it, a bad filter is told beside its field, and an empty trail says so."""

from __future__ import annotations

from typing import Any

from nicegui import ui
from nicegui.testing import User

from models import AuditAction, Role, Show
from models.db import session_scope
from services import audit, booking, shows, users
from tests.factories import make_show, make_theatre, make_user
from tests.ui.helpers import elements, eventually, open_as, texts


def seed() -> dict[str, Any]:
    """Two managers' theatres, each show booked once, one show changed, and an admin's account action."""
    asha = make_user(username='asha', role=Role.MANAGER)
    bina = make_user(username='bina', role=Role.MANAGER)
    admin = make_user(username='root', role=Role.ADMIN)
    ravi = make_user(username='ravi')
    mine = make_show(make_theatre(asha, name='Prithvi'), name='Hamlet')
    theirs = make_show(make_theatre(bina, name='Elsewhere'), name='Othello')
    with session_scope() as s:
        booking.book(s, show_id=mine.id, user_id=ravi.id, tickets=2)
        booking.book(s, show_id=theirs.id, user_id=ravi.id, tickets=1)
        shows.update_show(
            s,
            actor_id=bina.id,
            show_id=theirs.id,
            name='Othello',
            rating='4',
            tags='',
            ticket_price='999',
            num_tickets='50',
            starts_at=theirs.starts_at,
        )
        users.lift_login_limits(s, actor_id=admin.id, user_id=ravi.id)
    return {'asha': asha, 'bina': bina, 'admin': admin, 'ravi': ravi, 'mine': mine, 'theirs': theirs}


def rows(user: User) -> list[dict[str, Any]]:
    tables = elements(user, marker='audit-table')
    return list(tables[0].rows) if tables else []  # type: ignore[attr-defined]


async def rows_are(user: User, expected: list[tuple[str, str]]) -> None:
    """Wait until the table lists exactly these (who, what), newest first."""
    await eventually(
        lambda: [(r['who'], r['what']) for r in rows(user)] == expected,
        message=lambda: f'rows {expected}, but the table lists {[(r["who"], r["what"]) for r in rows(user)]}',
    )


def set_value(user: User, marker: str, value: object) -> None:
    (element,) = elements(user, marker=marker)
    with user.client:
        element.value = value


async def test_the_admin_sees_every_event_and_narrows_it_down(user: User) -> None:
    data = seed()
    await open_as(user, 'root', '/audit')
    await rows_are(
        user,
        [
            ('root', 'Lifted login limits'),
            ('bina', 'Changed a show'),
            ('ravi', 'Booked'),
            ('ravi', 'Booked'),
        ],
    )
    assert texts(user, 'audit-count') == ['4 events']
    changed = rows(user)[1]
    assert changed['subject'] == f'show #{data["theirs"].id} · Othello'
    assert changed['details'].startswith('price: ₹250 → ₹999')

    user.find(marker='audit-person').type('ravi')
    await rows_are(user, [('ravi', 'Booked'), ('ravi', 'Booked')])
    set_value(user, 'audit-kind', AuditAction.LOGIN_LIMITS_LIFTED)
    await user.should_see('No events match these filters')
    user.find(marker='audit-person').clear()
    await rows_are(user, [('root', 'Lifted login limits')])
    set_value(user, 'audit-kind', None)
    theatre_id = data['mine'].theatre_id
    set_value(user, 'audit-theatre', theatre_id)
    await rows_are(user, [('ravi', 'Booked')])
    (show_select,) = elements(user, marker='audit-show')
    await eventually(lambda: show_select.enabled, message='the show filter to open for the chosen theatre')
    assert data['mine'].id in show_select.options  # type: ignore[attr-defined]
    assert data['theirs'].id not in show_select.options  # type: ignore[attr-defined]


async def test_a_manager_sees_their_theatres_and_never_another_managers(user: User) -> None:
    data = seed()
    await open_as(user, 'asha', '/audit')
    await rows_are(user, [('ravi', 'Booked')])
    assert rows(user)[0]['subject'].startswith('booking #')
    await user.should_not_see('Othello')
    (theatre_select,) = elements(user, marker='audit-theatre')
    assert set(theatre_select.options) == {None, data['mine'].theatre_id}  # type: ignore[attr-defined]
    # the other manager's name as the person filter finds nothing of theirs
    user.find(marker='audit-person').type('bina')
    await user.should_see('No events match these filters')
    assert rows(user) == []


async def test_a_bad_filter_is_told_beside_its_field(user: User) -> None:
    seed()
    await open_as(user, 'root', '/audit')
    await eventually(lambda: len(rows(user)) == 4)
    user.find(marker='audit-from').type('24/12/2026')
    (date_from,) = elements(user, marker='audit-from')
    await eventually(lambda: date_from.error == 'Enter a date like 2026-12-24.')  # type: ignore[attr-defined]
    await user.should_see('Check the filters')
    assert rows(user) == []
    user.find(marker='audit-from').clear().type('2020-01-01')
    await eventually(lambda: len(rows(user)) == 4)
    assert date_from.error is None  # type: ignore[attr-defined]
    user.find(marker='audit-person').type('no such person!')
    (person,) = elements(user, marker='audit-person')
    await eventually(lambda: (person.error or '').startswith('Enter a username'))  # type: ignore[attr-defined]


async def test_an_empty_trail_says_what_will_appear(user: User) -> None:
    make_user(username='asha', role=Role.MANAGER)
    await open_as(user, 'asha', '/audit')
    await user.should_see('Nothing recorded yet')
    assert not elements(user, marker='audit-table')


async def test_text_in_the_trail_stays_text(user: User) -> None:
    """A name written before input was checked (or by hand) is shown as the characters it is."""
    asha = make_user(username='asha', role=Role.MANAGER)
    show = make_show(make_theatre(asha), name='<b>Bold</b> & <script>x()</script>')
    with session_scope() as s:
        audit.record(s, actor_id=asha.id, action=AuditAction.SHOW_CHANGED, target=s.get_one(Show, show.id))
    await open_as(user, 'asha', '/audit')
    await eventually(lambda: len(rows(user)) == 1)
    assert rows(user)[0]['subject'] == f'show #{show.id} · <b>Bold</b> & <script>x()</script>'
    (table,) = elements(user, marker='audit-table')
    assert isinstance(table, ui.table)
    assert not any(name.startswith('body') for name in table.slots)  # no cell template: Quasar prints text
