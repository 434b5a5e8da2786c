"""Wage-protection rules, pure: the deposit's share, scans by their magic bytes, account masking,
the classification of the wage account's bookings, and the statement's findings.

The findings (docs/safeguards.md has the when and the default level of each):

- LABOUR_COST_NOT_ALLOCATED (orange): the month's payroll is due (> 0) and no labour-cost
  inflow (人工费用 from the owner, Art. 29) reached the wage account in the month's window: the
  day after the previous month's pay day through this month's pay day. Checked only once an
  imported statement reaches the pay day (without one there is no evidence either way).
- WAGE_ACCOUNT_SHORT (orange): the account's balance just before the month is paid (the
  earlier of the pay day and the first 代发 payout in the window) is below the month's payroll.
  Checked only when the statement reaches that day and a balance before it is known.

Nothing here reads a clock or a database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from models.enums import WarningLevel
from models.ids import mask_bank_card
from models.money import Fen, format_yuan
from server.payroll.parsers.row import parse_period
from server.reconciliation import rules as recon_rules

MiB = 1024 * 1024
MAX_SCAN_BYTES = 5 * MiB  # a phone photo or a scanned contract of a few pages


class DepositForm(StrEnum):
    CASH = "cash"  # 现金存储
    BANK_GUARANTEE = "bank_guarantee"  # 银行保函
    INSURANCE = "insurance"  # 工程担保公司保函 / 保证保险


class GuaranteeForm(StrEnum):
    BANK_GUARANTEE = "bank_guarantee"  # 银行保函
    GUARANTEE_COMPANY = "guarantee_company"  # 工程担保公司保函
    INSURANCE = "insurance"  # 工程保证保险
    OTHER = "other"


class ContractKind(StrEnum):
    LABOUR_CONTRACT = "labour_contract"  # 劳动合同
    WRITTEN_AGREEMENT = "written_agreement"  # 用工书面协议


class PayUnit(StrEnum):
    DAY = "day"
    MONTH = "month"
    PIECE = "piece"
    OTHER = "other"


class LineKind(StrEnum):
    LABOUR_INFLOW = "labour_inflow"  # 人工费用 allocated into the account
    PAYOUT = "payout"  # 代发工资 out of it
    OTHER = "other"


# --- records -----------------------------------------------------------------------------------


def deposit_share(amount_fen: Fen, contract_price_fen: Fen | None) -> Decimal | None:
    """The deposit as a percentage of the contract price (2 decimals); None without a price."""
    if not contract_price_fen or contract_price_fen <= 0:
        return None
    return (Decimal(amount_fen) * 100 / Decimal(contract_price_fen)).quantize(Decimal("0.01"))


def mask_account(account_no: str) -> str:
    return mask_bank_card(account_no)


_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def scan_type(data: bytes) -> str | None:
    """The scan's media type by its first bytes (the name and the browser's word prove
    nothing); None for anything but PDF, JPEG and PNG."""
    return next((kind for magic, kind in _MAGIC if data.startswith(magic)), None)


def date_order_problem(
    first: dt.date | None, last: dt.date | None, zh: str, en: str
) -> tuple[str, str] | None:
    """(zh, en) when `last` is before `first` (both given)."""
    if first is not None and last is not None and last < first:
        return (
            f"{zh}不能早于开始日期 {first.isoformat()}",
            f"{en} cannot be before the start {first.isoformat()}",
        )
    return None


# --- the statement -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatementRow:
    """One booking as the statement gives it (statement.py parses the file into these)."""

    row_no: int  # the spreadsheet's row number
    booked_on: dt.date
    amount_fen: Fen  # + into the account, - out of it
    balance_fen: Fen | None
    counterparty_name: str
    counterparty_account: str
    summary: str


_LABOUR_WORDS = ("人工费", "农民工工资", "工资款", "工资专户", "labour cost", "labor cost")
_PAYOUT_WORDS = ("代发", "工资", "批量代付", "payroll", "salary", "wage")
_REVERSAL_WORDS = ("退回", "退票", "退汇", "冲正", "返还", "refund", "return", "reversal")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def classify(row: StatementRow, owner_name: str = "") -> LineKind:
    """A plain rule: money in from the owner (its name as the counterparty), or whose 摘要
    names labour cost, is the labour cost allocated; money out whose 摘要 says 代发/工资 is a
    payout; a returned or reversed transfer and everything else is other."""
    summary = _norm(row.summary)
    if any(w in summary for w in _REVERSAL_WORDS):
        return LineKind.OTHER  # a failed 代发 coming back is not the owner's money
    if row.amount_fen > 0:
        from_owner = bool(owner_name.strip()) and _norm(row.counterparty_name) == _norm(owner_name)
        if from_owner or any(w in summary for w in _LABOUR_WORDS):
            return LineKind.LABOUR_INFLOW
    elif row.amount_fen < 0 and any(w in summary for w in _PAYOUT_WORDS):
        return LineKind.PAYOUT
    return LineKind.OTHER


def fingerprints(rows: Sequence[StatementRow]) -> list[str]:
    """Each booking's identity across imports: its fields and which occurrence of identical
    fields it is in the file (two equal payouts on one day are two bookings)."""
    seen: Counter[tuple[str, ...]] = Counter()
    out = []
    for r in rows:
        fields = (
            r.booked_on.isoformat(),
            str(r.amount_fen),
            "" if r.balance_fen is None else str(r.balance_fen),
            re.sub(r"\D", "", r.counterparty_account),
            _norm(r.summary),
        )
        seen[fields] += 1
        text = "\x1f".join((*fields, str(seen[fields])))
        out.append(hashlib.sha256(text.encode()).hexdigest())
    return out


@dataclass(frozen=True, slots=True)
class BookedLine:
    """A stored booking as the findings need it; `seq` orders bookings of one day."""

    booked_on: dt.date
    seq: int
    amount_fen: Fen
    balance_fen: Fen | None
    kind: LineKind


def month_payroll_fen(rows: Iterable[recon_rules.ReconRow]) -> Fen:
    """The month's payroll: what each worker is owed by attendance and terms, or what was
    paid where the terms give no amount (piece rate, no rate recorded)."""
    return sum(r.expected_fen if r.expected_fen is not None else r.paid_fen for r in rows)


def _previous_period(period: str) -> str:
    first = parse_period(period)
    last_month = first - dt.timedelta(days=1)
    return last_month.strftime("%Y-%m")


def inflow_window(
    period: str, settings: recon_rules.ReconSettings = recon_rules.ReconSettings()
) -> tuple[dt.date, dt.date]:
    """The days a month's labour cost is expected in: after the previous month's pay day,
    through this month's; consecutive months' windows neither overlap nor leave a gap."""
    previous = recon_rules.pay_day_for(_previous_period(period), settings)
    return previous + dt.timedelta(days=1), recon_rules.pay_day_for(period, settings)


def statement_findings(
    period: str,
    *,
    payroll_fen: Fen,
    lines: Sequence[BookedLine],
    covered_to: dt.date | None,
    settings: recon_rules.ReconSettings = recon_rules.ReconSettings(),
) -> list[recon_rules.Finding]:
    """LABOUR_COST_NOT_ALLOCATED and WAGE_ACCOUNT_SHORT for a project × month.

    `lines`: the wage account's bookings (any dates); `covered_to`: the last day the imported
    statements reach (None: none imported)."""
    if payroll_fen <= 0 or covered_to is None:
        return []
    start, due = inflow_window(period, settings)
    ordered = sorted(lines, key=lambda ln: (ln.booked_on, ln.seq))
    in_window = [ln for ln in ordered if start <= ln.booked_on <= due]
    out: list[recon_rules.Finding] = []
    payroll = format_yuan(payroll_fen)
    if covered_to >= due:
        inflow = sum(ln.amount_fen for ln in in_window if ln.kind is LineKind.LABOUR_INFLOW)
        if inflow <= 0:
            out.append(
                recon_rules.Finding(
                    recon_rules.FindingKind.LABOUR_COST_NOT_ALLOCATED,
                    WarningLevel.ORANGE,
                    None,
                    None,
                    f"{period} 工资 {payroll} 元应于 {due.isoformat()} 发放,"
                    f"{start.isoformat()} 至 {due.isoformat()} "
                    "专用账户未收到建设单位拨付的人工费用",
                    f"the {period} payroll of ¥{payroll} is due on {due.isoformat()}, and no "
                    f"labour cost reached the wage account from {start.isoformat()} to "
                    f"{due.isoformat()}",
                    recon_rules.Evidence(
                        payroll_fen=payroll_fen,
                        inflow_fen=0,
                        pay_day=due,
                        window_from=start,
                        checked_on=due,
                    ),
                )
            )
    payouts = [ln.booked_on for ln in in_window if ln.kind is LineKind.PAYOUT]
    check = min([due, *payouts])
    before = [ln for ln in ordered if ln.booked_on < check and ln.balance_fen is not None]
    if covered_to >= check and before:
        balance = before[-1].balance_fen
        assert balance is not None  # noqa: S101 - filtered above
        if balance < payroll_fen:
            day = before[-1].booked_on.isoformat()
            out.append(
                recon_rules.Finding(
                    recon_rules.FindingKind.WAGE_ACCOUNT_SHORT,
                    WarningLevel.ORANGE,
                    None,
                    None,
                    f"{period} 工资 {payroll} 元发放前({check.isoformat()} 之前),专用账户余额"
                    f"仅 {format_yuan(balance)} 元({day})",
                    f"before the {period} payroll of ¥{payroll} was paid (before "
                    f"{check.isoformat()}), the wage account held only ¥{format_yuan(balance)} "
                    f"({day})",
                    recon_rules.Evidence(
                        payroll_fen=payroll_fen,
                        balance_fen=balance,
                        pay_day=due,
                        checked_on=before[-1].booked_on,
                    ),
                )
            )
    return out
