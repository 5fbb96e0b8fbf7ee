"""Reserved seating: a theatre's seat map (`maps`, read from `layout`), a show's seats and prices (`seats`),
claims that sell a seat once (`claims`), holds while a buyer pays (`holds`) and sales inside a booking
(`sales`)."""

from models.seat import seat_name
from services.seating.claims import SeatsTaken, release_sold
from services.seating.sales import sell
from services.seating.seats import Chosen, check_choice, is_reserved

__all__ = ['Chosen', 'SeatsTaken', 'check_choice', 'is_reserved', 'release_sold', 'seat_name', 'sell']
