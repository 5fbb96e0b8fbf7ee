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


class ShowStatus(StrEnum):
    SCHEDULED = 'scheduled'
    CANCELLED = 'cancelled'  # the performance is called off: not bookable, every booking cancelled


class AgeRating(StrEnum):
    """Who a show is for: shown on its card and page, chosen by its manager."""

    ALL = 'all'  # all ages
    SEVEN = '7+'
    TWELVE = '12+'
    SIXTEEN = '16+'
    ADULTS = '18+'


class WaitlistStatus(StrEnum):
    """Where a waiting-list entry stands: waiting in line, offered tickets set aside for it, or done."""

    WAITING = 'waiting'
    OFFERED = 'offered'  # tickets set aside until the offer expires
    BOOKED = 'booked'  # the offer was accepted: `booking_id` says which booking
    EXPIRED = 'expired'  # the offer ran out, the show started or was cancelled
    LEFT = 'left'  # its owner left the list (or declined the offer)


class TicketStatus(StrEnum):
    VALID = 'valid'
    CHECKED_IN = 'checked_in'
    CANCELLED = 'cancelled'


class SeatKind(StrEnum):
    STANDARD = 'standard'
    WHEELCHAIR = 'wheelchair'  # a wheelchair space: sold like any seat, marked on the map
    BLOCKED = 'blocked'  # on the map but never sold (a pillar, the sound desk)


class ClaimKind(StrEnum):
    """Why a seat of one show is not free: one row per show and seat, so the database sells it once."""

    HELD = 'held'  # in someone's basket until its hold expires
    SOLD = 'sold'
    BLOCKED = 'blocked'  # kept back for this show only (house seats)


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


class AuditAction(StrEnum):
    """What an audit event records. A price change is a `SHOW_CHANGED` with the price among its changes."""

    BOOKING_CREATED = 'booking_created'
    BOOKING_CANCELLED = 'booking_cancelled'
    SHOW_CREATED = 'show_created'
    SHOW_CHANGED = 'show_changed'
    SHOW_DELETED = 'show_deleted'
    THEATRE_CREATED = 'theatre_created'
    THEATRE_CHANGED = 'theatre_changed'
    THEATRE_DELETED = 'theatre_deleted'
    ACCOUNT_DISABLED = 'account_disabled'
    ACCOUNT_ENABLED = 'account_enabled'
    LOGIN_LIMITS_LIFTED = 'login_limits_lifted'
    EXPORT_REQUESTED = 'export_requested'  # an export holding personal data (a show's bookings, one's own history)
    STAFF_ADDED = 'staff_added'  # a person may now check tickets in at a theatre
    STAFF_REMOVED = 'staff_removed'
    CHECKIN_UNDONE = 'checkin_undone'  # a scan taken back at the door: the ticket is valid again
    SEATMAP_CHANGED = 'seatmap_changed'  # a theatre's seats drawn anew: counts before and after
    HOUSE_SEATS_CHANGED = 'house_seats_changed'  # seats kept back from sale for one show
    SHOW_CANCELLED = 'show_cancelled'  # a performance called off: its bookings cancelled, with the reason
    EMAIL_CHANGED = 'email_changed'  # a new address confirmed by its link (neither address is kept in the event)
    ACCOUNT_DELETED = 'account_deleted'  # personal data removed; bookings, tickets and ratings kept


class AuditObject(StrEnum):
    """The kind of thing an audit event is about."""

    BOOKING = 'booking'
    SHOW = 'show'
    THEATRE = 'theatre'
    USER = 'user'
    EXPORT = 'export'


class OutboxKind(StrEnum):
    """What an outbox email is about: for the admin's queue and the logs (the message itself is stored whole)."""

    PASSWORD_RESET = 'password_reset'  # noqa: S105 - a kind of email, not a password
    BOOKING_CONFIRMED = 'booking_confirmed'  # the e-tickets: composed from the booking when it is sent
    BOOKING_CANCELLED = 'booking_cancelled'
    WAITLIST_OFFER = 'waitlist_offer'  # tickets set aside for a waiting-list entry, with the link to accept
    SHOW_CANCELLED = 'show_cancelled'  # one per person who held bookings of a cancelled performance
    EMAIL_VERIFICATION = 'email_verification'  # the link that proves a new account's address
    EMAIL_CHANGE = 'email_change'  # the link, sent to the new address, that makes it the account's
    EMAIL_CHANGE_NOTICE = 'email_change_notice'  # to the old address: a change was asked for


class EmailLinkPurpose(StrEnum):
    """What a one-time email link proves when it is opened."""

    VERIFY = 'verify'  # the account's address is the person's
    CHANGE = 'change'  # the new address is the person's: it becomes the account's


class OutboxStatus(StrEnum):
    PENDING = 'pending'  # waiting for its first try, or for the next one after a refusal or an outage
    CLAIMED = 'claimed'  # taken by a batch, not yet handed to the server: taken back if its sender died
    SENDING = 'sending'  # handed to the server: if the sender died now it may have gone out, so never sent again
    SENT = 'sent'
    FAILED = 'failed'  # refused on every one of its tries: given up
    EXPIRED = 'expired'  # still undelivered when it stopped being of use (a reset link past its hour): never sent
