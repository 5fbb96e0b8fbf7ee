"""Charts are real PNGs for empty and full theatres, for the right people, cached until their data changes."""

import struct

import pytest

from models import BookingStatus, Role
from models.db import session_scope
from services import booking, cache, charts
from services.errors import NotAllowed, NotFound
from services.kv import KV
from tests.factories import make_booking, make_show, make_theatre, make_user

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
LONG_NAME = 'The Extraordinarily Long and Winding Tale of the Travelling Players of Old Bombay, Part Two'


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which a valid PNG has first, right after the signature."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack('>I4s', data[8:16])
    assert (length, kind) == (13, b'IHDR')
    return struct.unpack('>II', data[16:24])


def assert_png(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE) and len(data) > 5000
    assert data.endswith(b'IEND\xaeB`\x82')
    width, height = png_size(data)
    assert 600 <= width <= 2000 and 250 <= height <= 2000
    return width, height


@pytest.fixture
def stage(database):
    manager, buyer = make_user(role=Role.MANAGER), make_user()
    empty = make_theatre(manager, name='Empty Hall')
    full = make_theatre(manager, name='$5 Comedy #1 $ Club', place='$ Mumbai #2 $')
    shows = [
        make_show(full, name='$5 Comedy $', num_tickets=40, price_cents=500),
        make_show(full, name=LONG_NAME, num_tickets=100, price_cents=30000),
        make_show(full, name='Hamlet', num_tickets=60, price_cents=25000),
        make_show(full, name='$5 Comedy #1 $', num_tickets=30, price_cents=20000),  # not valid TeX
    ]
    for show, tickets in zip(shows, (6, 9, 3, 1), strict=True):
        make_booking(buyer, show, tickets=tickets)
    make_booking(buyer, shows[2], tickets=2, status=BookingStatus.CANCELLED)
    return manager, empty, full, shows, buyer


@pytest.fixture
def store(database):
    yield cache.configure(KV(None), ttl=60)
    cache.configure(None)


def chart(actor_id: int, theatre_id: object, kind: str) -> bytes:
    with session_scope() as s:
        return charts.theatre_chart(s, actor_id=actor_id, theatre_id=theatre_id, kind=kind)


def comparison(actor_id: int) -> bytes:
    with session_scope() as s:
        return charts.comparison_chart(s, actor_id=actor_id)


@pytest.mark.parametrize('kind', ['trend', 'sales'])
def test_theatre_charts_empty_and_full(stage, kind):
    manager, empty, full, _, _ = stage
    nothing = chart(manager.id, empty.id, kind)
    something = chart(manager.id, full.id, kind)
    assert_png(nothing)
    width, _ = assert_png(something)
    assert width == 880  # 8 inches at 110 dpi
    assert nothing != something


def test_sales_chart_grows_with_the_number_of_shows(stage):
    manager, _, full, _, _ = stage
    _, four_shows = png_size(chart(manager.id, full.id, 'sales'))
    for n in range(6):
        make_show(full, name=f'Extra {n}')
    _, ten_shows = png_size(chart(manager.id, full.id, 'sales'))
    assert ten_shows > four_shows


def test_comparison_chart_empty_and_full(stage):
    manager = stage[0]
    newcomer, unbooked = make_user(role=Role.MANAGER), make_user(role=Role.MANAGER)
    make_show(make_theatre(unbooked, name='Quiet $ House'))
    no_theatres, no_bookings, full = comparison(newcomer.id), comparison(unbooked.id), comparison(manager.id)
    for data in (no_theatres, no_bookings, full):
        assert_png(data)
    assert len({no_theatres, no_bookings, full}) == 3
    assert_png(comparison(make_user(role=Role.ADMIN).id))


def test_charts_only_for_their_managers_and_admins(stage):
    _, empty, full, _, _ = stage
    other, member, admin = make_user(role=Role.MANAGER), make_user(), make_user(role=Role.ADMIN)
    for theatre_id in (full.id, empty.id, 999999, 'x'):
        with pytest.raises(NotFound, match='No such theatre'):
            chart(other.id, theatre_id, 'sales')
    with pytest.raises(NotAllowed):
        chart(member.id, full.id, 'trend')
    with pytest.raises(NotAllowed):
        comparison(member.id)
    assert_png(chart(admin.id, full.id, 'trend'))


def test_an_unknown_kind_of_chart_is_refused(stage):
    manager, _, full, _, _ = stage
    with pytest.raises(ValueError, match='bogus'):
        chart(manager.id, full.id, 'bogus')


def test_a_chart_is_cached_until_its_theatre_has_a_booking(stage, store):
    manager, empty, full, shows, buyer = stage
    first = chart(manager.id, full.id, 'sales')
    assert (store.hits, store.misses) == (0, 1)
    assert chart(manager.id, full.id, 'sales') == first
    assert (store.hits, store.misses) == (1, 1)
    empty_chart = chart(manager.id, empty.id, 'sales')
    assert empty_chart != first and store.misses == 2  # a chart per theatre

    with session_scope() as s:
        booking.book(s, show_id=shows[2].id, user_id=buyer.id, tickets=5)
    after = chart(manager.id, full.id, 'sales')
    assert store.misses == 3 and after != first
    assert_png(after)
    assert chart(manager.id, empty.id, 'sales') == empty_chart and store.misses == 3  # another theatre's stays


def test_comparison_chart_is_cached_until_a_booking(stage, store):
    manager, _, _, shows, buyer = stage
    first = comparison(manager.id)
    misses = store.misses
    assert comparison(manager.id) == first and store.misses == misses
    with session_scope() as s:
        booking.book(s, show_id=shows[1].id, user_id=buyer.id, tickets=10)
    assert comparison(manager.id) != first and store.misses > misses
