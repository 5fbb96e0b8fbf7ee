"""Unsubscribe links: a signed token per person and kind of email, so one click stops it without a login.

The mail jobs put the link in every reminder and report (and in its List-Unsubscribe header);
`services.preferences` reads the token back when someone follows it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable

from services.config import Settings
from services.validation import FormText

UNSUBSCRIBE_KINDS = ('reminders', 'reports')


def unsubscribe_token(secret: str, *, user_id: int, kind: str) -> str:
    """A signed, non-expiring token for one person's one kind of email: no login needed to use it."""
    payload = f'{user_id}:{kind}'
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload.encode() + b'.' + signature).decode().rstrip('=')


def read_unsubscribe_token(secret: str, token: FormText) -> tuple[int, str] | None:
    """(user id, kind) of a genuine token; None for anything forged, truncated or malformed."""
    if not isinstance(token, str) or not 8 <= len(token) <= 200:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + '=' * (-len(token) % 4))
        payload, _, signature = raw.partition(b'.')
        user_text, _, kind = payload.decode().partition(':')
        user_id = int(user_text)
    except (ValueError, UnicodeDecodeError):
        return None
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).digest()[:16]
    if not hmac.compare_digest(signature, expected) or kind not in UNSUBSCRIBE_KINDS:
        return None
    return user_id, kind


def unsubscribe_url(settings: Settings, user_id: int, kind: str) -> str:
    """The page that stops this person's `kind` of email (a POST to it is the one-click unsubscribe)."""
    return f'{settings.base_url}/unsubscribe?t={unsubscribe_token(settings.mail_secret(), user_id=user_id, kind=kind)}'


def unsubscribe_links(settings: Settings, kind: str) -> Callable[[int], str]:
    """`unsubscribe_url` for one kind of email across a whole run: the secret is read once, not once per email."""
    prefix = f'{settings.base_url}/unsubscribe?t='
    secret = settings.mail_secret()
    return lambda user_id: prefix + unsubscribe_token(secret, user_id=user_id, kind=kind)
