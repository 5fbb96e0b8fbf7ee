"""The JSON shapes of docs/API.md: request bodies checked for type and size here, meaning in services/."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, model_validator

from models import AgeRating, AuditAction, AuditObject, BookingStatus, ExportStatus, Role, TicketStatus
from services.audit import AuditEntry, AuditPage
from services.booking import BookingView, SeatRef, TicketView
from services.checkin import Admission, DoorCount, DoorShow
from services.exports import ExportView
from services.posters import poster_urls
from services.shows import ShowView
from services.staff import StaffView
from services.summary import TheatreSummary
from services.theatres import DashboardEntry, TheatreView

MAX_INT = 2**31 - 1
Text = Annotated[StrictStr, Field(max_length=200)]
Number = StrictInt | StrictFloat


class Body(BaseModel):
    """Every request body: a JSON object with exactly the documented fields."""

    model_config = ConfigDict(extra='forbid')


class SignupIn(Body):
    username: Annotated[StrictStr, Field(max_length=64)]
    name: Text
    email: Annotated[StrictStr, Field(max_length=254)]
    password: Annotated[StrictStr, Field(max_length=128)]
    role: Literal[Role.USER, Role.MANAGER] = Role.USER


class LoginIn(Body):
    username: Annotated[StrictStr, Field(max_length=64)]
    password: Annotated[StrictStr, Field(max_length=200)]


class PasswordChangeIn(Body):
    current_password: Annotated[StrictStr, Field(max_length=200)]
    new_password: Annotated[StrictStr, Field(max_length=200)]


class AccountIn(Body):
    name: Text | None = None
    email: Annotated[StrictStr, Field(max_length=254)] | None = None
    current_password: Annotated[StrictStr, Field(max_length=200)] | None = Field(
        default=None, description='required when email is given'
    )


class AccountDeleteIn(Body):
    current_password: Annotated[StrictStr, Field(max_length=200)]


class TokenIn(Body):
    token: Annotated[StrictStr, Field(max_length=200)]


class PasswordResetIn(Body):
    email: Annotated[StrictStr, Field(max_length=254)]


class PasswordResetConfirmIn(Body):
    token: Annotated[StrictStr, Field(max_length=200)]
    password: Annotated[StrictStr, Field(max_length=200)]


ZONE_HELP = 'an IANA time-zone name like "Asia/Kolkata"; null: the app time zone (TICKETSHOW_TIMEZONE)'


class TheatreIn(Body):
    name: Text
    place: Text
    capacity: Annotated[StrictInt, Field(ge=-MAX_INT, le=MAX_INT)]
    address: Annotated[StrictStr, Field(max_length=1000)] | None = Field(
        None, description='up to 300 characters, line breaks kept; left out or null: none'
    )
    timezone: Annotated[StrictStr, Field(max_length=100)] | None = Field(
        None, description=ZONE_HELP + '; left out: the app time zone'
    )


Price = Annotated[Number, Field(ge=-1e12, le=1e12)]
SeatId = Annotated[StrictInt, Field(ge=-MAX_INT, le=MAX_INT)]


class ShowIn(Body):
    name: Text
    rating: Annotated[Number, Field(ge=-1e9, le=1e9)]
    tags: Annotated[list[Annotated[StrictStr, Field(max_length=100)]], Field(max_length=50)] = []
    ticket_price: Price
    num_tickets: Annotated[StrictInt | None, Field(ge=-MAX_INT, le=MAX_INT)] = Field(
        None, description='required for general admission; a reserved show sells its seat map (may be left out)'
    )
    starts_at: dt.datetime = Field(
        description="ISO 8601; without an offset it is read in the theatre's time zone (the app's if it has none)"
    )
    seating: Literal['general', 'reserved'] | None = Field(
        None,
        description='"general" (a number of tickets) or "reserved" (the seat map); left out: unchanged on '
        'an update, "general" for a new show',
    )
    section_prices: Annotated[dict[Annotated[str, Field(max_length=100)], Price], Field(max_length=50)] | None = Field(
        None, description='{"section name": price} for a reserved show; other sections cost ticket_price'
    )
    description: Annotated[StrictStr, Field(max_length=5000)] | None = Field(
        None, description='plain text up to 2000 characters, line breaks kept; left out or null: none'
    )
    duration_minutes: Annotated[StrictInt, Field(ge=-MAX_INT, le=MAX_INT)] | None = Field(
        None, description='1 to 1440; left out or null: not said'
    )
    language: Annotated[StrictStr, Field(max_length=200)] | None = Field(
        None, description='up to 40 characters, e.g. "Hindi" or "English, Hindi"; left out or null: not said'
    )
    age_rating: AgeRating | None = Field(None, description='who the show is for; "all" is all ages; null: not said')


class BookingIn(Body):
    tickets: Annotated[StrictInt | None, Field(ge=-MAX_INT, le=MAX_INT)] = Field(
        None, description='how many tickets (for a reserved show: the best seats together)'
    )
    seats: Annotated[list[SeatId], Field(min_length=1, max_length=10)] | None = Field(
        None, description='a reserved show: the seat ids to book, all or none'
    )

    @model_validator(mode='after')
    def one_of(self) -> BookingIn:
        if (self.tickets is None) == (self.seats is None):
            raise ValueError('Give either "tickets" (a number) or "seats" (seat ids), not both.')
        return self


class RatingIn(Body):
    score: Annotated[StrictInt, Field(ge=-MAX_INT, le=MAX_INT)]


class StaffIn(Body):
    username: Annotated[StrictStr, Field(max_length=64, description='the username of the account to add')]


class CheckInIn(Body):
    code: Annotated[StrictStr, Field(max_length=200, description="what the ticket's QR code carries")]
    show_id: Annotated[
        StrictInt,
        Field(ge=-MAX_INT, le=MAX_INT, description='the show this door admits to: a ticket of another is 422'),
    ]


class UserOut(BaseModel):
    id: int
    username: str
    name: str
    email: str
    role: str
    email_verified: bool = Field(description='whether the address was proved by its link; no booking email until')
    pending_email: str | None = Field(
        default=None, description='a new address waiting for its confirmation link to be opened'
    )


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal['bearer'] = 'bearer'  # noqa: S105 - the scheme's name, not a secret
    expires_in: int = Field(description='seconds of inactivity after which the token stops working')


class TheatreOut(BaseModel):
    id: int
    name: str
    place: str
    capacity: int
    owner_id: int
    trend: str
    address: str | None = Field(None, description='line breaks kept; null: none given')
    timezone: str | None = Field(None, description=ZONE_HELP)

    @classmethod
    def of(cls, theatre: TheatreView) -> TheatreOut:
        return cls(
            id=theatre.id,
            name=theatre.name,
            place=theatre.place,
            capacity=theatre.capacity,
            owner_id=theatre.owner_id,
            trend=f'/api/v1/theatres/{theatre.id}/trend.png',
            address=theatre.address,
            timezone=theatre.timezone,
        )


class ShowOut(BaseModel):
    id: int
    theatre_id: int
    theatre_name: str
    place: str
    name: str
    rating: float = Field(description="the manager's rating, 0–5")
    audience_rating: float | None = Field(
        None,
        description="the audience's average score (1–5, one decimal) over every performance of the show at this "
        'theatre; null: nobody has rated it',
    )
    ratings: int = Field(0, description='how many people gave that average')
    tags: list[str]
    ticket_price: float
    num_tickets: int
    tickets_sold: int
    tickets_left: int
    starts_at: dt.datetime
    seating: Literal['general', 'reserved'] = 'general'
    section_prices: dict[str, float] = Field(default_factory=dict)
    status: Literal['scheduled', 'cancelled'] = 'scheduled'
    cancel_reason: str | None = Field(
        None, description="the theatre's reason, told to the bookers; null unless cancelled"
    )
    description: str | None = Field(None, description='plain text, line breaks kept; null: none')
    duration_minutes: int | None = None
    language: str | None = None
    age_rating: AgeRating | None = Field(None, description='"all" (all ages), "7+", "12+", "16+" or "18+"')
    theatre_address: str | None = None
    theatre_timezone: str | None = Field(None, description="the theatre's time zone: " + ZONE_HELP)
    poster: dict[int, str] | None = Field(
        None, description='the poster (2:3 WebP) as {width: URL path} for widths 240, 480 and 960; null: none'
    )

    @classmethod
    def of(cls, show: ShowView) -> ShowOut:
        return cls(
            id=show.id,
            theatre_id=show.theatre_id,
            theatre_name=show.theatre_name,
            place=show.place,
            name=show.name,
            rating=show.rating,
            audience_rating=show.audience_rating,
            ratings=show.ratings,
            tags=show.tags,
            ticket_price=show.price_cents / 100,
            num_tickets=show.num_tickets,
            tickets_sold=show.tickets_sold,
            tickets_left=show.tickets_left,
            starts_at=show.starts_at,
            seating='reserved' if show.reserved else 'general',
            section_prices={name: cents / 100 for name, cents in show.section_prices.items()},
            status='cancelled' if show.cancelled else 'scheduled',
            cancel_reason=show.cancel_reason if show.cancelled else None,
            description=show.description,
            duration_minutes=show.duration_minutes,
            language=show.language,
            age_rating=AgeRating(show.age_rating) if show.age_rating else None,
            theatre_address=show.theatre_address,
            theatre_timezone=show.theatre_timezone,
            poster=poster_urls(show.poster_key),
        )


class ShowPageOut(BaseModel):
    items: list[ShowOut]
    total: int
    limit: int
    offset: int


class DashboardShowOut(ShowOut):
    checked_in: int = Field(description='tickets of the show checked in at the door')


class DashboardOut(BaseModel):
    theatre: TheatreOut
    shows: list[DashboardShowOut]

    @classmethod
    def of(cls, entry: DashboardEntry) -> DashboardOut:
        return cls(
            theatre=TheatreOut.of(entry.theatre),
            shows=[
                DashboardShowOut(**ShowOut.of(s).model_dump(), checked_in=entry.checked_in_for(s.id))
                for s in entry.shows
            ],
        )


class SeatRefOut(BaseModel):
    id: int
    section: str
    row: str
    label: str

    @classmethod
    def of(cls, seat: SeatRef | None) -> SeatRefOut | None:
        return None if seat is None else cls(id=seat.id, section=seat.section, row=seat.row, label=seat.label)


class TicketOut(BaseModel):
    id: int
    code: str = Field(description="what the ticket's QR code encodes: unique, 128 random bits")
    seat: SeatRefOut | None = Field(None, description='null for general admission')
    price: float
    status: Literal[TicketStatus.VALID, TicketStatus.CHECKED_IN, TicketStatus.CANCELLED]
    checked_in_at: dt.datetime | None

    @classmethod
    def of(cls, ticket: TicketView) -> TicketOut:
        return cls(
            id=ticket.id,
            code=ticket.code,
            seat=SeatRefOut.of(ticket.seat_ref),
            price=ticket.price_cents / 100,
            status=ticket.status,
            checked_in_at=ticket.checked_in_at,
        )


class BookingOut(BaseModel):
    id: int
    reference: str = Field(description='short, unique, read aloud: Crockford base-32, no I, L, O or U')
    show_id: int
    show_name: str
    theatre_name: str
    starts_at: dt.datetime
    booked_tickets: int
    price: float | None = Field(description="each ticket's price when they all cost the same, else null")
    total: float
    status: Literal[BookingStatus.CONFIRMED, BookingStatus.CANCELLED]
    created_at: dt.datetime
    tickets: list[TicketOut]

    @classmethod
    def of(cls, booking: BookingView) -> BookingOut:
        return cls(
            id=booking.id,
            reference=booking.reference,
            show_id=booking.show_id,
            show_name=booking.show_name,
            theatre_name=booking.theatre_name,
            starts_at=booking.starts_at,
            booked_tickets=booking.booked_tickets,
            price=None if booking.unit_price_cents is None else booking.unit_price_cents / 100,
            total=booking.total_cents / 100,
            status=booking.status,
            created_at=booking.created_at,
            tickets=[TicketOut.of(t) for t in booking.tickets],
        )


class RatingOut(BaseModel):
    show_id: int
    score: int


class SummaryOut(BaseModel):
    theatre_id: int
    name: str
    place: str
    shows: int
    tickets_sold: int
    capacity: int = Field(description="the theatre's seats")
    tickets_offered: int = Field(description="all its shows' tickets")
    occupancy: float = Field(ge=0, le=1, description='tickets sold over tickets offered')
    revenue: float
    recent_bookings: int = Field(description='confirmed bookings of the last 30 days')
    checked_in: int = Field(description="tickets checked in at the door, across all the theatre's shows")
    trend: str

    @classmethod
    def of(cls, theatre: TheatreSummary) -> SummaryOut:
        return cls(
            theatre_id=theatre.theatre_id,
            name=theatre.name,
            place=theatre.place,
            shows=theatre.shows,
            tickets_sold=theatre.tickets_sold,
            capacity=theatre.capacity,
            tickets_offered=theatre.tickets_offered,
            occupancy=theatre.occupancy,
            revenue=theatre.revenue_cents / 100,
            recent_bookings=theatre.recent_bookings,
            checked_in=theatre.checked_in,
            trend=f'/api/v1/theatres/{theatre.theatre_id}/trend.png',
        )


class StaffOut(BaseModel):
    """One person on a theatre's door staff."""

    user_id: int
    username: str
    name: str
    theatre_id: int
    added_at: dt.datetime

    @classmethod
    def of(cls, member: StaffView) -> StaffOut:
        return cls(
            user_id=member.user_id,
            username=member.username,
            name=member.name,
            theatre_id=member.theatre_id,
            added_at=member.added_at,
        )


