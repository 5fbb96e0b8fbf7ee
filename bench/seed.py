"""Bulk data for benchmarks: theatres, shows and bookings written with executemany, not the ORM."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import Engine, insert

from models import Booking, BookingStatus, Role, Show, ShowTag, Theatre, Ticket, User
from models.db import utcnow
from services.passwords import hash_password

PLACES = ['Mumbai', 'Delhi', 'Bengaluru', 'Chennai', 'Pune', 'Kolkata', 'Hyderabad', 'Jaipur']
TAGS = ['drama', 'comedy', 'classic', 'music', 'dance', 'family', 'hindi', 'english', 'kannada', 'tamil']
WORDS = ['Hamlet', 'Tughlaq', 'Godot', 'Jazz', 'Kathak', 'Improv', 'Flute', 'Dream', 'Night', 'Evening']


def seed(
    engine: Engine,
    *,
    shows: int,
    bookings: int,
    managers: int = 10,
    users: int = 1000,
    theatres_per_manager: int = 10,
    seed_value: int = 7,
) -> dict[str, int]:
    """Fill an empty schema; returns a few ids the benchmarks use."""
    rng = random.Random(seed_value)
    password = hash_password('bench-password')
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(User),
            [
                {
                    'id': i + 1,
                    'username': f'manager{i}',
                    'name': f'Manager {i}',
                    'email': f'm{i}@example.com',
                    'password_hash': password,
                    'role': Role.MANAGER,
                    'is_active': True,
                    'created_at': now,
                    'email_verified_at': now,  # as accounts before the rule: booking emails reach them
                }
                for i in range(managers)
            ]
            + [
                {
                    'id': managers + i + 1,
                    'username': f'user{i}',
                    'name': f'User {i}',
                    'email': f'u{i}@example.com',
                    'password_hash': password,
                    'role': Role.USER,
                    'is_active': True,
                    'created_at': now,
                    'email_verified_at': now,  # as accounts before the rule: booking emails reach them
                }
                for i in range(users)
            ],
        )
        theatre_rows = [
            {
                'id': t + 1,
                'owner_id': t // theatres_per_manager + 1,
                'name': f'Theatre {t}',
                'place': PLACES[t % len(PLACES)],
                'capacity': 1000,
                'created_at': now,
            }
            for t in range(managers * theatres_per_manager)
        ]
        conn.execute(insert(Theatre), theatre_rows)
        per_show = bookings // shows
        show_rows, tag_rows = [], []
        for s in range(shows):
            starts = now + dt.timedelta(hours=rng.randint(2, 24 * 90))
            show_rows.append(
                {
                    'id': s + 1,
                    'theatre_id': rng.randint(1, len(theatre_rows)),
                    'name': f'{rng.choice(WORDS)} {rng.choice(WORDS)} {s}',
                    'rating': rng.choice([2.5, 3, 3.5, 4, 4.5, 5]),
                    'price_cents': rng.choice([19900, 25050, 49900]),
                    'num_tickets': 1000,
                    'tickets_sold': per_show * 2,
                    'starts_at': starts,
                    'created_at': now,
                }
            )
            tag_rows += [{'show_id': s + 1, 'tag': tag} for tag in rng.sample(TAGS, 2)]
        conn.execute(insert(Show), show_rows)
        conn.execute(insert(ShowTag), tag_rows)
        booking_rows, ticket_rows = [], []
        for b in range(bookings):
            show = show_rows[b % shows]
            ticket_rows += [
                {
                    'booking_id': b + 1,
                    'show_id': show['id'],
                    'code': f'{b}-{n}-{rng.getrandbits(64):x}',
                    'price_cents': show['price_cents'],
                }
                for n in range(2)
            ]
            booking_rows.append(
                {
                    'reference': f'{b + 1:010d}',
                    'user_id': managers + 1 + rng.randrange(users),
                    'show_id': show['id'],
                    'booked_tickets': 2,
                    'price_cents': show['price_cents'],
                    'total_cents': show['price_cents'] * 2,
                    'status': BookingStatus.CONFIRMED,
                    'created_at': now - dt.timedelta(days=rng.randint(0, 60)),
                }
            )
            if len(booking_rows) == 10_000:
                conn.execute(insert(Booking), booking_rows)
                conn.execute(insert(Ticket), ticket_rows)
                booking_rows, ticket_rows = [], []
        if booking_rows:
            conn.execute(insert(Booking), booking_rows)
            conn.execute(insert(Ticket), ticket_rows)
    return {'manager_id': 1, 'user_id': managers + 1}
