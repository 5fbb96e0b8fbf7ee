"""The poster routes: PUT the image as the body, DELETE it, and the stored files served with year-long caching.
Every refused request is checked to have changed nothing."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator

import pytest
from nicegui.testing import User
from sqlalchemy import select

from models import AuditEvent, Role, Show
from models.db import session_scope
from services import posters
from tests import images
from tests.factories import PASSWORD, make_show, make_theatre, make_user

API = '/api/v1'
IMMUTABLE = 'public, max-age=31536000, immutable'


@pytest.fixture(autouse=True)
def frozen_heap() -> None:
    gc.collect()
    gc.freeze()


async def bearer(user: User, username: str) -> dict[str, str]:
    response = await user.http_client.post(f'{API}/auth/login', json={'username': username, 'password': PASSWORD})
    assert response.status_code == 200, response.text
    return {'Authorization': f'Bearer {response.json()["access_token"]}'}


@pytest.fixture
async def stage(user: User):
    """A manager's show and the manager's token (the app is running: the factories write to its database)."""
    manager = make_user(role=Role.MANAGER)
    show = make_show(make_theatre(manager), name='Hamlet')
    return show, await bearer(user, manager.username)


def _state(show_id: int) -> tuple[str | None, int, list[str]]:
    """What a refusal must leave alone: the show's poster, the audit trail, the stored files."""
    with session_scope() as s:
        key = s.get_one(Show, show_id).poster_key
        events = len(s.scalars(select(AuditEvent)).all())
    folder = posters.poster_dir()
    return key, events, sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


async def _put(user: User, show_id: int, data: bytes, headers: dict[str, str], kind: str = 'image/jpeg'):
    return await user.http_client.put(
        f'{API}/shows/{show_id}/poster', content=data, headers={**headers, 'Content-Type': kind}
    )


async def test_put_answers_the_show_with_its_poster_urls_and_the_files_are_served(user: User, stage) -> None:
    show, token = stage
    response = await _put(user, show.id, images.jpeg((900, 1350)), token)
    assert response.status_code == 200, response.text
    body = response.json()
    key = body['poster']['240'].split('/')[-1].removesuffix('-240.webp')
    assert body['poster'] == {str(w): f'/media/posters/{key}-{w}.webp' for w in (240, 480, 960)}
    assert (await user.http_client.get(f'{API}/shows/{show.id}')).json()['poster'] == body['poster']
    listing = (await user.http_client.get(f'{API}/shows')).json()['items']
    assert [item['poster'] for item in listing] == [body['poster']]

    served = await user.http_client.get(body['poster']['480'])
    assert served.status_code == 200
    assert served.headers['content-type'] == 'image/webp'
    assert served.headers['cache-control'] == IMMUTABLE
    assert served.headers['etag'] == f'"{key}-480"'
    assert served.content == (posters.poster_dir() / f'{key}-480.webp').read_bytes()

    again = await user.http_client.get(body['poster']['480'], headers={'If-None-Match': f'W/"x", "{key}-480"'})
    assert (again.status_code, again.content, again.headers['etag']) == (304, b'', f'"{key}-480"')
    changed = await user.http_client.get(body['poster']['480'], headers={'If-None-Match': f'"{key}-240"'})
    assert changed.status_code == 200 and changed.content == served.content
    head = await user.http_client.head(body['poster']['960'])
    assert (head.status_code, head.content, head.headers['cache-control']) == (200, b'', IMMUTABLE)


async def test_delete_goes_back_to_no_poster_and_its_files_go(user: User, stage) -> None:
    show, token = stage
    urls = (await _put(user, show.id, images.png(), token)).json()['poster']
    response = await user.http_client.delete(f'{API}/shows/{show.id}/poster', headers=token)
    assert (response.status_code, response.content) == (204, b'')
    assert (await user.http_client.get(f'{API}/shows/{show.id}')).json()['poster'] is None
    for url in urls.values():
        assert (await user.http_client.get(url)).status_code == 404
    assert (await user.http_client.delete(f'{API}/shows/{show.id}/poster', headers=token)).status_code == 204


@pytest.mark.parametrize(
    ('kind', 'data'),
    [
        ('text/plain', b'not an image'),
        ('application/octet-stream', images.jpeg()),
        ('multipart/form-data; boundary=x', b'--x--'),
        ('', images.jpeg()),
    ],
    ids=['text', 'octet-stream', 'form', 'no-type'],
)
async def test_a_body_not_declared_as_an_image_is_415(user: User, stage, kind: str, data: bytes) -> None:
    show, token = stage
    before = _state(show.id)
    response = await _put(user, show.id, data, token, kind)
    assert response.status_code == 415
    assert 'Content-Type image/jpeg' in response.json()['detail']
    assert _state(show.id) == before


