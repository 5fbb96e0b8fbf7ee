"""Shows: created and changed by their theatre's manager (or an admin), read by anyone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pydantic import TypeAdapter
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from models import AuditAction, Booking, BookingStatus, Show, ShowStatus, ShowTag, Theatre
from models.db import get_by_id, utcnow
from services import audit, freed
from services.access import managed_show, managed_theatre
from services.auth import load_actor
from services.cache import cached, invalidate_after_commit
from services.errors import Conflict, NotFound
from services.formats import theatre_tz
from services.ratings import Audience, audience_of, invalidate_production
from services.seating.show_config import GENERAL, RESERVED, SeatingChoice, apply_seating, check_seating, check_switch
from services.show_details import FIELDS as DETAIL_FIELDS
from services.show_details import ShowDetails, check_details
from services.validation import Checker, FormMoment, FormNumber, FormTags, FormText
from services.words import plural

STARTED = 'This show has started: its time, tickets and price can no longer change.'
AUDITED = (*audit.SHOW_FIELDS, *DETAIL_FIELDS)  # what a show's change records: what sells it, and what it is


@dataclass(frozen=True)
class ShowView:
    id: int
    theatre_id: int
    theatre_name: str
    place: str
    name: str
    rating: float
    tags: list[str]
    price_cents: int
    num_tickets: int
    tickets_sold: int
    starts_at: dt.datetime
    seating: str = 'general'  # or 'reserved': sold by seat from the theatre's seat map
    section_prices: dict[str, int] = field(default_factory=dict)  # section → cents, where not the ticket price
    tickets_offered: int = 0  # set aside for waiting-list offers: neither sold nor for sale
    status: str = 'scheduled'  # or 'cancelled'
    cancel_reason: str | None = None
    description: str | None = None
    duration_minutes: int | None = None
    language: str | None = None
    age_rating: str | None = None  # an AgeRating value
    poster_key: str | None = None  # the stored poster's name; None: the generated placeholder
    theatre_address: str | None = None
    theatre_timezone: str | None = None  # an IANA name; None: the app's
    audience_rating: float | None = None  # the production's audience average, one decimal; None: nobody rated
    ratings: int = 0  # how many people rated the production

    @property
    def reserved(self) -> bool:
        return self.seating == RESERVED

    @property
    def tickets_left(self) -> int:
        """What anyone could book: not the tickets set aside for offers, nothing of a cancelled performance."""
        return 0 if self.cancelled else self.num_tickets - self.tickets_sold - self.tickets_offered

    @property
    def cancelled(self) -> bool:
        return self.status == ShowStatus.CANCELLED

    @property
    def housefull(self) -> bool:
        return self.tickets_left <= 0

    def has_started(self, now: dt.datetime | None = None) -> bool:
        return self.starts_at <= (now or utcnow())

    @classmethod
    def of(cls, show: Show, theatre: Theatre | None = None, *, audience: Audience) -> ShowView:
        """The show as read; `audience` is its production's scores (`show_view` looks them up for one show, a
        listing joins them in)."""
        theatre = theatre or show.theatre
        return cls(
            id=show.id,
            theatre_id=show.theatre_id,
            theatre_name=theatre.name,
            place=theatre.place,
            name=show.name,
            rating=show.rating,
            tags=show.tags,
            price_cents=show.price_cents,
            num_tickets=show.num_tickets,
            tickets_sold=show.tickets_sold,
            starts_at=show.starts_at,
            seating=RESERVED if show.reserved else GENERAL,
            section_prices={row.section: row.price_cents for row in show.price_rows},
            tickets_offered=show.tickets_offered,
            status=show.status.value,
            cancel_reason=show.cancel_reason,
            description=show.description,
            duration_minutes=show.duration_minutes,
            language=show.language,
            age_rating=show.age_rating.value if show.age_rating else None,
            poster_key=show.poster_key,
            theatre_address=theatre.address,
            theatre_timezone=theatre.timezone,
            audience_rating=audience.average,
            ratings=audience.count,
        )


def show_view(session: Session, show: Show, theatre: Theatre | None = None) -> ShowView:
    """One show as read, with its production's audience scores (one query)."""
    return ShowView.of(show, theatre, audience=audience_of(session, show))


@dataclass(frozen=True)
class ShowFields:
    name: str
    rating: float
    tags: list[str]
    price_cents: int
    num_tickets: int
    starts_at: dt.datetime
    seating: SeatingChoice
    details: ShowDetails


def _in_zone(starts_at: FormMoment, theatre: Theatre) -> FormMoment:
    """A start without an offset (from the API) is a time at the theatre: read in its time zone."""
    if isinstance(starts_at, dt.datetime) and starts_at.tzinfo is None:
        return starts_at.replace(tzinfo=theatre_tz(theatre.timezone))
    return starts_at


