"""Spreadsheet uploads (CSV in UTF-8/GBK/UTF-16, or XLSX) -> a grid of raw cells, and the cell
rules every importer shares: cell text as typed, long digit strings Excel may have mangled.

Used by the payroll 代发 parser and the registry 花名册 importer; each keeps its own columns,
headers and field rules. A file that cannot be read raises the caller's own SiteGateError
subclass (`error=`), so the API code stays e.g. `payroll.unreadable_file` / `roster.bad_file`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

from models.errors import ContractError
from server.errors import SiteGateError
from server.sheet_reader import DEFAULT_LIMITS, ImportLimits, check_size, too_many_rows, xlsx_rows
from server.sheet_reader import Cell as Cell  # the importers' cell type

EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 = 1900-01-01 with Excel's leap-year bug
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


class CellError(ValueError):
    """One cell's value is wrong: a code and a zh/en reason, reported against the cell."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")

    @classmethod
    def from_contract(cls, err: ContractError, code: str | None = None) -> CellError:
        return cls(code or err.code, err.message_zh, err.message_en)


def text_of(value: Cell) -> str:
    """Cell text as the user typed it; unwraps Excel's text guards (="0123", leading ')."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    text = str(value).replace("\u3000", " ").strip()
    m = re.fullmatch(r'=\s*"(.*)"', text)
    if m:
        text = m.group(1).strip()
    return text.removeprefix("'").replace("\t", "").strip()


def is_blank(value: Cell) -> bool:
    return text_of(value) == ""


def digits_cell(value: Cell, what_zh: str, what_en: str, code: str) -> str:
    """The text of a cell holding a long digit string (ID number, card, phone), refusing one
    Excel has already changed: a long number typed into a numeric cell is stored as a double,
    so beyond 15 significant digits (or in scientific notation) the last digits are gone."""
    if isinstance(value, float) and (not value.is_integer() or abs(value) >= 1e15):
        raise CellError(
            code,
            f"{what_zh}以数字格式保存,Excel 已丢失末尾数字;请把该列设为文本后重新填写",
            f"{what_en} was stored as a number and Excel has lost its last digits; "
            "format the column as text and enter it again",
        )
    text = text_of(value)
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text):
        raise CellError(
            code,
            f"{what_zh}显示为科学计数法 {text},数字已丢失;请把该列设为文本",
            f"{what_en} is in scientific notation ({text}) and digits are lost; "
            "format the column as text",
        )
    return text


_DATE_PATTERNS = (
    re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?"),  # a time after it is ignored
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?(?:\s.*)?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})(?:\d{6})?"),  # 20261115 or 20261115093000
)


def date_cell(value: Cell, code: str) -> dt.date:
    """A date as spreadsheets hold it: a real date cell, an Excel serial typed into a number
    cell, or text in the forms Chinese banks and offices write (2026-11-15, 2026/11/15,
    2026年11月15日, 20261115). Anything else is a CellError with `code`."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 < value < 80000:
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = text_of(value)
    for pattern in _DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                break
    raise CellError(
        code,
        f"日期 {text!r} 无法识别(可填 2026-03-01 或 2026年3月1日)",
        f"date {text!r} not recognised (use 2026-03-01 or 2026年3月1日)",
    )


# --- reading the grid --------------------------------------------------------------------------


