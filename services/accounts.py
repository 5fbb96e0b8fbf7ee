"""One's own account: the name it shows, and deleting it.

Deleting keeps what the theatres' books need — bookings, tickets, ratings, audit events — and removes the person:
name, username and address are replaced, the password can no longer be used, every session ends, every email still
waiting for them is dropped, their place in every waiting list is given up (so an offer goes to the next person at
once) and they leave every door staff. All of it in the caller's one transaction, so it happens whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from models import (
    AuditAction,
    EmailLink,
    OutboxMessage,
    OutboxStatus,
    PasswordReset,
    Role,
    Theatre,
    TheatreStaff,
    User,
    WaitlistEntry,
    WaitlistStatus,
)
from models.db import utcnow
from services import audit, email_links, sessions, waitlist
from services.auth import DELETED_PREFIX, load_actor
from services.email_links import AccountView, pending_email
from services.errors import Conflict, Invalid
from services.passwords import hash_password, verify_password
from services.throttle import throttle
from services.validation import Checker, FormText
from services.words import plural

DELETED_NAME = 'Deleted user'
DELETED_DOMAIN = 'deleted.invalid'  # .invalid never resolves (RFC 2606): nothing can be delivered there
DELETE_TRIES = 5  # deletions tried (right or wrong password) per person in 15 minutes
WRONG_PASSWORD = 'This is not your current password.'  # noqa: S105 - a message, not a password


def rename(session: Session, *, user_id: int, name: FormText) -> AccountView:
    """Change the name the account shows, checked as at signup."""
    user = load_actor(session, user_id)
    check = Checker()
    clean = check.text('name', name, label='Full name')
    check.done()
    user.name = clean
    session.flush()
    return AccountView.of(user, pending_email(session, user.id))


def update_account(
    session: Session,
    *,
    user_id: int,
    name: FormText = None,
    email: FormText = None,
    current_password: FormText = None,
) -> AccountView:
    """The API's edit of one's details: the name at once; a new address (with the current password) waits for its
    link. Both in the caller's transaction: a refused address leaves the name as it was too."""
    if name is None and email is None:
        raise Invalid({'name': 'Give a new name, a new email address, or both.'})
    if email is not None and current_password is None:
        raise Invalid({'current_password': 'Give your current password to change your email address.'})
    view = rename(session, user_id=user_id, name=name) if name is not None else None
    if email is not None:
        view = email_links.request_email_change(
            session, user_id=user_id, email=email, current_password=current_password
        )
    assert view is not None
    return view


def deleted_email(user_id: int) -> str:
    return f'{DELETED_PREFIX}{user_id}@{DELETED_DOMAIN}'


def delete_account(
    session: Session, *, user_id: int, current_password: FormText, now: dt.datetime | None = None
) -> None:
    """Delete one's own account (see the module's description). Refused while the person owns theatres (their
    bookings and staff would be orphaned), and for the last active admin."""
    now = now or utcnow()
    user = load_actor(session, user_id)
    throttle().count(  # counted before the password check, so guesses past the limit learn nothing
        f'delete:{user.id}',
        limit=DELETE_TRIES,
        window_seconds=900,
        message='Too many tries. Try again in {wait}.',
    )
    if not isinstance(current_password, str) or not verify_password(current_password[:128], user.password_hash):
        raise Invalid({'current_password': WRONG_PASSWORD})
    owned = session.scalar(select(func.count()).select_from(Theatre).where(Theatre.owner_id == user.id)) or 0
    if owned:
        raise Conflict(
            f'You still own {plural(owned, "theatre")}: delete them or hand them over first, then delete your account.'
        )
    if user.role == Role.ADMIN and not _other_admins(session, user.id):
        raise Conflict('You are the last active admin: make another admin first, then delete your account.')
    unusable = hash_password(secrets.token_urlsafe(32))  # before the first write: no lock is held while bcrypt runs
    _leave_waiting_lists(session, user.id, now)
    session.execute(delete(TheatreStaff).where(TheatreStaff.user_id == user.id))
    for table in (EmailLink, PasswordReset):
        session.execute(
            update(table)
            .where(table.user_id == user.id, table.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
    address = deleted_email(user.id)
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.user_id == user.id,
            OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.CLAIMED)),
        )
        .values(status=OutboxStatus.EXPIRED, message=None, error='the account was deleted')
        .execution_options(synchronize_session=False)
    )
    session.execute(  # the address leaves the queue's history too
        update(OutboxMessage)
        .where(OutboxMessage.user_id == user.id)
        .values(to_address=address)
        .execution_options(synchronize_session=False)
    )
    user.name = DELETED_NAME
    user.username = f'{DELETED_PREFIX}{user.id}'
    user.email = address
    user.password_hash = unusable
    user.is_active = False
    user.wants_reminders = False
    user.wants_reports = False
    user.email_verified_at = None
    user.last_seen_at = None
    user.deleted_at = now
    session.flush()
    audit.record(session, actor_id=user.id, action=AuditAction.ACCOUNT_DELETED, target=user, changes={}, at=now)
    sessions.revoke_user(session, user_id=user.id)


def _other_admins(session: Session, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.is_active.is_(True), User.deleted_at.is_(None), User.id != user_id)
        )
        or 0
    )


def _leave_waiting_lists(session: Session, user_id: int, now: dt.datetime) -> None:
    """Leave every live entry as its owner would: an open offer's tickets go on to the next in line."""
    live = session.scalars(
        select(WaitlistEntry.id)
        .where(
            WaitlistEntry.user_id == user_id,
            WaitlistEntry.status.in_((WaitlistStatus.WAITING, WaitlistStatus.OFFERED)),
        )
        .order_by(WaitlistEntry.show_id)  # shows locked in one order
    ).all()
    for entry_id in live:
        try:
            waitlist.leave(session, entry_id=entry_id, user_id=user_id, now=now)
        except Conflict:
            continue  # it ended a moment ago (its offer ran out): nothing to leave


__all__ = ['DELETED_NAME', 'delete_account', 'deleted_email', 'rename', 'update_account']
