"""Side effects that must wait for the commit: cache invalidation, session revocation, mail.

A service registers them on its `Session`; they run only once that transaction has committed,
and a failure is logged, never raised: the committed write stands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
_KEY = 'ticketshow.on_commit'


def on_commit(session: Session, action: Callable[[], object]) -> None:
    session.info.setdefault(_KEY, []).append(action)


@event.listens_for(Session, 'after_commit')
def _run_after_commit(session: Session) -> None:
    for action in session.info.pop(_KEY, []):
        try:
            action()
        except Exception:  # an after-commit effect must never break the committed request
            log.exception('after-commit action %r failed', action)


@event.listens_for(Session, 'after_rollback')
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
