"""Login sessions and password-reset links: the database is the truth, so a revocation is never undone."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base, IntPK, Timestamp, UTCDateTime, enum_column, fk
from models.enums import SessionKind


class LoginSession(Base):
    """One login. Its id is the SHA-256 of the secret handed out, so this table holds nothing replayable."""

    __tablename__ = 'login_sessions'
    __table_args__ = (Index('ix_login_sessions_browser', 'browser'),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = fk('users.id', ondelete='CASCADE')
    kind: Mapped[SessionKind] = enum_column(SessionKind, length=10, constraint='ck_login_sessions_kind')
    # For a browser session: the SHA-256 of the browser id (NiceGUI's signed `session` cookie) it belongs to.
    # Until `bound`, it is the id of the browser that asked to log in, which alone may complete the login.
    browser: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bound: Mapped[bool] = mapped_column(Boolean, default=False)
    device: Mapped[str] = mapped_column(String(200), default='')
    client: Mapped[str] = mapped_column(String(64), default='')
    created_at: Mapped[Timestamp]
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PasswordReset(Base):
    """A one-time password-reset link: only the SHA-256 of its token is kept."""

    __tablename__ = 'password_resets'

    id: Mapped[IntPK]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = fk('users.id', ondelete='CASCADE')
    created_at: Mapped[Timestamp]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
