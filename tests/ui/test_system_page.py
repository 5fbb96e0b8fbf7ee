"""The admin's system page: health, this instance (its heartbeat row), queues, mail runs and disk, refreshed live."""

from __future__ import annotations

import datetime as dt

from nicegui.testing import User

from models import ExportFormat, ExportJob, ExportKind, ExportStatus, Instance, JobRun, MailKind, Role, RunStatus
from models.db import session_scope, utcnow
from services import instances
from tests.factories import make_user
from tests.ui.helpers import count, elements, eventually, open_as, shows_error_pages


def table_rows(user: User, marker: str) -> list[dict]:
    tables = elements(user, marker=marker)
    return list(tables[0].rows) if tables else []  # type: ignore[attr-defined]


async def test_the_admin_sees_health_this_instance_queues_runs_and_disk_and_it_refreshes(user: User) -> None:
    root = make_user(username='root', role=Role.ADMIN)
    await open_as(user, 'root', '/admin/system')
    await user.should_see('Health')
    with user.scope(marker='check-database'):
        await user.should_see('OK')
    with user.scope(marker='check-migrations'):
        await user.should_see('at 0015')
    # The in-process app runs with the scheduler off and no Redis: nobody holds the lease, which the page says.
    with user.scope(marker='check-scheduler'):
        await user.should_see('Degraded')
    # The heartbeat writes this instance's row; the page shows it at its next refresh (every 5 s).
    await eventually(lambda: any('this one' in row['instance'] for row in table_rows(user, 'instances')), timeout=15)
    assert count(Instance, Instance.id == instances.ID) == 1
    await user.should_see('No runs yet')
    await user.should_see('The var folder')
    with user.scope(marker='queues'):
        await user.should_see('Exports queued')

    with session_scope() as session:
        now = utcnow()
        session.add(
            JobRun(
                kind=MailKind.REMINDER,
                period='2026-12-05',
                trigger='cli',
                status=RunStatus.DONE,
                sent=12,
                failed=1,
                started_at=now,
                finished_at=now + dt.timedelta(seconds=3),
            )
        )
        for n in range(3):  # failed: the running app's export runner leaves them alone
            session.add(
                ExportJob(
                    id=f'{n:032x}',
                    owner_id=root.id,
                    kind=ExportKind.THEATRE,
                    title='Theatres',
                    format=ExportFormat.CSV,
                    status=ExportStatus.FAILED,
                    error='the test says so',
                )
            )
    # No click: the page refreshes itself every few seconds.
    await eventually(
        lambda: [(r['job'], r['sent'], r['failed']) for r in table_rows(user, 'runs')] == [('Daily reminder', 12, 1)],
        timeout=15,
    )
    await user.should_see('Exports failed')
    assert count(ExportJob, ExportJob.status == ExportStatus.FAILED) == 3
    with user.scope(marker='queues'):
        await user.should_see('3')


async def test_only_admins_see_the_system_page(user: User) -> None:
    make_user(username='meera', role=Role.MANAGER)
    shows_error_pages(user)  # the refusal answers 403
    await open_as(user, 'meera', '/admin/system')
    await user.should_see(marker='not-allowed')
    await user.should_see('Only admins can see the system page.')
