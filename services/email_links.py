"""Proving an address with a one-time link: a new account's address (verification), and a new address the person
wants instead of theirs (change of address).

Links are made as the password-reset ones are (`services.one_time_links`: only a token's SHA-256 is stored) and
their emails go through the outbox in the transaction that makes them, so a rolled-back change sends nothing.
A link is used with one conditional UPDATE (unused and not expired), so of two confirmations at once exactly one
succeeds. A verification link proves the address it was sent to only while the account still has that address;
a change link makes its address the account's (refused if another account has taken it meanwhile), verified.

Until an address is verified no booking email goes to it (the outbox's gate, `services.mail.outbox`); the moment it
is, the confirmations of the person's bookings of shows not yet started that never had one are queued, each once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, selectinload

from models import (
    AuditAction,
    Booking,
    BookingStatus,
    EmailLink,
    EmailLinkPurpose,
    OutboxKind,
    OutboxMessage,
    Show,
    ShowStatus,
    User,
)
from models.db import utcnow
from services import audit, auth
from services.config import Settings, get_settings
from services.errors import Conflict, Invalid
from services.mail import booking_mail, outbox
from services.mail.render import render_html
from services.mail.transport import compose
from services.one_time_links import digest, new_token, well_formed
from services.passwords import verify_password
from services.throttle import throttle
from services.validation import Checker, FormText

log = logging.getLogger(__name__)

VERIFY_LIFETIME = dt.timedelta(hours=48)
CHANGE_LIFETIME = dt.timedelta(hours=24)
RESEND_SECONDS = 60  # one new verification link a minute per person
CHANGE_TRIES = 5  # email changes (right or wrong password) per person in 15 minutes
INVALID_VERIFY_LINK = 'This verification link is invalid, used or expired. Log in to ask for a new one.'
INVALID_CHANGE_LINK = 'This link to confirm a new email address is invalid, used or expired. Ask for the change again.'
ADDRESS_TAKEN = 'Another account uses that email address; choose another.'


# --- verifying an account's address -----------------------------------------------------------------------


def _link(
    session: Session, user: User, purpose: EmailLinkPurpose, email: str, now: dt.datetime
) -> tuple[str, dt.datetime]:
    """Record a new link for `email`; its token (for the email only) and when it stops working."""
    token, token_hash = new_token()
    lifetime = VERIFY_LIFETIME if purpose == EmailLinkPurpose.VERIFY else CHANGE_LIFETIME
    expires_at = now + lifetime
    session.add(
        EmailLink(
            token_hash=token_hash, user_id=user.id, purpose=purpose, email=email, created_at=now, expires_at=expires_at
        )
    )
    return token, expires_at


def queue_verification(session: Session, user: User, *, now: dt.datetime | None = None) -> None:
    """A link to verify the account's address, by email, in the caller's transaction (signup, or asking again)."""
    now = now or utcnow()
    settings = get_settings()
    token, expires_at = _link(session, user, EmailLinkPurpose.VERIFY, user.email, now)
    link = f'{settings.base_url}/verify-email/{token}'
    subject = 'Confirm your email address for TicketShow'
    paragraphs = [
        f'Welcome to TicketShow! Please confirm that {user.email} is your address for the account "{user.username}".',
        'We send your tickets and booking emails only to a confirmed address.',
    ]
    message = _message(
        user.name,
        user.email,
        subject,
        paragraphs,
        link=link,
        button_text='Confirm my address',
        link_note='The link works once, within 48 hours:',
        footnote='If you did not make this account, ignore this email.',
        settings=settings,
    )
    outbox.enqueue(
        session, kind=OutboxKind.EMAIL_VERIFICATION, message=message, user_id=user.id, send_before=expires_at, now=now
    )
    session.flush()


def resend_verification(session: Session, *, user_id: int, now: dt.datetime | None = None) -> None:
    """Send the verification link again (a new one; the earlier ones keep working until they expire)."""
    user = auth.load_actor(session, user_id)
    if user.email_verified_at is not None:
        raise Conflict('Your email address is already verified.')
    throttle().count(
        f'verify-resend:{user.id}',
        limit=1,
        window_seconds=RESEND_SECONDS,
        message='We sent you a link a moment ago. You can ask again in {wait}.',
    )
    queue_verification(session, user, now=now)


def _use(session: Session, token: FormText, purpose: EmailLinkPurpose, now: dt.datetime) -> tuple[int, str] | None:
    """Use the link once: its person and address, or None when it is unknown, used or expired."""
    if not well_formed(token):
        return None
    assert isinstance(token, str)
    row = session.execute(
        update(EmailLink)
        .where(
            EmailLink.token_hash == digest(token),
            EmailLink.purpose == purpose,
            EmailLink.used_at.is_(None),
            EmailLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(EmailLink.user_id, EmailLink.email)
        .execution_options(synchronize_session=False)
    ).first()
    return (row.user_id, row.email) if row is not None else None


def _live_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.is_active and user.deleted_at is None else None


def verify_email(session: Session, *, token: FormText, now: dt.datetime | None = None) -> User:
    """Mark the link's address verified (no login needed: the link is the proof). A link sent to an address the
    account no longer has proves nothing. Raises Invalid({'token': ...}) for a bad, used or expired link."""
    now = now or utcnow()
    used = _use(session, token, EmailLinkPurpose.VERIFY, now)
    user = _live_user(session, used[0]) if used is not None else None
    if used is None or user is None or user.email.lower() != used[1].lower():
        raise Invalid({'token': INVALID_VERIFY_LINK})
    _mark_verified(session, user, now)
    return user


def _mark_verified(session: Session, user: User, now: dt.datetime) -> None:
    """Verified from now on; the first time, the confirmations its bookings are owed are queued, each once."""
    changed = session.execute(
        update(User)
        .where(User.id == user.id, User.email_verified_at.is_(None))
        .values(email_verified_at=now)
        .returning(User.id)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    session.refresh(user)
    if changed is not None:
        _queue_owed_confirmations(session, user, now)


def _queue_owed_confirmations(session: Session, user: User, now: dt.datetime) -> int:
    """The confirmations of the person's bookings of shows not yet started that never got one queued."""
    had_one = exists().where(OutboxMessage.booking_id == Booking.id, OutboxMessage.kind == OutboxKind.BOOKING_CONFIRMED)
    owed = session.scalars(
        select(Booking)
        .join(Show, Show.id == Booking.show_id)
        .where(
            Booking.user_id == user.id,
            Booking.status == BookingStatus.CONFIRMED,
            Show.status == ShowStatus.SCHEDULED,
            Show.starts_at > now,
            ~had_one,
        )
        .options(selectinload(Booking.show), selectinload(Booking.user))
        .order_by(Booking.id)
    ).all()
    for booking in owed:
        booking_mail.queue_confirmation(session, booking, now=now)
    return len(owed)


