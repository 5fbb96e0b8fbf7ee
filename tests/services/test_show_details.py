"""What a show is (description, duration, language, age rating) and where a theatre is (address, time zone):
checked with a message per field, kept as written, audited, and times read and printed in the theatre's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from models import AgeRating, AuditAction, AuditEvent, Role, Show, Theatre
from models.db import session_scope, utcnow
from services import audit, formats, shows, theatres
from services.config import get_settings
from services.errors import Invalid
from services.show_details import age_rating_label
from tests.factories import make_show, make_theatre, make_user

START = utcnow() + dt.timedelta(days=2)
SHOW = {
    'name': 'Hamlet',
    'rating': '4.5',
    'tags': 'drama',
    'ticket_price': '250',
    'num_tickets': '100',
    'starts_at': START,
}
DETAILS = {
    'description': 'A prince, a ghost and a play within the play.\nThree hours, one interval.',
    'duration_minutes': '170',
    'language': 'English',
    'age_rating': '12+',
}
THEATRE = {'name': 'Prithvi', 'place': 'Mumbai', 'capacity': 200}


@pytest.fixture
def india(monkeypatch):
    """The app's time zone (a theatre without its own is in it)."""
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Asia/Kolkata')
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def manager(database, india):
    return make_user(role=Role.MANAGER, username='asha')


def count(model: type) -> int:
    with session_scope() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def set_zone(theatre: Theatre, name: str | None) -> None:
    with session_scope() as s:
        s.get_one(Theatre, theatre.id).timezone = name


# --- checks, one message per field -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ('field', 'value', 'message'),
    [
        ('description', 'x' * 2001, 'Description must be at most 2,000 characters (it has 2,001).'),
        ('description', 'Loved it <3', 'Description must not contain < or >.'),
        ('description', 'Bell\x07 ringing', 'Description must not contain control characters.'),
        ('description', 42, 'Description must be text.'),
        ('duration_minutes', '0', 'Duration in minutes must be between 1 and 1,440.'),
        ('duration_minutes', 1441, 'Duration in minutes must be between 1 and 1,440.'),
        ('duration_minutes', 'two hours', 'Duration in minutes must be a whole number.'),
        ('duration_minutes', 90.5, 'Duration in minutes must be a whole number.'),
        ('language', 'x' * 41, 'Language must be at most 40 characters (it has 41).'),
        ('language', 'Hindi\nEnglish', 'Language must not contain control characters.'),
        ('language', '<i>Hindi</i>', 'Language must not contain < or >.'),
        ('age_rating', 'PG-13', 'Age rating must be one of: All ages, 7+, 12+, 16+, 18+.'),
        ('age_rating', 12, 'Age rating must be one of: All ages, 7+, 12+, 16+, 18+.'),
    ],
)
def test_bad_show_details_are_refused_beside_their_field(manager, field, value, message):
    theatre = make_theatre(manager)
    with pytest.raises(Invalid) as refused, session_scope() as s:
        shows.create_show(s, actor_id=manager.id, theatre_id=theatre.id, **SHOW, **{**DETAILS, field: value})
    assert refused.value.errors == {field: message}
    assert count(Show) == 0


def test_a_bad_detail_on_an_edit_changes_nothing(manager):
    theatre = make_theatre(manager)
    with session_scope() as s:
        show = shows.create_show(s, actor_id=manager.id, theatre_id=theatre.id, **SHOW, **DETAILS)
    with pytest.raises(Invalid) as refused, session_scope() as s:
        shows.update_show(
            s, actor_id=manager.id, show_id=show.id, **{**SHOW, 'name': 'Macbeth'}, **{**DETAILS, 'language': 'y' * 50}
        )
    assert refused.value.errors == {'language': 'Language must be at most 40 characters (it has 50).'}
    with session_scope() as s:
        row = s.get_one(Show, show.id)
        assert (row.name, row.language, row.duration_minutes) == ('Hamlet', 'English', 170)
        assert s.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == AuditAction.SHOW_CHANGED)) == 0


