"""A booking as a calendar event (.ics): the show's time, the theatre, the reference, for the buyer's calendar."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from models.db import utcnow
from services.etickets.document import TicketDocument
from services.formats import when
from services.words import plural

# A show whose manager gave no length blocks an evening's three hours.
DEFAULT_DURATION = dt.timedelta(hours=3)


def event(document: TicketDocument, *, now: dt.datetime | None = None) -> bytes:
    """A one-event calendar (METHOD:PUBLISH) whose UID is the booking reference's, so a re-import updates it."""
    tickets = len(document.tickets)
    calendar = Calendar()
    calendar.add('prodid', '-//TicketShow//E-tickets//EN')
    calendar.add('version', '2.0')
    calendar.add('method', 'PUBLISH')
    item = Event()
    item.add('uid', f'booking-{document.reference}@ticketshow')
    item.add('dtstamp', now or utcnow())
    # In UTC ('Z'): every calendar places the absolute moment right without a VTIMEZONE block; the description says
    # the time as the theatre reads it.
    starts_at = document.starts_at.astimezone(dt.UTC)
    item.add('dtstart', starts_at)
    length = dt.timedelta(minutes=document.duration_minutes) if document.duration_minutes else DEFAULT_DURATION
    item.add('dtend', starts_at + length)
    item.add('summary', document.show_name)
    item.add('location', ', '.join(filter(None, (document.theatre_name, document.address, document.place))))
    item.add(
        'description',
        f'{when(document.starts_at, document.tz)}. '
        f'TicketShow booking {document.reference}: {plural(tickets, "ticket")}'
        + (f' (seats {document.seats})' if document.seats else '')
        + ". Show each ticket's QR code at the door.",
    )
    item.add('status', 'CANCELLED' if document.cancelled else 'CONFIRMED')
    item.add('transp', 'OPAQUE')
    calendar.add_component(item)
    return calendar.to_ical()
