"""The wage account's statement (专户流水), CSV or XLSX, into `rules.StatementRow`s.

The file is capped before and while it is read (server/tabular.read_grid with the payroll
import's limits). The header is found in the first ten rows by its names, Chinese or English:
a date, either an in and an out column (收入/支出, 贷方/借方) or one signed amount, and
optionally the balance, the counterparty's name and account and the 摘要. Every bad cell is
collected and the file refused with one error listing each row and column; nothing is stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from models.errors import ContractError
from models.money import Fen, yuan_to_fen
from server.errors import SiteGateError
from server.safeguards.rules import StatementRow
from server.sheet_reader import DEFAULT_LIMITS, ImportLimits, too_many_rows
from server.tabular import Cell, CellError, date_cell, is_blank, read_grid, text_of

HEAD_ROWS = 10
MAX_PROBLEMS = 50  # listed in the error; the count says how many there were


class StatementFileError(SiteGateError):
    code = "safeguards.bad_statement"
    status_code = 422


@dataclass(frozen=True, slots=True)
class Column:
    field: str
    zh: str
    en: str
    aliases: tuple[str, ...]


COLUMNS = (
    Column("date", "交易日期", "date", ("交易日期", "日期", "记账日期", "交易时间", "入账日期",
                                       "date", "booked on", "transaction date")),
    Column("credit", "收入金额", "in", ("收入金额", "收入", "贷方金额", "贷方发生额", "贷方",
                                       "存入金额", "in", "credit", "amount in")),
    Column("debit", "支出金额", "out", ("支出金额", "支出", "借方金额", "借方发生额", "借方",
                                       "支取金额", "out", "debit", "amount out")),
    Column("amount", "交易金额", "amount", ("交易金额", "金额", "发生额", "amount",
                                           "signed amount")),
    Column("balance", "余额", "balance", ("余额", "账户余额", "交易后余额", "balance")),
    Column("counterparty_name", "对方户名", "counterparty name", ("对方户名", "对方账户名称",
           "对方名称", "对方单位", "counterparty name", "counterparty")),
    Column("counterparty_account", "对方账号", "counterparty account", ("对方账号", "对方账户",
           "对方卡号", "counterparty account")),
    Column("summary", "摘要", "summary", ("摘要", "用途", "附言", "交易摘要", "summary", "memo",
                                         "description")),
)  # fmt: skip
_BY_ALIAS = {_a: c for c in COLUMNS for _a in c.aliases}


def _key(text: str) -> str:
    return re.sub(r"[\s()（）:：]", "", text).lower()


_BY_KEY = {_key(a): c for a, c in _BY_ALIAS.items()}


def _letter(index: int) -> str:
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    row: int
    column: str  # "交易日期 (A)"
    code: str
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


def _header(grid: Sequence[Sequence[Cell]]) -> tuple[int, dict[str, int]]:
    """The header row's index and each known column's position."""
    for r, row in enumerate(grid[:HEAD_ROWS]):
        found: dict[str, int] = {}
        for c, value in enumerate(row):
            col = _BY_KEY.get(_key(text_of(value)))
            if col is not None and col.field not in found:
                found[col.field] = c
        has_money = "amount" in found or ("credit" in found and "debit" in found)
        if "date" in found and has_money:
            return r, found
    raise StatementFileError(
        "找不到表头:前 10 行中须有「交易日期」以及「收入金额」「支出金额」两列或「交易金额」一列",
        "no header found: the first 10 rows need a 'date' column and either 'in' and 'out' "
        "columns or one signed 'amount' column",
    )


def _account(value: Cell) -> str:
    return re.sub(r"\s", "", text_of(value))[:40]


def _money(value: Cell) -> Fen:
    text = text_of(value)
    try:
        return yuan_to_fen(text)
    except ContractError as err:
        raise CellError.from_contract(err, "safeguards.bad_amount") from None


def parse(
    data: bytes, file_name: str, *, limits: ImportLimits = DEFAULT_LIMITS
) -> list[StatementRow]:
    """The statement's bookings in file order, or StatementFileError (422) listing every bad
    cell with its row and column (FileTooLargeError 413 / TooManyRowsError 422 for the caps)."""
    grid = read_grid(data, file_name, error=StatementFileError, limits=limits, head_rows=HEAD_ROWS)
    head, cols = _header(grid)
    if sum(1 for r in grid[head + 1 :] if not all(is_blank(v) for v in r)) > limits.max_rows:
        raise too_many_rows(limits)  # the grid's cap allows for rows above the header
    names = {c.field: f"{c.zh} ({_letter(cols[c.field])})" for c in COLUMNS if c.field in cols}
    rows: list[StatementRow] = []
    problems: list[Problem] = []

    def cell(row: Sequence[Cell], field: str) -> Cell:
        i = cols.get(field)
        return row[i] if i is not None and i < len(row) else None

    for index in range(head + 1, len(grid)):
        row = grid[index]
        if all(is_blank(v) for v in row):
            continue
        row_no = index + 1
        bad: list[Problem] = []

        def problem(
            field: str, err: CellError, row_no: int = row_no, bad: list[Problem] = bad
        ) -> None:
            bad.append(Problem(row_no, names[field], err.code, err.message_zh, err.message_en))

        try:
            booked_on = date_cell(cell(row, "date"), "safeguards.bad_date")
        except CellError as err:
            problem("date", err)
        amount: Fen | None = None
        if "amount" in cols and not is_blank(cell(row, "amount")):
            try:
                amount = _money(cell(row, "amount"))
            except CellError as err:
                problem("amount", err)
        elif "credit" in cols:
            parts: dict[str, Fen] = {}
            for field in ("credit", "debit"):
                if not is_blank(cell(row, field)):
                    try:
                        parts[field] = abs(_money(cell(row, field)))
                    except CellError as err:
                        problem(field, err)
            if len(parts) == 2 and parts["credit"] and parts["debit"]:
                problem("debit", CellError(
                    "safeguards.both_amounts", "同一行不能既有收入又有支出",
                    "a row cannot have both an in and an out amount",
                ))  # fmt: skip
            elif parts:
                amount = parts.get("credit", 0) - parts.get("debit", 0)
        if amount is None and not any(p.column in (names.get("amount"), names.get("credit"),
                                                   names.get("debit")) for p in bad):  # fmt: skip
            field = "amount" if "amount" in cols else "credit"
            problem(field, CellError("safeguards.no_amount", "缺少金额", "the amount is missing"))
        balance: Fen | None = None
        if "balance" in cols and not is_blank(cell(row, "balance")):
            try:
                balance = _money(cell(row, "balance"))
            except CellError as err:
                problem("balance", err)
        if bad:
            problems.extend(bad)
            continue
        assert amount is not None  # noqa: S101 - a missing amount is a problem above
        rows.append(
            StatementRow(
                row_no=row_no,
                booked_on=booked_on,
                amount_fen=amount,
                balance_fen=balance,
                counterparty_name=text_of(cell(row, "counterparty_name"))[:128],
                counterparty_account=_account(cell(row, "counterparty_account")),
                summary=text_of(cell(row, "summary"))[:256],
            )
        )
    if problems:
        listed = "; ".join(f"第 {p.row} 行 {p.column}: {p.message_zh}" for p in problems[:5])
        listed_en = "; ".join(f"row {p.row} {p.column}: {p.message_en}" for p in problems[:5])
        more = len(problems) - 5
        raise StatementFileError(
            f"流水有 {len(problems)} 处错误,未导入任何数据:{listed}"
            + (f" 等(另 {more} 处)" if more > 0 else ""),
            f"the statement has {len(problems)} errors; nothing was imported: {listed_en}"
            + (f" and {more} more" if more > 0 else ""),
            detail={
                "problems": [p.as_dict() for p in problems[:MAX_PROBLEMS]],
                "count": len(problems),
            },
        )
    if not rows:
        raise StatementFileError("流水中没有交易记录", "the statement has no bookings")
    if rows[0].booked_on > rows[-1].booked_on:
        rows.reverse()  # listed newest first (some banks): the balances follow time the other way
    return rows
