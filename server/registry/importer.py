"""Worker roster (花名册) files -> validated rows. Pure: no database; the service resolves firms,
teams and cards and writes.

Every problem is a RowIssue with the row number as Excel shows it (header = row 1), the column's
header text and Excel letter, and a zh/en reason. Only an unreadable file raises RosterFileError,
and a file over the import caps FileTooLargeError (413) or TooManyRowsError (422).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from models.enums import WageKind
from models.errors import ContractError
from models.ids import (
    IdType,
    bank_card_warning,
    normalise_card_uid,
    parse_bank_card,
    parse_id_number,
    parse_id_type,
    parse_mobile,
    resolve_identity,
)
from models.money import Fen, yuan_to_fen
from server import vocabulary
from server.errors import SiteGateError
from server.ops.metrics import timed_import
from server.reports import cells
from server.reports.cells import put
from server.sheet_reader import DEFAULT_LIMITS, ImportLimits, too_many_rows
from server.tabular import Cell, CellError, date_cell, digits_cell, text_of
from server.tabular import read_grid as read_sheet

HEADER_SEARCH_ROWS = 10


class RosterFileError(SiteGateError):
    code = "roster.bad_file"
    status_code = 422


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    header_zh: str
    header_en: str
    aliases: tuple[str, ...]
    required: bool = False


# The first zh/en header of each column is what the template shows.
COLUMNS: tuple[Column, ...] = (
    Column("name", "姓名", "Name", ("工人姓名", "full name", "worker name"), required=True),
    Column(
        "id_number",
        "身份证号",
        "ID number",
        (
            "身份证号码",
            "公民身份号码",
            "证件号码",
            "身份证",
            "id no",
            "id card number",
            "id_number",
        ),
        required=True,
    ),
    Column("phone", "手机号", "Mobile", ("手机号码", "手机", "联系电话", "电话", "phone")),
    Column(
        "bank_card",
        "银行卡号",
        "Bank card",
        ("工资卡号", "银行账号", "工资卡", "bank card number", "bank_card", "account number"),
    ),
    Column("bank_name", "开户银行", "Bank", ("开户行", "银行", "bank name", "bank_name")),
    Column(
        "company",
        "所属企业",
        "Company",
        ("单位", "所属单位", "用工单位", "企业", "统一社会信用代码", "employer", "credit code"),
    ),
    Column("team", "班组", "Team", ("班组名称", "team name")),
    Column("trade", "工种", "Trade", ("trade name",)),
    Column(
        "wage_kind", "工资方式", "Wage kind", ("计薪方式", "工资类型", "wage type", "wage_kind")
    ),
    Column(
        "wage_rate",
        "工资标准(元)",
        "Wage rate (yuan)",
        ("工资标准", "日薪/月薪标准", "wage rate", "wage", "wage_rate"),
    ),
    Column(
        "contract_signed_on",
        "合同签订日期",
        "Contract date",
        ("劳动合同签订日期", "合同日期", "contract signed", "contract signed on"),
    ),
    Column(
        "safety_trained_on",
        "安全教育日期",
        "Safety training date",
        ("安全培训日期", "三级安全教育日期", "safety training", "safety trained on"),
    ),
    Column("entered_on", "进场日期", "Entry date", ("入场日期", "entered on", "entry")),
    Column(
        "card_uid", "IC卡号", "IC card", ("卡号", "门禁卡号", "card uid", "ic card uid", "card")
    ),
    # Last, so older templates keep their column letters. Without a 证件类型 column the type is
    # the one the number's form implies; 性别 is needed only where the number carries none.
    Column(
        "id_card_type",
        "证件类型",
        "ID type",
        ("证件种类", "证件类别", "id card type", "idcardtype", "id_card_type"),
    ),
    Column("gender", "性别", "Gender", ("sex",)),
)
COLUMN_BY_NAME = {c.name: c for c in COLUMNS}


def normalise_header(text: str) -> str:
    """Full-width to half-width, lower case, no spaces, no required-marks (*)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s*_]", "", text).replace("（", "(").replace("）", ")")


