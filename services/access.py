"""Who may touch which theatre or show: the one place that answers it for every face."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models import Role, Show, Theatre, User
from models.db import get_by_id
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
