"""A worker's objection to a month's days or pay, and the site's reply."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, IdMixin, TimestampMixin
from server.db.types import UTCDateTime


class Objection(IdMixin, TimestampMixin, Base):
    __tablename__ = "objection"
    __table_args__ = (Index("ix_objection_project_status", "project_id", "status"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker.id", ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # YYYY-MM the objection is about
    kind: Mapped[str] = mapped_column(String(16))  # rules.ObjectionKind
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
