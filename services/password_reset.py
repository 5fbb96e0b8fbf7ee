"""Forgotten passwords: a one-time link by email, valid for an hour, that ends every session when used.

Asking for a link says nothing about whether the address is known, not even by how long the answer takes:
the request itself only checks the address's form and counts the throttles, the same work for any address.
The lookup and the links happen after the request's commit, on a thread of their own, in one transaction with
their emails: each link's email is queued in the outbox (`services.mail.outbox`), which the elected scheduler
delivers within seconds of that commit, once, and not at all once the link has expired.

Only the SHA-256 of a link's token is kept: the token itself is in its queued email alone, whose body the outbox
erases once it is sent, given up or expired. A link is used with one conditional UPDATE (unused and not expired),
so of two confirmations at once exactly one succeeds; the new password, every other link of the person and the
end of all their sessions go in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from email.message import EmailMessage

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from models import OutboxKind, PasswordReset, User
from models.db import utcnow
from services import sessions
from services.config import Settings, get_settings
from services.errors import Invalid, TooManyAttempts
from services.hooks import on_commit
from services.mail import outbox
from services.mail.render import render_html
from services.mail.transport import compose
from services.one_time_links import digest, new_token, well_formed
from services.passwords import hash_password
from services.throttle import throttle
from services.validation import Checker, FormText
from services.workers import transaction

log = logging.getLogger(__name__)

LINK_LIFETIME = dt.timedelta(hours=1)
REQUESTS_PER_ADDRESS = 5  # per network address an hour: beyond it, 429
REQUESTS_PER_EMAIL = 3  # per email address an hour: beyond it, silently no email (an answer would tell)
WINDOW_SECONDS = 3600
SENT = 'If an account uses that address, we have sent it a link to choose a new password. It works for one hour.'
INVALID_LINK = 'This reset link is invalid or has expired; ask for a new one.'
TOO_MANY = 'Too many requests for a new password from your network. Try again in {wait}.'


def request_reset(session: Session, *, email: FormText, client: str, now: dt.datetime | None = None) -> None:
    """Ask for a link for every active account that uses `email`. The same answer, after the same work, whatever
    the address: only its form and the throttles are checked here; the rest runs once this transaction commits."""
    check = Checker()
    address = check.email('email', email)
    check.done()
    limiter = throttle()
    limiter.count(f'reset:ip:{client}', limit=REQUESTS_PER_ADDRESS, window_seconds=WINDOW_SECONDS, message=TOO_MANY)
    try:
        # Keyed by a digest: the throttle's store never holds the address itself.
        limiter.count(
            f'reset:email:{digest(address.lower())}',
            limit=REQUESTS_PER_EMAIL,
            window_seconds=WINDOW_SECONDS,
            message='',
        )
    except TooManyAttempts:
        return  # enough emails to this address for this hour; another answer would tell someone asked for it
    settings = get_settings()
    on_commit(session, lambda: _submit(address, now, settings))


# --- after the commit: the lookup, the links and their emails into the outbox ------------------------------

_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix='password-reset')
_pending: set[Future[None]] = set()
_pending_lock = threading.Lock()


def _submit(address: str, now: dt.datetime | None, settings: Settings) -> None:
    future = _pool.submit(_queue_links, address, now, settings)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_forget)


def _forget(future: Future[None]) -> None:
    with _pending_lock:
        _pending.discard(future)


def settle(timeout: float = 30) -> bool:
    """Wait until every link asked for so far has been handled (queued with its email, or the failure logged);
    False on timeout. Delivering the queued emails is the outbox's work."""
    with _pending_lock:
        waiting = set(_pending)
    return not wait(waiting, timeout=timeout).not_done


def _queue_links(address: str, now: dt.datetime | None, settings: Settings) -> None:
    try:
        with transaction(_queue_links) as session:
            _make_links(session, address, now or utcnow(), settings)
    except Exception:  # nobody waits for this answer: log it; the person can ask again
        log.exception('Password reset: could not record the links')


