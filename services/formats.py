"""How money and times read, the same in pages, emails and charts."""

from __future__ import annotations

import datetime as dt
import logging
import re
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from services.config import get_settings

log = logging.getLogger(__name__)
# Names the time-zone database carries that are no place's zone: the machine's own setting and a placeholder.
_NOT_A_PLACE = frozenset({'localtime', 'Factory', 'posixrules', 'posix/Factory'})
_NUMERIC_ABBREVIATION = re.compile(r'([+-])(\d\d)(\d\d)?')


def money(cents: int) -> str:
    symbol = get_settings().currency
    return f'{symbol}{cents // 100:,}' if cents % 100 == 0 else f'{symbol}{cents / 100:,.2f}'


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA time-zone name a theatre may be in, sorted (read from the system's database once)."""
    return tuple(sorted(name for name in available_timezones() if name not in _NOT_A_PLACE))


@lru_cache(maxsize=1)
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in zone_names()}


def canonical_zone(name: str) -> str | None:
    """The IANA name as the database spells it ('asia/kolkata' → 'Asia/Kolkata'), or None if there is none."""
    return _zones_by_folded_name().get(name.strip().casefold())


def theatre_tz(name: str | None) -> ZoneInfo:
    """A theatre's time zone: its own IANA name, or the app's when it has none (or one this machine lacks)."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            log.warning("Time zone %r is not in this machine's database; using the app's", name)
    return get_settings().tz


def local(moment: dt.datetime, tz: dt.tzinfo | None = None) -> dt.datetime:
    """The moment in `tz` (default: the app's time zone)."""
    return moment.astimezone(tz or get_settings().tz)


def zone_abbreviation(moment: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """'IST', 'GMT', 'EDT'; a zone the database gives no letters ('+04') reads 'GMT+4', '+0545' 'GMT+5:45'."""
    name = local(moment, tz).strftime('%Z')
    numeric = _NUMERIC_ABBREVIATION.fullmatch(name)
    if numeric is None:
        return name
    sign, hours, minutes = numeric.groups()
    if int(hours) == 0 and not int(minutes or 0):
        return 'GMT'
    return f'GMT{sign}{int(hours)}' + (f':{minutes}' if minutes and minutes != '00' else '')


def when(moment: dt.datetime, tz: dt.tzinfo | None = None) -> str:
    """'Sat 12 Dec 2026, 19:30 IST': in `tz` (a theatre's, from `theatre_tz`), else in the app's time zone."""
    return f'{local(moment, tz).strftime("%a %d %b %Y, %H:%M")} {zone_abbreviation(moment, tz)}'


def duration(minutes: int) -> str:
    """'45 min', '2 h', '2 h 30 min'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f'{rest} min'
    return f'{hours} h' + (f' {rest} min' if rest else '')
