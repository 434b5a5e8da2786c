"""The project's platform account and its upload queue."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, IdMixin, TimestampMixin
from server.db.types import UTCDateTime


class PlatformAccount(IdMixin, TimestampMixin, Base):
    """Where the project reports and with which credentials (the secret Fernet-encrypted)."""

    __tablename__ = "platform_account"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), unique=True
    )
    profile: Mapped[str] = mapped_column(String(32), default="national")
    base_url: Mapped[str] = mapped_column(String(255))
    appid: Mapped[str] = mapped_column(String(64))
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PlatformJob(IdMixin, TimestampMixin, Base):
    """One object to upload. `pending` (due at next_attempt_at), `sent` (the platform took it and
    gave a ticket, to be polled), `uploaded`, `rejected` (the platform's message), `blocked`
    (the account is refused: signature, permission, IP). Never deleted: the history is the
    evidence that the project reported."""

    __tablename__ = "platform_job"
    __table_args__ = (
        UniqueConstraint("project_id", "kind", "subject_id"),
        Index("ix_platform_job_due", "project_id", "state", "next_attempt_at"),
    )

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # team / worker
    subject_id: Mapped[int] = mapped_column(BigId)  # team id, assignment id
    method: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    request_serial_code: Mapped[str | None] = mapped_column(String(64))
    remote_id: Mapped[str | None] = mapped_column(String(64))  # e.g. the team's teamSysNo
    code: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
