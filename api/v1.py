"""The JSON routes of docs/API.md. Each one reads its input, calls one service, and shapes the answer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import bearer_token, call, call_hashing, caller
from api.schemas import (
    MAX_INT,
    AdmissionOut,
    AuditPageOut,
    BookingIn,
    BookingOut,
    CheckInIn,
    DashboardOut,
    DoorCountOut,
    DoorShowOut,
    ExportOut,
    InvalidMessage,
    LoginIn,
    Message,
    PasswordResetConfirmIn,
    PasswordResetIn,
    RatingIn,
    RatingOut,
    ShowIn,
    ShowOut,
    ShowPageOut,
    SignupIn,
    StaffIn,
    StaffOut,
    SummaryOut,
    TheatreIn,
    TheatreOut,
    TicketOut,
    TokenOut,
    UserOut,
)
from models import AuditAction, ExportFormat, ExportKind
from services import (
    audit,
    auth,
    booking,
    checkin,
    exports,
    password_reset,
    ratings,
    search,
    sessions,
    shows,
    staff,
    summary,
    theatres,
)
from services.config import get_settings
from services.sessions import Principal, describe_device

router = APIRouter(prefix='/api/v1')
Caller = Annotated[Principal, Depends(caller)]
ERRORS: dict[int | str, dict[str, Any]] = {
    **{
        code: {'model': Message, 'description': text}
        for code, text in {
            401: 'no, unknown, expired or revoked token',
            403: 'logged in but not allowed',
            404: 'no such thing (or one the caller may not know of)',
            409: 'the current state refuses it',
            503: 'the database (or the password pool) was busy: nothing changed; see Retry-After',
        }.items()
    },
    422: {'model': InvalidMessage, 'description': 'invalid input'},
}


def throttled(why: str) -> dict[int | str, dict[str, Any]]:
    """The documented answers of a route that a limit may refuse with 429."""
    return {**ERRORS, 429: {'model': Message, 'description': f'{why}; see Retry-After'}}


Format = Annotated[Literal[ExportFormat.CSV, ExportFormat.XLSX], Query(description='csv (default) or xlsx')]


def user_out(user: Any) -> UserOut:
    """A `User` row (just signed up: nothing pending) or an `AccountView`."""
    verified = getattr(user, 'email_verified', None)
    return UserOut(
        id=user.id,
        username=user.username,
        name=user.name,
        email=user.email,
        role=user.role,
        email_verified=verified if verified is not None else user.email_verified_at is not None,
        pending_email=getattr(user, 'pending_email', None),
    )


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    """A time without an offset is read in the app's time zone (API.md)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=get_settings().tz)


# --- accounts -------------------------------------------------------------------------------------------


@router.post(
    '/auth/signup',
    status_code=201,
    response_model=UserOut,
    responses=throttled('too many new accounts from this address'),
    tags=['accounts'],
)
async def signup(body: SignupIn, request: Request) -> UserOut:
    client = request.client.host if request.client else ''
    return await call_hashing(lambda s, **kw: user_out(auth.signup(s, client=client, **kw)), **body.model_dump())


@router.post(
    '/auth/login',
    response_model=TokenOut,
    responses=throttled('too many failed logins'),
    tags=['accounts'],
)
async def login(body: LoginIn, request: Request) -> TokenOut:
    client = request.client.host if request.client else ''
    device = describe_device(request.headers.get('user-agent'))

    def open_session(session: Any) -> str:
        _user_row, token = auth.log_in(
            session, username=body.username, password=body.password, client=client, device=device
        )
        return token

    token = await call_hashing(open_session)
    return TokenOut(access_token=token, expires_in=int(sessions.policy().idle_seconds))


@router.post('/auth/logout', status_code=204, responses=ERRORS, tags=['accounts'])
async def logout(request: Request, who: Caller) -> Response:
    await call(sessions.revoke_token, token=bearer_token(request))
    return Response(status_code=204)


@router.post(
    '/auth/password-reset',
    status_code=202,
    response_model=Message,
    responses=throttled('too many requests from this address'),
    tags=['accounts'],
)
async def request_password_reset(body: PasswordResetIn, request: Request) -> Message:
    """The same answer whatever the address: a known one gets an email with a one-time link, valid 1 hour."""
    client = request.client.host if request.client else ''
    await call(password_reset.request_reset, email=body.email, client=client)
    return Message(detail=password_reset.SENT)


