"""Audience ratings: a person who booked a show scores it 1–5 once it has started; they may change their mind.

What the audience thinks of a show is read per production (its performances at one theatre under one name, as
services/productions.py has it): an upcoming date has no scores of its own yet, but the earlier dates of the run
speak for it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Float, Subquery, and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from models import Booking, BookingStatus, Show, ShowRating
from models.db import get_by_id, utcnow
from services.auth import load_actor
from services.cache import invalidate_after_commit
from services.errors import Conflict, NotFound
from services.productions import same_production
from services.validation import Checker, FormNumber

# The listing's "Minimum rating" and "Highest rated" trust the audience once this many people have rated a show:
# one or two scores (the cast's friends, one bad night) say more about who rated than about the show, so until
# then the manager's rating stands in.
MIN_AUDIENCE_RATINGS = 3


@dataclass(frozen=True)
class Audience:
    """A production's audience scores: their average to one decimal (None: nobody has rated) and their number."""

    average: float | None = None
    count: int = 0


NOBODY = Audience()


def _average() -> ColumnElement[float]:
    return func.round(func.avg(ShowRating.score), 1, type_=Float)


def production_scores(*theatre_ids: int) -> Subquery:
    """Every rated production's scores, one row each (theatre_id, name_key, average, count): a grouped subquery
    to join a page of shows to with `scores_of`, so a whole page costs no query of its own. Given theatre ids,
    only theirs."""
    rated = aliased(Show, name='rated_show')
    query = (
        select(
            rated.theatre_id.label('theatre_id'),
            func.lower(rated.name).label('name_key'),
            _average().label('average'),
            func.count(ShowRating.id).label('count'),
        )
        .join(rated, rated.id == ShowRating.show_id)
        .group_by(rated.theatre_id, func.lower(rated.name))
    )
    if theatre_ids:
        query = query.where(rated.theatre_id.in_(theatre_ids))
    return query.subquery('audience')


def scores_of(scores: Subquery) -> ColumnElement[bool]:
    """The join condition of `Show` to `production_scores()` (an outer join: most shows are unrated)."""
    return and_(scores.c.theatre_id == Show.theatre_id, scores.c.name_key == func.lower(Show.name))


def effective_rating(scores: Subquery) -> ColumnElement[float]:
    """The audience's average once enough people rated (MIN_AUDIENCE_RATINGS), else the manager's rating."""
    return case((scores.c.count >= MIN_AUDIENCE_RATINGS, scores.c.average), else_=Show.rating)


def audience(average: float | None, count: int | None) -> Audience:
    """An `Audience` from a row of `production_scores()`, or from an outer join that found none."""
    return Audience(average, count) if count else NOBODY


def audience_of(session: Session, show: Show) -> Audience:
    """The audience scores of one show's production (one query)."""
    average, count = session.execute(
        select(_average(), func.count(ShowRating.id))
        .join(Show, Show.id == ShowRating.show_id)
        .where(same_production(Show, show.theatre_id, show.name))
    ).one()
    return audience(average, count)


def audiences(session: Session, theatre_ids: Iterable[int]) -> dict[int, Audience]:
    """The audience scores of every rated show of these theatres, by show id (one query)."""
    ids = sorted(set(theatre_ids))
    if not ids:
        return {}
    scores = production_scores(*ids)
    rows = session.execute(
        select(Show.id, scores.c.average, scores.c.count)
        .join(scores, scores_of(scores))
        .where(Show.theatre_id.in_(ids))
    )
    return {show_id: audience(average, count) for show_id, average, count in rows}


def invalidate_production(session: Session, theatre_id: int, name: str) -> None:
    """After the commit, forget what showed this production's audience rating: the listing (and dashboards) and
    each of its performances' cached page."""
    ids = session.scalars(select(Show.id).where(same_production(Show, theatre_id, name)))
    invalidate_after_commit(session, 'listing', *(f'show:{show_id!r}' for show_id in ids))


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
    invalidate_production(session, show.theatre_id, show.name)
    return clean


def my_ratings(session: Session, *, user_id: int) -> dict[int, int]:
    """The person's scores by show id."""
    load_actor(session, user_id)
    rows = session.execute(select(ShowRating.show_id, ShowRating.score).where(ShowRating.user_id == user_id))
    return {show_id: score for show_id, score in rows}
