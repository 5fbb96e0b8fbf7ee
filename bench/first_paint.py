"""How soon a new visitor sees shows: the home page's first paint and first show card, in headless Chromium.

    make bench-first-paint      # or: .venv/bin/python -m bench.first_paint [--loads N] [--shows N]

Seeds a fresh SQLite database with upcoming shows, starts the real app (main.py on a loopback port) once per
configuration named in CONFIGS, and loads `/` N times in Debian's Chromium with the browser cache disabled (each
load as a first visit: every script and style fetched again). Per load it reads, relative to the navigation's
start: the first contentful paint (the browser's own `paint` entry) and the frame that first draws a show card
(a MutationObserver planted before any script runs, then the next animation frame). Prints the median and p90 of each,
and each configuration's ratio to the first one (NiceGUI's defaults, measured in the same run).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from bench.exports import start_app
from bench.seed import seed
from models import db
from models.migrate import upgrade

CHROMIUM = os.environ.get('TICKETSHOW_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('TICKETSHOW_CHROMEDRIVER', '/usr/bin/chromedriver')

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


def measure(base: str, loads: int) -> tuple[list[float], list[float]]:
    paints: list[float] = []
    cards: list[float] = []
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
    return paints, cards


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--loads', type=int, default=10)
    parser.add_argument('--shows', type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workdir = Path(folder)
        url = f'sqlite:///{workdir / "bench.sqlite3"}'
        upgrade(url)
        engine = db.make_engine(url)
        seed(engine, shows=args.shows, bookings=args.shows * 2, users=50, managers=2)
        engine.dispose()
        print(f'home page, {args.loads} cold loads each (browser cache off), {args.shows} upcoming shows')
        heads = ('first paint p50', 'p90', 'first card p50', 'p90', 'ratio')
        print(f'{"configuration":<28} {heads[0]:>16} {heads[1]:>8} {heads[2]:>15} {heads[3]:>8} {heads[4]:>6}')
        baseline = None
        for name, settings in CONFIGS:
            process, base = start_app(url, workdir, **settings)
            try:
                paints, cards = measure(base, args.loads)
            finally:
                process.terminate()
                process.wait(timeout=30)
            card = statistics.median(cards)
            baseline = baseline or card
            print(
                f'{name:<28} {statistics.median(paints):>13.0f} ms {p90(paints):>5.0f} ms '
                f'{card:>12.0f} ms {p90(cards):>5.0f} ms {card / baseline:>5.2f}×'
            )


if __name__ == '__main__':
    main()
