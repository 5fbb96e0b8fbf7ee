"""The public listing: upcoming shows filtered by place, tag, rating, dates and free text, a page at a time."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from models import Show, ShowTag, Theatre
from models.db import utcnow
from services.errors import Invalid
from services.shows import ShowView

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ShowPage:
    items: list[ShowView]
    total: int
    limit: int
    offset: int


def _like_pattern(text: str) -> str:
    escaped = text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
    return f'%{escaped.lower()}%'


def search_shows(
    session: Session,
    *,
    q: str | None = None,
    place: str | None = None,
    tag: str | None = None,
    min_rating: float | None = None,
    starts_after: dt.datetime | None = None,
    starts_before: dt.datetime | None = None,
    limit: int = 20,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> ShowPage:
    """Upcoming shows matching every given filter, soonest first."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise Invalid({'limit': f'limit must be between 1 and {MAX_PAGE_SIZE}.'})
    if offset < 0:
        raise Invalid({'offset': 'offset must not be negative.'})
    if min_rating is not None and not 0 <= min_rating <= 5:
        raise Invalid({'min_rating': 'Minimum rating must be between 0 and 5.'})
    if starts_after and starts_before and starts_before < starts_after:
        raise Invalid({'starts_before': 'The end date is before the start date.'})
    conditions: list[ColumnElement[bool]] = [Show.starts_at > (now or utcnow())]
    if q and q.strip():
        pattern = _like_pattern(q.strip()[:100])
        conditions.append(
            or_(func.lower(Show.name).like(pattern, escape='\\'), func.lower(Theatre.name).like(pattern, escape='\\'))
        )
    if place and place.strip():
        conditions.append(func.lower(Theatre.place) == place.strip().lower())
    if tag and tag.strip():
        conditions.append(exists().where(ShowTag.show_id == Show.id, ShowTag.tag == tag.strip().lower()))
    if min_rating:
        conditions.append(Show.rating >= min_rating)
    if starts_after:
        conditions.append(Show.starts_at >= starts_after)
    if starts_before:
        conditions.append(Show.starts_at < starts_before)
    where = and_(*conditions)
    total = session.scalar(select(func.count(Show.id)).join(Show.theatre).where(where)) or 0
    shows = session.scalars(
        select(Show)
        .join(Show.theatre)
        .options(contains_eager(Show.theatre))
        .where(where)
        .order_by(Show.starts_at, Show.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return ShowPage(items=[ShowView.of(s) for s in shows], total=total, limit=limit, offset=offset)


def places(session: Session) -> list[str]:
    """Places with upcoming shows, for the filter's choices."""
    rows = session.scalars(
        select(Theatre.place).distinct().join(Theatre.shows).where(Show.starts_at > utcnow()).order_by(Theatre.place)
    )
    return list(rows)


def tags(session: Session) -> list[str]:
    """Tags of upcoming shows, for the filter's choices."""
    rows = session.scalars(
        select(ShowTag.tag)
        .distinct()
        .join(Show, Show.id == ShowTag.show_id)
        .where(Show.starts_at > utcnow())
        .order_by(ShowTag.tag)
    )
    return list(rows)
