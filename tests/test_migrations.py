"""`alembic upgrade head` on an empty database gives exactly the models' schema, and old rows carry over."""

import re
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Enum, create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import models
from models import BookingStatus, ExportFormat, ExportKind, ExportStatus, Role, SessionKind, TicketStatus
from models.migrate import alembic_config, upgrade


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


# --- closed value sets: stored as their values, read back as enum members, anything else refused -------------

NOW = '2026-12-01 10:00:00'
USER = {'name': 'Someone', 'password_hash': 'x', 'is_active': True, 'wants_reminders': True, 'wants_reports': True}
BOOKING = {'user_id': 3, 'show_id': 1, 'booked_tickets': 2, 'price_cents': 30000, 'total_cents': 60000}
TICKET = {'show_id': 1, 'price_cents': 30000}
EXPORT = {'owner_id': 2, 'title': 'Export', 'progress': 0, 'rows': 0, 'heartbeat_at': NOW}
LOGIN = {'user_id': 3, 'device': 'Firefox', 'client': '127.0.0.1', 'last_seen_at': NOW}
# Rows as the app wrote them at 0005: every role, both booking statuses, every ticket status, export jobs of each
# kind and format, both kinds of login session, and the theatre and show they belong to. (A running export is
# not among them: 0008 puts it back in the queue as pending, by design.)
OLD_ROWS: dict[str, list[dict[str, Any]]] = {
    'users': [
        {**USER, 'id': 1, 'username': 'root', 'email': 'root@example.com', 'role': 'admin'},
        {**USER, 'id': 2, 'username': 'meera', 'email': 'meera@example.com', 'role': 'manager'},
        {**USER, 'id': 3, 'username': 'asha', 'email': 'asha@example.com', 'role': 'user'},
    ],
    'theatres': [{'id': 1, 'owner_id': 2, 'name': 'Prithvi', 'place': 'Mumbai', 'capacity': 100}],
    'shows': [
        {'id': 1, 'theatre_id': 1, 'name': 'Hamlet', 'rating': 4, 'price_cents': 30000, 'num_tickets': 50}
        | {'tickets_sold': 2, 'starts_at': NOW}
    ],
    'bookings': [
        {**BOOKING, 'id': 1, 'reference': 'REF0000001', 'status': 'confirmed'},
        {**BOOKING, 'id': 2, 'reference': 'REF0000002', 'status': 'cancelled'},
    ],
    'tickets': [
        {**TICKET, 'id': 1, 'booking_id': 1, 'code': 'code-1', 'status': 'valid'},
        {**TICKET, 'id': 2, 'booking_id': 1, 'code': 'code-2', 'status': 'checked_in'},
        {**TICKET, 'id': 3, 'booking_id': 2, 'code': 'code-3', 'status': 'cancelled'},
        {**TICKET, 'id': 4, 'booking_id': 2, 'code': 'code-4', 'status': 'cancelled'},
    ],
    'export_jobs': [
        {**EXPORT, 'id': 'job1', 'kind': 'theatre', 'target_id': 1, 'format': 'csv', 'status': 'pending'},
        {**EXPORT, 'id': 'job2', 'kind': 'show', 'target_id': 1, 'format': 'xlsx', 'status': 'done'},
        {**EXPORT, 'id': 'job3', 'kind': 'bookings', 'format': 'csv', 'status': 'failed'},
    ],
    'login_sessions': [
        {**LOGIN, 'id': 'session-1', 'kind': 'api', 'bound': False},
        {**LOGIN, 'id': 'session-2', 'kind': 'browser', 'bound': True},
    ],
}
STAMPED = {'users', 'theatres', 'shows', 'bookings', 'export_jobs', 'login_sessions'}  # those with created_at


def _insert(conn: Connection, table: str, row: dict[str, Any]) -> None:
    row = {**row, 'created_at': NOW} if table in STAMPED else row
    conn.execute(text(f'INSERT INTO {table} ({", ".join(row)}) VALUES ({", ".join(f":{c}" for c in row)})'), row)


