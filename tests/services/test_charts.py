"""Charts are real PNGs for empty and full theatres, for the right people, cached until their data changes; they
draw names in Indian scripts, in the palette, with readable text."""

import copy
import datetime as dt
import io
import struct
import warnings

import pytest
from matplotlib import font_manager
from PIL import Image

from models import BookingStatus, Role
from models.db import session_scope
from services import booking, cache, charts, summary
from services.chart_fonts import FAMILIES, LATIN, available, font_families
from services.errors import NotAllowed, NotFound
from services.kv import KV
from tests.conftest import unavailable
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
    assert (store.hits, store.misses) == (0, 2)  # the picture, and the figures it draws
    assert chart(manager.id, full.id, 'sales') == first
    assert (store.hits, store.misses) == (1, 2)
    chart(manager.id, full.id, 'trend')
    assert (store.hits, store.misses) == (2, 3)  # a picture of its own, from the same figures
    empty_chart = chart(manager.id, empty.id, 'sales')
    assert empty_chart != first and store.misses == 5  # a chart per theatre

    with session_scope() as s:
        booking.book(s, show_id=shows[2].id, user_id=buyer.id, tickets=5)
    after = chart(manager.id, full.id, 'sales')
    assert store.misses == 7 and after != first
    assert_png(after)
    assert chart(manager.id, empty.id, 'sales') == empty_chart and store.misses == 7  # another theatre's stays


def test_the_pages_chart_figures_are_cached_with_the_pictures(stage, store):
    manager, _, full, shows, buyer = stage
    with session_scope() as s:
        detail = charts.theatre_chart_data(s, actor_id=manager.id, theatre_id=full.id)
    assert [show.name for show in detail.top_shows] == [LONG_NAME, '$5 Comedy $', 'Hamlet', '$5 Comedy #1 $']
    assert sum(day.tickets for day in detail.days) == 19  # the cancelled booking left out
    assert chart(manager.id, full.id, 'trend') and store.hits == 1  # the picture drew the cached figures
    with session_scope() as s:
        booking.book(s, show_id=shows[2].id, user_id=buyer.id, tickets=5)
    with session_scope() as s:
        again = charts.theatre_chart_data(s, actor_id=manager.id, theatre_id=full.id)
    assert sum(day.tickets for day in again.days) == 24
    with pytest.raises(NotFound):
        with session_scope() as s:
            charts.theatre_chart_data(s, actor_id=make_user(role=Role.MANAGER).id, theatre_id=full.id)


def test_comparison_chart_is_cached_until_a_booking(stage, store):
    manager, _, _, shows, buyer = stage
    first = comparison(manager.id)
    misses = store.misses
    assert comparison(manager.id) == first and store.misses == misses
    with session_scope() as s:
        booking.book(s, show_id=shows[1].id, user_id=buyer.id, tickets=10)
    assert comparison(manager.id) != first and store.misses > misses


# --- Fonts: names in Indian scripts ---------------------------------------------------------------------------

INDIAN_NAMES = ['हिन्दी नाटक: अंधा युग', 'தமிழ் நாடகம்', 'ಕನ್ನಡ ರಂಗಭೂಮಿ', 'বাংলা যাত্রা']
SCRIPT_FONTS = ['Noto Sans Devanagari', 'Noto Sans Tamil', 'Noto Sans Kannada', 'Noto Sans Bengali']


@pytest.fixture
def indian(database):
    """A theatre named in Devanagari whose shows are named in four scripts, each with a booking."""
    manager, buyer = make_user(role=Role.MANAGER), make_user()
    theatre = make_theatre(manager, name='पृथ्वी थिएटर', place='मुंबई')
    make_theatre(manager, name='Kala Kshetra', place='Chennai')
    for name in INDIAN_NAMES:
        make_booking(buyer, make_show(theatre, name=name, num_tickets=40), tickets=3)
    return manager, theatre


