"""Reserved seating on a 2,000-seat map: the picker in a browser, and seats sold per second in a race for them.

    make bench-seating     # or: .venv/bin/python -m bench.seating [--seconds S] [--loads N] [--clicks N]
                           #     [--database-url URL | --postgres URL] [--no-browser]

Seeds a fresh SQLite database (or --database-url / --postgres, an empty one) with a theatre whose map has 2,000
seats (Stalls 25 rows of 40, Circle 20 rows of 50), a few reserved shows on it and one general-admission show
elsewhere, starts the real app (main.py as a subprocess on a loopback port) and prints:
- the picker in headless Chromium (selenium, /usr/bin/chromium), logged in, desktop 1280×800: time from
  navigation (performance.now(), so the server's answer is included) until the seat map's SVG holds all 2,000
  circles, median of --loads loads after one warm-up; the baseline is the same page for a general-admission
  show until its booking form's 'Book now' button is drawn;
- a click on a free seat until that seat is drawn as chosen (its circle's fill turns #047857): the hold's
  transaction, the picker reloading the show's seats and redrawing the 2,000-seat SVG, the websocket both ways;
  median of --clicks clicks (up to 10, a hold's limit). The baseline is a click on a seat someone else holds
  until its 'is not free' notification appears: the same click, websocket and seat lookup on the server, without
  the transaction and the redraw. Each click is dispatched by JavaScript at the seat's circle and timed in the
  page (a MutationObserver), interleaved with the baseline's;
- seats booked per second through HTTP with 8 and 32 clients (each its own connection and bearer token), each
  booking 2–4 random free seats (POST /api/v1/shows/{id}/bookings {"seats": [...]}), each level on a fresh
  show until sold out or --seconds: seats/s, bookings/s, refusals (409), busy (503, retried after its
  Retry-After), p50/p95 of every POST. The clients share what the answers told them (seats booked, seats a
  refusal names), so a refusal is a real race between requests in flight, not a stale map;
- the ceiling measured in the same run: `services.booking.book(..., seats=[...])` in a transaction of its own
  (as the API runs it) called directly, without HTTP, from 1 and 8 threads, each on a fresh show, the same way
  until sold out; the better of the two is the ceiling, and each HTTP line's ratio to it.
Then checks each raced show: no seat sold twice, and its count and its free seats agree with the bookings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import Engine, select, text

from bench.exports import p95, start_app
from bench.report import Figure
from bench.seed import seed
from models import Show, db
from models.db import session_scope, utcnow
from models.migrate import upgrade
from services import booking, shows
from services.config import get_settings
from services.errors import Busy
from services.seating import SeatsTaken, holds, layout, maps
from services.workers import in_transaction

SECTIONS = [('Stalls', 25, 40), ('Circle', 20, 50)]
SEATS = sum(rows * per_row for _, rows, per_row in SECTIONS)
USERS = 40  # user0: the browser; user1: holds the seats the baseline clicks; user2…: the racers and the loop
CLIENTS = (8, 32)  # HTTP clients racing
THREADS = (1, 8)  # threads calling the service directly, for the ceiling
MINE = '#047857'  # ui.seat_map.MINE: a seat of one's own hold
CHROMIUM = os.environ.get('TICKETSHOW_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('TICKETSHOW_CHROMEDRIVER', '/usr/bin/chromedriver')
CHROME_FLAGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-dev-shm-usage',
    '--lang=en-US',
    '--window-size=1280,800',
]

# Installed before every page's own scripts: notes when (ms since navigation start) the seat map first holds all
# its circles and when a 'Book now' button is first drawn.
_WATCH_JS = """
window.__drawn = {};
const wanted = %d;
const watch = new MutationObserver(() => {
  if (window.__drawn.map === undefined && document.querySelectorAll('.seat-map svg circle').length >= wanted) {
    window.__drawn.map = performance.now();
  }
  if (window.__drawn.form === undefined
      && [...document.querySelectorAll('button')].some((b) => b.textContent.includes('Book now'))) {
    window.__drawn.form = performance.now();
  }
});
watch.observe(document, {childList: true, subtree: true});
"""

# Click the seat whose circle sits at (cx, cy) (the SVG's attributes, as drawn) and time, in the page, until
# either that seat is drawn with the 'mine' fill or a notification says `notice`; -1 after 15 s.
_CLICK_JS = """
const [cx, cy, notice, mine] = arguments;
const done = arguments[arguments.length - 1];
const img = document.querySelector('.seat-map img');
const svg = document.querySelector('.seat-map svg');
const scale = img.clientWidth / svg.viewBox.baseVal.width;
const seen = notice
  ? () => [...document.querySelectorAll('.q-notification')].some((n) => n.textContent.includes(notice))
  : () => {
      const circle = svg.querySelector(`circle[cx="${cx}"][cy="${cy}"]`);
      return circle !== null && circle.getAttribute('fill') === mine;
    };
