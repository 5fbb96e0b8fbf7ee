"""The e-tickets through the API: a booking made over HTTP is emailed by the outbox through a real SMTP server, a code
read back from the emailed PDF checks in once (a second scan is 409); GET /bookings/{id}/tickets.pdf is for the
booking's owner and admins, and 404 for everyone else."""

from __future__ import annotations

import asyncio

from nicegui.testing import User

from models import Role
from services.config import get_settings
from services.mail import outbox
from tests.api.test_contract import API, bearer
from tests.factories import make_show, make_theatre, make_user
from tests.services.test_etickets import pdf_codes, pdf_pages


async def test_a_code_from_the_emailed_pdf_checks_in_once_through_the_api(smtp_server, user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    show = make_show(make_theatre(meera, name='Globe', place='Pune'), name='Hamlet', num_tickets=10)
    make_user(username='asha', email='asha@example.com')
    made = await user.http_client.post(
        f'{API}/shows/{show.id}/bookings', json={'tickets': 2}, headers=await bearer(user, 'asha')
    )
    assert made.status_code == 201, made.text
    booking = made.json()

    result = await asyncio.to_thread(outbox.deliver_due, settings=get_settings())

    assert result.sent == 1
    (received,) = smtp_server.received
    assert received.rcpt_tos == ('asha@example.com',)
    assert booking['reference'] in received.message['Subject']
    (pdf,) = [p.get_content() for p in received.message.iter_attachments() if p.get_content_type() == 'application/pdf']
    codes = pdf_codes(pdf)
    assert codes == [t['code'] for t in booking['tickets']]

    door = await bearer(user, 'meera')
    scan = {'code': codes[0], 'show_id': show.id}
    first = await user.http_client.post(f'{API}/checkin', json=scan, headers=door)
    assert first.status_code == 200, first.text
    assert first.json()['result'] == 'checked_in'
    assert first.json()['booking_reference'] == booking['reference']
    assert first.json()['ticket']['code'] == codes[0]
    again = await user.http_client.post(f'{API}/checkin', json=scan, headers=door)
    assert again.status_code == 409, again.text
    assert again.json()['detail'].startswith('Already checked in at ')


async def test_the_tickets_pdf_is_for_the_owner_and_admins_only(user: User) -> None:
    meera = make_user(username='meera', role=Role.MANAGER)
    show = make_show(make_theatre(meera, name='Globe', place='Pune'), name='Hamlet', num_tickets=10)
    make_user(username='asha')
    make_user(username='ravi')
    make_user(username='root', role=Role.ADMIN)
    asha = await bearer(user, 'asha')
    booking = (await user.http_client.post(f'{API}/shows/{show.id}/bookings', json={'tickets': 3}, headers=asha)).json()
    url = f'{API}/bookings/{booking["id"]}/tickets.pdf'

    for who in ('asha', 'root'):
        got = await user.http_client.get(url, headers=await bearer(user, who))
        assert got.status_code == 200, (who, got.text)
        assert got.headers['content-type'] == 'application/pdf'
        assert got.headers['content-disposition'] == f'attachment; filename="tickets-{booking["reference"]}.pdf"'
        assert got.headers['cache-control'] == 'private, no-store'
        assert pdf_codes(got.content) == [t['code'] for t in booking['tickets']]
    for who in ('ravi', 'meera'):  # another person; the theatre's manager sees the booking, not its tickets
        hidden = await user.http_client.get(url, headers=await bearer(user, who))
        assert hidden.status_code == 404 and hidden.json() == {'detail': 'No such booking.'}
    missing = await user.http_client.get(f'{API}/bookings/{booking["id"] + 1}/tickets.pdf', headers=asha)
    assert missing.status_code == 404 and missing.json() == {'detail': 'No such booking.'}
    assert (await user.http_client.get(url)).status_code == 401

    await user.http_client.delete(f'{API}/bookings/{booking["id"]}', headers=asha)
    cancelled = await user.http_client.get(url, headers=asha)
    assert cancelled.status_code == 200
    text = '\n'.join(page_text for _, page_text, _ in pdf_pages(cancelled.content))
    assert text.count('CANCELLED — admits no one') == 3