def _check_fields(
    session: Session,
    theatre: Theatre,
    *,
    name: FormText,
    rating: FormNumber,
    tags: FormTags,
    ticket_price: FormNumber,
    num_tickets: FormNumber,
    starts_at: FormMoment,
    seating: FormText,
    section_prices: object,
    details: dict[str, object],
    now: dt.datetime,
    show: Show | None = None,
) -> ShowFields:
    check = Checker()
    clean_name = check.text('name', name, label='Show name')
    clean_rating = check.rating('rating', rating)
    clean_tags = check.tags('tags', tags)
    price = check.money_cents('ticket_price', ticket_price, label='Ticket price')
    choice = check_seating(
        session, check, theatre, seating=seating, section_prices=section_prices, num_tickets=num_tickets, show=show
    )
    if choice.reserved:
        tickets = choice.num_tickets or 0
    else:
        tickets = check.integer('num_tickets', num_tickets, label='Number of tickets', low=1, high=theatre.capacity)
    if show is not None and starts_at == show.starts_at:
        start = show.starts_at  # an unchanged start may lie in the past: the rest of a past show can still be edited
    else:
        start = check.future_datetime('starts_at', starts_at, now=now, tz=theatre_tz(theatre.timezone))
    about = check_details(check, details)
    check.done()
    return ShowFields(clean_name, clean_rating, clean_tags, price, tickets, start, choice, about)


def public_show(session: Session, *, show_id: int) -> ShowView:
    """Anyone may read a show; its seat count may come from the cache (booking always asks the database)."""

    def load() -> ShowView | None:
        show = get_by_id(session, Show, show_id)
        return None if show is None else show_view(session, show)

    view = cached(f'show:{show_id!r}', [f'show:{show_id!r}', 'theatres'], load, _SHOW_OR_NONE)
    if view is None:
        raise NotFound('No such show.')
    return view


def create_show(
    session: Session,
    *,
    actor_id: int,
    theatre_id: int,
    name: FormText,
    rating: FormNumber,
    tags: FormTags,
    ticket_price: FormNumber,
    num_tickets: FormNumber,
    starts_at: FormMoment,
    seating: FormText = None,
    section_prices: object = None,
    description: FormText = None,
    duration_minutes: FormNumber = None,
    language: FormText = None,
    age_rating: FormText = None,
    now: dt.datetime | None = None,
) -> ShowView:
    """A new show of a theatre the actor manages: general admission unless `seating` is 'reserved' (then its
    tickets are the theatre's seat map, `num_tickets` may be left out, and sections may have their own prices).

    A date and time without an offset are read in the theatre's time zone. The description, duration, language
    and age rating may be left out."""
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)
    fields = _check_fields(
        session,
        theatre,
        name=name,
        rating=rating,
        tags=tags,
        ticket_price=ticket_price,
        num_tickets=num_tickets,
        starts_at=_in_zone(starts_at, theatre),
        seating=seating,
        section_prices=section_prices,
        details={
            'description': description,
            'duration_minutes': duration_minutes,
            'language': language,
            'age_rating': age_rating,
        },
        now=now or utcnow(),
    )
    show = Show(
        theatre=theatre,
        name=fields.name,
        rating=fields.rating,
        price_cents=fields.price_cents,
        num_tickets=fields.num_tickets,
        tickets_sold=0,
        starts_at=fields.starts_at,
        tag_rows=[ShowTag(tag=tag) for tag in fields.tags],
        **fields.details.columns(),
    )
    session.add(show)
    session.flush()
    apply_seating(session, show, fields.seating)
    audit.record(session, actor_id=actor_id, action=AuditAction.SHOW_CREATED, target=show)
    invalidate_after_commit(session, 'listing', f'theatre:{theatre.id!r}')
    return show_view(session, show, theatre)


