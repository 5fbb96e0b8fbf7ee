"""Waiting-list offers and refusals agree with their number of tickets: '1 ticket … it is set aside', never
'1 tickets' nor 'they are' for one; on SQLite and PostgreSQL."""

from __future__ import annotations

import email
from email import policy

import pytest
from sqlalchemy import select

from models import OutboxKind, OutboxMessage
from models.db import session_scope
from services import waitlist
from services.errors import Conflict
from tests.factories import make_user
from tests.services.test_waitlist import _cancel, _join, _offer, _sold_out

pytestmark = pytest.mark.usefixtures('any_db')


def offer_texts() -> dict[int, str]:
    """Each offer email's plain text, by its recipient's id."""
    with session_scope() as session:
        rows = session.execute(
            select(OutboxMessage.user_id, OutboxMessage.message).where(OutboxMessage.kind == OutboxKind.WAITLIST_OFFER)
        ).all()
    texts = {}
    for user_id, raw in rows:
        body = email.message_from_bytes(raw, policy=policy.default).get_body(('plain',))
        assert body is not None
        texts[user_id] = ' '.join(body.get_content().split())  # one line: the sentences wrap anywhere
    return texts


def test_an_offer_of_one_ticket_speaks_of_it_in_the_singular_and_of_two_in_the_plural() -> None:
    _, show, bought = _sold_out(4)
    one_person, _ = _join(show, 1)
    two_people, _ = _join(show, 2)
    for view in bought[:3]:
        _cancel(view)
    assert len(_offer(show)) == 2
    texts = offer_texts()

    one = texts[one_person.id]
    assert f'1 ticket for {show.name} on ' in one and 'came free, and it is set aside for you.' in one
    assert 'It is yours if you accept by ' in one and 'after that it goes to the next person in line.' in one
    assert 'and the ticket goes to the next person at once.' in one
    assert 'they ' not in one.lower()

    two = texts[two_people.id]
    assert f'2 tickets for {show.name} on ' in two and 'came free, and they are set aside for you.' in two
    assert 'They are yours if you accept by ' in two and 'and the tickets go to the next person at once.' in two


def test_joining_when_one_ticket_can_be_booked_says_so_in_the_singular() -> None:
    _, show, bought = _sold_out(3)
    _cancel(bought[0])  # one ticket back on sale, and nobody waiting for it
    with session_scope() as session, pytest.raises(Conflict) as refused:
        waitlist.join(session, show_id=show.id, user_id=make_user().id, tickets=1)
    assert refused.value.message == '1 ticket can be booked now: book it instead of joining the waiting list.'
