"""Findings per project × month, and their history (resolve/waive only with a comment)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.enums import WarningLevel
from server.db.base import Base, BigId, IdMixin, TimestampMixin
from server.db.types import UTCDateTime, utcnow
from server.registry.models import str_enum


class Finding(IdMixin, TimestampMixin, Base):
    __tablename__ = "finding"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    kind: Mapped[str] = mapped_column(String(32))
    level: Mapped[WarningLevel] = mapped_column(str_enum(WarningLevel, "warning_level"))
    # A stable key (kind + worker/line/device) so re-running reconciliation updates, not duplicates.
    key: Mapped[str] = mapped_column(String(128), index=True)
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("worker.id", ondelete="SET NULL"))
    payroll_line_id: Mapped[int | None] = mapped_column(BigId)
    device_id: Mapped[int | None] = mapped_column(BigId)
    message_zh: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(
        String(16), default="open"
    )  # open / resolved / waived / gone


class FindingEvent(IdMixin, Base):
    __tablename__ = "finding_event"

    finding_id: Mapped[int] = mapped_column(
        ForeignKey("finding.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))  # raised / resolved / waived / reopened / gone
    comment: Mapped[str] = mapped_column(Text, default="")
