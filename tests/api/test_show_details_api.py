"""The API's show details (description, duration, language, age rating) and theatre places (address, time zone):
written, read back, replaced by PUT, refused with 422 changing nothing, and documented in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from nicegui.testing import User

import models
from models import Role
from models.db import session_scope
from tests.api.test_contract import (
    API,
    as_read,
    bearer,
    database,
    evening,
    frozen_heap,  # noqa: F401 - the autouse fixture, here too
    moment,
    part,
    show_body,
    show_json,
    theatre_json,
)
from tests.factories import make_show, make_theatre, make_user

DETAILS = {
    'description': 'A prince, a ghost and a play within the play.\nThree hours, one interval.',
    'duration_minutes': 170,
    'language': 'English',
    'age_rating': '12+',
}
THEATRE = {'name': 'Prithvi', 'place': 'Mumbai', 'capacity': 200}


async def test_a_theatre_is_written_and_read_with_its_address_and_time_zone(user: User) -> None:
    make_user(username='meera', role=Role.MANAGER)
    headers = await bearer(user, 'meera')
    body = {**THEATRE, 'address': 'Janki Kutir, Juhu\r\nMumbai 400049', 'timezone': 'asia/kolkata'}
    created = await user.http_client.post(f'{API}/theatres', json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert (created.json()['address'], created.json()['timezone']) == (
        'Janki Kutir, Juhu\nMumbai 400049',
        'Asia/Kolkata',
    )
    theatre_id = created.json()['id']
    with session_scope() as session:
        row = session.get_one(models.Theatre, theatre_id)
    assert created.json() == theatre_json(row)
    read = await user.http_client.get(f'{API}/theatres/{theatre_id}', headers=headers)
    assert read.json() == created.json()
    # PUT is a full replacement: the address left out is cleared
    changed = await user.http_client.put(
        f'{API}/theatres/{theatre_id}', json={**THEATRE, 'timezone': 'Europe/London'}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()['address'], changed.json()['timezone']) == (None, 'Europe/London')
    plain = await user.http_client.put(f'{API}/theatres/{theatre_id}', json=THEATRE, headers=headers)
    assert (plain.json()['address'], plain.json()['timezone']) == (None, None)


@pytest.mark.parametrize(
    ('changes', 'detail'),
    [
        ({'timezone': 'Mars/Olympus_Mons'}, 'Time zone must be a time-zone name like Asia/Kolkata or Europe/London.'),
        ({'address': 'x' * 301}, 'Address must be at most 300 characters (it has 301).'),
        ({'address': '<script>'}, 'Address must not contain < or >.'),
        ({'timezone': 5}, None),  # not a string: the schema's list of field errors
        ({'address': 'x' * 1001}, None),
    ],
    ids=['unknown-zone', 'address-301', 'address-markup', 'zone-not-text', 'address-over-the-cap'],
)
async def test_bad_theatre_places_are_422_and_change_nothing(
    user: User, changes: dict[str, Any], detail: str | None
) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    prithvi = make_theatre(meera, name='Prithvi', capacity=200)
    headers = await bearer(user, 'meera')
    before = database()
    for response in [
        await user.http_client.post(f'{API}/theatres', json={**THEATRE, **changes}, headers=headers),
        await user.http_client.put(f'{API}/theatres/{prithvi.id}', json={**THEATRE, **changes}, headers=headers),
    ]:
        assert response.status_code == 422
        if detail is None:
            assert isinstance(response.json()['detail'], list)
        else:
            assert response.json() == {'detail': detail}
    assert database() == before


async def test_a_show_is_written_and_read_with_its_details(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    prithvi = make_theatre(meera, name='Prithvi', capacity=200)
    headers = await bearer(user, 'meera')
    created = await user.http_client.post(
        f'{API}/theatres/{prithvi.id}/shows', json=show_body(**DETAILS), headers=headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert {key: body[key] for key in DETAILS} == DETAILS
    assert (body['theatre_address'], body['theatre_timezone']) == (None, None)
    assert part(as_read(body), contract := show_json(body['id'])) == contract
    read = await user.http_client.get(f'{API}/shows/{body["id"]}')  # anyone may read it
    assert {key: read.json()[key] for key in DETAILS} == DETAILS
    listed = await user.http_client.get(f'{API}/shows')
    assert {key: listed.json()['items'][0][key] for key in DETAILS} == DETAILS
    # PUT is "same as POST": the details left out become null
    changed = await user.http_client.put(
        f'{API}/shows/{body["id"]}', json=show_body(language='Hindi', age_rating='all'), headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert {key: changed.json()[key] for key in DETAILS} == {
        'description': None,
        'duration_minutes': None,
        'language': 'Hindi',
        'age_rating': 'all',
    }
    assert part(as_read(changed.json()), contract := show_json(body['id'])) == contract


@pytest.mark.parametrize(
    ('changes', 'detail'),
    [
        ({'duration_minutes': 0}, 'Duration in minutes must be between 1 and 1,440.'),
        ({'duration_minutes': 1441}, 'Duration in minutes must be between 1 and 1,440.'),
        ({'language': 'x' * 41}, 'Language must be at most 40 characters (it has 41).'),
        ({'description': 'x' * 2001}, 'Description must be at most 2,000 characters (it has 2,001).'),
        ({'description': '<b>bold</b>'}, 'Description must not contain < or >.'),
        ({'description': 'bell\u0007'}, 'Description must not contain control characters.'),
        ({'age_rating': 'PG-13'}, None),  # not one of the documented values: the schema refuses it
        ({'duration_minutes': '90'}, None),
        ({'duration_minutes': 90.5}, None),
        ({'description': 'x' * 5001}, None),
    ],
    ids=[
        'duration-0',
        'duration-1441',
        'language-41',
        'description-2001',
        'description-markup',
        'description-control',
        'age-pg13',
        'duration-as-text',
        'duration-fraction',
        'description-over-the-cap',
    ],
)
async def test_bad_show_details_are_422_and_change_nothing(
    user: User, changes: dict[str, Any], detail: str | None
) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    prithvi = make_theatre(meera, name='Prithvi', capacity=200)
    hamlet = make_show(prithvi, name='Hamlet')
    headers = await bearer(user, 'meera')
    before = database()
    body = show_body(**{**DETAILS, **changes})
    for response in [
        await user.http_client.post(f'{API}/theatres/{prithvi.id}/shows', json=body, headers=headers),
        await user.http_client.put(f'{API}/shows/{hamlet.id}', json=body, headers=headers),
    ]:
        assert response.status_code == 422
        if detail is None:
            assert isinstance(response.json()['detail'], list)
        else:
            assert response.json() == {'detail': detail}
    assert database() == before


async def test_a_time_without_an_offset_is_read_at_the_theatre(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    old_vic = make_theatre(meera, name='Old Vic', place='London')
    with session_scope() as session:
        row = session.get_one(models.Theatre, old_vic.id)
        row.address, row.timezone = 'The Cut\nLondon SE1 8NB', 'Europe/London'
    day = evening(30).date()
    body = show_body(starts_at=dt.datetime.combine(day, dt.time(19, 30)).isoformat())  # no offset
    response = await user.http_client.post(
        f'{API}/theatres/{old_vic.id}/shows', json=body, headers=await bearer(user, 'meera')
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert moment(created['starts_at']) == dt.datetime.combine(day, dt.time(19, 30), tzinfo=ZoneInfo('Europe/London'))
    assert (created['theatre_address'], created['theatre_timezone']) == ('The Cut\nLondon SE1 8NB', 'Europe/London')


async def test_the_openapi_document_describes_the_new_fields(user: User) -> None:
    document = (await user.http_client.get('/openapi.json')).json()
    schemas = document['components']['schemas']
    show_in, show_out = schemas['ShowIn']['properties'], schemas['ShowOut']['properties']
    for name in ('description', 'duration_minutes', 'language', 'age_rating'):
        assert name in show_in and name in show_out
        assert name not in schemas['ShowIn'].get('required', [])
    assert schemas['AgeRating']['enum'] == ['all', '7+', '12+', '16+', '18+']
    assert {'theatre_address', 'theatre_timezone'} <= set(show_out)
    for name in ('address', 'timezone'):
        assert name in schemas['TheatreIn']['properties'] and name in schemas['TheatreOut']['properties']
        assert name not in schemas['TheatreIn'].get('required', [])