def update_show(
    session: Session,
    *,
    actor_id: int,
    show_id: int,
    name: FormText,
    rating: FormNumber,
    tags: FormTags,
    ticket_price: FormNumber,
    num_tickets: FormNumber,
    starts_at: FormMoment,
    seating: FormText = None,
    section_prices: object = None,
    description: FormText = None,
    duration_minutes: FormNumber = None,
    language: FormText = None,
    age_rating: FormText = None,
    now: dt.datetime | None = None,
) -> ShowView:
    """Change a show. Existing bookings keep the price they were made at; `seating` and `section_prices` left
    out (None) stay as they are, and the seating can change only while nothing is sold or held. The details
    (description, duration, language, age rating) are replaced like the other fields: None clears one.

    Once a show has started its time, tickets and price are frozen (a new time would put it back on sale);
    its name, tags and rating may still change.
    """
    show = managed_show(session, load_actor(session, actor_id), show_id)
    if show.cancelled:
        raise Conflict('This performance has been cancelled; it can no longer change.')
    before = audit.fields_of(show, AUDITED)  # price and tickets included: a price change is a change
    moment = now or utcnow()
    starts_at = _in_zone(starts_at, show.theatre)
    if show.starts_at <= moment:
        kept = show.num_tickets if show.reserved and num_tickets is None else num_tickets
        frozen = _changed_frozen_field(show, starts_at=starts_at, num_tickets=kept, ticket_price=ticket_price)
        if frozen is not None:
            raise Conflict(STARTED, field=frozen)
    fields = _check_fields(
        session,
        show.theatre,
        name=name,
        rating=rating,
        tags=tags,
        ticket_price=ticket_price,
        num_tickets=num_tickets,
        starts_at=starts_at,
        seating=seating,
        section_prices=section_prices,
        details={
            'description': description,
            'duration_minutes': duration_minutes,
            'language': language,
            'age_rating': age_rating,
        },
        now=moment,
        show=show,
    )
    check_switch(session, show, fields.seating, moment)
    # Conditional on the sold count at write time, so a booking racing this edit cannot be stranded; tickets set
    # aside for waiting-list offers count as sold here.
    changed = session.execute(
        update(Show)
        .where(Show.id == show.id, Show.tickets_sold + Show.tickets_offered <= fields.num_tickets)
        .values(
            name=fields.name,
            rating=fields.rating,
            price_cents=fields.price_cents,
            num_tickets=fields.num_tickets,
            starts_at=fields.starts_at,
            **fields.details.columns(),
        )
        .returning(Show.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if changed is None:
        sold, offered = session.execute(select(Show.tickets_sold, Show.tickets_offered).where(Show.id == show.id)).one()
        aside = f' and {offered} set aside for the waiting list' if offered else ''
        raise Conflict(
            f'{sold} tickets are already sold{aside}; the number of tickets cannot be lower.', field='num_tickets'
        )
    if fields.num_tickets > before['num_tickets']:
        freed.tickets_freed(session, show.id)  # more on sale: the waiting list hears first
    session.execute(delete(ShowTag).where(ShowTag.show_id == show.id))
    session.add_all(ShowTag(show_id=show.id, tag=tag) for tag in fields.tags)
    apply_seating(session, show, fields.seating)
    session.flush()
    invalidate_after_commit(session, 'listing', f'show:{show.id!r}', f'theatre:{show.theatre_id!r}')
    if fields.name.lower() != before['name'].lower():  # its scores leave one production's average for another's
        for name in (before['name'], fields.name):
            invalidate_production(session, show.theatre_id, name)
    session.expire(show)
    updated = session.scalars(select(Show).where(Show.id == show.id).options(selectinload(Show.tag_rows))).one()
    audit.record_change(session, actor_id=actor_id, action=AuditAction.SHOW_CHANGED, target=updated, before=before)
    return show_view(session, updated)


def _changed_frozen_field(
    show: Show, *, starts_at: FormMoment, num_tickets: FormNumber, ticket_price: FormNumber
) -> str | None:
    """The first of time, tickets and price that this edit would change. Values are read as the form reads
    them ('250', 250 and 250.00 are one price), so the same value sent back is no change; one that cannot be
    read is not the same value."""
    reading = Checker()
    tickets = reading.integer('num_tickets', num_tickets, label='Tickets', low=1, high=2**31)
    same = {
        'starts_at': starts_at == show.starts_at,
        'num_tickets': tickets == show.num_tickets,
        'ticket_price': reading.money_cents('ticket_price', ticket_price, label='Price') == show.price_cents,
    }
    return next((field for field, kept in same.items() if not kept or field in reading.errors), None)


def delete_show(session: Session, *, actor_id: int, show_id: int) -> None:
    """Refused while the show has confirmed bookings; cancelled ones (no seats, no money) go with it."""
    show = managed_show(session, load_actor(session, actor_id), show_id)
    count, tickets = session.execute(
        select(func.count(Booking.id), func.coalesce(func.sum(Booking.booked_tickets), 0)).where(
            Booking.show_id == show.id, Booking.status == BookingStatus.CONFIRMED
        )
    ).one()
    if count:
        raise Conflict(
            f'"{show.name}" has {plural(count, "confirmed booking")} for {plural(tickets, "ticket")}; '
            'it can be deleted once none are left.'
        )
    session.execute(delete(Booking).where(Booking.show_id == show.id))
    audit.record(session, actor_id=actor_id, action=AuditAction.SHOW_DELETED, target=show)
    session.delete(show)
    session.flush()
    invalidate_after_commit(session, 'listing', f'show:{show.id!r}', f'theatre:{show.theatre_id!r}')


_SHOW_OR_NONE = TypeAdapter(ShowView | None)