_HEADER_INDEX: dict[str, str] = {}
for _c in COLUMNS:
    for _h in (_c.header_zh, _c.header_en, _c.name, *_c.aliases):
        _HEADER_INDEX[normalise_header(_h)] = _c.name
        # "工资标准(元)" and "工资标准" both match; so does "Wage rate (yuan)" without the unit
        _HEADER_INDEX[re.sub(r"\(.*\)$", "", normalise_header(_h))] = _c.name


@dataclass(frozen=True, slots=True)
class RowIssue:
    row: int
    column: str | None  # Excel letter
    header: str | None  # header text as in the file
    field: str | None
    code: str
    message_zh: str
    message_en: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行"
        if self.column:
            where += f" {self.column} 列「{self.header}」"
        return f"{where}: {self.message_zh} / row {self.row}: {self.message_en}"


@dataclass(slots=True)
class RosterRow:
    row_number: int
    name: str
    id_number: str
    id_card_type: IdType = IdType.RESIDENT
    gender: str = "M"
    birth_date: dt.date = dt.date(1970, 1, 1)  # always set by the parser, from the number
    phone: str | None = None
    bank_card: str | None = None
    bank_name: str | None = None
    company: str | None = None  # credit code or name, resolved by the service
    team: str | None = None
    trade: str | None = None
    wage_kind: WageKind | None = None
    wage_rate_fen: Fen | None = None
    contract_signed_on: dt.date | None = None
    safety_trained_on: dt.date | None = None
    entered_on: dt.date | None = None
    card_uid: str | None = None
    # column letter and header per field, so later (database) checks can name the cell
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(slots=True)
class RosterParse:
    rows: list[RosterRow]
    errors: list[RowIssue]
    warnings: list[RowIssue]
    header_row: int | None
    data_rows: int  # non-blank rows below the header

    @property
    def bad_rows(self) -> set[int]:
        return {e.row for e in self.errors}


# --- cells -------------------------------------------------------------------------------------


def _digits(value: Cell, what_zh: str, what_en: str) -> str:
    return digits_cell(value, what_zh, what_en, "roster.number_cell")


def _contract(fn: Callable[[str], str], text: str) -> str:
    try:
        return fn(text)
    except ContractError as err:
        raise CellError.from_contract(err) from None


def parse_id_cell(value: Cell, id_type: IdType | None = None) -> str:
    text = _digits(value, "身份证号", "ID number")
    return _contract(lambda t: parse_id_number(t, id_type), text)


def parse_id_type_cell(value: Cell) -> IdType:
    try:
        return parse_id_type(text_of(value))
    except ContractError as err:
        raise CellError.from_contract(err) from None


_GENDERS = {
    "男": "M",
    "女": "F",
    "M": "M",
    "F": "F",
    "1": "M",
    "2": "F",
    "MALE": "M",
    "FEMALE": "F",
}


def parse_gender_cell(value: Cell) -> str:
    text = text_of(value).strip().upper()
    if text.endswith(".0"):  # Excel's number form of 1 / 2
        text = text[:-2]
    if text not in _GENDERS:
        raise CellError(
            "roster.bad_gender", f"性别 {text!r} 须为 男 或 女", f"gender {text!r} must be M or F"
        )
    return _GENDERS[text]


def parse_phone_cell(value: Cell) -> str:
    return _contract(parse_mobile, _digits(value, "手机号", "mobile number"))


def parse_card_cell(value: Cell) -> str:
    return _contract(parse_bank_card, _digits(value, "银行卡号", "bank card number"))


def parse_uid_cell(value: Cell) -> str:
    return _contract(normalise_card_uid, _digits(value, "IC卡号", "IC card UID"))