@router.post('/auth/password-reset/confirm', status_code=204, responses=ERRORS, tags=['accounts'])
async def confirm_password_reset(body: PasswordResetConfirmIn) -> Response:
    """A link works once: the password is replaced and every session of the person ends. An unknown, used or
    expired token is 422 ("This reset link is invalid or has expired; ask for a new one."), as is a bad password,
    which leaves the link usable."""
    await call_hashing(
        password_reset.confirm_reset, token=body.token, password=body.password, password_confirm=body.password
    )
    return Response(status_code=204)


# --- theatres -------------------------------------------------------------------------------------------


@router.get('/theatres', response_model=list[TheatreOut], responses=ERRORS, tags=['theatres'])
async def list_theatres(who: Caller) -> list[TheatreOut]:
    return [TheatreOut.of(t) for t in await call(theatres.list_theatres, actor_id=who.user_id)]


@router.post('/theatres', status_code=201, response_model=TheatreOut, responses=ERRORS, tags=['theatres'])
async def create_theatre(body: TheatreIn, who: Caller) -> TheatreOut:
    return TheatreOut.of(await call(theatres.create_theatre, actor_id=who.user_id, **body.model_dump()))


@router.get('/theatres/{theatre_id}', response_model=TheatreOut, responses=ERRORS, tags=['theatres'])
async def get_theatre(theatre_id: int, who: Caller) -> TheatreOut:
    return TheatreOut.of(await call(theatres.get_theatre, actor_id=who.user_id, theatre_id=theatre_id))


@router.put('/theatres/{theatre_id}', response_model=TheatreOut, responses=ERRORS, tags=['theatres'])
async def update_theatre(theatre_id: int, body: TheatreIn, who: Caller) -> TheatreOut:
    return TheatreOut.of(
        await call(theatres.update_theatre, actor_id=who.user_id, theatre_id=theatre_id, **body.model_dump())
    )


@router.delete('/theatres/{theatre_id}', status_code=204, responses=ERRORS, tags=['theatres'])
async def delete_theatre(theatre_id: int, who: Caller) -> Response:
    await call(theatres.delete_theatre, actor_id=who.user_id, theatre_id=theatre_id)
    return Response(status_code=204)


@router.get('/dashboard', response_model=list[DashboardOut], responses=ERRORS, tags=['theatres'])
async def dashboard(who: Caller) -> list[DashboardOut]:
    """Each theatre with its shows; every show says how many of its tickets were checked in at the door."""
    return [DashboardOut.of(e) for e in await call(theatres.dashboard, actor_id=who.user_id)]


# --- shows ----------------------------------------------------------------------------------------------


