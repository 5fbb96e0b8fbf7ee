"""Light clients: what a connected browser costs the server, and what a crawler leaves behind.

    make bench-clients      # or: .venv/bin/python -m bench.clients [--clients N] [--crawl-seconds S] [--rate R]

Seeds a fresh SQLite database with upcoming shows and starts the real app (main.py on a loopback port), then:
- connected clients: N browsers load `/` and open the page's websocket the way NiceGUI's page script does (a
  python-socketio client with the page's client id, an implicit handshake) and stay connected. Prints the app's
  resident memory per connected client, and its CPU per idle connected client per second, beside the idle app's
  CPU over as long with nobody connected (the floor: the app's own timers).
- crawler: in a second, fresh app, `GET /` at --rate requests/s (no cookies kept, no websocket ever, as a crawler
  does) for --crawl-seconds (600 for the issue's figure). Prints the app's RSS once the crawl is steady (past the
  unconnected-page threshold, when page views go as fast as they come), at the end, and after a quiet moment, beside
  the idle app's RSS before any page was asked for; the end's ratio to the steady start (flat: within 10 %); the
  rate achieved and p95 latency; and the clients left after the quiet, as the app's log reports them. "Steady" is
  a quarter into the crawl (and past the threshold): an app slower than the crawler settles at its own pace.

Memory is the app's VmRSS from /proc, CPU its utime + stime. The machine may be busy: the ratios, measured in the same
run, carry; the absolute figures less so. With --unconnected-seconds 60 the app prunes as NiceGUI does by itself
(the "before" of ui/pruning.py, measured by this same harness).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from urllib.parse import urlencode

import httpx
import socketio

from bench.report import Figure, p95, table
from bench.seed import seed
from models import db
from models.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
SOCKET_PATH = '/_nicegui_ws/socket.io'
# The page's socket.io query as NiceGUI's page template writes it (a Python literal): `query: {'client_id': ...},`.
_QUERY = re.compile(r'^\s*query: (\{.*\}),$', re.MULTILINE)
_REMAIN = re.compile(r'deleted (\d+) page views that never connected over \d+ s; (\d+) clients remain')
CLK_TCK = os.sysconf('SC_CLK_TCK')
CRAWLER_CONNECTIONS = 8  # a crawler's parallel connections: a slower app is asked less often, never queued for


def page_query(html: str) -> dict[str, str]:
    """The socket query a page's script connects with: its client id and where its messages start."""
    found = _QUERY.search(html)
    if found is None:
        raise ValueError('no socket.io query in the page')
    values = ast.literal_eval(found[1])
    return {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in values.items()}


async def connect_page(
    base: str, html: str, *, tab_id: str | None = None, document_id: str | None = None
) -> socketio.AsyncClient:
    """Open the websocket of the page `html` as its script does; raises socketio.exceptions.ConnectionError when the
    server refuses it (the page view is gone). A page that reconnects keeps its tab's and its document's ids."""
    query = {
        **page_query(html),
        'document_id': document_id or str(uuid.uuid4()),
        'tab_id': tab_id or str(uuid.uuid4()),
        'old_tab_id': '',
    }
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(
        f'{base}/?{urlencode(query)}', socketio_path=SOCKET_PATH, transports=['websocket'], wait_timeout=10
    )
    return sio


