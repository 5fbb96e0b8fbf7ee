"""initial schema: users, theatres, shows, tags, bookings

Revision ID: 0001
Revises:
Create Date: 2026-11-24 08:10:08.190307
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('password_hash', sa.String(length=100), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('user', 'manager', 'admin')", name='ck_users_role'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username'),
    )
    op.create_table(
        'theatres',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('place', sa.String(length=100), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('capacity BETWEEN 1 AND 100000', name='ck_theatres_capacity'),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('theatres', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_theatres_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_theatres_place'), ['place'], unique=False)

    op.create_table(
        'shows',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('theatre_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('rating', sa.Float(), nullable=False),
        sa.Column('price_cents', sa.Integer(), nullable=False),
        sa.Column('num_tickets', sa.Integer(), nullable=False),
        sa.Column('tickets_sold', sa.Integer(), nullable=False),
        sa.Column('starts_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('num_tickets >= 1', name='ck_shows_num_tickets'),
        sa.CheckConstraint('price_cents >= 0', name='ck_shows_price'),
        sa.CheckConstraint('rating >= 0 AND rating <= 5', name='ck_shows_rating'),
        sa.CheckConstraint('tickets_sold >= 0 AND tickets_sold <= num_tickets', name='ck_shows_tickets_sold'),
        sa.ForeignKeyConstraint(['theatre_id'], ['theatres.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shows_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_shows_rating'), ['rating'], unique=False)
        batch_op.create_index(batch_op.f('ix_shows_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shows_theatre_id'), ['theatre_id'], unique=False)

    op.create_table(
        'bookings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('show_id', sa.Integer(), nullable=False),
        sa.Column('booked_tickets', sa.Integer(), nullable=False),
        sa.Column('price_cents', sa.Integer(), nullable=False),
        sa.Column('total_cents', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('cancelled_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('confirmed', 'cancelled')", name='ck_bookings_status'),
        sa.CheckConstraint('booked_tickets >= 1', name='ck_bookings_tickets'),
        sa.CheckConstraint('price_cents >= 0 AND total_cents = price_cents * booked_tickets', name='ck_bookings_total'),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'], ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_show_id'), ['show_id'], unique=False)
        batch_op.create_index('ix_bookings_show_status', ['show_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_user_id'), ['user_id'], unique=False)

    op.create_table(
        'show_tags',
        sa.Column('show_id', sa.Integer(), nullable=False),
        sa.Column('tag', sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('show_id', 'tag'),
    )
    with op.batch_alter_table('show_tags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_show_tags_show_id'), ['show_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_show_tags_tag'), ['tag'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('show_tags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_show_tags_tag'))
        batch_op.drop_index(batch_op.f('ix_show_tags_show_id'))

    op.drop_table('show_tags')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bookings_user_id'))
        batch_op.drop_index('ix_bookings_show_status')
        batch_op.drop_index(batch_op.f('ix_bookings_show_id'))

    op.drop_table('bookings')
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shows_theatre_id'))
        batch_op.drop_index(batch_op.f('ix_shows_starts_at'))
        batch_op.drop_index(batch_op.f('ix_shows_rating'))
        batch_op.drop_index(batch_op.f('ix_shows_name'))

    op.drop_table('shows')
    with op.batch_alter_table('theatres', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_theatres_place'))
        batch_op.drop_index(batch_op.f('ix_theatres_owner_id'))

    op.drop_table('theatres')
    op.drop_table('users')
