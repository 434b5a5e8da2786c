"""The project's workers (花名册导出) in exactly the import template's columns, so a site manager
can export, edit in Excel and import the file again (server/registry/importer.COLUMNS).

Pure layout over plain data: the registry service decides masking (and audits a full export).
Full export: header on row 1 as in the template, nothing above it. Masked export: a red banner
on row 1 saying the file cannot be re-imported, the header on row 2 (the importer still finds
it, then refuses every masked ID number, so a masked file can never be imported by mistake).
ID, mobile, bank card and IC card cells are text: Excel turns long digit strings into numbers
and loses their last digits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from models.enums import WageKind
from models.ids import ID_TYPES, IdType
from models.money import Fen, fen_to_yuan
from server.registry.importer import COLUMNS
from server.reports import sheet_style as style
from server.reports.cells import put
from server.reports.sheet_style import workbook_bytes

TEXT_COLUMNS = frozenset({"id_number", "phone", "bank_card", "card_uid"})
DATE_COLUMNS = frozenset({"contract_signed_on", "safety_trained_on", "entered_on"})
WAGE_KIND_ZH = {WageKind.DAILY: "日薪", WageKind.MONTHLY: "月薪", WageKind.PIECE: "计件"}
WIDTHS = {"name": 10, "id_number": 21, "phone": 13, "bank_card": 22, "bank_name": 14}
MASKED_BANNER = (
    "脱敏导出:身份证号、银行卡号已隐藏,本文件不能重新导入。"
    "需要可导入的文件请由管理员或本项目现场经理导出。 / "
    "Masked export: ID and bank card numbers are hidden; this file cannot be re-imported. "
    "An admin or a site manager of this project can export a re-importable file."
)


@dataclass(frozen=True, slots=True)
class WorkerLine:
    """One worker on the project as the template holds it; numbers already masked if need be."""

    name: str
    id_number: str
    phone: str | None
    bank_card: str | None
    bank_name: str
    company: str | None
    team: str | None
    trade: str
    wage_kind: WageKind
    wage_rate_fen: Fen
    contract_signed_on: dt.date | None
    safety_trained_on: dt.date | None
    entered_on: dt.date | None
    card_uid: str | None
    extra_cards: int = 0  # the template has one IC card column; more are listed in the notes
    id_card_type: IdType = IdType.RESIDENT
    gender: str = ""  # "M" / "F"


@dataclass(frozen=True, slots=True)
class WorkerExport:
    project_code: str
    project_name: str
    timezone: str
    exported_at: dt.datetime  # aware; written in the project's local time
    full: bool
    filters: str  # e.g. "状态 status: active", "" for the whole project
    lines: Sequence[WorkerLine]


def _value(line: WorkerLine, name: str) -> object:
    if name == "wage_kind":
        return WAGE_KIND_ZH[line.wage_kind]
    if name == "wage_rate":
        return fen_to_yuan(line.wage_rate_fen)
    if name == "id_card_type":  # written as the Chinese name, which the importer reads back
        return ID_TYPES[line.id_card_type].name_zh
    if name == "gender":
        return {"M": "男", "F": "女"}.get(line.gender)
    value: object = getattr(line, name)
    return value if value != "" else None


def _roster_sheet(ws: Worksheet, export: WorkerExport) -> None:
    ncols = len(COLUMNS)
    head = 1
    if not export.full:
        style.merged_line(ws, 1, MASKED_BANNER, ncols, height=32)
        ws.cell(row=1, column=1).font = style.ALERT_FONT
        ws.cell(row=1, column=1).fill = style.WARN_FILL
        head = 2
    # Header text exactly as the template's, English in the comment, so the importer matches it.
    style.header_row(
        ws, head, [(c.header_zh, c.header_en) for c in COLUMNS], english_as_comment=True
    )
    for r, line in enumerate(export.lines, head + 1):
        for j, col in enumerate(COLUMNS, 1):
            value = _value(line, col.name)
            cell = put(ws, r, j, value)
            cell.border = style.BORDER
            if col.name in TEXT_COLUMNS:
                cell.number_format = style.TEXT
            elif col.name in DATE_COLUMNS:
                cell.number_format = style.DATE
            elif isinstance(value, Decimal):
                cell.number_format = "0.00"
    style.widths(ws, [WIDTHS.get(c.name, 12) for c in COLUMNS])
    style.print_setup(ws, header_row_no=head, last_col=ncols)


def _notes_sheet(ws: Worksheet, export: WorkerExport) -> None:
    local = export.exported_at.astimezone(ZoneInfo(export.timezone)).replace(tzinfo=None)
    rows: list[tuple[str, object]] = [
        ("项目 / Project", f"{export.project_name} ({export.project_code})"),
        (f"导出时间 / Exported at ({export.timezone})", local),
        ("人数 / Workers", len(export.lines)),
        ("筛选 / Filters", export.filters or "全部 / all"),
        (
            "可重新导入 / Re-importable",
            "是 yes:改完后在「导入花名册」上传本文件 / edit, then upload it under Import"
            if export.full
            else "否 no:" + MASKED_BANNER,
        ),
        (
            "说明 / Notes",
            "身份证号、手机号、银行卡号、IC卡号为文本格式,请勿改为数字;留空的单元格导入时不改动原值。"
            " / ID, mobile, bank card and IC card are text cells: keep them text. "
            "An empty cell leaves the stored value unchanged on import.",
        ),
    ]
    more = [ln for ln in export.lines if ln.extra_cards]
    if more:
        rows.append(
            (
                "多张IC卡 / Several IC cards",
                "、".join(f"{ln.name} (+{ln.extra_cards})" for ln in more)
                + " — 仅导出第一张卡;导入不会解绑其他卡 / only the first card is exported; "
                "importing does not unbind the others",
            )
        )
    for r, (label, value) in enumerate(rows, 1):
        put(ws, r, 1, label).font = style.HEAD_FONT
        cell = put(ws, r, 2, value)
        cell.alignment = style.WRAP
        if isinstance(value, dt.datetime):
            cell.number_format = style.DATETIME
    style.widths(ws, [30, 100])


def workers_workbook(export: WorkerExport) -> Workbook:
    wb = Workbook()
    ws = wb.active
    if not isinstance(ws, Worksheet):
        ws = wb.create_sheet()
    ws.title = "花名册"  # the first sheet is the one the importer reads
    _roster_sheet(ws, export)
    _notes_sheet(wb.create_sheet("说明 Notes"), export)
    return wb


def workers_xlsx(export: WorkerExport) -> bytes:
    return workbook_bytes(workers_workbook(export))