# --- changing one's address -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountView:
    """What the account page and the API show of one's own account."""

    id: int
    username: str
    name: str
    email: str
    role: str
    email_verified: bool
    pending_email: str | None  # a new address waiting for its link to be opened

    @classmethod
    def of(cls, user: User, pending: str | None) -> AccountView:
        return cls(
            id=user.id,
            username=user.username,
            name=user.name,
            email=user.email,
            role=user.role,
            email_verified=user.email_verified_at is not None,
            pending_email=pending,
        )


def pending_email(session: Session, user_id: int, now: dt.datetime | None = None) -> str | None:
    """The new address asked for most recently whose link still works, if any."""
    return session.scalar(
        select(EmailLink.email)
        .where(
            EmailLink.user_id == user_id,
            EmailLink.purpose == EmailLinkPurpose.CHANGE,
            EmailLink.used_at.is_(None),
            EmailLink.expires_at > (now or utcnow()),
        )
        .order_by(EmailLink.id.desc())
        .limit(1)
    )


def account(session: Session, *, user_id: int) -> AccountView:
    user = auth.load_actor(session, user_id)
    return AccountView.of(user, pending_email(session, user.id))


def _taken(session: Session, address: str, user_id: int) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(func.lower(User.email) == address.lower(), User.id != user_id, User.deleted_at.is_(None))
        )
    )


def mask(address: str) -> str:
    """'n***@example.com': enough for the owner to recognise, not enough to hand a stranger the address."""
    local, _, domain = address.partition('@')
    return f'{local[:1]}***@{domain}'


