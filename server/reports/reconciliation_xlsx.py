"""工资核对 (wage reconciliation) of a project × month as XLSX: the level, the per-worker table
with expected / paid / difference, and the findings coloured red / orange / yellow."""

from __future__ import annotations

from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from models.enums import WarningLevel
from models.money import fen_to_yuan
from server.reconciliation.service import ReconSummary
from server.reports.cells import put
from server.reports.sheet_style import column_headers, workbook_bytes

LEVEL_TEXT = {
    WarningLevel.RED: "红色 red",
    WarningLevel.ORANGE: "橙色 orange",
    WarningLevel.YELLOW: "黄色 yellow",
    WarningLevel.GREEN: "绿色 green",
}
LEVEL_FILL = {
    WarningLevel.RED: PatternFill("solid", fgColor="FF0000"),
    WarningLevel.ORANGE: PatternFill("solid", fgColor="FFC000"),
    WarningLevel.YELLOW: PatternFill("solid", fgColor="FFFF00"),
    WarningLevel.GREEN: PatternFill("solid", fgColor="92D050"),
}
STATUS_TEXT = {
    "paid": "已发 paid",
    "underpaid": "少发 underpaid",
    "unpaid": "未发 unpaid",
    "not_yet_due": "未到发薪日 not yet due",
    "paid_without_attendance": "无考勤有发放 paid without attendance",
    "nothing_due": "无出勤 nothing due",
}
FINDING_STATUS_TEXT = {
    "open": "未处理 open",
    "resolved": "已解决 resolved",
    "waived": "已豁免 waived",
    "gone": "已消除 gone",
}
WAGE_KIND_TEXT = {"daily": "日薪 daily", "monthly": "月薪 monthly", "piece": "计件 piece"}
PREVIEW_TEXT = "按核对日期试算,未保存 / computed as of this date, not saved"
_MONEY = "#,##0.00"


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else fen_to_yuan(fen)


_ROW_HEADERS: tuple[tuple[str, int], ...] = (
    ("姓名\nName", 10),
    ("身份证号\nID number", 22),
    ("单位\nCompany", 18),
    ("班组\nTeam", 12),
    ("计薪方式\nWage kind", 12),
    ("单价(元)\nRate ¥", 11),
    ("出勤天数\nDays", 8),
    ("工时\nHours", 8),
    ("补卡天数\nCorrected", 9),
    ("应发(元)\nExpected ¥", 12),
    ("实发(元)\nPaid ¥", 12),
    ("差额(元)\nDifference ¥", 12),
    ("状态\nStatus", 20),
    ("级别\nLevel", 10),
)
_FINDING_HEADERS: tuple[tuple[str, int], ...] = (
    ("级别\nLevel", 10),
    ("类型\nKind", 24),
    ("工人\nWorker", 10),
    ("说明\nMessage", 60),
    ("Message (en)", 60),
    ("处理状态\nStatus", 14),
    ("编号\nID", 8),
)


def reconciliation_xlsx(summary: ReconSummary) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new Workbook always has a sheet
    ws.title = "核对汇总"
    put(ws, 1, 1, "工资核对 / Wage reconciliation").font = Font(bold=True, size=14)
    info = (
        ("项目 Project", f"{summary.project_name} ({summary.project_code})"),
        ("月份 Month", summary.period),
        ("发薪日 Pay day", summary.pay_day.isoformat()),
        ("核对日期 As of", summary.today.isoformat()),
        ("预警级别 Level", LEVEL_TEXT[summary.level]),
    )
    for i, (label, text) in enumerate(info, start=3):
        put(ws, i, 1, label).font = Font(bold=True)
        put(ws, i, 2, text)
    level_cell = ws.cell(row=7, column=2)
    level_cell.fill = LEVEL_FILL[summary.level]
    level_cell.font = Font(bold=True)
    if not summary.stored:  # a preview as of a date: say so where the level is read
        put(ws, 8, 1, "核对方式 Basis").font = Font(bold=True)
        put(ws, 8, 2, PREVIEW_TEXT)
    elif summary.stale:  # the findings predate a change to the month's attendance
        put(ws, 8, 1, "已过期 Stale").font = Font(bold=True, color="A50E0E")
        put(
            ws,
            8,
            2,
            f"核对后考勤已变更({summary.stale_reason_zh}),须重新核对 / attendance changed "
            f"after the run ({summary.stale_reason_en}): run it again",
        ).font = Font(color="A50E0E")
    put(ws, 9, 1, "未处理预警 Open findings").font = Font(bold=True)
    for i, level in enumerate((WarningLevel.RED, WarningLevel.ORANGE, WarningLevel.YELLOW)):
        label = put(ws, 10 + i, 1, LEVEL_TEXT[level])
        label.fill = LEVEL_FILL[level]
        put(ws, 10 + i, 2, summary.counts.get(level, 0))
    put(ws, 14, 1, "规则 Rules").font = Font(bold=True)
    for i, note in enumerate(summary.rule_notes, start=15):
        put(ws, i, 1, note)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 40

    rows_ws = wb.create_sheet("工人明细")
    column_headers(rows_ws, 1, _ROW_HEADERS, freeze=True)
    r = 1
    for row in summary.rows:
        r += 1
        values: tuple[object, ...] = (
            row.name,
            row.id_number_masked,
            row.company_name,
            row.team_name,
            WAGE_KIND_TEXT.get(row.wage_kind, row.wage_kind),
            _yuan(row.rate_fen),
            row.attended_days,
            row.hours,
            row.corrected_days,
            _yuan(row.expected_fen),
            _yuan(row.paid_fen),
            _yuan(row.difference_fen),
            STATUS_TEXT.get(row.status.value, row.status.value),
            LEVEL_TEXT[row.level],
        )
        for col, value in enumerate(values, start=1):
            cell = put(rows_ws, r, col, value)
            if col in (6, 10, 11, 12):
                cell.number_format = _MONEY
        if row.level is not WarningLevel.GREEN:
            rows_ws.cell(row=r, column=14).fill = LEVEL_FILL[row.level]
    r += 1
    put(rows_ws, r, 1, "合计 Total").font = Font(bold=True)
    totals = (
        (10, sum(x.expected_fen for x in summary.rows if x.expected_fen is not None)),
        (11, sum(x.paid_fen for x in summary.rows)),
    )
    for col, fen in totals:
        cell = put(rows_ws, r, col, _yuan(fen))
        cell.number_format = _MONEY
        cell.font = Font(bold=True)

    f_ws = wb.create_sheet("预警明细")
    column_headers(f_ws, 1, _FINDING_HEADERS, freeze=True)
    for i, f in enumerate(summary.findings, start=2):
        f_values: tuple[object, ...] = (
            LEVEL_TEXT[f.level],
            f.kind,
            f.worker_name or "-",
            f.message_zh,
            f.message_en,
            FINDING_STATUS_TEXT.get(f.status, f.status),
            f.id or "-",  # 0: a preview's finding, not stored
        )
        for col, f_value in enumerate(f_values, start=1):
            cell = put(f_ws, i, col, f_value)
            if col in (4, 5):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        f_ws.cell(row=i, column=1).fill = LEVEL_FILL[f.level]
    return workbook_bytes(wb)
