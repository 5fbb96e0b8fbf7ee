"""How a show is sold: general admission (a number of tickets) or reserved (the theatre's seat map), with a price
per section; and the seats a reserved show keeps back (house seats)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from models import AuditAction, ClaimKind, Seat, SeatClaim, SeatKind, SeatMap, SectionPrice, Show, ShowSeating, Theatre
from models.db import utcnow
from services import audit
from services.access import managed_show
from services.auth import load_actor
from services.cache import invalidate_after_commit
from services.errors import Conflict
from services.seating import claims
from services.seating.seats import check_choice, reserved_show
from services.validation import Checker, FormNumber, FormText

GENERAL, RESERVED = 'general', 'reserved'


@dataclass(frozen=True)
class SeatingChoice:
    reserved: bool
    prices: dict[str, int]  # section name → cents; sections not named cost the show's ticket price
    num_tickets: int | None  # a reserved show's tickets: its map's seats for sale less its house seats


def on_sale(session: Session, theatre_id: int) -> int:
    """The theatre's seats on its map that can be sold."""
    return int(
        session.scalar(
            select(func.count(Seat.id)).where(
                Seat.theatre_id == theatre_id, Seat.removed.is_(False), Seat.kind != SeatKind.BLOCKED
            )
        )
        or 0
    )


def house_seats(session: Session, show_id: int) -> int:
    return int(
        session.scalar(select(func.count()).where(SeatClaim.show_id == show_id, SeatClaim.kind == ClaimKind.BLOCKED))
        or 0
    )


def check_seating(
    session: Session,
    check: Checker,
    theatre: Theatre,
    *,
    seating: FormText,
    section_prices: object,
    num_tickets: FormNumber,
    show: Show | None = None,
) -> SeatingChoice:
    """Read the seating fields of a show form into `check` (problems beside their fields). `seating` None keeps a
    show's seating (and `section_prices` None its prices); for a new show it means general admission."""
    current = show is not None and show.reserved
    choice = seating if seating is not None else (RESERVED if current else GENERAL)
    if choice not in (GENERAL, RESERVED):
        check.fail('seating', 'Seating is "general" (a number of tickets) or "reserved" (the seat map).')
        return SeatingChoice(False, {}, None)
    if choice == GENERAL:
        return SeatingChoice(False, {}, None)
    if session.get(SeatMap, theatre.id) is None:
        check.fail('seating', 'This theatre has no seat map yet: draw one before selling reserved seats.')
        return SeatingChoice(True, {}, None)
    available = on_sale(session, theatre.id) - (house_seats(session, show.id) if show is not None else 0)
    if num_tickets is not None and not (isinstance(num_tickets, str) and not num_tickets.strip()):
        given = check.integer('num_tickets', num_tickets, label='Number of tickets', low=1, high=2**31 - 1)
        if 'num_tickets' not in check.errors and given != available:
            check.fail(
                'num_tickets',
                f'A reserved show sells the seats of the map: {available:,} (leave the number out, or give that).',
            )
    if section_prices is None and show is not None:
        return SeatingChoice(True, {r.section: r.price_cents for r in show.price_rows}, available)
    return SeatingChoice(True, _prices(session, check, theatre, section_prices), available)


def prices_text(prices: Mapping[str, int]) -> str:
    """Section prices as a form shows them: 'Balcony: 299; Stalls: 450.50'."""
    return '; '.join(f'{name}: {cents / 100:.2f}'.removesuffix('.00') for name, cents in prices.items())


def _read_prices_text(check: Checker, text: str) -> dict[str, object] | None:
    """'Balcony: 299; Stalls: 450' (semicolons or new lines between sections) as {name: price text}."""
    result: dict[str, object] = {}
    for part in text.replace('\n', ';').split(';'):
        if not part.strip():
            continue
        name, colon, price = part.rpartition(':')
        if not colon or not name.strip():
            check.fail('section_prices', 'Write each section as "name: price", separated by semicolons.')
            return None
        result[name.strip()] = price.strip()
    return result


