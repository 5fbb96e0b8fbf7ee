"""Demo data for a first look: theatres in several places, a few dozen upcoming shows, some bookings (made without
confirmation emails: the demo's people are made up)."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Role, SeatKind, User
from services import auth, booking, shows, staff, theatres, waitlist
from services.seating import layout, maps

THEATRES = [
    ('Prithvi Theatre', 'Mumbai', 220),
    ('NCPA Experimental', 'Mumbai', 300),
    ('Ranga Shankara', 'Bengaluru', 320),
    ('Jagriti Theatre', 'Bengaluru', 200),
    ('Kamani Auditorium', 'Delhi', 600),
    ('Museum Theatre', 'Chennai', 250),
]
SHOW_NAMES = [
    'Hamlet',
    'Evam Indrajit',
    'Tughlaq',
    'Waiting for Godot',
    'Hayavadana',
    'The Glass Menagerie',
    'Ghashiram Kotwal',
    "A Midsummer Night's Dream",
    'Nagamandala',
    'Andha Yug',
    'Jazz at Dusk',
    'Stand-up Saturday',
    'Carnatic Evening',
    'The Magic Flute',
    'Kathak Nights',
    'Improv Jam',
]
TAGS = ['drama', 'comedy', 'classic', 'music', 'dance', 'family', 'hindi', 'english', 'kannada', 'tamil']


@dataclass(frozen=True)
class DemoLogins:
    manager: tuple[str, str]
    audience: tuple[str, str]
    door: tuple[str, str]  # on the door staff of the manager's first theatre, which has a show tonight


def load_demo_data(session: Session, *, now: dt.datetime, tz: dt.tzinfo) -> DemoLogins | None:
    """Fill an empty database; returns the demo logins, or None when there were users already."""
    if session.scalar(select(func.count(User.id))):
        return None
    rng = random.Random(2026)
    manager_pw, audience_pw, door_pw = (secrets.token_urlsafe(9) for _ in range(3))
    manager = auth.signup(
        session,
        username='manager',
        name='Meera Manager',
        email='manager@example.com',
        password=manager_pw,
        role=Role.MANAGER,
    )
    other = auth.signup(
        session,
        username='manager2',
        name='Omar Owner',
        email='manager2@example.com',
        password=secrets.token_urlsafe(12),
        role=Role.MANAGER,
    )
    audience = auth.signup(
        session,
        username='audience',
        name='Asha Audience',
        email='audience@example.com',
        password=audience_pw,
        role=Role.USER,
    )
    door = auth.signup(
        session, username='door', name='Dev Door', email='door@example.com', password=door_pw, role=Role.USER
    )
    fans = [
        auth.signup(
            session,
            username=f'fan{i}',
            name=f'Fan {i}',
            email=f'fan{i}@example.com',
            password=secrets.token_urlsafe(12),
        )
        for i in range(1, 6)
    ]
    show_ids = []
    today = now.astimezone(tz).date()
    tonight_id = 0
    for index, (name, place, capacity) in enumerate(THEATRES):
        owner = manager if index % 2 == 0 else other
        theatre = theatres.create_theatre(session, actor_id=owner.id, name=name, place=place, capacity=capacity)
        seated = index == 2  # one theatre sells reserved seats from its seat map
        if seated:
            seatmap = maps.put_seatmap(session, actor_id=owner.id, theatre_id=theatre.id, body=demo_map(), now=now)
            capacity = seatmap.seats
        if index == 0:  # a show in a few hours, with its door staff, so the check-in page has something to do
            staff.add_staff(session, actor_id=owner.id, theatre_id=theatre.id, username=door.username, now=now)
            tonight = (now + dt.timedelta(hours=3)).astimezone(tz).replace(minute=0, second=0, microsecond=0)
            tonight_id = shows.create_show(
                session,
                actor_id=owner.id,
                theatre_id=theatre.id,
                name='Hamlet',
                rating=4.6,
                tags=['drama', 'classic'],
                ticket_price='450',
                num_tickets=capacity,
                starts_at=tonight,
                now=now,
            ).id
        for _ in range(6):
            day = today + dt.timedelta(days=rng.randint(1, 35))
            starts = dt.datetime.combine(day, dt.time(rng.choice([11, 15, 18, 19, 20]), rng.choice([0, 30])), tzinfo=tz)
            show = shows.create_show(
                session,
                actor_id=owner.id,
                theatre_id=theatre.id,
                name=rng.choice(SHOW_NAMES),
                rating=rng.choice([3.5, 3.8, 4.0, 4.2, 4.5, 4.8]),
                tags=rng.sample(TAGS, 2),
                ticket_price=rng.choice(['199', '250.50', '350', '499', '750']),
                num_tickets=None if seated else rng.choice([capacity, capacity // 2, 40]),
                starts_at=starts,
                seating='reserved' if seated else 'general',
                section_prices={'Balcony': '299'} if seated else None,
                now=now,
            )
            show_ids.append(show.id)
    # Bookings spread over the past four weeks, so the summary's trend charts have a story to tell.
    for show_id in rng.sample(show_ids, 24):
        for buyer in rng.sample([audience, *fans], rng.randint(2, 6)):
            booked = now - dt.timedelta(days=rng.randint(0, 27), hours=rng.randint(0, 12), minutes=rng.randint(0, 59))
            booking.book(
                session, show_id=show_id, user_id=buyer.id, tickets=rng.randint(1, 6), now=booked, send_email=False
            )
    for buyer in [audience, *fans]:
        booking.book(
            session, show_id=tonight_id, user_id=buyer.id, tickets=rng.randint(1, 4), now=now, send_email=False
        )
    sold_out = shows.public_show(session, show_id=show_ids[-1])
    if sold_out.tickets_left:
        _fill(session, show_id=sold_out.id, buyers=fans, left=sold_out.tickets_left, now=now)
    for fan, count in ((fans[0], 2), (fans[1], 4)):  # people waiting, for the manager's waiting-list view
        waitlist.join(session, show_id=sold_out.id, user_id=fan.id, tickets=count, now=now)
    return DemoLogins(manager=('manager', manager_pw), audience=('audience', audience_pw), door=('door', door_pw))


def demo_map() -> dict[str, Any]:
    """Stalls of 10 rows by 16 with a centre aisle, wheelchair spaces at the ends of the last row, and a balcony
    of 4 rows by 14 with the sound desk's two seats blocked."""
    body = layout.generate([('Stalls', 10, 16), ('Balcony', 4, 14)], aisle_every=8)
    stalls, balcony = body['sections']
    for seat in (stalls['rows'][-1]['seats'][0], stalls['rows'][-1]['seats'][-1]):
        seat['kind'] = SeatKind.WHEELCHAIR.value
    for seat in balcony['rows'][-1]['seats'][6:8]:
        seat['kind'] = SeatKind.BLOCKED.value
    return body


def _fill(session: Session, *, show_id: int, buyers: list[User], left: int, now: dt.datetime) -> None:
    """Book a show out, so the demo shows what Housefull looks like."""
    index = 0
    while left > 0:
        tickets = min(10, left)
        booking.book(
            session, show_id=show_id, user_id=buyers[index % len(buyers)].id, tickets=tickets, now=now, send_email=False
        )
        left -= tickets
        index += 1
