"""Domain errors: every message is meant for the person who caused it."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the errors the services raise; `field` names the input at fault, when there is one, and `extra`
    holds plain data a program may act on (the ids of the seats that were taken), sent beside the message.
    `reason` is a short code for the metrics (`sold_out`), where the kind of error alone does not say it."""

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        extra: dict[str, object] | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.extra = extra or {}
        self.reason = reason


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it does."""


class NotAllowed(DomainError):
    """Logged in, but this role or this person may not do it."""


class Unauthenticated(DomainError):
    """No valid login: wrong credentials, or an expired or revoked session."""


class Conflict(DomainError):
    """The request is valid but the current state refuses it (sold out, already started, taken)."""


class Invalid(DomainError):
    """Bad input. `errors` maps each bad field to its message, so a form can show them beside the fields."""

    def __init__(self, errors: dict[str, str], *, reason: str | None = None) -> None:
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field, reason=reason)
        self.errors = dict(errors)


class TooManyAttempts(DomainError):
    """Too many failed logins; try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Busy(DomainError):
    """The database could not be had in time (another writer holds a lock it needs); the transaction was rolled
    back, so nothing changed. Try again after `retry_after` seconds."""

    MESSAGE = 'TicketShow is busy right now; nothing was changed. Please try again in a moment.'

    def __init__(self, message: str = MESSAGE, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
