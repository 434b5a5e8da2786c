"""工资支付表 as XLSX: the header (project, employing firm, month, the paying account masked, the
state, lock time and reason), one row per worker with each addition and deduction summarised and
the worker's confirmation, a totals row equal to the sheet's net total, the signature lines, and
the disputes with their resolutions on a second sheet. Every cell goes through cells.put."""

from __future__ import annotations

import datetime as dt
from copy import copy
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.worksheet import Worksheet

from models.money import fen_to_yuan
from server.reports import wage_sheet as layout
from server.reports.cells import put
from server.reports.sheet_style import (
    ALERT_FONT,
    BORDER,
    HEAD_FONT,
    WARN_FILL,
    WRAP,
    column_headers,
    merged_line,
    print_setup,
    workbook_bytes,
)

LINES_SHEET = "工资支付表"
DISPUTES_SHEET = "异议 Disputes"
MONEY = "#,##0.00"
HEADERS: tuple[tuple[str, int], ...] = (
    ("序号\nNo.", 5),
    ("姓名\nName", 10),
    ("身份证号\nID number", 20),
    ("班组\nTeam", 12),
    ("工种\nTrade", 9),
    ("计薪方式\nWage kind", 11),
    ("单价(元)\nRate ¥", 10),
    ("出勤天数\nDays", 8),
    ("工时\nHours", 8),
    ("基本工资(元)\nBase ¥", 12),
    ("计件(元)\nPiece ¥", 11),
    ("加项(元)\nAdditions ¥", 11),
    ("加项明细\nAddition items", 32),
    ("扣项(元)\nDeductions ¥", 11),
    ("扣项明细\nDeduction items", 32),
    ("应发(元)\nGross ¥", 12),
    ("实发(元)\nNet ¥", 12),
    ("工资卡\nWage card", 22),
    ("开户行\nBank", 14),
    ("工人确认\nConfirmation", 30),
    ("备注\nNote", 18),
)
MONEY_COLS = frozenset((7, 10, 11, 12, 14, 16, 17))
_WRAPPED = frozenset((13, 15, 20, 21))  # the item summaries, the confirmation, the note
# One style object each, shared by every cell (5,000 lines × 21 columns).
_TOP = Alignment(vertical="top")
_TOP_WRAP = Alignment(vertical="top", wrap_text=True)
DISPUTE_HEADERS: tuple[tuple[str, int], ...] = (
    ("姓名\nName", 10),
    ("提出时间\nRaised", 17),
    ("主张天数\nDays claimed", 10),
    ("主张金额(元)\nAmount claimed ¥", 14),
    ("异议说明\nWorker's comment", 40),
    ("状态\nStatus", 12),
    ("处理时间\nResolved", 17),
    ("处理人\nBy", 10),
    ("处理说明\nResolution", 40),
)


class _Styles:
    """Each column's cell style, set once and copied to the other rows: assigning border,
    alignment and format per cell re-hashes the style objects, the bulk of a 5,000-line
    sheet's time."""

    def __init__(self) -> None:
        self.made: dict[tuple[int, bool], StyleArray] = {}

    def paint(self, cell: Cell, col: int, *, warn: bool) -> None:
        key = (col, warn)
        made = self.made.get(key)
        if made is not None:
            cell._style = copy(made)
            return
        cell.border = BORDER
        cell.alignment = _TOP_WRAP if col in _WRAPPED else _TOP
        if col in MONEY_COLS:
            cell.number_format = MONEY
        if warn:
            cell.fill = WARN_FILL
        self.made[key] = copy(cell._style)


def _yuan(fen: int) -> Decimal:
    return fen_to_yuan(fen)


def _local(value: dt.datetime | None, doc: layout.SheetDoc) -> str:
    return "-" if value is None else value.astimezone(doc.zone).strftime("%Y-%m-%d %H:%M")


def header_lines(doc: layout.SheetDoc, generated_at: dt.datetime) -> list[str]:
    """The facts above the table, shared with the PDF."""
    team = f"    班组 / Team: {doc.team_name}" if doc.team_name else ""
    payer = " ".join(x for x in (doc.payer_name, doc.payer_bank, doc.payer_account_masked) if x)
    state = f"{doc.state.text[0]} {doc.state.text[1]}"
    lock = f"    锁定时间 / Locked: {_local(doc.locked_at, doc)}" if doc.locked_at else ""
    if doc.locked_by:
        lock += f"({doc.locked_by})"
    return [
        f"项目 / Project: {doc.project_name} ({doc.project_code})    "
        f"用工单位 / Employing firm: {doc.company_name}{team}    工资所属期 / Month: {doc.period}",
        f"代发账户 / Paying account: {payer or '-'}",
        f"状态 / State: {state}    发送时间 / Sent: {_local(doc.sent_at, doc)}{lock}    "
        f"生成时间 / Generated: {_local(generated_at, doc)}({doc.time_zone})",
    ]


