"""login sessions and password-reset links in the database

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 04:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'login_sessions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('browser', sa.String(length=64), nullable=True),
        sa.Column('bound', sa.Boolean(), nullable=False),
        sa.Column('device', sa.String(length=200), nullable=False),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('api', 'browser')", name='ck_login_sessions_kind'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_login_sessions_browser', ['browser'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_sessions_user_id'), ['user_id'], unique=False)

    op.create_table(
        'password_resets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_user_id'))
    op.drop_table('password_resets')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_user_id'))
        batch_op.drop_index('ix_login_sessions_browser')
    op.drop_table('login_sessions')