@pytest.mark.parametrize(
    ('field', 'value', 'message'),
    [
        ('address', 'x' * 301, 'Address must be at most 300 characters (it has 301).'),
        ('address', '<b>Juhu</b>', 'Address must not contain < or >.'),
        ('address', 'Juhu\x00Mumbai', 'Address must not contain control characters.'),
        ('timezone', 'Mars/Olympus_Mons', 'Time zone must be a time-zone name like Asia/Kolkata or Europe/London.'),
        ('timezone', 'localtime', 'Time zone must be a time-zone name like Asia/Kolkata or Europe/London.'),
        ('timezone', '../../etc/passwd', 'Time zone must be a time-zone name like Asia/Kolkata or Europe/London.'),
        ('timezone', 5.5, 'Time zone must be a time-zone name like Asia/Kolkata or Europe/London.'),
    ],
)
def test_bad_theatre_places_are_refused_beside_their_field(manager, field, value, message):
    with pytest.raises(Invalid) as refused, session_scope() as s:
        theatres.create_theatre(s, actor_id=manager.id, **THEATRE, **{field: value})
    assert refused.value.errors == {field: message}
    assert count(Theatre) == 0
    theatre = make_theatre(manager, name='Kept')
    with pytest.raises(Invalid), session_scope() as s:
        theatres.update_theatre(s, actor_id=manager.id, theatre_id=theatre.id, **THEATRE, **{field: value})
    with session_scope() as s:
        row = s.get_one(Theatre, theatre.id)
        assert (row.name, row.address, row.timezone) == ('Kept', None, None)


# --- kept as written -----------------------------------------------------------------------------------


def test_show_details_round_trip_and_line_breaks_are_kept(manager):
    theatre = make_theatre(manager)
    written = ' First line.\r\nSecond\tline.   \r\n\r\n\r\n\r\nAfter a gap: ಕನ್ನಡ, മലയാളം\u200c.  '
    with session_scope() as s:
        created = shows.create_show(
            s,
            actor_id=manager.id,
            theatre_id=theatre.id,
            **SHOW,
            **{**DETAILS, 'description': written, 'language': ' Kannada ', 'age_rating': 'all'},
        )
    expected = 'First line.\nSecond line.\n\nAfter a gap: ಕನ್ನಡ, മലയാളം\u200c.'
    assert (created.description, created.duration_minutes, created.language, created.age_rating) == (
        expected,
        170,
        'Kannada',
        'all',
    )
    with session_scope() as s:
        row = s.get_one(Show, created.id)
        assert (row.description, row.age_rating) == (expected, AgeRating.ALL)
        assert shows.public_show(s, show_id=created.id).description == expected
    assert age_rating_label(created.age_rating) == 'All ages'


def test_details_may_be_left_out_and_an_edit_replaces_them(manager):
    theatre = make_theatre(manager)
    with session_scope() as s:
        bare = shows.create_show(
            s, actor_id=manager.id, theatre_id=theatre.id, **SHOW, description='   ', duration_minutes='', language=''
        )
    assert (bare.description, bare.duration_minutes, bare.language, bare.age_rating) == (None, None, None, None)
    with session_scope() as s:
        full = shows.update_show(s, actor_id=manager.id, show_id=bare.id, **SHOW, **DETAILS)
    assert (full.duration_minutes, full.language, full.age_rating) == (170, 'English', '12+')
    with session_scope() as s:  # the edit is a full replacement: what is not sent is cleared
        cleared = shows.update_show(s, actor_id=manager.id, show_id=bare.id, **SHOW, language='Hindi')
    assert (cleared.description, cleared.duration_minutes, cleared.language, cleared.age_rating) == (
        None,
        None,
        'Hindi',
        None,
    )


