"""The audit trail: `record` an event in the caller's transaction, read the `trail` a page at a time.

An event is added to the caller's session, so it commits with the change it describes and a rolled-back
change leaves none. Admins read every event; a manager reads the events of the theatres they own now (and
their own actions, so the deletion of a theatre of theirs stays visible); audience members read none.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from models import AuditAction, AuditEvent, AuditObject, Booking, ExportJob, ExportKind, Role, Show, Theatre, User
from models.db import MAX_ID, utcnow
from services.access import managed_theatre
from services.auth import USERNAME_PATTERN, load_actor, require_role
from services.config import get_settings
from services.errors import Invalid
from services.formats import money, theatre_tz, when
from services.validation import Checker

PAGE_SIZE = 25
FIRST_DAY, LAST_DAY = dt.date(1970, 1, 1), dt.date(2999, 12, 31)  # the range the date filters accept
SHOW_FIELDS = ('name', 'rating', 'tags', 'price_cents', 'num_tickets', 'starts_at')
THEATRE_FIELDS = ('name', 'place', 'capacity')
# Never written into the trail: the trail is read by more people than the secrets' owners.
_SECRET_FIELD = re.compile(r'password|token|hash|secret|code', re.IGNORECASE)
# Events whose `changes` are {field: [old, new]}; the others carry a summary {field: value}.
DIFF_ACTIONS = frozenset(
    {AuditAction.SHOW_CHANGED, AuditAction.THEATRE_CHANGED, AuditAction.ACCOUNT_DISABLED, AuditAction.ACCOUNT_ENABLED}
)
ACTION_LABELS = {
    AuditAction.BOOKING_CREATED: 'Booked',
    AuditAction.BOOKING_CANCELLED: 'Cancelled a booking',
    AuditAction.SHOW_CREATED: 'Added a show',
    AuditAction.SHOW_CHANGED: 'Changed a show',
    AuditAction.SHOW_DELETED: 'Deleted a show',
    AuditAction.THEATRE_CREATED: 'Added a theatre',
    AuditAction.THEATRE_CHANGED: 'Changed a theatre',
    AuditAction.THEATRE_DELETED: 'Deleted a theatre',
    AuditAction.ACCOUNT_DISABLED: 'Disabled an account',
    AuditAction.ACCOUNT_ENABLED: 'Enabled an account',
    AuditAction.LOGIN_LIMITS_LIFTED: 'Lifted login limits',
    AuditAction.EXPORT_REQUESTED: 'Exported personal data',
    AuditAction.STAFF_ADDED: 'Added door staff',
    AuditAction.STAFF_REMOVED: 'Removed door staff',
    AuditAction.CHECKIN_UNDONE: 'Undid a check-in',
    AuditAction.SEATMAP_CHANGED: 'Changed a seat map',
    AuditAction.HOUSE_SEATS_CHANGED: 'Kept seats back',
    AuditAction.SHOW_CANCELLED: 'Cancelled a performance',
    AuditAction.EMAIL_CHANGED: 'Changed their email address',
    AuditAction.ACCOUNT_DELETED: 'Deleted their account',
}
FIELD_LABELS = {
    'price_cents': 'price',
    'num_tickets': 'tickets offered',
    'starts_at': 'starts',
    'is_active': 'active',
    'total_cents': 'total',
    'kind': 'export of',
    'ticket_id': 'ticket',
    'duration_minutes': 'duration (minutes)',
    'timezone': 'time zone',
}

Audited = Booking | Show | Theatre | User | ExportJob


@dataclass(frozen=True)
class _Subject:
    kind: AuditObject
    id: str
    label: str
    theatre_id: int | None
    show_id: int | None


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: AuditAction,
    target: Audited,
    changes: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Add one event to the caller's transaction. `actor_id` None is the system; without `changes` a summary
    of `target` is kept (its fields for a show or theatre, seats and money for a booking)."""
    actor = session.get(User, actor_id) if actor_id is not None else None
    subject = _subject(session, target)
    kept = _plain(dict(changes) if changes is not None else _summary(target))
    secret = [name for name in kept if _SECRET_FIELD.search(name)]
    if secret:
        raise ValueError(f'the audit trail never keeps secrets: {", ".join(secret)}')
    event = AuditEvent(
        at=at or utcnow(),
        actor_id=actor_id,
        actor_username=actor.username if actor is not None else None,
        action=action,
        object_type=subject.kind,
        object_id=subject.id,
        object_label=subject.label[:200],
        theatre_id=subject.theatre_id,
        show_id=subject.show_id,
        changes=kept,
    )
    session.add(event)
    return event


