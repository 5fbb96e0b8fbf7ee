"""The data model: import every mapped class here so that metadata is complete."""

from models.audit import AuditEvent
from models.booking import Booking
from models.db import Base
from models.email_link import EmailLink
from models.enums import (
    AgeRating,
    AuditAction,
    AuditObject,
    BookingStatus,
    ClaimKind,
    DeliveryStatus,
    EmailLinkPurpose,
    ExportFormat,
    ExportKind,
    ExportStatus,
    MailKind,
    OutboxKind,
    OutboxStatus,
    Role,
    RunStatus,
    SeatKind,
    SessionKind,
    ShowStatus,
    TicketStatus,
    WaitlistStatus,
)
from models.export_job import ExportJob
from models.hold import SeatClaim, SeatHold, SectionPrice, ShowSeating
from models.instance import Instance
from models.mail import JobRun, MailDelivery, OutboxMessage
from models.rating import ShowRating
from models.seat import Seat, SeatMap
from models.session import LoginSession, PasswordReset
from models.show import Show, ShowTag
from models.staff import TheatreStaff
from models.theatre import Theatre
from models.ticket import Ticket
from models.user import User
from models.waitlist import WaitlistEntry

__all__ = [
    'AgeRating',
    'AuditAction',
    'AuditEvent',
    'AuditObject',
    'Base',
    'Booking',
    'BookingStatus',
    'ClaimKind',
    'DeliveryStatus',
    'EmailLink',
    'EmailLinkPurpose',
    'ExportFormat',
    'ExportJob',
    'ExportKind',
    'ExportStatus',
    'Instance',
    'JobRun',
    'LoginSession',
    'MailDelivery',
    'MailKind',
    'OutboxKind',
    'OutboxMessage',
    'OutboxStatus',
    'PasswordReset',
    'Role',
    'RunStatus',
    'Seat',
    'SeatClaim',
    'SeatHold',
    'SeatKind',
    'SeatMap',
    'SectionPrice',
    'SessionKind',
    'Show',
    'ShowRating',
    'ShowSeating',
    'ShowStatus',
    'ShowTag',
    'Theatre',
    'TheatreStaff',
    'Ticket',
    'TicketStatus',
    'User',
    'WaitlistEntry',
    'WaitlistStatus',
]
