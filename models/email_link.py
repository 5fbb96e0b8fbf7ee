"""One-time links sent to an address to prove it is the person's: verifying a new account's address, or
confirming a change of address. Only the SHA-256 of a link's token is kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base, IntPK, Timestamp, UTCDateTime, enum_column, fk
from models.enums import EmailLinkPurpose


class EmailLink(Base):
    """A link sent to `email`. A verification proves the account's address only while it still is that address;
    a change makes `email` the account's address. Used once (`used_at`), or never after `expires_at`."""

    __tablename__ = 'email_links'

    id: Mapped[IntPK]
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = fk('users.id', ondelete='CASCADE')
    purpose: Mapped[EmailLinkPurpose] = enum_column(EmailLinkPurpose, length=10, constraint='ck_email_links_purpose')
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[Timestamp]
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


__all__ = ['EmailLink']
