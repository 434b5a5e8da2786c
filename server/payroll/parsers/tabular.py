"""Read a bank 代发 result file (CSV in UTF-8/GBK/UTF-16, or XLSX) into validated rows.

Bad data never raises: every problem becomes a RowIssue with the Excel row number, the column
letter and header, and a zh/en reason. Only a file that cannot be read at all raises
PayrollFileError, and a file over the import caps FileTooLargeError (413) or TooManyRowsError
(422), before any row is validated.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter

from models.ids import bank_card_warning, mask_bank_card
from server.payroll.parsers import cells
from server.payroll.parsers.errors import PayrollFileError
from server.payroll.parsers.layout import CANONICAL, BankLayout, load_layouts, normalise_header
from server.payroll.parsers.row import (
    FIELD_BY_NAME,
    FIELDS,
    ParseResult,
    PayrollRow,
    RowIssue,
    TransferStatus,
)
from server.sheet_reader import DEFAULT_LIMITS, ImportLimits, too_many_rows
from server.tabular import Cell, CellError, is_blank, text_of
from server.tabular import read_grid as read_sheet

HEADER_SEARCH_ROWS = 20


def fingerprint(data: bytes) -> str:
    """SHA-256 of the file's bytes: the same file imported twice has the same fingerprint."""
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------
# Reading the grid


