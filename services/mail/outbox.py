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
guarantee below holds for these rows too; one that cannot be composed (its booking is gone, or composing raised)
is `failed` at once with the reason, costs no try, and the batch goes on. A composed message is not stored: if the
server is down it is composed again, from what is true then, on the next try.

`deliver_due` is one batch over one SMTP connection, and each message goes through these states:

    pending ──claim (batch)──▶ claimed ──start (this one)──▶ sending ──▶ sent
       ▲                          │                            │
       └── taken back after ──────┘                            ├─ refused: pending again after a back-off,
           CLAIM_TIMEOUT (its sender died before sending)      │  or failed on its last try
                                                               └─ server down: pending again, no try counted

- The batch claim takes due rows for this batch only: on PostgreSQL `SELECT … FOR UPDATE SKIP LOCKED` and an
  UPDATE in one transaction, so a second deliverer skips them instead of waiting; on SQLite one conditional
  `UPDATE … WHERE status = 'pending'` (the single writer makes it atomic) returning the rows it took.
- Just before each message goes, a conditional UPDATE moves it from claimed-by-this-batch to sending; only then is
  it handed to the server, and it is marked sent right after. So a row is handed to a server at most once, even
  when a slow batch's claims were taken back and claimed again by another deliverer.
- At most once, as the mail runs: a row whose sender died between the start and the mark (the server may have
  accepted it) stays `sending` and is never sent again; the admin's page shows it as stopped mid-send. That
  window is one SMTP exchange and one UPDATE wide. A row claimed but not yet started was certainly not sent: it
  is taken back after CLAIM_TIMEOUT and delivered by the next batch. As in the runs, a connection that breaks during the
  exchange counts as the server being down and the message is tried again later: SMTP itself cannot tell whether
  a message whose reply was lost was accepted.
- A refusal (5xx about the recipient or the message) is one of the message's tries: retried after a back-off
  (RETRY_AFTER, doubled each time, at most `TICKETSHOW_MAIL_RETRY_MINUTES`) up to `TICKETSHOW_MAIL_MAX_ATTEMPTS`
  tries, then `failed`; the batch goes on. A server that is down or unreachable is nobody's try: the batch stops,
  its messages and every other due one wait OUTAGE_RETRY, so an outage costs one connection attempt a minute.
