"""Retention's records: when a project's wages were settled (the start of its three years), and
per gate how far its chain has been retired, the marker the chain checks start from."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, IdMixin
from server.db.types import UTCDateTime, utcnow


class ProjectSettlement(IdMixin, Base):
    """The day a project's wages were settled: it had ended and its last month's pay was paid
    and reconciled. A person records it (`sitegate retention settle`); the ledger and the gate
    records of the project are kept at least three years from this day."""

    __tablename__ = "project_settlement"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), unique=True
    )
    settled_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RetentionBoundary(IdMixin, Base):
    """A gate's records 1..through_seq were deleted by retention. through_hash is the chain hash
    of the last of them (the prev_hash of the first record kept), so the checks verify the
    remaining chain from here instead of calling the missing start a break."""

    __tablename__ = "retention_boundary"

    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), unique=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    through_seq: Mapped[int] = mapped_column(BigId)
    through_hash: Mapped[str] = mapped_column(String(64))
    through_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    records: Mapped[int] = mapped_column(BigId)  # deleted by retention, all runs
    retired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
