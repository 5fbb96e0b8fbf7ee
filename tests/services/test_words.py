"""Counts and shares in words: plurals and percentages that never mislead at the edges."""

import pytest

from services.words import noun, percent, plural


@pytest.mark.parametrize(
    ('count', 'text'),
    [(0, '0 tickets'), (1, '1 ticket'), (2, '2 tickets'), (1000, '1,000 tickets'), (1234567, '1,234,567 tickets')],
)
def test_plural_of_a_regular_noun(count, text):
    assert plural(count, 'ticket') == text


@pytest.mark.parametrize(
    ('count', 'text'),
    [(0, '0 people'), (1, '1 person'), (2, '2 people'), (1000, '1,000 people')],
)
def test_plural_of_an_irregular_noun(count, text):
    assert plural(count, 'person', 'people') == text


@pytest.mark.parametrize(
    ('one', 'many'),
    [('show', 'shows'), ('entry', 'entries'), ('day', 'days'), ('box', 'boxes'), ('match', 'matches')],
)
def test_regular_english_plurals(one, many):
    assert noun(2, one) == many
    assert noun(1, one) == one
    assert noun(-1, one) == one
    assert noun(0, one) == many


@pytest.mark.parametrize(
    ('part', 'whole', 'text'),
    [
        (0, 200, '0%'),
        (1, 200, '<1%'),  # 0.5%: something, never '0%'
        (1, 10_000, '<1%'),
        (2, 200, '1%'),
        (3, 200, '1.5%'),  # one decimal below 10%, where it matters
        (5, 200, '2.5%'),
        (6, 200, '3%'),  # not '3.0%'
        (1, 3, '33%'),
        (2, 3, '67%'),
        (1, 2, '50%'),
        (19, 200, '9.5%'),
        (199, 2000, '10%'),  # 9.95% rounds up to a whole 10
        (20, 200, '10%'),
        (197, 200, '99%'),  # 98.5% rounds up
        (198, 200, '99%'),
        (199, 200, '>99%'),  # 99.5%: less than everything, never '100%'
        (9_999, 10_000, '>99%'),
        (200, 200, '100%'),
        (201, 200, '>100%'),  # 100.5%: over everything, not '101%' nor '100%'
        (203, 200, '102%'),  # 101.5% rounds up
        (1001, 1000, '>100%'),  # a little over everything is not '100%'
        (300, 200, '150%'),
        (25_000, 100, '25,000%'),
        (0.25, 1, '25%'),  # a share given as a fraction
        (0, 0, '—'),
    ],
)
def test_percent(part, whole, text):
    assert percent(part, whole) == text


@pytest.mark.parametrize(('part', 'whole'), [(-1, 10), (1, -10)])
def test_a_negative_percentage_is_refused(part, whole):
    with pytest.raises(ValueError, match='must be 0 or more'):
        percent(part, whole)