def parse_wage_kind_cell(value: Cell) -> WageKind:
    """The worker form's words (按日计薪 …), the exports' (日薪 daily …) and common others."""
    text = text_of(value)
    kind = vocabulary.WAGE_KIND.parse(text)
    if kind is None:
        raise CellError(
            "roster.bad_wage_kind",
            f"工资方式 {text!r} 无法识别(可填: {vocabulary.WAGE_KIND.choices_zh()})",
            f"wage kind {text!r} not recognised (use {vocabulary.WAGE_KIND.choices_en()})",
        )
    return kind


def parse_rate_cell(value: Cell) -> Fen:
    try:
        if isinstance(value, float):
            amount: str | Decimal = Decimal(repr(value))  # repr: no float noise
        elif isinstance(value, int) and not isinstance(value, bool):
            amount = Decimal(value)
        else:
            amount = text_of(value).replace("元/天", "").replace("元/月", "")
        fen = yuan_to_fen(amount)
    except ContractError as err:
        raise CellError(err.code, err.message_zh, err.message_en) from None
    if fen < 0:
        raise CellError(
            "roster.negative_wage", "工资标准不能为负数", "wage rate cannot be negative"
        )
    return fen


def parse_date_cell(value: Cell) -> dt.date:
    return date_cell(value, "roster.bad_date")


# --- grid --------------------------------------------------------------------------------------


def read_grid(
    data: bytes, filename: str | None, limits: ImportLimits = DEFAULT_LIMITS
) -> list[list[Cell]]:
    return read_sheet(
        data, filename, error=RosterFileError, limits=limits, head_rows=HEADER_SEARCH_ROWS
    )


# --- parsing -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Header:
    row: int  # Excel row number
    columns: dict[str, int]
    texts: dict[int, str]
    duplicates: list[tuple[str, int]]


def _find_header(grid: Sequence[Sequence[Cell]]) -> _Header | None:
    """The first row (of the first few: a title row above is common) naming name + ID number."""
    best: _Header | None = None
    for i, raw in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        texts: dict[int, str] = {}
        dups: list[tuple[str, int]] = []
        for j, value in enumerate(raw):
            text = text_of(value)
            name = _HEADER_INDEX.get(normalise_header(text)) if text else None
            if name is None:
                continue
            texts[j] = text
            if name in columns:
                dups.append((name, j))
            else:
                columns[name] = j
        if best is None or len(columns) > len(best.columns):
            best = _Header(i + 1, columns, texts, dups)
        if all(c.name in columns for c in COLUMNS if c.required):
            return best
    return best if best and best.columns else None


class _Row:
    def __init__(self, header: _Header, raw: Sequence[Cell], row_no: int) -> None:
        self.header = header
        self.raw = raw
        self.row_no = row_no
        self.errors: list[RowIssue] = []
        self.warnings: list[RowIssue] = []

    def value(self, name: str) -> Cell:
        j = self.header.columns.get(name)
        return self.raw[j] if j is not None and j < len(self.raw) else None

    def blank(self, name: str) -> bool:
        return text_of(self.value(name)) == ""

    def issue(self, name: str | None, code: str, zh: str, en: str) -> RowIssue:
        j = self.header.columns.get(name) if name else None
        return RowIssue(
            row=self.row_no,
            column=get_column_letter(j + 1) if j is not None else None,
            header=self.header.texts.get(j) if j is not None else None,
            field=name,
            code=code,
            message_zh=zh,
            message_en=en,
        )

    def optional(self, name: str, fn: Callable[[Cell], Any]) -> Any:
        if self.blank(name):
            return None
        return self.required(name, fn)

    def required(self, name: str, fn: Callable[[Cell], Any]) -> Any:
        if self.blank(name):
            col = COLUMN_BY_NAME[name]
            self.errors.append(
                self.issue(
                    name, "roster.empty", f"{col.header_zh}为空", f"{col.header_en} is empty"
                )
            )
            return None
        try:
            return fn(self.value(name))
        except CellError as err:
            self.errors.append(self.issue(name, err.code, err.message_zh, err.message_en))
            return None


