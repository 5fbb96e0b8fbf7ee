"""what a show is (description, duration, language, age rating, poster) and where a theatre is (address, time zone)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 00:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGE_RATINGS = ('all', '7+', '12+', '16+', '18+')  # as models/enums.py's AgeRating has them, frozen here


def upgrade() -> None:
    ages = ', '.join(repr(value) for value in AGE_RATINGS)
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column('duration_minutes', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('language', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('age_rating', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('poster_key', sa.String(length=64), nullable=True))
        batch_op.create_check_constraint('ck_shows_duration', 'duration_minutes BETWEEN 1 AND 1440')
        batch_op.create_check_constraint('ck_shows_age_rating', f'age_rating IN ({ages})')
    with op.batch_alter_table('theatres', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('theatres', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('address')
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_constraint('ck_shows_age_rating', type_='check')
        batch_op.drop_constraint('ck_shows_duration', type_='check')
        batch_op.drop_column('poster_key')
        batch_op.drop_column('age_rating')
        batch_op.drop_column('language')
        batch_op.drop_column('duration_minutes')
        batch_op.drop_column('description')