def test_theatre_address_and_time_zone_round_trip(manager):
    with session_scope() as s:
        created = theatres.create_theatre(
            s,
            actor_id=manager.id,
            **THEATRE,
            address='Janki Kutir, Juhu Church Road\r\nMumbai 400049',
            timezone=' asia/kolkata ',
        )
    assert (created.address, created.timezone) == ('Janki Kutir, Juhu Church Road\nMumbai 400049', 'Asia/Kolkata')
    with session_scope() as s:
        assert theatres.get_theatre(s, actor_id=manager.id, theatre_id=created.id).timezone == 'Asia/Kolkata'
        changed = theatres.update_theatre(
            s, actor_id=manager.id, theatre_id=created.id, **THEATRE, timezone='Europe/London'
        )
    assert (changed.address, changed.timezone) == (None, 'Europe/London')
    with session_scope() as s:
        cleared = theatres.update_theatre(s, actor_id=manager.id, theatre_id=created.id, **THEATRE, timezone='')
    assert cleared.timezone is None  # the app's again


# --- audited -------------------------------------------------------------------------------------------


def test_a_details_change_is_audited_field_by_field(manager):
    theatre = make_theatre(manager)
    with session_scope() as s:
        show = shows.create_show(s, actor_id=manager.id, theatre_id=theatre.id, **SHOW, **DETAILS)
    with session_scope() as s:
        shows.update_show(
            s,
            actor_id=manager.id,
            show_id=show.id,
            **SHOW,
            **{**DETAILS, 'duration_minutes': 150, 'age_rating': '16+', 'description': None},
        )
    with session_scope() as s:
        (entry,) = audit.trail(s, actor_id=manager.id, action='show_changed').items
    assert entry.changes == {
        'description': [DETAILS['description'], None],
        'duration_minutes': [170, 150],
        'age_rating': ['12+', '16+'],
    }
    assert 'duration (minutes): 170 → 150' in entry.details
    assert 'age rating: 12+ → 16+' in entry.details
    with session_scope() as s:  # the same details again: no event
        shows.update_show(
            s,
            actor_id=manager.id,
            show_id=show.id,
            **SHOW,
            **{**DETAILS, 'duration_minutes': 150, 'age_rating': '16+', 'description': None},
        )
        assert audit.trail(s, actor_id=manager.id, action='show_changed').total == 1


def test_a_theatre_place_change_is_audited(manager):
    theatre = make_theatre(manager, name='Prithvi', place='Mumbai', capacity=200)
    with session_scope() as s:
        theatres.update_theatre(
            s, actor_id=manager.id, theatre_id=theatre.id, **THEATRE, address='Juhu', timezone='Asia/Kolkata'
        )
    with session_scope() as s:
        (entry,) = audit.trail(s, actor_id=manager.id, action='theatre_changed').items
    assert entry.changes == {'address': [None, 'Juhu'], 'timezone': [None, 'Asia/Kolkata']}
    assert entry.details == 'address: — → Juhu; time zone: — → Asia/Kolkata'


# --- time zones ----------------------------------------------------------------------------------------

DEC_12 = dt.datetime(2026, 12, 12, 14, 0, tzinfo=dt.UTC)
JUL_1 = dt.datetime(2026, 7, 1, 18, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ('zone', 'moment', 'text'),
    [
        (None, DEC_12, 'Sat 12 Dec 2026, 19:30 IST'),  # the app's zone in these tests
        ('Asia/Kolkata', DEC_12, 'Sat 12 Dec 2026, 19:30 IST'),
        ('Europe/London', DEC_12, 'Sat 12 Dec 2026, 14:00 GMT'),
        ('Europe/London', JUL_1, 'Wed 01 Jul 2026, 19:30 BST'),
        ('America/New_York', DEC_12, 'Sat 12 Dec 2026, 09:00 EST'),
        ('Asia/Dubai', DEC_12, 'Sat 12 Dec 2026, 18:00 GMT+4'),  # the database has no letters for it
        ('Asia/Kathmandu', DEC_12, 'Sat 12 Dec 2026, 19:45 GMT+5:45'),
        ('America/Sao_Paulo', DEC_12, 'Sat 12 Dec 2026, 11:00 GMT-3'),
        ('UTC', DEC_12, 'Sat 12 Dec 2026, 14:00 UTC'),
        ('Australia/Adelaide', DEC_12, 'Sun 13 Dec 2026, 00:30 ACDT'),
        ('No/Such_Zone', DEC_12, 'Sat 12 Dec 2026, 19:30 IST'),  # a name this machine lacks: the app's zone
    ],
)
def test_times_read_in_the_theatres_zone_with_its_abbreviation(india, zone, moment, text):
    assert formats.when(moment, formats.theatre_tz(zone)) == text