def _parse_row(ctx: _Row) -> RosterRow | None:
    name = ctx.required("name", lambda v: re.sub(r"\s+", " ", text_of(v)))
    if name is not None and len(name) > 64:
        ctx.errors.append(ctx.issue("name", "roster.long_name", "姓名过长", "name is too long"))
    before = len(ctx.errors)
    id_type = ctx.optional("id_card_type", parse_id_type_cell)
    # An unknown type is the row's error; checking the number against a guess would add noise.
    type_ok = len(ctx.errors) == before
    id_number = ctx.required("id_number", lambda v: parse_id_cell(v, id_type)) if type_ok else None
    gender = ctx.optional("gender", parse_gender_cell)
    identity = None
    if id_number is not None:
        try:
            identity = resolve_identity(id_number, id_type, gender)
        except ContractError as err:
            # Name the 性别 cell where the sheet has one, else the number that lacks it.
            where = "gender" if "gender" in ctx.header.columns else "id_number"
            ctx.errors.append(ctx.issue(where, err.code, err.message_zh, err.message_en))
    phone = ctx.optional("phone", parse_phone_cell)
    card = ctx.optional("bank_card", parse_card_cell)
    if card is not None and (warning := bank_card_warning(card)):
        zh, _, en = warning.partition(" / ")
        ctx.warnings.append(ctx.issue("bank_card", "roster.card_luhn", zh, en))
    kind = ctx.optional("wage_kind", parse_wage_kind_cell)
    rate = ctx.optional("wage_rate", parse_rate_cell)
    if kind in (WageKind.DAILY, WageKind.MONTHLY) and ctx.blank("wage_rate"):
        ctx.warnings.append(
            ctx.issue(
                "wage_rate",
                "roster.no_wage_rate",
                "未填工资标准,核对工资时无法计算应发金额",
                "no wage rate: reconciliation cannot compute the expected amount",
            )
        )
    dates = {
        f: ctx.optional(f, parse_date_cell)
        for f in ("contract_signed_on", "safety_trained_on", "entered_on")
    }
    uid = ctx.optional("card_uid", parse_uid_cell)
    texts = {f: text_of(ctx.value(f)) or None for f in ("bank_name", "company", "team", "trade")}
    for f, limit in (("bank_name", 64), ("team", 64), ("trade", 32), ("company", 128)):
        if (t := texts[f]) is not None and len(t) > limit:
            col = COLUMN_BY_NAME[f]
            ctx.errors.append(
                ctx.issue(
                    f,
                    "roster.too_long",
                    f"{col.header_zh}超过 {limit} 个字",
                    f"{col.header_en} is longer than {limit} characters",
                )
            )
    if ctx.errors or identity is None or id_number is None:
        return None
    cells = {
        n: (get_column_letter(j + 1), ctx.header.texts[j]) for n, j in ctx.header.columns.items()
    }
    return RosterRow(
        row_number=ctx.row_no,
        name=name,
        id_number=id_number,
        id_card_type=identity[0],
        gender=identity[1],
        birth_date=identity[2],
        phone=phone,
        bank_card=card,
        bank_name=texts["bank_name"],
        company=texts["company"],
        team=texts["team"],
        trade=texts["trade"],
        wage_kind=kind,
        wage_rate_fen=rate,
        contract_signed_on=dates["contract_signed_on"],
        safety_trained_on=dates["safety_trained_on"],
        entered_on=dates["entered_on"],
        card_uid=uid,
        cells=cells,
    )