def start_app(url: str, workdir: Path, **settings: str) -> tuple[subprocess.Popen[bytes], str, Path]:
    """main.py serving `url` on a free loopback port (as bench/exports.py starts it, in-process store), and its log.
    Ready when the JSON API answers: no page is asked for, so the idle app has built none."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = int(sock.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST', 'NICEGUI'))}
    env.update(
        TICKETSHOW_DATABASE_URL=url,
        TICKETSHOW_PORT=str(port),
        TICKETSHOW_REDIS_URL='',
        TICKETSHOW_VAR_DIR=str(workdir / f'app-{port}'),
        TICKETSHOW_SCHEDULER='off',
        TICKETSHOW_DEMO_DATA='false',
        **settings,
    )
    log = workdir / f'app-{port}.log'
    process = subprocess.Popen(
        [sys.executable, 'main.py'], cwd=ROOT, env=env, stdout=log.open('wb'), stderr=subprocess.STDOUT
    )
    base = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(base + '/api/v1/shows', timeout=2).status_code == 200:
                return process, base, log
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f'the app did not start; see {log}')


def rss_mib(pid: int) -> float:
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        if line.startswith('VmRSS:'):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f'no VmRSS for process {pid}')


def cpu_seconds(pid: int) -> float:
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime and stime, fields 14 and 15 of stat(5)


async def connected_clients(base: str, pid: int, count: int, idle_seconds: float) -> list[Figure]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for _ in range(3):  # warm the app (imports, caches, the first page's templates) before measuring
            await (await connect_page(base, (await http.get('/')).text)).disconnect()
        await asyncio.sleep(5)  # the warm-up's clients are gone after NiceGUI's reconnect timeout
        idle_cpu = await _cpu_over(pid, idle_seconds)
        before = rss_mib(pid)
        sockets = []
        for _ in range(count):
            http.cookies.clear()  # each a browser of its own
            sockets.append(await connect_page(base, (await http.get('/')).text))
        await asyncio.sleep(3)
        after = rss_mib(pid)
        busy_cpu = await _cpu_over(pid, idle_seconds)
        alive = sum(sio.connected for sio in sockets)
        await asyncio.gather(*(sio.disconnect() for sio in sockets))
    if alive != count:
        raise SystemExit(f'only {alive} of {count} clients stayed connected')
    per_client_ms = max(busy_cpu - idle_cpu, 0) / count * 1000
    return [
        Figure(
            f'memory per connected client ({count} on /)',
            (after - before) / count,
            'MiB',
            goal=0.5,
            higher_is_better=False,
        ),
        Figure(
            f'CPU per idle connected client ({count} on /)',
            per_client_ms,
            'ms/s',
            floor=idle_cpu * 1000,
            floor_name='idle app, whole',
            higher_is_better=False,
        ),
    ]


async def _cpu_over(pid: int, seconds: float) -> float:
    """The app's CPU seconds per second over the next `seconds`."""
    started, cpu = time.monotonic(), cpu_seconds(pid)
    await asyncio.sleep(seconds)
    return (cpu_seconds(pid) - cpu) / (time.monotonic() - started)


async def crawl(base: str, pid: int, log: Path, *, seconds: float, rate: float, steady_after: float) -> list[Figure]:
    """`GET /` at `rate` per second for `seconds`, never connecting; RSS along the way and after a quiet moment."""
    idle = rss_mib(pid)
    latencies: list[float] = []
    failures = 0
    steady: float | None = None
    began = time.monotonic()
    slots = iter(range(10**9))  # request i is due at began + i / rate

    async def crawler(http: httpx.AsyncClient) -> None:
        """One connection: the next due request, when it is due (at once when late: the app sets the pace then)."""
        nonlocal failures, steady
        for index in slots:
            due = began + index / rate
            if max(due, time.monotonic()) - began >= seconds:
                return
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if steady is None and time.monotonic() - began >= steady_after:
                steady = rss_mib(pid)
            started = time.perf_counter()
            try:
                response = await http.get('/', headers={'User-Agent': 'bench-crawler/1.0'})
                response.raise_for_status()
            except httpx.HTTPError:
                failures += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    # A cookie jar that keeps nothing: every request is a new visitor, as a crawler's are.
    jar = httpx.Cookies(CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])))
    limits = httpx.Limits(max_connections=CRAWLER_CONNECTIONS)
    async with httpx.AsyncClient(base_url=base, timeout=60, cookies=jar, limits=limits) as http:
        await asyncio.gather(*(crawler(http) for _ in range(CRAWLER_CONNECTIONS)))
    took = time.monotonic() - began
    end = rss_mib(pid)
    quiet = 20.0
    await asyncio.sleep(quiet)
    after_quiet = rss_mib(pid)
    remain = _REMAIN.findall(log.read_text(errors='replace'))
    start = steady if steady is not None else end
    figures = [
        Figure('crawl: requests/s achieved', len(latencies) / took, 'req/s', goal=rate),
        Figure('crawl: p95 GET /', p95(latencies) if latencies else float('nan'), 'ms', higher_is_better=False),
        Figure(f'crawl: RSS once steady ({steady_after:.0f} s in)', start, 'MiB', floor=idle, floor_name='idle app'),
        Figure(
            f'crawl: RSS at the end ({seconds:.0f} s)',
            end,
            'MiB',
            floor=start,
            floor_name='steady start',
            goal=1.1,
            goal_is_ratio=True,
            higher_is_better=False,
        ),
        Figure(f'crawl: RSS after {quiet:.0f} s quiet', after_quiet, 'MiB', floor=idle, floor_name='idle app'),
    ]
    if remain:
        figures.append(
            Figure(
                'crawl: clients left after the quiet (app log)',
                int(remain[-1][1]),
                'clients',
                goal=0,
                higher_is_better=False,
            )
        )
    if failures:
        figures.append(Figure('crawl: failed requests', failures, 'requests', goal=0, higher_is_better=False))
    return figures


