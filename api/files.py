"""Binary responses: chart PNGs and finished export files, for the pages and for API clients alike."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, Response

from api.deps import call, caller
from api.v1 import ERRORS
from services import charts, etickets, exports, preferences, workers
from services.config import get_settings
from services.mail import admin as mail_admin
from services.sessions import Principal

router = APIRouter(prefix='/api/v1')
unsubscribe_router = APIRouter()
Caller = Annotated[Principal, Depends(caller)]
PNG: dict[int | str, dict[str, Any]] = {200: {'content': {'image/png': {}}}}
PNG_HEADERS = {'Cache-Control': 'private, max-age=0, must-revalidate'}
PDF: dict[int | str, dict[str, Any]] = {200: {'content': {'application/pdf': {}}}}


@router.get('/theatres/{theatre_id}/trend.png', response_class=Response, responses={**PNG, **ERRORS})
async def theatre_trend(theatre_id: int, who: Caller) -> Response:
    """Bookings per day over the last 30 days (tickets booked above, the day's revenue below)."""
    png = await call(charts.theatre_chart, actor_id=who.user_id, theatre_id=theatre_id, kind='trend')
    return Response(png, media_type='image/png', headers=PNG_HEADERS)


@router.get('/theatres/{theatre_id}/sales.png', response_class=Response, responses={**PNG, **ERRORS})
async def theatre_sales(theatre_id: int, who: Caller) -> Response:
    """Tickets sold per show against tickets offered (the 15 best sellers)."""
    png = await call(charts.theatre_chart, actor_id=who.user_id, theatre_id=theatre_id, kind='sales')
    return Response(png, media_type='image/png', headers=PNG_HEADERS)


@router.get('/summary/theatres.png', response_class=Response, responses={**PNG, **ERRORS})
async def theatres_comparison(who: Caller) -> Response:
    """Revenue and occupancy of the caller's theatres side by side (an admin: every theatre)."""
    png = await call(charts.comparison_chart, actor_id=who.user_id)
    return Response(png, media_type='image/png', headers=PNG_HEADERS)


@router.get('/bookings/{booking_id}/tickets.pdf', response_class=Response, responses={**PDF, **ERRORS})
async def tickets_pdf(booking_id: int, who: Caller) -> Response:
    """A booking's tickets as an A4 PDF, one QR code per ticket: for its owner and admins (anyone else: 404)."""
    document = await call(etickets.ticket_document, booking_id=booking_id, actor_id=who.user_id)
    content = await workers.run_read(etickets.pdf.render, document)  # rendered after the transaction, off the loop
    return Response(
        content,
        media_type='application/pdf',
        headers={
            'Content-Disposition': f'attachment; filename="tickets-{document.reference}.pdf"',
            'Cache-Control': 'private, no-store',  # its codes let people in: no copy in a shared cache or on disk
        },
    )


@router.get('/exports/{job_id}/file', response_class=FileResponse, responses=ERRORS)
async def export_download(job_id: str, who: Caller) -> FileResponse:
    """The finished file of an export; 409 while it is still running or when it failed."""
    found = await call(exports.export_file, actor_id=who.user_id, job_id=job_id, export_dir=get_settings().export_dir)
    return FileResponse(found.path, media_type=found.media_type, filename=found.filename)


@router.get('/admin/outbox/{name}', response_class=FileResponse, responses=ERRORS)
async def outbox_message(name: str, who: Caller) -> FileResponse:
    """One message of the outbox as an .eml file (admins)."""
    path = await call(mail_admin.outbox_file, actor_id=who.user_id, name=name)
    return FileResponse(path, media_type='message/rfc822', filename=path.name)


@unsubscribe_router.post('/unsubscribe', responses=ERRORS)
async def one_click_unsubscribe(t: str = '') -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: mail clients POST to the link of the List-Unsubscribe header."""
    done = await call(preferences.unsubscribe, token=t)
    return {'detail': f'You will get no more {done.kind_name}.'}
