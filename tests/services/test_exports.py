"""CSV and Excel exports: their content against the database, who may have them, and how jobs end.

At least one export per format goes through the queue: the process's export runner claims it and runs it in the
real spawned worker pool (the `queue` fixture); content details run the worker's own function (`run_export`) in
this process on a job claimed for it, where the pool would add nothing but waiting. The queue itself — claims,
leases, retries, hand-back — is tested in test_export_queue.py.
"""

import datetime as dt
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select, update

from models import Booking, ExportJob, ExportStatus, Show, Theatre, User
from models.db import session_scope, utcnow
from services import booking as booking_service
from services import exports
from services.errors import Conflict, Invalid, NotAllowed, NotFound
from services.exports import pool
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.services.test_seating import HOUSE, create_reserved, put_map, seat_ids

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
SERVER_ERROR = 'The export failed because of an error on our side. Please try again.'
THEATRE_NAME = 'Théâtre "Ranga", Shankara'
HINDI = 'हिन्दी नाटक'
TOKYO = '東京劇場'


@pytest.fixture(scope='session')
def export_pool():
    """The worker pool is spawned once (about a second) and reused by every test; it stops after the run."""
    yield
    pool.close_shared()


@dataclass
class Exporter:
    url: str
    folder: Path
    runner: exports.runner.ExportRunner | None = None

    def run(self, job_id: str, *, tz_name: str = 'UTC', folder: Path | None = None) -> str:
        """The worker's job, run in this process on the job claimed for it as a runner would; 'skipped' when the job
        is not pending."""
        with session_scope() as s:
            attempt = s.scalar(
                update(ExportJob)
                .where(ExportJob.id == job_id, ExportJob.status == ExportStatus.PENDING)
                .values(status=ExportStatus.RUNNING, claimed_by=TEST_INSTANCE, attempts=ExportJob.attempts + 1)
                .returning(ExportJob.attempts)
            )
        if attempt is None:
            return 'skipped'
        return exports.run_export(
            job_id,
            instance=TEST_INSTANCE,
            attempt=attempt,
            database_url=self.url,
            export_dir=str(folder or self.folder),
            tz_name=tz_name,
        )

    def file(self, actor_id: int, job_id: str) -> exports.ExportFile:
        with session_scope() as s:
            return exports.export_file(s, actor_id=actor_id, job_id=job_id, export_dir=self.folder)

    def start(self, folder: Path | None = None) -> None:
        """This process's export runner, as the app starts it, on the real worker pool."""
        exports.configure(database_url=self.url, export_dir=folder or self.folder, tz_name='UTC')
        self.runner = exports.start()

    def stop(self) -> None:
        """Let the jobs under way end (so none outlives its test's database), then stop the runner."""
        if self.runner is not None:
            under_way = list(self.runner.running.values())  # one C-level copy: the runner's thread changes it
            futures.wait([future for _, future in under_way], timeout=120)
        exports.shutdown(keep_pool=True)  # the session-wide pool serves the next test
        self.runner = None


TEST_INSTANCE = 'test-process'


def _exporter(url: str, tmp_path: Path, monkeypatch) -> Exporter:
    # whatever was configured before comes back after
    monkeypatch.setattr(exports.runner, '_target', exports.runner._target)
    monkeypatch.setattr(exports.runner, '_options', exports.runner._options)
    exporter = Exporter(url, tmp_path / 'exports')
    exports.configure(database_url=url, export_dir=exporter.folder, tz_name='UTC')
    return exporter


@pytest.fixture
def exporter(database, tmp_path, monkeypatch):
    """Exports run by the test, in this process: no runner claims a job behind its back."""
    return _exporter(database, tmp_path, monkeypatch)


@pytest.fixture
def queue(database, tmp_path, monkeypatch, export_pool):
    """Exports run as in the app: requested, claimed by this process's runner, run in the worker pool."""
    exporter = _exporter(database, tmp_path, monkeypatch)
    exporter.start()
    yield exporter
    exporter.stop()


@pytest.fixture
def any_queue(any_db, tmp_path, monkeypatch, export_pool):
    exporter = _exporter(any_db, tmp_path, monkeypatch)
    exporter.start()
    yield exporter
    exporter.stop()


def wait_for(job_id: str, actor_id: int) -> exports.ExportView:
    """Poll the job, as the UI does, until it has ended (a generous deadline, not a timing assertion)."""
    deadline = time.monotonic() + 60
    while True:
        with session_scope() as s:
            view = exports.get_export(s, actor_id=actor_id, job_id=job_id)
        if view.status in ('done', 'failed'):
            return view
        assert time.monotonic() < deadline, f'export {job_id} is still {view.status}'
        time.sleep(0.05)


def ask_export(actor: User, kind: str, target_id: object = None, fmt: object = 'csv') -> exports.ExportView:
    with session_scope() as s:
        return exports.request_export(s, actor_id=actor.id, kind=kind, target_id=target_id, format=fmt)