def note_of(line: layout.LineRow) -> str:
    parts = []
    if line.stale:
        parts.append("考勤已变动,待刷新 / attendance changed after the build")
    if line.corrected_days:
        parts.append(f"含补卡 {line.corrected_days} 天 / {line.corrected_days} corrected days")
    return ";".join(parts)


def _lines_sheet(ws: Worksheet, doc: layout.SheetDoc, generated_at: dt.datetime) -> None:
    last_col = len(HEADERS)
    merged_line(ws, 1, f"{doc.title_line()} / Wage payment sheet", last_col, bold=True, size=16)
    ws.row_dimensions[1].height = 28
    row = 2
    for text in header_lines(doc, generated_at):
        merged_line(ws, row, text, last_col)
        row += 1
    if doc.lock_reason:
        merged_line(ws, row, f"强制锁定原因 / Locked anyway because: {doc.lock_reason}", last_col)
        ws.cell(row=row, column=1).font = ALERT_FONT
        row += 1
    head = row + 1
    column_headers(ws, head, HEADERS)
    row = head
    styles = _Styles()
    for n, line in enumerate(doc.lines, start=1):
        row += 1
        values: tuple[object, ...] = (
            n,
            line.name,
            line.id_number_masked,
            line.team_name,
            line.trade,
            layout.WAGE_KIND_TEXT.get(line.wage_kind, line.wage_kind),
            _yuan(line.rate_fen),
            line.days_value,
            Decimal(line.hours),
            _yuan(line.base_fen),
            _yuan(line.piece_fen),
            _yuan(line.additions_fen),
            ";\n".join(i.summary() for i in line.additions),
            _yuan(line.deductions_fen),
            ";\n".join(i.summary() for i in line.deductions),
            _yuan(line.gross_fen),
            _yuan(line.net_fen),
            line.bank_card_masked,
            line.bank_name,
            line.confirmation_zh(doc.zone),
            note_of(line),
        )
        waiting = line.state.value in ("disputed", "awaiting", "draft")
        for col, value in enumerate(values, start=1):
            styles.paint(put(ws, row, col, value), col, warn=col == 20 and waiting)
    total = row + 1
    totals: dict[int, object] = {
        1: "合计 Total",
        2: f"{len(doc.lines)} 人 workers",
        8: doc.total_days,
        10: _yuan(doc.total("base_fen")),
        11: _yuan(doc.total("piece_fen")),
        12: _yuan(doc.total("additions_fen")),
        14: _yuan(doc.total("deductions_fen")),
        16: _yuan(doc.total("gross_fen")),
        17: _yuan(doc.total("net_fen")),
    }
    counts = doc.counts
    totals[20] = "; ".join(
        f"{layout.LINE_STATE_PRINT[s]} {counts[s]}" for s in layout.LINE_STATE_PRINT if counts[s]
    )
    for col in range(1, last_col + 1):
        cell = put(ws, total, col, totals.get(col))
        cell.font = HEAD_FONT
        cell.border = BORDER
        if col in MONEY_COLS:
            cell.number_format = MONEY
    sign = total + 2
    merged_line(
        ws,
        sign,
        "    ".join(f"{label}: ______________" for label in layout.SIGNATURES)
        + "    日期 / Date: ______________",
        last_col,
        height=30,
    )
    if doc.general_contractor:
        merged_line(ws, sign + 1, f"总包单位 / General contractor: {doc.general_contractor}", 12)
    print_setup(ws, header_row_no=head, last_col=last_col, last_row=row)


def _disputes_sheet(ws: Worksheet, doc: layout.SheetDoc) -> None:
    column_headers(ws, 1, DISPUTE_HEADERS, freeze=True)
    for row, d in enumerate(doc.disputes, start=2):
        values: tuple[object, ...] = (
            d.name,
            _local(d.at, doc),
            Decimal(d.claimed_days) if d.claimed_days else None,
            _yuan(d.claimed_net_fen) if d.claimed_net_fen is not None else None,
            d.comment,
            layout.DISPUTE_STATUS_PRINT[d.status],
            _local(d.resolved_at, doc) if d.resolved_at else None,
            d.resolved_by,
            d.resolution,
        )
        for col, value in enumerate(values, start=1):
            cell = put(ws, row, col, value)
            cell.alignment = WRAP
            if col == 4:
                cell.number_format = MONEY
    if not doc.disputes:
        put(ws, 2, 1, "本表无异议 / no disputes on this sheet")


def wage_sheet_xlsx(doc: layout.SheetDoc, *, generated_at: dt.datetime) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new Workbook always has a sheet
    ws.title = LINES_SHEET
    _lines_sheet(ws, doc, generated_at)
    _disputes_sheet(wb.create_sheet(DISPUTES_SHEET), doc)
    wb.properties.title = doc.title_line()
    wb.properties.creator = "SiteGate"
    return workbook_bytes(wb)