class DoorCountOut(BaseModel):
    show_id: int
    tickets_sold: int = Field(description='tickets of the show that admit someone: valid or already checked in')
    checked_in: int

    @classmethod
    def of(cls, count: DoorCount) -> DoorCountOut:
        return cls(show_id=count.show_id, tickets_sold=count.tickets_sold, checked_in=count.checked_in)


class AdmissionOut(BaseModel):
    """A ticket let in: what the door shows about it. Any refusal is an error status instead (404, 409, 422)."""

    result: Literal['checked_in'] = 'checked_in'
    ticket: TicketOut
    booking_id: int
    booking_reference: str
    show_id: int
    seat: SeatRefOut | None = Field(None, description='null for general admission')
    holder_name: str = Field(description='the name on the booking: the only personal data the door sees')
    tickets_in_booking: int
    count: DoorCountOut = Field(description="the show's tickets sold and checked in, this one included")

    @classmethod
    def of(cls, admission: Admission) -> AdmissionOut:
        return cls(
            ticket=TicketOut.of(admission.ticket),
            booking_id=admission.booking_id,
            booking_reference=admission.booking_reference,
            show_id=admission.show_id,
            seat=SeatRefOut.of(admission.ticket.seat_ref),
            holder_name=admission.holder_name,
            tickets_in_booking=admission.tickets_in_booking,
            count=DoorCountOut.of(admission.count),
        )