def _make_links(session: Session, address: str, now: dt.datetime, settings: Settings) -> None:
    """A link for each active account of `address`, each with its email in the outbox: both or neither."""
    people = session.scalars(
        select(User).where(func.lower(User.email) == address.lower(), User.is_active.is_(True)).order_by(User.id)
    ).all()
    for person in people:
        token, token_hash = new_token()
        expires_at = now + LINK_LIFETIME
        session.add(PasswordReset(token_hash=token_hash, user_id=person.id, created_at=now, expires_at=expires_at))
        outbox.enqueue(
            session,
            kind=OutboxKind.PASSWORD_RESET,
            message=_message(person, f'{settings.base_url}/reset-password?token={token}', settings),
            user_id=person.id,
            send_before=expires_at,  # a link that no longer works is not worth an email
            now=now,
        )
    session.flush()


def _message(person: User, link: str, settings: Settings) -> EmailMessage:
    subject = 'Choose a new TicketShow password'
    text = (
        f'Hello {person.name},\n\n'
        f'Someone asked to choose a new password for the TicketShow account "{person.username}".\n'
        f'To choose one, open this link within one hour (it works once):\n\n{link}\n\n'
        'Choosing a new password logs this account out everywhere.\n'
        'If you did not ask for this, ignore this email: your password stays as it is.\n'
    )
    body = render_html('password_reset.html', title=subject, name=person.name, username=person.username, link=link)
    return compose(sender=settings.sender, to=person.email, subject=subject, text=text, html=body)


# --- using a link ----------------------------------------------------------------------------------------


def _usable(token: FormText, now: dt.datetime) -> list[object]:
    """The conditions of the stored link for `token` while it can still be used."""
    assert isinstance(token, str)
    return [PasswordReset.token_hash == digest(token), PasswordReset.used_at.is_(None), PasswordReset.expires_at > now]


def link_is_valid(session: Session, *, token: FormText, now: dt.datetime | None = None) -> bool:
    """Whether the link can still be used (the page asks before showing the form)."""
    if not well_formed(token):
        return False
    found = session.scalar(
        select(PasswordReset.id)
        .join(User, User.id == PasswordReset.user_id)
        .where(*_usable(token, now or utcnow()), User.is_active.is_(True))  # type: ignore[arg-type]
    )
    return found is not None


def confirm_reset(
    session: Session,
    *,
    token: FormText,
    password: FormText,
    password_confirm: FormText,
    now: dt.datetime | None = None,
) -> None:
    """Replace the password of the link's person, once: the link and every other of theirs are used up, and
    every session of theirs ends. A bad password changes nothing, and the link stays usable."""
    now = now or utcnow()
    # Checked before the costly hash, so that made-up tokens cost no bcrypt; the UPDATE below decides the race.
    if not link_is_valid(session, token=token, now=now):
        raise Invalid({'token': INVALID_LINK})
    check = Checker()
    if not isinstance(password, str) or not password:
        check.fail('password', 'Password is required.')
    elif not 8 <= len(password) <= 128:
        check.fail('password', 'Password must be 8–128 characters.')
    elif password_confirm != password:
        check.fail('password_confirm', 'The two passwords differ.')
    check.done()
    new_hash = hash_password(str(password))  # before the first write: no lock is held while bcrypt runs
    user_id = session.scalar(
        update(PasswordReset)
        .where(*_usable(token, now))  # type: ignore[arg-type]
        .values(used_at=now)
        .returning(PasswordReset.user_id)
        .execution_options(synchronize_session=False)
    )
    person = session.get(User, user_id) if user_id is not None else None
    if person is None or not person.is_active:
        # Used a moment ago by a confirmation that got there first, or the account was disabled meanwhile.
        raise Invalid({'token': INVALID_LINK})
    person.password_hash = new_hash
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == person.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    sessions.revoke_user(session, user_id=person.id)
