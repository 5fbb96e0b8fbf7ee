"""E-tickets: what a booking's tickets show (`document`), their QR codes (`qr`), the PDF (`pdf`), the calendar
event (`ics`). Pure functions of a `TicketDocument`, so the page, the API and the emails print the same thing."""

from services.etickets import ics, pdf, qr
from services.etickets.document import TicketDocument, TicketLine, of_booking, ticket_document

__all__ = ['TicketDocument', 'TicketLine', 'ics', 'of_booking', 'pdf', 'qr', 'ticket_document']
