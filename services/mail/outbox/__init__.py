"""The email outbox: a change asks for an email in its own transaction (`queue`); the elected scheduler delivers
it after the commit, within seconds, once (`delivery`). Callers use `services.mail.outbox` as one module.
"""

from services.mail.outbox.delivery import (
    BATCH_SIZE,
    CLAIM_TIMEOUT,
    ERROR_LENGTH,
    OUTAGE_RETRY,
    RETRY_AFTER,
    BatchResult,
    Clock,
    Transaction,
    deliver_due,
    retry_delay,
)
from services.mail.outbox.queue import (
    ACCOUNT_KINDS,
    Composer,
    NoLongerWanted,
    Uncomposable,
    _composers,
    by_status,
    enqueue,
    enqueue_composed_later,
    enqueue_many_composed_later,
    register_composer,
    subscribe,
    verified,
)

__all__ = [
    'ACCOUNT_KINDS',
    'BATCH_SIZE',
    'CLAIM_TIMEOUT',
    'ERROR_LENGTH',
    'OUTAGE_RETRY',
    'RETRY_AFTER',
    'BatchResult',
    'Clock',
    'Composer',
    'NoLongerWanted',
    'Transaction',
    'Uncomposable',
    '_composers',
    'by_status',
    'deliver_due',
    'enqueue',
    'enqueue_composed_later',
    'enqueue_many_composed_later',
    'register_composer',
    'retry_delay',
    'subscribe',
    'verified',
]
