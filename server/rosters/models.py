"""Manual attendance corrections (补卡): they count, carry a reason and an author, and show."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String
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
