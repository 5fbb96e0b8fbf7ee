"""What a show is, beside what sells it: its description, duration, language and age rating (all optional)."""

from __future__ import annotations

from dataclasses import dataclass

from models import AgeRating
from services.validation import Checker

DESCRIPTION_LENGTH = 2000
LANGUAGE_LENGTH = 40
LONGEST_MINUTES = 24 * 60
AGE_RATING_LABELS = {
    AgeRating.ALL.value: 'All ages',
    AgeRating.SEVEN.value: '7+',
    AgeRating.TWELVE.value: '12+',
    AgeRating.SIXTEEN.value: '16+',
    AgeRating.ADULTS.value: '18+',
}
FIELDS = ('description', 'duration_minutes', 'language', 'age_rating')  # the show's columns, as the services name them


@dataclass(frozen=True)
class ShowDetails:
    description: str | None = None  # plain text, line breaks kept
    duration_minutes: int | None = None
    language: str | None = None
    age_rating: AgeRating | None = None

    def columns(self) -> dict[str, object]:
        """As written to the show's row."""
        return {name: getattr(self, name) for name in FIELDS}


def check_details(check: Checker, raw: dict[str, object]) -> ShowDetails:
    """The details as a form or the API gave them (`raw`, keyed by `FIELDS`; blank or None: not given), each
    problem recorded beside its field."""
    description = check.optional_text(
        'description', raw.get('description'), label='Description', max_len=DESCRIPTION_LENGTH, multiline=True
    )
    minutes = check.optional_integer(
        'duration_minutes', raw.get('duration_minutes'), label='Duration in minutes', low=1, high=LONGEST_MINUTES
    )
    language = check.optional_text('language', raw.get('language'), label='Language', max_len=LANGUAGE_LENGTH)
    age = check.choice('age_rating', raw.get('age_rating'), AGE_RATING_LABELS, label='Age rating')
    return ShowDetails(description, minutes, language, AgeRating(age) if age else None)


def age_rating_label(value: str | None) -> str | None:
    """'All ages', '12+', ... for a show's age rating; None when it has none."""
    return AGE_RATING_LABELS.get(value) if value else None
