"""indexes for the listing at 100,000 shows: counts from the index alone, cheapest-first pages in index order,
a tag's shows from the tag index alone

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 08:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.create_index('ix_shows_listing', ['status', 'starts_at', 'theatre_id'], unique=False)
        batch_op.create_index('ix_shows_listing_price', ['status', 'price_cents', 'starts_at'], unique=False)
    with op.batch_alter_table('show_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_show_tags_tag')
        batch_op.create_index('ix_show_tags_tag', ['tag', 'show_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('show_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_show_tags_tag')
        batch_op.create_index('ix_show_tags_tag', ['tag'], unique=False)
    with op.batch_alter_table('shows', schema=None) as batch_op:
        batch_op.drop_index('ix_shows_listing_price')
        batch_op.drop_index('ix_shows_listing')
