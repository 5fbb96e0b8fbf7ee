"""Which emails a person gets: chosen on the account page, or ended from a link in any email without logging in."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import User
from services.auth import load_actor
from services.config import get_settings
from services.errors import Invalid, NotFound
from services.mail.links import read_unsubscribe_token
from services.validation import FormText

KIND_NAMES = {'reminders': 'daily reminders', 'reports': 'monthly reports'}


@dataclass(frozen=True)
class MailPreferences:
    reminders: bool
    reports: bool


def mail_preferences(session: Session, *, user_id: int) -> MailPreferences:
    user = load_actor(session, user_id)
    return MailPreferences(reminders=user.wants_reminders, reports=user.wants_reports)


def set_mail_preferences(session: Session, *, user_id: int, reminders: bool, reports: bool) -> MailPreferences:
    if not isinstance(reminders, bool) or not isinstance(reports, bool):  # typed, but sent by a browser
        raise Invalid({'reminders': 'Choose on or off.'})
    user = load_actor(session, user_id)
    user.wants_reminders, user.wants_reports = reminders, reports
    session.flush()
    return MailPreferences(reminders=reminders, reports=reports)


@dataclass(frozen=True)
class Unsubscribed:
    kind: str
    kind_name: str
    email: str


def unsubscribe(session: Session, *, token: FormText, subscribe: bool = False) -> Unsubscribed:
    """End (or, with `subscribe`, restore) one kind of email for the person a signed link names; at once."""
    found = read_unsubscribe_token(get_settings().mail_secret(), token)
    user = session.get(User, found[0]) if found else None
    if found is None or user is None:
        raise NotFound('This unsubscribe link is not valid. You can choose your emails on your account page.')
    kind = found[1]
    setattr(user, f'wants_{kind}', subscribe)
    session.flush()
    return Unsubscribed(kind=kind, kind_name=KIND_NAMES[kind], email=user.email)
