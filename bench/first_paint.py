"""How soon a new visitor sees shows: the home page's first paint and first show card, in headless Chromium.

    make bench-first-paint      # or: .venv/bin/python -m bench.first_paint [--loads N] [--shows N]

Seeds a fresh SQLite database with upcoming shows, starts the real app (main.py on a loopback port) once per
configuration named in CONFIGS, and loads `/` N times in Debian's Chromium with the browser cache disabled (each
load as a first visit: every script and style fetched again). Per load it reads, relative to the navigation's
start: the first contentful paint (the browser's own `paint` entry) and the frame that first draws a show card
(a MutationObserver planted before any script runs, then the next animation frame). Prints the median and p90 of each,
and each configuration's ratio to the first one, measured in the same run.

The first one is the app as it was before (`--before REF`, default BEFORE: the last commit before issue 17's work on
the home page): checked out into a temporary git worktree, seeded with that checkout's own migrations and seed code,
and started from there, beside today's app on the same machine. The loads alternate between the apps in rounds, so a
busy moment of the machine falls on both. `--before ''` measures today's app alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from bench.exports import ROOT, start_app, worktree
from bench.report import Figure

CHROMIUM = os.environ.get('TICKETSHOW_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('TICKETSHOW_CHROMEDRIVER', '/usr/bin/chromedriver')

# The app before issue 17 (posters, the new listing, the lazy charts): the baseline of the "before and after".
BEFORE = 'a8ac285'
ROUNDS = 2
# Seeds an empty database with a checkout's own schema and seed code (run inside that checkout).
SEED = """
import sys
from bench.seed import seed
from models import db
from models.migrate import upgrade
upgrade(sys.argv[1])
engine = db.make_engine(sys.argv[1])
seed(engine, shows=int(sys.argv[2]), bookings=int(sys.argv[2]) * 2, users=50, managers=2)
engine.dispose()
"""
# Each configuration: a name and the settings main.py starts with.
CONFIGS: list[tuple[str, dict[str, str]]] = [
    ('as shipped', {}),
]

# Runs before the page's own scripts: notes the frame that first draws a show card (a link to /shows/<id> inside a
# card, laid out with a size).
WATCH = """
window.__firstCard = null;
let seen = false;
const look = () => {
  if (seen) return;
  const link = document.querySelector('.q-card a[href^="/shows/"]');
  if (link && link.getBoundingClientRect().height > 0) {
    seen = true;  // painted with the next frame: the moment that frame starts
    requestAnimationFrame(() => { window.__firstCard = performance.now(); });
  }
};
new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true});
"""
READ = """
const paint = performance.getEntriesByName('first-contentful-paint')[0];
return [paint ? paint.startTime : null, window.__firstCard];
"""


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1280,800'):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd('Network.enable', {})
    driver.execute_cdp_cmd('Network.setCacheDisabled', {'cacheDisabled': True})
    driver.execute_cdp_cmd('Page.addScriptToEvaluateOnNewDocument', {'source': WATCH})
    return driver


def measure(base: str, loads: int, paints: list[float], cards: list[float]) -> None:
    """Adds `loads` cold loads of `base`'s home page to `paints` and `cards` (after one unmeasured warm-up load)."""
    driver = browser()
    try:
        for index in range(loads + 1):
            driver.get('about:blank')
            driver.get(f'{base}/?bench={index}')  # no cached page answer between loads
            deadline = time.monotonic() + 20
            paint = card = None
            while time.monotonic() < deadline:
                paint, card = driver.execute_script(READ)
                if paint is not None and card is not None:
                    break
                time.sleep(0.02)
            if paint is None or card is None:
                raise SystemExit(f'load {index}: no first paint or no show card within 20 s')
            if index:  # the first load warms the server (imports, caches), not the browser
                paints.append(paint)
                cards.append(card)
    finally:
        driver.quit()


def seed_database(code: Path, url: str, shows: int) -> None:
    subprocess.run([sys.executable, '-c', SEED, url, str(shows)], cwd=code, check=True)


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--loads', type=int, default=10)
    parser.add_argument('--shows', type=int, default=200)
    parser.add_argument('--before', default=BEFORE, help="git ref of the baseline ('' for none)")
    parser.add_argument('--json', default=None, help="also write the figures of today's app here (for make bench)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        # (name, checkout, database url, settings) per app measured
        apps: list[tuple[str, Path, str, dict[str, str]]] = []
        with worktree(args.before, workdir) if args.before else _nothing() as old:
            if old is not None:
                url = f'sqlite:///{workdir / "before.sqlite3"}'
                seed_database(old, url, args.shows)
                apps.append((f'before ({args.before})', old, url, {}))
            url = f'sqlite:///{workdir / "bench.sqlite3"}'
            seed_database(ROOT, url, args.shows)
            apps += [(name, ROOT, url, settings) for name, settings in CONFIGS]
            running = [start_app(url, workdir, code=code, **settings) for _, code, url, settings in apps]
            figures: list[tuple[list[float], list[float]]] = [([], []) for _ in apps]
            try:
                for round_ in range(ROUNDS):
                    share = args.loads // ROUNDS + (1 if round_ < args.loads % ROUNDS else 0)
                    for (_, base), (paints, cards) in zip(running, figures, strict=True):
                        measure(base, share, paints, cards)
            finally:
                for process, _ in running:
                    process.terminate()
                    process.wait(timeout=30)
        print(f'home page, {args.loads} cold loads each (browser cache off), {args.shows} upcoming shows')
        heads = ('first paint p50', 'p90', 'first card p50', 'p90', 'ratio')
        print(f'{"configuration":<28} {heads[0]:>16} {heads[1]:>8} {heads[2]:>15} {heads[3]:>8} {heads[4]:>6}')
        baseline = None
        for (name, *_), (paints, cards) in zip(apps, figures, strict=True):
            card = statistics.median(cards)
            baseline = baseline or card
            print(
                f'{name:<28} {statistics.median(paints):>13.0f} ms {p90(paints):>5.0f} ms '
                f'{card:>12.0f} ms {p90(cards):>5.0f} ms {card / baseline:>5.2f}×'
            )
        if args.json:  # today's app (the last configuration): its first card against its own first paint
            paints, cards = figures[-1]
            first_paint, first_card = statistics.median(paints), statistics.median(cards)
            Path(args.json).write_text(
                json.dumps(
                    [
                        asdict(Figure('home page first card p50', first_card, 'ms', first_paint, 'first paint', 500.0,
                                      higher_is_better=False)),
                        asdict(Figure('home page first card p90', p90(cards), 'ms', p90(paints), 'first paint')),
                    ]
                )
            )  # fmt: skip


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


if __name__ == '__main__':
    main()