def draw_every_chart(manager_id: int, theatre_id: int) -> tuple[list[bytes], list[str]]:
    """Every kind of chart image of the theatre, and the missing-glyph complaints drawing them raised (matplotlib
    warns 'Glyph 2361 (...) missing from font(s) DejaVu Sans.' for each character it has no font for)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        with session_scope() as s:
            detail = charts.theatre_chart_data(s, actor_id=manager_id, theatre_id=theatre_id)
            figures = summary.summary(s, actor_id=manager_id)
        days = [detail.days[0].day + dt.timedelta(days=n) for n in range(28)]
        images = [
            charts.render_sales(detail),
            charts.render_trend(detail),
            charts.render_comparison(figures),
            charts.render_month_trend('March', days, {detail.name: {days[3]: 4}, 'தமிழ் அரங்கம்': {days[5]: 2}}),
        ]
    return images, [str(w.message) for w in caught if 'missing from font' in str(w.message)]


def test_names_in_indian_scripts_draw_without_missing_glyphs(indian):
    found = font_families()
    if not set(SCRIPT_FONTS) <= set(found):
        unavailable(f'the Noto fonts for Indian scripts are not installed ({found}): apt-get install fonts-noto-core')
    manager, theatre = indian
    images, missing = draw_every_chart(manager.id, theatre.id)
    assert missing == []
    for image in images:
        assert_png(image)


def test_without_the_noto_fonts_the_charts_still_draw(indian, monkeypatch):
    """A machine without fonts-noto-core: the names show as boxes, matplotlib says so, and nothing fails."""
    monkeypatch.setattr(charts, 'font_families', lambda: (LATIN,))
    manager, theatre = indian
    images, missing = draw_every_chart(manager.id, theatre.id)
    assert any('DEVANAGARI' in complaint for complaint in missing)
    for image in images:
        assert_png(image)


def test_fonts_installed_after_matplotlib_listed_them_are_found():
    """matplotlib keeps its list of the machine's fonts (~/.cache/matplotlib); a Noto font missing from it is
    looked for among the font files and added, and a family that is nowhere is left out of the list."""
    if 'Noto Sans Devanagari' not in font_families():
        unavailable('Noto Sans Devanagari is not installed: apt-get install fonts-noto-core')
    stale = copy.copy(font_manager.fontManager)
    stale.ttflist = [entry for entry in stale.ttflist if entry.name != 'Noto Sans Devanagari']
    assert available(FAMILIES, stale, lambda: []) == tuple(f for f in font_families() if f != 'Noto Sans Devanagari')
    assert available(FAMILIES, stale, font_manager.findSystemFonts) == font_families()
    assert available(['Nowhere Sans', LATIN], stale, lambda: []) == (LATIN,)


# --- How the images look ------------------------------------------------------------------------------------


def colour_rows(image: bytes, colour: str) -> set[int]:
    """The pixel rows of the PNG that hold `colour` ('#4c1d95') exactly."""
    picture = Image.open(io.BytesIO(image)).convert('RGB')
    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    pixels = picture.load()
    return {y for y in range(picture.height) for x in range(0, picture.width, 2) if pixels[x, y] == wanted}


def test_the_trend_is_two_panels_tickets_above_revenue(stage):
    """No line on a second axis over the bars: the tickets' bars (violet) all sit above the revenue's (teal)."""
    manager, _, full, _, _ = stage
    image = chart(manager.id, full.id, 'trend')
    width, height = assert_png(image)
    assert (width, height) == (880, 528)
    tickets, revenue = colour_rows(image, charts.LIGHT.primary), colour_rows(image, charts.LIGHT.secondary)
    assert tickets and revenue
    assert max(tickets) < min(revenue)


def test_the_images_use_the_palette_on_white(stage):
    manager, _, full, _, _ = stage
    for image in (chart(manager.id, full.id, 'sales'), comparison(manager.id)):
        picture = Image.open(io.BytesIO(image)).convert('RGB')
        assert picture.getpixel((0, picture.height - 1)) == (255, 255, 255)
        assert colour_rows(image, charts.LIGHT.primary)
    assert colour_rows(chart(manager.id, full.id, 'sales'), charts.LIGHT.primary_soft)  # the tickets offered


def test_text_is_at_least_11_points():
    """At 110 dpi, 11 pt is 17 px: what an email shows at 560 px wide still reads."""
    sizes = {key: value for key, value in charts.STYLE.items() if key.endswith('size')}
    assert sizes and min(sizes.values()) >= 11


def test_latin_text_is_drawn_with_dejavu_alone_and_other_scripts_keep_the_fallback_fonts() -> None:
    """A chart whose words DejaVu Sans covers skips the fallback list (a third of its layout time); one word in
    another script keeps the whole list, so that word still gets its font."""
    from services.chart_fonts import latin_covers

    assert latin_covers('Tickets booked per day · November 2026 — Théâtre Ödeon, 12 Déc')
    assert not latin_covers('नाटक')
    assert not latin_covers('Hamlet தமிழ்')
