"""The email outbox: a change asks for an email in its own transaction; the elected scheduler delivers it after the
commit, within seconds, once.

`enqueue` adds an `OutboxMessage` row — the whole composed message, so delivery needs no query, template or
setting of the moment — to the caller's session, and registers a wake-up for after the commit: the instance that
committed delivers at once if it leads, and the leader's short poll (`TICKETSHOW_OUTBOX_POLL_SECONDS`) picks the
row up otherwise. A rolled-back transaction leaves no row, so nothing is ever sent for a change that did not happen.

`enqueue_composed_later` is the same for an email too slow to compose inside its change's transaction (a booking's
confirmation: QR codes, a PDF): the row holds the recipient, the subject and the booking (`booking_id`) but no
message, and the deliverer composes it when it sends it, with the composer registered for its kind
(`register_composer`; `services.mail.booking_mail` registers the booking emails). A composer reads what it needs in
a short read transaction of its own and returns a build step that renders outside any transaction (or raises
`NoLongerWanted`: the row is `expired`, with the reason). It runs after the claim and before the start, so every
guarantee of `delivery` holds for these rows too; one that cannot be composed (its booking is gone, or composing
raised) is `failed` at once with the reason, costs no try, and the batch goes on. A composed message is not stored:
if the server is down it is composed again, from what is true then, on the next try.

Only a verified address gets email about bookings: every kind but the account emails (`ACCOUNT_KINDS`: the links
that prove an address, and the reset link, which proves it itself) is not queued at all for a person whose address
is unverified, or whose account is deleted (`services.email_links` queues the confirmations still of use once the
address is verified). One gate here covers every booking email, today's and those to come.

The delivering (`deliver_due`, its states and guarantees) is `outbox.delivery`'s.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from email.message import EmailMessage

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from models import OutboxKind, OutboxMessage, OutboxStatus, User
from models.db import utcnow
from services.config import Settings
from services.hooks import on_commit

log = logging.getLogger(__name__)

# Reads what an email needs in the session it is given (a short read transaction) and returns the step that
# renders it outside that transaction.
Composer = Callable[[Session, OutboxMessage, Settings], Callable[[], EmailMessage]]

# Sent to any address the account names: each of these proves or protects the address itself.
ACCOUNT_KINDS = frozenset(
    {OutboxKind.PASSWORD_RESET, OutboxKind.EMAIL_VERIFICATION, OutboxKind.EMAIL_CHANGE, OutboxKind.EMAIL_CHANGE_NOTICE}
)


_listeners: list[Callable[[], None]] = []
_listeners_lock = threading.Lock()


def subscribe(listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` (on the committing thread; it must return at once) after each commit that queued email.
    Returns the function that unsubscribes it."""
    with _listeners_lock:
        _listeners.append(listener)

    def unsubscribe() -> None:
        with _listeners_lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return unsubscribe


def _wake() -> None:
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener()


def verified(session: Session, user_ids: Sequence[int]) -> set[int]:
    """Those of `user_ids` whose address may get booking email: verified, and the account not deleted."""
    if not user_ids:
        return set()
    found = session.scalars(
        select(User.id).where(
            User.id.in_(set(user_ids)), User.email_verified_at.is_not(None), User.deleted_at.is_(None)
        )
    )
    return set(found)


def by_status(session: Session) -> dict[OutboxStatus, int]:
    """How many emails the outbox holds in each state: one grouped count over the (status, next try) index."""
    return dict(session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())


def _wanted(session: Session, kind: OutboxKind, user_id: int | None) -> bool:
    if kind in ACCOUNT_KINDS or user_id is None:
        return True
    user = session.get(User, user_id)  # usually in the session already (the booking's buyer): no query
    if user is not None and user.email_verified_at is not None and user.deleted_at is None:  # as `verified`
        return True
    log.info('Outbox: no %s email to person %s: their address is not verified', kind, user_id)
    return False


def enqueue(
    session: Session,
    *,
    kind: OutboxKind,
    message: EmailMessage,
    user_id: int | None = None,
    send_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> OutboxMessage | None:
    """Queue `message` in the caller's transaction: it is delivered after the commit, or never if it rolls back.
    None: not queued, since it is about bookings and the person's address is not verified."""
    if not _wanted(session, kind, user_id):
        return None
    if not message['To']:
        raise ValueError('an outbox message needs a recipient')
    now = now or utcnow()
    return _queue(
        session,
        OutboxMessage(
            kind=kind,
            user_id=user_id,
            to_address=str(message['To'])[:254],
            subject=str(message['Subject'] or '')[:200],
            message=message.as_bytes(),
        ),
        now=now,
        send_before=send_before,
    )


def _queue(session: Session, row: OutboxMessage, *, now: dt.datetime, send_before: dt.datetime | None) -> OutboxMessage:
    """Add a pending row, due now, to the caller's transaction and wake the deliverer after its commit."""
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.send_before = send_before
    row.created_at = now
    session.add(row)
    session.flush()
    on_commit(session, _wake)
    return row


def enqueue_composed_later(
    session: Session,
    *,
    kind: OutboxKind,
    user_id: int,
    booking_id: int,
    to_address: str,
    subject: str,
    send_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> OutboxMessage | None:
    """Queue an email about a booking that the composer registered for `kind` composes when it is sent: the caller's
    transaction only writes this row (no rendering), and it is delivered after the commit, or never. None: not
    queued (an unverified address)."""
    if not to_address:
        raise ValueError('an outbox message needs a recipient')
    if not _wanted(session, kind, user_id):
        return None
    now = now or utcnow()
    return _queue(
        session,
        OutboxMessage(
            kind=kind,
            user_id=user_id,
            booking_id=booking_id,
            to_address=to_address[:254],
            subject=subject[:200],
            message=None,
        ),
        now=now,
        send_before=send_before,
    )


def enqueue_many_composed_later(
    session: Session,
    *,
    kind: OutboxKind,
    rows: list[tuple[int, int, str]],
    subject: str,
    send_before: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> int:
    """`enqueue_composed_later` for many people at once (`rows`: user id, booking id, address), as one INSERT:
    thousands of rows stay one quick statement. The number queued."""
    if kind not in ACCOUNT_KINDS:
        allowed = verified(session, [user_id for user_id, _, _ in rows])
        rows = [row for row in rows if row[0] in allowed]
    if not rows:
        return 0
    now = now or utcnow()
    values = [
        {
            'kind': kind,
            'user_id': user_id,
            'booking_id': booking_id,
            'to_address': address[:254],
            'subject': subject[:200],
            'message': None,
            'status': OutboxStatus.PENDING,
            'attempts': 0,
            'next_attempt_at': now,
            'send_before': send_before,
            'created_at': now,
        }
        for user_id, booking_id, address in rows
        if address
    ]
    session.execute(insert(OutboxMessage), values)
    on_commit(session, _wake)
    return len(values)


_composers: dict[OutboxKind, Composer] = {}


def register_composer(kind: OutboxKind, composer: Composer) -> None:
    """Compose every `kind` row queued without a message with `composer` when it is delivered."""
    _composers[kind] = composer


class Uncomposable(Exception):
    """This email cannot be composed (its booking is gone, say): it fails at once, with this reason."""


class NoLongerWanted(Exception):
    """This email has stopped being of use before it went (its booking was cancelled first, say): it expires unsent,
    with this reason."""
