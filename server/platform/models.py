"""The project's platform account and its upload queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
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
    # the gate's WGS84 `lng`/`lat` and the attendance `channel`, sent with each record
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")


class PlatformJob(IdMixin, TimestampMixin, Base):
    """One object to upload. `pending` (due at next_attempt_at), `sent` (the platform took it and
    gave a ticket, to be polled), `uploaded`, `rejected` (the platform's message), `invalid`
    (the local pre-check found what the platform would refuse: checked again each run),
    `waiting` (its team or workers are not on the platform yet), `blocked` (the account is
    refused: signature, permission, IP). Never deleted: the history is the evidence that the
    project reported."""

    __tablename__ = "platform_job"
    __table_args__ = (
        UniqueConstraint("project_id", "kind", "subject_id"),
        Index("ix_platform_job_due", "project_id", "state", "next_attempt_at"),
    )

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))  # service.ORDER
    # the row uploaded: company link, team, assignment, wage sheet; for an attendance batch the
    # highest gate-record id in it (batches never overlap), its records in `items`
    subject_id: Mapped[int] = mapped_column(BigId)
    method: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    request_serial_code: Mapped[str | None] = mapped_column(String(64))
    remote_id: Mapped[str | None] = mapped_column(String(64))  # e.g. the team's teamSysNo
    code: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text, default="")
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    team_id: Mapped[int | None] = mapped_column(BigId)  # an attendance batch's team
    items: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    # of the clear payload last sent: a rejected job whose data changed is sent again
    payload_digest: Mapped[str | None] = mapped_column(String(64))
