"""Findings per project × month, and their history (resolve/waive only with a comment)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
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


class ReconMonthState(IdMixin, TimestampMixin, Base):
    """A project × month's reconciliation bookkeeping: when it last ran, and whether figures it
    rests on changed since (an approved correction to the closed month, a wage sheet line):
    then its stored findings are stale until it is run again."""

    __tablename__ = "recon_month_state"
    __table_args__ = (UniqueConstraint("project_id", "period"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    stale_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # None: not stale
    stale_reason: Mapped[str] = mapped_column(Text, default="")  # zh / en, the latest change
