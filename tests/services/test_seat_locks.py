"""Changes to one show's seats never deadlock each other: two at once, 20 rounds of each pair, on SQLite and
PostgreSQL. (Before every change first locked the show's `show_seating` row, PostgreSQL broke a deadlock in
5–60% of the rounds of these pairs and the loser was answered "busy".) A refusal (a seat taken) is fine; any
database error is not."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from models import Role, Theatre, User
from models.db import session_scope
from services import booking
from services.errors import DomainError
from services.seating import holds, layout, show_config
from tests.factories import make_theatre, make_user
from tests.services.test_seating import create_reserved, put_map, seat_ids

ROUNDS = 20
Work = Callable[[Session], object]


def _both_at_once(first: Work, second: Work) -> list[str]:
    errors: list[str] = []
    barrier = threading.Barrier(2)

    def run(work: Work) -> None:
        barrier.wait()
        try:
            with session_scope() as s:
                work(s)
        except DomainError:
            pass  # refused: a seat was taken
        except Exception as error:  # noqa: BLE001 - a deadlock or any other database failure is what this looks for
            errors.append(f'{type(error).__name__}: {str(error).splitlines()[0]}')

    threads = [threading.Thread(target=run, args=(work,)) for work in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _round(pair: str, manager: User, theatre: Theatre, ids: list[int]) -> list[str]:
    """One round on a new show: set the stage, then run the pair's two changes at once."""
    show = create_reserved(manager, theatre)
    first_person, second_person = make_user(), make_user()
    with session_scope() as s:
        if pair in ('cancel and book', 'house seats and book'):
            made = booking.book(s, show_id=show.id, user_id=first_person.id, seats=[ids[1]])
        else:
            holds.hold_seats(s, show_id=show.id, user_id=first_person.id, seats=[ids[5]])

    def cancel(s: Session) -> object:
        return booking.cancel_booking(s, booking_id=made.id, user_id=first_person.id)

    def keep_back(s: Session) -> object:
        return show_config.set_house_seats(s, actor_id=manager.id, show_id=show.id, seats=[ids[7]])

    def hold_again(s: Session) -> object:
        return holds.hold_seats(s, show_id=show.id, user_id=first_person.id, seats=[ids[1], ids[5]])

    def book_own_and_one_more(s: Session) -> object:
        return booking.book(s, show_id=show.id, user_id=first_person.id, seats=[ids[1], ids[5]])

    def book_other(s: Session) -> object:
        return booking.book(s, show_id=show.id, user_id=second_person.id, seats=[ids[2]])

    def hold_both(s: Session) -> object:
        return holds.hold_seats(s, show_id=show.id, user_id=second_person.id, seats=[ids[1], ids[5]])

    first, second = {
        'cancel and book': (cancel, book_other),
        'house seats and book': (keep_back, book_other),
        'hold again and hold': (hold_again, hold_both),
        'book own held seat and hold': (book_own_and_one_more, hold_both),
    }[pair]
    return _both_at_once(first, second)


@pytest.mark.parametrize(
    'pair', ['cancel and book', 'house seats and book', 'hold again and hold', 'book own held seat and hold']
)
def test_two_changes_to_a_shows_seats_at_once_never_deadlock(any_db, pair):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    put_map(manager, theatre, layout.generate([('Stalls', 1, 10)]))
    ids = list(seat_ids(theatre).values())
    errors: list[str] = []
    for _ in range(ROUNDS):
        errors += _round(pair, manager, theatre, ids)
    assert errors == []
