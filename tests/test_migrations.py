"""`alembic upgrade head` on an empty database gives exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import models
from models.migrate import upgrade


def _assert_matches_models(url: str) -> None:
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert differences == []
    assert {'users', 'theatres', 'shows', 'show_tags', 'bookings', 'alembic_version'} <= tables


def test_migrations_build_the_models_schema_on_sqlite(tmp_path):
    _assert_matches_models(f'sqlite:///{tmp_path / "migrated.sqlite3"}')


def test_migrations_build_the_models_schema_on_postgres(fresh_postgres_url):
    _assert_matches_models(fresh_postgres_url)


def _bookings_get_references_and_tickets(url: str) -> None:
    import re

    from sqlalchemy import text

    upgrade(url, '0004')
    engine = create_engine(url)
    now = '2026-12-01 10:00:00'
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO users (id, username, name, email, password_hash, role, is_active, wants_reminders,'
                " wants_reports, created_at) VALUES (1, 'asha', 'Asha', 'a@example.com', 'x', 'manager', true, true,"
                ' true, :now)'
            ),
            {'now': now},
        )
        conn.execute(
            text(
                'INSERT INTO theatres (id, owner_id, name, place, capacity, created_at)'
                " VALUES (1, 1, 'Hall', 'Pune', 100, :now)"
            ),
            {'now': now},
        )
        conn.execute(
            text(
                'INSERT INTO shows (id, theatre_id, name, rating, price_cents, num_tickets, tickets_sold, starts_at,'
                " created_at) VALUES (1, 1, 'Hamlet', 4, 30000, 50, 3, :now, :now)"
            ),
            {'now': now},
        )
        for booking_id, count, status in ((1, 3, 'confirmed'), (2, 2, 'cancelled')):
            conn.execute(
                text(
                    'INSERT INTO bookings (id, user_id, show_id, booked_tickets, price_cents, total_cents, status,'
                    ' created_at) VALUES (:id, 1, 1, :n, 30000, :total, :status, :now)'
                ),
                {'id': booking_id, 'n': count, 'total': 30000 * count, 'status': status, 'now': now},
            )
    upgrade(url)
    with engine.connect() as conn:
        references = conn.execute(text('SELECT reference FROM bookings ORDER BY id')).scalars().all()
        tickets = conn.execute(
            text('SELECT booking_id, status, price_cents, code FROM tickets ORDER BY booking_id, id')
        ).all()
    engine.dispose()
    assert len(set(references)) == 2
    assert all(re.fullmatch(r'[0-9ABCDEFGHJKMNPQRSTVWXYZ]{10}', r) for r in references)
    assert [(b, s, p) for b, s, p, _ in tickets] == [(1, 'valid', 30000)] * 3 + [(2, 'cancelled', 30000)] * 2
    assert len({code for *_, code in tickets}) == 5


def test_existing_bookings_get_references_and_tickets_on_sqlite(tmp_path):
    _bookings_get_references_and_tickets(f'sqlite:///{tmp_path / "old.sqlite3"}')


def test_existing_bookings_get_references_and_tickets_on_postgres(fresh_postgres_url):
    _bookings_get_references_and_tickets(fresh_postgres_url)
