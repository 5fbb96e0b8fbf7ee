"""The audience's rating in the browser: on cards and the show page beside the manager's (as the critics'), and
the stars under a past booking on My bookings, which say the score as soon as it is saved."""

from __future__ import annotations

import datetime as dt

from nicegui import ui
from nicegui.element import Element
from nicegui.testing import User
from sqlalchemy import select, update

from models import Booking, BookingStatus, Role, Show, ShowRating
from models.db import session_scope
from services import ratings
from tests.factories import make_booking, make_show, make_theatre, make_user
from tests.ui.helpers import elements, eventually, open_as

DAY = dt.timedelta(days=1)


def rate(show: Show, *scores: int) -> None:
    for score in scores:
        person = make_user()
        make_booking(person, show, tickets=1)
        with session_scope() as s:
            ratings.rate_show(s, user_id=person.id, show_id=show.id, score=score)


def words(element: Element) -> str:
    """The text of an element's labels, in order, as a person reads it (icons are drawn, not read)."""
    return ' '.join(e.text for e in element.descendants() if isinstance(e, ui.label))


def ratings_of(user: User, marker: str) -> str:
    (holder,) = elements(user, marker=marker)
    (row,) = [e for e in holder.descendants() if 'ratings' in e._markers]
    return words(row)


def catalogue() -> tuple[Show, Show, Show]:
    prithvi = make_theatre(make_user(role=Role.MANAGER), name='Prithvi')
    past = make_show(prithvi, name='Hamlet', starts_in=-DAY, rating=4.0)
    upcoming = make_show(prithvi, name='Hamlet', starts_in=2 * DAY, rating=4.0)
    unrated = make_show(prithvi, name='Tughlaq', starts_in=3 * DAY, rating=3.5)
    return past, upcoming, unrated


async def test_cards_show_the_audience_average_and_count_beside_the_critics_rating(user: User) -> None:
    past, upcoming, unrated = catalogue()
    rate(past, 5, 4, 4)
    await user.open('/')
    await eventually(lambda: elements(user, marker=f'show-{unrated.id}'))
    assert ratings_of(user, f'show-{upcoming.id}') == 'Audience rating 4.3 (3 ratings) Critics 4.0'
    assert ratings_of(user, f'show-{unrated.id}') == 'Critics 3.5'  # nobody rated it: the manager's alone


async def test_the_dashboard_shows_each_show_s_ratings(user: User) -> None:
    prithvi = make_theatre(make_user(username='meera', role=Role.MANAGER), name='Prithvi')
    past = make_show(prithvi, name='Hamlet', starts_in=-DAY, rating=4.0)
    upcoming = make_show(prithvi, name='Hamlet', starts_in=2 * DAY, rating=4.0)
    unrated = make_show(prithvi, name='Tughlaq', starts_in=3 * DAY, rating=3.5)
    rate(past, 5, 4, 4)
    await open_as(user, 'meera', '/manage')
    await eventually(lambda: elements(user, marker=f'manage-show-{unrated.id}'))
    assert ratings_of(user, f'manage-show-{upcoming.id}') == 'Audience rating 4.3 (3 ratings) Critics 4.0'
    assert ratings_of(user, f'manage-show-{unrated.id}') == 'Critics 3.5'


async def test_one_rating_is_said_in_the_singular(user: User) -> None:
    past, upcoming, _ = catalogue()
    rate(past, 2)
    await user.open('/')
    await eventually(lambda: elements(user, marker=f'show-{upcoming.id}'))
    assert ratings_of(user, f'show-{upcoming.id}') == 'Audience rating 2.0 (1 rating) Critics 4.0'


async def test_the_show_page_hero_shows_both_ratings(user: User) -> None:
    past, upcoming, unrated = catalogue()
    rate(past, 3, 4)
    await user.open(f'/shows/{upcoming.id}')
    await user.should_see(marker='show-hero')
    assert ratings_of(user, 'show-hero') == 'Audience rating 3.5 (2 ratings) Critics 4.0'
    await user.open(f'/shows/{past.id}')  # the rated performance itself
    await user.should_see(marker='show-hero')
    assert ratings_of(user, 'show-hero') == 'Audience rating 3.5 (2 ratings) Critics 4.0'
    await user.open(f'/shows/{unrated.id}')
    await user.should_see(marker='show-hero')
    assert ratings_of(user, 'show-hero') == 'Critics 3.5'


def stored_scores() -> list[int]:
    with session_scope() as s:
        return list(s.scalars(select(ShowRating.score)))


async def test_the_stars_confirm_the_score_at_once_and_keep_it(user: User) -> None:
    past, upcoming, _ = catalogue()
    make_booking(make_user(username='asha'), past, tickets=2)
    await open_as(user, 'asha', '/bookings')
    (state,) = elements(user, marker='rating-state')
    (stars,) = elements(user, marker='rating-stars')
    assert isinstance(state, ui.label) and isinstance(stars, ui.rating)
    assert state.text == 'How was it?'

    with user.client:
        stars.value = 4
    await eventually(lambda: state.text == 'You rated it 4 of 5', message=lambda: state.text)
    assert stars.value == 4 and stored_scores() == [4]
    await user.should_see('Thanks: you rated Hamlet 4 of 5.')

    with user.client:
        stars.value = 2  # changing one's mind
    await eventually(lambda: state.text == 'You rated it 2 of 5', message=lambda: state.text)
    assert stars.value == 2 and stored_scores() == [2]

    await user.open('/bookings')  # and after a reload
    (state,) = elements(user, marker='rating-state')
    (stars,) = elements(user, marker='rating-stars')
    assert (state.text, stars.value) == ('You rated it 2 of 5', 2)  # type: ignore[attr-defined]
    await user.open(f'/shows/{upcoming.id}')
    await user.should_see(marker='show-hero')
    assert ratings_of(user, 'show-hero') == 'Audience rating 2.0 (1 rating) Critics 4.0'


async def test_a_refused_score_puts_the_stars_back(user: User) -> None:
    past, _, _ = catalogue()
    made = make_booking(make_user(username='asha'), past, tickets=2)
    await open_as(user, 'asha', '/bookings')
    (state,) = elements(user, marker='rating-state')
    (stars,) = elements(user, marker='rating-stars')
    with session_scope() as s:  # the booking is gone behind the page's back
        s.execute(update(Booking).where(Booking.id == made.id).values(status=BookingStatus.CANCELLED))

    with user.client:
        stars.value = 5
    await user.should_see('Only people who booked this show can rate it.')
    await eventually(lambda: stars.value is None, message=lambda: f'stars at {stars.value}')
    assert state.text == 'How was it?' and stored_scores() == []  # type: ignore[attr-defined]
