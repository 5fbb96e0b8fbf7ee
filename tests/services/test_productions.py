"""The other dates of a show: its production's other upcoming, scheduled performances at the same theatre."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from models import Role, Show, ShowStatus
from models.db import engine, session_scope, utcnow
from services import productions
from tests.factories import make_show, make_theatre, make_user

DAY = dt.timedelta(days=1)


@pytest.fixture
def theatre(database):
    return make_theatre(make_user(role=Role.MANAGER), name='Prithvi')


def _other_dates(show_id: int, **kwargs) -> list[productions.OtherDate]:
    with session_scope() as s:
        return productions.other_dates(s, show_id=show_id, **kwargs)


def test_the_same_name_at_the_same_theatre_soonest_first(theatre):
    tonight = make_show(theatre, name='Hamlet', starts_in=DAY)
    later = make_show(theatre, name='HAMLET', starts_in=9 * DAY)
    week = make_show(theatre, name='hamlet', starts_in=7 * DAY, num_tickets=80, tickets_sold=30)
    two_days = make_show(theatre, name='Hamlet', starts_in=2 * DAY, num_tickets=10, tickets_sold=10)
    make_show(theatre, name='Macbeth', starts_in=3 * DAY)
    make_show(make_theatre(make_user(role=Role.MANAGER)), name='Hamlet', starts_in=4 * DAY)
    found = _other_dates(tonight.id)
    assert [(d.show_id, d.tickets_left, d.housefull) for d in found] == [
        (two_days.id, 0, True),
        (week.id, 50, False),
        (later.id, 50, False),
    ]
    assert found[0].starts_at == two_days.starts_at
    assert [d.show_id for d in _other_dates(week.id)] == [tonight.id, two_days.id, later.id]


def test_past_and_cancelled_performances_and_offers_set_aside(theatre):
    show = make_show(theatre, name='Hamlet', starts_in=5 * DAY)
    make_show(theatre, name='Hamlet', starts_in=-DAY)  # already played
    cancelled = make_show(theatre, name='Hamlet', starts_in=6 * DAY)
    offered = make_show(theatre, name='Hamlet', starts_in=8 * DAY, num_tickets=20, tickets_sold=5)
    with session_scope() as s:
        s.get_one(Show, cancelled.id).status = ShowStatus.CANCELLED
        s.get_one(Show, offered.id).tickets_offered = 3
    assert [(d.show_id, d.tickets_left) for d in _other_dates(show.id)] == [(offered.id, 12)]
    # A week on, only what is still to come then counts.
    assert _other_dates(show.id, now=utcnow() + 7 * DAY) == [productions.OtherDate(offered.id, offered.starts_at, 12)]


def test_a_lone_show_an_unknown_id_and_the_limit(theatre):
    lone = make_show(theatre, name='Lone')
    assert _other_dates(lone.id) == []
    assert _other_dates(999_999) == [] and _other_dates(2**40) == []
    first = make_show(theatre, name='Run', starts_in=DAY)
    for days in range(2, 7):
        make_show(theatre, name='Run', starts_in=days * DAY)
    assert len(_other_dates(first.id, limit=3)) == 3
    assert len(_other_dates(first.id)) == 5


def test_one_query(theatre):
    show = make_show(theatre, name='Hamlet')
    for days in range(4, 8):
        make_show(theatre, name='Hamlet', starts_in=days * DAY)
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine(), 'before_cursor_execute', seen)
    try:
        assert len(_other_dates(show.id)) == 4
    finally:
        event.remove(engine(), 'before_cursor_execute', seen)
    assert len([s for s in statements if s.lstrip().upper().startswith('SELECT')]) == 1
