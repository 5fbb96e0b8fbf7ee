"""The seat heat map of the managers' summary (issue 15): how early each seat sells across a theatre's reserved
shows, worked out by hand for two shows; who may see it; the empty cases; and the picture, a real PNG."""

import datetime as dt
import io

import numpy as np
import pytest
from PIL import Image

from models import Role, SeatKind
from models.db import session_scope, utcnow
from services import booking, cache
from services.errors import NotAllowed, NotFound
from services.kv import KV
from services.seating import heat, heat_chart
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services.test_seating import HOUSE, HOUSE_SEATS, create_reserved, put_map, seat_ids

T0 = utcnow().replace(microsecond=0) + dt.timedelta(hours=1)  # bookings are made at T0 + minutes, shows start later
SHOW_STARTS = T0 + dt.timedelta(days=3)
# The heat scale's colours at 0 (sells first), 0.5, 0.75 and 1 (sells last), and never sold.
WARM, MIDDLE, TEAL, COOL = (0xB9, 0x1C, 0x1C), (0xEA, 0xB3, 0x08), (0x14, 0xB8, 0xA6), (0x1D, 0x4E, 0xD8)
GREY = (0xD1, 0xD5, 0xDB)
STAGE = (0x33, 0x41, 0x55)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def book(buyer, show_id: int, names: list[str], ids: dict[str, int], *, minutes: int) -> int:
    with session_scope() as s:
        return booking.book(
            s, show_id=show_id, user_id=buyer.id, seats=[ids[n] for n in names], now=at(minutes), send_email=False
        ).id


def cancel(buyer, booking_id: int) -> None:
    with session_scope() as s:
        booking.cancel_booking(s, booking_id=booking_id, user_id=buyer.id, now=at(30))


def heat_of(actor_id: int, theatre_id: int) -> heat.SeatHeat:
    with session_scope() as s:
        return heat.seat_heat(s, actor_id=actor_id, theatre_id=theatre_id)


def chart(actor_id: int, theatre_id: int) -> bytes | None:
    with session_scope() as s:
        return heat_chart.seat_heat_chart(s, actor_id=actor_id, theatre_id=theatre_id)


def by_name(result: heat.SeatHeat) -> dict[str, heat.SeatHeatSeat]:
    return {seat.name: seat for seat in result.seats}


def pixels(png: bytes, *, map_only: bool = False) -> np.ndarray:
    """The picture as an RGB array; `map_only` leaves out the colour bar along the bottom."""
    image = np.asarray(Image.open(io.BytesIO(png)).convert('RGB')).astype(int)
    return image[: int(image.shape[0] * 0.7)] if map_only else image


def where(image: np.ndarray, colour: tuple[int, int, int]) -> tuple[float, float] | None:
    """The centre (x, y) of the pixels of this colour (give or take 3 in each channel), None when there are none."""
    ys, xs = np.nonzero(np.abs(image - np.array(colour)).max(axis=2) <= 3)
    return (float(xs.mean()), float(ys.mean())) if len(xs) else None


def build_house():
    """Two reserved shows of one theatre with a known order of sale, plus what must not count: a cancelled booking,
    a reserved show nobody bought, a general-admission show's bookings and another theatre's reserved show."""
    manager, buyer = make_user(role=Role.MANAGER), make_user()
    theatre = make_theatre(manager, name='Prithvi')
    put_map(manager, theatre, HOUSE)
    ids = seat_ids(theatre)
    first = create_reserved(manager, theatre, starts_at=SHOW_STARTS, now=T0)
    second = create_reserved(manager, theatre, starts_at=SHOW_STARTS, now=T0)
    create_reserved(manager, theatre, starts_at=SHOW_STARTS, now=T0)  # reserved, nothing sold: not counted
    # First show: Stalls C1's booking comes first but is cancelled, so it neither counts nor moves the others.
    cancel(buyer, book(buyer, first.id, ['Stalls C1'], ids, minutes=0))
    book(buyer, first.id, ['Stalls A1', 'Stalls A2'], ids, minutes=1)  # rank 0
    book(buyer, first.id, ['Stalls B1'], ids, minutes=2)  # rank 0.5
    book(buyer, first.id, ['Circle A1'], ids, minutes=3)  # rank 1
    # Second show: created_at orders the sales, not the booking id; a tie in created_at goes to the lower id.
    book(buyer, second.id, ['Stalls B1', 'Circle A1'], ids, minutes=6)  # rank 0.5 (same minute as A3, lower id)
    book(buyer, second.id, ['Stalls A1'], ids, minutes=5)  # rank 0, though booked after the one above
    book(buyer, second.id, ['Stalls A3'], ids, minutes=6)  # rank 1
    general = make_show(theatre, name='Open seating')
    make_booking(buyer, general, tickets=4)
    elsewhere = make_theatre(manager, name='Elsewhere')
    put_map(manager, elsewhere, HOUSE)
    other = create_reserved(manager, elsewhere, starts_at=SHOW_STARTS, now=T0)
    book(buyer, other.id, ['Stalls C6'], seat_ids(elsewhere), minutes=1)
    return manager, buyer, theatre


