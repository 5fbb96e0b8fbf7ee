"""audit trail: an append-only table of who did what to which object, and when

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As models/audit.py makes them; a migration keeps its own copy, frozen as it was.
ACTIONS = (
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
OBJECTS = ('booking', 'show', 'theatre', 'user', 'export')
REFUSAL = 'audit_events is append-only: rows cannot be changed or deleted'
SQLITE_TRIGGERS = [
    f'CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events '
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ('UPDATE', 'DELETE')
]
POSTGRES_TRIGGER = [
    'CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS '
    f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
    'CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events '
    'FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()',
]


def _in_list(values: Sequence[str]) -> str:
    return ', '.join(f"'{value}'" for value in values)


def upgrade() -> None:
    op.create_table(
        'audit_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('actor_username', sa.String(length=32), nullable=True),
        sa.Column('action', sa.String(length=24), nullable=False),
        sa.Column('object_type', sa.String(length=10), nullable=False),
        sa.Column('object_id', sa.String(length=32), nullable=False),
        sa.Column('object_label', sa.String(length=200), nullable=False),
        sa.Column('theatre_id', sa.Integer(), nullable=True),
        sa.Column('show_id', sa.Integer(), nullable=True),
        sa.Column('changes', sa.JSON(), nullable=False),
        sa.CheckConstraint(f'action IN ({_in_list(ACTIONS)})', name='ck_audit_events_action'),
        sa.CheckConstraint(f'object_type IN ({_in_list(OBJECTS)})', name='ck_audit_events_object_type'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_at', ['at', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_actor_at', ['actor_username', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_action_at', ['action', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_theatre_at', ['theatre_id', 'at'], unique=False)
        batch_op.create_index('ix_audit_events_show_at', ['show_id', 'at'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_TRIGGERS if dialect == 'sqlite' else POSTGRES_TRIGGER if dialect == 'postgresql' else []:
        op.execute(statement)


def downgrade() -> None:
    # Dropping the table drops its triggers; PostgreSQL's trigger function is the one thing left to remove.
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_show_at')
        batch_op.drop_index('ix_audit_events_theatre_at')
        batch_op.drop_index('ix_audit_events_action_at')
        batch_op.drop_index('ix_audit_events_actor_at')
        batch_op.drop_index('ix_audit_events_at')
    op.drop_table('audit_events')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP FUNCTION IF EXISTS audit_events_refuse_change()')
