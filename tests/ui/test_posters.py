"""Posters in the pages: the dashboard's poster dialog (upload, refusal, remove), the cards leading with the poster
or its placeholder, and the show page's hero with the production's other dates."""

from __future__ import annotations

import datetime as dt

from nicegui import ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User

from models import AgeRating, Role, Show, Theatre
from models.db import session_scope
from services import posters
from tests import images
from tests.factories import make_show, make_theatre, make_user
from tests.ui.helpers import elements, eventually, open_as, open_dialog, texts
from ui.components import PALETTE, placeholder_colours

DAY = dt.timedelta(days=1)


def _key_of(show_id: int) -> str | None:
    with session_scope() as s:
        return s.get_one(Show, show_id).poster_key


def _give_poster(manager_id: int, show_id: int) -> str:
    with session_scope() as s:
        key = posters.set_poster(s, actor_id=manager_id, show_id=show_id, image=images.jpeg()).poster_key
    assert key is not None
    return key


async def _upload(user: User, data: bytes, name: str = 'poster.jpg', kind: str = 'image/jpeg') -> None:
    (upload,) = elements(user, marker='poster-upload')
    assert isinstance(upload, ui.upload)
    with user.client:
        await upload.handle_uploads([SmallFileUpload(name, kind, data)])


def _error(user: User) -> str:
    (label,) = elements(user, marker='poster-error')
    return label.text if label.visible else ''


async def test_the_manager_uploads_sees_a_refusal_and_removes_the_poster(user: User) -> None:
    manager = make_user(username='meera', role=Role.MANAGER)
    show = make_show(make_theatre(manager), name='Hamlet')
    await open_as(user, 'meera', '/manage')
    with user.scope(marker=f'manage-show-{show.id}'):
        user.find(marker='show-poster').click()
    dialog = await open_dialog(user, 'poster-dialog')
    await user.should_see(marker='poster-placeholder')
    await user.should_not_see(marker='poster-remove')

    await _upload(user, images.png((120, 120)), 'tiny.png', 'image/png')
    await eventually(lambda: _error(user) != '', message='the refusal in the dialog')
    assert _error(user) == 'The image is 120 × 120 pixels; a poster needs at least 200 pixels on each side.'
    assert _key_of(show.id) is None

    await _upload(user, images.jpeg((900, 1350)))
    await eventually(lambda: _key_of(show.id) is not None, message='the poster to be saved')
    key = _key_of(show.id)
    await eventually(lambda: elements(user, marker='poster'), message='the new poster in the dialog')
    (image,) = elements(user, marker='poster')
    assert image.props['src'] == f'/media/posters/{key}-480.webp'
    assert _error(user) == ''
    await user.should_see('Poster saved.')

    user.find(marker='poster-remove').click()
    await eventually(lambda: _key_of(show.id) is None, message='the poster to be removed')
    await eventually(lambda: elements(user, marker='poster-placeholder') and not elements(user, marker='poster'))
    assert not (posters.poster_dir() / f'{key}-480.webp').exists()
    user.find(marker='poster-close').click()
    await eventually(lambda: not dialog.value)


async def test_a_file_that_is_not_an_image_is_refused_in_the_dialog(user: User) -> None:
    manager = make_user(username='meera', role=Role.MANAGER)
    show = make_show(make_theatre(manager), name='Hamlet')
    key = _give_poster(manager.id, show.id)
    await open_as(user, 'meera', '/manage')
    with user.scope(marker=f'manage-show-{show.id}'):
        user.find(marker='show-poster').click()
    await open_dialog(user, 'poster-dialog')
    await eventually(lambda: elements(user, marker='poster'))
    await _upload(user, b'%PDF-1.7 not a poster', 'poster.pdf', 'application/pdf')
    await eventually(lambda: _error(user) == posters.NOT_AN_IMAGE)
    assert _key_of(show.id) == key  # the poster it had stays


async def test_cards_lead_with_the_poster_or_the_placeholder(user: User) -> None:
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Prithvi')
    with_poster = make_show(theatre, name='Hamlet', starts_in=DAY)
    without = make_show(theatre, name='Macbeth', starts_in=2 * DAY)
    key = _give_poster(manager.id, with_poster.id)
    await user.open('/')
    await eventually(lambda: texts(user, 'show-name') == ['Hamlet', 'Macbeth'])
    with user.scope(marker=f'show-{with_poster.id}'):
        (image,) = user.find(marker='poster').elements
        await user.should_not_see(marker='poster-placeholder')
    assert image.tag == 'img'
    assert image.props['alt'] == 'Hamlet' and image.props['loading'] == 'lazy'
    assert image.props['srcset'] == ', '.join(f'/media/posters/{key}-{w}.webp {w}w' for w in (240, 480, 960))
    with user.scope(marker=f'show-{without.id}'):
        await user.should_see(marker='poster-placeholder')
        await user.should_not_see(marker='poster')