def _void(session: Session, user_id: int, purpose: EmailLinkPurpose, now: dt.datetime) -> None:
    session.execute(
        update(EmailLink)
        .where(EmailLink.user_id == user_id, EmailLink.purpose == purpose, EmailLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )


def request_email_change(
    session: Session,
    *,
    user_id: int,
    email: FormText,
    current_password: FormText,
    now: dt.datetime | None = None,
) -> AccountView:
    """Ask to use another address: a link to it confirms the change, and the current address is told. The account
    keeps its address until the link is opened; an earlier change still waiting is replaced by this one."""
    now = now or utcnow()
    user = auth.load_actor(session, user_id)
    throttle().count(  # counted before the password check, so guesses past the limit learn nothing
        f'emailchange:{user.id}',
        limit=CHANGE_TRIES,
        window_seconds=900,
        message='Too many email changes. Try again in {wait}.',
    )
    check = Checker()
    address = check.email('email', email, label='New email')
    if not isinstance(current_password, str) or not verify_password(current_password[:128], user.password_hash):
        check.fail('current_password', 'This is not your current password.')
    check.done()
    if address.lower() == user.email.lower():
        raise Invalid({'email': 'This is already your email address.'})
    if _taken(session, address, user.id):
        raise Conflict(ADDRESS_TAKEN, field='email')
    _void(session, user.id, EmailLinkPurpose.CHANGE, now)
    token, expires_at = _link(session, user, EmailLinkPurpose.CHANGE, address, now)
    settings = get_settings()
    link = f'{settings.base_url}/confirm-email/{token}'
    confirm = _message(
        user.name,
        address,
        'Confirm your new email address for TicketShow',
        [f'You asked to use {address} for the TicketShow account "{user.username}" instead of your current address.'],
        link=link,
        button_text='Use this address',
        link_note='The link works once, within 24 hours:',
        footnote='Until you open it, your account keeps its current address. If you did not ask, ignore this email.',
        settings=settings,
    )
    outbox.enqueue(
        session, kind=OutboxKind.EMAIL_CHANGE, message=confirm, user_id=user.id, send_before=expires_at, now=now
    )
    notice = _message(
        user.name,
        user.email,
        'Your TicketShow email address is being changed',
        [
            f'Someone logged in to the TicketShow account "{user.username}" asked to change its email address to '
            f'{mask(address)}. The change happens only when the link sent there is opened.',
            'Not you? Change your password now: that logs everyone else out of your account.',
        ],
        link=f'{settings.base_url}/account',
        button_text='Change my password',
        link_note='Your account:',
        footnote='',
        settings=settings,
    )
    outbox.enqueue(session, kind=OutboxKind.EMAIL_CHANGE_NOTICE, message=notice, user_id=user.id, now=now)
    session.flush()
    return AccountView.of(user, address)


def cancel_email_change(session: Session, *, user_id: int, now: dt.datetime | None = None) -> AccountView:
    """Forget a change still waiting for its link: the link stops working."""
    user = auth.load_actor(session, user_id)
    _void(session, user.id, EmailLinkPurpose.CHANGE, now or utcnow())
    session.flush()
    return AccountView.of(user, None)


def confirm_email_change(session: Session, *, token: FormText, now: dt.datetime | None = None) -> User:
    """Make the link's address the account's, verified; every other open link of the person stops working.
    Raises Invalid({'token': ...}) for a bad, used or expired link, Conflict if the address was taken meanwhile."""
    now = now or utcnow()
    used = _use(session, token, EmailLinkPurpose.CHANGE, now)
    user = _live_user(session, used[0]) if used is not None else None
    if used is None or user is None:
        raise Invalid({'token': INVALID_CHANGE_LINK})
    address = used[1]
    if _taken(session, address, user.id):
        raise Conflict(ADDRESS_TAKEN, field='email')
    user.email = address
    _void(session, user.id, EmailLinkPurpose.CHANGE, now)
    _void(session, user.id, EmailLinkPurpose.VERIFY, now)  # they were for the old address
    session.flush()
    audit.record(session, actor_id=user.id, action=AuditAction.EMAIL_CHANGED, target=user, changes={'email': 'changed'})
    _mark_verified(session, user, now)  # an unverified account's owed confirmations go to the new address
    user.email_verified_at = now
    session.flush()
    return user


# --- the emails -------------------------------------------------------------------------------------------


def _message(
    name: str,
    to: str,
    subject: str,
    paragraphs: list[str],
    *,
    link: str,
    button_text: str,
    link_note: str,
    footnote: str,
    settings: Settings,
) -> EmailMessage:
    text = '\n\n'.join([f'Hello {name},', *paragraphs, f'{button_text}: {link}', footnote]).strip() + '\n'
    html = render_html(
        'account_email.html',
        title=subject,
        name=name,
        paragraphs=paragraphs,
        link=link,
        button_text=button_text,
        link_note=link_note,
        footnote=footnote,
    )
    return compose(sender=settings.sender, to=to, subject=subject, text=text, html=html)
