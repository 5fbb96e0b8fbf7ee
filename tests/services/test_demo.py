import datetime as dt

from sqlalchemy import func, select

from models import OutboxMessage, Role, Show, Theatre, User
from models.db import session_scope, utcnow
from services import auth, checkin, demo, search
from services.config import get_settings


def test_demo_data_fills_an_empty_database_once(database):
    with session_scope() as s:
        logins = demo.load_demo_data(s, now=utcnow(), tz=get_settings().tz)
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
        assert demo.load_demo_data(s, now=utcnow(), tz=get_settings().tz) is None
        assert s.scalar(select(func.count(User.id))) == 9
