"""Audience ratings: a person who booked a show scores it 1–5 once it has started; they may change their mind."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from models import Booking, BookingStatus, Show, ShowRating
from models.db import get_by_id, utcnow
from services.auth import load_actor
from services.errors import Conflict, NotFound
from services.validation import Checker, FormNumber


def rate_show(
    session: Session, *, user_id: int, show_id: int, score: FormNumber, now: dt.datetime | None = None
) -> int:
    """Record (or change) the person's score for a show they had a confirmed booking for; returns the score."""
    now = now or utcnow()
    load_actor(session, user_id)
    check = Checker()
    clean = check.integer('score', score, label='Rating', low=1, high=5)
    check.done()
    show = get_by_id(session, Show, show_id)
    if show is None:
        raise NotFound('No such show.')
    booked = session.scalar(
        select(
            exists().where(
                Booking.user_id == user_id, Booking.show_id == show.id, Booking.status == BookingStatus.CONFIRMED
            )
        )
    )
    if not booked:
        raise Conflict('Only people who booked this show can rate it.')
    if show.starts_at > now:
        raise Conflict('You can rate this show once it has started.')
    rating = session.scalar(select(ShowRating).where(ShowRating.user_id == user_id, ShowRating.show_id == show.id))
    if rating is None:
        session.add(ShowRating(user_id=user_id, show_id=show.id, score=clean, rated_at=now))
    else:
        rating.score, rating.rated_at = clean, now
    session.flush()
    return clean


def my_ratings(session: Session, *, user_id: int) -> dict[int, int]:
    """The person's scores by show id."""
    load_actor(session, user_id)
    rows = session.execute(select(ShowRating.show_id, ShowRating.score).where(ShowRating.user_id == user_id))
    return {show_id: score for show_id, score in rows}
