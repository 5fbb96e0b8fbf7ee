"""reserved seating: seat maps, per-show seating and prices, holds and seat claims; a ticket's seat

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0010'
down_revision: str | None = '0009'
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
)
ACTIONS = (*OLD_ACTIONS, 'seatmap_changed', 'house_seats_changed')
REFUSAL = 'audit_events is append-only: rows cannot be changed or deleted'
SQLITE_TRIGGERS = [
    f'CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events '
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ('UPDATE', 'DELETE')
]
OLD_TOTAL = 'price_cents >= 0 AND total_cents = price_cents * booked_tickets'
TOTAL = 'price_cents >= 0 AND total_cents >= price_cents * booked_tickets'


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


def _check_total(condition: str) -> None:
    """A booking of seats at different prices: the total is the sum of its tickets' prices. (On SQLite the table
    is rebuilt; migrations/env.py keeps foreign keys off meanwhile, so its tickets stay.)"""
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint('ck_bookings_total', type_='check')
        batch_op.create_check_constraint('ck_bookings_total', condition)


def upgrade() -> None:
    op.create_table(
        'seats',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('theatre_id', sa.Integer(), nullable=False),
        sa.Column('section', sa.String(length=40), nullable=False),
        sa.Column('row', sa.String(length=10), nullable=False),
        sa.Column('label', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('x', sa.Float(), nullable=False),
        sa.Column('y', sa.Float(), nullable=False),
        sa.Column('section_no', sa.Integer(), nullable=False),
        sa.Column('row_no', sa.Integer(), nullable=False),
        sa.Column('seat_no', sa.Integer(), nullable=False),
        sa.Column('removed', sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('standard', 'wheelchair', 'blocked')", name='ck_seats_kind'),
        sa.ForeignKeyConstraint(['theatre_id'], ['theatres.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('theatre_id', 'section', 'row', 'label', name='uq_seats_place'),
    )
    with op.batch_alter_table('seats', schema=None) as batch_op:
        batch_op.create_index(
            'ix_seats_theatre_order', ['theatre_id', 'removed', 'section_no', 'row_no', 'seat_no'], unique=False
        )
    op.create_table(
        'seat_maps',
        sa.Column('theatre_id', sa.Integer(), nullable=False),
        sa.Column('stage_x', sa.Float(), nullable=False),
        sa.Column('stage_y', sa.Float(), nullable=False),
        sa.Column('stage_width', sa.Float(), nullable=False),
        sa.Column('updated_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['theatre_id'], ['theatres.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('theatre_id'),
    )
    with op.batch_alter_table('seat_maps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seat_maps_updated_by_id'), ['updated_by_id'], unique=False)
    op.create_table(
        'show_seating',
        sa.Column('show_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('show_id'),
    )
    op.create_table(
        'show_section_prices',
        sa.Column('show_id', sa.Integer(), nullable=False),
        sa.Column('section', sa.String(length=40), nullable=False),
        sa.Column('price_cents', sa.Integer(), nullable=False),
        sa.CheckConstraint('price_cents >= 0', name='ck_show_section_prices_price'),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('show_id', 'section'),
    )
    op.create_table(
        'seat_holds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('show_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('seat_count', sa.Integer(), nullable=False),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('seat_count BETWEEN 1 AND 10', name='ck_seat_holds_count'),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table('seat_holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seat_holds_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_seat_holds_show_id'), ['show_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seat_holds_user_id'), ['user_id'], unique=False)
    op.create_table(
        'seat_claims',
        sa.Column('show_id', sa.Integer(), nullable=False),
        sa.Column('seat_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('hold_id', sa.Integer(), nullable=True),
        sa.Column('booking_id', sa.Integer(), nullable=True),
        sa.Column('expires_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(kind = 'held') = (hold_id IS NOT NULL AND expires_at IS NOT NULL)", name='ck_seat_claims_held'
        ),
        sa.CheckConstraint("(kind = 'sold') = (booking_id IS NOT NULL)", name='ck_seat_claims_sold'),
        sa.CheckConstraint("kind IN ('held', 'sold', 'blocked')", name='ck_seat_claims_kind'),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['hold_id'], ['seat_holds.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['seat_id'], ['seats.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('show_id', 'seat_id'),
    )
    with op.batch_alter_table('seat_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seat_claims_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seat_claims_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_seat_claims_hold_id'), ['hold_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_seat_claims_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_seat_id'), ['seat_id'], unique=False)
        batch_op.create_foreign_key('fk_tickets_seat_id_seats', 'seats', ['seat_id'], ['id'], ondelete='SET NULL')
    _check_total(TOTAL)
    _check_actions(ACTIONS)


def downgrade() -> None:
    _check_actions(OLD_ACTIONS)
    _check_total(OLD_TOTAL)
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint('fk_tickets_seat_id_seats', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_tickets_seat_id'))
    op.drop_table('seat_claims')
    op.drop_table('seat_holds')
    op.drop_table('show_section_prices')
    op.drop_table('show_seating')
    op.drop_table('seat_maps')
    op.drop_table('seats')
