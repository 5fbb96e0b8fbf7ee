"""The summary and the theatre export on a big theatre, and whether the app still answers while an export runs.

    make bench-exports     # or: .venv/bin/python -m bench.exports [--shows N] [--bookings N] [--database-url URL]

Seeds a fresh SQLite database (or --database-url, an empty one) with one theatre of 1,000 shows and
100,000 bookings, then prints:
- the summary's figures and the theatre's two charts: median time computed (cache miss) and cached (hit);
- the theatre export as CSV and as Excel through the real worker pool: wall time from request to done;
- the home page served by the real app (main.py as a subprocess on a loopback port, no cache hits:
  every request searches for another word) without an export running and while exports run back to
  back, as medians and p95, and their ratio. The exports run in this process's worker pool, a process
  of its own exactly like the app's.
"""

from __future__ import annotations

import argparse
import functools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy.orm import Session

from bench.listing import samples_ms
from bench.seed import seed
from models import ExportFormat, ExportKind, ExportStatus, db
from models.db import session_scope
from models.migrate import upgrade
from services import cache, charts, exports, summary
from services.kv import KV

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def run_export(actor_id: int, theatre_id: int, fmt: ExportFormat) -> tuple[float, int]:
    """Request a theatre export and wait for it: (seconds from request to done, rows)."""
    started = time.perf_counter()
    with session_scope() as session:
        job = exports.request_export(
            session, actor_id=actor_id, kind=ExportKind.THEATRE, target_id=theatre_id, format=fmt
        )
    while True:
        with session_scope() as session:
            view = exports.get_export(session, actor_id=actor_id, job_id=job.id)
        if not view.active:
            break
        time.sleep(0.02)
    if view.status != ExportStatus.DONE:
        raise SystemExit(f'export failed: {view.error}')
    return time.perf_counter() - started, view.rows


def median_ms(fn: Callable[[], object], runs: int, before: Callable[[], None] | None = None) -> float:
    """The median milliseconds of `runs` calls of `fn`, each after `before` (untimed)."""
    return statistics.median(samples_ms(fn, runs, before))


@contextmanager
def worktree(ref: str, folder: Path) -> Iterator[Path]:
    """A detached git worktree of `ref` in `folder`, removed afterwards."""
    where = folder / 'before'
    subprocess.run(['git', 'worktree', 'add', '--detach', '--quiet', str(where), ref], cwd=ROOT, check=True)
    try:
        yield where
    finally:
        subprocess.run(['git', 'worktree', 'remove', '--force', str(where)], cwd=ROOT, check=False)


def start_app(
    url: str, workdir: Path, *, code: Path = ROOT, wrapper: tuple[str, ...] = (), **settings: str
) -> tuple[subprocess.Popen[bytes], str]:
    """main.py (of the checkout `code`, this one by default) serving `url` on a free loopback port, in-process store
    unless `settings` say otherwise; `wrapper` runs it under another command (a profiler)."""
    port = free_port()
    name = f'app-{port}'
    env = {k: v for k, v in os.environ.items() if not k.startswith(('PYTEST', 'NICEGUI'))}
    env.update(
        TICKETSHOW_DATABASE_URL=url,
        TICKETSHOW_PORT=str(port),
        TICKETSHOW_REDIS_URL='',
        TICKETSHOW_VAR_DIR=str(workdir / name),
        TICKETSHOW_SCHEDULER='off',
        TICKETSHOW_DEMO_DATA='false',
    )
    env.update(settings)
    log = (workdir / f'{name}.log').open('wb')
    command = [*wrapper, sys.executable, 'main.py']
    process = subprocess.Popen(command, cwd=code, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f'http://127.0.0.1:{port}'
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + '/', timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f'the app did not start; see {workdir / f"{name}.log"}')


