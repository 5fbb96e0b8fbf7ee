"""The "Reserved seating" routes: seat maps, a show's seats, holds, house seats."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field, StrictInt, StrictStr

from api.deps import call
from api.schemas import Body, BookingOut, SeatId
from api.v1 import ERRORS, Caller
from services.seating import holds, maps, seats, show_config
from services.seating.holds import HoldView
from services.seating.maps import SeatMapView
from services.seating.seats import ShowSeatsView

router = APIRouter(prefix='/api/v1')
Label = Annotated[StrictStr | StrictInt, Field(description='a label: text (a number is read as its digits)')]
Coordinate = Annotated[float, Field(ge=-10_000, le=10_000)]


class SeatIn(Body):
    label: Label
    kind: Literal['standard', 'wheelchair', 'blocked'] = 'standard'
    x: Coordinate | None = Field(None, description='seat widths from the left; left out: its place in the row')
    y: Coordinate | None = Field(None, description='seat widths from the top; left out: its row')
    id: int | None = Field(None, description='ignored: seats are matched by section, row and label')


class RowIn(Body):
    label: Label
    seats: Annotated[list[Label | SeatIn], Field(max_length=2_000)]


class SectionIn(Body):
    name: Label
    rows: Annotated[list[RowIn], Field(max_length=500)]


class StageIn(Body):
    x: Coordinate
    y: Coordinate
    width: Annotated[float, Field(gt=0, le=10_000)]


class SeatMapIn(Body):
    sections: Annotated[list[SectionIn], Field(max_length=50)]
    stage: StageIn | None = Field(None, description='left out: centred above the first row')
    seats: int | None = Field(None, description='ignored: what a seat map answer counts, so an export loads back')


class MapSeatOut(BaseModel):
    id: int
    label: str
    kind: Literal['standard', 'wheelchair', 'blocked']
    x: float
    y: float


class MapRowOut(BaseModel):
    label: str
    seats: list[MapSeatOut]


class MapSectionOut(BaseModel):
    name: str
    rows: list[MapRowOut]


class StageOut(BaseModel):
    x: float
    y: float
    width: float


class SeatMapOut(BaseModel):
    sections: list[MapSectionOut]
    stage: StageOut
    seats: int = Field(description='seats that are not blocked: the theatre capacity')

    @classmethod
    def of(cls, view: SeatMapView) -> SeatMapOut:
        return cls.model_validate(view.as_body())


class SeatStateOut(BaseModel):
    id: int
    label: str
    kind: Literal['standard', 'wheelchair', 'blocked']
    status: Literal['free', 'held', 'sold', 'blocked']
    x: float
    y: float


class RowStateOut(BaseModel):
    label: str
    seats: list[SeatStateOut]


class SectionStateOut(BaseModel):
    name: str
    price: float
    rows: list[RowStateOut]


class ShowSeatsOut(BaseModel):
    show_id: int
    version: int = Field(description='changes whenever a seat of the show is held, sold, freed or kept back')
    stage: StageOut
    sections: list[SectionStateOut]

    @classmethod
    def of(cls, view: ShowSeatsView) -> ShowSeatsOut:
        return cls(
            show_id=view.show_id,
            version=view.version,
            stage=StageOut(x=view.stage.x, y=view.stage.y, width=view.stage.width),
            sections=[
                SectionStateOut(
                    name=section.name,
                    price=section.price_cents / 100,
                    rows=[
                        RowStateOut(
                            label=row.label,
                            seats=[
                                SeatStateOut(id=s.id, label=s.label, kind=s.kind, status=s.status, x=s.x, y=s.y)
                                for s in row.seats
                            ],
                        )
                        for row in section.rows
                    ],
                )
                for section in view.sections
            ],
        )


class SeatsIn(Body):
    seats: Annotated[list[SeatId], Field(max_length=10_000)]


class HeldSeatOut(BaseModel):
    id: int
    section: str
    row: str
    label: str
    price: float


class HoldOut(BaseModel):
    id: int
    show_id: int
    seats: list[HeldSeatOut]
    total: float
    expires_at: dt.datetime

    @classmethod
    def of(cls, hold: HoldView) -> HoldOut:
        return cls(
            id=hold.id,
            show_id=hold.show_id,
            seats=[
                HeldSeatOut(id=s.id, section=s.section, row=s.row, label=s.label, price=s.price_cents / 100)
                for s in hold.seats
            ],
            total=hold.total_cents / 100,
            expires_at=hold.expires_at,
        )


class HouseSeatsOut(BaseModel):
    show_id: int
    seats: list[int]


def _map_body(body: SeatMapIn) -> dict[str, Any]:
    return body.model_dump(exclude_none=True)


@router.put('/theatres/{theatre_id}/seatmap', response_model=SeatMapOut, responses=ERRORS, tags=['seating'])
async def put_seatmap(theatre_id: int, body: SeatMapIn, who: Caller) -> SeatMapOut:
    """Replace the theatre's seat map; its capacity becomes its seats that are not blocked."""
    view = await call(maps.put_seatmap, actor_id=who.user_id, theatre_id=theatre_id, body=_map_body(body))
    return SeatMapOut.of(view)


