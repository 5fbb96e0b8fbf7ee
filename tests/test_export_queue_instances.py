"""The export queue across real app instances: `main.py` processes on loopback, one database (a SQLite file or a
PostgreSQL database), one export folder.

An instance stopped (SIGTERM, as on a deploy) while an export runs and two more wait hands the running one back;
a second instance started on the same database finishes all three, with complete files. An instance killed
(SIGKILL) in the middle of an export leaves it running with a lease nobody renews; another instance takes it back once
the lease has run out and runs it again. Seconds here are real processes doing real work, with short settings (a
poll of 0.3 s, a lease of 2 s); a deadline is never what a test asserts.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import openpyxl
import pandas as pd
import pytest
from sqlalchemy import Engine, create_engine, insert, select

from models import Booking, ExportJob, ExportStatus, User
from tests.api.conftest import LiveApp, start_live_app
from tests.api.test_race import _token
from tests.conftest import throwaway_postgres

BIG = 12_000  # bookings of the big show: its Excel export takes seconds, long enough to stop an instance midway
QUEUE = {
    'TICKETSHOW_EXPORT_WORKERS': '1',
    'TICKETSHOW_EXPORT_POLL_SECONDS': '0.3',
    'TICKETSHOW_EXPORT_LEASE_SECONDS': '2',
    'TICKETSHOW_TIMEZONE': 'Asia/Kolkata',
}


class Cluster:
    """App instances on one database and one export folder; stopped at the end, however the test went."""

    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.tmp_path = tmp_path
        self.database_url = database_url
        self.export_dir = tmp_path / 'exports'
        self.engine = create_engine(database_url)
        self.started: list[LiveApp] = []

    def start(self, name: str) -> LiveApp:
        app = start_live_app(
            self.tmp_path / f'var-{name}',
            database_url=self.database_url,
            TICKETSHOW_EXPORT_DIR=str(self.export_dir),
            **QUEUE,
        )
        self.started.append(app)
        return app

    def stop(self, app: LiveApp) -> None:
        """SIGTERM: the app's shutdown runs, as on a deploy."""
        app.process.terminate()
        app.process.wait(timeout=60)

    def close(self) -> None:
        for app in self.started:
            if app.process.poll() is None:
                app.process.kill()
                app.process.wait(timeout=10)
        self.engine.dispose()

    def jobs(self) -> dict[str, ExportJob]:
        with self.engine.connect() as conn:
            return {job.id: job for job in conn.execute(select(ExportJob))}  # type: ignore[misc]


@pytest.fixture(params=['sqlite', 'postgres'])
def cluster(request, tmp_path) -> Iterator[Cluster]:
    if request.param == 'sqlite':
        url = f'sqlite:///{tmp_path / "shared.sqlite3"}'
        shared = Cluster(tmp_path, url)
        yield shared
        shared.close()
        return
    with throwaway_postgres() as url:
        shared = Cluster(tmp_path, url)
        yield shared
        shared.close()


def bearer(token: str) -> dict[str, str]:
    return {'Authorization': f'Bearer {token}'}


def instance_of(app: LiveApp) -> str:
    found = re.search(r'export runner started \(instance (\S+),', app.log.read_text())
    assert found, app.log.read_text()[-2000:]
    return found.group(1)


def wait_for(what: str, condition: Callable[[], object], timeout: float = 90) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f'not within {timeout} s: {what}')


class Stage:
    """A manager's theatre with one big show: BIG cancelled bookings of someone else written straight into the
    database, and one made through the API by an audience member."""

    def __init__(self, client: httpx.Client, engine: Engine) -> None:
        self.manager = _token(client, 'queuemanager', 'manager')
        self.member = _token(client, 'queuemember')
        theatre = client.post(
            '/api/v1/theatres',
            json={'name': 'Queue Hall', 'place': 'Pune', 'capacity': 500},
            headers=bearer(self.manager),
        )
        assert theatre.status_code == 201, theatre.text
        self.theatre_id = theatre.json()['id']
        show = client.post(
            f'/api/v1/theatres/{self.theatre_id}/shows',
            json={
                'name': 'The Long Night',
                'rating': 4,
                'tags': ['drama'],
                'ticket_price': 300,
                'num_tickets': 400,
                'starts_at': '2030-01-01T19:30:00+05:30',
            },
            headers=bearer(self.manager),
        )
        assert show.status_code == 201, show.text
        self.show_id = show.json()['id']
        booked = client.post(f'/api/v1/shows/{self.show_id}/bookings', json={'tickets': 2}, headers=bearer(self.member))
        assert booked.status_code == 201, booked.text
        self.member_reference = booked.json()['reference']
        someone = _token(client, 'queuecrowd')
        assert client.get('/api/v1/me', headers=bearer(someone)).status_code == 200
        with engine.connect() as conn:
            crowd_id = conn.execute(select(User.id).where(User.username == 'queuecrowd')).scalar_one()
        booked_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        with engine.begin() as conn:
            conn.execute(
                insert(Booking),
                [
                    {
                        'reference': f'Q{n:09d}',
                        'user_id': crowd_id,
                        'show_id': self.show_id,
                        'booked_tickets': 1,
                        'price_cents': 30000,
                        'total_cents': 30000,
                        'status': 'cancelled',
                        'created_at': booked_at + dt.timedelta(seconds=n),
                        'cancelled_at': booked_at + dt.timedelta(seconds=n),
                    }
                    for n in range(BIG)
                ],
            )

    def ask(self, client: httpx.Client, path: str, token: str, fmt: str) -> str:
        asked = client.post(f'/api/v1/{path}', params={'format': fmt}, headers=bearer(token))
        assert asked.status_code == 202, asked.text
        return str(asked.json()['job_id'])

    def ask_big(self, client: httpx.Client) -> str:
        return self.ask(client, f'shows/{self.show_id}/export', self.manager, 'xlsx')

    def running_midway(self, client: httpx.Client, job_id: str) -> None:
        def midway() -> bool:
            view = client.get(f'/api/v1/exports/{job_id}', headers=bearer(self.manager)).json()
            assert view['status'] in ('pending', 'running'), view  # it must not have ended before the stop
            return view['status'] == 'running' and view['rows'] > 0

        wait_for('the big export running', midway)

    def check_big(self, client: httpx.Client, job_id: str) -> None:
        """The whole show, every booking once, from the file the API serves."""
        got = client.get(f'/api/v1/exports/{job_id}/file', headers=bearer(self.manager))
        assert got.status_code == 200, got.text
        book = openpyxl.load_workbook(filename=io.BytesIO(got.content), read_only=True)
        (header,) = list(book['Show'].iter_rows(min_row=2, values_only=True))
        assert header[1:3] == ('The Long Night', 'Queue Hall')
        references = [row[1] for row in book['Bookings'].iter_rows(min_row=2, values_only=True)]
        assert len(references) == BIG + 1
        assert sorted(references) == sorted([self.member_reference] + [f'Q{n:09d}' for n in range(BIG)])


