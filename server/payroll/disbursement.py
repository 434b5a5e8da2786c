"""The 代发 instruction file: what the general contractor sends the bank to pay each worker.

Pure over two dataclasses, `DisbursementBatch` and its `DisbursementLine`s; no database. The file
comes in the canonical template's columns (server/payroll/parsers/template.py, the same file a
site manager imports) or in a bank layout of bank_layouts.yaml (each field's first header text,
its header row, its CSV encoding and delimiter), so the bank's result is the same file with the
status column filled and imports back with the existing parsers unchanged.

Decisions:

- Status and paid-on columns are written empty: the bank fills them in its result.
- A trailing 备注 (remark) column carries each line's remark; no layout maps it, so the parsers
  ignore it on re-import.
- The totals (number of lines, sum in yuan) sit in a title block above the header, which the
  parsers skip (they search for the header, or a layout fixes its row): the block takes the rows
  the layout leaves above its header. A layout whose header is on row 1 gets a trailing 合计 row
  instead (its first total-row prefix), which the parsers skip as a total row.
- Amounts are text with two decimals and no thousands separator ("9999999.99"), computed from
  integer fen: a bank import never sees a float, and Excel cannot round them.
- Every cell goes through server/reports/cells.py: a name like "=cmd|..." stays text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from models.errors import ContractError
from models.ids import parse_bank_card, parse_id_number
from models.money import Fen
from server.errors import ValidationFailedError
from server.payroll.parsers import CANONICAL, FIELDS, BankLayout
from server.payroll.parsers.row import FIELD_BY_NAME
from server.reports import cells

REMARK_HEADER = "备注"
TITLE = "代发工资 / Wage disbursement"
SHEET_TITLE = "代发工资"
# Filled by the bank in its result; empty in the instruction.
RESULT_FIELDS = frozenset({"status", "paid_on"})
# Text cells, or Excel turns the digits into a number and drops the last ones.
_TEXT_FIELDS = frozenset({"id_number", "bank_card", "period", "gross_amount", "net_amount"})
_WIDTHS = {"name": 10, "id_number": 22, "bank_card": 24, "bank": 18, "net_amount": 14}
_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


class DisbursementError(ValidationFailedError):
    """The batch cannot be written as a bank instruction; `detail` lists every bad line."""

    code = "disbursement.bad_batch"


@dataclass(frozen=True, slots=True)
class DisbursementLine:
    """One payment: to the worker's own card (总包代发), net amount in fen."""

    row_no: int  # the line's number in the batch (序号); lines are written in this order
    name: str
    id_number: str | None
    bank_card: str
    bank_name: str
    net_fen: Fen
    gross_fen: Fen | None = None
    days: float | None = None  # whole or half days
    period: str = ""  # "YYYY-MM" the wage belongs to; "" = the batch's period
    remark: str = ""


@dataclass(frozen=True, slots=True)
class DisbursementBatch:
    """One instruction file, paid from the project's wage account (农民工工资专用账户)."""

    project_code: str
    project_name: str
    payer_name: str  # the general contractor (施工总承包单位)
    payer_account: str  # the project's wage account number
    payer_bank: str
    period: str  # "YYYY-MM"
    lines: tuple[DisbursementLine, ...] = field(default_factory=tuple)

    @property
    def count(self) -> int:
        return len(self.lines)

    @property
    def total_fen(self) -> Fen:
        return sum(line.net_fen for line in self.lines)


# --------------------------------------------------------------------------------------------
# Checking


