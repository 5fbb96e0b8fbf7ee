"""waiting lists, tickets set aside for their offers, and cancelled performances

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As models/enums.py has them; a migration keeps its own copy, frozen as it was.
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
    'staff_added',
    'staff_removed',
    'checkin_undone',
    'seatmap_changed',
    'house_seats_changed',
)
ACTIONS = (*OLD_ACTIONS, 'show_cancelled')
OLD_OUTBOX_KINDS = ('password_reset', 'booking_confirmed', 'booking_cancelled')
OUTBOX_KINDS = (*OLD_OUTBOX_KINDS, 'waitlist_offer', 'show_cancelled')
REFUSAL = 'audit_events is append-only: rows cannot be changed or deleted'
SQLITE_TRIGGERS = [
    f'CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events '
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ('UPDATE', 'DELETE')
]
OLD_SOLD = 'tickets_sold >= 0 AND tickets_sold <= num_tickets'
SOLD = 'tickets_sold >= 0 AND tickets_offered >= 0 AND tickets_sold + tickets_offered <= num_tickets'
LIVE = "status IN ('waiting', 'offered')"


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f'{column} IN ({", ".join(repr(v) for v in values)})'


def _check_actions(values: tuple[str, ...]) -> None:
    """Swap audit_events' action CHECK; a table SQLite rebuilt has lost its triggers, so they are made again."""
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint('ck_audit_events_action', type_='check')
        batch_op.create_check_constraint('ck_audit_events_action', _one_of('action', values))
    if op.get_bind().dialect.name == 'sqlite':
        for verb in ('update', 'delete'):
            op.execute(f'DROP TRIGGER IF EXISTS audit_events_no_{verb}')
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def _check_outbox_kinds(values: tuple[str, ...]) -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint('ck_outbox_messages_kind', type_='check')
        batch_op.create_check_constraint('ck_outbox_messages_kind', _one_of('kind', values))


def upgrade() -> None:
    # On SQLite the shows table is rebuilt; migrations/env.py keeps foreign keys off meanwhile.
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tickets_offered', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('status', sa.String(length=10), nullable=False, server_default='scheduled'))
        batch_op.add_column(sa.Column('cancelled_at', models.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=500), nullable=True))
        batch_op.drop_constraint('ck_shows_tickets_sold', type_='check')
        batch_op.create_check_constraint('ck_shows_tickets_sold', SOLD)
        batch_op.create_check_constraint('ck_shows_status', _one_of('status', ('scheduled', 'cancelled')))
    with op.batch_alter_table('shows', schema=None) as batch_op:  # the defaults were for the rows already there
        batch_op.alter_column('tickets_offered', server_default=None)
        batch_op.alter_column('status', server_default=None)
    op.create_table(
        'waitlist_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('show_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('tickets', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('joined_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('offered_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('offer_expires_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('hold_id', sa.Integer(), nullable=True),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.Column('offers', sa.Integer(), nullable=False),
        sa.Column('closed_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint('tickets BETWEEN 1 AND 10', name='ck_waitlist_entries_tickets'),
        sa.CheckConstraint("(status = 'booked') = (booking_id IS NOT NULL)", name='ck_waitlist_entries_booked'),
        sa.CheckConstraint(
            _one_of('status', ('waiting', 'offered', 'booked', 'expired', 'left')), name='ck_waitlist_entries_status'
        ),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waitlist_entries_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_entries_offer_expires_at'), ['offer_expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_entries_show_id'), ['show_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waitlist_entries_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_waitlist_entries_show_status', ['show_id', 'status', 'id'], unique=False)
        batch_op.create_index(
            'uq_waitlist_entries_live',
            ['show_id', 'user_id'],
            unique=True,
            sqlite_where=sa.text(LIVE),
            postgresql_where=sa.text(LIVE),
        )
    _check_outbox_kinds(OUTBOX_KINDS)
    _check_actions(ACTIONS)


def downgrade() -> None:
    _check_actions(OLD_ACTIONS)
    _check_outbox_kinds(OLD_OUTBOX_KINDS)
    op.drop_table('waitlist_entries')
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_constraint('ck_shows_status', type_='check')
        batch_op.drop_constraint('ck_shows_tickets_sold', type_='check')
        batch_op.create_check_constraint('ck_shows_tickets_sold', OLD_SOLD)
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('status')
        batch_op.drop_column('tickets_offered')
