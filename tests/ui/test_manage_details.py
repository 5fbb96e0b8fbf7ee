"""The dashboard's new fields: a show's description, duration, language and age rating; a theatre's address and
time zone; errors beside each field, and times shown (and typed) in the theatre's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from models import AgeRating, Show, Theatre
from models.db import session_scope, utcnow
from services.formats import theatre_tz, when
from tests.factories import make_show, make_theatre
from tests.ui.helpers import count, error_of, field, open_dialog
from tests.ui.test_manage import (
    GOOD_THEATRE,
    SHOW_LABELS,
    THEATRE_LABELS,
    dashboard_as_manager,
    fill,
    good_show,
    make_manager,
    only_theatre,
    open_dashboard,
    open_show_dialog,
    shows_of,
)

LONDON = ZoneInfo('Europe/London')
DETAIL_LABELS = {'description': 'Description', 'duration': 'Duration (minutes)', 'language': 'Language'}
ALL_SHOW_LABELS = [*SHOW_LABELS.values(), *DETAIL_LABELS.values(), 'Age rating']
DESCRIPTION = 'A prince, a ghost and a play within the play.\n\nThree hours, one interval.'


def choose(user: User, label: str, option: str) -> None:
    """Open the select labelled `label` and click the option that reads `option`."""
    select = field(user, label)
    select.click()
    UserInteraction(user, select.elements, option).click()


def value_of(user: User, label: str) -> object:
    (element,) = field(user, label).elements
    return element.value


async def test_add_a_theatre_with_its_address_and_time_zone(user: User) -> None:
    await dashboard_as_manager(user)
    user.find(marker='add-theatre').click()
    await open_dialog(user, 'theatre-dialog')
    await user.should_see('App default (Asia/Kolkata)')  # the app's zone, until another is chosen
    fill(user, THEATRE_LABELS, GOOD_THEATRE)
    field(user, 'Address').type('Janki Kutir, Juhu Church Road\nMumbai 400049')
    choose(user, 'Time zone', 'Europe/London')
    user.find(marker='save').click()
    await user.should_see('Theatre added.')
    theatre = only_theatre()
    assert (theatre.address, theatre.timezone) == ('Janki Kutir, Juhu Church Road\nMumbai 400049', 'Europe/London')
    await user.should_see(marker=f'theatre-{theatre.id}')
    with user.scope(marker=f'theatre-{theatre.id}'):
        await user.should_see('Janki Kutir, Juhu Church Road\nMumbai 400049')  # one label, its line break kept
        await user.should_see('Times in Europe/London')


async def test_a_theatre_goes_back_to_the_apps_time_zone(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi')
    with session_scope() as session:
        row = session.get_one(Theatre, theatre.id)
        row.address, row.timezone = 'Juhu', 'Europe/London'
    await open_dashboard(user)
    with user.scope(marker=f'theatre-{theatre.id}'):
        user.find(marker='edit-theatre').click()
    await open_dialog(user, 'theatre-dialog')
    assert (value_of(user, 'Address'), value_of(user, 'Time zone')) == ('Juhu', 'Europe/London')
    field(user, 'Address').clear()
    choose(user, 'Time zone', 'App default (Asia/Kolkata)')
    user.find(marker='save').click()
    await user.should_see('Theatre saved.')
    assert (only_theatre().address, only_theatre().timezone) == (None, None)
    await user.should_see('Times in Asia/Kolkata (app default)')


@pytest.mark.parametrize(
    ('address', 'message'),
    [
        ('x' * 301, 'Address must be at most 300 characters (it has 301).'),
        ('<b>Juhu</b>', 'Address must not contain < or >.'),
    ],
    ids=['too-long', 'markup'],
)
async def test_a_bad_address_is_shown_beside_it(user: User, address: str, message: str) -> None:
    await dashboard_as_manager(user)
    user.find(marker='add-theatre').click()
    await open_dialog(user, 'theatre-dialog')
    fill(user, THEATRE_LABELS, GOOD_THEATRE)
    field(user, 'Address').type(address)
    user.find(marker='save').click()
    await user.should_see(message)
    assert error_of(user, 'Address') == message
    assert all(error_of(user, label) is None for label in [*THEATRE_LABELS.values(), 'Time zone'])
    assert count(Theatre) == 0
    await user.should_see(marker='theatre-dialog')


async def test_add_a_show_with_its_details(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi', capacity=200)
    await open_dashboard(user)
    await open_show_dialog(user, add_to=theatre)
    assert value_of(user, 'Age rating') == ''  # "Not given" until chosen
    fill(user, SHOW_LABELS, good_show())
    fill(user, DETAIL_LABELS, {'description': DESCRIPTION, 'duration': '170', 'language': 'English'})
    choose(user, 'Age rating', '12+')
    user.find(marker='save').click()
    await user.should_see('Show added.')
    (show,) = shows_of(theatre.id)
    assert (show.description, show.duration_minutes, show.language, show.age_rating) == (
        DESCRIPTION,
        170,
        'English',
        AgeRating.TWELVE,
    )
    await user.should_see(marker=f'manage-show-{show.id}')
    with user.scope(marker=f'manage-show-{show.id}'):
        await user.should_see('2 h 50 min · English · 12+')


@pytest.mark.parametrize(
    ('changes', 'label', 'message'),
    [
        ({'duration': '0'}, 'Duration (minutes)', 'Duration in minutes must be between 1 and 1,440.'),
        ({'duration': 'two hours'}, 'Duration (minutes)', 'Duration in minutes must be a whole number.'),
        ({'language': 'x' * 41}, 'Language', 'Language must be at most 40 characters (it has 41).'),
        ({'description': 'Loved it <3'}, 'Description', 'Description must not contain < or >.'),
        ({'description': 'x' * 2001}, 'Description', 'Description must be at most 2,000 characters (it has 2,001).'),
    ],
    ids=['duration-0', 'duration-words', 'language-too-long', 'description-markup', 'description-too-long'],
)
async def test_bad_show_details_are_shown_beside_their_field(
    user: User, changes: dict[str, str], label: str, message: str
) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi', capacity=200)
    await open_dashboard(user)
    await open_show_dialog(user, add_to=theatre)
    fill(user, SHOW_LABELS, good_show())
    fill(user, DETAIL_LABELS, {'description': DESCRIPTION, 'duration': '170', 'language': 'English', **changes})
    user.find(marker='save').click()
    await user.should_see(message)
    assert error_of(user, label) == message
    assert all(error_of(user, other) is None for other in ALL_SHOW_LABELS if other != label)
    assert count(Show) == 0
    await user.should_see(marker='show-dialog')


async def test_edit_shows_the_details_and_can_clear_them(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Prithvi', capacity=200)
    show = make_show(theatre, name='Hamlet')
    with session_scope() as session:
        row = session.get_one(Show, show.id)
        row.description, row.duration_minutes, row.language, row.age_rating = DESCRIPTION, 90, 'Hindi', AgeRating.ALL
    await open_dashboard(user)
    with user.scope(marker=f'manage-show-{show.id}'):
        await user.should_see('1 h 30 min · Hindi · All ages')
    await open_show_dialog(user, edit=show)
    assert [value_of(user, label) for label in ['Description', 'Duration (minutes)', 'Language', 'Age rating']] == [
        DESCRIPTION,
        '90',
        'Hindi',
        'all',
    ]
    for label in ['Description', 'Duration (minutes)', 'Language']:
        field(user, label).clear()
    choose(user, 'Age rating', 'Not given')
    user.find(marker='save').click()
    await user.should_see('Show saved.')
    (saved,) = shows_of(theatre.id)
    assert (saved.description, saved.duration_minutes, saved.language, saved.age_rating) == (None, None, None, None)
    assert saved.starts_at == show.starts_at
    await user.should_not_see(marker='manage-show-about')


async def test_times_are_shown_and_typed_in_the_theatres_zone(user: User) -> None:
    theatre = make_theatre(make_manager(), name='Old Vic', capacity=200)
    with session_scope() as session:
        session.get_one(Theatre, theatre.id).timezone = 'Europe/London'
    day = (utcnow() + dt.timedelta(days=20)).astimezone(LONDON).date()
    show = make_show(theatre, name='Hamlet', starts_at=dt.datetime.combine(day, dt.time(19, 30), tzinfo=LONDON))
    await open_dashboard(user)
    shown = when(show.starts_at, theatre_tz('Europe/London'))
    assert shown.endswith(('19:30 GMT', '19:30 BST'))
    with user.scope(marker=f'manage-show-{show.id}'):
        await user.should_see(shown)
    await open_show_dialog(user, edit=show)
    assert (value_of(user, 'Date'), value_of(user, 'Time')) == (day.isoformat(), '19:30')  # London time, not Kolkata
    fill(user, SHOW_LABELS, {'time': '20:00'})
    user.find(marker='save').click()
    await user.should_see('Show saved.')
    (saved,) = shows_of(theatre.id)
    assert saved.starts_at == dt.datetime.combine(day, dt.time(20, 0), tzinfo=LONDON)
