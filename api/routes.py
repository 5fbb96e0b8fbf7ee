"""Mount every API router and map domain errors to status codes: main.py calls `register_api()` once."""

from __future__ import annotations

from nicegui import app

from api import files
from api.deps import domain_error_response
from services.errors import DomainError


def register_api() -> None:
    app.include_router(files.router)
    app.include_router(files.unsubscribe_router)
    app.add_exception_handler(DomainError, domain_error_response)