def add_job(
    owner: User,
    *,
    kind: str = 'theatre',
    target_id: int | None = None,
    fmt: str = 'csv',
    status: str = 'pending',
    created_at: dt.datetime | None = None,
    heartbeat_at: dt.datetime | None = None,
    available_at: dt.datetime | None = None,
    title: str = 'Theatre · Test',
) -> str:
    """A job recorded directly: no runner is woken for it, so it stays as it is until a test runs it."""
    created_at = created_at or utcnow()
    job = ExportJob(
        id=f'{next(_ids):032x}',
        owner_id=owner.id,
        kind=kind,
        target_id=target_id,
        title=title,
        format=fmt,
        status=status,
        progress=100 if status == 'done' else 0,
        rows=0,
        created_at=created_at,
        heartbeat_at=heartbeat_at or created_at,
        available_at=available_at or created_at,
        attempts=1 if status != 'pending' else 0,
        claimed_by=TEST_INSTANCE if status != 'pending' else None,
        finished_at=created_at if status in ('done', 'failed') else None,
    )
    with session_scope() as s:
        s.add(job)
    return job.id


_ids = iter(range(1, 10**9))


def job_count() -> int:
    with session_scope() as s:
        return s.scalar(select(func.count(ExportJob.id)))


def starting(show: Show, when: dt.datetime) -> None:
    with session_scope() as s:
        s.execute(update(Show).where(Show.id == show.id).values(starts_at=when))


def read_csv(path: Path) -> list[dict]:
    return pd.read_csv(path, encoding='utf-8-sig', keep_default_na=False).to_dict('records')


SHOW_COLUMNS = {
    'Show ID': 'show_id',
    'Show': 'show',
    'Theatre': 'theatre',
    'Place': 'place',
    'Starts at': 'starts_at',
    'Time zone': 'time_zone',
    'Status': 'show_status',
    'Ticket price (₹)': 'ticket_price',
    'Tickets offered': 'tickets_offered',
    'Tickets sold': 'tickets_sold',
}
# Excel's headers are for people; the CSV's (and these tests') names, sheet by sheet.
XLSX_COLUMNS = {
    'Theatre': {'Theatre ID': 'theatre_id', 'Theatre': 'theatre', 'Place': 'place', 'Capacity': 'capacity'},
    'Shows': {
        **SHOW_COLUMNS,
        'Tickets left': 'tickets_left',
        'Revenue (₹)': 'revenue',
        'Rating': 'rating',
        'Tags': 'tags',
    },
    'Show': SHOW_COLUMNS,
    'Bookings': {
        'Booking ID': 'booking_id',
        'Reference': 'reference',
        'Customer': 'customer_name',
        'Username': 'customer_username',
        'Show': 'show',
        'Theatre': 'theatre',
        'Place': 'place',
        'Starts at': 'starts_at',
        'Time zone': 'time_zone',
        'Tickets': 'tickets',
        'Seats': 'seats',
        'Price per ticket (₹)': 'unit_price',
        'Total (₹)': 'total',
        'Booked at': 'booked_at',
        'Status': 'status',
        'Checked in': 'checked_in',
    },
}


def read_xlsx(path: Path) -> dict[str, list[dict]]:
    """Each sheet's rows keyed by the CSV's column names (an unknown Excel header fails the test)."""
    sheets = pd.read_excel(path, sheet_name=None, keep_default_na=False)
    return {
        name: frame.rename(columns={label: XLSX_COLUMNS[name][label] for label in frame.columns}).to_dict('records')
        for name, frame in sheets.items()
    }


@dataclass
class Stage:
    manager: User
    other: User
    admin: User
    member: User
    buyers: list[User]
    theatre: Theatre
    empty: Theatre
    theirs: Theatre
    hamlet: Show
    hindi: Show
    tokyo: Show
    their_show: Show


def build() -> Stage:
    manager, other = make_user(role='manager'), make_user(role='manager')
    anand = make_user(username='anand', name='Anand Rao')
    zoe = make_user(username='zoe', name='Zoë "Z", Müller')
    taro = make_user(username='taro', name='東京 太郎')
    theatre = make_theatre(manager, name=THEATRE_NAME, place='Bengaluru', capacity=300)
    empty = make_theatre(manager, name='Empty Hall', place='Pune', capacity=80)
    theirs = make_theatre(other, name='Theirs', place='Delhi', capacity=50)
    hamlet = make_show(
        theatre, name='Hamlet', price_cents=30000, num_tickets=100, rating=4.5, tags=('drama', 'english')
    )
    hindi = make_show(theatre, name=HINDI, price_cents=25050, num_tickets=50, rating=3.0, tags=('hindi',))
    tokyo = make_show(theatre, name=TOKYO, price_cents=0, num_tickets=20, rating=0.0)
    their_show = make_show(theirs, name='Their Show', price_cents=10000, num_tickets=10)
    for show, when in ((hamlet, (12, 1)), (hindi, (12, 2)), (tokyo, (12, 3)), (their_show, (12, 1))):
        starting(show, dt.datetime(2026, *when, 14, 30, tzinfo=dt.UTC))
    make_booking(anand, hamlet, tickets=4, created_at=dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
    make_booking(zoe, hamlet, tickets=3, created_at=dt.datetime(2026, 11, 21, 11, 15, tzinfo=dt.UTC))
    make_booking(taro, hamlet, tickets=2, status='cancelled', created_at=dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC))
    make_booking(anand, hindi, tickets=2, created_at=dt.datetime(2026, 11, 23, 18, 45, tzinfo=dt.UTC))
    make_booking(zoe, hindi, tickets=1, status='cancelled', created_at=dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC))
    make_booking(zoe, their_show, tickets=5, created_at=dt.datetime(2026, 11, 19, 8, 0, tzinfo=dt.UTC))
    return Stage(
        manager,
        other,
        make_user(role='admin'),
        make_user(),
        [anand, zoe, taro],
        theatre,
        empty,
        theirs,
        hamlet,
        hindi,
        tokyo,
        their_show,
    )


