"""door staff and check-in: theatre_staff, who checked a ticket in, booking emails composed at sending time

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As models/enums.py has them; a migration keeps its own copy, frozen as it was.
OLD_OUTBOX_KINDS = ('password_reset',)
OUTBOX_KINDS = ('password_reset', 'booking_confirmed', 'booking_cancelled')
OLD_ACTIONS = (
    'booking_created',
    'booking_cancelled',
    'show_created',
    'show_changed',
    'show_deleted',
    'theatre_created',
    'theatre_changed',
    'theatre_deleted',
    'account_disabled',
    'account_enabled',
    'login_limits_lifted',
    'export_requested',
)
ACTIONS = (*OLD_ACTIONS, 'staff_added', 'staff_removed', 'checkin_undone')
REFUSAL = 'audit_events is append-only: rows cannot be changed or deleted'
SQLITE_TRIGGERS = [
    f'CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events '
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ('UPDATE', 'DELETE')
]


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f'{column} IN ({", ".join(repr(v) for v in values)})'


def _check_actions(values: tuple[str, ...]) -> None:
    """Swap audit_events' action CHECK. SQLite rebuilds the table to do it, and a rebuilt table has lost its
    triggers, so the append-only guard is created again; PostgreSQL alters in place and keeps its trigger."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint('ck_audit_events_action', type_='check')
        batch_op.create_check_constraint('ck_audit_events_action', _one_of('action', values))
    if sqlite:
        for verb in ('update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS audit_events_no_{verb}')
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def upgrade() -> None:
    op.create_table(
        'theatre_staff',
        sa.Column('theatre_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('added_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['theatre_id'], ['theatres.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('theatre_id', 'user_id'),
    )
    with op.batch_alter_table('theatre_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theatre_staff_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_theatre_staff_added_by_id'), ['added_by_id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checked_in_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_checked_in_by_id'), ['checked_in_by_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_tickets_checked_in_by_id_users', 'users', ['checked_in_by_id'], ['id'], ondelete='SET NULL'
        )

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_booking_id'), ['booking_id'], unique=False)
        batch_op.create_foreign_key(
            'fk_outbox_messages_booking_id_bookings', 'bookings', ['booking_id'], ['id'], ondelete='SET NULL'
        )
        batch_op.drop_constraint('ck_outbox_messages_kind', type_='check')
        batch_op.create_check_constraint('ck_outbox_messages_kind', _one_of('kind', OUTBOX_KINDS))

    _check_actions(ACTIONS)


def downgrade() -> None:
    _check_actions(OLD_ACTIONS)
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint('ck_outbox_messages_kind', type_='check')
        batch_op.create_check_constraint('ck_outbox_messages_kind', _one_of('kind', OLD_OUTBOX_KINDS))
        batch_op.drop_constraint('fk_outbox_messages_booking_id_bookings', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_booking_id'))
        batch_op.drop_column('booking_id')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint('fk_tickets_checked_in_by_id_users', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_checked_in_by_id'))
        batch_op.drop_column('checked_in_by_id')
    with op.batch_alter_table('theatre_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theatre_staff_added_by_id'))
        batch_op.drop_index(batch_op.f('ix_theatre_staff_user_id'))
    op.drop_table('theatre_staff')
