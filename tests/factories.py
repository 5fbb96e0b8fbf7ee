"""Factories for users, theatres, shows and bookings: the one place tests make data."""

from __future__ import annotations

import datetime as dt
import itertools

from models import Booking, BookingStatus, Role, Show, ShowTag, Theatre, TicketStatus, User
from models.db import session_scope, utcnow
from services import tickets as tickets_service
from services.passwords import hash_password

PASSWORD = 'correct-horse-1'
_counter = itertools.count(1)


def make_user(
    *,
    role: Role = Role.USER,
    username: str | None = None,
    name: str | None = None,
    password: str = PASSWORD,
    email: str | None = None,
    is_active: bool = True,
    wants_reminders: bool = True,
    wants_reports: bool = True,
    verified: bool = True,
) -> User:
    number = next(_counter)
    username = username or f'{role}{number}'
    with session_scope() as session:
        user = User(
            username=username,
            name=name or f'{role.title()} {number}',
            email=email or f'{username}@example.com',
            password_hash=hash_password(password),
            role=role,
            is_active=is_active,
            wants_reminders=wants_reminders,
            wants_reports=wants_reports,
            email_verified_at=utcnow() if verified else None,  # as an address proved by its link
        )
        session.add(user)
    return user


def make_theatre(owner: User, *, name: str | None = None, place: str = 'Mumbai', capacity: int = 200) -> Theatre:
    with session_scope() as session:
        theatre = Theatre(owner_id=owner.id, name=name or f'Theatre {next(_counter)}', place=place, capacity=capacity)
        session.add(theatre)
    return theatre


def make_show(
    theatre: Theatre,
    *,
    name: str | None = None,
    starts_in: dt.timedelta = dt.timedelta(days=3),
    num_tickets: int = 50,
    price_cents: int = 25000,
    rating: float = 4.0,
    tags: tuple[str, ...] = (),
    tickets_sold: int = 0,
    starts_at: dt.datetime | None = None,
) -> Show:
    """A show starting `starts_in` from now, or at `starts_at` when given (for tests on a fixed clock)."""
    with session_scope() as session:
        show = Show(
            theatre_id=theatre.id,
            name=name or f'Show {next(_counter)}',
            rating=rating,
            price_cents=price_cents,
            num_tickets=num_tickets,
            tickets_sold=tickets_sold,
            starts_at=starts_at or utcnow() + starts_in,
            tag_rows=[ShowTag(tag=t) for t in tags],
        )
        session.add(show)
    return show


def make_booking(
    user: User,
    show: Show,
    *,
    tickets: int = 2,
    status: BookingStatus = BookingStatus.CONFIRMED,
    created_at: dt.datetime | None = None,
) -> Booking:
    """A booking written directly (for setting up history, e.g. for a show that has already started)."""
    when = {} if created_at is None else {'created_at': created_at}
    with session_scope() as session:
        booking = Booking(
            reference=tickets_service.new_reference(session),
            user_id=user.id,
            show_id=show.id,
            booked_tickets=tickets,
            price_cents=show.price_cents,
            total_cents=show.price_cents * tickets,
            status=status,
            **when,
        )
        session.add(booking)
        session.flush()
        made = tickets_service.issue(session, booking, count=tickets, price_cents=show.price_cents)
        if status == BookingStatus.CONFIRMED:
            session.get_one(Show, show.id).tickets_sold += tickets
        else:
            for ticket in made:
                ticket.status = TicketStatus.CANCELLED
    return booking


def tickets_sold(show_id: int) -> int:
    with session_scope() as session:
        return session.get_one(Show, show_id).tickets_sold
