"""The wage sheet (工资支付表) rules: a line's arithmetic, its hash, and the two state machines.

Pure: plain data in, plain data out; money in fen (int), quantities in Decimal, never float.

- A line's amount due (应发基本) comes from the month's roster and the worker's wage terms, by the
  same rule the reconciliation expects (daily: rate × attended days, half days 0.5; monthly: the
  wage prorated by assigned calendar days; piece rate: none, its lines are quantity × unit price).
- Additions (加班, 补发, other) add to gross; deductions (借支/预支, 社保个人部分, 个税, other)
  come off it; net = gross − deductions, and a net below zero is refused (a worker never owes the
  sheet money; a loan larger than the month's pay is recovered over several months).
- The hash of a line is SHA-256 over the canonical JSON of exactly what the worker is shown: a
  confirmation names the hash it saw, and confirms nothing once the line has changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from models.money import Fen


class ItemKind(StrEnum):
    PIECE = "piece"  # 计件: quantity × unit price
    ADDITION = "addition"  # 加项
    DEDUCTION = "deduction"  # 扣项


class ItemCategory(StrEnum):
    PIECE = "piece"
    OVERTIME = "overtime"  # 加班
    BACK_PAY = "back_pay"  # 补发
    OTHER_ADDITION = "other_addition"
    ADVANCE = "advance"  # 借支 / 预支
    SOCIAL_INSURANCE = "social_insurance"  # 社保个人部分
    INCOME_TAX = "income_tax"  # 个税
    OTHER_DEDUCTION = "other_deduction"

    @property
    def kind(self) -> ItemKind:
        return _CATEGORY_KIND[self]

    @property
    def text(self) -> tuple[str, str]:
        return CATEGORY_TEXT[self]


_CATEGORY_KIND = {
    ItemCategory.PIECE: ItemKind.PIECE,
    ItemCategory.OVERTIME: ItemKind.ADDITION,
    ItemCategory.BACK_PAY: ItemKind.ADDITION,
    ItemCategory.OTHER_ADDITION: ItemKind.ADDITION,
    ItemCategory.ADVANCE: ItemKind.DEDUCTION,
    ItemCategory.SOCIAL_INSURANCE: ItemKind.DEDUCTION,
    ItemCategory.INCOME_TAX: ItemKind.DEDUCTION,
    ItemCategory.OTHER_DEDUCTION: ItemKind.DEDUCTION,
}

CATEGORY_TEXT: dict[ItemCategory, tuple[str, str]] = {
    ItemCategory.PIECE: ("计件", "piece work"),
    ItemCategory.OVERTIME: ("加班", "overtime"),
    ItemCategory.BACK_PAY: ("补发", "back pay"),
    ItemCategory.OTHER_ADDITION: ("其他加项", "other addition"),
    ItemCategory.ADVANCE: ("借支/预支", "advance"),
    ItemCategory.SOCIAL_INSURANCE: ("社保个人部分", "social insurance (worker's part)"),
    ItemCategory.INCOME_TAX: ("个税", "income tax"),
    ItemCategory.OTHER_DEDUCTION: ("其他扣项", "other deduction"),
}

# Units of piece work as the national data standard names them; free text is allowed too.
PIECE_UNITS = ("米", "平方米", "立方米", "吨", "个", "件", "套", "延米", "根")

MAX_LINE_FEN = 10_000_000_00  # ¥10,000,000: a month's pay above this is a typing error


class WageRuleError(ValueError):
    """A line or item that cannot be: the message in Chinese and English."""

    def __init__(self, code: str, zh: str, en: str) -> None:
        self.code = code
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} / {en}")


# --------------------------------------------------------------------------------------------
# Items and amounts


@dataclass(frozen=True, slots=True)
class Item:
    category: ItemCategory
    reason: str  # what it is for (加班 12 h on 10-14; 借支 on 10-05 …): always given
    amount_fen: Fen  # positive; the kind says whether it adds or deducts
    quantity: Decimal | None = None  # piece work only
    unit: str = ""
    unit_price_fen: Fen | None = None

    @property
    def kind(self) -> ItemKind:
        return self.category.kind


def piece_amount(quantity: Decimal, unit_price_fen: Fen) -> Fen:
    """Quantity × unit price, half-up to the fen."""
    return int((quantity * unit_price_fen).to_integral_value(ROUND_HALF_UP))


def parse_quantity(text: str) -> Decimal:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise WageRuleError(
            "wages.bad_quantity", f"数量 {text!r} 不是数字", f"quantity {text!r} is not a number"
        ) from None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.001")):
        raise WageRuleError(
            "wages.bad_quantity",
            "数量须为正数,最多三位小数",
            "the quantity must be positive, with at most three decimals",
        )
    return value


def make_item(
    category: ItemCategory,
    reason: str,
    *,
    amount_fen: Fen | None = None,
    quantity: Decimal | None = None,
    unit: str = "",
    unit_price_fen: Fen | None = None,
) -> Item:
    """An item checked: a reason, a positive amount; piece work as quantity × unit price."""
    reason = reason.strip()
    if not reason:
        raise WageRuleError("wages.reason_required", "请填写事由", "a reason is required")
    if category is ItemCategory.PIECE:
        if quantity is None or unit_price_fen is None or unit_price_fen <= 0:
            raise WageRuleError(
                "wages.piece_terms",
                "计件须填写数量和单价",
                "piece work needs a quantity and a unit price",
            )
        if not unit.strip():
            raise WageRuleError("wages.piece_unit", "计件须填写单位", "piece work needs a unit")
        amount_fen = piece_amount(quantity, unit_price_fen)
    if amount_fen is None or amount_fen <= 0:
        raise WageRuleError(
            "wages.bad_amount", "金额须大于零", "the amount must be greater than zero"
        )
    if amount_fen > MAX_LINE_FEN:
        raise WageRuleError("wages.amount_too_large", "金额过大", "the amount is too large")
    return Item(category, reason, amount_fen, quantity, unit.strip(), unit_price_fen)


@dataclass(frozen=True, slots=True)
class Amounts:
    base_fen: Fen  # from days / the monthly wage (0 for piece rate)
    piece_fen: Fen
    additions_fen: Fen
    deductions_fen: Fen

    @property
    def gross_fen(self) -> Fen:
        return self.base_fen + self.piece_fen + self.additions_fen

    @property
    def net_fen(self) -> Fen:
        return self.gross_fen - self.deductions_fen


def amounts(base_fen: Fen, items: Iterable[Item]) -> Amounts:
    """The line's totals; refuses a net below zero or beyond any month's pay."""
    listed = list(items)
    total = {kind: sum(i.amount_fen for i in listed if i.kind is kind) for kind in ItemKind}
    out = Amounts(
        base_fen, total[ItemKind.PIECE], total[ItemKind.ADDITION], total[ItemKind.DEDUCTION]
    )
    if out.net_fen < 0:
        raise WageRuleError(
            "wages.negative_net",
            "扣款超过应发金额,实发不能为负",
            "deductions exceed the amount due: the net cannot be negative",
        )
    if out.gross_fen > MAX_LINE_FEN:
        raise WageRuleError("wages.amount_too_large", "金额过大", "the amount is too large")
    return out


# --------------------------------------------------------------------------------------------
# What the worker is shown, and its hash


@dataclass(frozen=True, slots=True)
class Shown:
    """Exactly what a worker sees of their line: its hash is what a confirmation names."""

    line_id: int
    version: int
    project_code: str
    company_name: str
    period: str
    name: str
    id_number_masked: str
    bank_card_masked: str
    bank_name: str
    payer_account_masked: str
    wage_kind: str
    rate_fen: Fen
    attended_days: str  # Decimal text, "21.5"
    hours: str  # one decimal
    day_marks: str  # one mark per calendar day of the month
    items: tuple[Item, ...]
    amounts: Amounts

    def canonical(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id,
            "version": self.version,
            "project": self.project_code,
            "company": self.company_name,
            "period": self.period,
            "name": self.name,
            "id_number": self.id_number_masked,
            "bank_card": self.bank_card_masked,
            "bank": self.bank_name,
            "payer_account": self.payer_account_masked,
            "wage_kind": self.wage_kind,
            "rate_fen": self.rate_fen,
            "days": self.attended_days,
            "hours": self.hours,
            "day_marks": self.day_marks,
            "items": [
                {
                    "category": i.category.value,
                    "reason": i.reason,
                    "amount_fen": i.amount_fen,
                    "quantity": None if i.quantity is None else str(i.quantity),
                    "unit": i.unit,
                    "unit_price_fen": i.unit_price_fen,
                }
                for i in self.items
            ],
            "base_fen": self.amounts.base_fen,
            "gross_fen": self.amounts.gross_fen,
            "deductions_fen": self.amounts.deductions_fen,
            "net_fen": self.amounts.net_fen,
        }


def line_hash(shown: Shown) -> str:
    text = json.dumps(shown.canonical(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def days_text(days: float) -> str:
    """Attended days as exact text: the roster counts in halves."""
    # Fixed-point: normalize() alone writes 20 days as "2E+1".
    return f"{Decimal(str(days)).quantize(Decimal('0.5')).normalize():f}" if days else "0"


# --------------------------------------------------------------------------------------------
# State machines


class SheetState(StrEnum):
    DRAFT = "draft"  # being compiled; workers do not see it
    SENT = "sent"  # sent for confirmation
    LOCKED = "locked"  # closed: the 工资支付表 and the 代发 file are final
    PAID = "paid"  # the bank's results are in for every line

    @property
    def text(self) -> tuple[str, str]:
        return SHEET_STATE_TEXT[self]


SHEET_STATE_TEXT = {
    SheetState.DRAFT: ("编制中", "draft"),
    SheetState.SENT: ("待工人确认", "sent for confirmation"),
    SheetState.LOCKED: ("已锁定", "locked"),
    SheetState.PAID: ("已发放", "paid"),
}


class LineState(StrEnum):
    DRAFT = "draft"  # not yet sent
    AWAITING = "awaiting"  # sent (or sent again after an edit); the worker has not answered
    CONFIRMED = "confirmed"  # the worker confirmed exactly this version
    DISPUTED = "disputed"  # the worker disputes it; open until resolved
    RESOLVED = "resolved"  # the dispute was resolved with a comment

    @property
    def text(self) -> tuple[str, str]:
        return LINE_STATE_TEXT[self]

    @property
    def settled(self) -> bool:
        """May the sheet lock without a reason for this line?"""
        return self in (LineState.CONFIRMED, LineState.RESOLVED)


LINE_STATE_TEXT = {
    LineState.DRAFT: ("未发送", "not sent"),
    LineState.AWAITING: ("待确认", "awaiting confirmation"),
    LineState.CONFIRMED: ("已确认", "confirmed"),
    LineState.DISPUTED: ("有异议", "disputed"),
    LineState.RESOLVED: ("异议已处理", "dispute resolved"),
}


class LineAction(StrEnum):
    SEND = "send"
    EDIT = "edit"
    CONFIRM = "confirm"
    DISPUTE = "dispute"
    RESOLVE = "resolve"


class StateError(WageRuleError):
    pass


def _refuse(what: str, state: StrEnum, zh_state: str) -> StateError:
    return StateError(
        "wages.bad_state", f"当前状态({zh_state})不能{what}", f"cannot {what} in state {state}"
    )


_ACTION_ZH = {
    LineAction.SEND: "发送",
    LineAction.EDIT: "修改",
    LineAction.CONFIRM: "确认",
    LineAction.DISPUTE: "提出异议",
    LineAction.RESOLVE: "处理异议",
}


def next_line_state(state: LineState, action: LineAction, sheet: SheetState) -> LineState:
    """The line's state after `action`, or StateError. An edit of a sent line sends it again
    (the worker confirms the new version); nothing changes once the sheet is locked."""
    zh = _ACTION_ZH[action]
    if sheet in (SheetState.LOCKED, SheetState.PAID):
        raise _refuse(zh, sheet, sheet.text[0])
    if action is LineAction.SEND:
        return LineState.AWAITING
    if action is LineAction.EDIT:
        if sheet is SheetState.DRAFT:
            return LineState.DRAFT
        # Sent again; an open dispute stays open until the worker confirms the new version or
        # the manager resolves it with a comment.
        return LineState.DISPUTED if state is LineState.DISPUTED else LineState.AWAITING
    if sheet is SheetState.DRAFT:
        raise _refuse(zh, sheet, sheet.text[0])
    if action is LineAction.CONFIRM and state in (LineState.AWAITING, LineState.DISPUTED):
        return LineState.CONFIRMED
    if action is LineAction.DISPUTE and state in (LineState.AWAITING, LineState.CONFIRMED):
        return LineState.DISPUTED
    if action is LineAction.RESOLVE and state is LineState.DISPUTED:
        return LineState.RESOLVED
    raise _refuse(zh, state, state.text[0])


def next_sheet_state(state: SheetState, to: SheetState) -> SheetState:
    allowed = {
        SheetState.DRAFT: {SheetState.SENT},
        SheetState.SENT: {SheetState.LOCKED},
        SheetState.LOCKED: {SheetState.PAID},
        SheetState.PAID: set(),
    }
    if to not in allowed[state]:
        raise StateError(
            "wages.bad_state",
            f"工资表当前为「{state.text[0]}」,不能改为「{to.text[0]}」",
            f"a sheet that is {state.text[1]} cannot become {to.text[1]}",
        )
    return to


@dataclass(frozen=True, slots=True)
class LockCheck:
    unsettled: int  # lines neither confirmed nor resolved
    open_disputes: int

    @property
    def clean(self) -> bool:
        return self.unsettled == 0


def lock_check(states: Sequence[LineState]) -> LockCheck:
    return LockCheck(
        unsettled=sum(1 for s in states if not s.settled),
        open_disputes=sum(1 for s in states if s is LineState.DISPUTED),
    )


def may_lock(check: LockCheck, reason: str | None) -> None:
    """A sheet locks when every line is settled; anyway only with a reason (a finding follows)."""
    if check.clean or (reason and reason.strip()):
        return
    raise StateError(
        "wages.unsettled",
        f"还有 {check.unsettled} 行未确认(其中 {check.open_disputes} 行有异议):"
        "如需强制锁定,请填写原因",
        f"{check.unsettled} lines are not confirmed ({check.open_disputes} disputed): "
        "give a reason to lock anyway",
    )