def yuan_text(fen: Fen) -> str:
    """Integer fen as yuan text with two decimals, no separators: 1 -> "0.01"."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"fen must be an int, not {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _days_text(days: float) -> str:
    return f"{Decimal(str(days)).normalize():f}"


def _is_fen(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _line_problems(line: DisbursementLine, batch_period: str) -> list[tuple[str, str, str]]:
    """(field, zh, en) for each problem of one line."""
    out: list[tuple[str, str, str]] = []
    if not line.name.strip():
        out.append(("name", "姓名为空", "name is empty"))
    try:
        parse_bank_card(line.bank_card)
    except ContractError as err:
        out.append(("bank_card", err.message_zh, err.message_en))
    if line.id_number:
        try:
            parse_id_number(line.id_number)
        except ContractError as err:
            out.append(("id_number", err.message_zh, err.message_en))
    if not _is_fen(line.net_fen) or line.net_fen <= 0:
        out.append(("net_amount", "实发金额须大于零(分)", "net amount must be more than zero fen"))
    if line.gross_fen is not None and (not _is_fen(line.gross_fen) or line.gross_fen < 0):
        out.append(("gross_amount", "应发金额不能为负数", "gross amount cannot be negative"))
    if line.days is not None and not (0 <= line.days <= 31 and (line.days * 2) % 1 == 0):
        out.append(
            ("days", "出勤天数须在 0-31 之间,且为整天或半天", "days must be 0-31, whole or half")
        )
    if not _PERIOD.fullmatch(line.period or batch_period):
        out.append(("period", "工资所属期须为 YYYY-MM", "wage period must be YYYY-MM"))
    return out


def _problem(row_no: int | None, fld: str | None, zh: str, en: str) -> dict[str, Any]:
    return {"row_no": row_no, "field": fld, "message_zh": zh, "message_en": en}


def check_batch(batch: DisbursementBatch) -> None:
    """Raise DisbursementError listing every bad line (a bank refuses the whole file otherwise)."""
    problems: list[dict[str, Any]] = []
    if not _PERIOD.fullmatch(batch.period):
        problems.append(
            _problem(None, "period", "批次所属期须为 YYYY-MM", "the batch's period must be YYYY-MM")
        )
    if not batch.lines:
        problems.append(_problem(None, None, "批次中没有代发明细", "the batch has no lines"))
    seen: set[int] = set()
    for line in batch.lines:
        if line.row_no in seen or line.row_no < 1:
            problems.append(
                _problem(
                    line.row_no, "row_no", "序号重复或小于 1", "row number repeated or below 1"
                )
            )
        seen.add(line.row_no)
        problems.extend(_problem(line.row_no, *p) for p in _line_problems(line, batch.period))
    if problems:
        first = problems[0]
        where_zh = f"第 {first['row_no']} 笔: " if first["row_no"] is not None else ""
        where_en = f"line {first['row_no']}: " if first["row_no"] is not None else ""
        raise DisbursementError(
            f"代发文件无法生成,共 {len(problems)} 处问题({where_zh}{first['message_zh']})",
            f"cannot write the disbursement file: {len(problems)} problems "
            f"({where_en}{first['message_en']})",
            detail=problems,
        )


# --------------------------------------------------------------------------------------------
# The grid


@dataclass(frozen=True, slots=True)
class Sheet:
    """What a writer puts on the sheet, row by row (row 0 = Excel row 1)."""

    rows: tuple[tuple[object, ...], ...]
    header_row: int  # Excel row of the header
    fields: tuple[str | None, ...]  # canonical field per column; None = the remark column
    headers: tuple[str, ...]


def layout_fields(layout: BankLayout) -> tuple[str, ...]:
    """The layout's fields in its column order; the canonical template's is FIELDS order."""
    if layout.name == CANONICAL.name:
        return tuple(f.name for f in FIELDS)
    return tuple(layout.columns)


def _title_block(batch: DisbursementBatch, rows: int | None) -> list[tuple[object, ...]]:
    """The lines above the header. The labels are none of any layout's header texts (the
    parsers search for the header by its texts), hence "所属期" and not "工资所属期"."""
    heading: tuple[object, ...] = (
        TITLE,
        f"项目 Project: {batch.project_code} {batch.project_name}",
    )
    payer: tuple[object, ...] = (
        f"付款单位 Payer: {batch.payer_name}",
        f"付款账户 Account: {batch.payer_account}",
        f"开户行 Bank: {batch.payer_bank}",
        f"所属期 Period: {batch.period}",
    )
    totals: tuple[object, ...] = (
        "总笔数 Count",
        str(batch.count),
        "总金额(元) Total (yuan)",
        yuan_text(batch.total_fen),
    )
    if rows is None:  # the parsers search for the header: room for the whole block
        return [heading, payer, totals, ()]
    if rows >= 3:
        return [heading, payer, totals, *([()] * (rows - 3))]
    if rows == 2:
        return [heading + payer, totals]
    if rows == 1:
        return [totals + heading]
    return []


def _value(line: DisbursementLine, fld: str, batch: DisbursementBatch) -> object:
    match fld:
        case "name":
            return line.name
        case "id_number":
            return (line.id_number or "").upper()
        case "bank_card":
            return parse_bank_card(line.bank_card)
        case "bank":
            return line.bank_name
        case "gross_amount":
            return "" if line.gross_fen is None else yuan_text(line.gross_fen)
        case "net_amount":
            return yuan_text(line.net_fen)
        case "days":
            return "" if line.days is None else _days_text(line.days)
        case "period":
            return line.period or batch.period
        case "payer_account":
            return batch.payer_account  # the project's wage account pays every line
    return ""  # status and paid_on: the bank's to fill


def sheet(batch: DisbursementBatch, layout: BankLayout = CANONICAL) -> Sheet:
    """The instruction as rows of cell values for `layout`; raises DisbursementError."""
    check_batch(batch)
    fields = layout_fields(layout)
    headers = (*(layout.columns[f][0] for f in fields), REMARK_HEADER)
    above = None if layout.header_row is None else layout.header_row - 1
    block = _title_block(batch, above)
    data: list[tuple[object, ...]] = [
        (*(_value(line, f, batch) for f in fields), line.remark)
        for line in sorted(batch.lines, key=lambda ln: ln.row_no)
    ]
    rows: list[tuple[object, ...]] = [*block, headers, *data]
    # No room above the header: below the lines, in a row the parsers skip as a total row. A
    # layout with neither room nor a total-row prefix gets no totals (they would be read as a line).
    if above == 0 and layout.skip_row_prefixes:
        rows.append(
            (
                f"{layout.skip_row_prefixes[0]} Total",
                f"{batch.count} 笔 lines",
                yuan_text(batch.total_fen),
                "元 yuan",
            )
        )
    return Sheet(tuple(rows), len(block) + 1, (*fields, None), headers)


# --------------------------------------------------------------------------------------------
# Writers


def disbursement_xlsx(batch: DisbursementBatch, layout: BankLayout = CANONICAL) -> bytes:
    """The instruction as an XLSX workbook (one sheet, text cells for digits and amounts)."""
    grid = sheet(batch, layout)
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new Workbook always has a sheet
    ws.title = SHEET_TITLE
    head = grid.header_row
    bold = Font(bold=True)
    for r, values in enumerate(grid.rows, start=1):
        for c, value in enumerate(values, start=1):
            cell = cells.put(ws, r, c, value)
            fld = grid.fields[c - 1] if c <= len(grid.fields) else None
            if r > head and fld in _TEXT_FIELDS:
                cell.number_format = "@"
    ws.cell(row=1, column=1).font = Font(bold=True, size=12)
    for c, (fld, text) in enumerate(zip(grid.fields, grid.headers, strict=True), start=1):
        cell = ws.cell(row=head, column=c)
        cell.font = bold
        cell.fill = _HEAD_FILL
        spec = FIELD_BY_NAME.get(fld) if fld else None
        note = "remark" if spec is None else spec.label_en
        if fld in RESULT_FIELDS:
            note += "\n由银行填写 / filled in by the bank"
        cell.comment = Comment(f"{text}: {note}", "SiteGate")
        ws.column_dimensions[get_column_letter(c)].width = _WIDTHS.get(fld or "", 14)
    ws.freeze_panes = ws.cell(row=head + 1, column=1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_encoding(layout: BankLayout) -> str:
    """The layout's encoding; UTF-8 with a BOM otherwise, so Excel opens the Chinese right."""
    return layout.encoding or "utf-8-sig"


def disbursement_csv(batch: DisbursementBatch, layout: BankLayout = CANONICAL) -> bytes:
    """The instruction as CSV in the layout's encoding and delimiter (CRLF, as Excel writes)."""
    grid = sheet(batch, layout)
    width = max(len(r) for r in grid.rows)
    rows: Sequence[Sequence[object]] = [(*r, *([""] * (width - len(r)))) for r in grid.rows]
    text = cells.csv_text(rows, delimiter=layout.delimiter or ",")
    try:
        return text.encode(csv_encoding(layout))
    except UnicodeEncodeError as err:
        bad = text[err.start : err.end]
        raise DisbursementError(
            f"字符 {bad!r} 无法用 {layout.encoding} 编码写出,请改用 XLSX 或其他银行格式",
            f"the character {bad!r} cannot be written in {layout.encoding}; use XLSX or "
            "another layout",
        ) from None


def file_name(batch: DisbursementBatch, layout: BankLayout, ext: str) -> str:
    return f"代发_{batch.project_code}_{batch.period}_{layout.name}.{ext}"