@pytest.fixture
def house(database):
    return build_house()


def test_each_seat_gets_its_mean_rank_and_the_shows_it_sold_in(any_db):
    """The ranking is SQL (window functions): on SQLite and on PostgreSQL."""
    manager, _, theatre = build_house()
    result = heat_of(manager.id, theatre.id)
    assert result.shows == 2
    assert len(result.seats) == HOUSE_SEATS
    seats = by_name(result)
    expected = {  # name: (mean rank, shows sold in, score over both shows with an unsold show counting as 1)
        'Stalls A1': (0.0, 2, 0.0),
        'Stalls A2': (0.0, 1, 0.5),
        'Stalls B1': (0.5, 2, 0.5),
        'Circle A1': (0.75, 2, 0.75),
        'Stalls A3': (1.0, 1, 1.0),
    }
    for name, (mean_rank, shows_sold, score) in expected.items():
        seat = seats[name]
        assert seat.mean_rank == pytest.approx(mean_rank), name
        assert (seat.shows_sold, seat.shows_counted) == (shows_sold, 2), name
        assert seat.score == pytest.approx(score), name
    never = [seat for name, seat in seats.items() if name not in expected]
    assert 'Stalls C1' in {seat.name for seat in never}  # its only booking was cancelled
    assert all(seat.mean_rank is None and seat.shows_sold == 0 and seat.score == 1.0 for seat in never)
    a1 = seats['Stalls A1']
    assert (a1.section, a1.row, a1.kind, a1.x, a1.y) == ('Stalls', 'A', SeatKind.STANDARD, 0.0, 0.0)
    assert [seat.name for seat in result.seats][:2] == ['Stalls A1', 'Stalls A2']  # the map's order
    assert result.stage is not None and result.stage.y < 0  # drawn above row A, as the map places it


def test_a_show_with_one_booking_ranks_it_first(any_db):
    manager, buyer = make_user(role=Role.MANAGER), make_user()
    theatre = make_theatre(manager)
    put_map(manager, theatre, HOUSE)
    ids = seat_ids(theatre)
    show = create_reserved(manager, theatre, starts_at=SHOW_STARTS, now=T0)
    book(buyer, show.id, ['Circle B4', 'Circle B3'], ids, minutes=1)
    seats = by_name(heat_of(manager.id, theatre.id))
    assert seats['Circle B4'].mean_rank == 0.0 and seats['Circle B4'].score == 0.0
    assert seats['Circle B3'].shows_sold == 1


def test_only_the_manager_of_the_theatre_or_an_admin_sees_it(house):
    _, buyer, theatre = house
    other_manager, admin = make_user(role=Role.MANAGER), make_user(role=Role.ADMIN)
    with pytest.raises(NotFound):
        heat_of(other_manager.id, theatre.id)
    with pytest.raises(NotFound):
        chart(other_manager.id, theatre.id)
    with pytest.raises(NotAllowed):
        heat_of(buyer.id, theatre.id)
    assert heat_of(admin.id, theatre.id).shows == 2


