import datetime as dt
import re
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from models import OutboxMessage, Role, Show, Theatre, User
from models.db import session_scope, utcnow
from services import auth, checkin, demo, search
from services.config import get_settings
from services.show_details import AGE_RATING_LABELS


def test_demo_data_fills_an_empty_database_once(database):
    with session_scope() as s:
        logins = demo.load_demo_data(s, now=utcnow())
    assert logins is not None
    with session_scope() as s:
        assert s.scalar(select(func.count(Theatre.id))) == 6
        assert len({t for t in s.scalars(select(Theatre.place))}) == 4
        assert search.search_shows(s, limit=100).total == 37  # six a theatre, and one tonight at the first
        assert s.scalar(select(func.count(Show.id)).where(Show.tickets_sold == Show.num_tickets)) >= 1
        assert auth.authenticate(s, username=logins.manager[0], password=logins.manager[1]).role is Role.MANAGER
        assert auth.authenticate(s, username=logins.audience[0], password=logins.audience[1]).role is Role.USER
        door = auth.authenticate(s, username=logins.door[0], password=logins.door[1])
        door_shows = checkin.door_shows(s, actor_id=door.id)
        assert {show.theatre_name for show in door_shows} == {demo.THEATRES[0][0]}  # their theatre's, nothing else
        assert door_shows[0].starts_at < utcnow() + dt.timedelta(hours=3)  # tonight's show leads
        assert door_shows[0].tickets_sold > 0 and door_shows[0].checked_in == 0
        assert s.scalar(select(func.count(OutboxMessage.id))) == 0  # no email to made-up people
    with session_scope() as s:
        assert demo.load_demo_data(s, now=utcnow()) is None
        assert s.scalar(select(func.count(User.id))) == 9


def test_demo_shows_say_what_they_are_and_theatres_where_they_are(database, monkeypatch):
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'UTC')  # a newcomer's machine: the Indian theatres keep Indian hours
    get_settings.cache_clear()
    with session_scope() as s:
        demo.load_demo_data(s, now=utcnow())
    kolkata = ZoneInfo('Asia/Kolkata')
    with session_scope() as s:
        for theatre in s.scalars(select(Theatre)):
            assert theatre.timezone == 'Asia/Kolkata'
            assert theatre.address and '\n' in theatre.address and len(theatre.address) <= 300
        shows = s.scalars(select(Show)).all()
        assert len(shows) == 37
        for show in shows:
            assert show.description and len(show.description) <= 2000
            assert 2 <= len(re.findall(r'[.!?](?:\s|$)', show.description)) <= 4, show.description
            assert show.duration_minutes and 1 <= show.duration_minutes <= 1440
            assert show.language and len(show.language) <= 40
            assert show.age_rating is not None and show.age_rating.value in AGE_RATING_LABELS
        soon = utcnow() + dt.timedelta(hours=4)  # tonight's show is three hours from now, on the hour
        later = [show.starts_at.astimezone(kolkata) for show in shows if show.starts_at > soon]
        assert {start.hour for start in later} <= {11, 15, 18, 19, 20}  # Indian show times, not UTC ones
        assert {start.minute for start in later} <= {0, 30}
