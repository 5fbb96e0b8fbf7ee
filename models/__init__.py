"""The data model: import every mapped class here so that metadata is complete."""

from models.booking import BOOKING_STATUSES, Booking
from models.db import Base
from models.export_job import EXPORT_FORMATS, EXPORT_KINDS, ExportJob
from models.mail import MAIL_KINDS, JobRun, MailDelivery
from models.rating import ShowRating
from models.session import LoginSession, PasswordReset, SessionKind
from models.show import Show, ShowTag
from models.theatre import Theatre
from models.ticket import Ticket, TicketStatus
from models.user import ROLES, User

__all__ = [
    'BOOKING_STATUSES',
    'EXPORT_FORMATS',
    'EXPORT_KINDS',
    'MAIL_KINDS',
    'ROLES',
    'Base',
    'Booking',
    'ExportJob',
    'JobRun',
    'LoginSession',
    'MailDelivery',
    'PasswordReset',
    'SessionKind',
    'Show',
    'ShowRating',
    'ShowTag',
    'Theatre',
    'Ticket',
    'TicketStatus',
    'User',
]
