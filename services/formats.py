"""How money and times read, the same in pages, emails and charts."""

from __future__ import annotations

import datetime as dt

from services.config import get_settings


def money(cents: int) -> str:
    symbol = get_settings().currency
    return f'{symbol}{cents // 100:,}' if cents % 100 == 0 else f'{symbol}{cents / 100:,.2f}'


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(get_settings().tz)


def when(moment: dt.datetime) -> str:
    """'Sat 12 Dec 2026, 19:30' in the app's time zone."""
    return local(moment).strftime('%a %d %b %Y, %H:%M')