def theatre_shows(stage: Stage, starts: Callable[[int], object]) -> list[dict]:
    """The theatre's shows as the export must list them (revenue from confirmed bookings only)."""
    return [
        dict(
            show_id=stage.hamlet.id,
            show='Hamlet',
            starts_at=starts(1),
            time_zone='UTC',
            show_status='scheduled',
            ticket_price=300.0,
            tickets_offered=100,
            tickets_sold=7,
            tickets_left=93,
            revenue=2100.0,
            rating=4.5,
            tags='drama, english',
        ),
        dict(
            show_id=stage.hindi.id,
            show=HINDI,
            starts_at=starts(2),
            time_zone='UTC',
            show_status='scheduled',
            ticket_price=250.5,
            tickets_offered=50,
            tickets_sold=2,
            tickets_left=48,
            revenue=501.0,
            rating=3.0,
            tags='hindi',
        ),
        dict(
            show_id=stage.tokyo.id,
            show=TOKYO,
            starts_at=starts(3),
            time_zone='UTC',
            show_status='scheduled',
            ticket_price=0.0,
            tickets_offered=20,
            tickets_sold=0,
            tickets_left=20,
            revenue=0.0,
            rating=0.0,
            tags='',
        ),
    ]


def theatre_header(stage: Stage) -> dict:
    return dict(theatre_id=stage.theatre.id, theatre=THEATRE_NAME, place='Bengaluru', capacity=300)


def csv_time(day: int, hour: int = 14, minute: int = 30, zone: str = '+00:00') -> str:
    return f'2026-12-{day:02d}T{hour:02d}:{minute:02d}:00{zone}'


def xlsx_time(day: int, hour: int = 14, minute: int = 30) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, minute)


# --- through the real worker pool ----------------------------------------------------------------


@pytest.mark.parametrize('fmt', ['csv', 'xlsx'])
def test_theatre_export_through_the_pool(any_queue, fmt):
    stage = build()
    pending = ask_export(stage.manager, 'theatre', stage.theatre.id, fmt)
    assert (pending.status, pending.progress, pending.title) == ('pending', 0, f'Theatre · {THEATRE_NAME}')
    done = wait_for(pending.id, stage.manager.id)
    assert (done.status, done.error, done.progress, done.rows) == ('done', None, 100, 3)
    assert done.finished_at is not None

    export = any_queue.file(stage.manager.id, pending.id)
    assert export.path == any_queue.folder / f'{pending.id}.{fmt}'
    assert export.media_type == exports.MEDIA_TYPES[fmt]
    assert export.filename.startswith('theatre-théâtre-ranga-shankara-') and export.filename.endswith(f'.{fmt}')
    assert sorted(p.name for p in any_queue.folder.iterdir()) == [f'{pending.id}.{fmt}']  # no .part left
    with session_scope() as s:  # claimed once, by this process's runner
        job = s.get_one(ExportJob, pending.id)
        assert (job.attempts, job.claimed_by) == (1, any_queue.runner.instance)
    if fmt == 'csv':
        header = theatre_header(stage)
        assert read_csv(export.path) == [{**header, **row} for row in theatre_shows(stage, csv_time)]
    else:
        assert read_xlsx(export.path) == {
            'Theatre': [theatre_header(stage)],
            'Shows': theatre_shows(stage, xlsx_time),
        }


def test_a_failing_export_ends_failed_not_lost(queue, tmp_path):
    stage = build()
    not_a_folder = tmp_path / 'exports-is-a-file'
    not_a_folder.write_text('in the way')
    queue.stop()
    queue.start(folder=not_a_folder)
    job = ask_export(stage.manager, 'theatre', stage.theatre.id, 'xlsx')
    failed = wait_for(job.id, stage.manager.id)
    assert (failed.status, failed.error, failed.active) == ('failed', SERVER_ERROR, False)
    assert failed.finished_at is not None
    assert not_a_folder.read_text() == 'in the way'
    assert list(tmp_path.rglob(f'{job.id}*')) == []
    with pytest.raises(Conflict, match='This export failed; there is no file'):
        queue.file(stage.manager.id, job.id)


def test_a_failing_export_run_in_process_ends_failed(exporter, tmp_path):
    """`run_export` itself must end the job, not leave it 'running' until it is stale."""
    stage = build()
    not_a_folder = tmp_path / 'exports-is-a-file'
    not_a_folder.write_text('in the way')
    job = add_job(stage.manager, target_id=stage.theatre.id)
    assert exporter.run(job, folder=not_a_folder) == 'failed'
    with session_scope() as s:
        view = exports.get_export(s, actor_id=stage.manager.id, job_id=job)
    assert (view.status, view.error) == ('failed', SERVER_ERROR)