def decode(data: bytes, *, error: type[SiteGateError], encoding: str | None = None) -> str:
    """`encoding` when given; else UTF-16 by its BOM, else UTF-8 (BOM or not), else GB18030
    (a superset of GBK/GB2312, which is what Chinese banks and Excel-on-Windows export)."""
    if encoding:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise error(
                f"文件不是 {encoding} 编码,无法读取",
                f"the file is not valid {encoding} text",
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel "Unicode text" export
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for enc in candidates:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise error(
        "无法识别文件编码(支持 UTF-8、GBK/GB18030、UTF-16)",
        "cannot decode the file (supported: UTF-8, GBK/GB18030, UTF-16)",
    )


def sniff_delimiter(text: str, delimiters: tuple[str, ...], head_rows: int) -> str:
    """The delimiter seen most often in the first non-blank lines; ties go to the first."""
    head = [line for line in text.splitlines()[:head_rows] if line.strip()]
    return max(delimiters, key=lambda d: sum(line.count(d) for line in head))


def read_csv_grid(
    data: bytes,
    *,
    error: type[SiteGateError],
    encoding: str | None = None,
    delimiter: str | None = None,
    delimiters: tuple[str, ...] = (",", "\t", ";"),
    head_rows: int = 10,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> list[list[Cell]]:
    """Rows of text; more than `limits.max_rows` + `head_rows` rows holding a value is
    TooManyRowsError (the header may sit anywhere in the first `head_rows`)."""
    text = decode(data, error=error, encoding=encoding).lstrip("\ufeff")
    if "\x00" in text:
        raise error(
            "文件含有 NUL 字节,不是文本表格(是否把二进制文件改成了 .csv?)",
            "the file contains NUL bytes: it is not a text table (a binary file renamed .csv?)",
        )
    delimiter = delimiter or sniff_delimiter(text, delimiters, head_rows)
    cap = limits.max_rows + head_rows
    grid: list[list[Cell]] = []
    filled = 0  # blank lines (Excel writes ",,,," for formatted empty rows) are free
    try:
        for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(f.strip() for f in r):
                filled += 1
                if filled > cap:
                    raise too_many_rows(limits)
            grid.append(list(r[: limits.max_columns]))
    except csv.Error as err:
        raise error(f"CSV 格式错误: {err}", f"malformed CSV: {err}") from None
    return grid


_BLANK: list[Cell] = []  # never mutated: the grid is read, not edited


def read_xlsx_grid(
    data: bytes,
    *,
    error: type[SiteGateError],
    head_rows: int = 10,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> list[list[Cell]]:
    """First worksheet's cached values (formulas as last computed by Excel), read lazily; more
    than `limits.max_rows` + `head_rows` rows is TooManyRowsError, found without reading on.
    Index + 1 = Excel row (a row missing from the file is an empty list)."""
    cap = limits.max_rows + head_rows
    grid: list[list[Cell]] = []
    filled = 0  # rows Excel keeps only for their formatting are free, and share one empty list
    for row in xlsx_rows(data, limits, error=error, row_cap=cap):
        if any(not is_blank(v) for v in row):
            filled += 1
            if filled > cap:
                raise too_many_rows(limits)
            grid.append(row)
        else:
            grid.append(_BLANK)
    return grid


def read_grid(
    data: bytes,
    filename: str | None,
    *,
    error: type[SiteGateError],
    limits: ImportLimits = DEFAULT_LIMITS,
    encoding: str | None = None,
    delimiter: str | None = None,
    delimiters: tuple[str, ...] = (",", "\t", ";"),
    head_rows: int = 10,
) -> list[list[Cell]]:
    """XLSX by its magic bytes, else CSV; a legacy .xls or a broken .xlsx is refused. Every cap
    in `limits` is checked before or while reading: FileTooLargeError (413) for bytes, zip
    members and inflated size, TooManyRowsError (422) for rows."""
    check_size(data, limits)
    suffix = Path(filename).suffix.lower() if filename else ""
    if data.startswith(XLS_MAGIC) or suffix == ".xls":
        raise error(
            "不支持旧版 .xls 文件,请在 Excel 中另存为 .xlsx 或 .csv",
            "legacy .xls files are not supported; save as .xlsx or .csv in Excel",
        )
    if data.startswith(XLSX_MAGIC):
        return read_xlsx_grid(data, error=error, head_rows=head_rows, limits=limits)
    if suffix in (".xlsx", ".xlsm"):
        raise error("文件不是有效的 XLSX", "the file is not a valid XLSX workbook")
    return read_csv_grid(
        data,
        error=error,
        encoding=encoding,
        delimiter=delimiter,
        delimiters=delimiters,
        head_rows=head_rows,
        limits=limits,
    )