let finished = false;
const finish = (value) => { if (!finished) { finished = true; watch.disconnect(); done(value); } };
const began = performance.now();
const watch = new MutationObserver(() => { if (seen()) finish(performance.now() - began); });
watch.observe(document.body, {childList: true, subtree: true, attributes: true, characterData: true});
const box = img.getBoundingClientRect();
img.dispatchEvent(new MouseEvent('click', {
  bubbles: true, clientX: box.left + parseFloat(cx) * scale, clientY: box.top + parseFloat(cy) * scale,
}));
setTimeout(() => finish(-1), 15000);
"""

# The (cx, cy) attributes of the circle whose tooltip starts with the seat's name.
_FIND_SEAT_JS = """
const circle = [...document.querySelectorAll('.seat-map svg circle')]
  .find((c) => (c.querySelector('title')?.textContent || '').startsWith(arguments[0] + ':'));
return circle ? [circle.getAttribute('cx'), circle.getAttribute('cy')] : null;
"""


@dataclass
class Stage:
    """What the database holds for the run."""

    manager_id: int
    user_ids: list[int]  # user0, user1, … in order
    general: int  # a general-admission show
    picker: int  # reserved: the browser's
    warm_up: int  # reserved: the direct loop's first booking
    ceilings: dict[int, int]  # threads → a reserved show for the direct loop
    races: dict[int, int]  # clients → a reserved show of its own
    seat_ids: list[int]
    names: dict[int, str]  # seat id → 'Stalls M20'
    free_clicks: list[str] = field(default_factory=list)  # seats the browser clicks to choose
    held_clicks: list[str] = field(default_factory=list)  # seats user1 holds, which the browser clicks as well


def stage(engine: Engine) -> Stage:
    """The map on one theatre, the shows, and user1's hold on the picker's show."""
    ids = seed(engine, shows=1, bookings=0, managers=1, users=USERS, theatres_per_manager=2)
    if engine.dialect.name == 'postgresql':  # the seed writes its ids itself: the services' inserts come after them
        with engine.begin() as conn:
            for table in ('users', 'theatres', 'shows'):
                latest = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                conn.execute(text(latest))
    manager_id = ids['manager_id']
    user_ids = [ids['user_id'] + i for i in range(USERS)]
    with session_scope() as session:
        taken = session.scalar(select(Show.theatre_id).where(Show.id == 1))
    plain, seated = (2, 1) if taken == 1 else (1, 2)
    body = layout.generate(SECTIONS)
    with session_scope() as session:
        view = maps.put_seatmap(session, actor_id=manager_id, theatre_id=seated, body=body)
    assert view.seats == SEATS, view.seats
    with session_scope() as session:
        rows = maps.seat_rows(session, seated)
        seat_ids = [seat.id for seat in rows]
        names = {seat.id: seat.name for seat in rows}

    def create(theatre_id: int, name: str, **extra: Any) -> int:
        with session_scope() as session:
            return shows.create_show(
                session,
                actor_id=manager_id,
                theatre_id=theatre_id,
                name=name,
                rating='4',
                tags='drama',
                ticket_price='250',
                num_tickets=extra.pop('num_tickets', None),
                starts_at=utcnow() + dt.timedelta(days=3),
                **extra,
            ).id

    general = create(plain, 'Hamlet', num_tickets='1000')
    picker = create(seated, 'Hamlet', seating='reserved', section_prices={'Circle': '400'})
    warm_up = create(seated, 'Warm-up', seating='reserved')
    ceilings = {threads: create(seated, f'Direct with {threads}', seating='reserved') for threads in THREADS}
    races = {clients: create(seated, f'Race of {clients}', seating='reserved') for clients in CLIENTS}
    # The browser chooses seats in the middle of Stalls row M; user1 holds the ten behind them, in row N.
    free_clicks = [f'Stalls M{n}' for n in range(16, 26)]
    held_clicks = [f'Stalls N{n}' for n in range(16, 26)]
    by_name = {name: seat_id for seat_id, name in names.items()}
    with session_scope() as session:
        holds.hold_seats(session, show_id=picker, user_id=user_ids[1], seats=[by_name[n] for n in held_clicks])
    return Stage(
        manager_id, user_ids, general, picker, warm_up, ceilings, races, seat_ids, names, free_clicks, held_clicks
    )


# --- the browser --------------------------------------------------------------------------------------------


@dataclass
class BrowserFigures:
    picker_ms: list[float]
    general_ms: list[float]
    choose_ms: list[float]
    refuse_ms: list[float]


def browser(base: str, run: Stage, *, loads: int, clicks: int) -> BrowserFigures:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        driver.set_window_size(1280, 800)
        inner = driver.execute_script('return [window.innerWidth, window.innerHeight]')
        driver.set_window_size(2 * 1280 - inner[0], 2 * 800 - inner[1])
        driver.set_script_timeout(30)
        wait = WebDriverWait(driver, 30, poll_frequency=0.05)
        driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': _WATCH_JS % SEATS})

        driver.get(base + '/login')
        username = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, 'input[aria-label="Username"]'))
        wait.until(lambda d: d.execute_script('return !!(window.socket && window.socket.connected)'))
        username.send_keys('user0')
        password = driver.find_element(By.CSS_SELECTOR, 'input[aria-label="Password"]')
        password.send_keys('bench-password\n')
        wait.until(lambda d: d.current_url.rstrip('/') == base)

        def load(show_id: int, what: str) -> float:
            driver.get(f'{base}/shows/{show_id}')
            return float(wait.until(lambda d: d.execute_script(f'return window.__drawn.{what}')))

        load(run.general, 'form')  # warm-up: the app's scripts and styles into the cache, the page's code paths
        load(run.picker, 'map')
        general_ms, picker_ms = [], []
        for _ in range(loads):
            general_ms.append(load(run.general, 'form'))
            picker_ms.append(load(run.picker, 'map'))

        # The last load is the picker: choose seats one click at a time, each after a click on a held seat.
        wait.until(lambda d: d.execute_script('return !!(window.socket && window.socket.connected)'))
        choose_ms, refuse_ms = [], []
        for free, held in list(zip(run.free_clicks, run.held_clicks, strict=True))[:clicks]:
            cx, cy = driver.execute_script(_FIND_SEAT_JS, held)
            refuse_ms.append(float(driver.execute_async_script(_CLICK_JS, cx, cy, f'{held} is not free', MINE)))
            time.sleep(0.3)
            cx, cy = driver.execute_script(_FIND_SEAT_JS, free)
            choose_ms.append(float(driver.execute_async_script(_CLICK_JS, cx, cy, '', MINE)))
            time.sleep(0.3)
        if min(choose_ms + refuse_ms) < 0:
            raise SystemExit(f'a click was never answered: chosen {choose_ms}, refused {refuse_ms}')
        chosen = driver.execute_script(
            'return [...document.querySelectorAll(".seat-map svg circle")]'
            f'.filter((c) => c.getAttribute("fill") === "{MINE}").length'
        )
        assert chosen == len(choose_ms), f'{chosen} seats drawn as chosen after {len(choose_ms)} clicks'
        return BrowserFigures(picker_ms, general_ms, choose_ms, refuse_ms)
    finally:
        driver.quit()


# --- the race through HTTP and the direct loop --------------------------------------------------------------

# One try of worker `index` to book `seats`: (status as HTTP would say it, the seats booked or the seats the
# refusal names, seconds to wait before the next try).
Attempt = Callable[[int, list[int]], tuple[int, list[int], float]]


@dataclass
class Race:
    wall: float = 0.0
    seats: int = 0
    bookings: int = 0
    refusals: int = 0  # 409: a seat asked for was taken
    busy: int = 0  # 503: refused before it started, the write queue being longer than the lock timeout
    latencies: list[float] = field(default_factory=list)  # ms per try, whatever its answer
    sold: list[int] = field(default_factory=list)  # seat ids booked


def race(workers: int, free: set[int], attempt: Attempt, *, seconds: float) -> Race:
    """`workers` threads book 2–4 random seats of `free` until none is left or `seconds` pass.

    The workers share what the answers tell them (the seats each booking got, the seats each refusal names), so
    a seat is asked for only while no answer has said it is taken: a refusal is a real race between tries in
    flight. A busy answer is counted and tried again after the pause it asks for.
    """
    free = set(free)
    result = Race()
    lock = threading.Lock()
    start = threading.Barrier(workers + 1)
    failures: list[str] = []
    deadline = [0.0]

    def work(index: int) -> None:
        rng = random.Random(index)
        mine = Race()
        start.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                if not free:
                    break
                want = sorted(rng.sample(sorted(free), min(len(free), rng.randint(2, 4))))
            began = time.perf_counter()
            try:
                status, seats, pause = attempt(index, want)
            except Exception as error:  # noqa: BLE001 - carried to the main thread and raised there
                failures.append(repr(error))
                break
            mine.latencies.append((time.perf_counter() - began) * 1000)
            if status == 201:
                if sorted(seats) != want:
                    failures.append(f'asked for {want}, booked {seats}')
                mine.sold += seats
                mine.seats += len(seats)
                mine.bookings += 1
            elif status == 409:
                mine.refusals += 1
                if not seats:
                    failures.append(f'a refusal of {want} names no seat')
            elif status == 503:
                mine.busy += 1
            else:
                failures.append(f'{status} for {want}')
                break
            with lock:
                free.difference_update(seats)
            time.sleep(pause)
        with lock:
            result.latencies += mine.latencies
            result.sold += mine.sold
            result.seats += mine.seats
            result.bookings += mine.bookings
            result.refusals += mine.refusals
            result.busy += mine.busy

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - began
    if failures:
        raise SystemExit(f'the race went wrong: {failures[:3]}')
    return result


def free_seats(client: httpx.Client, show_id: int) -> set[int]:
    response = client.get(f'/api/v1/shows/{show_id}/seats')
    assert response.status_code == 200, response.text
    rows = [row for section in response.json()['sections'] for row in section['rows']]
    return {seat['id'] for row in rows for seat in row['seats'] if seat['status'] == 'free'}


def over_http(base: str, tokens: list[str], show_id: int, *, seconds: float) -> Race:
    """One client per token, each its own connection, through POST /api/v1/shows/{id}/bookings."""
    clients = [httpx.Client(base_url=base, timeout=60, headers={'Authorization': f'Bearer {t}'}) for t in tokens]
    free: set[int] = set()
    for client in clients:  # each loads the map first, untimed (and opens its connection)
        free = free_seats(client, show_id)
    assert len(free) == SEATS, len(free)

    def attempt(index: int, want: list[int]) -> tuple[int, list[int], float]:
        response = clients[index].post(f'/api/v1/shows/{show_id}/bookings', json={'seats': want})
        if response.status_code == 201:
            return 201, [ticket['seat']['id'] for ticket in response.json()['tickets']], 0.0
        if response.status_code == 409:
            return 409, list(response.json().get('seats') or []), 0.0
        if response.status_code == 503:
            return 503, [], float(response.headers.get('Retry-After', '1'))
        raise AssertionError(f'{response.status_code}: {response.text}')

    try:
        return race(len(clients), free, attempt, seconds=seconds)
    finally:
        for client in clients:
            client.close()


def directly(workers: int, user_ids: list[int], show_id: int, seat_ids: list[int], *, seconds: float) -> Race:
    """`booking.book` in a transaction of its own, as the API runs it (services.workers.in_transaction), without
    HTTP, from `workers` threads of this process."""

    def attempt(index: int, want: list[int]) -> tuple[int, list[int], float]:
        kwargs = {'show_id': show_id, 'user_id': user_ids[index], 'seats': want}
        try:
            made = in_transaction(booking.book, kwargs)
        except SeatsTaken as taken:
            return 409, cast(list[int], taken.extra['seats']), 0.0
        except Busy as busy:
            return 503, [], float(busy.retry_after)
        return 201, [ticket.seat_id for ticket in made.tickets if ticket.seat_id is not None], 0.0

    return race(workers, set(seat_ids), attempt, seconds=seconds)


def check_sold(base: str, show_id: int, outcome: Race) -> None:
    """Every seat of the show sold at most once; the show's count and its free seats agree with the bookings."""
    twice = [seat for seat, times in Counter(outcome.sold).items() if times > 1]
    assert not twice, f'seats sold twice: {twice[:10]}'
    with httpx.Client(base_url=base, timeout=60) as client:
        show = client.get(f'/api/v1/shows/{show_id}').json()
        left = free_seats(client, show_id)
    assert show['tickets_sold'] == outcome.seats, (show['tickets_sold'], outcome.seats)
    assert len(left) == SEATS - outcome.seats, (len(left), SEATS - outcome.seats)