def test_an_admin_may_export_any_theatre(queue):
    stage = build()
    job = ask_export(stage.admin, 'theatre', stage.theirs.id, 'csv')
    assert wait_for(job.id, stage.admin.id).status == 'done'
    rows = read_csv(queue.file(stage.admin.id, job.id).path)
    assert [(r['theatre'], r['show'], r['tickets_sold'], r['revenue']) for r in rows] == [
        ('Theirs', 'Their Show', 5, 500.0)
    ]
    with pytest.raises(NotFound):  # the theatre's manager did not ask for it: not theirs to download
        queue.file(stage.other.id, job.id)


# --- content, run in this process -------------------------------------------------------------------


def test_show_export_lists_every_booking_with_its_customer(exporter):
    stage = build()
    csv_job = add_job(stage.manager, kind='show', target_id=stage.hamlet.id, fmt='csv')
    xlsx_job = add_job(stage.manager, kind='show', target_id=stage.hamlet.id, fmt='xlsx')
    assert exporter.run(csv_job, tz_name='Asia/Kolkata') == 'done'
    assert exporter.run(xlsx_job, tz_name='Asia/Kolkata') == 'done'
    with session_scope() as s:
        counted = s.scalars(select(ExportJob.rows).where(ExportJob.id.in_([csv_job, xlsx_job]))).all()
    assert counted == [3, 3]

    header = dict(
        show_id=stage.hamlet.id,
        show='Hamlet',
        theatre=THEATRE_NAME,
        place='Bengaluru',
        starts_at=csv_time(1, 20, 0, '+05:30'),  # 14:30 UTC is 20:00 in Kolkata
        time_zone='IST (Asia/Kolkata)',  # the theatre has none of its own: the app's
        show_status='scheduled',
        ticket_price=300.0,
        tickets_offered=100,
        tickets_sold=7,
    )
    bookings = [  # oldest first, the cancelled one too
        ('Anand Rao', 'anand', 4, 300.0, 1200.0, 'confirmed'),
        ('Zoë "Z", Müller', 'zoe', 3, 300.0, 900.0, 'confirmed'),
        ('東京 太郎', 'taro', 2, 300.0, 600.0, 'cancelled'),
    ]
    csv_rows = read_csv(exporter.folder / f'{csv_job}.csv')
    assert [{k: r[k] for k in header} for r in csv_rows] == [header] * 3
    columns = ('customer_name', 'customer_username', 'tickets', 'unit_price', 'total', 'status')
    assert [tuple(r[c] for c in columns) for r in csv_rows] == bookings
    assert [r['booked_at'] for r in csv_rows] == [
        '2026-11-20T15:30:00+05:30',
        '2026-11-21T16:45:00+05:30',
        '2026-11-22T14:30:00+05:30',
    ]
    assert len({r['booking_id'] for r in csv_rows}) == 3
    with session_scope() as s:
        references = dict(s.execute(select(Booking.id, Booking.reference)).all())
    assert [r['reference'] for r in csv_rows] == [references[int(r['booking_id'])] for r in csv_rows]

    sheets = read_xlsx(exporter.folder / f'{xlsx_job}.xlsx')
    assert list(sheets) == ['Show', 'Bookings']
    assert sheets['Show'] == [{**header, 'starts_at': xlsx_time(1, 20, 0)}]  # Excel: local wall-clock time
    assert [tuple(r[c] for c in columns) for r in sheets['Bookings']] == bookings
    assert [r['booking_id'] for r in sheets['Bookings']] == [r['booking_id'] for r in csv_rows]
    assert sheets['Bookings'][0]['booked_at'] == dt.datetime(2026, 11, 20, 15, 30)


def test_a_show_s_start_is_in_its_theatre_s_time_zone_named_beside_it_in_every_export(any_db, tmp_path, monkeypatch):
    exporter = _exporter(any_db, tmp_path, monkeypatch)
    manager, buyer = make_user(role='manager'), make_user(username='anand')
    theatre = make_theatre(manager, name='Prithvi', place='Mumbai')
    with session_scope() as s:
        s.get_one(Theatre, theatre.id).timezone = 'Asia/Kolkata'
    show = make_show(theatre, name='Hamlet', starts_at=dt.datetime(2026, 12, 12, 14, 0, tzinfo=dt.UTC))
    make_booking(buyer, show, tickets=2, created_at=dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC))
    jobs = {
        (kind, fmt): add_job(owner, kind=kind, target_id=target, fmt=fmt)
        for kind, owner, target in (
            ('theatre', manager, theatre.id),
            ('show', manager, show.id),
            ('bookings', buyer, None),
        )
        for fmt in ('csv', 'xlsx')
    }
    for job in jobs.values():
        assert exporter.run(job, tz_name='UTC') == 'done'  # the app's zone is UTC; the theatre is in India

    india = ('2026-12-12T19:30:00+05:30', 'IST (Asia/Kolkata)')
    for kind in ('theatre', 'show', 'bookings'):
        (row,) = read_csv(exporter.folder / f'{jobs[kind, "csv"]}.csv')
        assert (row['starts_at'], row['time_zone']) == india, kind
        sheets = read_xlsx(exporter.folder / f'{jobs[kind, "xlsx"]}.xlsx')
        (record,) = sheets['Show' if kind == 'show' else 'Shows' if kind == 'theatre' else 'Bookings']
        assert (record['starts_at'], record['time_zone']) == (dt.datetime(2026, 12, 12, 19, 30), india[1]), kind
    (booked,) = read_csv(exporter.folder / f'{jobs["show", "csv"]}.csv')
    assert booked['booked_at'] == '2026-11-20T10:00:00+00:00'  # when it was booked: the app's time, as before