def test_the_placeholder_is_the_same_for_the_same_name_and_varies_between_names() -> None:
    first, second, angle = placeholder_colours('Hamlet')
    assert placeholder_colours(' hamlet ') == (first, second, angle)
    assert first != second and {first, second} <= set(PALETTE) and 120 <= angle <= 210
    assert len({placeholder_colours(f'Show {n}') for n in range(40)}) > 20


def _describe(show: Show, theatre: Theatre) -> None:
    with session_scope() as s:
        row = s.get_one(Show, show.id)
        row.description = 'A prince returns home.\nHis father is dead, his uncle on the throne.'
        row.duration_minutes = 135
        row.language = 'English'
        row.age_rating = AgeRating.TWELVE
        s.get_one(Theatre, theatre.id).address = '21 Juhu Church Road\nMumbai 400049'


async def test_the_show_page_hero_and_the_other_dates(user: User) -> None:
    manager = make_user(role=Role.MANAGER)
    theatre = make_theatre(manager, name='Prithvi')
    show = make_show(theatre, name='Hamlet', starts_in=3 * DAY)
    _describe(show, theatre)
    later = make_show(theatre, name='HAMLET', starts_in=5 * DAY, num_tickets=40, tickets_sold=39)
    full = make_show(theatre, name='hamlet', starts_in=4 * DAY, num_tickets=10, tickets_sold=10)
    make_show(theatre, name='Hamlet', starts_in=-DAY)  # already played
    make_show(make_theatre(manager), name='Hamlet', starts_in=6 * DAY)  # another theatre's
    make_show(theatre, name='Macbeth', starts_in=2 * DAY)
    await user.open(f'/shows/{show.id}')
    await user.should_see(marker='show-hero')
    assert texts(user, 'show-title') == ['Hamlet']
    assert texts(user, 'show-address') == ['21 Juhu Church Road\nMumbai 400049']
    assert texts(user, 'show-duration') == ['2 h 15 min']
    assert texts(user, 'show-language') == ['English']
    assert texts(user, 'show-age') == ['12+']
    assert texts(user, 'show-description') == ['A prince returns home.\nHis father is dead, his uncle on the throne.']
    await user.should_see(marker='poster-placeholder')
    links = elements(user, marker='other-date')
    assert [link.props['href'] for link in links] == [f'/shows/{full.id}', f'/shows/{later.id}']
    with user.scope(marker='other-dates'):
        await user.should_see('Housefull')
        await user.should_see('1 ticket left')


async def test_a_show_without_details_or_other_dates_has_a_plain_hero(user: User) -> None:
    manager = make_user(role=Role.MANAGER)
    show = make_show(make_theatre(manager), name='Macbeth')
    key = _give_poster(manager.id, show.id)
    await user.open(f'/shows/{show.id}')
    await user.should_see(marker='show-hero')
    (image,) = elements(user, marker='poster')
    assert image.props['src'] == f'/media/posters/{key}-480.webp' and image.props['alt'] == 'Macbeth'
    for absent in ('other-dates', 'show-description', 'show-address', 'show-duration', 'show-age'):
        await user.should_not_see(marker=absent)


async def test_the_pages_upload_route_refuses_a_body_over_its_limit_unread(user: User) -> None:
    manager = make_user(username='meera', role=Role.MANAGER)
    show = make_show(make_theatre(manager), name='Hamlet')
    await open_as(user, 'meera', '/manage')
    with user.scope(marker=f'manage-show-{show.id}'):
        user.find(marker='show-poster').click()
    await open_dialog(user, 'poster-dialog')
    (upload,) = elements(user, marker='poster-upload')
    url = upload.props['url']
    too_big = await user.http_client.post(url, files={'file': ('big.jpg', b'\0' * (17 * 1024 * 1024), 'image/jpeg')})
    assert too_big.status_code == 413
    assert _key_of(show.id) is None
    fine = await user.http_client.post(url, files={'file': ('poster.jpg', images.jpeg(), 'image/jpeg')})
    assert fine.status_code == 200
    await eventually(lambda: _key_of(show.id) is not None, message='the poster uploaded through the route')