@router.get('/theatres/{theatre_id}/seatmap', response_model=SeatMapOut, responses=ERRORS, tags=['seating'])
async def get_seatmap(theatre_id: int, who: Caller) -> SeatMapOut:
    return SeatMapOut.of(await call(maps.get_seatmap, actor_id=who.user_id, theatre_id=theatre_id))


@router.get('/shows/{show_id}/seats', response_model=ShowSeatsOut, responses=ERRORS, tags=['seating'])
async def show_seats(show_id: int) -> ShowSeatsOut:
    """Every seat of a reserved show with its status (anyone may ask)."""
    return ShowSeatsOut.of(await call(seats.show_seats, show_id=show_id))


@router.put('/shows/{show_id}/house-seats', response_model=HouseSeatsOut, responses=ERRORS, tags=['seating'])
async def house_seats(show_id: int, body: SeatsIn, who: Caller) -> HouseSeatsOut:
    """Keep seats of one show back from sale (replacing the show's earlier house seats; [] for none)."""
    kept = await call(show_config.set_house_seats, actor_id=who.user_id, show_id=show_id, seats=body.seats)
    return HouseSeatsOut(show_id=show_id, seats=kept)


@router.post('/shows/{show_id}/holds', status_code=201, response_model=HoldOut, responses=ERRORS, tags=['seating'])
async def hold(show_id: int, body: SeatsIn, who: Caller) -> HoldOut:
    """Hold 1–10 seats for the caller, all or none; the caller's earlier hold on the show is replaced."""
    return HoldOut.of(await call(holds.hold_seats, show_id=show_id, user_id=who.user_id, seats=body.seats))


@router.get('/holds/{hold_id}', response_model=HoldOut, responses=ERRORS, tags=['seating'])
async def get_hold(hold_id: int, who: Caller) -> HoldOut:
    return HoldOut.of(await call(holds.get_hold, hold_id=hold_id, user_id=who.user_id))


@router.post('/holds/{hold_id}/book', status_code=201, response_model=BookingOut, responses=ERRORS, tags=['seating'])
async def book_hold(hold_id: int, who: Caller) -> BookingOut:
    """Book exactly the held seats; 409 once the hold has expired."""
    return BookingOut.of(await call(holds.book_hold, hold_id=hold_id, user_id=who.user_id))


@router.delete('/holds/{hold_id}', status_code=204, responses=ERRORS, tags=['seating'])
async def release_hold(hold_id: int, who: Caller) -> Response:
    await call(holds.release_hold, hold_id=hold_id, user_id=who.user_id)
    return Response(status_code=204)
