"""Imported bank disbursement (代发) result files and their lines: the payroll ledger's source."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, IdMixin
from server.db.types import UTCDateTime, utcnow


class PayrollImport(IdMixin, Base):
    __tablename__ = "payroll_import"
    __table_args__ = (UniqueConstraint("project_id", "sha256"),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(String(64))
    layout: Mapped[str] = mapped_column(String(64), default="canonical")
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, default=0)


class PayrollLine(IdMixin, Base):
    __tablename__ = "payroll_line"

    import_id: Mapped[int] = mapped_column(
        ForeignKey("payroll_import.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM the wage belongs to
    row_no: Mapped[int] = mapped_column(Integer)
    payee_name: Mapped[str] = mapped_column(String(64))
    payee_id_number: Mapped[str] = mapped_column(String(18), index=True)
    account_no: Mapped[str] = mapped_column(String(19))
    bank_name: Mapped[str] = mapped_column(String(64), default="")
    gross_fen: Mapped[int | None] = mapped_column(BigId)
    net_fen: Mapped[int] = mapped_column(BigId)
    days_declared: Mapped[float | None] = mapped_column(Float)
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # success / failed / returned
    # The account the bank paid from (付款账号), digits ("*" where the bank masked some); None
    # when the file does not say. Reconciliation compares it with Project.wage_account_no.
    payer_account_no: Mapped[str | None] = mapped_column(String(32))
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("worker.id", ondelete="SET NULL"))