def test_a_theatre_without_a_map_or_without_reserved_sales_has_nothing_to_show(database):
    manager, buyer = make_user(role=Role.MANAGER), make_user()
    plain = make_theatre(manager, name='No map')
    make_booking(buyer, make_show(plain), tickets=2)
    no_map = heat_of(manager.id, plain.id)
    assert no_map.empty and no_map.stage is None and no_map.seats == () and no_map.shows == 0
    mapped = make_theatre(manager, name='Mapped')
    put_map(manager, mapped, HOUSE)
    no_shows = heat_of(manager.id, mapped.id)
    assert no_shows.empty and no_shows.stage is not None
    show = create_reserved(manager, mapped, starts_at=SHOW_STARTS, now=T0)
    cancel(buyer, book(buyer, show.id, ['Stalls A1'], seat_ids(mapped), minutes=1))
    assert heat_of(manager.id, mapped.id).empty  # a cancelled booking is no sale
    assert chart(manager.id, plain.id) is None
    assert chart(manager.id, mapped.id) is None
    with session_scope() as s:
        listed = heat.mapped_theatres(s, actor_id=manager.id, theatre_ids=[plain.id, mapped.id])
    assert listed == [mapped.id]


def test_the_picture_is_a_png_with_warm_seats_and_grey_unsold_ones(house):
    manager, _, theatre = house
    png = chart(manager.id, theatre.id)
    assert png is not None and png.startswith(b'\x89PNG\r\n\x1a\n')
    image = Image.open(io.BytesIO(png))
    image.verify()
    assert image.format == 'PNG'
    width, height = image.size
    assert width == 880  # 8 inches at 110 dpi, like the summary's other charts
    assert 370 <= height <= 880
    image = pixels(png, map_only=True)
    first, middle, teal, last = (where(image, c) for c in (WARM, MIDDLE, TEAL, COOL))
    assert first and middle and teal and last and where(image, GREY) and where(image, STAGE)
    stage = where(image, STAGE)
    assert stage is not None and stage[1] < first[1]  # the stage above row A: y grows downwards, as on the map
    assert first[0] < last[0]  # Stalls A1 (sold first in both shows) left of A3 (sold last in the one it sold in)
    assert abs(first[1] - last[1]) < 2  # in the same row
    assert middle[1] > first[1]  # Stalls A2 and B1 (0.5) are in rows A and B: their middle is lower
    assert teal[1] > middle[1] + 50  # Circle A1 (0.75), behind the stalls


def test_an_empty_picture_says_so():
    png = heat_chart.render_seat_heat(heat.SeatHeat(1, 'Prithvi', 0, (), None))
    image = Image.open(io.BytesIO(png))
    assert image.format == 'PNG' and image.size == (880, 330)
    assert where(pixels(png), WARM) is None and where(pixels(png), STAGE) is None


def test_a_big_map_is_drawn_at_the_same_width_and_a_bounded_height():
    seats = tuple(
        heat.SeatHeatSeat(n, f'Arena {n}', 'Arena', str(n // 200), SeatKind.STANDARD, n % 200, n // 200, None, 0, 3)
        for n in range(20_000)
    )
    png = heat_chart.render_seat_heat(heat.SeatHeat(1, 'Stadium', 3, seats, None))
    width, height = Image.open(io.BytesIO(png)).size
    assert width == 880 and 374 <= height <= 880
    assert where(pixels(png, map_only=True), GREY) and where(pixels(png, map_only=True), WARM) is None


@pytest.fixture
def store():
    yield cache.configure(KV(None), ttl=60)
    cache.configure(None)


def test_the_picture_is_cached_until_a_booking_changes_it(house, store):
    manager, buyer, theatre = house
    first = chart(manager.id, theatre.id)
    hits = store.hits
    assert chart(manager.id, theatre.id) == first
    assert store.hits == hits + 1
    make_theatre(manager)  # a change elsewhere leaves this picture cached
    assert chart(manager.id, theatre.id) == first
    show = create_reserved(manager, theatre, starts_at=SHOW_STARTS, now=T0)
    book(buyer, show.id, ['Circle B4'], seat_ids(theatre), minutes=9)
    assert chart(manager.id, theatre.id) != first
    assert heat_of(manager.id, theatre.id).shows == 3
