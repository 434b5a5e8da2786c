"""Money is an integer count of fen everywhere; Decimal only at parse time; never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from models.errors import ContractError

Fen = int


def yuan_to_fen(value: str | int | Decimal) -> Fen:
    """Parse yuan ("1,234.50", "¥1234") to fen; more than two decimals is an error."""
    if isinstance(value, int):
        return value * 100
    text = str(value).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    text = text.removesuffix("元")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ContractError(
            "money.bad_amount", f"金额 {value!r} 不是数字", f"amount {value!r} is not a number"
        ) from None
    if not amount.is_finite():
        raise ContractError("money.bad_amount", "金额无效", "amount is not finite")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise ContractError(
            "money.too_precise",
            f"金额 {value} 超过两位小数(分)",
            f"amount {value} has more than two decimals (fen)",
        )
    return int(fen.to_integral_value(ROUND_HALF_UP))


def fen_to_yuan(fen: Fen) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def format_yuan(fen: Fen) -> str:
    """'¥1,234.50' style without the sign, as Excel and the pages show it."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"