def test_when_without_a_zone_is_the_apps(india, monkeypatch):
    assert formats.when(DEC_12) == 'Sat 12 Dec 2026, 19:30 IST'
    monkeypatch.setenv('TICKETSHOW_TIMEZONE', 'Europe/Paris')
    get_settings.cache_clear()
    assert formats.when(DEC_12) == 'Sat 12 Dec 2026, 15:00 CET'
    assert formats.theatre_tz(None) == ZoneInfo('Europe/Paris')


def test_zone_names_are_places_only():
    names = formats.zone_names()
    assert 'Asia/Kolkata' in names and 'Europe/London' in names and 'UTC' in names
    assert 'localtime' not in names and 'Factory' not in names
    assert list(names) == sorted(names)
    assert formats.canonical_zone('EUROPE/london') == 'Europe/London'
    assert formats.canonical_zone('Europe/Atlantis') is None


@pytest.mark.parametrize(('minutes', 'text'), [(45, '45 min'), (60, '1 h'), (150, '2 h 30 min'), (1440, '24 h')])
def test_durations_read_in_hours_and_minutes(minutes, text):
    assert formats.duration(minutes) == text


def test_a_show_of_a_theatre_in_another_zone_is_read_and_shown_in_that_zone(manager):
    theatre = make_theatre(manager)
    set_zone(theatre, 'Europe/London')
    day = (utcnow() + dt.timedelta(days=30)).astimezone(ZoneInfo('Europe/London')).date()
    with session_scope() as s:
        typed = shows.create_show(
            s, actor_id=manager.id, theatre_id=theatre.id, **{**SHOW, 'starts_at': (day.isoformat(), '19:30')}
        )
        naive = shows.create_show(  # the API's time without an offset: read at the theatre too
            s,
            actor_id=manager.id,
            theatre_id=theatre.id,
            **{**SHOW, 'starts_at': dt.datetime.combine(day, dt.time(19, 30))},
        )
    london = dt.datetime.combine(day, dt.time(19, 30), tzinfo=ZoneInfo('Europe/London'))
    assert typed.starts_at == naive.starts_at == london
    assert typed.theatre_timezone == 'Europe/London'
    shown = formats.when(typed.starts_at, formats.theatre_tz(typed.theatre_timezone))
    assert shown.startswith(london.strftime('%a %d %b %Y, 19:30 '))
    assert shown.endswith(('GMT', 'BST'))
    assert formats.when(typed.starts_at) == formats.when(london)  # the app's view of the same moment differs
    assert formats.local(typed.starts_at).strftime('%H:%M') != '19:30'


def test_a_new_time_zone_moves_no_show(manager):
    theatre = make_theatre(manager)
    show = make_show(theatre, starts_at=DEC_12 + dt.timedelta(days=365 * 2))
    with session_scope() as s:
        theatres.update_theatre(s, actor_id=manager.id, theatre_id=theatre.id, **THEATRE, timezone='Europe/London')
    with session_scope() as s:
        view = shows.public_show(s, show_id=show.id)
    assert view.starts_at == show.starts_at
    assert view.theatre_timezone == 'Europe/London'
