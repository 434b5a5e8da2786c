"""The monthly roster (考勤表) as XLSX in the customary layout, one sheet or one per company.

Per sheet: title "XX项目 2026年10月 考勤表", project/month/company line, the rule notes, two
header rows (day numbers, weekdays), one row per worker (masked ID), a totals row, the legend,
the month's corrections (补卡记录), and the signature lines. Frozen panes, column widths,
landscape A4 fitted to the page width, header rows repeated on every printed page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from models.enums import Direction
from server.ingest.checkpoints import GateAnchor
from server.reports.cells import put
from server.reports.sheet_style import a4_landscape, workbook_bytes
from server.rosters import rules as roster_rules
from server.rosters import service as roster_service

FIXED_HEADERS = ("序号", "姓名", "身份证号", "劳务企业", "班组", "工种", "进场日期", "退场日期")
FIXED_WIDTHS = (5, 9, 20, 18, 10, 8, 11, 11)
TOTAL_HEADERS = ("出勤天数", "工时", "补卡天数")
WEEKDAYS = "一二三四五六日"
SIGNATURES = "班组长签字:______________    劳务企业负责人:______________    " \
    "项目负责人:______________    日期:______________"  # fmt: skip
LEGEND = (
    "图例 / legend: √ 全天 full day   ½ 半天 half day   ○ 缺勤 absent   "
    "! 异常(缺进/出场记录) anomaly (missing IN/OUT)   - 不在岗期间 not assigned   "
    "… 在场中 on site now;黄底 = 含补卡 yellow = rests on a correction"
)

GATES_NOTE = (
    "请核对:上列密钥指纹应与各闸机自己显示的一致(sitegate edge status);签字的本表留存于"
    "服务器之外,日后改写闸机记录或更换密钥都会与之不符。 / Check that each fingerprint above "
    "matches the one the gate itself shows; kept outside the server, this signed sheet "
    "contradicts a later rewrite of the gate records or a replaced key."
)

SERVER_SEALED = (
    "人脸终端,服务器接收签名,非设备签名 / face terminal: server-sealed, not device-signed"
)

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center")
_WRAP = Alignment(horizontal="left", vertical="top", wrap_text=True)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_WEEKEND_FILL = PatternFill("solid", fgColor="EDEDED")
_CORRECTED_FILL = PatternFill("solid", fgColor="FFF2CC")
_ANOMALY_FONT = Font(color="C00000", bold=True)
_BAD_SHEET_CHARS = re.compile(r"[\[\]\*\?/\\:]")


def title_of(roster: roster_service.MonthRoster) -> str:
    return f"{roster.project_name} {roster.year}年{roster.month}月 考勤表"


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _BAD_SHEET_CHARS.sub("_", name).strip() or "考勤表"
    base = base[:31]
    candidate, n = base, 2
    while candidate in taken:
        suffix = f"({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate)
    return candidate


def _direction_zh(d: Direction) -> str:
    return "进场 IN" if d is Direction.IN else "出场 OUT"


def gate_lines(gates: Sequence[GateAnchor]) -> list[str]:
    """Per gate: its code, key fingerprint and the month's last checkpoint (seq, day, records
    root prefix). Printed above the signatures, the signed sheet anchors them."""
    out = []
    for g in gates:
        key = g.key_fingerprint or "未注册 / not provisioned"
        if g.last is None:
            seal = "本月无检查点 / no checkpoint this month"
        else:
            seal = (
                f"本月最后检查点 / last checkpoint: #{g.last.seq} {g.last.day}  "
                f"记录树根 / records root: {g.last.records_root[:16]}…"
            )
        name = f" {g.name}" if g.name and g.name != g.code else ""
        if g.server_sealed:  # its key is the server's: the signed sheet anchors the seal only
            key += f" ({SERVER_SEALED})"
        out.append(f"{g.code}{name}  密钥指纹 / key fingerprint: {key}  {seal}")
    return out


def _write_sheet(
    ws: Worksheet,
    roster: roster_service.MonthRoster,
    rows: Sequence[roster_service.RosterRow],
    company: str,
    gates: Sequence[GateAnchor] = (),
) -> None:
    days = roster.days
    n_fixed, n_days = len(FIXED_HEADERS), len(days)
    first_day_col = n_fixed + 1
    last_col = n_fixed + n_days + len(TOTAL_HEADERS)
    zone = roster.settings.zone

    def line(row: int, text: str, *, bold: bool = False, size: int = 10, height: float = 0) -> None:
        cell = put(ws, row, 1, text)
        cell.font = Font(bold=bold, size=size)
        cell.alignment = _CENTER if size > 12 else _WRAP
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
        if height:
            ws.row_dimensions[row].height = height

    line(1, title_of(roster), bold=True, size=16, height=28)
    line(
        2,
        f"项目 / Project: {roster.project_name} ({roster.project_code})    "
        f"月份 / Month: {roster.period}    劳务企业 / Company: {company}    "
        f"时区 / Time zone: {roster.timezone}",
    )
    line(3, ";".join(roster.rule_notes[:3]), height=30)
    line(4, ";".join(roster.rule_notes[3:]), height=30)

    head, week = 5, 6
    for col, text in enumerate(FIXED_HEADERS, 1):
        put(ws, head, col, text)
        ws.merge_cells(start_row=head, start_column=col, end_row=week, end_column=col)
    for i, day in enumerate(days):
        col = first_day_col + i
        put(ws, head, col, day.day)
        put(ws, week, col, WEEKDAYS[day.weekday()])
        if day.weekday() >= 5:
            ws.cell(row=head, column=col).fill = _WEEKEND_FILL
            ws.cell(row=week, column=col).fill = _WEEKEND_FILL
    for j, text in enumerate(TOTAL_HEADERS):
        col = first_day_col + n_days + j
        put(ws, head, col, text)
        ws.merge_cells(start_row=head, start_column=col, end_row=week, end_column=col)
    for hr in (head, week):
        for col in range(1, last_col + 1):
            cell = ws.cell(row=hr, column=col)
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.border = _BORDER
            if cell.fill != _WEEKEND_FILL:
                cell.fill = _HEAD_FILL

    row = week + 1
    total_days = 0.0
    total_hours = 0.0
    total_corrected = 0
    for n, r in enumerate(rows, 1):
        m = r.month
        fixed = (
            n,
            r.name,
            r.id_number_masked,
            r.company_name,
            r.team_name,
            r.trade,
            r.entered_on,
            r.left_on,
        )
        for col, value in enumerate(fixed, 1):
            cell = put(ws, row, col, value)
            cell.border = _BORDER
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
        for i, c in enumerate(m.cells):
            cell = put(ws, row, first_day_col + i, c.status.mark)
            cell.alignment = _CENTER
            cell.border = _BORDER
            if c.corrected and c.status.days > 0:
                cell.fill = _CORRECTED_FILL
            elif c.status is roster_rules.DayStatus.ANOMALY:
                cell.font = _ANOMALY_FONT
        totals = (m.attended_days, round(m.total_hours, 1), m.corrected_days)
        for j, amount in enumerate(totals):
            cell = put(ws, row, first_day_col + n_days + j, amount)
            cell.border = _BORDER
            cell.alignment = _CENTER
        total_days += m.attended_days
        total_hours += m.total_hours
        total_corrected += m.corrected_days
        row += 1

    put(ws, row, 1, f"合计 / total: {len(rows)} 人").font = Font(bold=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=n_fixed)
    for j, amount in enumerate((total_days, round(total_hours, 1), total_corrected)):
        cell = put(ws, row, first_day_col + n_days + j, amount)
        cell.font = Font(bold=True)
        cell.alignment = _CENTER
        cell.border = _BORDER
    row += 2
    line(row, LEGEND, height=30)
    row += 1

    worker_ids = {r.worker_id for r in rows}
    corrections = [c for c in roster.corrections if c.worker_id in worker_ids]
    put(ws, row, 1, f"补卡记录 / corrections: {len(corrections)}").font = Font(bold=True)
    row += 1
    for fix in corrections:
        line(
            row,
            f"{fix.at.astimezone(zone):%Y-%m-%d %H:%M}  {fix.worker_name}  "
            f"{_direction_zh(fix.direction)}  原因 / reason: {fix.reason}  "
            f"补卡人 / by: {fix.author}",
        )
        row += 1
    row += 1
    heading = f"闸机密钥与本月封存 / gate keys and the month's seal: {len(gates)}"
    put(ws, row, 1, heading).font = Font(bold=True)
    row += 1
    for text in gate_lines(gates):
        line(row, text)
        row += 1
    line(row, GATES_NOTE, height=30)
    row += 2
    line(row, SIGNATURES, height=36)
    signature_row = row

    for col, width in enumerate(FIXED_WIDTHS, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    for i in range(n_days):
        ws.column_dimensions[get_column_letter(first_day_col + i)].width = 3.6
    for j in range(len(TOTAL_HEADERS)):
        ws.column_dimensions[get_column_letter(first_day_col + n_days + j)].width = 8
    ws.freeze_panes = ws.cell(row=week + 1, column=n_fixed + 1)
    ws.print_title_rows = f"{head}:{week}"
    ws.print_area = f"A1:{get_column_letter(last_col)}{signature_row}"
    a4_landscape(ws)


def month_workbook(
    roster: roster_service.MonthRoster,
    *,
    per_company: bool = False,
    gates: Sequence[GateAnchor] = (),
) -> Workbook:
    wb = Workbook()
    default = wb.active
    taken: set[str] = set()
    if per_company and roster.rows:
        if default is not None:
            wb.remove(default)
        for company_id, name in roster.companies():
            rows = [r for r in roster.rows if r.company_id == company_id]
            ws = wb.create_sheet(_sheet_name(name, taken))
            _write_sheet(ws, roster, rows, name, gates)
    else:
        ws = default if isinstance(default, Worksheet) else wb.create_sheet()
        ws.title = _sheet_name(f"{roster.period} 考勤表", taken)
        _write_sheet(ws, roster, roster.rows, "全部 / all", gates)
    return wb


def month_xlsx(
    roster: roster_service.MonthRoster,
    *,
    per_company: bool = False,
    gates: Sequence[GateAnchor] = (),
) -> bytes:
    """`gates`: checkpoints.month_anchors of the project and month (every caller passes them)."""
    return workbook_bytes(month_workbook(roster, per_company=per_company, gates=gates))