def _old_rows_read_back_as_members(url: str) -> None:
    upgrade(url, '0005')
    engine = create_engine(url)
    with engine.begin() as conn:
        for table, rows in OLD_ROWS.items():
            for row in rows:
                _insert(conn, table, row)
    upgrade(url)
    with Session(engine) as session:
        users = session.execute(select(models.User.username, models.User.role).order_by(models.User.id)).all()
        bookings = session.scalars(select(models.Booking.status).order_by(models.Booking.id)).all()
        tickets = session.scalars(select(models.Ticket.status).order_by(models.Ticket.id)).all()
        jobs = session.execute(
            select(models.ExportJob.kind, models.ExportJob.format, models.ExportJob.status).order_by(
                models.ExportJob.id
            )
        ).all()
        kinds = session.scalars(select(models.LoginSession.kind).order_by(models.LoginSession.id)).all()
    engine.dispose()
    assert users == [('root', Role.ADMIN), ('meera', Role.MANAGER), ('asha', Role.USER)]
    assert bookings == [BookingStatus.CONFIRMED, BookingStatus.CANCELLED]
    assert tickets == [TicketStatus.VALID, TicketStatus.CHECKED_IN, TicketStatus.CANCELLED, TicketStatus.CANCELLED]
    assert jobs == [
        (ExportKind.THEATRE, ExportFormat.CSV, ExportStatus.PENDING),
        (ExportKind.SHOW, ExportFormat.XLSX, ExportStatus.DONE),
        (ExportKind.BOOKINGS, ExportFormat.CSV, ExportStatus.FAILED),
    ]
    assert kinds == [SessionKind.API, SessionKind.BROWSER]
    # Plain strings would compare equal too: the types show that members came back.
    read = [role for _, role in users] + bookings + tickets + [value for job in jobs for value in job] + kinds
    assert {type(value) for value in read} == {
        Role,
        BookingStatus,
        TicketStatus,
        ExportKind,
        ExportFormat,
        ExportStatus,
        SessionKind,
    }


def test_old_rows_read_back_as_enum_members_on_sqlite(tmp_path):
    _old_rows_read_back_as_members(f'sqlite:///{tmp_path / "old.sqlite3"}')


def test_old_rows_read_back_as_enum_members_on_postgres(fresh_postgres_url):
    _old_rows_read_back_as_members(fresh_postgres_url)


# A table; what a copy of its first row changes to stay unique; the enum column and a value outside its set.
OUTSIDE = [
    pytest.param('users', {'id': 9, 'username': 'mallory'}, 'role', 'superuser', id='role'),
    pytest.param('bookings', {'id': 9, 'reference': 'REF0000009'}, 'status', 'refunded', id='booking-status'),
    pytest.param('tickets', {'id': 9, 'code': 'code-9'}, 'status', 'lost', id='ticket-status'),
    pytest.param('export_jobs', {'id': 'job9'}, 'status', 'paused', id='export-status'),
    pytest.param('export_jobs', {'id': 'job9'}, 'kind', 'everything', id='export-kind'),
    pytest.param('export_jobs', {'id': 'job9'}, 'format', 'pdf', id='export-format'),
    pytest.param('login_sessions', {'id': 'session-9'}, 'kind', 'cookie', id='session-kind'),
]


def _copy(conn: Connection, table: str, changes: dict[str, Any]) -> None:
    """INSERT ... SELECT of the table's first row with `changes`: every other column as a valid row has it."""
    columns = [c['name'] for c in inspect(conn).get_columns(table)]
    values = ', '.join(f':{c}' if c in changes else c for c in columns)
    first = f'(SELECT MIN(id) FROM {table})'
    conn.execute(
        text(f'INSERT INTO {table} ({", ".join(columns)}) SELECT {values} FROM {table} WHERE id = {first}'), changes
    )


def _values_outside_the_set_are_refused(url: str, table: str, changes: dict[str, Any], column: str, bad: str) -> None:
    _old_rows_read_back_as_members(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        allowed = next(c for c in models.Base.metadata.tables[table].columns if c.name == column).type.enums
        before = conn.execute(text(f'SELECT COUNT(*) FROM {table}')).scalar_one()
    with pytest.raises(IntegrityError, match=f'ck_{table}_{column}'), engine.begin() as conn:
        _copy(conn, table, {**changes, column: bad})
    with engine.begin() as conn:  # the same copy with a member's value goes in: the value was the one fault
        _copy(conn, table, {**changes, column: allowed[-1]})
        after = conn.execute(text(f'SELECT COUNT(*) FROM {table}')).scalar_one()
    engine.dispose()
    assert after == before + 1


@pytest.mark.parametrize(('table', 'changes', 'column', 'bad'), OUTSIDE)
def test_a_value_outside_the_enum_is_refused_by_sqlite(tmp_path, table, changes, column, bad):
    _values_outside_the_set_are_refused(f'sqlite:///{tmp_path / "checked.sqlite3"}', table, changes, column, bad)


@pytest.mark.parametrize(('table', 'changes', 'column', 'bad'), OUTSIDE)
def test_a_value_outside_the_enum_is_refused_by_postgres(fresh_postgres_url, table, changes, column, bad):
    _values_outside_the_set_are_refused(fresh_postgres_url, table, changes, column, bad)


def _every_enum_column_has_its_check(url: str) -> None:
    """Autogenerate compares no CHECK constraints: each enum column's constraint is read back and compared here,
    so a member added to an enum without a migration that widens its CHECK is caught."""
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        inspector = inspect(conn)
        found = {
            table.name: {c['name']: c['sqltext'] for c in inspector.get_check_constraints(table.name)}
            for table in models.Base.metadata.sorted_tables
        }
    engine.dispose()
    enum_columns = [
        (table.name, column)
        for table in models.Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Enum)
    ]
    assert {(table, column.name) for table, column in enum_columns} >= {
        ('users', 'role'),
        ('bookings', 'status'),
        ('tickets', 'status'),
        ('login_sessions', 'kind'),
    } | {('export_jobs', name) for name in ('kind', 'format', 'status')}
    for table, column in enum_columns:
        check = found[table].get(column.type.name)
        assert check is not None, f'{table}.{column.name} has no CHECK named {column.type.name}'
        assert set(re.findall(r"'([^']*)'", check)) == set(column.type.enums), f'{table}.{column.name}: {check}'


