"""export queue: export jobs carry their claim (attempts, claimed_by) and when they may next be claimed

The job table becomes the queue any instance's runner works off. Jobs of the old version that were still under way
are carried over as pending, so the new runners run them: a pending one was never started, and a running one lost its
worker when the old process stopped (its try counts as one attempt, and its half-written `.part` file is left for the
retention purge).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    jobs = sa.table(
        'export_jobs',
        sa.column('status', sa.String),
        sa.column('progress', sa.Integer),
        sa.column('rows', sa.Integer),
        sa.column('attempts', sa.Integer),
        sa.column('created_at', models.db.UTCDateTime(timezone=True)),
        sa.column('available_at', models.db.UTCDateTime(timezone=True)),
    )
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('available_at', models.db.UTCDateTime(timezone=True), nullable=True))
    op.execute(jobs.update().values(available_at=jobs.c.created_at))
    op.execute(jobs.update().where(jobs.c.status == 'running').values(status='pending', progress=0, rows=0, attempts=1))
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.alter_column('available_at', existing_type=models.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.alter_column('attempts', existing_type=sa.Integer(), server_default=None)
        batch_op.create_check_constraint('ck_export_jobs_attempts', 'attempts >= 0')
        batch_op.create_index('ix_export_jobs_queue', ['status', 'available_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('export_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_export_jobs_queue')
        batch_op.drop_constraint('ck_export_jobs_attempts', type_='check')
        batch_op.drop_column('available_at')
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('attempts')
