"""Tokens of one-time links sent by email (password reset, address verification and change): 32 random bytes in
the link, only their SHA-256 in the database, so a copy of the database holds no usable link."""

from __future__ import annotations

import secrets

from services.sessions import digest
from services.validation import FormText

MAX_TOKEN_LENGTH = 100  # a made-up token longer than any we hand out is refused before any lookup


def new_token() -> tuple[str, str]:
    """A fresh token for a link, and the digest to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, digest(token)


def well_formed(token: FormText) -> bool:
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_LENGTH


__all__ = ['MAX_TOKEN_LENGTH', 'digest', 'new_token', 'well_formed']
