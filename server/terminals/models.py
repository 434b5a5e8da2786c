"""A terminal's command queue, the users it holds, and the gaps in its serial numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, IdMixin, TimestampMixin
from server.db.types import UTCDateTime, utcnow


class TerminalCommand(IdMixin, Base):
    """One change for one terminal: `upsert` (user, card, face picture) or `delete`. Queued
    by the roster sync, handed out (ZKTeco getrequest) or sent (ISAPI), and `done` or `failed`
    only on the terminal's own answer."""

    __tablename__ = "terminal_command"
    __table_args__ = (Index("ix_terminal_command_device_state", "device_id", "state", "id"),)

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    worker_id: Mapped[int | None] = mapped_column(BigId)
    pin: Mapped[str] = mapped_column(String(24))
    action: Mapped[str] = mapped_column(String(16))  # upsert / delete
    reason: Mapped[str] = mapped_column(String(32), default="")  # why (left, blocklisted …)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued/sent/done/failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    return_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class TerminalUser(IdMixin, TimestampMixin, Base):
    """A worker as the terminal holds them, by the terminal's own answers: `face` when the
    picture was accepted, `card` for card-only (no face consent). A confirmed removal deletes
    the row and leaves its command `done`."""

    __tablename__ = "terminal_user"
    __table_args__ = (UniqueConstraint("device_id", "pin"),)

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(BigId, index=True)
    pin: Mapped[str] = mapped_column(String(24))
    access: Mapped[str] = mapped_column(String(8))  # face / card
    digest: Mapped[str] = mapped_column(String(64))  # of what was pushed: re-push on change
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class TerminalGap(IdMixin, Base):
    """Serial numbers a terminal skipped: `open`, `filled` by a pull (ISAPI) or `flagged` when
    the terminal no longer has them."""

    __tablename__ = "terminal_gap"
    __table_args__ = (UniqueConstraint("device_id", "from_serial"),)

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"))
    from_serial: Mapped[int] = mapped_column(BigId)
    to_serial: Mapped[int] = mapped_column(BigId)
    state: Mapped[str] = mapped_column(String(16), default="open")
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
