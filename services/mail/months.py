"""The periods the mail jobs count in: a local day for the reminder, a month (YYYY-MM) for the reports.

Days and months are the app's time zone's: a booking at 23:30 on 31 October in Kolkata belongs to
October even though it is 1 November in UTC. The jobs, the report queries, the admin's "run now",
the CLI and the scheduler's "what is due" all compute periods here, so they always agree.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from services.validation import FormText


def reminder_period(now: dt.datetime, tz: ZoneInfo) -> str:
    """One reminder a person per local day: the day's date, YYYY-MM-DD."""
    return now.astimezone(tz).date().isoformat()


def parse_month(text: FormText) -> tuple[int, int]:
    """'2026-10' → (2026, 10); ValueError with a readable message otherwise."""
    if not isinstance(text, str) or len(text) != 7 or text[4] != '-':
        raise ValueError(f'{text!r} is not a month: use YYYY-MM, e.g. 2026-10')
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12 or year < 2000:
        raise ValueError(f'{text!r} is not a month: use YYYY-MM, e.g. 2026-10')
    return year, month


def month_bounds(month: str, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The first moment of the month and of the next one, in UTC, for the month as the time zone sees it."""
    year, number = parse_month(month)
    start = dt.datetime(year, number, 1, tzinfo=tz)
    end = dt.datetime(year + number // 12, number % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def month_days(month: str) -> list[dt.date]:
    """Every date of the month, in order."""
    year, number = parse_month(month)
    first = dt.date(year, number, 1)
    return [first + dt.timedelta(days=i) for i in range(31) if (first + dt.timedelta(days=i)).month == number]


def previous_month(now: dt.datetime, tz: ZoneInfo) -> str:
    """The month before the local month of `now`: the one the reports of `now` are about."""
    first = now.astimezone(tz).date().replace(day=1)
    return (first - dt.timedelta(days=1)).strftime('%Y-%m')


def month_name(month: str) -> str:
    """'2026-10' → 'October 2026'."""
    year, number = parse_month(month)
    return f'{calendar.month_name[number]} {year}'
