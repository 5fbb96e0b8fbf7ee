"""The listing's state as it lives in the address: `/?q=&place=&tag=&min_rating=&from=&to=&sort=&page=`.

Read from a request or a Back/Forward, written back on every change, so Back, reload and a shared link all show
the same listing. A value that cannot be read is left out (and named), never an error page.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from services.search import SortOrder

MAX_TEXT = {'q': 100, 'place': 100, 'tag': 30}
MAX_PAGE = 100_000
DATE_HINT = 'Enter a date like 2026-12-24.'
# How a person would name each parameter, for "left out of the link: …".
PARAM_NAMES = {
    'q': 'search text',
    'place': 'place',
    'tag': 'tag',
    'min_rating': 'minimum rating',
    'from': 'From date',
    'to': 'To date',
    'sort': 'sort order',
    'page': 'page number',
}
# Quick date choices, in the order shown. A weekend is Saturday and Sunday (what "this weekend" means in most of
# India's listings); on a Sunday it is what is left of it.
QUICK_CHOICES = ('Tonight', 'This weekend', 'Next 7 days')


@dataclass
class ListingState:
    q: str = ''
    place: str | None = None
    tag: str | None = None
    min_rating: float = 0
    date_from: str = ''  # an ISO date, or what was typed (window() says what is wrong with it)
    date_to: str = ''
    sort: SortOrder = SortOrder.DATE
    page: int = 1

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> tuple[ListingState, list[str]]:
        """The state a link asks for, and the names of the parameters that could not be read (left out)."""
        state, ignored = cls(), []
        for name in ('q', 'place', 'tag'):
            text = params.get(name, '').strip()
            if not (_is_plain(text) and len(text) <= MAX_TEXT[name]):
                ignored.append(name)
            elif text:
                setattr(state, name, text.lower() if name == 'tag' else text)
        readers = {'min_rating': _rating, 'from': _date, 'to': _date, 'sort': _sort, 'page': _page}
        targets = {'from': 'date_from', 'to': 'date_to'}
        for name, read in readers.items():
            text = params.get(name, '').strip()
            if not text:
                continue
            value = read(text)
            if value is None:
                ignored.append(name)
            else:
                setattr(state, targets.get(name, name), value)
        return state, ignored

    def url(self) -> str:
        """The listing's address: only what differs from the defaults, in a fixed order ('/' for none)."""
        params = {
            'q': self.q.strip(),
            'place': self.place or '',
            'tag': self.tag or '',
            'min_rating': f'{self.min_rating:g}' if self.min_rating else '',
            'from': self.date_from,
            'to': self.date_to,
            'sort': '' if self.sort == SortOrder.DATE else self.sort.value,
            'page': str(self.page) if self.page > 1 else '',
        }
        query = urlencode({k: v for k, v in params.items() if v}, quote_via=quote)
        return f'/?{query}' if query else '/'

    def active_filters(self) -> int:
        """How many of the folded filters are set (the search box and the sort order are always in sight)."""
        return sum(1 for on in (self.place, self.tag, self.min_rating, self.date_from or self.date_to) if on)

    def window(self, tz: dt.tzinfo) -> tuple[dt.datetime | None, dt.datetime | None, dict[str, str]]:
        """The date range as local midnights ('to' includes its whole day), and a message per unreadable date."""
        start = end = None
        errors: dict[str, str] = {}
        try:
            if self.date_from:
                start = dt.datetime.combine(dt.date.fromisoformat(self.date_from), dt.time(), tzinfo=tz)
        except ValueError:
            errors['date_from'] = DATE_HINT
        try:
            if self.date_to:
                day_after = dt.date.fromisoformat(self.date_to) + dt.timedelta(days=1)
                end = dt.datetime.combine(day_after, dt.time(), tzinfo=tz)
        except (ValueError, OverflowError):
            errors['date_to'] = DATE_HINT
        return start, end, errors


def quick_ranges(today: dt.date) -> dict[str, tuple[str, str]]:
    """Each quick choice's From and To dates (ISO), as of `today` in the app's time zone."""
    if today.weekday() == 6:  # Sunday: the rest of this weekend
        saturday = sunday = today
    else:
        saturday = today + dt.timedelta(days=5 - today.weekday())  # today, on a Saturday
        sunday = saturday + dt.timedelta(days=1)
    ranges = {
        'Tonight': (today, today),
        'This weekend': (saturday, sunday),
        'Next 7 days': (today, today + dt.timedelta(days=6)),
    }
    return {label: (start.isoformat(), end.isoformat()) for label, (start, end) in ranges.items()}


def _is_plain(text: str) -> bool:
    return not any(unicodedata.category(ch) in ('Cc', 'Cf') for ch in text)


def _rating(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= 5 else None


def _date(text: str) -> str | None:
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day.isoformat() if 1970 <= day.year <= 2200 else None


def _sort(text: str) -> SortOrder | None:
    return SortOrder(text) if text in {order.value for order in SortOrder} else None


def _page(text: str) -> int | None:
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        return None
    return int(text) if 1 <= int(text) <= MAX_PAGE else None
