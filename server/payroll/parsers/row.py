"""What a parsed payroll file yields: canonical fields, rows, and row/column issues."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from models.money import Fen


class TransferStatus(StrEnum):
    SUCCESS = "success"  # 成功
    FAILED = "failed"  # 失败
    RETURNED = "returned"  # 退汇 / 退票


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str  # canonical English header, also the attribute on PayrollRow
    header_zh: str  # canonical Chinese header
    required: bool  # the column must be present (a layout may supply a default instead)
    label_en: str
    aliases: tuple[str, ...] = ()  # more headers the canonical template accepts


# The canonical template, in column order.
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", "姓名", True, "name"),
    FieldSpec("id_number", "身份证号", False, "ID number"),
    FieldSpec("bank_card", "银行卡号", True, "bank card number"),
    FieldSpec("bank", "开户银行", False, "bank"),
    FieldSpec("gross_amount", "应发金额", False, "gross amount (yuan)"),
    FieldSpec("net_amount", "实发金额", True, "net amount (yuan)"),
    FieldSpec("days", "出勤天数", False, "days worked"),
    FieldSpec("period", "工资所属期", True, "wage period (YYYY-MM)"),
    FieldSpec("paid_on", "发放日期", False, "paid on (date)"),
    FieldSpec("status", "发放状态", True, "status"),
    # The account the wages were paid from: it must be the project's wage account (专用账户).
    # Banks often print it once above the header ("付款账号: …") rather than per row.
    FieldSpec("payer_account", "付款账号", False, "payer account", ("付款账户", "付款人账号")),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}


@dataclass(frozen=True, slots=True)
class PayrollRow:
    """One valid disbursement line, amounts in fen, period as "YYYY-MM"."""

    row_number: int  # as Excel shows it (header = row 1 in the canonical template)
    name: str
    id_number: str | None
    bank_card: str
    bank: str | None
    gross_fen: Fen | None
    net_fen: Fen
    days: float | None
    period: str
    paid_on: dt.date | None
    status: TransferStatus
    payer_account: str | None = None  # digits, "*" where the bank masked them; None = unknown


@dataclass(frozen=True, slots=True)
class RowIssue:
    """An error (row rejected) or a warning (row kept) at a row and column of the user's file."""

    row: int  # Excel row number; the header row for file-level problems
    column: str | None  # Excel column letter ("C"), None when it concerns the whole row/file
    header: str | None  # the header text in the user's file (or the canonical one if missing)
    field: str | None  # canonical field name
    code: str  # stable, e.g. "payroll.bad_id_number"
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        where_zh = f"第 {self.row} 行"
        where_en = f"row {self.row}"
        if self.column or self.header:
            col = " ".join(p for p in (self.column and f"{self.column} 列", self.header) if p)
            where_zh += f" {col}"
            where_en += f", column {self.column or '?'} ({self.header or self.field})"
        return f"{where_zh}: {self.message_zh} / {where_en}: {self.message_en}"


@dataclass(frozen=True, slots=True)
class ParseResult:
    rows: tuple[PayrollRow, ...]
    errors: tuple[RowIssue, ...]
    warnings: tuple[RowIssue, ...]
    fingerprint: str  # SHA-256 hex of the file's bytes
    layout: str  # name of the layout that matched ("canonical" or a bank layout)
    header_row: int | None  # None when no header row was recognised

    @property
    def ok(self) -> bool:
        return not self.errors


_PERIOD_PATTERNS = (
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月份?"),
    re.compile(r"(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?"),
    re.compile(r"(\d{4})(\d{2})"),
)


def parse_period(value: str | dt.date) -> dt.date:
    """A wage period ("2026-10", "2026年10月", "202610", "2026/10", a date) -> its first day."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = value.strip()
    for pattern in _PERIOD_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            if 1900 < year < 2200 and 1 <= month <= 12:
                return dt.date(year, month, 1)
            break
    raise ValueError(f"not a wage period: {value!r}")


def format_period(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}"
