"""Who may touch which theatre or show: the one place that answers it for every face."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import Role, Show, Theatre, TheatreStaff, User
from models.db import get_by_id, is_valid_id
from models.show import show_alone
from services.auth import require_role
from services.errors import NotFound


def managed_theatre(session: Session, actor: User, theatre_id: int | None) -> Theatre:
    """The theatre if `actor` may manage it; a foreign one is reported as missing, not as forbidden."""
    require_role(actor, Role.MANAGER, Role.ADMIN, action='manage theatres')
    theatre = get_by_id(session, Theatre, theatre_id)
    if theatre is None or (actor.role != Role.ADMIN and theatre.owner_id != actor.id):
        raise NotFound('No such theatre.')
    return theatre


def managed_show(session: Session, actor: User, show_id: int | None) -> Show:
    require_role(actor, Role.MANAGER, Role.ADMIN, action='manage shows')
    show = get_by_id(session, Show, show_id)
    if show is None or (actor.role != Role.ADMIN and show.theatre.owner_id != actor.id):
        raise NotFound('No such show.')
    return show


def is_door_staff(session: Session, actor: User, theatre_id: int) -> bool:
    return session.get(TheatreStaff, (theatre_id, actor.id)) is not None


def may_work_door(session: Session, actor: User, theatre: Theatre) -> bool:
    """Admins, the theatre's manager and its door staff may check tickets in at it."""
    return (
        actor.role == Role.ADMIN
        or (actor.role == Role.MANAGER and theatre.owner_id == actor.id)
        or is_door_staff(session, actor, theatre.id)
    )


def door_show(session: Session, actor: User, show_id: int | None) -> Show:
    """The show if `actor` may check tickets in for it; any other show is reported as missing."""
    # The show with its theatre in one query (every scan at the door asks this), their tags, prices and seat map
    # left to load if something asks for them.
    options = [joinedload(Show.theatre).lazyload(Theatre.seat_map), *show_alone()]
    show = session.get(Show, show_id, options=options) if is_valid_id(show_id) else None
    if show is None or not may_work_door(session, actor, show.theatre):
        raise NotFound('No such show.')
    return show


def door_theatre_ids(session: Session, actor: User) -> list[int] | None:
    """The theatres whose door `actor` may work; None means every theatre (an admin)."""
    if actor.role == Role.ADMIN:
        return None
    staffed = select(TheatreStaff.theatre_id).where(TheatreStaff.user_id == actor.id)
    owned = select(Theatre.id).where(Theatre.owner_id == actor.id) if actor.role == Role.MANAGER else None
    query = staffed.union(owned) if owned is not None else staffed
    return sorted(session.scalars(query))


def works_a_door(session: Session, actor: User) -> bool:
    """Whether `actor` may check tickets in anywhere (the check-in page's place in the menu)."""
    return (
        actor.role in (Role.ADMIN, Role.MANAGER)
        or session.scalar(select(TheatreStaff.theatre_id).where(TheatreStaff.user_id == actor.id).limit(1)) is not None
    )
