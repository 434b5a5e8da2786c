"""工资支付台账 (payroll ledger) as XLSX. First sheet: the ledger as 条例 Art. 15 lists it, one
row per worker and month (server/wages/ledger.py); second sheet 代发明细: one row per
disbursement line of the bank's files, with totals. ID numbers, accounts and phones masked
(RULES.md "Retention and privacy")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from models.money import fen_to_yuan
from server.payroll.service import LedgerEntry
from server.reports.cells import put
from server.reports.sheet_style import workbook_bytes
from server.wages.ledger import LedgerRow

STATUS_TEXT = {"success": "成功 success", "failed": "失败 failed", "returned": "退汇 returned"}
_HEADERS: tuple[tuple[str, int], ...] = (
    ("序号\nNo.", 6),
    ("工资所属期\nPeriod", 10),
    ("登记姓名\nWorker", 10),
    ("收款人\nPayee", 10),
    ("身份证号\nID number", 22),
    ("收款账号\nAccount", 24),
    ("开户银行\nBank", 16),
    ("出勤天数\nDays", 8),
    ("应发(元)\nGross ¥", 12),
    ("实发(元)\nNet ¥", 12),
    ("发放状态\nStatus", 14),
    ("发放日期\nPaid on", 12),
    ("导入文件\nImport file", 28),
    ("文件行号\nRow", 8),
)
_MONEY = "#,##0.00"
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_BAD_FILL = PatternFill("solid", fgColor="FCE4D6")


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else fen_to_yuan(fen)


def ledger_xlsx(
    *,
    project_code: str,
    project_name: str,
    period: str | None,
    entries: Sequence[LedgerEntry],
    generated_at: dt.datetime,
    rows: Sequence[LedgerRow] = (),
) -> bytes:
    wb = Workbook()
    first = wb.active
    assert first is not None  # noqa: S101 - a new Workbook always has a sheet
    _art15_sheet(first, project_code, project_name, period, rows, generated_at)
    ws = wb.create_sheet("代发明细")
    ncols = len(_HEADERS)
    last = get_column_letter(ncols)
    ws.merge_cells(f"A1:{last}1")
    title = put(ws, 1, 1, "代发明细 / Disbursement lines")
    title.font = Font(bold=True, size=14)
    title.alignment = Alignment(horizontal="center")
    put(ws, 2, 1, f"项目 Project: {project_name} ({project_code})")
    put(ws, 3, 1, f"工资所属期 Period: {period or '全部 all'}")
    put(ws, 4, 1, f"生成时间 Generated: {generated_at.strftime('%Y-%m-%d %H:%M')}")
    header_row = 6
    for col, (title, width) in enumerate(_HEADERS, start=1):
        cell = put(ws, header_row, col, title)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[header_row].height = 30
    row = header_row
    for n, e in enumerate(entries, start=1):
        row += 1
        values = (
            n,
            e.period,
            e.worker_name or "未匹配 unmatched",
            e.payee_name,
            e.id_number_masked,
            e.account_masked,
            e.bank_name,
            e.days_declared,
            _yuan(e.gross_fen),
            _yuan(e.net_fen),
            STATUS_TEXT.get(e.status, e.status),
            e.paid_on,
            e.file_name,
            e.row_no,
        )
        for col, value in enumerate(values, start=1):
            cell = put(ws, row, col, value)
            if col in (9, 10):
                cell.number_format = _MONEY
            elif col == 12 and value is not None:
                cell.number_format = "yyyy-mm-dd"
            if e.status != "success":
                cell.fill = _BAD_FILL
    ok = [e for e in entries if e.status == "success"]
    total_row = row + 1
    put(ws, total_row, 1, "合计 Total").font = Font(bold=True)
    put(ws, total_row, 3, f"{len(entries)} 笔 lines, 成功 {len(ok)} succeeded")
    gross = [e.gross_fen for e in ok if e.gross_fen is not None]
    for col, fen in ((9, sum(gross) if gross else None), (10, sum(e.net_fen for e in ok))):
        cell = put(ws, total_row, col, _yuan(fen))
        cell.number_format = _MONEY
        cell.font = Font(bold=True)
    put(ws, total_row + 1, 1, "合计仅含成功发放 / totals count successful lines")
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    return workbook_bytes(wb)


_ART15: tuple[tuple[str, int], ...] = (
    ("序号\nNo.", 6),
    ("工资所属期\nPay cycle", 10),
    ("用人单位\nEmployer", 20),
    ("姓名\nName", 10),
    ("身份证号\nID number", 22),
    ("联系方式\nContact", 14),
    ("出勤天数\nDays", 8),
    ("工时\nHours", 8),
    ("应发项目及金额\nItems", 36),
    ("应发合计(元)\nGross ¥", 12),
    ("扣除事项及金额\nDeductions", 30),
    ("扣除合计(元)\nDeducted ¥", 12),
    ("应实发(元)\nNet due ¥", 12),
    ("实发(元)\nPaid ¥", 12),
    ("发放日期\nPaid on", 12),
    ("银行代发凭证\nBank voucher", 30),
    ("工人确认\nWorker's confirmation", 28),
)


def _art15_sheet(
    ws: Any,
    project_code: str,
    project_name: str,
    period: str | None,
    rows: Sequence[LedgerRow],
    generated_at: dt.datetime,
) -> None:
    ws.title = "工资支付台账"
    last = get_column_letter(len(_ART15))
    ws.merge_cells(f"A1:{last}1")
    title = put(ws, 1, 1, "工资支付台账 / Payroll ledger")
    title.font = Font(bold=True, size=14)
    title.alignment = Alignment(horizontal="center")
    put(ws, 2, 1, f"项目 Project: {project_name} ({project_code})")
    put(ws, 3, 1, f"工资所属期 Period: {period or '全部 all'}(按月发放 monthly)")
    put(ws, 4, 1, f"生成时间 Generated: {generated_at.strftime('%Y-%m-%d %H:%M')}")
    put(ws, 5, 1, "依据《保障农民工工资支付条例》第十五条,保存三年 / kept 3 years (Art. 15)")
    header_row = 6
    for col, (head, width) in enumerate(_ART15, start=1):
        cell = put(ws, header_row, col, head)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[header_row].height = 30
    row = header_row
    for n, r in enumerate(rows, start=1):
        row += 1
        values = (
            n, r.period, r.employer, r.name, r.id_number_masked, r.contact, r.days, r.hours,
            r.items, _yuan(r.gross_fen), r.deductions, _yuan(r.deductions_fen), _yuan(r.net_fen),
            _yuan(r.paid_fen), r.paid_on, r.voucher, r.confirmation,
        )  # fmt: skip
        for col, value in enumerate(values, start=1):
            cell = put(ws, row, col, value)
            if col in (10, 12, 13, 14):
                cell.number_format = _MONEY
            elif col == 15 and value is not None:
                cell.number_format = "yyyy-mm-dd"
            if r.net_fen is not None and r.paid_fen != r.net_fen:
                cell.fill = _BAD_FILL
    total = row + 1
    put(ws, total, 1, "合计 Total").font = Font(bold=True)
    put(ws, total, 4, f"{len(rows)} 人次 rows")
    sums = (
        (13, sum(r.net_fen for r in rows if r.net_fen is not None)),
        (14, sum(r.paid_fen for r in rows)),
    )
    for col, fen in sums:
        cell = put(ws, total, col, _yuan(fen))
        cell.number_format = _MONEY
        cell.font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
