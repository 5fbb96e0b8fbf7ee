"""mail deliveries, job runs, ratings, mail preferences

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:57:36.881754
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'job_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('trigger', sa.String(length=20), nullable=False),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.Column('started_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('finished_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('running', 'done', 'failed')", name='ck_job_runs_status'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_kind_period', ['kind', 'period'], unique=False)

    op.create_table(
        'mail_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(length=300), nullable=True),
        sa.Column('claimed_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('reminder', 'report')", name='ck_mail_deliveries_kind'),
        sa.CheckConstraint("status IN ('claimed', 'sent', 'failed')", name='ck_mail_deliveries_status'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'kind', 'period', name='uq_mail_deliveries_once'),
    )
    with op.batch_alter_table('mail_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_mail_deliveries_kind_period_status', ['kind', 'period', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_mail_deliveries_user_id'), ['user_id'], unique=False)

    op.create_table(
        'show_ratings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('show_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('rated_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('score BETWEEN 1 AND 5', name='ck_show_ratings_score'),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('user_id', 'show_id', name='uq_show_ratings_user_show'),
    )
    with op.batch_alter_table('show_ratings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_show_ratings_show_id'), ['show_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_show_ratings_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wants_reminders', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('wants_reports', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('wants_reports')
        batch_op.drop_column('wants_reminders')

    with op.batch_alter_table('show_ratings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_show_ratings_user_id'))
        batch_op.drop_index(batch_op.f('ix_show_ratings_show_id'))

    op.drop_table('show_ratings')
    with op.batch_alter_table('mail_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_deliveries_user_id'))
        batch_op.drop_index('ix_mail_deliveries_kind_period_status')

    op.drop_table('mail_deliveries')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_kind_period')

    op.drop_table('job_runs')