@pytest.mark.parametrize(
    ('kind', 'make', 'detail'),
    [
        ('image/png', lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>', posters.NOT_AN_IMAGE),
        ('image/jpeg', lambda: b'', 'The file is empty: choose a JPEG, PNG, WebP or GIF image.'),
        ('image/jpeg', lambda: images.jpeg()[:2000], posters.DAMAGED),
        (
            'image/gif',
            lambda: images.png((100, 100)),
            'The image is 100 × 100 pixels; a poster needs at least 200 pixels on each side.',
        ),
        ('image/png', lambda: images.bomb_png(20_000), posters.TOO_MANY_PIXELS),
    ],
    ids=['svg', 'empty', 'truncated', 'small', 'bomb'],
)
async def test_an_image_type_that_is_no_usable_image_is_422(user: User, stage, kind, make, detail) -> None:
    show, token = stage
    before = _state(show.id)
    response = await _put(user, show.id, make(), token, kind)
    assert (response.status_code, response.json()) == (422, {'detail': detail})
    assert _state(show.id) == before


async def test_over_10_mib_is_413_whether_declared_or_streamed(user: User, stage) -> None:
    show, token = stage
    before = _state(show.id)
    declared = await user.http_client.put(
        f'{API}/shows/{show.id}/poster',
        content=b'x',
        headers={**token, 'Content-Type': 'image/jpeg', 'Content-Length': str(10 * 1024 * 1024 + 1)},
    )
    assert declared.status_code == 413
    assert declared.json() == {'detail': 'The request body is larger than 10,240 KiB.'}

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(11):
            yield b'\0' * (1024 * 1024)

    streamed = await user.http_client.put(
        f'{API}/shows/{show.id}/poster', content=chunks(), headers={**token, 'Content-Type': 'image/jpeg'}
    )
    assert streamed.status_code == 413
    assert _state(show.id) == before
    # Other routes keep their 64 KiB limit.
    other = await user.http_client.put(
        f'{API}/shows/{show.id}', content=b'{}' + b' ' * 70_000, headers={**token, 'Content-Type': 'application/json'}
    )
    assert other.status_code == 413


async def test_only_the_shows_manager_or_an_admin(user: User, stage) -> None:
    show, token = stage
    before = _state(show.id)
    nobody = await _put(user, show.id, images.jpeg(), {})
    assert nobody.status_code == 401
    intruder = make_user(role=Role.MANAGER)
    other = await _put(user, show.id, images.jpeg(), await bearer(user, intruder.username))
    assert (other.status_code, other.json()) == (404, {'detail': 'No such show.'})
    member = make_user()
    assert (await _put(user, show.id, images.jpeg(), await bearer(user, member.username))).status_code == 403
    assert (await _put(user, 999_999, images.jpeg(), token)).status_code == 404
    gone = await user.http_client.delete(f'{API}/shows/{show.id}/poster', headers=await bearer(user, intruder.username))
    assert gone.status_code == 404
    assert _state(show.id) == before
    admin = make_user(role=Role.ADMIN)
    assert (await _put(user, show.id, images.jpeg(), await bearer(user, admin.username))).status_code == 200


BAD_PATHS = [
    '/media/posters/' + '0' * 32 + '-240.webp',  # a well-formed name that is not kept
    '/media/posters/{key}-241.webp',
    '/media/posters/{key}-2400.webp',
    '/media/posters/{KEY}-240.webp',
    '/media/posters/{key}-240.webp.png',
    '/media/posters/{key}-240.png',
    '/media/posters/{key}.webp',
    '/media/posters/..%2F..%2Fticketshow.sqlite3',
    '/media/posters/%2e%2e%2fstorage_secret',
    '/media/posters/..%5C..%5Cstorage_secret',
    '/media/posters/..',
    '/media/posters/{key}-240.webp%00.png',
    '/media/posters/',
]


async def test_unknown_names_and_traversal_attempts_are_404(user: User, stage) -> None:
    show, token = stage
    key = (await _put(user, show.id, images.jpeg(), token)).json()['poster']['240'].split('/')[-1][:32]
    for path in BAD_PATHS:
        response = await user.http_client.get(path.format(key=key, KEY=key.upper()))
        assert response.status_code == 404, path
        assert b'SQLite' not in response.content and response.headers.get('cache-control') != IMMUTABLE, path
