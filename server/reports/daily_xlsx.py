"""The daily roster (当日考勤 / 在场人员) as XLSX, to print or send on the day.

Four sheets, each with the title "XX项目 2026-10-09 当日考勤", the project line and the rule
notes above a bilingual header row (frozen, repeated on printed pages): 在场 who is inside at
the board's time, by company / team / trade; 进出记录 everyone who came (first IN, last OUT,
hours, status, anomaly); 未到 the active roster not seen; 异常 missing IN/OUT, refusals with
their reasons, corrections (补卡) with reason and author, and passes on a manager's
confirmation with the confirmer's name. Times are real Excel date-time cells in the project's
time zone (Excel has no zone: the zone is named in the project line). Masked ID numbers only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from models.enums import Direction
from server.reports import sheet_style as style
from server.reports.cells import put
from server.reports.sheet_style import workbook_bytes
from server.rosters import rules as roster_rules
from server.rosters import service as roster_service

HEADER_ROW = 5
STATUS_TEXT = {
    roster_rules.DayStatus.FULL: "全天 full day",
    roster_rules.DayStatus.HALF: "半天 half day",
    roster_rules.DayStatus.ABSENT: "不足半天 under half a day",
    roster_rules.DayStatus.ANOMALY: "异常 anomaly",
    roster_rules.DayStatus.ON_SITE: "在场中 on site",
    roster_rules.DayStatus.NOT_ASSIGNED: "不在岗 not assigned",
}
ANOMALY_TEXT = {
    roster_rules.SessionState.MISSING_OUT: "缺出场记录 missing OUT",
    roster_rules.SessionState.MISSING_IN: "缺进场记录 missing IN",
}
CREDENTIAL_TEXT = {
    "id_card": "身份证 ID card",
    "ic_card": "IC卡 IC card",
    "face": "人脸 face",
    "manual": "人工确认 manual check",
}
WHO = (("姓名", "Name"), ("身份证号", "ID number"), ("劳务企业", "Company"), ("班组", "Team"),
       ("工种", "Trade"))  # fmt: skip
WHO_WIDTHS = (9, 20, 18, 10, 8)

Row = Sequence[object]


def title_of(board: roster_service.DailyRoster) -> str:
    return f"{board.project_name} {board.day:%Y-%m-%d} 当日考勤"


def _direction(d: Direction) -> str:
    return "进 IN" if d is Direction.IN else "出 OUT"


def _who(w: roster_service.WorkerRef | None) -> list[object]:
    if w is None:
        return ["未识别 unknown", None, None, None, None]
    return [w.name, w.id_number_masked, w.company_name, w.team_name, w.trade or None]


class _Layout:
    """Writes one sheet: the common top lines, the header, rows with typed cells."""

    def __init__(self, board: roster_service.DailyRoster, scope: str = "") -> None:
        self.board = board
        self.zone = ZoneInfo(board.timezone)
        self.scope = scope

    def local(self, at: dt.datetime | None) -> dt.datetime | None:
        # Excel cells hold no zone: the project's local wall time, the zone named on top
        return at.astimezone(self.zone).replace(tzinfo=None) if at is not None else None

    def sheet(
        self,
        ws: Worksheet,
        caption: str,
        headers: Sequence[tuple[str, str]],
        widths: Sequence[float],
        rows: Sequence[Row],
        *,
        alert_col: int | None = None,
    ) -> int:
        b = self.board
        ncols = len(headers)
        style.merged_line(ws, 1, f"{title_of(b)} · {caption}", ncols, bold=True, size=16, height=28)
        style.merged_line(
            ws,
            2,
            f"项目 / Project: {b.project_name} ({b.project_code})    "
            f"日期 / Day: {b.day:%Y-%m-%d}    "
            f"统计时间 / As of: {self.local(b.now):%Y-%m-%d %H:%M}    "
            f"时区 / Time zone: {b.timezone}    "
            f"在场 on site {b.headcount} · 进场 arrivals {b.arrivals} · "
            f"离场 departures {b.departures} · 未到 not come {len(b.not_come)}"
            + (f"    筛选 / Only: {self.scope}" if self.scope else ""),
            ncols,
            height=30,
        )
        style.merged_line(ws, 3, ";".join(b.rule_notes[:3]), ncols, height=42)
        style.merged_line(ws, 4, ";".join(b.rule_notes[3:]), ncols, height=42)
        style.header_row(ws, HEADER_ROW, headers)
        r = HEADER_ROW
        for r, values in enumerate(rows, HEADER_ROW + 1):
            for c, value in enumerate(values, 1):
                cell = put(ws, r, c, value)
                cell.border = style.BORDER
                if isinstance(value, dt.datetime):
                    cell.number_format = style.DATETIME
                elif isinstance(value, float):
                    cell.number_format = "0.0"
                elif isinstance(value, str) and len(value) > 24:
                    cell.alignment = style.WRAP
            if alert_col is not None and rows[r - HEADER_ROW - 1][alert_col - 1]:
                ws.cell(row=r, column=alert_col).font = style.ALERT_FONT
        last = r
        if not rows:
            cell = put(ws, HEADER_ROW + 1, 1, "无 / none")
            cell.font = Font(italic=True, color="808080")
            last = HEADER_ROW + 1
        style.widths(ws, widths)
        style.print_setup(ws, header_row_no=HEADER_ROW, last_col=ncols, last_row=last)
        return last


def _on_site(ws: Worksheet, lay: _Layout) -> None:
    b = lay.board
    rows = [
        [n, p.worker.company_name, p.worker.team_name, p.worker.trade or None, p.worker.name,
         p.worker.id_number_masked, lay.local(p.first_in), round(p.hours, 1),
         "补卡 corrected" if p.corrected else None]
        for n, p in enumerate(b.on_site, 1)
    ]  # fmt: skip
    headers = [("序号", "No."), ("劳务企业", "Company"), ("班组", "Team"), ("工种", "Trade"),
               ("姓名", "Name"), ("身份证号", "ID number"), ("进场时间", "In since"),
               ("已在场(小时)", "Hours so far"), ("备注", "Note")]  # fmt: skip
    last = lay.sheet(ws, "在场人员 On site", headers, (5, 18, 10, 8, 9, 20, 16, 10, 14), rows)
    # the headcount by company / team / trade below the list, as on the now board
    r = last + 2
    put(ws, r, 2, "按单位 / 班组 / 工种 在场人数 · On site by group").font = style.HEAD_FONT
    for g in b.by_group:
        r += 1
        for c, value in enumerate((g.company_name, g.team_name, g.trade or None, g.on_site), 2):
            put(ws, r, c, value).border = style.BORDER
    r += 1
    put(ws, r, 2, "合计 / total").font = style.HEAD_FONT
    put(ws, r, 5, b.headcount).font = style.HEAD_FONT


def _anomaly_of(p: roster_service.Presence) -> str | None:
    kinds = [ANOMALY_TEXT[s.state] for s in p.sessions if s.state in ANOMALY_TEXT]
    return "、".join(dict.fromkeys(kinds)) or None


def _arrivals(ws: Worksheet, lay: _Layout) -> None:
    rows = [
        [n, *_who(p.worker), lay.local(p.first_in), lay.local(p.last_out), round(p.hours, 2),
         STATUS_TEXT[p.status], "是 yes" if p.on_site else None,
         "补卡 corrected" if p.corrected else None, _anomaly_of(p)]
        for n, p in enumerate(lay.board.present, 1)
    ]  # fmt: skip
    headers = [("序号", "No."), *WHO, ("首次进场", "First IN"), ("最后出场", "Last OUT"),
               ("工时", "Hours"), ("状态", "Status"), ("在场", "On site"), ("补卡", "Corrected"),
               ("异常", "Anomaly")]  # fmt: skip
    widths = (5, *WHO_WIDTHS, 16, 16, 7, 14, 8, 12, 20)
    lay.sheet(ws, "进出记录 Arrivals and departures", headers, widths, rows, alert_col=13)


def _not_come(ws: Worksheet, lay: _Layout) -> None:
    rows = [[n, *_who(w)] for n, w in enumerate(lay.board.not_come, 1)]
    lay.sheet(ws, "未到 Not come", [("序号", "No."), *WHO], (5, *WHO_WIDTHS), rows)


def _anomalies(ws: Worksheet, lay: _Layout) -> None:
    b = lay.board
    rows: list[Row] = []
    for a in b.anomalies:
        zh, _, en = ANOMALY_TEXT[a.kind].partition(" ")
        at = a.in_at if a.kind is roster_rules.SessionState.MISSING_OUT else a.out_at
        rows.append(["缺卡 missing punch", lay.local(at), *_who(a.worker), None, None, zh, en,
                     None])  # fmt: skip
    for f in b.refusals:
        by = f"确认人 confirmer: {f.confirmer_name}" if f.confirmer_name else None
        rows.append(
            ["拒绝 refused", lay.local(f.at), *_who(f.worker), f.gate, _direction(f.direction),
             f.reason_zh, f.reason_en,
             "; ".join(x for x in (CREDENTIAL_TEXT.get(f.credential or ""), by) if x) or None]
        )  # fmt: skip
    by_worker = {p.worker.worker_id: p.worker for p in (*b.present, *b.on_site)}
    for c in b.corrections:
        who = by_worker.get(c.worker_id)
        rows.append(
            ["补卡 correction", lay.local(c.at),
             *(_who(who) if who else [c.worker_name, None, None, None, None]), None,
             _direction(c.direction), c.reason, None, f"补卡人 by: {c.author}"]
        )  # fmt: skip
    for k in b.confirmations:
        name = k.confirmer_name or "未知确认人 unknown confirmer"
        rows.append(
            ["管理人员确认 confirmed pass", lay.local(k.at), *_who(k.worker), k.gate,
             _direction(k.direction), "刷卡+管理人员确认通行", "card + manager confirmation",
             f"确认人 confirmer: {name}"]
        )  # fmt: skip
    headers = [("类别", "Kind"), ("时间", "Time"), *WHO, ("闸机", "Gate"), ("方向", "Direction"),
               ("原因/说明", "Reason (zh)"), ("Reason", "Reason (en)"),
               ("补卡人/确认人/凭证", "By / credential")]  # fmt: skip
    widths = (16, 16, *WHO_WIDTHS, 12, 8, 24, 28, 24)
    lay.sheet(ws, "异常 Anomalies", headers, widths, rows)


def daily_workbook(board: roster_service.DailyRoster, scope: str = "") -> Workbook:
    """`scope`: the board was narrowed (to a firm, team or trade), named on every sheet so
    its counts are not read as the whole project's."""
    wb = Workbook()
    lay = _Layout(board, scope)
    first = wb.active
    ws = first if isinstance(first, Worksheet) else wb.create_sheet()
    ws.title = "在场 On site"
    _on_site(ws, lay)
    _arrivals(wb.create_sheet("进出记录 Arrivals and departures"), lay)
    _not_come(wb.create_sheet("未到 Not come"), lay)
    _anomalies(wb.create_sheet("异常 Anomalies"), lay)
    return wb


def daily_xlsx(board: roster_service.DailyRoster, scope: str = "") -> bytes:
    return workbook_bytes(daily_workbook(board, scope))
