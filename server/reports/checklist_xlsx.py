"""各项目检查清单: the inspector's cross-project checklist as XLSX, one row per project (red
first): region, code, name, level, then each item's state and figure. Project names are typed
by people, so every cell goes through server/reports/cells.py (nothing becomes a formula)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from models.enums import WarningLevel
from server.checklist.rules import TITLE, Code, Item
from server.checklist.service import ProjectChecklist
from server.reports.cells import put
from server.reports.sheet_style import a4_landscape, column_headers, merged_line, workbook_bytes

LEVEL_TEXT = {
    WarningLevel.RED: "红色 red",
    WarningLevel.ORANGE: "橙色 orange",
    WarningLevel.YELLOW: "黄色 yellow",
    WarningLevel.GREEN: "绿色 green",
}
LEVEL_COLOUR = {
    WarningLevel.RED: "C00000",
    WarningLevel.ORANGE: "C55A11",
    WarningLevel.YELLOW: "7F6000",
    WarningLevel.GREEN: "375623",
}
HEADERS: tuple[tuple[str, int], ...] = (
    ("地区\nRegion", 10),
    ("项目编号\nCode", 12),
    ("项目名称\nProject", 24),
    ("级别\nLevel", 11),
    *((f"{TITLE[c][0]}\n{TITLE[c][1]}", 14) for c in Code),
)


def state(item: Item) -> str:
    """One item's cell: 通过 / 不检查, or its level; the figure after it when there is one."""
    if not item.checked:
        text = "不检查 off"
    elif item.ok:
        text = "通过 ok"
    else:
        text = LEVEL_TEXT[item.level]
    return f"{text} · {item.figure}" if item.figure else text


def checklist_xlsx(rows: Sequence[ProjectChecklist], *, generated_at: dt.datetime) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new Workbook always has a sheet
    ws.title = "检查清单"
    last = len(HEADERS)
    merged_line(ws, 1, "各项目检查清单 Checklists of the projects", last, bold=True, size=14)
    red = sum(1 for c in rows if c.level is WarningLevel.RED)
    merged_line(
        ws, 2,
        f"共 {len(rows)} 个项目,红色 {red} 个 · {len(rows)} projects, {red} red · "
        f"导出 generated {generated_at.strftime('%Y-%m-%d %H:%M')} UTC",
        last,
    )  # fmt: skip
    column_headers(ws, 3, HEADERS, freeze=True)
    for r, c in enumerate(rows, start=4):
        by_code = {i.code: i for i in c.items}
        values = [c.project.region, c.project.code, c.project.name, LEVEL_TEXT[c.level]]
        values += [state(by_code[code]) for code in Code]
        for col, value in enumerate(values, start=1):
            cell = put(ws, r, col, value)
            if col == 4 or (col > 4 and not by_code[list(Code)[col - 5]].ok):
                level = c.level if col == 4 else by_code[list(Code)[col - 5]].level
                cell.font = Font(color=LEVEL_COLOUR[level], bold=level is WarningLevel.RED)
    a4_landscape(ws)
    return workbook_bytes(wb)
