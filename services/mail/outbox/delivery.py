"""Delivering the outbox's rows after their commit: `deliver_due` is one batch over one SMTP connection, and each
message goes through these states:

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
"""

from __future__ import annotations

import datetime as dt
import email
import logging
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from models import OutboxMessage, OutboxStatus
from models.db import session_scope, utcnow
from services import metrics
from services.config import Settings
from services.mail.outbox.queue import NoLongerWanted, Uncomposable, _composers
from services.mail.transport import Mailer, Refused, ServerDown, mailer_for

log = logging.getLogger(__name__)

Transaction = Callable[[], AbstractContextManager[Session]]
Clock = Callable[[], dt.datetime]

BATCH_SIZE = 50
RETRY_AFTER = dt.timedelta(minutes=1)  # after a refusal; doubled with each further one
OUTAGE_RETRY = dt.timedelta(minutes=1)  # the server was down: every due message waits this long
CLAIM_TIMEOUT = dt.timedelta(minutes=10)  # far longer than any live batch holds a claim before starting it
ERROR_LENGTH = 300


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
        metrics.count_emails(sent=result.sent, failed=result.failed, retrying=result.retrying)
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
