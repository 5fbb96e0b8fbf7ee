"""The floor of an API request: a bare FastAPI POST route served by uvicorn with the app's settings.

    .venv/bin/python -m bench.bare_route PORT

The route takes the booking's body (validated by a pydantic model, as the app's is) and answers 201 with a JSON
body of about the size of a booking's, without a database, a cache or any middleware. uvicorn runs as NiceGUI runs
it for the app: one process, `ws='wsproto'`, uvloop and httptools when installed, log level warning.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class BookingIn(BaseModel):
    tickets: int | None = None
    seats: list[int] | None = None


@app.post('/api/v1/shows/{show_id}/bookings', status_code=201)
async def book(show_id: int, body: BookingIn) -> dict[str, object]:
    count = body.tickets or 1
    return {
        'id': show_id,
        'reference': 'A1B2C3D4E5F6',
        'show_id': show_id,
        'show_name': 'Hamlet Night 1234',
        'theatre_name': 'Theatre 12',
        'place': 'Mumbai',
        'starts_at': '2026-12-24T14:00:00Z',
        'tickets': count,
        'price_cents': 25050,
        'total_cents': 25050 * count,
        'status': 'confirmed',
        'created_at': '2026-12-05T08:00:00Z',
        'cancelled_at': None,
        'seats': [],
    }


if __name__ == '__main__':
    uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[1]), log_level='warning', ws='wsproto')
