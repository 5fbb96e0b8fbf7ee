"""Waiting lists: people who want tickets of a sold-out show, offered freed tickets in the order they joined.

- `entries` joining, leaving, the person's and the manager's lists, places in line
- `offers`  offering freed tickets (fair order, set aside until the offer ends), expiring, accepting, declining
- `figures` how many joined, were offered and booked, for the summary
"""

from services.waitlist.entries import EntryView, get_entry, join, live_counts, my_entries, my_entry, show_entries
from services.waitlist.offers import accept, expire_offers, leave, offer_expiry, offer_freed, shows_to_offer

__all__ = [
    'EntryView',
    'accept',
    'expire_offers',
    'get_entry',
    'join',
    'leave',
    'live_counts',
    'my_entries',
    'my_entry',
    'offer_expiry',
    'offer_freed',
    'show_entries',
    'shows_to_offer',
]
