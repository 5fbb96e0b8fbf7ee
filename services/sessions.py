"""Login sessions, recorded in the database: a sliding idle timeout, an absolute maximum, and revocation
that nothing can undo (a Redis restart included: Redis holds no session).

An API client gets a random bearer token; a browser gets nothing at all to keep: its session is bound
to the browser id inside NiceGUI's signed `session` cookie, which the login gives a new value. Rows are
keyed by SHA-256 digests, so neither the database nor NiceGUI's storage files hold a usable credential,
and a browser session's id is useless as a bearer token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from models import LoginSession, Role, SessionKind, User
from models.db import session_scope, utcnow

log = logging.getLogger(__name__)

# How often a busy session's "last seen" is written back: often enough for the idle timeout, not on every click.
TOUCH_FRACTION = 0.1
TOUCH_MAX_SECONDS = 60
# A browser has this long to complete a login it asked for (the page's redirect follows at once).
LOGIN_TICKET_SECONDS = 120
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class Principal:
    """Who is logged in: plain values only, safe to keep outside a database session."""

    user_id: int
    username: str
    name: str
    role: Role
    session_id: str = ''

    @classmethod
    def of(cls, user: User, session_id: str = '') -> Principal:
        return cls(user_id=user.id, username=user.username, name=user.name, role=user.role, session_id=session_id)


@dataclass(frozen=True)
class SessionInfo:
    """One active session as its owner sees it on the account page."""

    id: str
    device: str
    client: str
    created: dt.datetime
    last_seen: dt.datetime


_BROWSERS = (('Edg/', 'Edge'), ('OPR/', 'Opera'), ('Firefox/', 'Firefox'), ('Chrome/', 'Chrome'), ('Safari/', 'Safari'))
_SYSTEMS = (
    ('Android', 'Android'),
    ('iPhone', 'iPhone'),
    ('iPad', 'iPad'),
    ('Windows', 'Windows'),
    ('Mac OS X', 'macOS'),
    ('Linux', 'Linux'),
)


def describe_device(user_agent: str | None) -> str:
    """'Firefox on Linux' from a User-Agent header; the raw start of it for anything else (API clients)."""
    agent = user_agent or ''
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return f'{browser} on {system}'
    return agent[:60] or 'Unknown device'


def digest(secret: str) -> str:
    """What is stored instead of a token or a browser id."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class Policy:
    idle_seconds: float
    max_seconds: float
    clock: Callable[[], dt.datetime] = utcnow


_policy = Policy(idle_seconds=24 * 3600, max_seconds=14 * 24 * 3600)
# "Last seen" is written on a thread of its own and never waited for: a busy database delays no page.
_toucher = ThreadPoolExecutor(max_workers=1, thread_name_prefix='session-touch')


def configure(*, idle_seconds: float, max_seconds: float, clock: Callable[[], dt.datetime] = utcnow) -> Policy:
    global _policy
    _policy = Policy(idle_seconds=idle_seconds, max_seconds=max_seconds, clock=clock)
    return _policy


def policy() -> Policy:
    return _policy


def _live(now: dt.datetime) -> list[ColumnElement[bool]]:
    """The conditions a usable session meets at `now`."""
    return [
        LoginSession.revoked_at.is_(None),
        LoginSession.created_at > now - dt.timedelta(seconds=_policy.max_seconds),
        LoginSession.last_seen_at > now - dt.timedelta(seconds=_policy.idle_seconds),
    ]