def test_my_bookings_export_holds_only_my_own(queue):
    stage = build()
    anand, zoe, _ = stage.buyers
    mine = ask_export(anand, 'bookings', 12345, 'csv')  # a target is ignored: one's own bookings, nobody else's
    theirs = ask_export(zoe, 'bookings', None, 'xlsx')
    assert (mine.title, mine.kind) == ('My bookings', 'bookings')
    assert wait_for(mine.id, anand.id).rows == 2 and wait_for(theirs.id, zoe.id).rows == 3
    rows = read_csv(queue.file(anand.id, mine.id).path)
    assert [(r['show'], r['theatre'], r['place'], r['tickets'], r['total'], r['status']) for r in rows] == [
        (HINDI, THEATRE_NAME, 'Bengaluru', 2, 501.0, 'confirmed'),  # newest first
        ('Hamlet', THEATRE_NAME, 'Bengaluru', 4, 1200.0, 'confirmed'),
    ]
    assert [r['starts_at'] for r in rows] == [csv_time(2), csv_time(1)]
    zoes = read_xlsx(queue.file(zoe.id, theirs.id).path)
    assert list(zoes) == ['Bookings']  # no header sheet for one's own bookings
    assert [(r['show'], r['tickets'], r['status']) for r in zoes['Bookings']] == [
        (HINDI, 1, 'cancelled'),
        ('Hamlet', 3, 'confirmed'),
        ('Their Show', 5, 'confirmed'),
    ]
    assert not {r['booking_id'] for r in rows} & {r['booking_id'] for r in zoes['Bookings']}
    with pytest.raises(NotFound, match='No such export'):
        queue.file(zoe.id, mine.id)


FORMULAS = ['=HYPERLINK("http://x")', '+1', '-2', '@SUM(A1)']


def test_formulas_come_back_as_plain_text(exporter):
    manager = make_user(role='manager')
    theatre = make_theatre(manager, name='=1+1', place='@Home')
    for n, name in enumerate(FORMULAS):
        starting(make_show(theatre, name=name, tags=('=cmd',) if n == 0 else ()), NOW + dt.timedelta(days=n))
    csv_job, xlsx_job = add_job(manager, target_id=theatre.id), add_job(manager, target_id=theatre.id, fmt='xlsx')
    assert exporter.run(csv_job) == exporter.run(xlsx_job) == 'done'
    quoted = ["'" + name for name in FORMULAS]

    csv_path = exporter.folder / f'{csv_job}.csv'
    assert csv_path.read_bytes().startswith(b'\xef\xbb\xbf')  # the BOM: Excel reads it as UTF-8
    assert '"\'=HYPERLINK(""http://x"")"' in csv_path.read_text(encoding='utf-8-sig')
    rows = read_csv(csv_path)
    assert [r['show'] for r in rows] == quoted
    assert {(r['theatre'], r['place']) for r in rows} == {("'=1+1", "'@Home")}
    assert [r['tags'] for r in rows] == ["'=cmd", '', '', '']
    assert [r['tickets_offered'] for r in rows] == [50] * 4  # numbers stay numbers

    xlsx_path = exporter.folder / f'{xlsx_job}.xlsx'
    assert [r['show'] for r in read_xlsx(xlsx_path)['Shows']] == quoted
    book = openpyxl.load_workbook(xlsx_path)
    shows = [cell for (cell,) in book['Shows'].iter_rows(min_row=2, min_col=2, max_col=2)]
    assert [(cell.value, cell.data_type) for cell in shows] == [(q, 's') for q in quoted]
    header = book['Theatre']
    assert [(c.value, c.data_type) for c in header[2][1:3]] == [("'=1+1", 's'), ("'@Home", 's')]
    assert not any(cell.data_type == 'f' for sheet in book.worksheets for row in sheet.iter_rows() for cell in row)


def test_an_empty_theatre_exports_its_header_and_no_rows(exporter):
    stage = build()
    csv_job = add_job(stage.manager, target_id=stage.empty.id)
    xlsx_job = add_job(stage.manager, target_id=stage.empty.id, fmt='xlsx')
    assert exporter.run(csv_job) == exporter.run(xlsx_job) == 'done'
    with session_scope() as s:
        finished = [exports.get_export(s, actor_id=stage.manager.id, job_id=j) for j in (csv_job, xlsx_job)]
    assert [(v.status, v.progress, v.rows) for v in finished] == [('done', 100, 0)] * 2
    rows = read_csv(exporter.folder / f'{csv_job}.csv')
    assert len(rows) == 1
    assert {k: rows[0][k] for k in ('theatre', 'place', 'capacity', 'show', 'tickets_sold')} == {
        'theatre': 'Empty Hall',
        'place': 'Pune',
        'capacity': 80,
        'show': '',
        'tickets_sold': '',
    }
    sheets = pd.read_excel(exporter.folder / f'{xlsx_job}.xlsx', sheet_name=None)
    assert list(sheets['Theatre'].to_dict('records')) == [
        {'Theatre ID': stage.empty.id, 'Theatre': 'Empty Hall', 'Place': 'Pune', 'Capacity': 80}
    ]
    assert sheets['Shows'].empty and list(sheets['Shows'].columns)[:3] == ['Show ID', 'Show', 'Starts at']