class DoorShowOut(BaseModel):
    """A show whose door the caller may work, with its count."""

    id: int
    name: str
    theatre_id: int
    theatre_name: str
    starts_at: dt.datetime
    tickets_sold: int
    checked_in: int

    @classmethod
    def of(cls, show: DoorShow) -> DoorShowOut:
        return cls(
            id=show.id,
            name=show.name,
            theatre_id=show.theatre_id,
            theatre_name=show.theatre_name,
            starts_at=show.starts_at,
            tickets_sold=show.tickets_sold,
            checked_in=show.checked_in,
        )


class ExportOut(BaseModel):
    job_id: str
    status: Literal[ExportStatus.PENDING, ExportStatus.RUNNING, ExportStatus.DONE, ExportStatus.FAILED]
    download_url: str | None
    kind: str
    format: str
    title: str
    progress: int = Field(ge=0, le=100)
    rows: int
    error: str | None
    created_at: dt.datetime

    @classmethod
    def of(cls, job: ExportView) -> ExportOut:
        return cls(
            job_id=job.id,
            status=job.status,
            download_url=f'/api/v1/exports/{job.id}/file' if job.status == ExportStatus.DONE else None,
            kind=job.kind,
            format=job.format,
            title=job.title,
            progress=job.progress,
            rows=job.rows,
            error=job.error,
            created_at=job.created_at,
        )


