"""the email outbox (a message asked for in a transaction, delivered after its commit) and job_runs.kind checked

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As models/enums.py has them; a migration keeps its own copy, frozen as it was.
OUTBOX_KINDS = ('password_reset',)
OUTBOX_STATUSES = ('pending', 'claimed', 'sending', 'sent', 'failed', 'expired')
MAIL_KINDS = ('reminder', 'report')


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f'{column} IN ({", ".join(repr(v) for v in values)})'


def upgrade() -> None:
    op.create_table(
        'outbox_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('message', sa.LargeBinary(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('send_before', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('claimed_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('sent_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_one_of('kind', OUTBOX_KINDS), name='ck_outbox_messages_kind'),
        sa.CheckConstraint(_one_of('status', OUTBOX_STATUSES), name='ck_outbox_messages_status'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_messages_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_user_id'), ['user_id'], unique=False)

    # job_runs.kind was a bare string; its rows only ever held the two mail kinds, and keep them (SQLite copies
    # the table in batch mode, PostgreSQL adds the constraint in place and checks the rows).
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_check_constraint('ck_job_runs_kind', _one_of('kind', MAIL_KINDS))


def downgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_constraint('ck_job_runs_kind', type_='check')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_user_id'))
        batch_op.drop_index('ix_outbox_messages_due')
    op.drop_table('outbox_messages')