# --- the table ----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=60.0, help='at most this long per race (else: sold out)')
    parser.add_argument('--loads', type=int, default=5, help='page loads per kind of show')
    parser.add_argument('--clicks', type=int, default=10, help='clicks of each kind (at most 10)')
    parser.add_argument('--database-url', '--postgres', default=None, help='an empty database; default: SQLite')
    parser.add_argument('--no-browser', action='store_true', help='leave the browser figures out')
    parser.add_argument('--json', default=None, help='also write the race figures here (for make bench)')
    args = parser.parse_args()
    clicks = max(1, min(10, args.clicks))

    load_before = os.getloadavg()[0]  # the figures are only as quiet as the machine
    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    os.environ['TICKETSHOW_BCRYPT_ROUNDS'] = '4'  # logins are not what is measured
    get_settings.cache_clear()
    url = args.database_url or f'sqlite:///{workdir / "bench.sqlite3"}'
    upgrade(url)
    engine = db.configure(url)
    run = stage(engine)
    shown = f'{len(CLIENTS) + len(THREADS) + 2} reserved shows and a general-admission one'
    print(f'a {SEATS:,}-seat map (Stalls 25×40, Circle 20×50), {shown}, on {engine.dialect.name}')

    process, base = start_app(url, workdir)
    try:
        figures = None
        if not args.no_browser:
            figures = browser(base, run, loads=args.loads, clicks=clicks)

        with session_scope() as session:  # warm-up: the code paths and the connection pool
            booking.book(session, show_id=run.warm_up, user_id=run.user_ids[2], seats=run.seat_ids[:2])
        ceiling = {}
        for workers, show_id in run.ceilings.items():
            ceiling[workers] = directly(workers, run.user_ids[2:], show_id, run.seat_ids, seconds=args.seconds)
            check_sold(base, show_id, ceiling[workers])
        raced = {}
        with httpx.Client(base_url=base, timeout=30) as client:
            tokens = []
            for i in range(2, 2 + max(CLIENTS)):
                login = client.post('/api/v1/auth/login', json={'username': f'user{i}', 'password': 'bench-password'})
                assert login.status_code == 200, login.text
                tokens.append(login.json()['access_token'])
        for clients in CLIENTS:
            raced[clients] = over_http(base, tokens[:clients], run.races[clients], seconds=args.seconds)
            check_sold(base, run.races[clients], raced[clients])
    finally:
        process.terminate()
        process.wait(timeout=30)
    engine.dispose()

    if figures is not None:
        print(f'\nthe picker in headless Chromium (1280×800), medians; {args.loads} loads, {clicks} clicks')
        print(f'{"":44} {"median ms":>10} {"min":>7} {"max":>7} {"baseline ms":>12} {"ratio":>6}')

        def line(what: str, samples: list[float], baseline: list[float]) -> None:
            mid, base_mid = statistics.median(samples), statistics.median(baseline)
            print(
                f'{what:44} {mid:10.0f} {min(samples):7.0f} {max(samples):7.0f} {base_mid:12.0f} {mid / base_mid:5.1f}x'
            )

        line(f'page → {SEATS:,} circles drawn (baseline: GA form)', figures.picker_ms, figures.general_ms)
        line('click free seat → drawn as yours (b.: held)', figures.choose_ms, figures.refuse_ms)
        print(
            'baselines: the same show page for a general-admission show until its "Book now" button is drawn; a '
            'click on a seat\nsomeone else holds until its "is not free" notification shows (same click and '
            'round trip, no hold, no redraw)'
        )

    print(f'\nseats booked until sold out ({SEATS:,} seats, 2–4 per booking) or {args.seconds:g} s')
    print(
        f'{"path":24} {"workers":>7} {"seats":>6} {"s":>6} {"seats/s":>8} {"bookings/s":>10} {"409":>5} {"503":>5} '
        f'{"p50 ms":>7} {"p95 ms":>7} {"vs ceiling":>10}'
    )

    def row(path: str, workers: int, outcome: Race, ratio: str) -> None:
        print(
            f'{path:24} {workers:7} {outcome.seats:6} {outcome.wall:6.2f} {outcome.seats / outcome.wall:8.0f} '
            f'{outcome.bookings / outcome.wall:10.0f} {outcome.refusals:5} {outcome.busy:5} '
            f'{statistics.median(outcome.latencies):7.2f} {p95(outcome.latencies):7.2f} {ratio:>10}'
        )

    best = max(outcome.seats / outcome.wall for outcome in ceiling.values())
    for workers, outcome in ceiling.items():
        row('booking.book (no HTTP)', workers, outcome, 'ceiling' if outcome.seats / outcome.wall == best else '')
    for clients, outcome in raced.items():
        row('POST …/bookings', clients, outcome, f'{outcome.seats / outcome.wall / best:.2f}x')
    print('(p50/p95: every try, whatever its answer; the ceiling: the better of the direct lines, no HTTP)')
    sold = ', '.join(str(outcome.seats) for outcome in [*ceiling.values(), *raced.values()])
    print(f'\ncorrect: the shows sold {sold} seats, each seat once, and their counts agree')
    load_after = os.getloadavg()[0]
    print(f'load average (1 min) on {os.cpu_count()} CPUs: {load_before:.1f} at the start, {load_after:.1f} at the end')
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(figure) for figure in race_figures(raced, best)]))


def race_figures(raced: dict[int, Race], ceiling: float) -> list[Figure]:
    """Seats sold per second by clients racing through the API, against the better direct line (no HTTP)."""
    rows = []
    for clients, outcome in sorted(raced.items()):
        rate = outcome.seats / outcome.wall
        rows.append(Figure(f'seat race, {clients} clients', rate, 'seats/s', ceiling, 'booking.book direct', 200.0))
        rows.append(Figure(f'seat race p95, {clients} clients', p95(outcome.latencies), 'ms', higher_is_better=False))
    return rows


if __name__ == '__main__':
    main()
