"""Clone to serving: from `git clone` to the first HTTP 200 of `make run`, with cold package caches.

    make bench-install     # or: python3 -m bench.install [--rounds N] [--installers uv pip] [--overlay PATH ...]

Each round, for each installer (the Makefile's INSTALLER: `uv`, the default, or `pip` on the same hashed locks),
clones this repository into a new temporary folder and runs `make run INSTALLER=...` there with a new, empty
pip and uv cache and a free loopback port, timing from the start of the clone to the first 200 from GET /.
Then it stops the app and times `make .venv/.installed INSTALLER=...`, the test tools that `make test` adds on
top before it runs the checks, and measures the venv after each step. It prints every round, the medians, and
each installer's medians as a ratio of pip's, measured in the same run.

--overlay copies files of this working tree over each clone, to measure a change before it is committed.
Only the standard library: it runs with the system's python3, never with the venv it measures, and needs
git, make and the package registry, like a new machine does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

REPO = Path(__file__).resolve().parent.parent
STARTED = 'TicketShow is starting'  # main.py's first line, printed once migrations and demo data are done
# Variables of an outer `make bench-install` that must not reach the make runs being measured.
MAKE_VARIABLES = ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES', 'VIRTUAL_ENV')


@dataclass
class Round:
    """One installer's figures in one round, in seconds and megabytes."""

    installer: str
    clone: float
    installed: float  # clone start → the app's packages installed (the venv's stamp file written)
    started: float  # clone start → the app's first line (install, migrations, demo data)
    serving: float  # clone start → the first 200 from GET /
    run_venv_mb: float
    test_tools: float  # `make .venv/.installed` after `make run`
    test_venv_mb: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def size_mb(path: Path) -> float:
    """Bytes under `path` as `du` counts them: each file once, however many links it has."""
    seen: set[int] = set()
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            info = os.lstat(os.path.join(root, name))
            if info.st_ino not in seen:
                seen.add(info.st_ino)
                total += info.st_size
    return total / 1e6


def cold_env(scratch: Path, port: int) -> dict[str, str]:
    """The caller's environment with new, empty package caches and the app on `port`."""
    env = {key: value for key, value in os.environ.items() if key not in MAKE_VARIABLES}
    env.update(
        PIP_NO_CACHE_DIR='1',
        UV_CACHE_DIR=str(scratch / 'uv-cache'),
        TICKETSHOW_HOST='127.0.0.1',
        TICKETSHOW_PORT=str(port),
    )
    return env


def answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    """End `make run` and the app it started (their own process group), politely first."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_once(installer: str, overlay: list[Path], timeout: float) -> Round:
    scratch = Path(tempfile.mkdtemp(prefix='ticketshow-install-'))
    clone_dir = scratch / 'ticketshow'
    env = cold_env(scratch, free_port())
    url = f'http://127.0.0.1:{env["TICKETSHOW_PORT"]}/'
    log_path = scratch / 'make-run.log'
    try:
        wall_start, start = time.time(), time.perf_counter()
        subprocess.run(['git', 'clone', '--quiet', str(REPO), str(clone_dir)], check=True, env=env)
        for path in overlay:
            target = clone_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / path, target)
        cloned = time.perf_counter() - start
        started: list[float] = []
        with open(log_path, 'wb') as log:
            process = subprocess.Popen(
                ['make', 'run', f'INSTALLER={installer}'],
                cwd=clone_dir,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            reader = threading.Thread(target=copy_output, args=(process, log, start, started), daemon=True)
            reader.start()
            try:
                serving = wait_for_200(process, url, start, timeout, log_path)
            finally:
                stop(process)
                reader.join(timeout=10)
        installed = (clone_dir / '.venv' / '.app-installed').stat().st_mtime - wall_start
        run_venv = size_mb(clone_dir / '.venv')
        tools_start = time.perf_counter()
        tools = subprocess.run(
            ['make', '.venv/.installed', f'INSTALLER={installer}'],
            cwd=clone_dir,
            env=env,
            capture_output=True,
            text=True,
        )
        if tools.returncode:
            sys.exit(f'installing the test tools failed:\n{tools.stdout[-2000:]}{tools.stderr[-2000:]}')
        test_tools = time.perf_counter() - tools_start
        return Round(
            installer=installer,
            clone=cloned,
            installed=installed,
            started=started[0] if started else float('nan'),
            serving=serving,
            run_venv_mb=run_venv,
            test_tools=test_tools,
            test_venv_mb=size_mb(clone_dir / '.venv'),
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def copy_output(process: subprocess.Popen[bytes], log: BinaryIO, start: float, started: list[float]) -> None:
    """Keep `make run`'s output for a failure report, and note when the app printed its first line."""
    assert process.stdout is not None
    for line in process.stdout:
        log.write(line)
        if not started and STARTED.encode() in line:
            started.append(time.perf_counter() - start)


def wait_for_200(process: subprocess.Popen[bytes], url: str, start: float, timeout: float, log_path: Path) -> float:
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            sys.exit(f'make run ended ({process.returncode}) before serving:\n{log_path.read_text()[-3000:]}')
        if answers_200(url):
            return time.perf_counter() - start
        time.sleep(0.2)
    sys.exit(f'no 200 from {url} within {timeout:g} s')


def report(rounds: list[Round]) -> None:
    columns = ('clone', 'installed', 'started', 'serving', 'run_venv_mb', 'test_tools', 'test_venv_mb')
    header = f'{"installer":9} {"clone s":>8} {"installed s":>12} {"started s":>10} {"serving s":>10}'
    header += f' {"run venv MB":>12}'
    header += f' {"+test tools s":>14} {"test venv MB":>13}'
    print(header)
    for r in rounds:
        print(
            f'{r.installer:9} {r.clone:8.1f} {r.installed:12.1f} {r.started:10.1f} {r.serving:10.1f}'
            f' {r.run_venv_mb:12.0f}'
            f' {r.test_tools:14.1f} {r.test_venv_mb:13.0f}'
        )
    medians = {
        installer: {c: statistics.median(getattr(r, c) for r in rounds if r.installer == installer) for c in columns}
        for installer in dict.fromkeys(r.installer for r in rounds)
    }
    print('\nmedians' + (' and the ratio to pip in this run' if 'pip' in medians else ''))
    for installer, m in medians.items():
        line = f'{installer:9} clone to serving {m["serving"]:5.1f} s (installed after {m["installed"]:.1f} s),'
        line += f' test tools {m["test_tools"]:4.1f} s; venv {m["run_venv_mb"]:.0f} MB for make run,'
        line += f' {m["test_venv_mb"]:.0f} MB for make test'
        if 'pip' in medians and installer != 'pip':
            ratios = {c: m[c] / medians['pip'][c] for c in ('serving', 'installed', 'test_tools')}
            line += '; ×pip: ' + ', '.join(f'{c.replace("_", " ")} {v:.2f}' for c, v in ratios.items())
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=2, help='clones per installer (default 2)')
    parser.add_argument('--installers', nargs='+', default=['pip', 'uv'], choices=['pip', 'uv'])
    parser.add_argument('--overlay', nargs='*', type=Path, default=[], help="this tree's files to copy over each clone")
    parser.add_argument('--timeout', type=float, default=900, help='seconds to wait for the first 200 (default 900)')
    args = parser.parse_args()
    rounds = []
    for number in range(1, args.rounds + 1):
        for installer in args.installers:
            result = run_once(installer, args.overlay, args.timeout)
            print(f'round {number} {installer}: serving after {result.serving:.1f} s', flush=True)
            rounds.append(result)
    print()
    report(rounds)


if __name__ == '__main__':
    main()
