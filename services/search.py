"""The public listing: upcoming shows filtered by place, tag, rating, dates and free text, in a chosen order,
a page at a time."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, contains_eager

from models import Show, ShowStatus, ShowTag, Theatre
from models.db import utcnow
from services import ratings
from services.cache import cached
from services.errors import Invalid
from services.shows import ShowView

MAX_PAGE_SIZE = 100


class SortOrder(StrEnum):
    """How the listing is ordered; ties go by start time, then id, so pages never overlap or skip."""

    DATE = 'date'  # soonest first
    PRICE = 'price'  # cheapest ticket first
    RATING = 'rating'  # best rated first
    POPULARITY = 'popularity'  # most tickets sold first


# Each rated production's audience scores, joined (outer) into the listing's queries: no query per show.
SCORES = ratings.production_scores()


def rating_of_show() -> ColumnElement[float]:
    """The rating the listing filters and sorts by: the audience's average once enough people have rated the
    show's production (ratings.MIN_AUDIENCE_RATINGS), else the manager's. Needs SCORES joined."""
    return ratings.effective_rating(SCORES)


def _order(sort: SortOrder) -> list[ColumnElement[Any]]:
    first: dict[SortOrder, list[ColumnElement[Any]]] = {
        SortOrder.DATE: [],
        SortOrder.PRICE: [Show.price_cents.asc()],
        SortOrder.RATING: [rating_of_show().desc()],
        SortOrder.POPULARITY: [Show.tickets_sold.desc()],
    }
    return [*first[sort], Show.starts_at.asc(), Show.id.asc()]


@dataclass(frozen=True)
class ShowPage:
    items: list[ShowView]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class ShowQuery:
    q: str | None = None
    place: str | None = None
    tag: str | None = None
    min_rating: float | None = None
    starts_after: dt.datetime | None = None
    starts_before: dt.datetime | None = None
    sort: SortOrder = SortOrder.DATE
    limit: int = 20
    offset: int = 0

    def check(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE_SIZE:
            raise Invalid({'limit': f'limit must be between 1 and {MAX_PAGE_SIZE}.'})
        if self.offset < 0:
            raise Invalid({'offset': 'offset must not be negative.'})
        if self.min_rating is not None and not 0 <= self.min_rating <= 5:
            raise Invalid({'min_rating': 'Minimum rating must be between 0 and 5.'})
        for name in ('starts_after', 'starts_before'):
            moment = getattr(self, name)
            if moment is not None and not 1970 <= moment.year <= 2200:
                raise Invalid({name: 'Dates must lie between the years 1970 and 2200.'})
        if self.starts_after and self.starts_before and self.starts_before < self.starts_after:
            raise Invalid({'starts_before': 'The end date is before the start date.'})
        for name in ('q', 'place', 'tag'):
            text = getattr(self, name)
            if isinstance(text, str) and any(unicodedata.category(ch) in ('Cc', 'Cf') for ch in text):
                raise Invalid({name: 'Search text must not contain control characters.'})

    def cache_key(self) -> str:
        return 'listing:' + json.dumps(asdict(self), default=str, sort_keys=True)

    def conditions(self, now: dt.datetime) -> ColumnElement[bool]:
        conditions: list[ColumnElement[bool]] = [Show.starts_at > now, Show.status == ShowStatus.SCHEDULED]
        if self.q and self.q.strip():
            pattern = _like_pattern(self.q.strip()[:100])
            conditions.append(
                or_(
                    func.lower(Show.name).like(pattern, escape='\\'),
                    func.lower(Theatre.name).like(pattern, escape='\\'),
                    func.lower(Theatre.place).like(pattern, escape='\\'),
                    exists().where(ShowTag.show_id == Show.id, ShowTag.tag.like(pattern, escape='\\')),
                )
            )
        if self.place and self.place.strip():
            conditions.append(func.lower(Theatre.place) == self.place.strip().lower())
        if self.tag and self.tag.strip():
            conditions.append(exists().where(ShowTag.show_id == Show.id, ShowTag.tag == self.tag.strip().lower()))
        if self.min_rating:
            conditions.append(rating_of_show() >= self.min_rating)
        if self.starts_after:
            conditions.append(Show.starts_at >= self.starts_after)
        if self.starts_before:
            conditions.append(Show.starts_at < self.starts_before)
        return and_(*conditions)


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
    sort: SortOrder | str = SortOrder.DATE,
    limit: int = 20,
    offset: int = 0,
    now: dt.datetime | None = None,
) -> ShowPage:
    """Upcoming shows matching every given filter (see `ShowQuery`), in the `sort` order (soonest first by
    default). The free text `q` matches the show's name, its theatre's name and place, and its tags.

    Cached per filter set and page, until a write bumps the listing or 30-60 s pass; a given `now`
    (tests, reports) bypasses the cache.
    """
    query = ShowQuery(
        q=q,
        place=place,
        tag=tag,
        min_rating=min_rating,
        starts_after=starts_after,
        starts_before=starts_before,
        sort=_sort_order(sort),
        limit=limit,
        offset=offset,
    )
    query.check()
    if now is not None:
        return _run(session, query, now)
    return cached(query.cache_key(), ['listing'], lambda: _run(session, query, utcnow()), _PAGE)


def _sort_order(sort: SortOrder | str) -> SortOrder:
    try:
        return SortOrder(sort)
    except ValueError:
        raise Invalid({'sort': 'Sort by date, price, rating or popularity.'}) from None


def _run(session: Session, query: ShowQuery, now: dt.datetime) -> ShowPage:
    where = query.conditions(now)
    counting = select(func.count(Show.id)).join(Show.theatre)
    if query.min_rating:  # only a rating filter needs the scores to count: the join adds no rows
        counting = counting.outerjoin(SCORES, ratings.scores_of(SCORES))
    total = session.scalar(counting.where(where)) or 0
    rows = session.execute(
        select(Show, SCORES.c.average, SCORES.c.count)
        .join(Show.theatre)
        .outerjoin(SCORES, ratings.scores_of(SCORES))
        .options(contains_eager(Show.theatre))
        .where(where)
        .order_by(*_order(query.sort))
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    items = [ShowView.of(show, audience=ratings.audience(average, count)) for show, average, count in rows]
    return ShowPage(items=items, total=total, limit=query.limit, offset=query.offset)


def places(session: Session) -> list[str]:
    """Places with upcoming shows, for the filter's choices."""
    return cached('places', ['listing'], lambda: _distinct(session, Theatre.place), _NAMES)


def tags(session: Session) -> list[str]:
    """Tags of upcoming shows, for the filter's choices."""
    return cached('tags', ['listing'], lambda: _distinct(session, ShowTag.tag), _NAMES)


def _distinct(session: Session, column: InstrumentedAttribute[str]) -> list[str]:
    query = (
        select(column)
        .distinct()
        .select_from(Show)
        .join(Show.theatre)
        .where(Show.starts_at > utcnow(), Show.status == ShowStatus.SCHEDULED)
    )
    if column is ShowTag.tag:
        query = query.join(ShowTag, ShowTag.show_id == Show.id)
    return list(session.scalars(query.order_by(column)))


_PAGE = TypeAdapter(ShowPage)
_NAMES = TypeAdapter(list[str])