def wait_all_done(client: httpx.Client, token_of: dict[str, str]) -> None:
    def done() -> bool:
        statuses = [
            client.get(f'/api/v1/exports/{job_id}', headers=bearer(token)).json()['status']
            for job_id, token in token_of.items()
        ]
        assert 'failed' not in statuses, statuses
        return set(statuses) == {'done'}

    wait_for('every export done', done, timeout=180)


def test_exports_pending_at_a_restart_are_finished_by_a_second_instance(cluster):
    began = time.monotonic()
    first = cluster.start('first')
    with first.client() as on_first:
        stage = Stage(on_first, cluster.engine)
        staged = time.monotonic()
        big = stage.ask_big(on_first)
        theatre = stage.ask(on_first, f'theatres/{stage.theatre_id}/export', stage.manager, 'csv')
        mine = stage.ask(on_first, 'bookings/export', stage.member, 'csv')
        stage.running_midway(on_first, big)
    first_instance = instance_of(first)
    cluster.stop(first)

    waiting = cluster.jobs()
    assert {job_id: (j.status, j.attempts, j.claimed_by) for job_id, j in waiting.items()} == {
        big: (ExportStatus.PENDING, 0, None),  # handed back at the stop, its try not counted
        theatre: (ExportStatus.PENDING, 0, None),  # never started: the one worker was busy
        mine: (ExportStatus.PENDING, 0, None),
    }
    assert '1 running job handed back to the queue' in first.log.read_text()
    assert not list(cluster.export_dir.glob('*.part'))  # the stopped worker cleaned up after itself

    stopped = time.monotonic()
    second = cluster.start('second')
    with second.client() as on_second:
        started = time.monotonic()
        wait_all_done(on_second, {big: stage.manager, theatre: stage.manager, mine: stage.member})
        finished = time.monotonic()
        stage.check_big(on_second, big)
        rows = pd.read_csv(
            io.BytesIO(on_second.get(f'/api/v1/exports/{theatre}/file', headers=bearer(stage.manager)).content),
            encoding='utf-8-sig',
        ).to_dict('records')
        assert [(r['theatre'], r['show'], r['tickets_sold']) for r in rows] == [('Queue Hall', 'The Long Night', 2)]
        history = pd.read_csv(
            io.BytesIO(on_second.get(f'/api/v1/exports/{mine}/file', headers=bearer(stage.member)).content),
            encoding='utf-8-sig',
        ).to_dict('records')
        assert [(r['reference'], r['show'], r['tickets']) for r in history] == [
            (stage.member_reference, 'The Long Night', 2)
        ]
    ended = cluster.jobs()
    assert {(j.status, j.attempts, j.claimed_by) for j in ended.values()} == {
        (ExportStatus.DONE, 1, instance_of(second))
    }
    assert instance_of(second) != first_instance
    assert sorted(p.name for p in cluster.export_dir.iterdir()) == sorted(
        [f'{big}.xlsx', f'{theatre}.csv', f'{mine}.csv']
    )
    print(
        f'\n[export restart] first instance up and staged in {staged - began:.1f} s, stopped midway after '
        f'{stopped - staged:.1f} s; second instance up in {started - stopped:.1f} s, all three done '
        f'{finished - started:.1f} s later'
    )


def test_an_export_of_a_killed_instance_is_taken_back_and_run_by_another(cluster):
    first = cluster.start('first')
    with first.client() as on_first:
        stage = Stage(on_first, cluster.engine)
        big = stage.ask_big(on_first)
        stage.running_midway(on_first, big)
    first.process.kill()  # SIGKILL: no shutdown, nothing handed back
    first.process.wait(timeout=10)
    assert cluster.jobs()[big].status == ExportStatus.RUNNING

    second = cluster.start('second')
    with second.client() as on_second:
        wait_all_done(on_second, {big: stage.manager})
        stage.check_big(on_second, big)
    taken = cluster.jobs()[big]
    assert (taken.attempts, taken.claimed_by) == (2, instance_of(second))
    assert f'export {big} was silent' in second.log.read_text()
    assert sorted(p.name for p in cluster.export_dir.iterdir()) == [f'{big}.xlsx']  # the killed try left no part