- A message of no use after a moment (`send_before`: a reset link's hour) is `expired` instead of sent late.
  A settled message's body is erased: it may hold a live link.

Only a verified address gets email about bookings: every kind but the account emails (`ACCOUNT_KINDS`: the links
that prove an address, and the reset link, which proves it itself) is not queued at all for a person whose address
is unverified, or whose account is deleted (`services.email_links` queues the confirmations still of use once the
address is verified). One gate here covers every booking email, today's and those to come.
"""

from __future__ import annotations

import datetime as dt
import email
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import ColumnElement, insert, select, update
from sqlalchemy.orm import Session

from models import OutboxKind, OutboxMessage, OutboxStatus, User
from models.db import session_scope, utcnow
from services.config import Settings
from services.hooks import on_commit
from services.mail.transport import Mailer, Refused, ServerDown, mailer_for

log = logging.getLogger(__name__)

Transaction = Callable[[], AbstractContextManager[Session]]
Clock = Callable[[], dt.datetime]
# Reads what an email needs in the session it is given (a short read transaction) and returns the step that
# renders it outside that transaction.
Composer = Callable[[Session, OutboxMessage, Settings], Callable[[], EmailMessage]]

BATCH_SIZE = 50
RETRY_AFTER = dt.timedelta(minutes=1)  # after a refusal; doubled with each further one
OUTAGE_RETRY = dt.timedelta(minutes=1)  # the server was down: every due message waits this long
CLAIM_TIMEOUT = dt.timedelta(minutes=10)  # far longer than any live batch holds a claim before starting it
ERROR_LENGTH = 300
# Sent to any address the account names: each of these proves or protects the address itself.
ACCOUNT_KINDS = frozenset(
    {OutboxKind.PASSWORD_RESET, OutboxKind.EMAIL_VERIFICATION, OutboxKind.EMAIL_CHANGE, OutboxKind.EMAIL_CHANGE_NOTICE}
)


# --- asking for an email ---------------------------------------------------------------------------------

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


def _wanted(session: Session, kind: OutboxKind, user_id: int | None) -> bool:
    if kind in ACCOUNT_KINDS or user_id is None:
        return True
    if user_id in verified(session, [user_id]):
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


# --- delivering ------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    """What one `deliver_due` did."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0  # refused, with tries left
    failed: int = 0  # refused on its last try, or could not be composed
    expired: int = 0
    deferred: int = 0  # put back unsent: the server was down
    server_down: str | None = None

    def describe(self) -> str:
        parts = [f'{self.sent} sent', f'{self.retrying} to retry', f'{self.failed} failed', f'{self.expired} expired']
        outcome = ', '.join(parts) + (f', {self.deferred} deferred' if self.deferred else '')
        return outcome + (f' — {self.server_down}' if self.server_down else '')


@dataclass(frozen=True)
class _Claimed:
    id: int
    raw: bytes | None  # None: composed when sent
    attempts: int


def deliver_due(
    *,
    settings: Settings,
    transaction: Transaction = session_scope,
    clock: Clock = utcnow,
    mailer: Mailer | None = None,
    worker: str = 'local',
    limit: int = BATCH_SIZE,
) -> BatchResult:
    """Deliver up to `limit` due messages over one connection; each step is a transaction of its own.

    `transaction` opens one (two instances are two session factories), `clock` is the time every step reads,
    `worker` names this deliverer in the claims.
    """
    result = BatchResult()
    now = clock()
    with transaction() as session:
        if not _anything_waiting(session):
            return result  # the usual poll: one indexed read, no write (on SQLite even an empty UPDATE locks)
        _take_back_stale_claims(session, now)
        result.expired = _expire(session, now)
    token = f'{worker}:{uuid.uuid4().hex[:12]}'
    with transaction() as session:
        batch = _claim(session, now=now, token=token, limit=limit)
    result.claimed = len(batch)
    if not batch:
        return result
    mailer = mailer or mailer_for(settings)
    try:
        for position, item in enumerate(batch):
            if item.raw is None:
                outgoing = _compose(transaction, item, token, settings, result)
                if outgoing is None:
                    continue  # settled (failed or expired) without a word to the server
            else:
                outgoing = email.message_from_bytes(item.raw, _class=EmailMessage, policy=policy.default)
            if not _start(transaction, item.id, token, clock()):
                continue  # taken back meanwhile (this batch was slow): another batch has it now
            try:
                mailer.send(outgoing)
            except ServerDown as error:
                result.server_down = str(error)[:ERROR_LENGTH]
                result.deferred = _defer(transaction, [c.id for c in batch[position:]], token, clock(), error)
                log.warning('Outbox: the mail server is down, %d emails wait: %s', result.deferred, error)
                break
            except Refused as error:
                _settle_refused(transaction, item, token, clock(), str(error), settings, result)
            except Exception as error:  # a message the transport cannot take is this message's failed try
                log.exception('Outbox: email %s could not be sent', item.id)
                _settle_refused(transaction, item, token, clock(), f'{type(error).__name__}: {error}', settings, result)
            else:
                _mark_sent(transaction, item, token, clock())
                result.sent += 1
    finally:
        mailer.close()
    log.info('Outbox: %s', result.describe())
    return result


def _anything_waiting(session: Session) -> bool:
    waiting = select(OutboxMessage.id).where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.CLAIMED)))
    return session.scalar(waiting.limit(1)) is not None


def _due(now: dt.datetime) -> list[ColumnElement[bool]]:
    return [OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now]


def _claim(session: Session, *, now: dt.datetime, token: str, limit: int) -> list[_Claimed]:
    order = (OutboxMessage.next_attempt_at, OutboxMessage.id)
    claim = update(OutboxMessage).values(status=OutboxStatus.CLAIMED, claimed_by=token, claimed_at=now)
    if session.get_bind().dialect.name == 'postgresql':
        ids: Sequence[int] = session.scalars(
            select(OutboxMessage.id).where(*_due(now)).order_by(*order).limit(limit).with_for_update(skip_locked=True)
        ).all()
        if ids:
            session.execute(claim.where(OutboxMessage.id.in_(ids)).execution_options(synchronize_session=False))
    else:
        due = select(OutboxMessage.id).where(*_due(now)).order_by(*order).limit(limit).scalar_subquery()
        ids = session.scalars(
            claim.where(OutboxMessage.id.in_(due), OutboxMessage.status == OutboxStatus.PENDING)
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        ).all()
    if not ids:
        return []
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.message, OutboxMessage.attempts)
        .where(OutboxMessage.id.in_(ids))
        .order_by(*order)
    ).all()
    return [_Claimed(row.id, row.message, row.attempts) for row in rows]


def _compose(
    transaction: Transaction, item: _Claimed, token: str, settings: Settings, result: BatchResult
) -> EmailMessage | None:
    """A claimed row's message, composed now; None when it was settled instead (failed or expired)."""
    try:
        with transaction() as session:
            row = session.get(OutboxMessage, item.id)
            if row is None:
                return None  # deleted meanwhile: nothing to send, nothing to settle
            composer = _composers.get(row.kind)
            if composer is None:
                raise Uncomposable(f'no composer for {row.kind} emails in this process')
            if row.booking_id is None:
                raise Uncomposable('its booking no longer exists')
            build = composer(session, row, settings)
        return build()
    except NoLongerWanted as unwanted:
        log.info('Outbox: email %s expired unsent: %s', item.id, unwanted)
        result.expired += _update(
            transaction,
            _ours(item.id, token, OutboxStatus.CLAIMED),
            {'status': OutboxStatus.EXPIRED, 'claimed_by': None, 'error': f'not sent: {unwanted}'[:ERROR_LENGTH]},
        )
        return None
    except Exception as error:  # composing is this row's own problem: settle it and let the batch go on
        reason = str(error) if isinstance(error, Uncomposable) else f'{type(error).__name__}: {error}'
        log.error(
            'Outbox: email %s could not be composed, given up: %s',
            item.id,
            reason,
            exc_info=not isinstance(error, Uncomposable),
        )
        result.failed += _update(
            transaction,
            _ours(item.id, token, OutboxStatus.CLAIMED),
            {
                'status': OutboxStatus.FAILED,
                'claimed_by': None,
                'error': f'could not be composed: {reason}'[:ERROR_LENGTH],
            },
        )
        return None


