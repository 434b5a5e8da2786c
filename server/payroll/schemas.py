"""Payroll API I/O. Money is integer fen; ID numbers and accounts are masked."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from models.enums import WageKind
from server.payroll import service as payroll_service
from server.payroll.models import PayrollImport
from server.payroll.parsers import RowIssue


class RowIssueOut(BaseModel):
    row: int
    column: str | None
    header: str | None
    field: str | None
    code: str
    message_zh: str
    message_en: str

    @classmethod
    def of(cls, issue: RowIssue) -> RowIssueOut:
        return cls.model_validate(payroll_service.issue_dict(issue))


class ImportResultOut(BaseModel):
    import_id: int
    file_name: str
    fingerprint: str
    layout: str
    imported_at: dt.datetime
    row_count: int
    skipped_count: int
    matched_count: int
    periods: list[str]
    skipped: list[RowIssueOut]
    warnings: list[RowIssueOut]

    @classmethod
    def of(cls, r: payroll_service.ImportResult) -> ImportResultOut:
        return cls(
            import_id=r.import_id,
            file_name=r.file_name,
            fingerprint=r.fingerprint,
            layout=r.layout,
            imported_at=r.imported_at,
            row_count=r.row_count,
            skipped_count=r.skipped_count,
            matched_count=r.matched_count,
            periods=list(r.periods),
            skipped=[RowIssueOut.of(i) for i in r.skipped],
            warnings=[RowIssueOut.of(i) for i in r.warnings],
        )


class ImportOut(BaseModel):
    id: int
    project_id: int
    file_name: str
    sha256: str
    layout: str
    imported_at: dt.datetime
    user_id: int | None
    row_count: int
    skipped_count: int

    @classmethod
    def of(cls, r: PayrollImport) -> ImportOut:
        return cls.model_validate(r, from_attributes=True)


class LedgerEntryOut(BaseModel):
    line_id: int
    period: str
    row_no: int
    worker_id: int | None
    worker_name: str | None
    payee_name: str
    id_number_masked: str
    account_masked: str
    bank_name: str
    gross_fen: int | None
    net_fen: int
    days_declared: float | None
    status: str
    paid_on: dt.date | None
    import_id: int
    file_name: str
    imported_at: dt.datetime

    @classmethod
    def of(cls, e: payroll_service.LedgerEntry) -> LedgerEntryOut:
        return cls.model_validate(e, from_attributes=True)


class PaySlipOut(BaseModel):
    project_id: int
    project_code: str
    project_name: str
    worker_id: int
    worker_name: str
    id_number_masked: str
    bank_card_masked: str
    trade: str
    period: str
    wage_kind: WageKind
    rate_fen: int
    attended_days: float
    hours: float
    corrected_days: int
    expected_fen: int | None
    gross_fen: int | None
    net_fen: int
    difference_fen: int | None
    pay_day: dt.date
    status: str
    payments: list[LedgerEntryOut]

    @classmethod
    def of(cls, s: payroll_service.PaySlip) -> PaySlipOut:
        return cls(
            project_id=s.project_id,
            project_code=s.project_code,
            project_name=s.project_name,
            worker_id=s.worker_id,
            worker_name=s.worker_name,
            id_number_masked=s.id_number_masked,
            bank_card_masked=s.bank_card_masked,
            trade=s.trade,
            period=s.period,
            wage_kind=s.wage_kind,
            rate_fen=s.rate_fen,
            attended_days=s.attended_days,
            hours=s.hours,
            corrected_days=s.corrected_days,
            expected_fen=s.expected_fen,
            gross_fen=s.gross_fen,
            net_fen=s.net_fen,
            difference_fen=s.difference_fen,
            pay_day=s.pay_day,
            status=s.status.value,
            payments=[LedgerEntryOut.of(p) for p in s.payments],
        )
