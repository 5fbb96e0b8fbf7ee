"""Every closed set of values the database stores, in one place: each is a `StrEnum` whose column carries a
CHECK constraint built from the same members (see `models.db.enum_column`), so code and schema cannot drift."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    USER = 'user'  # an audience member
    MANAGER = 'manager'  # runs their own theatres
    ADMIN = 'admin'


class BookingStatus(StrEnum):
    CONFIRMED = 'confirmed'
    CANCELLED = 'cancelled'


class TicketStatus(StrEnum):
    VALID = 'valid'
    CHECKED_IN = 'checked_in'
    CANCELLED = 'cancelled'


class SessionKind(StrEnum):
    API = 'api'  # a bearer token held by an API client
    BROWSER = 'browser'  # bound to one browser's signed cookie; useless as a bearer token


class ExportKind(StrEnum):
    THEATRE = 'theatre'
    SHOW = 'show'
    BOOKINGS = 'bookings'


class ExportFormat(StrEnum):
    CSV = 'csv'
    XLSX = 'xlsx'


class ExportStatus(StrEnum):
    PENDING = 'pending'
    RUNNING = 'running'
    DONE = 'done'
    FAILED = 'failed'


class MailKind(StrEnum):
    REMINDER = 'reminder'
    REPORT = 'report'


class DeliveryStatus(StrEnum):
    CLAIMED = 'claimed'  # being sent, or the sender died mid-send: never retried, it may have gone out
    SENT = 'sent'
    FAILED = 'failed'  # known not delivered: retried on a later run while attempts < the limit


class RunStatus(StrEnum):
    RUNNING = 'running'
    DONE = 'done'
    FAILED = 'failed'