def read_grid(
    data: bytes,
    filename: str | None,
    layout: BankLayout | None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> list[list[Cell]]:
    """The shared reader; a bank layout may fix the CSV encoding and delimiter."""
    return read_sheet(
        data,
        filename,
        error=PayrollFileError,
        limits=limits,
        encoding=layout.encoding if layout else None,
        delimiter=layout.delimiter if layout else None,
        delimiters=(",", "\t", ";", "|"),
        head_rows=HEADER_SEARCH_ROWS,
    )


# --------------------------------------------------------------------------------------------
# Header


@dataclass(slots=True)
class _Header:
    layout: BankLayout
    row: int  # Excel row number
    columns: dict[str, int]  # field -> 0-based column index
    texts: dict[int, str]  # column index -> header text as in the file
    missing: list[str]  # required fields not found
    duplicates: list[tuple[str, int]] = field(default_factory=list)


def _required(layout: BankLayout, default_period: str | None) -> list[str]:
    req = [f.name for f in FIELDS if f.required]
    if default_period is not None:
        req.remove("period")
    if layout.default_status is not None:
        req.remove("status")
    return req


def _match_header(
    grid: Sequence[Sequence[Cell]], layout: BankLayout, default_period: str | None
) -> _Header | None:
    index = layout.header_index()
    required = _required(layout, default_period)
    rows = (
        [layout.header_row - 1] if layout.header_row else range(min(HEADER_SEARCH_ROWS, len(grid)))
    )
    best: _Header | None = None
    for i in rows:
        if i >= len(grid):
            continue
        columns: dict[str, int] = {}
        texts: dict[int, str] = {}
        dups: list[tuple[str, int]] = []
        for j, value in enumerate(grid[i]):
            text = text_of(value)
            fld = index.get(normalise_header(text)) if text else None
            if fld is None:
                continue
            texts[j] = text
            if fld in columns:
                dups.append((fld, j))
            else:
                columns[fld] = j
        if not columns:
            continue
        missing = [f for f in required if f not in columns]
        cand = _Header(layout, i + 1, columns, texts, missing, dups)
        if best is None or (len(missing), -len(columns)) < (len(best.missing), -len(best.columns)):
            best = cand
        if not missing:
            break
    return best


def _find_header(
    grid: Sequence[Sequence[Cell]],
    layouts: Sequence[BankLayout],
    default_period: str | None,
) -> _Header | None:
    best: _Header | None = None
    for layout in layouts:
        h = _match_header(grid, layout, default_period)
        if h is None:
            continue
        if not h.missing:
            return h
        if best is None or (len(h.missing), -len(h.columns)) < (
            len(best.missing),
            -len(best.columns),
        ):
            best = h
    return best


# --------------------------------------------------------------------------------------------
# Rows


class _RowContext:
    def __init__(self, header: _Header, row: Sequence[Cell], row_no: int) -> None:
        self.header = header
        self.row = row
        self.row_no = row_no
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []

    def value(self, fld: str) -> Cell:
        j = self.header.columns.get(fld)
        if j is None or j >= len(self.row):
            return None
        return self.row[j]

    def has(self, fld: str) -> bool:
        return fld in self.header.columns

    def issue(self, fld: str | None, code: str, zh: str, en: str) -> RowIssue:
        j = self.header.columns.get(fld) if fld else None
        return RowIssue(
            row=self.row_no,
            column=get_column_letter(j + 1) if j is not None else None,
            header=self.header.texts.get(j) if j is not None else None,
            field=fld,
            code=code,
            message_zh=zh,
            message_en=en,
        )

    def parse(self, fld: str, fn: Callable[[Cell], Any]) -> Any:
        try:
            return fn(self.value(fld))
        except CellError as err:
            self.errors.append(self.issue(fld, err.code, err.message_zh, err.message_en))
            return None


def _parse_row(
    ctx: _RowContext,
    status_table: Mapping[str, TransferStatus],
    default_period: str | None,
    default_payer: str | None = None,
) -> PayrollRow | None:
    layout = ctx.header.layout
    name = ctx.parse("name", cells.parse_name)

    id_number: str | None = None
    if ctx.has("id_number"):
        if is_blank(ctx.value("id_number")):
            ctx.warnings.append(
                ctx.issue(
                    "id_number",
                    "payroll.missing_id_number",
                    "身份证号为空,将按银行卡号匹配工人",
                    "ID number is empty; the worker will be matched by bank card",
                )
            )
        else:
            id_number = ctx.parse("id_number", cells.parse_id_number)

    card = ctx.parse("bank_card", cells.parse_card)
    if card is not None and (warning := bank_card_warning(card)) is not None:
        zh, _, en = warning.partition(" / ")
        ctx.warnings.append(ctx.issue("bank_card", "payroll.card_luhn", zh, en))

    bank = text_of(ctx.value("bank")) or None
    net = ctx.parse(
        "net_amount", lambda v: cells.parse_amount(v, label_zh="实发金额", label_en="net amount")
    )
    gross = None
    if not is_blank(ctx.value("gross_amount")):
        gross = ctx.parse(
            "gross_amount",
            lambda v: cells.parse_amount(v, label_zh="应发金额", label_en="gross amount"),
        )
    days = None if is_blank(ctx.value("days")) else ctx.parse("days", cells.parse_days)

    if ctx.has("period") and not is_blank(ctx.value("period")):
        period = ctx.parse("period", cells.parse_period_cell)
    elif default_period is not None:
        period = default_period
    else:
        period = ctx.parse("period", cells.parse_period_cell)  # reports "empty"

    paid_on = (
        None if is_blank(ctx.value("paid_on")) else ctx.parse("paid_on", cells.parse_date_cell)
    )

    if ctx.has("status") and not (is_blank(ctx.value("status")) and layout.default_status):
        status = ctx.parse("status", lambda v: cells.parse_status(v, status_table))
    else:
        status = layout.default_status

    payer = default_payer
    if not is_blank(ctx.value("payer_account")):  # the row's own column wins over the title's
        payer = ctx.parse("payer_account", cells.parse_payer_account)

    if gross is not None and net is not None and gross < net:
        ctx.warnings.append(
            ctx.issue(
                "net_amount",
                "payroll.net_above_gross",
                "实发金额大于应发金额",
                "net amount is larger than gross amount",
            )
        )
    if ctx.errors:
        return None
    return PayrollRow(
        row_number=ctx.row_no,
        name=name,
        id_number=id_number,
        bank_card=card,
        bank=bank,
        gross_fen=gross,
        net_fen=net,
        days=days,
        period=period,
        paid_on=paid_on,
        status=status,
        payer_account=payer,
    )


_LABEL_SPLIT = re.compile(r"[:：]")


def _payer_above_header(
    grid: Sequence[Sequence[Cell]], header: _Header
) -> tuple[str | None, RowIssue | None]:
    """The batch's paying account where banks print it once, above the header: a cell
    "付款账号: 1234…" (or the label in one cell and the number in the next). The layout's
    payer headers and the canonical ones are the labels."""
    labels = {
        normalise_header(h)
        for h in (
            *header.layout.columns.get("payer_account", ()),
            *CANONICAL.columns["payer_account"],
        )
    }
    for i in range(min(header.row - 1, len(grid))):
        row = grid[i]
        for j, value in enumerate(row):
            text = text_of(value)
            colon = _LABEL_SPLIT.search(text)
            label, rest = (text[: colon.start()], text[colon.end() :]) if colon else (text, "")
            if normalise_header(label) not in labels:
                continue
            if not rest.strip():  # the label alone: the number is in the next filled cell
                rest = next((text_of(v) for v in row[j + 1 :] if not is_blank(v)), "")
            try:
                return cells.parse_payer_account(rest), None
            except CellError as err:
                return None, RowIssue(
                    i + 1, get_column_letter(j + 1), label.strip(), "payer_account",
                    err.code, err.message_zh, err.message_en,
                )  # fmt: skip
    return None, None


def _is_total_row(row: Sequence[Cell], prefixes: Sequence[str]) -> bool:
    first = next((text_of(v) for v in row if not is_blank(v)), "")
    return any(first.lower().startswith(p.lower()) for p in prefixes)


def parse_grid(
    grid: Sequence[Sequence[Cell]],
    *,
    layouts: Sequence[BankLayout],
    default_period: str | None = None,
    fingerprint_hex: str = "",
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ParseResult:
    """Validate a grid of cells (row 0 = Excel row 1) against the first layout that fits; more
    than `limits.max_rows` data rows is TooManyRowsError (nothing is imported)."""
    if default_period is not None:
        default_period = cells.parse_period_cell(default_period)
    header = _find_header(grid, layouts, default_period)
    errors: list[RowIssue] = []
    warnings: list[RowIssue] = []
    if header is None:
        expected = "、".join(f.header_zh for f in FIELDS if f.required)
        errors.append(
            RowIssue(
                row=1,
                column=None,
                header=None,
                field=None,
                code="payroll.no_header",
                message_zh=f"前 {HEADER_SEARCH_ROWS} 行中找不到表头(至少需要: {expected})",
                message_en=f"no header row found in the first {HEADER_SEARCH_ROWS} rows "
                "(need at least: " + ", ".join(f.name for f in FIELDS if f.required) + ")",
            )
        )
        return ParseResult((), tuple(errors), (), fingerprint_hex, layouts[0].name, None)

    for fld in header.missing:
        spec = FIELD_BY_NAME[fld]
        names = " / ".join(header.layout.columns.get(fld, [spec.header_zh]))
        errors.append(
            RowIssue(
                header.row, None, names, fld, "payroll.missing_column",
                f"缺少必需的列「{names}」",
                f"required column '{names}' ({spec.label_en}) is missing",
            )
        )  # fmt: skip
    for fld, j in header.duplicates:
        warnings.append(
            RowIssue(
                header.row, get_column_letter(j + 1), header.texts.get(j), fld,
                "payroll.duplicate_column",
                "重复的列,已使用靠左的一列", "duplicate column; the leftmost one is used",
            )
        )  # fmt: skip
    if "id_number" not in header.columns:
        warnings.append(
            RowIssue(
                header.row, None, None, "id_number", "payroll.no_id_column",
                "文件没有身份证号列,将按银行卡号匹配工人",
                "the file has no ID number column; workers will be matched by bank card",
            )
        )  # fmt: skip
    if header.missing:
        return ParseResult(
            (), tuple(errors), tuple(warnings), fingerprint_hex, header.layout.name, header.row
        )

    status_table = cells.status_lookup({k: tuple(v) for k, v in header.layout.status_words.items()})
    batch_payer, payer_issue = _payer_above_header(grid, header)
    if payer_issue is not None:  # no row to reject: the batch's payer stays unknown
        warnings.append(payer_issue)
    rows: list[PayrollRow] = []
    seen: dict[tuple[Any, ...], int] = {}
    if sum(1 for raw in grid[header.row :] if not all(is_blank(v) for v in raw)) > limits.max_rows:
        raise too_many_rows(limits)  # before validating any row: nothing is imported
    for i in range(header.row, len(grid)):
        raw = grid[i]
        row_no = i + 1
        if all(is_blank(v) for v in raw):
            continue
        if _is_total_row(raw, header.layout.skip_row_prefixes):
            warnings.append(
                RowIssue(
                    row_no, None, None, None, "payroll.total_row_skipped",
                    "合计行,已跳过", "total row, skipped",
                )
            )  # fmt: skip
            continue
        ctx = _RowContext(header, raw, row_no)
        parsed = _parse_row(ctx, status_table, default_period, batch_payer)
        errors.extend(ctx.errors)
        warnings.extend(ctx.warnings)
        if parsed is None:
            continue
        key = (parsed.id_number, parsed.bank_card, parsed.period, parsed.net_fen, parsed.status)
        if key in seen:
            warnings.append(
                ctx.issue(
                    None,
                    "payroll.duplicate_row",
                    f"与第 {seen[key]} 行重复(同一人、所属期、金额、状态)"
                    f",账号 {mask_bank_card(parsed.bank_card)}",
                    f"same person, period, amount and status as row {seen[key]}"
                    f", account {mask_bank_card(parsed.bank_card)}",
                )
            )
        else:
            seen[key] = row_no
        rows.append(parsed)
    return ParseResult(
        tuple(rows), tuple(errors), tuple(warnings), fingerprint_hex, header.layout.name, header.row
    )


def _resolve_layouts(
    layout: str | BankLayout | None, layouts: Mapping[str, BankLayout] | None
) -> list[BankLayout]:
    if isinstance(layout, BankLayout):
        return [layout]
    available = dict(layouts) if layouts is not None else load_layouts()
    if layout is None:
        return [CANONICAL, *(v for k, v in available.items() if k != CANONICAL.name)]
    if layout not in available:
        raise PayrollFileError(
            f"未知的银行格式 {layout!r}(可用: {', '.join(available)})",
            f"unknown bank layout {layout!r} (available: {', '.join(available)})",
            code="payroll.unknown_layout",
        )
    return [available[layout]]


def parse_payroll_file(
    source: bytes | Path,
    *,
    filename: str | None = None,
    layout: str | BankLayout | None = None,
    layouts: Mapping[str, BankLayout] | None = None,
    default_period: str | None = None,
    limits: ImportLimits = DEFAULT_LIMITS,
) -> ParseResult:
    """Parse a 代发 file. `layout` None tries the canonical template, then every bank layout.

    `default_period` ("YYYY-MM") fills the wage period when the file has no such column or cell.
    `limits` caps the bytes, the inflated XLSX and the rows (server.tabular.read_grid).
    """
    if isinstance(source, Path):
        filename = filename or source.name
        try:
            data = source.read_bytes()
        except OSError as err:
            raise PayrollFileError(f"无法读取文件: {err}", f"cannot read the file: {err}") from None
    else:
        data = source
    if not data.strip():
        raise PayrollFileError("文件为空", "the file is empty")
    candidates = _resolve_layouts(layout, layouts)
    # Only a CSV needs the layout for decoding; for detection, use the first explicit encoding.
    grid = read_grid(data, filename, candidates[0] if len(candidates) == 1 else None, limits)
    return parse_grid(
        grid,
        layouts=candidates,
        default_period=default_period,
        fingerprint_hex=fingerprint(data),
        limits=limits,
    )