@router.get('/shows', response_model=ShowPageOut, responses=ERRORS, tags=['shows'])
async def list_shows(
    q: Annotated[str | None, Query(max_length=100)] = None,
    place: Annotated[str | None, Query(max_length=100)] = None,
    tag: Annotated[str | None, Query(max_length=30)] = None,
    min_rating: Annotated[float | None, Query(ge=0, le=5)] = None,
    starts_after: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
    sort: search.SortOrder = search.SortOrder.DATE,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ShowPageOut:
    """Upcoming shows, soonest first or by `sort` (price low to high, rating or tickets sold high to low; ties by
    start time, then id); `q` matches a show's or theatre's name, the place or a tag. No token needed."""
    page = await call(
        search.search_shows,
        q=q,
        place=place,
        tag=tag,
        min_rating=min_rating,
        starts_after=_aware(starts_after),
        starts_before=_aware(starts_before),
        sort=sort,
        limit=limit,
        offset=offset,
    )
    return ShowPageOut(
        items=[ShowOut.of(s) for s in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


@router.get('/shows/{show_id}', response_model=ShowOut, responses=ERRORS, tags=['shows'])
async def get_show(show_id: int) -> ShowOut:
    return ShowOut.of(await call(shows.public_show, show_id=show_id))


def _show_fields(body: ShowIn) -> dict[str, Any]:
    """The body as the service takes it: a `starts_at` without an offset stays so, read in the theatre's zone."""
    return body.model_dump()


@router.post('/theatres/{theatre_id}/shows', status_code=201, response_model=ShowOut, responses=ERRORS, tags=['shows'])
async def create_show(theatre_id: int, body: ShowIn, who: Caller) -> ShowOut:
    return ShowOut.of(await call(shows.create_show, actor_id=who.user_id, theatre_id=theatre_id, **_show_fields(body)))


@router.put('/shows/{show_id}', response_model=ShowOut, responses=ERRORS, tags=['shows'])
async def update_show(show_id: int, body: ShowIn, who: Caller) -> ShowOut:
    return ShowOut.of(await call(shows.update_show, actor_id=who.user_id, show_id=show_id, **_show_fields(body)))


@router.delete('/shows/{show_id}', status_code=204, responses=ERRORS, tags=['shows'])
async def delete_show(show_id: int, who: Caller) -> Response:
    await call(shows.delete_show, actor_id=who.user_id, show_id=show_id)
    return Response(status_code=204)


# --- bookings -------------------------------------------------------------------------------------------


@router.post(
    '/shows/{show_id}/bookings', status_code=201, response_model=BookingOut, responses=ERRORS, tags=['bookings']
)
async def book(show_id: int, body: BookingIn, who: Caller) -> BookingOut:
    return BookingOut.of(
        await call(booking.book, show_id=show_id, user_id=who.user_id, tickets=body.tickets, seats=body.seats)
    )


@router.get('/bookings', response_model=list[BookingOut], responses=ERRORS, tags=['bookings'])
async def my_bookings(
    who: Caller,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[BookingOut]:
    """One's own bookings, newest first."""
    items = await call(booking.booking_history, user_id=who.user_id, limit=limit, offset=offset)
    return [BookingOut.of(b) for b in items]


@router.get('/bookings/{booking_id}', response_model=BookingOut, responses=ERRORS, tags=['bookings'])
async def get_booking(booking_id: int, who: Caller) -> BookingOut:
    """One booking with its tickets: for its owner, the theatre's manager and door staff, and admins."""
    return BookingOut.of(await call(booking.get_booking, booking_id=booking_id, actor_id=who.user_id))


@router.delete('/bookings/{booking_id}', response_model=BookingOut, responses=ERRORS, tags=['bookings'])
async def cancel(booking_id: int, who: Caller) -> BookingOut:
    return BookingOut.of(await call(booking.cancel_booking, booking_id=booking_id, user_id=who.user_id))


@router.post('/shows/{show_id}/rating', response_model=RatingOut, responses=ERRORS, tags=['bookings'])
async def rate(show_id: int, body: RatingIn, who: Caller) -> RatingOut:
    score = await call(ratings.rate_show, user_id=who.user_id, show_id=show_id, score=body.score)
    return RatingOut(show_id=show_id, score=score)


# --- door staff and check-in ---------------------------------------------------------------------------

Code = Annotated[str, Path(max_length=200, description="what the ticket's QR code carries")]


@router.get('/theatres/{theatre_id}/staff', response_model=list[StaffOut], responses=ERRORS, tags=['door'])
async def list_staff(theatre_id: int, who: Caller) -> list[StaffOut]:
    """The theatre's door staff, by username: for its manager and admins."""
    return [StaffOut.of(m) for m in await call(staff.list_staff, actor_id=who.user_id, theatre_id=theatre_id)]


@router.post('/theatres/{theatre_id}/staff', status_code=201, response_model=StaffOut, responses=ERRORS, tags=['door'])
async def add_staff(theatre_id: int, body: StaffIn, who: Caller) -> StaffOut:
    """The person may check tickets in at this theatre and sees nothing else of it. An unknown or disabled username
    is 422; someone already on the staff is 409."""
    return StaffOut.of(await call(staff.add_staff, actor_id=who.user_id, theatre_id=theatre_id, username=body.username))


@router.delete('/theatres/{theatre_id}/staff/{user_id}', status_code=204, responses=ERRORS, tags=['door'])
async def remove_staff(theatre_id: int, user_id: int, who: Caller) -> Response:
    """Their next scan at this theatre is refused; 404 if they are not on its staff."""
    await call(staff.remove_staff, actor_id=who.user_id, theatre_id=theatre_id, user_id=user_id)
    return Response(status_code=204)


@router.post('/checkin', response_model=AdmissionOut, responses=ERRORS, tags=['door'])
async def check_in(body: CheckInIn, who: Caller) -> AdmissionOut:
    """Let a ticket in, once: for the theatre's door staff, its manager and admins. An unknown code or one of another
    theatre is 404; a ticket already checked in (409) says when; a cancelled one is 409; a ticket of another show of
    this theatre is 422 and names that show and its time. A show the caller may not work the door of is 404."""
    return AdmissionOut.of(await call(checkin.check_in, actor_id=who.user_id, show_id=body.show_id, code=body.code))


@router.delete('/checkin/{code}', response_model=TicketOut, responses=ERRORS, tags=['door'])
async def undo_check_in(code: Code, who: Caller) -> TicketOut:
    """Take a mistaken scan back: the ticket is valid again (audited). 409 if it is not checked in."""
    return TicketOut.of(await call(checkin.undo_check_in, actor_id=who.user_id, code=code))


@router.get('/checkin/shows', response_model=list[DoorShowOut], responses=ERRORS, tags=['door'])
async def door_shows(who: Caller) -> list[DoorShowOut]:
    """The shows whose door the caller may work, today's first (from the start of today in the app's time zone, or
    six hours ago if earlier), each with its count."""
    return [DoorShowOut.of(s) for s in await call(checkin.door_shows, actor_id=who.user_id)]


@router.get('/shows/{show_id}/checkin', response_model=DoorCountOut, responses=ERRORS, tags=['door'])
async def door_count(show_id: int, who: Caller) -> DoorCountOut:
    """Tickets sold and checked in: for the theatre's door staff, its manager and admins."""
    return DoorCountOut.of(await call(checkin.door_count, actor_id=who.user_id, show_id=show_id))


# --- summary and exports --------------------------------------------------------------------------------


@router.get('/summary', response_model=list[SummaryOut], responses=ERRORS, tags=['summary'])
async def get_summary(who: Caller) -> list[SummaryOut]:
    figures = await call(summary.summary, actor_id=who.user_id)
    return [SummaryOut.of(t) for t in figures.theatres]


async def _export(who: Principal, kind: ExportKind, target_id: int | None, fmt: ExportFormat) -> JSONResponse:
    job = await call(exports.request_export, actor_id=who.user_id, kind=kind, target_id=target_id, format=fmt)
    return JSONResponse(ExportOut.of(job).model_dump(mode='json'), status_code=202)


@router.post(
    '/theatres/{theatre_id}/export', status_code=202, response_model=ExportOut, responses=ERRORS, tags=['exports']
)
async def export_theatre(theatre_id: int, who: Caller, format: Format = ExportFormat.CSV) -> JSONResponse:
    return await _export(who, ExportKind.THEATRE, theatre_id, format)


@router.post('/shows/{show_id}/export', status_code=202, response_model=ExportOut, responses=ERRORS, tags=['exports'])
async def export_show(show_id: int, who: Caller, format: Format = ExportFormat.CSV) -> JSONResponse:
    return await _export(who, ExportKind.SHOW, show_id, format)


@router.post('/bookings/export', status_code=202, response_model=ExportOut, responses=ERRORS, tags=['exports'])
async def export_bookings(who: Caller, format: Format = ExportFormat.CSV) -> JSONResponse:
    return await _export(who, ExportKind.BOOKINGS, None, format)


@router.get('/exports/{job_id}', response_model=ExportOut, responses=ERRORS, tags=['exports'])
async def get_export(job_id: Annotated[str, Path(max_length=64)], who: Caller) -> ExportOut:
    return ExportOut.of(await call(exports.get_export, actor_id=who.user_id, job_id=job_id))


# --- audit trail ----------------------------------------------------------------------------------------


@router.get('/audit', response_model=AuditPageOut, responses=ERRORS, tags=['audit'])
async def audit_trail(
    who: Caller,
    person: Annotated[str | None, Query(max_length=32, description='username of who did it')] = None,
    theatre_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    show_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
    action: AuditAction | None = None,
    date_from: Annotated[dt.date | None, Query(description='first day, in the time zone of the app')] = None,
    date_to: Annotated[dt.date | None, Query(description='last day, included')] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = audit.PAGE_SIZE,
) -> AuditPageOut:
    """Audit events, newest first: every one for an admin, a manager's own theatres' and shows' (and their own
    actions) for a manager; 403 for an audience member."""
    found = await call(
        audit.trail,
        actor_id=who.user_id,
        person=person,
        theatre_id=theatre_id,
        show_id=show_id,
        action=action,
        date_from=date_from,
        date_to=date_to,
        page=page,
        page_size=page_size,
    )
    return AuditPageOut.of(found)