def test_nothing_to_export_is_a_header_only(exporter):
    member = make_user()
    job = add_job(member, kind='bookings', title='My bookings')
    assert exporter.run(job) == 'done'
    text = (exporter.folder / f'{job}.csv').read_text(encoding='utf-8-sig')
    assert text.splitlines() == [
        'booking_id,reference,show,theatre,place,starts_at,time_zone,tickets,seats,unit_price,total,booked_at,status'
    ]


@pytest.mark.parametrize('fmt', ['csv', 'xlsx'])
def test_an_export_of_many_chunks_has_every_row_once(exporter, monkeypatch, fmt):
    monkeypatch.setattr(exports.tables, 'CHUNK_ROWS', 2)  # 7 shows: chunks of 2, 2, 2 and 1
    manager = make_user(role='manager')
    theatre = make_theatre(manager, name='Big')
    names = [f'Show {n:02d}' for n in range(7)]
    for n, name in enumerate(names):
        starting(make_show(theatre, name=name, num_tickets=10 + n), NOW + dt.timedelta(days=n))
    job = add_job(manager, target_id=theatre.id, fmt=fmt)
    assert exporter.run(job) == 'done'
    path = exporter.folder / f'{job}.{fmt}'
    rows = read_csv(path) if fmt == 'csv' else read_xlsx(path)['Shows']
    assert [(r['show'], r['tickets_offered']) for r in rows] == [(name, 10 + n) for n, name in enumerate(names)]
    with session_scope() as s:
        view = exports.get_export(s, actor_id=manager.id, job_id=job)
    assert (view.status, view.progress, view.rows) == ('done', 100, 7)


def test_the_show_and_bookings_exports_name_a_reserved_booking_s_seats(any_db, tmp_path, monkeypatch):
    exporter = _exporter(any_db, tmp_path, monkeypatch)
    monkeypatch.setattr(exports.tables, 'CHUNK_ROWS', 2)  # 3 bookings: the seats are read for chunks of 2 and 1
    manager = make_user(role='manager')
    theatre = make_theatre(manager, name='Globe', place='Pune', capacity=10)
    put_map(manager, theatre, HOUSE)
    show = create_reserved(manager, theatre, prices={'Circle': '150'})
    ids = seat_ids(theatre)
    anand, zoe = make_user(username='anand', name='Anand Rao'), make_user(username='zoe', name='Zoë')
    general = make_show(theatre, name='Open Mic', price_cents=5000)

    def book(person: User, show_id: int, names: list[str] | None = None, tickets: int | None = None) -> int:
        with session_scope() as s:
            seats = None if names is None else [ids[name] for name in names]
            return booking_service.book(s, show_id=show_id, user_id=person.id, seats=seats, tickets=tickets).id

    first = book(anand, show.id, ['Stalls A2', 'Stalls A1'])  # asked for out of order
    second = book(zoe, show.id, ['Circle B1', 'Stalls C6'])  # two sections, two prices
    with session_scope() as s:
        booking_service.cancel_booking(s, booking_id=second, user_id=zoe.id)
    third = book(zoe, show.id, ['Stalls C6'])
    book(anand, general.id, tickets=2)

    show_csv = add_job(manager, kind='show', target_id=show.id)
    show_xlsx = add_job(manager, kind='show', target_id=show.id, fmt='xlsx')
    mine = add_job(anand, kind='bookings', title='My bookings')
    assert {exporter.run(job) for job in (show_csv, show_xlsx, mine)} == {'done'}

    expected = [  # oldest first; a cancelled booking keeps the seats it had
        (first, 'anand', 2, 'Stalls A1, A2', 100.0, 200.0, 'confirmed'),
        (second, 'zoe', 2, 'Stalls C6; Circle B1', '', 250.0, 'cancelled'),  # no one price for both seats
        (third, 'zoe', 1, 'Stalls C6', 100.0, 100.0, 'confirmed'),
    ]
    columns = ('booking_id', 'customer_username', 'tickets', 'seats', 'unit_price', 'total', 'status')
    rows = read_csv(exporter.folder / f'{show_csv}.csv')
    assert [tuple(r[c] for c in columns) for r in rows] == [
        (first, 'anand', 2, 'Stalls A1, A2', '100.00', 200.0, 'confirmed'),  # an empty price: the column is text
        (second, 'zoe', 2, 'Stalls C6; Circle B1', '', 250.0, 'cancelled'),
        (third, 'zoe', 1, 'Stalls C6', '100.00', 100.0, 'confirmed'),
    ]
    sheet = read_xlsx(exporter.folder / f'{show_xlsx}.xlsx')['Bookings']
    assert [tuple(r[c] for c in columns) for r in sheet] == expected
    assert list(sheet[0])[:7] == [
        'booking_id',
        'reference',
        'customer_name',
        'customer_username',
        'tickets',
        'seats',
        'unit_price',
    ]

    history = read_csv(exporter.folder / f'{mine}.csv')  # newest first; general admission has no seats
    assert [(r['show'], r['tickets'], r['seats'], r['unit_price']) for r in history] == [
        ('Open Mic', 2, '', 50.0),
        ('Hamlet', 2, 'Stalls A1, A2', 100.0),
    ]


