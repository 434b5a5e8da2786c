"""线索台账: the inspector's ledger of complaints (欠薪线索) as XLSX, one row per complaint with
every field, the ID number masked (first 6 + last 4), days open and the overdue flag. Every
text cell goes through server/reports/cells.py (a worker's text never becomes a formula)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from models.money import fen_to_yuan
from server.complaints.service import ComplaintView
from server.reports.cells import put
from server.reports.sheet_style import a4_landscape, column_headers, merged_line, workbook_bytes

STATUS_TEXT = {
    "received": "已接收 received",
    "verifying": "核实中 verifying",
    "resolved": "已解决 resolved",
    "referred": "已移交 referred",
    "closed": "已关闭 closed",
}
CHANNEL_TEXT = {
    "phone": "电话 phone",
    "letter": "信件 letter",
    "visit": "来访 visit",
    "platform": "线索平台 national platform",
    "app": "手机 app",
}
SOURCE_TEXT = {"worker_phone": "工人提交 worker", "inspector": "监察员录入 inspector"}
HEADERS: tuple[tuple[str, int], ...] = (
    ("编号\nNo.", 8),
    ("项目\nProject", 18),
    ("反映人\nComplainant", 10),
    ("联系电话\nPhone", 14),
    ("身份证号\nID number", 20),
    ("来源\nSource", 12),
    ("渠道\nChannel", 12),
    ("欠薪月份\nMonths", 16),
    ("反映金额(元)\nClaimed ¥", 12),
    ("被反映单位/班组\nAgainst", 18),
    ("反映内容\nComplaint", 36),
    ("负责人\nOwner", 10),
    ("接收时间\nReceived", 17),
    ("办理期限\nDue", 11),
    ("状态\nStatus", 14),
    ("办结时间\nClosed", 17),
    ("办结说明\nClosing note", 30),
    ("已用天数\nDays open", 9),
    ("是否超期\nOverdue", 9),
)


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else fen_to_yuan(fen)


def _local(at: dt.datetime | None, view: ComplaintView) -> str:
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(view.time_zone)).strftime("%Y-%m-%d %H:%M")


def complaints_xlsx(items: Sequence[ComplaintView], *, generated_at: dt.datetime) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new Workbook always has a sheet
    ws.title = "线索台账"
    last = len(HEADERS)
    merged_line(ws, 1, "欠薪线索台账 Wage complaints ledger", last, bold=True, size=14)
    overdue = sum(1 for v in items if v.overdue)
    merged_line(
        ws, 2,
        f"共 {len(items)} 条,超期 {overdue} 条 · {len(items)} complaints, {overdue} overdue · "
        f"导出 generated {generated_at.strftime('%Y-%m-%d %H:%M')} UTC",
        last,
    )  # fmt: skip
    column_headers(ws, 3, HEADERS, freeze=True)
    for r, v in enumerate(items, start=4):
        values: tuple[object, ...] = (
            v.id, v.project_name, v.name, v.phone, v.id_number_masked,
            SOURCE_TEXT.get(v.source, v.source), CHANNEL_TEXT.get(v.channel, v.channel),
            "、".join(v.periods), _yuan(v.amount_fen), v.against, v.text, v.owner,
            _local(v.received_at, v), v.due_on, STATUS_TEXT.get(v.status, v.status),
            _local(v.closed_at, v), v.closing_note, v.days_open,
            "超期 overdue" if v.overdue else "",
        )  # fmt: skip
        for c, value in enumerate(values, start=1):
            cell = put(ws, r, c, value)
            if isinstance(value, Decimal):
                cell.number_format = "#,##0.00"
            elif isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    a4_landscape(ws)
    return workbook_bytes(wb)