def fields_of(thing: object, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of a model (or of the checked values about to be written): a before/after snapshot."""
    return {name: _plain(getattr(thing, name)) for name in names}


def record_change(
    session: Session, *, actor_id: int, action: AuditAction, target: Show | Theatre, before: Mapping[str, Any]
) -> AuditEvent | None:
    """Record what changed since `before` (a `fields_of` snapshot), field by field as [old, new]; a save that
    changed nothing is no event."""
    after = fields_of(target, before)
    changed = {name: [before[name], after[name]] for name in before if before[name] != after[name]}
    if not changed:
        return None
    return record(session, actor_id=actor_id, action=action, target=target, changes=changed)


def _subject(session: Session, target: Audited) -> _Subject:
    if isinstance(target, Booking):
        return _Subject(
            AuditObject.BOOKING, str(target.id), target.reference, _theatre_of(session, target.show_id), target.show_id
        )
    if isinstance(target, Show):
        return _Subject(AuditObject.SHOW, str(target.id), target.name, target.theatre_id, target.id)
    if isinstance(target, Theatre):
        return _Subject(AuditObject.THEATRE, str(target.id), target.name, target.id, None)
    if isinstance(target, User):
        return _Subject(AuditObject.USER, str(target.id), target.username, None, None)
    show_id = target.target_id if target.kind == ExportKind.SHOW else None
    theatre_id = target.target_id if target.kind == ExportKind.THEATRE else None
    if show_id is not None:
        theatre_id = _theatre_of(session, show_id)
    return _Subject(AuditObject.EXPORT, target.id, target.title, theatre_id, show_id)


def _theatre_of(session: Session, show_id: int) -> int | None:
    """The show's theatre: the services that record have the show loaded already, so this is usually no query."""
    show = session.get(Show, show_id)
    return show.theatre_id if show is not None else None


def _summary(target: Audited) -> dict[str, Any]:
    if isinstance(target, Booking):
        return {'tickets': target.booked_tickets, 'price_cents': target.price_cents, 'total_cents': target.total_cents}
    if isinstance(target, Show):
        return fields_of(target, SHOW_FIELDS)
    if isinstance(target, Theatre):
        return fields_of(target, THEATRE_FIELDS)
    if isinstance(target, ExportJob):
        return {'kind': target.kind, 'format': target.format}
    return {}


def _plain(value: Any) -> Any:
    """A value JSON keeps as it is: times as ISO text (UTC), enum members as their values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


# --- reading -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor_username: str | None
    action: str
    object_type: str
    object_id: str
    object_label: str
    theatre_id: int | None
    show_id: int | None
    changes: dict[str, Any]
    theatre_timezone: str | None = None  # the theatre's zone: a show's start in the changes reads in it

    @property
    def who(self) -> str:
        return self.actor_username or 'system'

    @property
    def what(self) -> str:
        return ACTION_LABELS.get(AuditAction(self.action), self.action)

    @property
    def subject(self) -> str:
        return f'{self.object_type} #{self.object_id}' + (f' · {self.object_label}' if self.object_label else '')

    @property
    def details(self) -> str:
        """The changes as a person reads them: 'price: ₹250 → ₹300; tickets offered: 50 → 60'."""
        diff = self.action in DIFF_ACTIONS
        tz = theatre_tz(self.theatre_timezone)
        parts = []
        for name, value in self.changes.items():
            if diff and isinstance(value, list) and len(value) == 2:
                parts.append(f'{_label(name)}: {_readable(name, value[0], tz)} → {_readable(name, value[1], tz)}')
            else:
                parts.append(f'{_label(name)}: {_readable(name, value, tz)}')
        return '; '.join(parts)

    @classmethod
    def of(cls, row: AuditEvent, theatre_timezone: str | None = None) -> AuditEntry:
        return cls(
            id=row.id,
            at=row.at,
            actor_username=row.actor_username,
            action=row.action,
            object_type=row.object_type,
            object_id=row.object_id,
            object_label=row.object_label,
            theatre_id=row.theatre_id,
            show_id=row.show_id,
            changes=dict(row.changes or {}),
            theatre_timezone=theatre_timezone,
        )


def _label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace('_', ' '))


def _readable(name: str, value: Any, tz: dt.tzinfo | None = None) -> str:
    if value is None:
        return '—'
    if name.endswith('_cents') and isinstance(value, int):
        return money(value)
    if name.endswith('_at') and isinstance(value, str):
        try:
            return when(dt.datetime.fromisoformat(value), tz)
        except ValueError:
            return value
    if isinstance(value, bool):
        return 'yes' if value else 'no'
    if isinstance(value, list):
        return ', '.join(str(v) for v in value) or '(none)'
    return str(value)


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class _Filters:
    person: str
    theatre_id: int | None
    show_id: int | None
    action: AuditAction | None
    since: dt.datetime | None
    until: dt.datetime | None


def trail(
    session: Session,
    *,
    actor_id: int,
    person: str | None = None,
    theatre_id: int | str | None = None,
    show_id: int | str | None = None,
    action: str | None = None,
    date_from: str | dt.date | None = None,
    date_to: str | dt.date | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> AuditPage:
    """The events the actor may see, newest first, filtered by who (username), theatre, show, kind and days
    (from and to, both included, in the app's time zone)."""
    actor = load_actor(session, actor_id)
    require_role(actor, Role.MANAGER, Role.ADMIN, action='see the audit trail')
    filters = _check_filters(person, theatre_id, show_id, action, date_from, date_to)
    if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= MAX_ID:
        raise Invalid({'page': 'page must be a whole number from 1.'})
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 100:
        raise Invalid({'page_size': 'page_size must be 1–100.'})
    query = _filtered(select(AuditEvent), actor, filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(page_size).offset((page - 1) * page_size)
    ).all()
    theatres = {row.theatre_id for row in rows if row.theatre_id is not None}
    zones: dict[int, str | None] = {}
    if theatres:  # one query for the page's theatres (a deleted one reads in the app's zone)
        zones = {
            tid: zone
            for tid, zone in session.execute(select(Theatre.id, Theatre.timezone).where(Theatre.id.in_(theatres)))
        }
    return AuditPage(
        items=[AuditEntry.of(row, zones.get(row.theatre_id) if row.theatre_id else None) for row in rows],
        total=total,
        page=page,
        pages=max(1, math.ceil(total / page_size)),
    )


def _check_filters(
    person: str | None,
    theatre_id: int | str | None,
    show_id: int | str | None,
    action: str | None,
    date_from: str | dt.date | None,
    date_to: str | dt.date | None,
) -> _Filters:
    check = Checker()
    who = person.strip().lower() if isinstance(person, str) else ''
    if person is not None and not isinstance(person, str):
        check.fail('person', 'Person must be text.')
    elif who and not USERNAME_PATTERN.fullmatch(who):
        check.fail('person', 'Enter a username: 3–32 letters, digits, dots, dashes or underscores.')
    theatre = _optional_id(check, 'theatre_id', theatre_id, label='Theatre')
    show = _optional_id(check, 'show_id', show_id, label='Show')
    kind = None
    if action not in (None, ''):
        if action in set(AuditAction):
            kind = AuditAction(str(action))
        else:
            check.fail('action', 'Choose a kind of event from the list.')
    first = _day(check, 'date_from', date_from)
    last = _day(check, 'date_to', date_to)
    if first is not None and last is not None and last < first:
        check.fail('date_to', 'The end date must not be before the start date.')
    check.done()
    tz = get_settings().tz
    return _Filters(
        person=who,
        theatre_id=theatre,
        show_id=show,
        action=kind,
        since=dt.datetime.combine(first, dt.time(), tzinfo=tz) if first else None,
        until=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz) if last else None,
    )


def _optional_id(check: Checker, field: str, value: int | str | None, *, label: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check.integer(field, value, label=label, low=1, high=MAX_ID) or None


def _day(check: Checker, field: str, value: str | dt.date | None) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            check.fail(field, 'Enter a date like 2026-12-24.')
            return None
    if not isinstance(value, dt.date):
        check.fail(field, 'Enter a date like 2026-12-24.')
        return None
    if not FIRST_DAY <= value <= LAST_DAY:  # and the day after the last one, in any zone, is still a datetime
        check.fail(field, f'Enter a date from {FIRST_DAY.year} to {LAST_DAY.year}.')
        return None
    return value


def _filtered(query: Select[AuditEvent], actor: User, filters: _Filters) -> Select[AuditEvent]:
    if actor.role != Role.ADMIN:
        owned = select(Theatre.id).where(Theatre.owner_id == actor.id)
        query = query.where(or_(AuditEvent.theatre_id.in_(owned), AuditEvent.actor_id == actor.id))
    if filters.person:
        query = query.where(AuditEvent.actor_username == filters.person)
    if filters.theatre_id is not None:
        query = query.where(AuditEvent.theatre_id == filters.theatre_id)
    if filters.show_id is not None:
        query = query.where(AuditEvent.show_id == filters.show_id)
    if filters.action is not None:
        query = query.where(AuditEvent.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    return query


def theatre_choices(session: Session, *, actor_id: int) -> list[tuple[int, str]]:
    """The theatres the actor may filter the trail by: every one for an admin, their own for a manager."""
    actor = load_actor(session, actor_id)
    require_role(actor, Role.MANAGER, Role.ADMIN, action='see the audit trail')
    query = select(Theatre.id, Theatre.name).order_by(Theatre.name, Theatre.id)
    if actor.role != Role.ADMIN:
        query = query.where(Theatre.owner_id == actor.id)
    return [(theatre_id, name) for theatre_id, name in session.execute(query)]


def show_choices(session: Session, *, actor_id: int, theatre_id: int) -> list[tuple[int, str]]:
    """The shows of one theatre the actor manages, latest first, to filter the trail by."""
    theatre = managed_theatre(session, load_actor(session, actor_id), theatre_id)
    rows = session.execute(
        select(Show.id, Show.name, Show.starts_at)
        .where(Show.theatre_id == theatre.id)
        .order_by(Show.starts_at.desc(), Show.id)
    )
    tz = theatre_tz(theatre.timezone)
    return [(show_id, f'{name} · {when(starts_at, tz)}') for show_id, name, starts_at in rows]
