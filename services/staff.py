"""A theatre's door staff: its manager (or an admin) adds people by username and removes them. Staff may check
tickets in at that theatre (services.checkin) and see nothing else of it; the rule lives in services.access."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from models import AuditAction, TheatreStaff, User
from models.db import utcnow
from services import audit
from services.access import managed_theatre
from services.auth import load_actor
from services.errors import Conflict, Invalid, NotFound
from services.validation import Checker, FormText


@dataclass(frozen=True)
class StaffView:
    user_id: int
    username: str
    name: str
    theatre_id: int
    added_at: dt.datetime


def _view(member: TheatreStaff) -> StaffView:
    return StaffView(
        user_id=member.user_id,
        username=member.user.username,
        name=member.user.name,
        theatre_id=member.theatre_id,
        added_at=member.added_at,
    )


def list_staff(session: Session, *, actor_id: int, theatre_id: int | None) -> list[StaffView]:
    """A theatre's door staff, by username, for its manager or an admin."""
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)
    members = session.scalars(
        select(TheatreStaff)
        .join(TheatreStaff.user)
        .where(TheatreStaff.theatre_id == theatre.id)
        .order_by(User.username)
    ).all()
    return [_view(m) for m in members]


def add_staff(
    session: Session, *, actor_id: int, theatre_id: int | None, username: FormText, now: dt.datetime | None = None
) -> StaffView:
    """Let the person with `username` check tickets in at the theatre."""
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)
    check = Checker()
    name = check.text('username', username, label='Username', max_len=32)
    check.done()
    user = session.scalar(select(User).where(func.lower(User.username) == name.lower()))
    if user is None or not user.is_active:
        raise Invalid({'username': f'No active account has the username “{name}”.'})
    if session.get(TheatreStaff, (theatre.id, user.id)) is not None:
        raise Conflict(f'{user.username} is already on the door staff of {theatre.name}.', field='username')
    member = TheatreStaff(theatre_id=theatre.id, user_id=user.id, added_by_id=actor_id, added_at=now or utcnow())
    session.add(member)
    audit.record(
        session, actor_id=actor_id, action=AuditAction.STAFF_ADDED, target=theatre, changes={'username': user.username}
    )
    session.flush()
    return _view(member)


def remove_staff(session: Session, *, actor_id: int, theatre_id: int | None, user_id: int | None) -> None:
    """Take a person off the theatre's door staff; their next scan there is refused."""
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)
    member = session.get(TheatreStaff, (theatre.id, user_id)) if isinstance(user_id, int) else None
    if member is None:
        raise NotFound('That person is not on this theatre’s door staff.')
    username = member.user.username
    session.execute(delete(TheatreStaff).where(TheatreStaff.theatre_id == theatre.id, TheatreStaff.user_id == user_id))
    audit.record(
        session, actor_id=actor_id, action=AuditAction.STAFF_REMOVED, target=theatre, changes={'username': username}
    )
    session.flush()


__all__ = ['StaffView', 'add_staff', 'list_staff', 'remove_staff']
