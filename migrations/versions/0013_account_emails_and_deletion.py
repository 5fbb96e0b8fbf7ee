"""verified addresses, one-time email links (verification, change of address) and deleted accounts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 04:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0013'
down_revision: str | None = '0012'
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
    'show_cancelled',
)
ACTIONS = (*OLD_ACTIONS, 'email_changed', 'account_deleted')
OLD_OUTBOX_KINDS = ('password_reset', 'booking_confirmed', 'booking_cancelled', 'waitlist_offer', 'show_cancelled')
OUTBOX_KINDS = (*OLD_OUTBOX_KINDS, 'email_verification', 'email_change', 'email_change_notice')
REFUSAL = 'audit_events is append-only: rows cannot be changed or deleted'
SQLITE_TRIGGERS = [
    f'CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events '
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ('UPDATE', 'DELETE')
]


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
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', models.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', models.db.UTCDateTime(timezone=True), nullable=True))
    # Accounts made before the rule (the demo's, the admins') count as verified: they predate it.
    op.execute('UPDATE users SET email_verified_at = created_at')
    op.create_table(
        'email_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=10), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(_one_of('purpose', ('verify', 'change')), name='ck_email_links_purpose'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('email_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_email_links_user_id'), ['user_id'], unique=False)
    _check_outbox_kinds(OUTBOX_KINDS)
    _check_actions(ACTIONS)


def downgrade() -> None:
    _check_actions(OLD_ACTIONS)
    _check_outbox_kinds(OLD_OUTBOX_KINDS)
    op.drop_table('email_links')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('email_verified_at')
