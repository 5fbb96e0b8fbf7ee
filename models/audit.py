"""The audit trail: who did what to which object, and when. Rows are only ever added.

`theatre_id`, `show_id` and `actor_id` are plain integers, not foreign keys: the trail must outlive what it
describes. A cascade would delete a show's history with the show; SET NULL would be an UPDATE (which the trail
refuses) and would lose the very ids a manager's view and the filters select by; RESTRICT would forbid deleting
a show that has any history at all. The name of the object and of the actor are copied in for the same reason.

Append-only is enforced twice: in the ORM (a flush or an ORM UPDATE/DELETE touching an `AuditEvent` raises
`AppendOnly` before anything is sent) and in the database (triggers that refuse UPDATE and DELETE, created with
the table here and by migration 0006), so a stray SQL statement cannot rewrite history either.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, JSON, Index, Integer, String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from models.db import Base, IntPK, Timestamp, enum_column
from models.enums import AuditAction, AuditObject


class AppendOnly(RuntimeError):
    """Something tried to change or delete an audit event."""


class AuditEvent(Base):
    __tablename__ = 'audit_events'
    __table_args__ = (
        Index('ix_audit_events_at', 'at', 'id'),
        Index('ix_audit_events_actor_at', 'actor_username', 'at'),
        Index('ix_audit_events_action_at', 'action', 'at'),
        Index('ix_audit_events_theatre_at', 'theatre_id', 'at'),
        Index('ix_audit_events_show_at', 'show_id', 'at'),
    )

    id: Mapped[IntPK]
    at: Mapped[Timestamp]
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: the system itself
    actor_username: Mapped[str | None] = mapped_column(String(32), nullable=True)  # as it was at the time
    action: Mapped[AuditAction] = enum_column(AuditAction, length=24, constraint='ck_audit_events_action')
    object_type: Mapped[AuditObject] = enum_column(AuditObject, length=10, constraint='ck_audit_events_object_type')
    object_id: Mapped[str] = mapped_column(String(32))  # text: an export's id is 32 hex digits
    object_label: Mapped[str] = mapped_column(String(200), default='')  # its name or reference at the time
    theatre_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    show_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # {field: [old, new]} for a change; a small summary of the new thing for a creation, booking or export.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f'AuditEvent(id={self.id}, action={self.action!r}, {self.object_type}={self.object_id!r})'


# The database's own refusal. A migration keeps its own frozen copy of these statements (0006).
REFUSAL = 'audit_events is append-only: rows cannot be changed or deleted'
SQLITE_TRIGGERS = [
    f'CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events '
    f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    for verb in ('UPDATE', 'DELETE')
]
POSTGRES_TRIGGER = [
    'CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS '
    f"$$ BEGIN RAISE EXCEPTION '{REFUSAL}'; END $$",
    'CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events '
    'FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()',
]
for _statement in SQLITE_TRIGGERS:
    event.listen(AuditEvent.__table__, 'after_create', DDL(_statement).execute_if(dialect='sqlite'))
for _statement in POSTGRES_TRIGGER:
    event.listen(AuditEvent.__table__, 'after_create', DDL(_statement).execute_if(dialect='postgresql'))


@event.listens_for(Session, 'before_flush')
def _refuse_changed_events(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(obj, AuditEvent) for obj in session.deleted):
        raise AppendOnly(REFUSAL)
    if any(isinstance(obj, AuditEvent) and session.is_modified(obj) for obj in session.dirty):
        raise AppendOnly(REFUSAL)


@event.listens_for(Session, 'do_orm_execute')
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ is AuditEvent:
        raise AppendOnly(REFUSAL)