def _prices(session: Session, check: Checker, theatre: Theatre, value: object) -> dict[str, int]:
    if value is None:
        return {}
    if isinstance(value, str):
        read = _read_prices_text(check, value)
        if read is None:
            return {}
        value = read
    if not isinstance(value, Mapping):
        check.fail('section_prices', 'Section prices are {"section name": price}.')
        return {}
    sections = set(session.scalars(select(Seat.section).where(Seat.theatre_id == theatre.id, Seat.removed.is_(False))))
    result: dict[str, int] = {}
    for name, price in value.items():
        if name not in sections:
            check.fail('section_prices', f'The seat map has no section "{str(name)[:40]}".')
            continue
        cents = check.money_cents('section_prices', price, label=f'The price of {name}')
        result[name] = cents
    return result


def apply_seating(session: Session, show: Show, choice: SeatingChoice) -> None:
    """Make the show's stored seating what `choice` says (the caller checked it may change)."""
    has = session.get(ShowSeating, show.id) is not None
    if choice.reserved and not has:
        session.add(ShowSeating(show_id=show.id, version=0))
    elif not choice.reserved and has:
        session.execute(delete(SeatClaim).where(SeatClaim.show_id == show.id))  # house seats; nothing sold or held
        session.execute(delete(ShowSeating).where(ShowSeating.show_id == show.id))
    session.execute(delete(SectionPrice).where(SectionPrice.show_id == show.id))
    session.add_all(SectionPrice(show_id=show.id, section=name, price_cents=c) for name, c in choice.prices.items())
    session.flush()
    session.expire(show, ['seating_row', 'price_rows'])


def check_switch(session: Session, show: Show, choice: SeatingChoice, now: dt.datetime) -> None:
    """A show's seating may change only while nothing of it is sold or held."""
    if choice.reserved == show.reserved:
        return
    held = session.scalar(
        select(func.count()).where(SeatClaim.show_id == show.id, SeatClaim.kind != ClaimKind.BLOCKED, claims.live(now))
    )
    if show.tickets_sold or held:
        raise Conflict('Tickets of this show are sold or held: its seating can no longer change.', field='seating')


def set_house_seats(
    session: Session, *, actor_id: int, show_id: int, seats: object, now: dt.datetime | None = None
) -> list[int]:
    """Keep `seats` (ids; [] for none) of a reserved show back from sale, replacing the show's earlier house seats.
    The show's tickets shrink by as many; a seat sold or held cannot be kept back (`SeatsTaken`)."""

    now = now or utcnow()
    show = managed_show(session, load_actor(session, actor_id), show_id)
    reserved_show(session, show.id)
    wanted: list[int] = []
    if seats != []:
        wanted = check_choice(session, show, seats, high=10_000).seat_ids
    claims.lock(session, show.id)
    old = set(
        session.scalars(
            select(SeatClaim.seat_id).where(SeatClaim.show_id == show.id, SeatClaim.kind == ClaimKind.BLOCKED)
        )
    )
    session.execute(delete(SeatClaim).where(SeatClaim.show_id == show.id, SeatClaim.kind == ClaimKind.BLOCKED))
    if wanted:
        claims.claim(session, show_id=show.id, seat_ids=wanted, kind=ClaimKind.BLOCKED, now=now)
    tickets = on_sale(session, show.theatre_id) - len(wanted)
    resized = session.execute(
        update(Show)
        .where(Show.id == show.id, Show.tickets_sold <= tickets)
        .values(num_tickets=tickets)
        .returning(Show.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if resized is None:
        raise Conflict('So many seats are sold that these cannot be kept back.', field='seats')
    claims.bump(session, show.id)
    audit.record(
        session,
        actor_id=actor_id,
        action=AuditAction.HOUSE_SEATS_CHANGED,
        target=show,
        changes={'house_seats': [len(old), len(wanted)]},
        at=now,
    )
    invalidate_after_commit(session, 'listing', f'show:{show.id!r}', f'theatre:{show.theatre_id!r}')
    return sorted(wanted)