class AuditEventOut(BaseModel):
    """One audit event: `changes` is {field: [old, new]} for a change, a small summary otherwise."""

    id: int
    at: dt.datetime
    actor: str | None = Field(description="the actor's username at the time; null for the system")
    action: AuditAction
    object_type: AuditObject
    object_id: str
    object_label: str
    theatre_id: int | None
    show_id: int | None
    changes: dict[str, Any]
    details: str = Field(description='the changes as a person reads them')

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEventOut:
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor_username,
            action=AuditAction(entry.action),
            object_type=AuditObject(entry.object_type),
            object_id=entry.object_id,
            object_label=entry.object_label,
            theatre_id=entry.theatre_id,
            show_id=entry.show_id,
            changes=entry.changes,
            details=entry.details,
        )


class AuditPageOut(BaseModel):
    items: list[AuditEventOut]
    total: int
    page: int
    pages: int

    @classmethod
    def of(cls, page: AuditPage) -> AuditPageOut:
        return cls(items=[AuditEventOut.of(e) for e in page.items], total=page.total, page=page.page, pages=page.pages)


class Message(BaseModel):
    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class InvalidMessage(BaseModel):
    """422: a readable sentence from the services, or FastAPI's list of field errors for malformed input."""

    detail: str | list[FieldError]
