"""The wage sheet (工资支付表) per project × employing company × month (optionally a team), its
lines, their items, and every step each line went through (sent, confirmed, disputed …).

Lines keep a snapshot of what was paid against: the worker's registered card at build time, the
wage terms, the month's days and hours. A line's `shown_hash` is SHA-256 of exactly what the
worker is shown (server/wages/rules.py); a confirmation records the hash it confirmed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, IdMixin, TimestampMixin
from server.db.types import UTCDateTime, utcnow


class WageSheet(IdMixin, TimestampMixin, Base):
    __tablename__ = "wage_sheet"
    # One sheet per project × company × month × team ("" for the whole company).
    __table_args__ = (UniqueConstraint("project_id", "company_id", "period", "team_key"),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="RESTRICT"), index=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="RESTRICT"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    team_key: Mapped[str] = mapped_column(String(16), default="")  # str(team_id) or ""
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM
    state: Mapped[str] = mapped_column(String(16), default="draft")  # rules.SheetState
    # The paying account: the project's wage account when the sheet was built (总包代发).
    payer_name: Mapped[str] = mapped_column(String(128), default="")
    payer_bank: Mapped[str] = mapped_column(String(128), default="")
    payer_account: Mapped[str] = mapped_column(String(32), default="")
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    locked_by: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    lock_reason: Mapped[str | None] = mapped_column(Text)  # set when locked with lines unsettled
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    net_total_fen: Mapped[int] = mapped_column(BigId, default=0)


class WageLine(IdMixin, TimestampMixin, Base):
    __tablename__ = "wage_line"
    __table_args__ = (UniqueConstraint("sheet_id", "worker_id"),)

    sheet_id: Mapped[int] = mapped_column(
        ForeignKey("wage_sheet.id", ondelete="RESTRICT"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="RESTRICT"))
    period: Mapped[str] = mapped_column(String(7))
    worker_id: Mapped[int] = mapped_column(ForeignKey("worker.id", ondelete="RESTRICT"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("assignment.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(64))
    id_number: Mapped[str] = mapped_column(String(18))
    phone: Mapped[str] = mapped_column(String(20), default="")
    team_name: Mapped[str] = mapped_column(String(64), default="")
    trade: Mapped[str] = mapped_column(String(32), default="")
    bank_card: Mapped[str] = mapped_column(String(19), default="")  # the worker's registered card
    bank_name: Mapped[str] = mapped_column(String(64), default="")
    wage_kind: Mapped[str] = mapped_column(String(16))
    rate_fen: Mapped[int] = mapped_column(BigId, default=0)
    half_days: Mapped[int] = mapped_column(Integer, default=0)  # attended days × 2 (exact)
    seconds: Mapped[int] = mapped_column(BigId, default=0)  # hours on site × 3600
    corrected_days: Mapped[int] = mapped_column(Integer, default=0)
    day_marks: Mapped[str] = mapped_column(String(31), default="")  # one mark per calendar day
    base_fen: Mapped[int] = mapped_column(BigId, default=0)
    piece_fen: Mapped[int] = mapped_column(BigId, default=0)
    additions_fen: Mapped[int] = mapped_column(BigId, default=0)
    deductions_fen: Mapped[int] = mapped_column(BigId, default=0)
    gross_fen: Mapped[int] = mapped_column(BigId, default=0)
    net_fen: Mapped[int] = mapped_column(BigId, default=0)
    state: Mapped[str] = mapped_column(String(16), default="draft")  # rules.LineState
    version: Mapped[int] = mapped_column(Integer, default=1)
    shown_hash: Mapped[str] = mapped_column(String(64), default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    confirmed_hash: Mapped[str | None] = mapped_column(String(64))
    confirmed_via: Mapped[str | None] = mapped_column(String(16))  # web / device
    confirmed_device: Mapped[str | None] = mapped_column(String(64))  # device code
    confirmed_seq: Mapped[int | None] = mapped_column(BigId)  # the record in that device's chain
    # Set when a later change (an approved 补卡) altered the month's figures under this line.
    stale: Mapped[bool] = mapped_column(Boolean, default=False)


class WageItem(IdMixin, TimestampMixin, Base):
    __tablename__ = "wage_item"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("wage_line.id", ondelete="RESTRICT"), index=True
    )
    category: Mapped[str] = mapped_column(String(24))  # rules.ItemCategory
    reason: Mapped[str] = mapped_column(String(256))
    amount_fen: Mapped[int] = mapped_column(BigId)
    quantity: Mapped[str | None] = mapped_column(String(24))  # Decimal text (piece work)
    unit: Mapped[str] = mapped_column(String(16), default="")
    unit_price_fen: Mapped[int | None] = mapped_column(BigId)
    author_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class WageLineEvent(IdMixin, Base):
    """The line's history: nothing is overwritten without a trace."""

    __tablename__ = "wage_line_event"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("wage_line.id", ondelete="RESTRICT"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    action: Mapped[str] = mapped_column(String(16))  # rules.LineAction, or "lock"
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    line_hash: Mapped[str] = mapped_column(String(64), default="")
    via: Mapped[str] = mapped_column(String(16), default="web")  # web / device / cli
    device_code: Mapped[str | None] = mapped_column(String(64))
    device_seq: Mapped[int | None] = mapped_column(BigId)
    comment: Mapped[str] = mapped_column(Text, default="")
    claimed_days: Mapped[str | None] = mapped_column(String(8))  # a dispute's claim
    claimed_net_fen: Mapped[int | None] = mapped_column(BigId)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# The three-year guard goes wherever these tables do (every process that loads the schema).
from server.wages import retention as _retention  # noqa: E402, F401
