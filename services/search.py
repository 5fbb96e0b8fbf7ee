"""The public listing: upcoming shows filtered by place, tag, rating, dates and free text, in a chosen order,
a page at a time.

What is cached, and what invalidates it:
- a page of the listing, under the `listing` namespace (bumped by changes to shows and theatres, never by a booking);
  its seat counts are read fresh from the database for the page's ids (one indexed query) whenever the page comes
  from the cache, so nobody sees a stale "Housefull";
- the total per filter set, and the places and tags on offer, under `listing` too (all three are full scans at
  100,000 shows, and none depends on sales);
- a booking, cancellation or waiting-list offer is to call `seats_changed`, which bumps the show's and theatre's
  namespaces and `sales` (what managers' dashboards and figures read), and leaves the listing alone.
The popularity order depends on sales: its pages are cached for POPULARITY_TTL seconds only, so the order may lag
the last few seconds of sales while the seat counts shown stay fresh.
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from models import Show, ShowStatus, ShowTag, Theatre
from models.db import utcnow
from services import ratings
from services.cache import LISTING, SALES, cached, invalidate_after_commit
from services.errors import Invalid
from services.shows import ShowView

MAX_PAGE_SIZE = 100
POPULARITY_TTL = 15.0  # seconds a most-booked-first page may lag sales (its seat counts are always fresh)


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

    def window(self) -> dict[str, int]:
        return {'limit': self.limit, 'offset': self.offset}

    def cache_key(self) -> str:
        return 'listing:' + json.dumps(asdict(self), default=str, sort_keys=True)

    def count_key(self) -> str:
        """The filters alone: every page and order of one filter set shares its total."""
        filters = {k: v for k, v in asdict(self).items() if k not in ('sort', 'limit', 'offset')}
        return 'listing-count:' + json.dumps(filters, default=str, sort_keys=True)

    def conditions(self, now: dt.datetime, *, counting: bool = False) -> ColumnElement[bool]:
        """The filters as SQL. `counting` shapes place and tag as id sets (one index lookup each), which is what
        counting every match wants; a page walks the shows in order and probes each instead, stopping early."""
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
            place = self.place.strip().lower()
            if counting:
                conditions.append(Show.theatre_id.in_(select(Theatre.id).where(func.lower(Theatre.place) == place)))
            else:
                conditions.append(func.lower(Theatre.place) == place)
        if self.tag and self.tag.strip():
            tag = self.tag.strip().lower()
            if counting:
                conditions.append(Show.id.in_(select(ShowTag.show_id).where(ShowTag.tag == tag)))
            else:
                conditions.append(exists().where(ShowTag.show_id == Show.id, ShowTag.tag == tag))
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

    Cached per filter set and page until a show or theatre changes (or the cache's TTL passes), with the seat
    counts read fresh for the page's shows (see the module's docstring); a given `now` (tests, reports) bypasses
    the cache.
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
        return ShowPage(items=_items(session, query, now), total=_count(session, query, now), **query.window())
    computed = False

    def compute() -> ShowPage:
        nonlocal computed
        computed = True
        moment = utcnow()
        total = cached(query.count_key(), [LISTING], lambda: _count(session, query, moment), _COUNT)
        return ShowPage(items=_items(session, query, moment), total=total, **query.window())

    ttl = POPULARITY_TTL if query.sort is SortOrder.POPULARITY else None
    page = cached(query.cache_key(), [LISTING], compute, _PAGE, ttl=ttl)
    return page if computed else replace(page, items=fresh_seats(session, page.items))


def fresh_seats(session: Session, items: list[ShowView]) -> list[ShowView]:
    """`items` with their seat counts (and status) as the database has them now: one query by primary key.
    A show deleted since is left out."""
    if not items:
        return items
    rows = session.execute(
        select(Show.id, Show.tickets_sold, Show.tickets_offered, Show.status).where(
            Show.id.in_([item.id for item in items])
        )
    )
    current = {show_id: (sold, offered, status.value) for show_id, sold, offered, status in rows}
    return [
        replace(item, tickets_sold=sold, tickets_offered=offered, status=status)
        for item in items
        if item.id in current
        for sold, offered, status in [current[item.id]]
    ]


def seats_changed(session: Session, *, show_id: int, theatre_id: int) -> None:
    """What a booking, cancellation or waiting-list offer of one show invalidates, after the commit: the show's
    page, its theatre's figures and everything read from sales (`SALES`). Not the listing: its pages read seat
    counts fresh, and nothing else in it depends on sales (the popularity order lags by POPULARITY_TTL at most)."""
    invalidate_after_commit(session, f'show:{show_id!r}', f'theatre:{theatre_id!r}', SALES)


def _sort_order(sort: SortOrder | str) -> SortOrder:
    try:
        return SortOrder(sort)
    except ValueError:
        raise Invalid({'sort': 'Sort by date, price, rating or popularity.'}) from None


def _count(session: Session, query: ShowQuery, now: dt.datetime) -> int:
    """Every match: from the index alone (ix_shows_listing) unless free text or a rating needs more."""
    counting = select(func.count(Show.id))
    if query.q and query.q.strip():  # only free text reads the theatre's name and place
        counting = counting.join(Show.theatre)
    if query.min_rating:  # only a rating filter needs the scores to count: the join adds no rows
        counting = counting.outerjoin(SCORES, ratings.scores_of(SCORES))
    return session.scalar(counting.where(query.conditions(now, counting=True))) or 0


def _items(session: Session, query: ShowQuery, now: dt.datetime) -> list[ShowView]:
    rows = session.execute(
        select(Show, SCORES.c.average, SCORES.c.count)
        .join(Show.theatre)
        .outerjoin(SCORES, ratings.scores_of(SCORES))
        .options(contains_eager(Show.theatre))
        .where(query.conditions(now))
        .order_by(*_order(query.sort))
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    return [ShowView.of(show, audience=ratings.audience(average, count)) for show, average, count in rows]


def places(session: Session) -> list[str]:
    """Places with upcoming shows, for the filter's choices."""
    return cached('places', [LISTING], lambda: _places(session, utcnow()), _NAMES)


