"""The admin's view of accounts: list them a page at a time, disable and re-enable them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models import AuditAction, Role, User
from models.db import get_by_id
from services import audit, sessions
from services.auth import load_actor, require_role
from services.errors import Conflict, Invalid, NotFound
from services.throttle import throttle


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    name: str
    email: str
    role: Role
    is_active: bool
    created_at: dt.datetime
    last_seen_at: dt.datetime | None

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            id=user.id,
            username=user.username,
            name=user.name,
            email=user.email,
            role=user.role,
            is_active=user.is_active,
            created_at=user.created_at,
            last_seen_at=user.last_seen_at,
        )


@dataclass(frozen=True)
class UserPage:
    items: list[UserView]
    total: int


def list_users(session: Session, *, actor_id: int, q: str = '', limit: int = 25, offset: int = 0) -> UserPage:
    require_role(load_actor(session, actor_id), Role.ADMIN, action='see every account')
    if not 1 <= limit <= 100 or offset < 0:
        raise Invalid({'limit': 'limit must be 1–100 and offset not negative.'})
    query = select(User)
    if q.strip():
        pattern = '%' + q.strip().lower().replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_') + '%'
        query = query.where(
            or_(func.lower(User.username).like(pattern, escape='\\'), func.lower(User.name).like(pattern, escape='\\'))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.username).limit(limit).offset(offset))
    return UserPage(items=[UserView.of(u) for u in rows], total=total)


def set_active(session: Session, *, actor_id: int, user_id: int, active: bool) -> UserView:
    """Disable (or re-enable) an account; disabling ends all its sessions once this commits."""
    actor = load_actor(session, actor_id)
    require_role(actor, Role.ADMIN, action='disable accounts')
    user = get_by_id(session, User, user_id)
    if user is None:
        raise NotFound('No such user.')
    if user.id == actor.id and not active:
        raise Conflict('You cannot disable your own account.')
    if user.deleted_at is not None:
        raise Conflict('This account was deleted by its owner; it cannot be enabled or disabled.')
    if user.is_active != active:
        kind = AuditAction.ACCOUNT_ENABLED if active else AuditAction.ACCOUNT_DISABLED
        audit.record(session, actor_id=actor.id, action=kind, target=user, changes={'is_active': [not active, active]})
    user.is_active = active
    session.flush()
    if not active:
        sessions.revoke_user(session, user_id=user.id)
    return UserView.of(user)


def lift_login_limits(session: Session, *, actor_id: int, user_id: int) -> UserView:
    """Let everyone try to log in to this account again at once (a person locked out of their own account)."""
    require_role(load_actor(session, actor_id), Role.ADMIN, action='lift login limits')
    user = get_by_id(session, User, user_id)
    if user is None:
        raise NotFound('No such user.')
    audit.record(session, actor_id=actor_id, action=AuditAction.LOGIN_LIMITS_LIFTED, target=user)
    throttle().lift(username=user.username)
    return UserView.of(user)
