"""欠薪线索 and their history: every filing, assignment, move and reopen is an event row."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, IdMixin, TimestampMixin
from server.db.types import UTCDateTime


class Complaint(IdMixin, TimestampMixin, Base):
    __tablename__ = "complaint"
    __table_args__ = (Index("ix_complaint_project_status", "project_id", "status"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    # None when an inspector enters one for someone not registered: then the person_* fields.
    worker_id: Mapped[int | None] = mapped_column(
        ForeignKey("worker.id", ondelete="SET NULL"), index=True
    )
    person_name: Mapped[str] = mapped_column(String(64), default="")
    person_phone: Mapped[str] = mapped_column(String(24), default="")
    person_id_number: Mapped[str] = mapped_column(String(18), default="")
    source: Mapped[str] = mapped_column(String(16))  # rules.Source
    channel: Mapped[str] = mapped_column(String(16))  # rules.Channel
    periods: Mapped[str] = mapped_column(String(200))  # "2026-01,2026-02"
    amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    against: Mapped[str] = mapped_column(String(128), default="")
    text: Mapped[str] = mapped_column(Text)
    owner_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    filed_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="received")  # rules.Status
    closing_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ComplaintEvent(IdMixin, Base):
    __tablename__ = "complaint_event"

    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(16))  # rules.EventKind
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    author_name: Mapped[str] = mapped_column(String(64), default="")  # kept if the account goes
    from_status: Mapped[str] = mapped_column(String(16), default="")
    to_status: Mapped[str] = mapped_column(String(16), default="")
    note: Mapped[str] = mapped_column(Text, default="")
