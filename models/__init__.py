"""The data model: import every mapped class here so that metadata is complete."""

from models.audit import AuditEvent
from models.booking import Booking
from models.db import Base
from models.enums import (
    AuditAction,
    AuditObject,
    BookingStatus,
    DeliveryStatus,
    ExportFormat,
    ExportKind,
    ExportStatus,
    MailKind,
    OutboxKind,
    OutboxStatus,
    Role,
    RunStatus,
    SessionKind,
    TicketStatus,
)
from models.export_job import ExportJob
from models.mail import JobRun, MailDelivery, OutboxMessage
from models.rating import ShowRating
from models.session import LoginSession, PasswordReset
from models.show import Show, ShowTag
from models.staff import TheatreStaff
from models.theatre import Theatre
from models.ticket import Ticket
from models.user import User

__all__ = [
    'AuditAction',
    'AuditEvent',
    'AuditObject',
    'Base',
    'Booking',
    'BookingStatus',
    'DeliveryStatus',
    'ExportFormat',
    'ExportJob',
    'ExportKind',
    'ExportStatus',
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
    'SessionKind',
    'Show',
    'ShowRating',
    'ShowTag',
    'Theatre',
    'TheatreStaff',
    'Ticket',
    'TicketStatus',
    'User',
]
