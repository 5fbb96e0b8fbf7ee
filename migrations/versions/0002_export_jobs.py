"""export jobs: background CSV/Excel exports and their status

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:36:52.153814
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'export_jobs',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('target_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('format', sa.String(length=4), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('progress', sa.Integer(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('finished_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("format IN ('csv', 'xlsx')", name='ck_export_jobs_format'),
        sa.CheckConstraint("kind IN ('theatre', 'show', 'bookings')", name='ck_export_jobs_kind'),
        sa.CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name='ck_export_jobs_status'),
        sa.CheckConstraint('progress BETWEEN 0 AND 100', name='ck_export_jobs_progress'),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_export_jobs_owner_created', ['owner_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_export_jobs_owner_id'), ['owner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_jobs_owner_id'))
        batch_op.drop_index('ix_export_jobs_owner_created')

    op.drop_table('export_jobs')
