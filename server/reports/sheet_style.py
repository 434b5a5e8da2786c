"""The look the XLSX exports share with the 考勤表 (roster_xlsx): palette, title line, bilingual
header row, print setup. Layout stays in each report; this only paints cells."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from server.reports import key_line
from server.reports.cells import put

THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center")
WRAP = Alignment(horizontal="left", vertical="top", wrap_text=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
WARN_FILL = PatternFill("solid", fgColor="FFF2CC")
ALERT_FONT = Font(color="C00000", bold=True)
HEAD_FONT = Font(bold=True)
DATE = "yyyy-mm-dd"
TIME = "hh:mm"
DATETIME = "yyyy-mm-dd hh:mm"
TEXT = "@"


def merged_line(
    ws: Worksheet,
    row: int,
    text: str,
    last_col: int,
    *,
    bold: bool = False,
    size: int = 10,
    height: float = 0,
) -> None:
    """One text line across the sheet's width: the title (size > 12 is centred) or a note."""
    cell = put(ws, row, 1, text)
    cell.font = Font(bold=bold, size=size)
    cell.alignment = CENTER if size > 12 else WRAP
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=max(last_col, 1))
    if height:
        ws.row_dimensions[row].height = height


def header_row(
    ws: Worksheet,
    row: int,
    headers: Sequence[tuple[str, str]],
    *,
    english_as_comment: bool = False,
) -> None:
    """Chinese header with its English on a second line, or in a comment where the header text
    must stay exactly as an importer expects it."""
    for col, (zh, en) in enumerate(headers, 1):
        cell = put(ws, row, col, zh if english_as_comment else f"{zh}\n{en}")
        if english_as_comment:
            cell.comment = Comment(en, "SiteGate")
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
        cell.fill = HEAD_FILL
    ws.row_dimensions[row].height = 18 if english_as_comment else 30


def column_headers(
    ws: Worksheet, row: int, headers: Sequence[tuple[str, int]], *, freeze: bool = False
) -> None:
    """A bold, shaded, wrapped header row of (title, column width) pairs; `freeze` keeps it in
    view while scrolling."""
    for col, (title, width) in enumerate(headers, start=1):
        cell = put(ws, row, col, title)
        cell.font = Font(bold=True)
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[row].height = 30
    if freeze:
        ws.freeze_panes = ws.cell(row=row + 1, column=1)


def widths(ws: Worksheet, values: Sequence[float]) -> None:
    for col, width in enumerate(values, 1):
        ws.column_dimensions[get_column_letter(col)].width = width


def a4_landscape(ws: Worksheet) -> None:
    """Landscape A4, as wide as one page and as long as it needs, "第 N 页 / 共 M 页" below."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.3
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"


def print_setup(
    ws: Worksheet, *, header_row_no: int, last_col: int, last_row: int | None = None
) -> None:
    """Landscape A4 fitted to the page width, the header row repeated on every page, frozen;
    an auto-filter over the table (header to `last_row`, default the sheet's last row)."""
    ws.freeze_panes = ws.cell(row=header_row_no + 1, column=1)
    ws.print_title_rows = f"{header_row_no}:{header_row_no}"
    a4_landscape(ws)
    end = ws.max_row if last_row is None else last_row
    if end >= header_row_no and last_col:
        ws.auto_filter.ref = f"A{header_row_no}:{get_column_letter(last_col)}{end}"


def workbook_bytes(wb: Workbook) -> bytes:
    """The finished file: every sheet's printed header names the server's signing key
    (server/reports/key_line.py), a header and not a row, so an importable sheet stays so."""
    line = key_line.text()
    for ws in wb.worksheets:
        ws.oddHeader.center.text = line
        ws.evenHeader.center.text = line
        ws.firstHeader.center.text = line
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
