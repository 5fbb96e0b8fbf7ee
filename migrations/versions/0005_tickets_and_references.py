"""a ticket row per seat sold, and a reference for every booking (existing bookings get both)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 05:20:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.db

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As services/tickets.py makes them; a migration keeps its own copy, frozen as it was.
ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'


def _reference(taken: set[str]) -> str:
    while True:
        reference = ''.join(secrets.choice(ALPHABET) for _ in range(10))
        if reference not in taken:
            taken.add(reference)
            return reference


def upgrade() -> None:
    conn = op.get_bind()
    bookings = sa.table(
        'bookings',
        sa.column('id', sa.Integer),
        sa.column('show_id', sa.Integer),
        sa.column('booked_tickets', sa.Integer),
        sa.column('price_cents', sa.Integer),
        sa.column('status', sa.String),
        sa.column('reference', sa.String),
    )
    # References first: on SQLite the bookings table is rebuilt to make the column NOT NULL, and dropping the
    # old table would take any ticket rows that already pointed at it along (ON DELETE CASCADE).
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=12), nullable=True))
    taken: set[str] = set()
    for (booking_id,) in conn.execute(sa.select(bookings.c.id)).all():
        conn.execute(bookings.update().where(bookings.c.id == booking_id).values(reference=_reference(taken)))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.alter_column('reference', existing_type=sa.String(length=12), nullable=False)
        batch_op.create_unique_constraint('uq_bookings_reference', ['reference'])

    op.create_table(
        'tickets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.Integer(), nullable=False),
        sa.Column('show_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('seat_id', sa.Integer(), nullable=True),
        sa.Column('price_cents', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('checked_in_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('valid', 'checked_in', 'cancelled')", name='ck_tickets_status'),
        sa.CheckConstraint('price_cents >= 0', name='ck_tickets_price'),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['show_id'], ['shows.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_show_status', ['show_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_show_id'), ['show_id'], unique=False)

    # Existing bookings' seats as tickets (void for a cancelled booking).
    tickets = sa.table(
        'tickets',
        sa.column('booking_id', sa.Integer),
        sa.column('show_id', sa.Integer),
        sa.column('code', sa.String),
        sa.column('price_cents', sa.Integer),
        sa.column('status', sa.String),
    )
    rows = conn.execute(
        sa.select(
            bookings.c.id, bookings.c.show_id, bookings.c.booked_tickets, bookings.c.price_cents, bookings.c.status
        )
    ).all()
    new_tickets = [
        {
            'booking_id': booking_id,
            'show_id': show_id,
            'code': secrets.token_urlsafe(16),
            'price_cents': price_cents,
            'status': 'valid' if status == 'confirmed' else 'cancelled',
        }
        for booking_id, show_id, count, price_cents, status in rows
        for _ in range(count)
    ]
    if new_tickets:
        conn.execute(tickets.insert(), new_tickets)


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint('uq_bookings_reference', type_='unique')
        batch_op.drop_column('reference')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_show_id'))
        batch_op.drop_index(batch_op.f('ix_tickets_booking_id'))
        batch_op.drop_index('ix_tickets_show_status')
    op.drop_table('tickets')
