"""What metrics and JSON logs cost a booking: the API booking rate with neither, with /metrics on, and with /metrics
and JSON logs, measured in the same run and rounds alternated, so the machine's drift falls on all three alike.

    make bench-ops   # or: .venv/bin/python -m bench.ops [--seconds S] [--rounds N] [--connections N]

Each configuration gets its own fresh SQLite database seeded like bench.speed's (10,000 shows, 64 people) and its
own app process; every round books 1 ticket on random shows at --connections connections for --seconds, in the
order plain, metrics, metrics + JSON logs. Prints bookings/s per configuration (the median of its rounds), p95, and
the ratio to plain. The metrics configuration is scraped once a second meanwhile, as Prometheus would (more often
than its usual 15 s): the scrape's database read is part of the cost.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import httpx

from bench.exports import ROOT, start_app
from bench.report import Figure, p95, table
from bench.speed import SEED, SHOWS, USERS, hammer, login_all, timed

TOKEN = 'bench-metrics-token-0123456789abcdef'
CONFIGS: dict[str, dict[str, str]] = {
    'plain': {},
    'metrics': {'TICKETSHOW_METRICS_TOKEN': TOKEN},
    'metrics + JSON logs': {'TICKETSHOW_METRICS_TOKEN': TOKEN, 'TICKETSHOW_LOG_FORMAT': 'json'},
}


def scrape_every_second(base: str, stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=30, headers={'Authorization': f'Bearer {TOKEN}'}) as client:
        while not stop.wait(1.0):
            assert client.get('/metrics').status_code == 200


def measure(seconds: float, rounds: int, connections: int, workdir: Path) -> list[Figure]:
    apps: dict[str, tuple[subprocess.Popen[bytes], str, list[httpx.Client]]] = {}
    try:
        for name, settings in CONFIGS.items():
            url = f'sqlite:///{workdir / (name.replace(" ", "-").replace("+", "") + ".sqlite3")}'
            subprocess.run([sys.executable, '-c', SEED, url, str(SHOWS), str(USERS), '10'], cwd=ROOT, check=True)
            process, base = start_app(url, workdir, TICKETSHOW_BCRYPT_ROUNDS='4', **settings)
            tokens = login_all(base)
            clients = [
                httpx.Client(base_url=base, timeout=60, headers={'Authorization': f'Bearer {t}'}) for t in tokens
            ]
            apps[name] = (process, base, clients)
        rates: dict[str, list[float]] = {name: [] for name in CONFIGS}
        latencies: dict[str, list[float]] = {name: [] for name in CONFIGS}
        for _ in range(rounds):
            for name, (_process, base, clients) in apps.items():

                def book(index: int, rng: random.Random, clients: list[httpx.Client] = clients) -> float:
                    client = clients[index % len(clients)]
                    return timed(
                        lambda: client.post(f'/api/v1/shows/{rng.randint(1, SHOWS)}/bookings', json={'tickets': 1}),
                        (201,),
                    )

                stop = threading.Event()
                scraper = threading.Thread(target=scrape_every_second, args=(base, stop))
                if 'metrics' in name:
                    scraper.start()
                rate, samples = hammer(connections, seconds, book)
                stop.set()
                if scraper.is_alive():
                    scraper.join()
                rates[name].append(rate)
                latencies[name].extend(samples)
        plain = statistics.median(rates['plain'])
        out: list[Figure] = []
        for name in CONFIGS:
            out.append(
                Figure(
                    f'API booking, {connections} conn., {name}',
                    statistics.median(rates[name]),
                    'bookings/s',
                    plain if name != 'plain' else None,
                    'plain' if name != 'plain' else '',
                )
            )
            out.append(Figure(f'API booking p95, {name}', p95(latencies[name]), 'ms', higher_is_better=False))
        return out
    finally:
        for process, _base, clients in apps.values():
            for client in clients:
                client.close()
            process.terminate()
            process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seconds', type=float, default=5.0, help='per round and configuration')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--connections', type=int, default=8)
    args = parser.parse_args()
    os.environ['TICKETSHOW_BCRYPT_ROUNDS'] = '4'
    workdir = Path(tempfile.mkdtemp(prefix='ticketshow-bench-'))
    figures = measure(args.seconds, args.rounds, args.connections, workdir)
    print(table(figures, 'What metrics and JSON logs cost a booking'))


if __name__ == '__main__':
    main()