# --- who may export what ------------------------------------------------------------------------


def test_nobody_exports_what_they_may_not_manage(database):
    stage = build()
    for kind, target in (
        ('theatre', stage.theirs.id),
        ('show', stage.their_show.id),
        ('theatre', 999999),
        ('show', 'abc'),
        ('theatre', None),
    ):
        with pytest.raises(NotFound, match=f'No such {kind}'):
            ask_export(stage.manager, kind, target)
    for kind, target in (('theatre', stage.theatre.id), ('show', stage.hamlet.id)):
        with pytest.raises(NotAllowed, match=f'Only theatre managers or admins can manage {kind}s'):
            ask_export(stage.member, kind, target)
    assert job_count() == 0


@pytest.mark.parametrize(
    ('kind', 'fmt', 'errors'),
    [
        ('theatre', 'pdf', {'format': 'Choose CSV or Excel (xlsx).'}),
        ('theatre', None, {'format': 'Choose CSV or Excel (xlsx).'}),
        ('theatre', 'CSV', {'format': 'Choose CSV or Excel (xlsx).'}),
        ('bogus', 'csv', {'kind': 'Choose what to export: a theatre, a show or your bookings.'}),
        (None, 'xlsx', {'kind': 'Choose what to export: a theatre, a show or your bookings.'}),
    ],
)
def test_bad_requests_are_refused_and_record_nothing(database, kind, fmt, errors):
    manager = make_user(role='manager')
    theatre = make_theatre(manager)
    with pytest.raises(Invalid) as refused:
        ask_export(manager, kind, theatre.id, fmt)
    assert refused.value.errors == errors
    assert job_count() == 0


def test_only_the_creator_or_an_admin_sees_a_job(exporter):
    stage = build()
    job = add_job(stage.manager, target_id=stage.theatre.id, title=f'Theatre · {THEATRE_NAME}')
    assert exporter.run(job) == 'done'
    for outsider in (stage.other, stage.member, stage.buyers[0]):
        with pytest.raises(NotFound, match='No such export'), session_scope() as s:
            exports.get_export(s, actor_id=outsider.id, job_id=job)
        with pytest.raises(NotFound, match='No such export'):
            exporter.file(outsider.id, job)
        with session_scope() as s:
            assert exports.my_exports(s, actor_id=outsider.id) == []
    for job_id in ('0' * 32, 'x' * 33, 42, None):
        with pytest.raises(NotFound, match='No such export'), session_scope() as s:
            exports.get_export(s, actor_id=stage.manager.id, job_id=job_id)
    for viewer in (stage.manager, stage.admin):
        with session_scope() as s:
            assert exports.get_export(s, actor_id=viewer.id, job_id=job).status == 'done'
        assert exporter.file(viewer.id, job).path.is_file()
    with session_scope() as s:
        assert [v.id for v in exports.my_exports(s, actor_id=stage.manager.id)] == [job]


# --- jobs end, visibly ------------------------------------------------------------------------------


def test_a_job_whose_permission_went_away_fails_with_the_reason(exporter):
    stage = build()
    job = add_job(stage.manager, target_id=stage.theatre.id)
    with session_scope() as s:  # the theatre changed hands after the export was asked for
        s.execute(update(Theatre).where(Theatre.id == stage.theatre.id).values(owner_id=stage.other.id))
    assert exporter.run(job) == 'failed'
    with session_scope() as s:
        view = exports.get_export(s, actor_id=stage.manager.id, job_id=job)
    assert (view.status, view.error, view.progress) == ('failed', 'No such theatre.', 0)
    assert not exporter.folder.exists() or list(exporter.folder.iterdir()) == []


def test_a_job_runs_once(exporter):
    stage = build()
    job = add_job(stage.manager, target_id=stage.theatre.id)
    assert exporter.run(job) == 'done'
    assert exporter.run(job) == 'skipped'
    assert exporter.run('f' * 32) == 'skipped'
    # a worker holding an old claim of the job (its runner's, or an earlier try's) leaves it as it is
    for instance, attempt in ((TEST_INSTANCE, 2), ('another-instance', 1)):
        assert (
            exports.run_export(
                job,
                instance=instance,
                attempt=attempt,
                database_url=exporter.url,
                export_dir=str(exporter.folder),
                tz_name='UTC',
            )
            == 'lost'
        )
    with session_scope() as s:
        assert (s.get_one(ExportJob, job).status, s.get_one(ExportJob, job).attempts) == ('done', 1)


def test_reading_a_job_never_changes_it(database):
    """A silent job is retried or failed by a runner (test_export_queue.py), not by whoever happens to read it."""
    stage = build()
    old = utcnow() - dt.timedelta(hours=1)
    stuck = add_job(stage.manager, status='running', created_at=old, heartbeat_at=old)
    queued = add_job(stage.manager, status='pending', created_at=old, heartbeat_at=old)
    with session_scope() as s:
        view = exports.get_export(s, actor_id=stage.manager.id, job_id=stuck)
        assert (view.status, view.error, view.active) == ('running', None, True)
    with session_scope() as s:
        listed = {v.id: (v.status, v.error) for v in exports.my_exports(s, actor_id=stage.manager.id)}
    assert listed == {stuck: ('running', None), queued: ('pending', None)}
    with session_scope() as s:
        assert s.get_one(ExportJob, stuck).heartbeat_at == old and s.get_one(ExportJob, stuck).finished_at is None


