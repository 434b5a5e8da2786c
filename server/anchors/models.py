"""Daily digests: each day's checkpoints of a project's gates, signed by the server's key, for
others to keep (an inspector's office archive, a regulator's platform)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, IdMixin
from server.db.types import UTCDateTime, utcnow


class DailyDigest(IdMixin, Base):
    """One issued digest: `body` is the exact signed JSON text, never rewritten once issued;
    `prev_sha256` chains each project's digests day after day."""

    __tablename__ = "daily_digest"
    __table_args__ = (UniqueConstraint("project_id", "day"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    day: Mapped[str] = mapped_column(String(10))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    prev_sha256: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    server_key_fingerprint: Mapped[str] = mapped_column(String(16))
