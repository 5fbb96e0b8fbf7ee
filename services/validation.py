"""Input cleaning shared by every service: each checker returns the clean value or records a message."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email

from services.config import get_settings
from services.errors import Invalid
from services.formats import canonical_zone

_MARKUP = re.compile(r'[<>]')
# Joiners shape Indic scripts and emoji (ZWNJ in Malayalam and Marathi spelling, ZWJ in conjuncts): kept in free text.
_JOINERS = frozenset('\u200c\u200d')
_BLANK_LINES = re.compile(r'\n{3,}')
EMAIL_HINT = 'Enter an email address like name@example.com.'

# Raw input, as the two faces hand it to a service, checked by `Checker` (never trusted: a page's values come
# from the browser). The UI passes what its widgets hold, the API what its pydantic schema let through; the
# types say which shapes a service accepts, the checks below refuse anything else with a message.
FormText = str | None  # an input's text (None: left out); also passwords, tokens and a choice's value
FormNumber = int | float | str | None  # a number as typed into a text input, from ui.number, or a JSON number
FormTags = str | list[str] | None  # 'drama, hindi' as typed, or a list of tags
FormMoment = dt.datetime | tuple[str, str] | None  # an aware datetime (API), or the (date, time) texts of a form


def clean_email(value: object) -> str | None:
    """One address, as email-validator reads it (without DNS: no lookups here), or None.

    A comma, semicolon, space, angle brackets, quotes or a line break could smuggle in a second recipient
    or header, so they are refused, never cleaned away; only spaces around the address are dropped.
    Special-use domains (.test, .invalid, .local, localhost) are refused too: no mail can reach them.
    The local part keeps the case it was typed in; the domain comes back lower-cased.
    """
    if not isinstance(value, str) or any(unicodedata.category(ch).startswith('C') for ch in value):
        return None
    candidate = value.strip()
    if not candidate or len(candidate) > 254:
        return None
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


class Checker:
    """Collects every field's problem so a form can show them all at once, then raises `Invalid`.

    Its checks take any value, whatever a service's signature says: a type is a promise the browser does not
    keep, so a value of the wrong type is refused here with a message like any other wrong value."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def done(self) -> None:
        if self.errors:
            raise Invalid(self.errors)

    def text(self, field: str, value: object, *, label: str, max_len: int = 100, min_len: int = 1) -> str:
        if not isinstance(value, str):
            self.fail(field, f'{label} must be text.')
            return ''
        cleaned = unicodedata.normalize('NFC', value).strip()
        if not cleaned:
            self.fail(field, f'{label} is required.')
        elif len(cleaned) < min_len:
            self.fail(field, f'{label} must be at least {min_len} characters.')
        elif len(cleaned) > max_len:
            self.fail(field, f'{label} must be at most {max_len} characters.')
        elif any(unicodedata.category(ch) in ('Cc', 'Cf') for ch in cleaned):
            self.fail(field, f'{label} must not contain control characters.')
        elif _MARKUP.search(cleaned):
            self.fail(field, f'{label} must not contain < or >.')
        return cleaned

    def optional_text(
        self, field: str, value: object, *, label: str, max_len: int, multiline: bool = False
    ) -> str | None:
        """Free text that may be left out (None or blank: None). With `multiline` its line breaks are kept (any
        kind becomes a newline; tabs become spaces, trailing spaces go, more than one empty line in a row becomes
        one); it is plain text wherever it is shown, and like any text here refuses < and >."""
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail(field, f'{label} must be text.')
            return None
        cleaned = unicodedata.normalize('NFC', value)
        allowed = _JOINERS
        if multiline:
            lines = cleaned.replace('\r\n', '\n').replace('\r', '\n').replace('\t', ' ').split('\n')
            cleaned = _BLANK_LINES.sub('\n\n', '\n'.join(line.rstrip() for line in lines))
            allowed = _JOINERS | {'\n'}
        cleaned = cleaned.strip()
        if not cleaned:
            return None
        if len(cleaned) > max_len:
            self.fail(field, f'{label} must be at most {max_len:,} characters (it has {len(cleaned):,}).')
        elif any(unicodedata.category(ch) in ('Cc', 'Cf') and ch not in allowed for ch in cleaned):
            self.fail(field, f'{label} must not contain control characters.')
        elif _MARKUP.search(cleaned):
            self.fail(field, f'{label} must not contain < or >.')
        return cleaned

    def optional_integer(self, field: str, value: object, *, label: str, low: int, high: int) -> int | None:
        """A whole number that may be left out (None or blank: None)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return self.integer(field, value, label=label, low=low, high=high)

    def choice(self, field: str, value: object, choices: Mapping[str, str], *, label: str) -> str | None:
        """One of `choices` (value → what people read), or None when left out (None or blank)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or value.strip() not in choices:
            self.fail(field, f'{label} must be one of: {", ".join(choices.values())}.')
            return None
        return value.strip()

    def timezone(self, field: str, value: object, *, label: str = 'Time zone') -> str | None:
        """An IANA time-zone name, spelled as the database spells it; None (left out or blank): the app's."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        name = canonical_zone(value) if isinstance(value, str) and len(value) <= 64 else None
        if name is None:
            self.fail(field, f'{label} must be a time-zone name like Asia/Kolkata or Europe/London.')
        return name

    def email(self, field: str, value: object, *, label: str = 'Email') -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(field, f'{label} is required.')
            return ''
        address = clean_email(value)
        if address is None:
            self.fail(field, EMAIL_HINT)
            return ''
        return address

    def integer(self, field: str, value: object, *, label: str, low: int, high: int) -> int:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.fail(field, f'{label} is required.')
            return 0
        number = _to_int(value)
        if number is None:
            self.fail(field, f'{label} must be a whole number.')
            return 0
        if not low <= number <= high:
            self.fail(field, f'{label} must be between {low:,} and {high:,}.')
        return number

    def money_cents(self, field: str, value: object, *, label: str, high_cents: int = 100_000_000) -> int:
        if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
            self.fail(field, f'{label} is required.')
            return 0
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(field, f'{label} must be a number, like 250 or 250.50.')
            return 0
        if not amount.is_finite():
            self.fail(field, f'{label} must be a number, like 250 or 250.50.')
            return 0
        if amount < 0:
            self.fail(field, f'{label} must not be negative.')
            return 0
        if amount != amount.quantize(Decimal('0.01')):
            self.fail(field, f'{label} can have at most two decimals.')
            return 0
        cents = int(amount * 100)
        if cents > high_cents:
            self.fail(field, f'{label} must be at most {high_cents // 100:,}.')
        return cents

    def rating(self, field: str, value: object, *, label: str = 'Rating') -> float:
        if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
            self.fail(field, f'{label} is required.')
            return 0.0
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(field, f'{label} must be a number from 0 to 5.')
            return 0.0
        if not number.is_finite() or not 0 <= number <= 5:
            self.fail(field, f'{label} must be a number from 0 to 5.')
            return 0.0
        if number != number.quantize(Decimal('0.1')):
            self.fail(field, f'{label} can have at most one decimal.')
            return 0.0
        return float(number)

    def tags(self, field: str, value: object, *, max_tags: int = 10, max_len: int = 30) -> list[str]:
        """Tags as a list or a comma-separated string; lower-cased, de-duplicated, order kept."""
        if value is None:
            return []
        items = value.split(',') if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            self.fail(field, 'Tags must be a list of words.')
            return []
        tags: list[str] = []
        for item in items:
            if not isinstance(item, str):
                self.fail(field, 'Each tag must be text.')
                return []
            tag = unicodedata.normalize('NFC', item).strip().lower()
            if not tag:
                if isinstance(value, str):
                    continue
                self.fail(field, 'A tag must not be empty.')
                return []
            if len(tag) > max_len:
                self.fail(field, f'Each tag must be at most {max_len} characters.')
                return []
            if _MARKUP.search(tag) or any(unicodedata.category(ch) in ('Cc', 'Cf') for ch in tag):
                self.fail(field, 'Tags must not contain < or > or control characters.')
                return []
            if tag not in tags:
                tags.append(tag)
        if len(tags) > max_tags:
            self.fail(field, f'At most {max_tags} tags.')
        return tags

    def future_datetime(
        self,
        field: str,
        value: object,
        *,
        now: dt.datetime,
        label: str = 'Date and time',
        tz: dt.tzinfo | None = None,
    ) -> dt.datetime:
        """An aware datetime, or a (date text, time text) pair read in `tz` (default: the app's time zone)."""
        if isinstance(value, tuple) and len(value) == 2:
            try:
                value = local_datetime(*value, tz or get_settings().tz, field=field)
            except Invalid as error:
                self.fail(field, error.message)
                return now
        if not isinstance(value, dt.datetime):
            self.fail(field, f'{label} is required.')
            return now
        if value.tzinfo is None:
            self.fail(field, f'{label} needs a time zone.')
            return now
        if value <= now:
            self.fail(field, f'{label} must be in the future.')
        elif value > now + dt.timedelta(days=5 * 366):
            self.fail(field, f'{label} must be within the next five years.')
        return value


def _to_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and re.fullmatch(r'\s*[+-]?\d{1,12}\s*', value):
        return int(value)
    return None


def local_datetime(date_text: object, time_text: object, tz: dt.tzinfo, *, field: str = 'starts_at') -> dt.datetime:
    """A date ('YYYY-MM-DD') and a time ('HH:MM') read in `tz`, as an aware datetime."""
    if not str(date_text or '').strip():
        raise Invalid({field: 'Date is required.'})
    if not str(time_text or '').strip():
        raise Invalid({field: 'Time is required.'})
    try:
        day = dt.date.fromisoformat(str(date_text).strip())
    except ValueError:
        raise Invalid({field: 'Enter a date like 2026-12-24.'}) from None
    try:
        clock = dt.time.fromisoformat(str(time_text).strip())
    except ValueError:
        raise Invalid({field: 'Enter a time like 19:30.'}) from None
    return dt.datetime.combine(day, clock.replace(second=0, microsecond=0), tzinfo=tz)
