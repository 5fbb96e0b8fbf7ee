"""Many buyers at once never oversell: threads hammer one show on SQLite and on PostgreSQL."""

import random
import threading

from sqlalchemy import func, select

from models import Booking, Role, Show, Ticket, TicketStatus
from models.db import session_scope
from services import booking
from services.errors import Conflict
from tests.factories import make_show, make_theatre, make_user

THREADS = 16
CAPACITY = 50


def test_concurrent_buyers_sell_exactly_the_capacity(any_db, capsys):
    theatre = make_theatre(make_user(role=Role.MANAGER), capacity=CAPACITY)
    show = make_show(theatre, num_tickets=CAPACITY)
    buyers = [make_user() for _ in range(THREADS)]
    start = threading.Barrier(THREADS)
    attempts, refusals, errors = [0] * THREADS, [0] * THREADS, []

    def hammer(index: int) -> None:
        rng = random.Random(index)
        start.wait()
        while True:
            attempts[index] += 1
            try:
                with session_scope() as s:
                    booking.book(s, show_id=show.id, user_id=buyers[index].id, tickets=rng.randint(1, 3))
            except Conflict:
                refusals[index] += 1
                with session_scope() as s:
                    if s.scalar(select(Show.tickets_sold).where(Show.id == show.id)) >= CAPACITY:
                        return
            except Exception as error:  # noqa: BLE001 - any other failure is what this test looks for
                errors.append(repr(error))
                return

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    with session_scope() as s:
        sold = s.scalar(select(Show.tickets_sold).where(Show.id == show.id))
        booked = s.scalar(select(func.sum(Booking.booked_tickets)).where(Booking.show_id == show.id))
        negatives = s.scalar(select(func.count(Booking.id)).where(Booking.booked_tickets <= 0))
        valid = s.scalar(
            select(func.count(Ticket.id)).where(Ticket.show_id == show.id, Ticket.status == TicketStatus.VALID)
        )
    with capsys.disabled():
        print(
            f'\n[concurrency {any_db.split(":")[0]}] threads={THREADS} attempts={sum(attempts)} '
            f'refused={sum(refusals)} sold={sold} capacity={CAPACITY}'
        )
    assert errors == []
    assert sold == CAPACITY
    assert booked == CAPACITY
    assert negatives == 0
    assert valid == sold  # one valid ticket row per seat sold
