"""Cell values -> typed field values. Each parser raises CellError with a zh/en reason."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from models.errors import ContractError
from models.ids import parse_bank_card
from models.ids import parse_id_number as parse_any_id_number
from models.money import Fen, yuan_to_fen
from server.payroll.parsers.row import TransferStatus, format_period, parse_period
from server.tabular import Cell, CellError, date_cell, digits_cell, is_blank, text_of


def parse_name(value: Cell) -> str:
    text = re.sub(r"\s+", " ", text_of(value))
    if not text:
        raise CellError("payroll.missing_name", "姓名为空", "name is empty")
    return text


def parse_id_number(value: Cell) -> str:
    text = digits_cell(value, "身份证号", "ID number", "payroll.bad_id_number")
    try:
        return parse_any_id_number(text)  # any registered ID type: foreigners are paid too
    except ContractError as err:
        raise CellError.from_contract(err, "payroll.bad_id_number") from None


def parse_card(value: Cell) -> str:
    text = digits_cell(value, "银行卡号", "bank card number", "payroll.bad_bank_card")
    if not text:
        raise CellError("payroll.missing_bank_card", "银行卡号为空", "bank card number is empty")
    try:
        return parse_bank_card(text)
    except ContractError as err:
        raise CellError.from_contract(err, "payroll.bad_bank_card") from None


PAYER_ACCOUNT_MAX = 32  # as Project.wage_account_no


def parse_payer_account(value: Cell) -> str:
    """The paying account (付款账号): digits, with "*" where the bank masked some of them
    (6222****1234). Spaces and dashes are dropped. Corporate accounts run longer than cards
    and fail no Luhn check, so only the shape is checked: 6-32 characters, at least 4 digits."""
    text = digits_cell(value, "付款账号", "payer account", "payroll.bad_payer_account")
    raw = re.sub(r"[\s\-]", "", text).replace("＊", "*")
    if not re.fullmatch(r"[0-9*]{6,32}", raw) or sum(c.isdigit() for c in raw) < 4:
        raise CellError(
            "payroll.bad_payer_account",
            f"付款账号 {text!r} 不是账号(6-32 位数字,可含 * 号遮盖)",
            f"payer account {text!r} is not an account number (6-32 digits, '*' for masked ones)",
        )
    return raw


def cell_decimal(value: Cell) -> Decimal:
    """A numeric cell as Decimal without float noise: XLSX floats go through repr()."""
    if isinstance(value, bool):
        raise InvalidOperation
    if isinstance(value, float):
        # repr() is the shortest string that round-trips, so 1234.5 -> "1234.5", never
        # 1234.499999...; a formula artefact like 0.30000000000000004 stays visible and
        # is then refused as more than two decimals.
        return Decimal(repr(value))
    if isinstance(value, int | Decimal):
        return Decimal(value)
    return Decimal(text_of(value).replace(",", "").replace("，", ""))


def parse_amount(value: Cell, *, label_zh: str, label_en: str) -> Fen:
    if is_blank(value):
        raise CellError("payroll.missing_amount", f"{label_zh}为空", f"{label_en} is empty")
    try:
        numeric = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
        fen = yuan_to_fen(cell_decimal(value) if numeric else text_of(value))
    except InvalidOperation:
        raise CellError(
            "payroll.bad_amount",
            f"{label_zh} {text_of(value)!r} 不是金额",
            f"{label_en} {text_of(value)!r} is not an amount",
        ) from None
    except ContractError as err:
        raise CellError.from_contract(err, "payroll.bad_amount") from None
    if fen < 0:
        raise CellError(
            "payroll.negative_amount", f"{label_zh}不能为负数", f"{label_en} cannot be negative"
        )
    return fen


def parse_days(value: Cell) -> float:
    text = text_of(value).removesuffix("天").strip()
    try:
        days = cell_decimal(value) if isinstance(value, int | float) else Decimal(text)
    except InvalidOperation:
        raise CellError(
            "payroll.bad_days",
            f"出勤天数 {text!r} 不是数字",
            f"days {text!r} is not a number",
        ) from None
    if not days.is_finite() or not 0 <= days <= 31 or (days * 2) % 1:
        raise CellError(
            "payroll.bad_days",
            f"出勤天数 {text} 须在 0-31 之间,且为整天或半天",
            f"days {text} must be between 0 and 31, in whole or half days",
        )
    return float(days)


def parse_period_cell(value: Cell) -> str:
    if isinstance(value, dt.date):  # also datetime
        return format_period(value)
    text = text_of(value)
    if not text:
        raise CellError("payroll.missing_period", "工资所属期为空", "wage period is empty")
    try:
        return format_period(parse_period(text))
    except ValueError:
        raise CellError(
            "payroll.bad_period",
            f"工资所属期 {text!r} 无法识别(可用 2026-10、202610、2026年10月)",
            f"wage period {text!r} not recognised (use 2026-10, 202610 or 2026年10月)",
        ) from None


def parse_date_cell(value: Cell) -> dt.date:
    return date_cell(value, "payroll.bad_date")


def status_lookup(
    extra: Mapping[TransferStatus, tuple[str, ...]] | None = None,
) -> dict[str, TransferStatus]:
    """The shared words (server.vocabulary: what the pages show, the exports print and banks
    commonly write) and a layout's own, normalised."""
    from server import vocabulary  # here: vocabulary imports this package's row module

    table = vocabulary.TRANSFER_STATUS.words()
    for status, words in (extra or {}).items():
        for word in words:
            table[vocabulary.normalise(word)] = status
    return table


def parse_status(value: Cell, table: Mapping[str, TransferStatus]) -> TransferStatus:
    from server import vocabulary

    text = text_of(value)
    status = table.get(vocabulary.normalise(text))
    if status is None:
        known = "、".join(sorted({w for w in table if not w.isascii()}))
        raise CellError(
            "payroll.bad_status",
            f"发放状态 {text!r} 无法识别(可用: {known})",
            f"status {text!r} not recognised (use success / failed / returned)",
        )
    return status
