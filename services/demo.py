"""Demo data for a first look: theatres in several places, a few dozen upcoming shows, some bookings (made without
confirmation emails: the demo's people are made up)."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AgeRating, Role, SeatKind, User
from services import auth, booking, shows, staff, theatres, waitlist
from services.seating import layout, maps

ZONE = 'Asia/Kolkata'  # every demo theatre is in India, whatever the machine's or the app's time zone
THEATRES = [  # name, place, capacity, address
    ('Prithvi Theatre', 'Mumbai', 220, 'Janki Kutir, Juhu Church Road, Juhu\nMumbai 400049'),
    ('NCPA Experimental', 'Mumbai', 300, 'NCPA Marg, Nariman Point\nMumbai 400021'),
    ('Ranga Shankara', 'Bengaluru', 320, '36/2, 8th Cross, II Phase, J. P. Nagar\nBengaluru 560078'),
    ('Jagriti Theatre', 'Bengaluru', 200, 'Ramagondanahalli, Varthur Road, Whitefield\nBengaluru 560066'),
    ('Kamani Auditorium', 'Delhi', 600, '1 Copernicus Marg, Mandi House\nNew Delhi 110001'),
    ('Museum Theatre', 'Chennai', 250, 'Government Museum, Pantheon Road, Egmore\nChennai 600008'),
]
# What each show is: description, minutes, language, age rating.
SHOW_DETAILS: dict[str, tuple[str, int, str, AgeRating]] = {
    'Hamlet': (
        "Prince Hamlet comes home to find his father dead and his mother married to his uncle. A ghost's story sets "
        "him on a path of doubt, feigned madness and revenge. Shakespeare's longest play, in a lean modern staging "
        'with live music.',
        170,
        'English',
        AgeRating.TWELVE,
    ),
    'Evam Indrajit': (
        "Badal Sircar's classic about Amal, Vimal, Kamal and Indrajit, the one who keeps asking why. A writer watches "
        'four ordinary lives go round in circles of office, marriage and routine. Funny, restless and still '
        'uncomfortably true.',
        110,
        'Hindi',
        AgeRating.TWELVE,
    ),
    'Tughlaq': (
        "Girish Karnad's portrait of Muhammad bin Tughlaq, the idealist sultan who moved his capital from Delhi to "
        "Daulatabad. A brilliant ruler's dreams become a nightmare for his people. A large cast, grand sets and sharp "
        'political wit.',
        150,
        'Kannada',
        AgeRating.TWELVE,
    ),
    'Waiting for Godot': (
        'Two tramps wait by a bare tree for someone called Godot, who never comes. '
        "Beckett's masterpiece is bleak, tender and very funny by turns. Performed without an interval.",
        120,
        'English',
        AgeRating.TWELVE,
    ),
    'Hayavadana': (
        'A woman, two friends and a fateful swap of heads, told with masks, music and a horse-headed man searching '
        "for completeness. Girish Karnad's play draws on Thomas Mann and the Kathasaritsagara, told in the manner of "
        'Yakshagana.',
        130,
        'Kannada',
        AgeRating.TWELVE,
    ),
    'The Glass Menagerie': (
        "Tennessee Williams' memory play: Tom looks back on his mother Amanda, his fragile sister Laura and her "
        'collection of glass animals. One evening a gentleman caller arrives, and with him a hope the family cannot '
        'hold.',
        125,
        'English',
        AgeRating.TWELVE,
    ),
    'Ghashiram Kotwal': (
        "Vijay Tendulkar's savage satire of power in 18th-century Pune, told through song, dance and a human wall of "
        "Brahmins. A humiliated outsider becomes the city's police chief and takes his revenge. Set to Marathi folk "
        'forms.',
        140,
        'Marathi',
        AgeRating.SIXTEEN,
    ),
    "A Midsummer Night's Dream": (
        'Four runaway lovers, a troupe of hopeless amateur actors and a quarrelling fairy king and queen lose '
        "themselves in one enchanted forest. Shakespeare's most joyful comedy, with puppets and live music. A fine "
        'first Shakespeare for the whole family.',
        135,
        'English',
        AgeRating.ALL,
    ),
    'Nagamandala': (
        'Rani, neglected by her husband, is visited at night by a cobra who takes his form. '
        "Girish Karnad's play spins folk tales of Karnataka into a story of love, truth and trial, told by "
        'storytellers with live music.',
        120,
        'Kannada',
        AgeRating.TWELVE,
    ),
    'Andha Yug': (
        "Dharamvir Bharati's verse drama, set on the last day of the Mahabharata war among the blind, the wounded and "
        'the defeated. A meditation on violence and responsibility that has stayed on Indian stages since 1954.',
        125,
        'Hindi',
        AgeRating.SIXTEEN,
    ),
    'Jazz at Dusk': (
        'A quartet plays standards and Indian-inflected originals as the evening comes down. '
        'Piano, double bass, drums and saxophone, with a guest vocalist in the second set.',
        100,
        'Instrumental',
        AgeRating.ALL,
    ),
    'Stand-up Saturday': (
        'Five comedians, one host and a room full of strangers about to become friends. '
        "New material from the city's circuit, in English and Hindi. Some strong language.",
        90,
        'English, Hindi',
        AgeRating.ADULTS,
    ),
    'Carnatic Evening': (
        'A vocal concert in the Carnatic tradition with violin, mridangam and ghatam. '
        'Kritis by Tyagaraja and Muthuswami Dikshitar, and a ragam-tanam-pallavi to close.',
        150,
        'Telugu, Tamil, Sanskrit',
        AgeRating.ALL,
    ),
    'The Magic Flute': (
        "Mozart's fairy-tale opera of a prince, a bird-catcher and the Queen of the Night, in a colourful chamber "
        'production. Sung in German with English surtitles.',
        160,
        'German (English surtitles)',
        AgeRating.SEVEN,
    ),
    'Kathak Nights': (
        'An evening of Kathak, the storytelling dance of north India: rhythm, spins and stories of Krishna told with '
        'the feet and the eyes. Live tabla, sarangi and vocals.',
        90,
        'Hindi, Urdu',
        AgeRating.ALL,
    ),
    'Improv Jam': (
        'Nothing is scripted: the audience calls out suggestions and the players build scenes, songs and a short '
        'musical on the spot. No two nights are the same.',
        80,
        'English',
        AgeRating.TWELVE,
    ),
}
SHOW_NAMES = list(SHOW_DETAILS)
TAGS = ['drama', 'comedy', 'classic', 'music', 'dance', 'family', 'hindi', 'english', 'kannada', 'tamil']


@dataclass(frozen=True)
class DemoLogins:
    manager: tuple[str, str]
    audience: tuple[str, str]
    door: tuple[str, str]  # on the door staff of the manager's first theatre, which has a show tonight


def details(name: str) -> dict[str, Any]:
    """A demo show's description, duration, language and age rating, as `shows.create_show` takes them."""
    description, minutes, language, age = SHOW_DETAILS[name]
    return {'description': description, 'duration_minutes': minutes, 'language': language, 'age_rating': age}