def _open(
    session: Session, user: User, *, kind: SessionKind, device: str, client: str, browser: str | None = None
) -> str:
    token = secrets.token_urlsafe(32)
    now = _policy.clock()
    # Sessions that can no longer be used are forgotten whenever their owner logs in again.
    session.execute(
        delete(LoginSession).where(
            LoginSession.user_id == user.id,
            or_(
                LoginSession.revoked_at.is_not(None),
                LoginSession.created_at <= now - dt.timedelta(seconds=_policy.max_seconds),
                LoginSession.last_seen_at <= now - dt.timedelta(seconds=_policy.idle_seconds),
            ),
        )
    )
    session.add(
        LoginSession(
            id=digest(token),
            user_id=user.id,
            kind=kind,
            browser=browser,
            bound=False,
            device=device[:200],
            client=client[:64],
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()
    return token


def open_api_session(session: Session, user: User, *, device: str = '', client: str = '') -> str:
    """A bearer token for an API client."""
    return _open(session, user, kind=SessionKind.API, device=device, client=client)


def start_browser_login(session: Session, user: User, *, browser_id: str, device: str = '', client: str = '') -> str:
    """A one-time login ticket that only the browser `browser_id` can redeem, within two minutes."""
    return _open(session, user, kind=SessionKind.BROWSER, device=device, client=client, browser=digest(browser_id))


def complete_browser_login(session: Session, *, ticket: str, browser_id: str, new_browser_id: str) -> bool:
    """Bind the ticket's session to the browser's new id; False for a used, stale, revoked or foreign ticket."""
    if not ticket or len(ticket) > MAX_TOKEN_LENGTH:
        return False
    now = _policy.clock()
    result = session.execute(
        update(LoginSession)
        .where(
            LoginSession.id == digest(ticket),
            LoginSession.kind == SessionKind.BROWSER,
            LoginSession.bound.is_(False),
            LoginSession.browser == digest(browser_id),
            LoginSession.revoked_at.is_(None),
            LoginSession.created_at > now - dt.timedelta(seconds=LOGIN_TICKET_SECONDS),
        )
        .values(browser=digest(new_browser_id), bound=True, last_seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def _who(condition: ColumnElement[bool]) -> Select[str, dt.datetime, int, str, str, Role]:
    """The live session matching `condition` (bound as `key`) and its person's plain values: built once per kind
    of lookup, since one runs on every API call and every click, and a statement built anew each time costs more
    to build and key for the compiled-SQL cache than the database takes to answer it."""
    return (
        select(LoginSession.id, LoginSession.last_seen_at, User.id, User.username, User.name, User.role)
        .join(User, User.id == LoginSession.user_id)
        .where(
            condition,
            User.is_active.is_(True),
            LoginSession.revoked_at.is_(None),  # the conditions of `_live`, with `now` bound
            LoginSession.created_at > bindparam('created_after'),
            LoginSession.last_seen_at > bindparam('seen_after'),
        )
        .order_by(LoginSession.created_at.desc())
        .limit(1)
    )


_BY_TOKEN = _who(and_(LoginSession.id == bindparam('key'), LoginSession.kind == SessionKind.API))
_BY_BROWSER = _who(
    and_(
        LoginSession.browser == bindparam('key'),
        LoginSession.kind == SessionKind.BROWSER,
        LoginSession.bound.is_(True),
    )
)
_BY_ID = _who(LoginSession.id == bindparam('key'))


def _principal(
    session: Session, statement: Select[str, dt.datetime, int, str, str, Role], key: str
) -> Principal | None:
    now = _policy.clock()
    bounds = {
        'key': key,
        'created_after': now - dt.timedelta(seconds=_policy.max_seconds),
        'seen_after': now - dt.timedelta(seconds=_policy.idle_seconds),
    }
    row = session.execute(statement, bounds).first()
    if row is None:
        return None
    sid, last_seen, user_id, username, name, role = row
    if (now - last_seen).total_seconds() >= min(TOUCH_MAX_SECONDS, _policy.idle_seconds * TOUCH_FRACTION):
        _toucher.submit(_touch, sid, now)
    return Principal(user_id=user_id, username=username, name=name, role=role, session_id=sid)


def _touch(sid: str, now: dt.datetime) -> None:
    try:
        with session_scope() as session:
            session.execute(
                update(LoginSession)
                .where(LoginSession.id == sid, LoginSession.last_seen_at < now)
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
    except Exception as error:  # noqa: BLE001 - a missed "last seen" costs nothing; the next click writes it
        log.info('could not record a session as seen: %s', type(error).__name__)


def for_token(session: Session, *, token: str | None) -> Principal | None:
    """The API client holding this bearer token; None once expired or revoked (or for anything else)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return _principal(session, _BY_TOKEN, digest(token))


def for_browser(session: Session, *, browser_id: str | None) -> Principal | None:
    """The person logged in on this browser (its signed cookie's id); None when nobody is."""
    if not browser_id or len(browser_id) > MAX_TOKEN_LENGTH:
        return None
    return _principal(session, _BY_BROWSER, digest(browser_id))


def is_live(session: Session, *, session_id: str) -> bool:
    """Whether the session still stands; a click counts as use, like a page load, for the idle timeout."""
    return _principal(session, _BY_ID, session_id) is not None


def _revoke(session: Session, *conditions: ColumnElement[bool]) -> int:
    result = session.execute(
        update(LoginSession)
        .where(LoginSession.revoked_at.is_(None), *conditions)
        .values(revoked_at=_policy.clock())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def revoke_token(session: Session, *, token: str | None) -> None:
    """End an API client's session (logout)."""
    if token and len(token) <= MAX_TOKEN_LENGTH:
        _revoke(session, LoginSession.id == digest(token))


def revoke_browser(session: Session, *, browser_id: str | None) -> None:
    """End whatever session this browser is logged in with (logout)."""
    if browser_id and len(browser_id) <= MAX_TOKEN_LENGTH:
        _revoke(session, LoginSession.browser == digest(browser_id), LoginSession.kind == SessionKind.BROWSER)


def revoke_user(session: Session, *, user_id: int, keep: str | None = None) -> int:
    """End every session of a person (but the one whose id is `keep`); returns how many ended."""
    conditions: list[ColumnElement[bool]] = [LoginSession.user_id == user_id]
    if keep:
        conditions.append(LoginSession.id != keep)
    return _revoke(session, *conditions)


def sessions_of(session: Session, *, user_id: int) -> list[SessionInfo]:
    """The person's usable sessions, most recently used first."""
    rows = session.scalars(
        select(LoginSession)
        .where(
            LoginSession.user_id == user_id,
            or_(LoginSession.kind == SessionKind.API, LoginSession.bound.is_(True)),
            *_live(_policy.clock()),
        )
        .order_by(LoginSession.last_seen_at.desc())
    )
    return [
        SessionInfo(id=r.id, device=r.device, client=r.client, created=r.created_at, last_seen=r.last_seen_at)
        for r in rows
    ]


def end(session: Session, *, user_id: int, session_id: str) -> bool:
    """End one of the person's own sessions by its id; False if it is not theirs or already over."""
    return _revoke(session, LoginSession.id == session_id, LoginSession.user_id == user_id) == 1
