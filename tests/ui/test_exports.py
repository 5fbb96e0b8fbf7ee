"""Exports from the pages: started from a menu, followed in a dialog, listed under My exports, downloaded."""

from __future__ import annotations

import io

import pandas as pd
from nicegui.testing import User
from sqlalchemy import select

from models import ExportJob, Role
from models.db import session_scope
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.ui.helpers import count, elements, eventually, landed_on, open_as, open_dialog

JOB_SECONDS = 60  # the first export of a run spawns the worker process


def seed() -> int:
    meera = make_user(username='meera', role=Role.MANAGER)
    theatre = make_theatre(meera, name='Prithvi, Mumbai', place='Mumbai')
    hamlet = make_show(theatre, name='Hamlet', num_tickets=50, price_cents=25050, tags=('drama', 'english'))
    make_booking(make_user(username='asha', name='Asha Rao'), hamlet, tickets=3)
    return theatre.id


async def wait_for_download_button(user: User) -> None:
    await eventually(
        lambda: any(button.enabled for button in elements(user, marker='export-download')),
        timeout=JOB_SECONDS,
        message='the export to finish',
    )


async def test_a_manager_exports_a_theatre_as_csv_and_downloads_it(user: User) -> None:
    theatre_id = seed()
    await open_as(user, 'meera', '/manage')
    user.find(marker='export-theatre').click()
    user.find(marker='export-theatre-csv').click()
    await open_dialog(user, 'export-dialog')
    await user.should_see('Exporting Theatre · Prithvi, Mumbai')
    await wait_for_download_button(user)
    await user.should_see('Your export of Theatre · Prithvi, Mumbai is ready.')
    user.find(marker='export-download').click()
    response = await user.download.next(timeout=5)
    assert response.status_code == 200
    assert response.headers['content-type'].startswith('text/csv')
    assert 'attachment' in response.headers['content-disposition']
    table = pd.read_csv(io.BytesIO(response.content), encoding='utf-8-sig')
    assert table.to_dict('records') == [
        {
            'theatre_id': theatre_id,
            'theatre': 'Prithvi, Mumbai',
            'place': 'Mumbai',
            'capacity': 200,
            'show_id': 1,
            'show': 'Hamlet',
            'starts_at': table['starts_at'][0],
            'time_zone': 'IST (Asia/Kolkata)',
            'show_status': 'scheduled',
            'ticket_price': 250.5,
            'tickets_offered': 50,
            'tickets_sold': 3,
            'tickets_left': 47,
            'revenue': 751.5,
            'rating': 4.0,
            'tags': 'drama, english',
        }
    ]
    assert table['starts_at'][0].endswith('+05:30')  # local time of the app's zone, with its offset


async def test_an_audience_member_exports_their_history_and_finds_it_under_my_exports(user: User) -> None:
    seed()
    await open_as(user, 'asha', '/bookings')
    user.find(marker='export-bookings').click()
    user.find(marker='export-bookings-xlsx').click()
    await open_dialog(user, 'export-dialog')
    await wait_for_download_button(user)
    await user.open('/exports')
    await user.should_see('My bookings')
    await user.should_see('Ready')
    await user.should_see('1 row')
    (title,) = user.find(marker='export-title').elements  # cut short on a narrow screen, whole in its tooltip
    assert title.props['title'] == 'My bookings'
    user.find(marker='download').click()
    response = await user.download.next(timeout=5)
    sheets = pd.read_excel(io.BytesIO(response.content), sheet_name=None)
    assert list(sheets) == ['Bookings']
    columns = ['Show', 'Theatre', 'Tickets', 'Price per ticket (₹)', 'Total (₹)', 'Status']
    assert sheets['Bookings'][columns].to_dict('records') == [
        {
            'Show': 'Hamlet',
            'Theatre': 'Prithvi, Mumbai',
            'Tickets': 3,
            'Price per ticket (₹)': 250.5,
            'Total (₹)': 751.5,
            'Status': 'confirmed',
        }
    ]


async def test_nobody_else_downloads_someones_export(user: User) -> None:
    seed()
    await open_as(user, 'asha', '/bookings')
    user.find(marker='export-bookings').click()
    user.find(marker='export-bookings-csv').click()
    await wait_for_download_button(user)
    (job_id,) = [job.id for job in _jobs()]
    make_user(username='ravi')
    await user.open('/logout')
    user.find(marker='logout-submit').click()
    await landed_on(user, '/auth/renew')
    await open_as(user, 'ravi', '/exports')
    await user.should_see('No exports yet')
    response = await user.http_client.get(f'/api/v1/exports/{job_id}/file')
    assert response.status_code == 404
    assert response.json() == {'detail': 'No such export.'}


async def test_an_audience_member_has_no_theatre_export(user: User) -> None:
    seed()
    await open_as(user, 'asha', '/bookings')
    await user.should_see(marker='export-bookings')
    await user.should_not_see(marker='export-theatre')
    assert count(ExportJob) == 0


def _jobs() -> list[ExportJob]:
    with session_scope() as session:
        return list(session.scalars(select(ExportJob)))