def test_no_file_until_done(exporter):
    stage = build()
    pending = add_job(stage.manager, target_id=stage.theatre.id)
    failed = add_job(stage.manager, status='failed')
    with pytest.raises(Conflict, match='not ready yet'):
        exporter.file(stage.manager.id, pending)
    with pytest.raises(Conflict, match='This export failed; there is no file'):
        exporter.file(stage.manager.id, failed)
    assert exporter.run(pending) == 'done'
    (exporter.folder / f'{pending}.csv').unlink()
    with pytest.raises(NotFound, match='cleaned up'):
        exporter.file(stage.manager.id, pending)


def test_at_most_three_exports_under_way_per_person(queue):
    stage = build()
    assert exports.MAX_ACTIVE_PER_PERSON == 3
    later = utcnow() + dt.timedelta(hours=1)  # waiting for a retry: under way, yet not claimed during the test
    under_way = [
        add_job(stage.manager, status=status, available_at=later) for status in ('pending', 'running', 'pending')
    ]
    add_job(stage.other, available_at=later)  # someone else's does not count against this manager
    with pytest.raises(Conflict, match='You already have 3 exports under way'):
        ask_export(stage.manager, 'theatre', stage.theatre.id)
    assert job_count() == 4
    job = ask_export(stage.other, 'theatre', stage.theirs.id)
    assert wait_for(job.id, stage.other.id).status == 'done'

    with session_scope() as s:  # one of the three has ended: it no longer counts
        s.execute(update(ExportJob).where(ExportJob.id == under_way[1]).values(status=ExportStatus.FAILED))
    job = ask_export(stage.manager, 'theatre', stage.theatre.id, 'xlsx')
    assert wait_for(job.id, stage.manager.id).status == 'done'
    assert job_count() == 6


def test_purge_forgets_old_finished_jobs_and_their_files(exporter):
    stage = build()
    day = dt.timedelta(days=1)
    old_done = add_job(stage.manager, status='done', created_at=NOW - 2 * day)
    old_failed = add_job(stage.manager, status='failed', created_at=NOW - 2 * day, fmt='xlsx')
    old_running = add_job(stage.manager, status='running', created_at=NOW - 2 * day)
    recent_done = add_job(stage.manager, status='done', created_at=NOW - dt.timedelta(hours=23))
    exporter.folder.mkdir()
    for name in (f'{old_done}.csv', f'{old_failed}.xlsx.part', f'{recent_done}.csv', 'unrelated.csv'):
        (exporter.folder / name).write_text('data')
    with session_scope() as s:
        assert exports.purge_expired(s, export_dir=exporter.folder, older_than=day, now=NOW) == 2
    with session_scope() as s:
        assert set(s.scalars(select(ExportJob.id))) == {old_running, recent_done}
    assert sorted(p.name for p in exporter.folder.iterdir()) == sorted([f'{recent_done}.csv', 'unrelated.csv'])
    with session_scope() as s:
        assert exports.purge_expired(s, export_dir=exporter.folder, older_than=day, now=NOW) == 0


def test_purge_deletes_files_only_once_forgetting_them_has_committed(exporter):
    stage = build()
    old = add_job(stage.manager, status='done', created_at=NOW - dt.timedelta(days=2))
    exporter.folder.mkdir()
    export = exporter.folder / f'{old}.csv'
    export.write_text('data')
    with pytest.raises(RuntimeError, match='rolled back'), session_scope() as s:
        assert exports.purge_expired(s, export_dir=exporter.folder, older_than=dt.timedelta(days=1), now=NOW) == 1
        assert export.exists()  # the row is gone only inside this transaction: its file stays until that commits
        raise RuntimeError('rolled back')
    assert export.read_text() == 'data'
    assert job_count() == 1
    with session_scope() as s:
        assert exports.purge_expired(s, export_dir=exporter.folder, older_than=dt.timedelta(days=1), now=NOW) == 1
        assert export.exists()
    assert not export.exists()
    assert job_count() == 0


def test_a_new_export_request_clears_out_expired_ones(queue):
    stage = build()
    expired = add_job(stage.manager, status='done', created_at=utcnow() - dt.timedelta(hours=25))
    queue.folder.mkdir()
    (queue.folder / f'{expired}.csv').write_text('data')
    job = ask_export(stage.manager, 'theatre', stage.theatre.id)
    with session_scope() as s:
        assert set(s.scalars(select(ExportJob.id))) == {job.id}
    assert not (queue.folder / f'{expired}.csv').exists()
    assert wait_for(job.id, stage.manager.id).status == 'done'


def test_download_names_keep_non_latin_titles(exporter):
    """The file name is made of the title's words; Indic scripts' vowel signs are part of those words."""
    stage = build()
    for show, slug in ((stage.tokyo, 'show-東京劇場-'), (stage.hindi, 'show-हिन्दी-नाटक-')):
        job = add_job(stage.manager, kind='show', target_id=show.id, title=f'Show · {show.name}')
        assert exporter.run(job) == 'done'
        assert exporter.file(stage.manager.id, job).filename.startswith(slug)