def parse_grid(
    grid: Sequence[Sequence[Cell]], *, limits: ImportLimits = DEFAULT_LIMITS
) -> RosterParse:
    """Validate every row; rows with an error are reported and left out of `rows`. More than
    `limits.max_rows` data rows is TooManyRowsError (nothing is imported)."""
    header = _find_header(grid)
    if header is None or any(c.name not in header.columns for c in COLUMNS if c.required):
        missing = [
            c for c in COLUMNS if c.required and (header is None or c.name not in header.columns)
        ]
        return RosterParse(
            [],
            [
                RowIssue(
                    header.row if header else 1,
                    None,
                    None,
                    c.name,
                    "roster.missing_column",
                    f"缺少必需的列「{c.header_zh}」",
                    f"required column '{c.header_en}' is missing",
                )
                for c in missing
            ],
            [],
            header.row if header else None,
            0,
        )
    warnings = [
        RowIssue(
            header.row,
            get_column_letter(j + 1),
            header.texts.get(j),
            name,
            "roster.duplicate_column",
            "重复的列,已使用靠左的一列",
            "duplicate column; the leftmost one is used",
        )
        for name, j in header.duplicates
    ]
    rows: list[RosterRow] = []
    errors: list[RowIssue] = []
    first_row: dict[str, int] = {}
    data_rows = sum(1 for raw in grid[header.row :] if any(text_of(v) for v in raw))
    if data_rows > limits.max_rows:
        raise too_many_rows(limits)  # before validating any row: nothing is imported
    for i in range(header.row, len(grid)):
        raw = grid[i]
        if all(text_of(v) == "" for v in raw):
            continue
        ctx = _Row(header, raw, i + 1)
        parsed = _parse_row(ctx)
        if parsed is not None and parsed.id_number in first_row:
            ctx.errors.append(
                ctx.issue(
                    "id_number",
                    "roster.duplicate_worker",
                    f"身份证号与第 {first_row[parsed.id_number]} 行重复",
                    f"same ID number as row {first_row[parsed.id_number]}",
                )
            )
            parsed = None
        errors.extend(ctx.errors)
        warnings.extend(ctx.warnings)
        if parsed is not None:
            first_row[parsed.id_number] = parsed.row_number
            rows.append(parsed)
    return RosterParse(rows, errors, warnings, header.row, data_rows)


@timed_import("roster", "parse")
def parse_roster_file(
    data: bytes, filename: str | None = None, *, limits: ImportLimits = DEFAULT_LIMITS
) -> RosterParse:
    """Read and validate a 花名册 file; no database. `limits` caps bytes, the inflated XLSX and
    rows (server.tabular.read_grid: 413 / 422 before or while reading)."""
    if not data.strip():
        raise RosterFileError("文件为空", "the file is empty")
    return parse_grid(read_grid(data, filename, limits), limits=limits)


def template_xlsx(*, english: bool = False) -> bytes:
    """An empty roster with the headers; number-like columns are text so Excel keeps digits."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None  # noqa: S101 - a new workbook always has a sheet
    ws.title = "花名册" if not english else "Roster"
    for j, col in enumerate(COLUMNS, start=1):
        put(ws, 1, j, col.header_en if english else col.header_zh)
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = 18
        if col.name in ("id_number", "phone", "bank_card", "card_uid"):
            for r in range(2, 1002):
                ws.cell(row=r, column=j).number_format = "@"
    ws.freeze_panes = "A2"
    notes = wb.create_sheet("说明 Notes")
    cells.append(notes, ["列 / column", "必填 / required", "说明 / notes"])
    hints = {
        "company": "统一社会信用代码或企业名称 / credit code or company name",
        "wage_kind": f"{vocabulary.WAGE_KIND.choices_zh()} ({vocabulary.WAGE_KIND.choices_en()})",
        "wage_rate": "元,最多两位小数 / yuan, at most two decimals",
        "entered_on": "填写则视为已进场 / filled in = entered the project",
        "card_uid": "十六进制 / hex",
    }
    for col in COLUMNS:
        cells.append(
            notes,
            [
                f"{col.header_zh} / {col.header_en}",
                "是 yes" if col.required else "",
                hints.get(col.name, ""),
            ],
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
