"""Manual attendance corrections (补卡): they count, carry a reason and an author, and show.

A correction to a month already closed (reconciled, paid, or its wage sheet locked:
server/rosters/closing.py) waits as "pending", counting nowhere, until a second person of the
project approves it; then the month's stored reconciliation is marked stale."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.enums import Direction
from server.db.base import Base, IdMixin, TimestampMixin
from server.db.types import UTCDateTime
from server.registry.models import str_enum


class AttendanceCorrection(IdMixin, TimestampMixin, Base):
    __tablename__ = "attendance_correction"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, "direction"))
    reason: Mapped[str] = mapped_column(String(256))
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # effective: counts (its month was open) · pending: waits for a second person (closed
    # month) · approved: counts, since that approval · rejected: never counts.
    status: Mapped[str] = mapped_column(String(16), default="effective", server_default="effective")
    closed_reason: Mapped[str | None] = mapped_column(String(32))  # closing.CLOSED_REASONS key
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