def _update(transaction: Transaction, where: list[ColumnElement[bool]], values: dict[str, Any]) -> int:
    with transaction() as session:
        done = session.execute(
            update(OutboxMessage).where(*where).values(**values).execution_options(synchronize_session=False)
        )
        return int(done.rowcount)  # type: ignore[attr-defined]


def _ours(message_id: int, token: str, status: OutboxStatus) -> list[ColumnElement[bool]]:
    return [OutboxMessage.id == message_id, OutboxMessage.claimed_by == token, OutboxMessage.status == status]


def _start(transaction: Transaction, message_id: int, token: str, now: dt.datetime) -> bool:
    """The one gate before a message goes: only the batch that still holds its claim passes."""
    started = _update(
        transaction, _ours(message_id, token, OutboxStatus.CLAIMED), {'status': OutboxStatus.SENDING, 'claimed_at': now}
    )
    return started == 1


def _mark_sent(transaction: Transaction, item: _Claimed, token: str, now: dt.datetime) -> None:
    _update(
        transaction,
        _ours(item.id, token, OutboxStatus.SENDING),
        {
            'status': OutboxStatus.SENT,
            'sent_at': now,
            'attempts': item.attempts + 1,
            'message': None,
            'error': None,
        },
    )


def retry_delay(attempts: int, settings: Settings) -> dt.timedelta:
    """How long a message refused `attempts` times waits for its next try."""
    return min(RETRY_AFTER * 2 ** (attempts - 1), dt.timedelta(minutes=settings.mail_retry_minutes))


def _settle_refused(
    transaction: Transaction,
    item: _Claimed,
    token: str,
    now: dt.datetime,
    error: str,
    settings: Settings,
    result: BatchResult,
) -> None:
    attempts = item.attempts + 1
    values: dict[str, Any] = {'attempts': attempts, 'error': error[:ERROR_LENGTH], 'claimed_by': None}
    if attempts >= settings.mail_max_attempts:
        values.update(status=OutboxStatus.FAILED, message=None)
        result.failed += 1
        log.warning('Outbox: email %s refused on its last try (%d), given up: %s', item.id, attempts, error)
    else:
        values.update(status=OutboxStatus.PENDING, next_attempt_at=now + retry_delay(attempts, settings))
        result.retrying += 1
        log.warning('Outbox: email %s refused (try %d), tried again later: %s', item.id, attempts, error)
    _update(transaction, _ours(item.id, token, OutboxStatus.SENDING), values)


def _defer(transaction: Transaction, ids: list[int], token: str, now: dt.datetime, error: ServerDown) -> int:
    """The server is down: this batch's unsent messages go back unchanged but for the wait, and so does every
    other due message, so that the outage is tried once per OUTAGE_RETRY, not once per poll."""
    later = now + OUTAGE_RETRY
    with transaction() as session:
        put_back = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.claimed_by == token,
                OutboxMessage.status.in_((OutboxStatus.CLAIMED, OutboxStatus.SENDING)),
            )
            .values(
                status=OutboxStatus.PENDING, claimed_by=None, next_attempt_at=later, error=str(error)[:ERROR_LENGTH]
            )
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(OutboxMessage)
            .where(*_due(now))
            .values(next_attempt_at=later)
            .execution_options(synchronize_session=False)
        )
    return int(put_back.rowcount)  # type: ignore[attr-defined]


def _take_back_stale_claims(session: Session, now: dt.datetime) -> None:
    """Claims whose batch never started them (its sender died): certainly unsent, so pending again."""
    taken = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.CLAIMED, OutboxMessage.claimed_at < now - CLAIM_TIMEOUT)
        .values(status=OutboxStatus.PENDING, claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        log.warning('Outbox: %d emails claimed by a sender that stopped are queued again', taken.rowcount)  # type: ignore[attr-defined]


def _expire(session: Session, now: dt.datetime) -> int:
    expired = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.send_before <= now)
        .values(status=OutboxStatus.EXPIRED, message=None)
        .execution_options(synchronize_session=False)
    )
    return int(expired.rowcount)  # type: ignore[attr-defined]
