"""The wage-protection records of a project (保障农民工工资支付条例): the wage account (Art. 26),
the wage deposit (Art. 32), the payment guarantee (Art. 24), the labour officer (Art. 28), each
worker's labour contract, and the wage account's imported statement (专户流水).

Money is integer fen. Dates end in `_on`. The wage account mirrors its number into
Project.wage_account_no, which the payroll reconciliation and wage sheets already read.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, BigId, IdMixin, TimestampMixin
from server.db.types import UTCDateTime, utcnow


class WageAccount(IdMixin, TimestampMixin, Base):
    """农民工工资专用账户: one per project, opened by the general contractor (Art. 26)."""

    __tablename__ = "wage_account"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), unique=True
    )
    bank_name: Mapped[str] = mapped_column(String(128))
    account_no: Mapped[str] = mapped_column(String(32))  # digits
    account_name: Mapped[str] = mapped_column(String(128))  # 户名
    opened_on: Mapped[dt.date | None] = mapped_column(Date)
    # 三方协议 (owner, general contractor, bank); None = not signed
    tripartite_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    # 建设单位: its transfers into the account are the labour cost (人工费用) allocated (Art. 29)
    owner_name: Mapped[str] = mapped_column(String(128), default="")
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class WageDeposit(IdMixin, TimestampMixin, Base):
    """工资保证金 (Art. 32): cash, a bank guarantee or a guarantee insurance."""

    __tablename__ = "wage_deposit"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    form: Mapped[str] = mapped_column(String(16))  # rules.DepositForm
    amount_fen: Mapped[int] = mapped_column(BigId)
    contract_price_fen: Mapped[int | None] = mapped_column(BigId)  # the share is computed
    paid_on: Mapped[dt.date] = mapped_column(Date)
    released_on: Mapped[dt.date | None] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(64), default="")  # 保函/保单 number
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class PaymentGuarantee(IdMixin, TimestampMixin, Base):
    """工程款支付担保 (Art. 24): the owner's guarantee of paying the works."""

    __tablename__ = "payment_guarantee"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    form: Mapped[str] = mapped_column(String(16))  # rules.GuaranteeForm
    amount_fen: Mapped[int] = mapped_column(BigId)
    issuer: Mapped[str] = mapped_column(String(128))
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class LabourOfficer(IdMixin, TimestampMixin, Base):
    """劳资专管员 (Art. 28). History is kept: appointing one ends the previous one's term."""

    __tablename__ = "labour_officer"
    __table_args__ = (Index("ix_labour_officer_project_appointed", "project_id", "appointed_on"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(24))
    appointed_on: Mapped[dt.date] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)  # None = current
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class LabourContract(IdMixin, TimestampMixin, Base):
    """劳动合同 or 用工书面协议 of one assignment; recording it sets
    Assignment.contract_signed_on, which the gate rule and the roster sync read."""

    __tablename__ = "labour_contract"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignment.id", ondelete="CASCADE"), unique=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))  # rules.ContractKind
    code: Mapped[str] = mapped_column(String(64), default="")
    signed_on: Mapped[dt.date] = mapped_column(Date)
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)  # None = open-ended / until done
    pay_unit: Mapped[str] = mapped_column(String(16))  # rules.PayUnit
    unit_price_fen: Mapped[int] = mapped_column(BigId)
    scan: Mapped[bytes | None] = mapped_column(LargeBinary)
    scan_type: Mapped[str] = mapped_column(String(32), default="")  # image/png, application/pdf
    scan_sha256: Mapped[str] = mapped_column(String(64), default="")
    updated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class WageStatement(IdMixin, Base):
    """One imported 专户流水 file."""

    __tablename__ = "wage_statement"
    __table_args__ = (UniqueConstraint("project_id", "sha256"),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(256))
    sha256: Mapped[str] = mapped_column(String(64))
    first_on: Mapped[dt.date] = mapped_column(Date)
    last_on: Mapped[dt.date] = mapped_column(Date)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    new_count: Mapped[int] = mapped_column(Integer, default=0)  # rows not in an earlier import
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))


class WageStatementLine(IdMixin, Base):
    """One booking on the wage account. `fingerprint` is the booking's identity across
    imports (date, amount, balance, counterparty, summary, occurrence), so a statement that
    overlaps an earlier one adds only the bookings not yet stored."""

    __tablename__ = "wage_statement_line"
    __table_args__ = (
        UniqueConstraint("project_id", "fingerprint"),
        Index("ix_wage_statement_line_project_booked", "project_id", "booked_on"),
    )

    statement_id: Mapped[int] = mapped_column(
        ForeignKey("wage_statement.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    row_no: Mapped[int] = mapped_column(Integer)
    booked_on: Mapped[dt.date] = mapped_column(Date)
    amount_fen: Mapped[int] = mapped_column(BigId)  # + into the account, - out of it
    balance_fen: Mapped[int | None] = mapped_column(BigId)  # after the booking; None = not given
    counterparty_name: Mapped[str] = mapped_column(String(128), default="")
    counterparty_account: Mapped[str] = mapped_column(String(40), default="")
    summary: Mapped[str] = mapped_column(String(256), default="")
    kind: Mapped[str] = mapped_column(String(16))  # rules.LineKind
    fingerprint: Mapped[str] = mapped_column(String(64))