def load_demo_data(session: Session, *, now: dt.datetime) -> DemoLogins | None:
    """Fill an empty database; returns the demo logins, or None when there were users already. Every theatre is
    in India (time zone Asia/Kolkata): its shows are at Indian evening hours wherever the app runs."""
    if session.scalar(select(func.count(User.id))):
        return None
    rng = random.Random(2026)
    manager_pw, audience_pw, door_pw = (secrets.token_urlsafe(9) for _ in range(3))
    manager = auth.signup(
        session,
        verified=True,
        username='manager',
        name='Meera Manager',
        email='manager@example.com',
        password=manager_pw,
        role=Role.MANAGER,
    )
    other = auth.signup(
        session,
        verified=True,
        username='manager2',
        name='Omar Owner',
        email='manager2@example.com',
        password=secrets.token_urlsafe(12),
        role=Role.MANAGER,
    )
    audience = auth.signup(
        session,
        verified=True,
        username='audience',
        name='Asha Audience',
        email='audience@example.com',
        password=audience_pw,
        role=Role.USER,
    )
    door = auth.signup(
        session,
        verified=True,
        username='door',
        name='Dev Door',
        email='door@example.com',
        password=door_pw,
        role=Role.USER,
    )
    fans = [
        auth.signup(
            session,
            verified=True,
            username=f'fan{i}',
            name=f'Fan {i}',
            email=f'fan{i}@example.com',
            password=secrets.token_urlsafe(12),
        )
        for i in range(1, 6)
    ]
    show_ids = []
    tz = ZoneInfo(ZONE)
    today = now.astimezone(tz).date()
    tonight_id = 0
    for index, (name, place, capacity, address) in enumerate(THEATRES):
        owner = manager if index % 2 == 0 else other
        theatre = theatres.create_theatre(
            session, actor_id=owner.id, name=name, place=place, capacity=capacity, address=address, timezone=ZONE
        )
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
                **details('Hamlet'),
            ).id
        for _ in range(6):
            day = today + dt.timedelta(days=rng.randint(1, 35))
            starts = dt.datetime.combine(day, dt.time(rng.choice([11, 15, 18, 19, 20]), rng.choice([0, 30])), tzinfo=tz)
            show_name = rng.choice(SHOW_NAMES)
            show = shows.create_show(
                session,
                actor_id=owner.id,
                theatre_id=theatre.id,
                name=show_name,
                rating=rng.choice([3.5, 3.8, 4.0, 4.2, 4.5, 4.8]),
                tags=rng.sample(TAGS, 2),
                ticket_price=rng.choice(['199', '250.50', '350', '499', '750']),
                num_tickets=None if seated else rng.choice([capacity, capacity // 2, 40]),
                starts_at=starts,
                seating='reserved' if seated else 'general',
                section_prices={'Balcony': '299'} if seated else None,
                now=now,
                **details(show_name),
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