def test_every_enum_column_has_its_check_on_sqlite(tmp_path):
    _every_enum_column_has_its_check(f'sqlite:///{tmp_path / "checks.sqlite3"}')


def test_every_enum_column_has_its_check_on_postgres(fresh_postgres_url):
    _every_enum_column_has_its_check(fresh_postgres_url)


def _job_runs_keep_their_kinds_under_a_check(url: str) -> None:
    """0007: job_runs.kind, a bare string until then, keeps its rows and from then on refuses any other kind."""
    upgrade(url, '0006')
    engine = create_engine(url)
    run = {'period': '2026-11', 'trigger': 'cli', 'dry_run': False, 'status': 'done', 'started_at': NOW}
    run |= {'sent': 1, 'failed': 0, 'skipped': 0}
    with engine.begin() as conn:
        for kind in ('reminder', 'report'):
            _insert(conn, 'job_runs', {**run, 'kind': kind})
    upgrade(url)
    with Session(engine) as session:
        kinds = session.scalars(select(models.JobRun.kind).order_by(models.JobRun.id)).all()
    with pytest.raises(IntegrityError, match='ck_job_runs_kind'), engine.begin() as conn:
        _insert(conn, 'job_runs', {**run, 'kind': 'newsletter'})
    engine.dispose()
    assert kinds == [models.MailKind.REMINDER, models.MailKind.REPORT]
    assert {type(kind) for kind in kinds} == {models.MailKind}


def test_job_runs_keep_their_kinds_under_a_check_on_sqlite(tmp_path):
    _job_runs_keep_their_kinds_under_a_check(f'sqlite:///{tmp_path / "runs.sqlite3"}')


def test_job_runs_keep_their_kinds_under_a_check_on_postgres(fresh_postgres_url):
    _job_runs_keep_their_kinds_under_a_check(fresh_postgres_url)


def _upgrade_twice_at_once(url: str) -> None:
    """Two instances starting together on a new database: one migrates, the other waits and finds it done."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    start = Barrier(2)

    def migrate(_: int) -> None:
        start.wait()
        upgrade(url)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(migrate, range(2)))  # re-raises a failed upgrade
    _assert_matches_models(url)


def test_two_upgrades_at_once_take_turns_on_sqlite(tmp_path):
    _upgrade_twice_at_once(f'sqlite:///{tmp_path / "together.sqlite3"}')


def test_two_upgrades_at_once_take_turns_on_postgres(fresh_postgres_url):
    _upgrade_twice_at_once(fresh_postgres_url)


def _accounts_before_verification_count_as_verified(url: str) -> None:
    """0013: accounts made before the verification rule count as verified (they predate it), with no link or
    deletion; a downgrade drops the new columns and table, and upgrading again works."""
    upgrade(url, '0012')
    engine = create_engine(url)
    with engine.begin() as conn:
        for row in OLD_ROWS['users']:
            _insert(conn, 'users', row)
    upgrade(url)
    with Session(engine) as session:
        people = session.execute(
            select(models.User.username, models.User.email_verified_at, models.User.deleted_at).order_by(models.User.id)
        ).all()
        links = session.scalars(select(models.EmailLink)).all()
    assert [(name, verified is not None, deleted) for name, verified, deleted in people] == [
        ('root', True, None),
        ('meera', True, None),
        ('asha', True, None),
    ]
    assert links == []
    with pytest.raises(IntegrityError, match='ck_email_links_purpose'), engine.begin() as conn:
        _insert(
            conn,
            'email_links',
            {'token_hash': 'x' * 64, 'user_id': 1, 'purpose': 'login', 'email': 'a@example.com'}
            | {'created_at': NOW, 'expires_at': NOW},
        )
    engine.dispose()
    command.downgrade(alembic_config(url), '0012')
    engine = create_engine(url)
    with engine.connect() as conn:
        columns = {c['name'] for c in inspect(conn).get_columns('users')}
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert 'email_verified_at' not in columns and 'email_links' not in tables
    _assert_matches_models(url)


def test_accounts_before_verification_count_as_verified_on_sqlite(tmp_path):
    _accounts_before_verification_count_as_verified(f'sqlite:///{tmp_path / "verified.sqlite3"}')


def test_accounts_before_verification_count_as_verified_on_postgres(fresh_postgres_url):
    _accounts_before_verification_count_as_verified(fresh_postgres_url)
