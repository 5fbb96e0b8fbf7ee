"""How counts and shares read in words, the same in pages, emails and exports: '1 ticket', '1,234 tickets', '<1%'.

English only, and only for the app's own nouns, so a few lines do it: a library that inflects any English noun
(inflect) or formats for every locale (babel) would be a dependency for what `plural` and `percent` say here.
"""

from __future__ import annotations

import math
from fractions import Fraction

_SIBILANTS = ('s', 'x', 'z', 'ch', 'sh')


def noun(count: int, one: str, many: str | None = None) -> str:
    """The noun that goes with `count`: 'ticket' for 1 (and -1), 'tickets' for 0, 2 and more.

    The plural is `many` when given ('person', 'people'); otherwise the regular English one: 'show' → 'shows',
    'entry' → 'entries', 'box' → 'boxes'."""
    if abs(count) == 1:
        return one
    if many is not None:
        return many
    if one.endswith('y') and len(one) > 1 and one[-2] not in 'aeiou':
        return one[:-1] + 'ies'
    if one.endswith(_SIBILANTS):
        return one + 'es'
    return one + 's'


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 ticket', '0 tickets', '1,234 tickets'; plural(3, 'person', 'people') → '3 people'."""
    return f'{count:,} {noun(count, one, many)}'


def _half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def percent(part: float, whole: float) -> str:
    """`part` of `whole` as a percentage that never misleads at the edges.

    Something is never '0%' and less than everything is never '100%': 1 of 200 is '<1%', 199 of 200 is '>99%'
    (and a little over everything is '>100%'). Below 10% one decimal shows where it changes the picture ('2.5%',
    but '3%', not '3.0%'); elsewhere whole percents. Halves round up. A share of nothing (`whole` 0) is '—'.
    """
    if part < 0 or whole < 0:
        raise ValueError(f'a percentage of {part} out of {whole}: both must be 0 or more')
    if whole == 0:
        return '—'
    share = Fraction(part) / Fraction(whole)
    if share == 0 or share == 1:
        return f'{int(share * 100)}%'
    if share < Fraction(1, 100):
        return '<1%'
    if Fraction(99, 100) < share < 1:
        return '>99%'
    if 1 < share < Fraction(101, 100):
        return '>100%'
    if share < Fraction(1, 10):
        tenths = _half_up(share * 1000)
        return f'{tenths // 10}%' if tenths % 10 == 0 else f'{tenths // 10}.{tenths % 10}%'
    return f'{_half_up(share * 100):,}%'


ROLE_NAMES = {'user': 'Audience member', 'manager': 'Theatre manager', 'admin': 'Admin'}


def role_name(role: str) -> str:
    """What a role is called on a page: 'Audience member', never the stored 'user'."""
    return ROLE_NAMES.get(str(role), str(role).capitalize())
