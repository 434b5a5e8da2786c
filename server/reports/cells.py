"""The one way SiteGate writes a spreadsheet cell, XLSX or CSV: input never becomes a formula.

Names, teams, companies, banks, reasons and comments arrive from rosters, bank files, ID cards
and forms. Text starting with = + - @ tab or CR is what Excel, WPS and LibreOffice run as a
formula (or a DDE command, `=cmd|' /C calc'!A0`), so it is written with a leading apostrophe,
as OWASP's CSV-injection guidance says: the text stays readable, nothing runs, and the cell
stays text when copied out or saved as CSV. In an XLSX the cell is also typed as a string, so
openpyxl never stores a formula. Numbers, dates and booleans keep their type (a negative amount
stays a number). The importers drop that apostrophe again (server.tabular.text_of), so an
exported 花名册 re-imports unchanged.

tests/unit/server/reports/test_cells.py fails if a module under server/ writes a cell value or
a CSV row any other way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.worksheet.worksheet import Worksheet

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Our own "none" mark in reports: one character cannot hold a formula.
PLACEHOLDERS = frozenset({"-"})


def neutral(value: object) -> object:
    """`value` as safe cell content: text without the control characters Excel cannot store
    (openpyxl refuses the cell otherwise) and, if it starts like a formula, with a leading
    apostrophe; anything not text passes unchanged."""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    if text.startswith(TRIGGERS) and text not in PLACEHOLDERS:
        return "'" + text
    return text


def put(ws: Worksheet, row: int, column: int, value: object) -> Cell:
    """Write one cell; text is neutralised and typed as a string."""
    cell = ws.cell(row=row, column=column)
    cell.value = neutral(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


def append(ws: Worksheet, values: Iterable[object]) -> None:
    """A row after the sheet's last one (write-only or normal sheets)."""
    ws.append([neutral(v) for v in values])


def csv_text(rows: Iterable[Sequence[object]], *, delimiter: str = ",") -> str:
    """Rows as CSV text (CRLF, as Excel writes it); every field neutralised."""
    buf = io.StringIO(newline="")
    out = csv.writer(buf, lineterminator="\r\n", delimiter=delimiter)
    for row in rows:
        out.writerow([neutral(v) for v in row])
    return buf.getvalue()


def csv_bytes(rows: Iterable[Sequence[object]], *, encoding: str = "utf-8-sig") -> bytes:
    """CSV bytes; UTF-8 with BOM by default so Excel opens the Chinese correctly."""
    return csv_text(rows).encode(encoding)
