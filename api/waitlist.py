"""The "Waiting list" and "Cancelling a performance" routes: joining, leaving, accepting an offer, the manager's
list, and calling a performance off."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StrictInt, StrictStr

from api.deps import call
from api.schemas import MAX_INT, Body, BookingOut, ShowOut
from api.v1 import ERRORS, Caller
from services import cancellation, waitlist
from services.cancellation import Affected
from services.waitlist import EntryView

router = APIRouter(prefix='/api/v1')
Status = Literal['waiting', 'offered', 'booked', 'expired', 'left']


class JoinIn(Body):
    tickets: Annotated[StrictInt, Field(ge=-MAX_INT, le=MAX_INT, description='how many tickets: 1–10')]


class CancelIn(Body):
    reason: Annotated[
        StrictStr, Field(max_length=2_000, description='1–500 characters: told to every person who held a booking')
    ]


class EntryOut(BaseModel):
    """One place on a show's waiting list."""

    id: int
    show_id: int
    tickets: int
    status: Status
    position: int | None = Field(description='place in line from 1 among the entries still waiting; else null')
    offer_expires_at: dt.datetime | None = Field(description='until when an offer sets the tickets aside')
    booking_id: int | None = Field(description='the booking an accepted offer made')
    show_name: str
    theatre_name: str
    place: str
    starts_at: dt.datetime
    show_status: Literal['scheduled', 'cancelled']
    joined_at: dt.datetime
    offered_at: dt.datetime | None
    seats: list[str] = Field(description='a reserved show: the seats an open offer sets aside ([] otherwise)')

    @classmethod
    def fields(cls, entry: EntryView) -> dict[str, object]:
        return {
            'id': entry.id,
            'show_id': entry.show_id,
            'tickets': entry.tickets,
            'status': entry.status.value,
            'position': entry.position,
            'offer_expires_at': entry.offer_expires_at,
            'booking_id': entry.booking_id,
            'show_name': entry.show_name,
            'theatre_name': entry.theatre_name,
            'place': entry.place,
            'starts_at': entry.starts_at,
            'show_status': entry.show_status,
            'joined_at': entry.joined_at,
            'offered_at': entry.offered_at,
            'seats': list(entry.seats),
        }

    @classmethod
    def of(cls, entry: EntryView) -> EntryOut:
        return cls.model_validate(cls.fields(entry))


class ShowEntryOut(EntryOut):
    """An entry on the manager's list, which names who is waiting."""

    username: str

    @classmethod
    def of(cls, entry: EntryView) -> ShowEntryOut:
        return cls.model_validate({**cls.fields(entry), 'username': entry.username})


class AffectedOut(BaseModel):
    """What cancelling the show would touch: for a client's confirmation dialog."""

    show_id: int
    bookings: int = Field(description='confirmed bookings that would be cancelled')
    people: int = Field(description='people who hold them: each gets one email')
    tickets: int
    waiting: int = Field(description='waiting-list entries still waiting or offered')

    @classmethod
    def of(cls, show_id: int, affected: Affected) -> AffectedOut:
        return cls(
            show_id=show_id,
            bookings=affected.bookings,
            people=affected.people,
            tickets=affected.tickets,
            waiting=affected.waiting,
        )


# --- waiting list ---------------------------------------------------------------------------------------


@router.post('/shows/{show_id}/waitlist', status_code=201, response_model=EntryOut, responses=ERRORS, tags=['waitlist'])
async def join(show_id: int, body: JoinIn, who: Caller) -> EntryOut:
    """Wait for 1–10 tickets of the show; 409 when that many can be booked now (a reserved show: free seats
    anywhere), or when the caller is already waiting or offered for it. Joining sends no email."""
    return EntryOut.of(await call(waitlist.join, show_id=show_id, user_id=who.user_id, tickets=body.tickets))


@router.get('/waitlist', response_model=list[EntryOut], responses=ERRORS, tags=['waitlist'])
async def my_entries(who: Caller) -> list[EntryOut]:
    """The caller's entries: live ones first (soonest show first), then the closed ones of shows still to come."""
    return [EntryOut.of(e) for e in await call(waitlist.my_entries, user_id=who.user_id)]


@router.delete('/waitlist/{entry_id}', status_code=204, responses=ERRORS, tags=['waitlist'])
async def leave(entry_id: int, who: Caller) -> Response:
    """Leave the list; on an open offer this declines it, and its tickets go to the next in line at once."""
    await call(waitlist.leave, entry_id=entry_id, user_id=who.user_id)
    return Response(status_code=204)


@router.post(
    '/waitlist/{entry_id}/accept', status_code=201, response_model=BookingOut, responses=ERRORS, tags=['waitlist']
)
async def accept(entry_id: int, who: Caller) -> BookingOut:
    """Book the tickets the offer set aside (a reserved show: exactly its seats); 409 once it has expired, or when
    it was already accepted."""
    return BookingOut.of(await call(waitlist.accept, entry_id=entry_id, user_id=who.user_id))


@router.get('/shows/{show_id}/waitlist', response_model=list[ShowEntryOut], responses=ERRORS, tags=['waitlist'])
async def show_entries(show_id: int, who: Caller) -> list[ShowEntryOut]:
    """The show's whole list in the order people joined, with its offers: for its manager and admins."""
    return [ShowEntryOut.of(e) for e in await call(waitlist.show_entries, actor_id=who.user_id, show_id=show_id)]


# --- cancelling a performance ---------------------------------------------------------------------------


@router.get('/shows/{show_id}/cancel', response_model=AffectedOut, responses=ERRORS, tags=['shows'])
async def cancel_impact(show_id: int, who: Caller) -> AffectedOut:
    """What cancelling would touch (nothing changes): for the manager's and admins' confirmation dialog."""
    return AffectedOut.of(show_id, await call(cancellation.affected, actor_id=who.user_id, show_id=show_id))


@router.post('/shows/{show_id}/cancel', response_model=ShowOut, responses=ERRORS, tags=['shows'])
async def cancel_show(show_id: int, body: CancelIn, who: Caller) -> ShowOut:
    """Call the performance off: every confirmed booking is cancelled, each person who held one gets one email
    with the reason, the waiting list closes; 409 once cancelled or started."""
    return ShowOut.of(await call(cancellation.cancel_show, actor_id=who.user_id, show_id=show_id, reason=body.reason))