def tags(session: Session) -> list[str]:
    """Tags of upcoming shows, for the filter's choices."""
    return cached('tags', [LISTING], lambda: _tags(session, utcnow()), _NAMES)


def _upcoming(now: dt.datetime) -> ColumnElement[bool]:
    return and_(Show.starts_at > now, Show.status == ShowStatus.SCHEDULED)


def _places(session: Session, now: dt.datetime) -> list[str]:
    """Each theatre's place, if one upcoming show there exists: a probe per theatre, not a scan of the shows."""
    has_show = exists().where(Show.theatre_id == Theatre.id, _upcoming(now))
    return list(session.scalars(select(Theatre.place).distinct().where(has_show).order_by(Theatre.place)))


def _tags(session: Session, now: dt.datetime) -> list[str]:
    """Each distinct tag, hopping from one to the next along ix_show_tags_tag (a step per tag, not a read of every
    show's tags), kept if one upcoming show has it."""
    hop = select(func.min(ShowTag.tag).label('tag')).cte('tag_hops', recursive=True)
    following = select(func.min(ShowTag.tag)).where(ShowTag.tag > hop.c.tag).scalar_subquery()
    hop = hop.union_all(select(following).where(hop.c.tag.is_not(None)))
    has_show = exists().where(ShowTag.tag == hop.c.tag, ShowTag.show_id == Show.id, _upcoming(now))
    return list(session.scalars(select(hop.c.tag).where(hop.c.tag.is_not(None), has_show).order_by(hop.c.tag)))


_PAGE = TypeAdapter(ShowPage)
_COUNT = TypeAdapter(int)
_NAMES = TypeAdapter(list[str])
