"""Posters: what an upload must be, what is stored (upright, 2:3, WebP at three widths, no metadata), who may set
one, and that a poster's files go when no show uses them any more."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from models import AuditAction, AuditEvent, Role, Show, ShowStatus
from models.db import session_scope
from services import cache, posters, shows
from services.errors import Conflict, Invalid, NotAllowed, NotFound
from services.kv import KV
from tests import images
from tests.factories import make_show, make_theatre, make_user


@pytest.fixture
def stage(database):
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager)
    return manager, make_show(theatre, name='Hamlet'), make_show(theatre, name='Macbeth')


def _set(actor_id: int, show_id: int, data: bytes):
    with session_scope() as s:
        return posters.set_poster(s, actor_id=actor_id, show_id=show_id, image=data)


def _remove(actor_id: int, show_id: int):
    with session_scope() as s:
        return posters.remove_poster(s, actor_id=actor_id, show_id=show_id)


def _key_of(show_id: int) -> str | None:
    with session_scope() as s:
        return s.get_one(Show, show_id).poster_key


def _stored() -> list[Path]:
    folder = posters.poster_dir()
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _poster_events(show_id: int) -> list[dict]:
    with session_scope() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.show_id == show_id, AuditEvent.action == AuditAction.SHOW_CHANGED)
        )
        return [row.changes for row in rows]


def _file(key: str, width: int) -> bytes:
    return (posters.poster_dir() / posters.file_name(key, width)).read_bytes()


def test_a_jpeg_becomes_three_webp_widths_under_a_content_key(stage):
    manager, show, _ = stage
    view = _set(manager.id, show.id, images.jpeg((1000, 1500)))
    key = view.poster_key
    assert key is not None and posters.KEY_PATTERN.fullmatch(key)
    assert _key_of(show.id) == key
    assert [p.name for p in _stored()] == [posters.file_name(key, w) for w in (240, 480, 960)]
    for width in posters.WIDTHS:
        with Image.open(io.BytesIO(_file(key, width))) as stored:
            assert (stored.format, stored.size) == ('WEBP', (width, width * 3 // 2))
    assert posters.poster_urls(key) == {w: f'/media/posters/{key}-{w}.webp' for w in (240, 480, 960)}
    assert _poster_events(show.id) == [{'poster': [None, key]}]


def test_the_key_is_the_content_the_same_image_twice_is_one_poster(stage):
    manager, hamlet, macbeth = stage
    first = _set(manager.id, hamlet.id, images.png()).poster_key
    again = _set(manager.id, macbeth.id, images.png()).poster_key
    other = posters.prepare(images.png(colour=images.RED)).key
    assert first == again != other
    assert len(_stored()) == 3


@pytest.mark.parametrize(
    ('make', 'colour'),
    [(images.png, images.BLUE), (images.webp, images.GREEN), (images.animated_gif, images.RED)],
    ids=['png', 'webp', 'gif-first-frame'],
)
def test_png_webp_and_the_first_frame_of_a_gif_are_taken(stage, make, colour):
    manager, show, _ = stage
    key = _set(manager.id, show.id, make()).poster_key
    assert images.near(images.colour_at(_file(key, 480), 0.5, 0.5), colour)


def test_transparency_is_laid_on_white(stage):
    manager, show, _ = stage
    key = _set(manager.id, show.id, images.transparent_png()).poster_key
    stored = _file(key, 240)
    assert images.near(images.colour_at(stored, 0.2, 0.5), images.BLUE)
    assert images.near(images.colour_at(stored, 0.8, 0.5), (255, 255, 255))


def test_exif_orientation_is_applied_and_every_tag_dropped(stage):
    manager, show, _ = stage
    key = _set(manager.id, show.id, images.rotated_jpeg()).poster_key
    stored = _file(key, 960)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (400, 600)  # upright, and a small upload is never enlarged
        assert not image.getexif() and 'exif' not in image.info and 'icc_profile' not in image.info
    assert images.near(images.colour_at(stored, 0.1, 0.5), images.BLUE)
    assert images.near(images.colour_at(stored, 0.9, 0.5), images.RED)
    assert b'SpyCam' not in stored


def test_a_wide_image_is_cut_to_its_middle(stage):
    manager, show, _ = stage
    wide = images.encoded(images.halves((1200, 600), images.RED, images.BLUE, across=True), 'PNG')
    key = _set(manager.id, show.id, wide).poster_key
    stored = _file(key, 240)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (240, 360)
    # 400 of the 1200 pixels, from 400 to 800: red to the middle, blue after.
    assert images.near(images.colour_at(stored, 0.25, 0.5), images.RED)
    assert images.near(images.colour_at(stored, 0.75, 0.5), images.BLUE)


REFUSALS = [  # made when the test runs, not when the file is collected
    (lambda: b'', 'The file is empty: choose a JPEG, PNG, WebP or GIF image.'),
    (lambda: b'Just some text, not an image at all.', posters.NOT_AN_IMAGE),
    (images.bmp, posters.NOT_AN_IMAGE),
    (
        lambda: images.jpeg((150, 400)),
        'The image is 150 × 400 pixels; a poster needs at least 200 pixels on each side.',
    ),
    (lambda: images.png((300, 199)), 'The image is 300 × 199 pixels; a poster needs at least 200 pixels on each side.'),
    (lambda: images.jpeg((800, 1200))[:3000], posters.DAMAGED),
    (lambda: images.png((800, 1200))[:-200], posters.DAMAGED),
    (lambda: b'\0' * (posters.MAX_BYTES + 1), 'The image is 10.0 MiB; a poster may be at most 10 MiB.'),
    (
        lambda: images.bomb_png(7000),
        'The image is 7,000 × 7,000 pixels (49 megapixels); at most 40 megapixels are accepted.',
    ),
    (lambda: images.bomb_png(20_000), posters.TOO_MANY_PIXELS),  # beyond Pillow's own guard: refused as it opens
]


@pytest.mark.parametrize(
    ('make', 'message'),
    REFUSALS,
    ids=['empty', 'text', 'bmp', 'narrow', 'low', 'truncated-jpeg', 'truncated-png', 'over-10-mib', '49-mp', 'bomb'],
)
def test_a_bad_upload_is_refused_and_changes_nothing(stage, make, message):
    manager, show, _ = stage
    with pytest.raises(Invalid) as refused:
        _set(manager.id, show.id, make())
    assert (refused.value.field, refused.value.errors) == ('poster', {'poster': message})
    assert _key_of(show.id) is None and _stored() == [] and _poster_events(show.id) == []


def test_a_replaced_poster_keeps_its_files_while_another_show_uses_them(stage):
    manager, hamlet, macbeth = stage
    shared = _set(manager.id, hamlet.id, images.jpeg()).poster_key
    _set(manager.id, macbeth.id, images.jpeg())
    new = _set(manager.id, hamlet.id, images.png()).poster_key
    assert {p.name.split('-')[0] for p in _stored()} == {shared, new}  # Macbeth still shows the first one
    _remove(manager.id, macbeth.id)
    assert {p.name.split('-')[0] for p in _stored()} == {new}
    assert _key_of(macbeth.id) is None
    _remove(manager.id, hamlet.id)
    assert _stored() == []
    assert _poster_events(hamlet.id) == [{'poster': [None, shared]}, {'poster': [shared, new]}, {'poster': [new, None]}]


def test_removing_no_poster_and_setting_the_same_one_again_record_nothing(stage):
    manager, show, _ = stage
    _remove(manager.id, show.id)
    _set(manager.id, show.id, images.webp())
    _set(manager.id, show.id, images.webp())
    assert len(_poster_events(show.id)) == 1 and len(_stored()) == 3


def test_a_rolled_back_change_removes_no_file(stage):
    manager, show, _ = stage
    key = _set(manager.id, show.id, images.jpeg()).poster_key
    with pytest.raises(RuntimeError), session_scope() as s:
        posters.remove_poster(s, actor_id=manager.id, show_id=show.id)
        raise RuntimeError('the request failed after the change')
    assert _key_of(show.id) == key and len(_stored()) == 3


def test_only_the_shows_manager_or_an_admin_may_set_or_remove_it(stage):
    manager, show, _ = stage
    intruder, member, admin = make_user(role=Role.MANAGER), make_user(), make_user(role=Role.ADMIN)
    with pytest.raises(NotFound, match='No such show'):
        _set(intruder.id, show.id, images.jpeg())
    with pytest.raises(NotAllowed):
        _set(member.id, show.id, images.jpeg())
    assert _stored() == []  # refused before the image was even looked at
    key = _set(admin.id, show.id, images.jpeg()).poster_key
    with pytest.raises(NotFound):
        _remove(intruder.id, show.id)
    with pytest.raises(NotFound):
        _set(manager.id, 999_999, images.jpeg())
    assert _key_of(show.id) == key and len(_stored()) == 3


def test_a_cancelled_performance_keeps_its_poster(stage):
    manager, show, _ = stage
    with session_scope() as s:
        s.get_one(Show, show.id).status = ShowStatus.CANCELLED
    with pytest.raises(Conflict, match='cancelled'):
        _set(manager.id, show.id, images.jpeg())
    assert _stored() == []


def test_the_cached_show_and_listing_see_the_new_poster(stage):
    manager, show, _ = stage
    cache.configure(KV(None), ttl=600)
    with session_scope() as s:
        assert shows.public_show(s, show_id=show.id).poster_key is None  # now cached
    key = _set(manager.id, show.id, images.jpeg()).poster_key
    with session_scope() as s:
        assert shows.public_show(s, show_id=show.id).poster_key == key
    _remove(manager.id, show.id)
    with session_scope() as s:
        assert shows.public_show(s, show_id=show.id).poster_key is None


@pytest.mark.parametrize(
    'name',
    ['../secret-240.webp', 'ABCDEF0123456789abcdef0123456789-240.webp', f'{"a" * 32}-241.webp', f'{"a" * 32}.webp'],
)
def test_only_a_stored_posters_exact_file_name_is_looked_up(stage, name):
    assert posters.stored_file(name) is None


def test_a_stored_file_is_found_by_its_name(stage):
    manager, show, _ = stage
    key = _set(manager.id, show.id, images.jpeg()).poster_key
    found = posters.stored_file(posters.file_name(key, 480))
    assert found is not None and found.read_bytes() == _file(key, 480)
    assert posters.stored_file(posters.file_name('0' * 32, 480)) is None


def test_demo_posters_one_per_name_some_left_as_placeholders(stage):
    manager, hamlet, macbeth = stage
    other_theatre = make_theatre(manager)
    hamlet_elsewhere = make_show(other_theatre, name='HAMLET')
    laugh, tughlaq = make_show(other_theatre, name='Laugh Riot'), make_show(other_theatre, name='Tughlaq')
    with session_scope() as s:
        assert posters.add_demo_posters(s, every_nth_without=4) == 3  # the 4th name by sort, Tughlaq, keeps none
    keys = {show.id: _key_of(show.id) for show in (hamlet, hamlet_elsewhere, macbeth, laugh, tughlaq)}
    assert keys[hamlet.id] == keys[hamlet_elsewhere.id] is not None
    assert len({keys[hamlet.id], keys[macbeth.id], keys[laugh.id]}) == 3 and keys[tughlaq.id] is None
    assert len(_stored()) == 9
    assert posters.demo_art('Hamlet') == posters.demo_art(' Hamlet ') != posters.demo_art('Macbeth')


def test_a_deleted_shows_poster_is_released_unless_shared(stage):
    manager, hamlet, macbeth = stage
    key = _set(manager.id, hamlet.id, images.jpeg()).poster_key
    _set(manager.id, macbeth.id, images.jpeg())
    for show, left in ((hamlet, 3), (macbeth, 0)):
        with session_scope() as s:
            s.delete(s.get_one(Show, show.id))
            s.flush()
            posters.release(s, key)
        assert len(_stored()) == left
