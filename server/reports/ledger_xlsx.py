"""工资支付台账 (payroll ledger) as XLSX: title, project, period, one row per disbursement line,
totals; ID numbers and accounts masked (RULES.md "Retention and privacy")."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from models.money import fen_to_yuan
from server.payroll.service import LedgerEntry
from server.reports.cells import put

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
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new Workbook always has a sheet
    ws.title = "工资支付台账"
    ncols = len(_HEADERS)
    last = get_column_letter(ncols)
    ws.merge_cells(f"A1:{last}1")
    title = put(ws, 1, 1, "工资支付台账 / Payroll ledger")
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
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