def figures(
    *,
    clients: int = 50,
    crawl_seconds: float = 600,
    rate: float = 50,
    shows: int = 200,
    idle_seconds: float = 10,
    unconnected_seconds: float | None = None,
    workdir: Path | None = None,
) -> list[Figure]:
    """Both measurements, each on an app of its own started for it (for `make bench`)."""
    with tempfile.TemporaryDirectory(prefix='ticketshow-clients-') as folder:
        work = workdir or Path(folder)
        url = f'sqlite:///{work / "bench.sqlite3"}'
        upgrade(url)
        engine = db.make_engine(url)
        seed(engine, shows=shows, bookings=shows * 2, users=50, managers=2)
        engine.dispose()
        settings = (
            {} if unconnected_seconds is None else {'TICKETSHOW_UNCONNECTED_PAGE_SECONDS': str(unconnected_seconds)}
        )
        # Steady once the page views alive have stopped growing: past the threshold, and a quarter into the crawl
        # (an app slower than the crawler's rate takes a while to settle at its own pace).
        steady = max((unconnected_seconds or 10) + 5, crawl_seconds / 4)
        out: list[Figure] = []
        for measure in ('clients', 'crawl'):
            process, base, log = start_app(url, work, **settings)
            try:
                if measure == 'clients':
                    out += asyncio.run(connected_clients(base, process.pid, clients, idle_seconds))
                else:
                    out += asyncio.run(
                        crawl(base, process.pid, log, seconds=crawl_seconds, rate=rate, steady_after=steady)
                    )
            finally:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--clients', type=int, default=50, help='connected clients to hold (default 50)')
    parser.add_argument('--crawl-seconds', type=float, default=600, help='how long the crawler runs (default 600)')
    parser.add_argument('--rate', type=float, default=50, help="the crawler's requests per second (default 50)")
    parser.add_argument('--shows', type=int, default=200, help='upcoming shows in the database (default 200)')
    parser.add_argument('--idle-seconds', type=float, default=10, help='how long CPU is measured idle (default 10)')
    parser.add_argument(
        '--unconnected-seconds', type=float, default=None, help="the app's TICKETSHOW_UNCONNECTED_PAGE_SECONDS"
    )
    args = parser.parse_args()
    measured = figures(
        clients=args.clients,
        crawl_seconds=args.crawl_seconds,
        rate=args.rate,
        shows=args.shows,
        idle_seconds=args.idle_seconds,
        unconnected_seconds=args.unconnected_seconds,
    )
    print(table(measured, title=f'light clients (home page, {args.shows} upcoming shows)'))


if __name__ == '__main__':
    main()
