"""The canonical payroll template users download, fill in and import (XLSX and CSV)."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from server.payroll.parsers.row import FIELDS
from server.reports import cells

# text cells, or Excel eats the digits
TEXT_FIELDS = {"id_number", "bank_card", "period", "payer_account"}
_WIDTHS = {
    "name": 10, "id_number": 22, "bank_card": 24, "bank": 18, "paid_on": 12, "payer_account": 24,
}  # fmt: skip
_DATA_ROWS = 1000  # rows pre-formatted as text


def template_headers(english: bool = False) -> list[str]:
    return [f.name if english else f.header_zh for f in FIELDS]


def template_xlsx_bytes() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new Workbook always has a sheet
    ws.title = "代发工资"
    cells.append(ws, template_headers())
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col, spec in enumerate(FIELDS, start=1):
        cell = ws.cell(row=1, column=col)
        cell.font = bold
        cell.fill = fill
        need = "必填 / required" if spec.required else "选填 / optional"
        cell.comment = Comment(f"{spec.name}: {spec.label_en}\n{need}", "SiteGate")
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = _WIDTHS.get(spec.name, 14)
        if spec.name in TEXT_FIELDS:
            for row in range(2, _DATA_ROWS + 2):
                ws.cell(row=row, column=col).number_format = "@"
    ws.freeze_panes = "A2"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_csv_bytes(*, encoding: str = "utf-8-sig", english: bool = False) -> bytes:
    """Header-only CSV; UTF-8 with BOM by default so Excel opens the Chinese headers right."""
    return cells.csv_bytes([template_headers(english)], encoding=encoding)


def write_templates(directory: Path) -> tuple[Path, Path]:
    """Write 代发工资模板.xlsx and 代发工资模板.csv into `directory`; returns both paths."""
    directory.mkdir(parents=True, exist_ok=True)
    xlsx = directory / "代发工资模板.xlsx"
    csv_path = directory / "代发工资模板.csv"
    xlsx.write_bytes(template_xlsx_bytes())
    csv_path.write_bytes(template_csv_bytes())
    return xlsx, csv_path