def page_latencies(base: str, count: int, offset: int, keep_going: Callable[[], bool] | None = None) -> list[float]:
    """Milliseconds per GET /?q=..., a new word each time so that no answer comes from the cache."""
    samples = []
    with httpx.Client(base_url=base, timeout=30) as client:
        index = 0
        while len(samples) < count or (keep_going is not None and keep_going()):
            started = time.perf_counter()
            response = client.get('/', params={'q': f'Night {offset + index}'})
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
            index += 1
    return samples


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--shows', type=int, default=1_000)
    parser.add_argument('--bookings', type=int, default=100_000)
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--requests', type=int, default=60)
    parser.add_argument('--database-url', default=None, help='an empty database; default: a new SQLite file')
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    url = args.database_url or f'sqlite:///{workdir / "bench.sqlite3"}'
    upgrade(url)  # through the migrations, as the app that the benchmark starts expects
    engine = db.configure(url)
    started = time.perf_counter()
    ids = seed(engine, shows=args.shows, bookings=args.bookings, managers=1, users=2000, theatres_per_manager=1)
    print(
        f'seeded one theatre with {args.shows:,} shows and {args.bookings:,} bookings on {engine.dialect.name} '
        f'in {time.perf_counter() - started:.1f} s'
    )
    manager, theatre = ids['manager_id'], 1

    configured = cache.configure(KV(None), ttl=600)
    assert configured is not None
    reads: dict[str, Callable[[Session], object]] = {
        'summary figures': lambda s: summary.summary(s, actor_id=manager),
        'trend chart (PNG)': lambda s: charts.theatre_chart(s, actor_id=manager, theatre_id=theatre, kind='trend'),
        'sales chart (PNG)': lambda s: charts.theatre_chart(s, actor_id=manager, theatre_id=theatre, kind='sales'),
    }
    print(f'\nmedian of {args.runs} runs, milliseconds')
    print(f'{"read":24} {"computed":>10} {"cached":>9} {"ratio":>8}')
    for name, read in reads.items():
        with session_scope() as session:
            bound = functools.partial(read, session)
            bump = functools.partial(configured.bump, 'listing', f'theatre:{theatre}')
            miss = median_ms(bound, args.runs, before=bump)
            bound()
            hit = median_ms(bound, args.runs)
        print(f'{name:24} {miss:10.1f} {hit:9.3f} {miss / hit:7.0f}x')
    cache.configure(None)

    exports.configure(database_url=url, export_dir=workdir / 'exports', tz_name='UTC')
    exports.start()  # this process's queue runner and its warm worker pool, as the app starts them
    run_export(manager, theatre, ExportFormat.CSV)  # the first job warms the worker: the figures below are exports only
    print('\ntheatre export, request to done (worker process already running)')
    for fmt in ExportFormat:
        seconds, rows = run_export(manager, theatre, fmt)
        size = max(p.stat().st_size for p in (workdir / 'exports').glob(f'*.{fmt}'))
        print(f'{fmt:5} {rows:,} show rows in {seconds:.2f} s ({size / 1024:,.0f} KiB)')

    process, base = start_app(url, workdir)
    try:
        page_latencies(base, 10, 0)  # warm up
        quiet = page_latencies(base, args.requests, 1000)
        stop, finished = threading.Event(), []

        def export_in_background() -> None:
            while not stop.is_set():
                finished.append(run_export(manager, theatre, ExportFormat.XLSX))

        worker = threading.Thread(target=export_in_background, daemon=True)
        worker.start()
        busy = page_latencies(base, args.requests, 5000, keep_going=lambda: not finished)
        stop.set()
        worker.join(timeout=120)
    finally:
        process.terminate()
        process.wait(timeout=30)
    print(f'\nhome page (GET /?q=..., no cache hits), {len(quiet)} and {len(busy)} requests, milliseconds')
    print(f'{"":22} {"median":>8} {"p95":>8}')
    print(f'{"no export":22} {statistics.median(quiet):8.1f} {p95(quiet):8.1f}')
    during = f'{statistics.median(busy):8.1f} {p95(busy):8.1f}'
    print(f'{"xlsx exports running":22} {during}  ({len(finished)} exports finished)')
    ratio = statistics.median(busy) / statistics.median(quiet)
    print(f'ratio during/without: median {ratio:.2f}x, p95 {p95(busy) / p95(quiet):.2f}x')
    exports.shutdown()
    engine.dispose()


if __name__ == '__main__':
    main()
