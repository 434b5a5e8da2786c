"""Reconciliation rules (RULES.md "Reconciliation"): attendance vs. what the bank says was paid.

Pure: the caller passes the month's roster numbers, the wage terms, the imported payroll lines
and `today`. Nothing here reads a clock or a database.

Decisions where RULES.md is silent (each documented in the finding's evidence or a setting):

- "Attended >= 1 day" means any attended day, full or half (attended_days > 0): otherwise a worker
  with one half day and no pay would be neither UNPAID nor PAID_WITHOUT_ATTENDANCE.
- Monthly wage: owed in full for a whole month on the project, prorated by calendar days of the
  assignment inside the month (rate × assigned days / days in month, half-up to the fen) when the
  worker entered or left mid-month, and only when the worker attended at all. Calendar days need
  no holiday calendar and are what a worker can check on a wall calendar.
- Daily wage: rate × attended days (half days count 0.5), half-up to the fen.
- Piece rate: no expected amount, so no UNDERPAID; UNPAID still applies.
- The UNPAID share for the red escalation is unpaid workers / workers with attendance.
- "Pay day passed" means today > pay day (paying on the pay day is on time).
- UNDERPAID needs at least one successful payment (none at all is UNPAID).
- FAILED_TRANSFER is cleared by a successful payment for the same worker and month dated on or
  after the failed one (or undated).
- Payroll lines are matched to workers by ID number; a line without an ID number is matched by
  its account number when exactly one worker registered that card.
- A worker registered on the project but never entered (已登记未进场) reaches the rules only when
  paid in the month (the roster shows such a worker then, with zero days): PAID_WITHOUT_ATTENDANCE
  names the reason instead of UNKNOWN_PAYEE ("not registered"), which would be false.

Beyond the ten findings of RULES.md, five more (the wage sheet 工资支付表 each worker confirms or
disputes, server/wages, and the paying account). Levels and thresholds are settings:

- PAID_NOT_AS_CONFIRMED (orange; red when paid < 50 % of the confirmed net,
  `confirmed_red_below`): the successful paid net for the month ≠ the net on the worker's
  confirmed sheet line. Needs a successful payment: none at all is UNPAID.
- PAYROLL_NOT_CONFIRMED (orange): paid, or the sheet locked (a forced lock), while the worker's
  line is not confirmed by the worker: unconfirmed, or a dispute the site resolved (that is the
  site's word, not the worker's). The evidence carries the lock reason.
- PAYROLL_DISPUTED (orange): an open dispute on the worker's line once the pay day has passed
  or the worker was paid; it is then that finding, not PAYROLL_NOT_CONFIRMED as well.
- NO_PAYROLL_SHEET (yellow; `require_wage_sheet`): the worker attended (≥ half a day), the pay
  day passed, and no sheet line exists for them (`sheet_lines` None: no sheet at all).
- PAID_NOT_FROM_WAGE_ACCOUNT (red): a successful payment whose paying account (付款账号) is known
  and is not the project's wage account (农民工工资专用账户). A payer the bank masked
  (5105****1234) counts as the wage account when its visible digits fit it.

`require_wage_sheet` defaults to true (the law wants a wage sheet for every month paid): a month
reconciled without any sheet gets one yellow NO_PAYROLL_SHEET per attended worker once the pay
day has passed; the ten findings themselves are unchanged by the sheet's absence.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

from models.enums import WageKind, WarningLevel
from models.ids import mask_bank_card, mask_id_number
from models.money import Fen, format_yuan
from server.payroll.parsers.row import TransferStatus, parse_period

_LEVEL_ORDER = {
    WarningLevel.GREEN: 0,
    WarningLevel.YELLOW: 1,
    WarningLevel.ORANGE: 2,
    WarningLevel.RED: 3,
}


# --------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True, slots=True)
class ReconSettings:
    """Reconciliation thresholds with the RULES.md defaults."""

    pay_day_of_next_month: int = 15
    underpaid_tolerance: Decimal = Decimal("0.05")  # paid < expected × (1 - 5 %)
    underpaid_red_below: Decimal = Decimal("0.50")  # paid < expected × 50 % is red
    unpaid_red_after_days: int = 30  # > 30 days past pay day is red
    unpaid_red_share: Decimal = Decimal("0.20")  # > 20 % of workers unpaid is red
    confirmed_red_below: Decimal = Decimal("0.50")  # paid < 50 % of the confirmed net is red
    require_wage_sheet: bool = True  # NO_PAYROLL_SHEET for attended workers without a line

    def __post_init__(self) -> None:
        if not 1 <= self.pay_day_of_next_month <= 31:
            raise ValueError("pay_day_of_next_month must be 1..31")
        if not isinstance(self.require_wage_sheet, bool):
            raise ValueError("require_wage_sheet must be true or false")
        for name in _DECIMAL_SETTINGS:
            value = getattr(self, name)
            if not isinstance(value, Decimal) or not 0 <= value <= 1:
                raise ValueError(f"{name} must be a Decimal in [0, 1]")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ReconSettings:
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown reconciliation settings: {sorted(unknown)}")
        kwargs: dict[str, Any] = {k: _setting(k, v) for k, v in values.items()}
        return cls(**kwargs)

    def rule_notes(self) -> tuple[str, ...]:
        tol = f"{self.underpaid_tolerance * 100:g}"
        return (
            f"发薪日: 次月 {self.pay_day_of_next_month} 日 / pay day: "
            f"day {self.pay_day_of_next_month} of the next month",
            f"少发: 实发低于应发的 {100 - Decimal(tol):g}% / underpaid: "
            f"paid below {100 - Decimal(tol):g} % of expected",
            f"逾期超过 {self.unpaid_red_after_days} 天或未发人数超过 "
            f"{self.unpaid_red_share * 100:g}% 为红色 / red when more than "
            f"{self.unpaid_red_after_days} days late or more than "
            f"{self.unpaid_red_share * 100:g} % of workers unpaid",
            f"实发低于本人确认金额的 {self.confirmed_red_below * 100:g}% 为红色 / red when paid "
            f"below {self.confirmed_red_below * 100:g} % of the confirmed net",
            "发薪日后须有工资支付表 / a wage sheet is required once the pay day has passed"
            if self.require_wage_sheet
            else "不要求工资支付表 / no wage sheet required",
        )


_DECIMAL_SETTINGS = (
    "underpaid_tolerance",
    "underpaid_red_below",
    "unpaid_red_share",
    "confirmed_red_below",
)
_BOOL_SETTINGS = frozenset({"require_wage_sheet"})


def _setting(name: str, value: Any) -> Any:
    if name in _DECIMAL_SETTINGS:
        return Decimal(str(value))
    if name in _BOOL_SETTINGS:
        if isinstance(value, bool):
            return value
        raise ValueError(f"{name} must be true or false")
    return int(value)


@dataclass(frozen=True, slots=True)
class WorkerMonthInput:
    """A worker on the project in the month: identity, wage terms and the roster's numbers."""

    worker_id: int
    name: str
    id_number: str
    bank_cards: frozenset[str]
    wage_kind: WageKind
    rate_fen: Fen | None  # daily rate or monthly wage; None/0 = no terms recorded
    attended_days: float
    hours: float = 0.0
    assigned_days: int | None = None  # calendar days of the month in the assignment; None = all
    never_entered: bool = False  # registered on the project (已登记) but never entered (进场)


@dataclass(frozen=True, slots=True)
class PayrollLineInput:
    line_id: int
    payee_name: str
    payee_id_number: str | None
    account_number: str
    gross_fen: Fen | None
    net_fen: Fen
    days_declared: float | None
    period: str  # "YYYY-MM" the wage belongs to
    paid_on: dt.date | None
    status: TransferStatus
    payer_account: str | None = None  # 付款账号 as the bank file gave it; None = not given


class SheetLineState(StrEnum):
    """Where a worker's line of the month's wage sheet (工资支付表) stands."""

    UNCONFIRMED = "unconfirmed"  # not (yet) confirmed by the worker
    CONFIRMED = "confirmed"  # the worker confirmed it
    DISPUTED = "disputed"  # the worker disputed it; the dispute is open
    RESOLVED = "resolved"  # the dispute was resolved (by the site), not confirmed by the worker


@dataclass(frozen=True, slots=True)
class SheetLineInput:
    """A worker's line of the month's wage sheet, as server/wages hands it over."""

    worker_id: int
    line_id: int
    net_fen: Fen
    state: SheetLineState
    locked: bool = False  # the sheet is locked (a forced lock when the line is not confirmed)
    lock_reason: str | None = None
    sent_at: dt.datetime | None = None
    confirmed_at: dt.datetime | None = None
    deductions_fen: Fen = 0  # advances, social insurance, tax withheld on the line


# --------------------------------------------------------------------------------------------
# Outputs


class FindingKind(StrEnum):
    UNPAID = "UNPAID"
    UNDERPAID = "UNDERPAID"
    DAYS_MISMATCH = "DAYS_MISMATCH"
    PAID_WITHOUT_ATTENDANCE = "PAID_WITHOUT_ATTENDANCE"
    UNKNOWN_PAYEE = "UNKNOWN_PAYEE"
    NAME_MISMATCH = "NAME_MISMATCH"
    ACCOUNT_NOT_WORKERS = "ACCOUNT_NOT_WORKERS"
    LATE = "LATE"
    FAILED_TRANSFER = "FAILED_TRANSFER"
    DUPLICATE_PAYMENT = "DUPLICATE_PAYMENT"
    PAID_NOT_AS_CONFIRMED = "PAID_NOT_AS_CONFIRMED"
    PAYROLL_NOT_CONFIRMED = "PAYROLL_NOT_CONFIRMED"
    PAYROLL_DISPUTED = "PAYROLL_DISPUTED"
    NO_PAYROLL_SHEET = "NO_PAYROLL_SHEET"
    PAID_NOT_FROM_WAGE_ACCOUNT = "PAID_NOT_FROM_WAGE_ACCOUNT"
    # From the wage account's statement (专户流水, server/safeguards/rules.py)
    LABOUR_COST_NOT_ALLOCATED = "LABOUR_COST_NOT_ALLOCATED"
    WAGE_ACCOUNT_SHORT = "WAGE_ACCOUNT_SHORT"


@dataclass(frozen=True, slots=True)
class Evidence:
    """The numbers behind a finding, so an inspector can see why."""

    expected_fen: Fen | None = None
    paid_fen: Fen | None = None
    failed_fen: Fen | None = None  # amount of a failed/returned transfer
    attended_days: float | None = None
    declared_days: float | None = None
    pay_day: dt.date | None = None
    paid_on: dt.date | None = None
    days_past_pay_day: int | None = None
    unpaid_workers: int | None = None
    workers_with_attendance: int | None = None
    line_ids: tuple[int, ...] = ()
    never_entered: bool | None = None  # the payee is registered but never entered (已登记未进场)
    confirmed_fen: Fen | None = None  # the net of the worker's wage sheet line
    sheet_line_id: int | None = None
    sheet_state: str | None = None  # SheetLineState value
    sheet_locked: bool | None = None
    lock_reason: str | None = None
    payer_account: str | None = None  # masked
    wage_account: str | None = None  # masked
    payroll_fen: Fen | None = None  # the month's payroll (server/safeguards/rules.py)
    inflow_fen: Fen | None = None  # labour-cost inflows into the wage account in the window
    balance_fen: Fen | None = None  # the wage account's balance at `checked_on`
    checked_on: dt.date | None = None  # the day the balance or the inflow window was read to
    window_from: dt.date | None = None  # first day of the labour-cost inflow window

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (dates as ISO strings), dropping empty fields."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if value is None or value == ():
                continue
            out[name] = value.isoformat() if isinstance(value, dt.date) else value
        if "line_ids" in out:
            out["line_ids"] = list(out["line_ids"])
        return out


@dataclass(frozen=True, slots=True)
class Finding:
    kind: FindingKind
    level: WarningLevel
    worker_id: int | None
    line_id: int | None
    message_zh: str
    message_en: str
    evidence: Evidence = field(default_factory=Evidence)

    @property
    def key(self) -> str:
        """Stable identity for upserts when reconciliation is re-run."""
        return f"{self.kind}:{self.worker_id or '-'}:{self.line_id or '-'}"


class RowStatus(StrEnum):
    PAID = "paid"  # within tolerance, or piece rate paid
    UNDERPAID = "underpaid"
    UNPAID = "unpaid"  # attended, nothing paid, pay day passed
    NOT_YET_DUE = "not_yet_due"  # attended, nothing paid, pay day not passed
    PAID_WITHOUT_ATTENDANCE = "paid_without_attendance"
    NOTHING_DUE = "nothing_due"  # no attendance, no payment


@dataclass(frozen=True, slots=True)
class ReconRow:
    """One line of the inspector's table."""

    worker_id: int
    name: str
    wage_kind: WageKind
    attended_days: float
    hours: float
    expected_fen: Fen | None
    paid_fen: Fen
    difference_fen: Fen | None  # paid - expected
    status: RowStatus
    level: WarningLevel
    line_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ReconResult:
    period: str
    pay_day: dt.date
    rows: tuple[ReconRow, ...]
    findings: tuple[Finding, ...]
    level: WarningLevel

    def count_by_level(self) -> dict[WarningLevel, int]:
        counts = dict.fromkeys(WarningLevel, 0)
        for f in self.findings:
            counts[f.level] += 1
        return counts


# --------------------------------------------------------------------------------------------
# Helpers


def pay_day_for(period: str, settings: ReconSettings = ReconSettings()) -> dt.date:
    """The period's pay day: day N of the following month, clamped to that month's length."""
    first = parse_period(period)
    year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(settings.pay_day_of_next_month, last))


def _round_fen(value: Decimal) -> Fen:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def expected_fen(worker: WorkerMonthInput, period: str) -> Fen | None:
    """What the worker should have been paid for the month, or None when there is no rule."""
    if worker.wage_kind is WageKind.PIECE or not worker.rate_fen:
        return None
    if worker.attended_days <= 0:
        return 0
    if worker.wage_kind is WageKind.DAILY:
        return _round_fen(Decimal(worker.rate_fen) * Decimal(str(worker.attended_days)))
    first = parse_period(period)
    in_month = calendar.monthrange(first.year, first.month)[1]
    assigned = in_month if worker.assigned_days is None else min(worker.assigned_days, in_month)
    return _round_fen(Decimal(worker.rate_fen) * assigned / in_month)


def max_level(levels: Iterable[WarningLevel]) -> WarningLevel:
    return max(levels, key=_LEVEL_ORDER.__getitem__, default=WarningLevel.GREEN)


def project_level(findings: Iterable[Finding]) -> WarningLevel:
    """Red if any red, else orange if any orange, else yellow if any yellow, else green."""
    return max_level(f.level for f in findings)


def normalise_name(name: str) -> str:
    """Compare names ignoring width, spaces and the many middle dots of minority names."""
    text = unicodedata.normalize("NFKC", name)
    return re.sub(r"[\s·•・‧.]", "", text)


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def _days(value: float) -> str:
    return f"{value:g}"


def _yuan(fen: Fen | None) -> str:
    return "-" if fen is None else format_yuan(fen)


# --------------------------------------------------------------------------------------------
# The rules


def reconcile(
    period: str,
    workers: Sequence[WorkerMonthInput],
    lines: Iterable[PayrollLineInput],
    *,
    today: dt.date,
    settings: ReconSettings = ReconSettings(),
    pay_day: dt.date | None = None,
    sheet_lines: Mapping[int, SheetLineInput] | None = None,
    wage_account: str | None = None,
) -> ReconResult:
    """Findings and the per-worker table for one project × month.

    `lines` may contain other months; only lines whose period is `period` count. `pay_day`
    overrides the one computed from `settings`. `sheet_lines`: the month's wage sheet lines by
    worker id (None: no sheet at all for the month). `wage_account`: the project's wage
    account (None: not recorded, so the paying account is not checked).
    """
    period = parse_period(period).strftime("%Y-%m")
    due = pay_day or pay_day_for(period, settings)
    findings: list[Finding] = []

    by_id = {w.id_number.strip().upper(): w for w in workers}
    by_card: dict[str, list[WorkerMonthInput]] = defaultdict(list)
    for w in workers:
        for card in w.bank_cards:
            by_card[_digits(card)].append(w)

    matched: dict[int, list[PayrollLineInput]] = defaultdict(list)
    per_worker: dict[int, list[Finding]] = defaultdict(list)
    for line in sorted(lines, key=lambda ln: ln.line_id):
        if line.period != period:
            continue
        worker = _match(line, by_id, by_card)
        wrong_payer = _wrong_payer(line, worker, wage_account)
        if worker is None:
            findings.append(_unknown_payee(line))
            findings.extend(wrong_payer)
            continue
        matched[worker.worker_id].append(line)
        per_worker[worker.worker_id].extend(_line_findings(worker, line, due))
        per_worker[worker.worker_id].extend(wrong_payer)

    with_attendance = [w for w in workers if w.attended_days > 0]
    unpaid = [
        w
        for w in with_attendance
        if not any(ln.status is TransferStatus.SUCCESS for ln in matched[w.worker_id])
    ]
    days_past = (today - due).days
    share_red = bool(with_attendance) and Decimal(len(unpaid)) > settings.unpaid_red_share * len(
        with_attendance
    )

    rows: list[ReconRow] = []
    for w in workers:
        w_lines = matched[w.worker_id]
        w_findings = _worker_findings(
            w,
            w_lines,
            period=period,
            due=due,
            today=today,
            settings=settings,
            unpaid_red=days_past > settings.unpaid_red_after_days or share_red,
            unpaid_count=len(unpaid),
            attended_count=len(with_attendance),
            withheld_fen=_withheld(sheet_lines, w.worker_id),
        )
        mine = per_worker[w.worker_id]
        mine.extend(w_findings)
        mine.extend(
            _sheet_findings(
                w,
                w_lines,
                None if sheet_lines is None else sheet_lines.get(w.worker_id),
                period=period,
                due=due,
                today=today,
                settings=settings,
            )
        )
        findings.extend(mine)
        rows.append(_row(w, w_lines, period, due, today, mine))

    return ReconResult(
        period=period,
        pay_day=due,
        rows=tuple(rows),
        findings=tuple(findings),
        level=project_level(findings),
    )


def _match(
    line: PayrollLineInput,
    by_id: Mapping[str, WorkerMonthInput],
    by_card: Mapping[str, list[WorkerMonthInput]],
) -> WorkerMonthInput | None:
    if line.payee_id_number:
        return by_id.get(line.payee_id_number.strip().upper())
    owners = by_card.get(_digits(line.account_number), [])
    return owners[0] if len(owners) == 1 else None


def _unknown_payee(line: PayrollLineInput) -> Finding:
    who = mask_id_number(line.payee_id_number) if line.payee_id_number else "-"
    return Finding(
        FindingKind.UNKNOWN_PAYEE,
        WarningLevel.RED,
        None,
        line.line_id,
        f"收款人 {line.payee_name}(身份证 {who},账号 {mask_bank_card(line.account_number)})"
        f"不是本项目登记的工人,金额 {format_yuan(line.net_fen)} 元",
        f"payee {line.payee_name} (ID {who}, account {mask_bank_card(line.account_number)}) "
        f"is not registered on this project; amount ¥{format_yuan(line.net_fen)}",
        Evidence(paid_fen=line.net_fen, paid_on=line.paid_on, line_ids=(line.line_id,)),
    )


def _line_findings(w: WorkerMonthInput, line: PayrollLineInput, due: dt.date) -> list[Finding]:
    """Findings that depend on one line only."""
    out: list[Finding] = []
    ev_line = (line.line_id,)
    if normalise_name(line.payee_name) != normalise_name(w.name):
        out.append(
            Finding(
                FindingKind.NAME_MISMATCH,
                WarningLevel.YELLOW,
                w.worker_id,
                line.line_id,
                f"代发姓名「{line.payee_name}」与登记姓名「{w.name}」不一致",
                f"payee name '{line.payee_name}' differs from the registered name '{w.name}'",
                Evidence(line_ids=ev_line),
            )
        )
    if line.status is not TransferStatus.SUCCESS:
        return out
    cards = {_digits(c) for c in w.bank_cards}
    if _digits(line.account_number) not in cards:
        out.append(
            Finding(
                FindingKind.ACCOUNT_NOT_WORKERS,
                WarningLevel.RED,
                w.worker_id,
                line.line_id,
                f"工资 {format_yuan(line.net_fen)} 元打入账号 "
                f"{mask_bank_card(line.account_number)},该账号不是 {w.name} 本人登记的银行卡",
                f"¥{format_yuan(line.net_fen)} paid into account "
                f"{mask_bank_card(line.account_number)}, not a card registered as {w.name}'s own",
                Evidence(paid_fen=line.net_fen, line_ids=ev_line),
            )
        )
    if line.paid_on is not None and line.paid_on > due:
        late = (line.paid_on - due).days
        out.append(
            Finding(
                FindingKind.LATE,
                WarningLevel.YELLOW,
                w.worker_id,
                line.line_id,
                f"{line.paid_on.isoformat()} 发放,晚于发薪日 {due.isoformat()} 共 {late} 天",
                f"paid on {line.paid_on.isoformat()}, {late} days after the pay day "
                f"{due.isoformat()}",
                Evidence(
                    pay_day=due, paid_on=line.paid_on, days_past_pay_day=late, line_ids=ev_line
                ),
            )
        )
    if line.days_declared is not None and abs(line.days_declared - w.attended_days) > 1e-9:
        out.append(
            Finding(
                FindingKind.DAYS_MISMATCH,
                WarningLevel.YELLOW,
                w.worker_id,
                line.line_id,
                f"工资单出勤 {_days(line.days_declared)} 天,考勤记录 {_days(w.attended_days)} 天",
                f"payroll declares {_days(line.days_declared)} days, attendance shows "
                f"{_days(w.attended_days)}",
                Evidence(
                    attended_days=w.attended_days,
                    declared_days=line.days_declared,
                    line_ids=ev_line,
                ),
            )
        )
    if w.attended_days <= 0:
        amount = format_yuan(line.net_fen)
        if w.never_entered:  # on the project's register, but no entry (进场) ever recorded
            zh = f"{w.name} 已登记未进场(从未进场),却收到 {amount} 元"
            en = f"{w.name} is registered on this project but never entered (已登记未进场), yet"
        else:
            zh = f"{w.name} 本月无出勤记录,却收到 {amount} 元"
            en = f"{w.name} has no attended day this month but"
        out.append(
            Finding(
                FindingKind.PAID_WITHOUT_ATTENDANCE,
                WarningLevel.ORANGE,
                w.worker_id,
                line.line_id,
                f"{zh}(可能是挂名工人或工资被挪用)",
                f"{en} was paid ¥{amount} (possible ghost worker or diverted wages)",
                Evidence(
                    attended_days=0.0,
                    paid_fen=line.net_fen,
                    line_ids=ev_line,
                    never_entered=True if w.never_entered else None,
                ),
            )
        )
    return out


def payer_is_wage_account(payer: str, wage_account: str) -> bool:
    """Whether the paying account is the wage account, digits compared. A payer the bank
    masked (5105****1234) is taken as the wage account when its visible digits fit it: the
    file cannot say otherwise, and a finding needs evidence."""
    shown = re.sub(r"[^0-9*]", "", payer)
    account = _digits(wage_account)
    if "*" not in shown:
        return shown == account
    pattern = re.sub(r"\*+", lambda _: r"\d*", shown)  # a run of "*" hides any digits
    return re.fullmatch(pattern, account) is not None


def _wrong_payer(
    line: PayrollLineInput, w: WorkerMonthInput | None, wage_account: str | None
) -> list[Finding]:
    """PAID_NOT_FROM_WAGE_ACCOUNT: a successful payment whose paying account is known and is
    not the project's wage account (农民工工资专用账户)."""
    if (
        line.status is not TransferStatus.SUCCESS
        or not line.payer_account
        or not wage_account
        or not _digits(wage_account)
        or payer_is_wage_account(line.payer_account, wage_account)
    ):
        return []
    payer = mask_bank_card(line.payer_account)
    ours = mask_bank_card(_digits(wage_account))
    who = w.name if w is not None else line.payee_name
    amount = format_yuan(line.net_fen)
    return [
        Finding(
            FindingKind.PAID_NOT_FROM_WAGE_ACCOUNT,
            WarningLevel.RED,
            w.worker_id if w is not None else None,
            line.line_id,
            f"{who} 的 {amount} 元由账户 {payer} 支付,不是本项目的农民工工资专用账户 {ours}",
            f"¥{amount} to {who} was paid from account {payer}, not from the project's "
            f"dedicated wage account {ours}",
            Evidence(
                paid_fen=line.net_fen,
                paid_on=line.paid_on,
                line_ids=(line.line_id,),
                payer_account=payer,
                wage_account=ours,
            ),
        )
    ]


def _withheld(sheet_lines: Mapping[int, SheetLineInput] | None, worker_id: int) -> Fen:
    line = sheet_lines.get(worker_id) if sheet_lines else None
    return line.deductions_fen if line is not None else 0


def _worker_findings(
    w: WorkerMonthInput,
    lines: Sequence[PayrollLineInput],
    *,
    period: str,
    due: dt.date,
    today: dt.date,
    settings: ReconSettings,
    unpaid_red: bool,
    unpaid_count: int,
    attended_count: int,
    withheld_fen: Fen = 0,
) -> list[Finding]:
    """Findings over all of a worker's lines for the month. `withheld_fen`: what the worker's
    wage sheet line deducted (an advance already paid, social insurance, tax): paid to or for
    the worker, so it counts towards the amount due when UNDERPAID is weighed."""
    out: list[Finding] = []
    ok = [ln for ln in lines if ln.status is TransferStatus.SUCCESS]
    paid = sum(ln.net_fen for ln in ok)
    paid_in_full = paid + withheld_fen
    expected = expected_fen(w, period)

    if w.attended_days > 0 and not ok and today > due:
        past = (today - due).days
        out.append(
            Finding(
                FindingKind.UNPAID,
                WarningLevel.RED if unpaid_red else WarningLevel.ORANGE,
                w.worker_id,
                None,
                f"{w.name} 出勤 {_days(w.attended_days)} 天,{period} 工资至今未成功发放"
                f"(发薪日 {due.isoformat()},已过 {past} 天)",
                f"{w.name} attended {_days(w.attended_days)} days; no successful payment for "
                f"{period} ({past} days past the pay day {due.isoformat()})",
                Evidence(
                    expected_fen=expected,
                    paid_fen=0,
                    attended_days=w.attended_days,
                    pay_day=due,
                    days_past_pay_day=past,
                    unpaid_workers=unpaid_count,
                    workers_with_attendance=attended_count,
                ),
            )
        )

    if ok and expected:
        floor = Decimal(expected) * (1 - settings.underpaid_tolerance)
        if paid_in_full < floor:
            red = paid_in_full < Decimal(expected) * settings.underpaid_red_below
            out.append(
                Finding(
                    FindingKind.UNDERPAID,
                    WarningLevel.RED if red else WarningLevel.ORANGE,
                    w.worker_id,
                    ok[0].line_id if len(ok) == 1 else None,
                    f"{w.name} 应发 {_yuan(expected)} 元,实发 {_yuan(paid)} 元,"
                    f"少 {_yuan(expected - paid)} 元",
                    f"{w.name} expected ¥{_yuan(expected)}, paid ¥{_yuan(paid)}, "
                    f"short by ¥{_yuan(expected - paid)}",
                    Evidence(
                        expected_fen=expected,
                        paid_fen=paid,
                        attended_days=w.attended_days,
                        line_ids=tuple(ln.line_id for ln in ok),
                    ),
                )
            )

    for bad in (ln for ln in lines if ln.status is not TransferStatus.SUCCESS):
        if any(_settles(s, bad) for s in ok):
            continue
        word = "退汇" if bad.status is TransferStatus.RETURNED else "失败"
        out.append(
            Finding(
                FindingKind.FAILED_TRANSFER,
                WarningLevel.RED,
                w.worker_id,
                bad.line_id,
                f"{w.name} 的 {format_yuan(bad.net_fen)} 元代发{word},之后没有成功补发",
                f"transfer of ¥{format_yuan(bad.net_fen)} to {w.name} {bad.status.value}, "
                "with no later successful payment",
                Evidence(
                    paid_fen=0,
                    failed_fen=bad.net_fen,
                    paid_on=bad.paid_on,
                    line_ids=(bad.line_id,),
                ),
            )
        )

    for extra in ok[1:]:
        out.append(
            Finding(
                FindingKind.DUPLICATE_PAYMENT,
                WarningLevel.ORANGE,
                w.worker_id,
                extra.line_id,
                f"{w.name} 的 {period} 工资有 {len(ok)} 笔成功发放,合计 {format_yuan(paid)} 元,"
                "请核实是否重复",
                f"{w.name} has {len(ok)} successful payments for {period}, "
                f"¥{format_yuan(paid)} in total: check for a duplicate",
                Evidence(
                    expected_fen=expected, paid_fen=paid, line_ids=tuple(ln.line_id for ln in ok)
                ),
            )
        )
    return out


_STATE_TEXT = {
    SheetLineState.UNCONFIRMED: ("本人未确认", "not confirmed by the worker"),
    SheetLineState.DISPUTED: ("本人有异议未处理", "disputed by the worker, not resolved"),
    SheetLineState.RESOLVED: (
        "异议已处理但本人未确认",
        "the dispute was resolved but the worker did not confirm",
    ),
}


def _sheet_findings(
    w: WorkerMonthInput,
    lines: Sequence[PayrollLineInput],
    sheet: SheetLineInput | None,
    *,
    period: str,
    due: dt.date,
    today: dt.date,
    settings: ReconSettings,
) -> list[Finding]:
    """Findings against the month's wage sheet (工资支付表): what the worker confirmed, whether
    they confirmed at all, an open dispute, and no sheet line when one was due."""
    out: list[Finding] = []
    ok = [ln for ln in lines if ln.status is TransferStatus.SUCCESS]
    paid = sum(ln.net_fen for ln in ok)
    ok_ids = tuple(ln.line_id for ln in ok)
    if sheet is None:
        if settings.require_wage_sheet and w.attended_days > 0 and today > due:
            out.append(
                Finding(
                    FindingKind.NO_PAYROLL_SHEET,
                    WarningLevel.YELLOW,
                    w.worker_id,
                    None,
                    f"{w.name} 出勤 {_days(w.attended_days)} 天,{period} 没有本人的工资支付表"
                    f"(发薪日 {due.isoformat()} 已过)",
                    f"{w.name} attended {_days(w.attended_days)} days; there is no wage sheet "
                    f"line for {period} (the pay day {due.isoformat()} has passed)",
                    Evidence(
                        attended_days=w.attended_days,
                        pay_day=due,
                        days_past_pay_day=(today - due).days,
                        paid_fen=paid,
                        line_ids=ok_ids,
                    ),
                )
            )
        return out

    def evidence(**extra: Any) -> Evidence:
        return Evidence(
            confirmed_fen=sheet.net_fen,
            sheet_line_id=sheet.line_id,
            sheet_state=sheet.state.value,
            sheet_locked=sheet.locked,
            lock_reason=sheet.lock_reason or None,
            **extra,
        )

    if sheet.state is SheetLineState.CONFIRMED and ok and paid != sheet.net_fen:
        red = paid < Decimal(sheet.net_fen) * settings.confirmed_red_below
        diff = paid - sheet.net_fen
        out.append(
            Finding(
                FindingKind.PAID_NOT_AS_CONFIRMED,
                WarningLevel.RED if red else WarningLevel.ORANGE,
                w.worker_id,
                ok[0].line_id if len(ok) == 1 else None,
                f"{w.name} 本人确认的工资支付表实发 {_yuan(sheet.net_fen)} 元,银行实发 "
                f"{_yuan(paid)} 元,{'少' if diff < 0 else '多'} {_yuan(abs(diff))} 元",
                f"{w.name} confirmed ¥{_yuan(sheet.net_fen)} on the wage sheet; the bank paid "
                f"¥{_yuan(paid)}, {'short by' if diff < 0 else 'over by'} ¥{_yuan(abs(diff))}",
                evidence(paid_fen=paid, line_ids=ok_ids),
            )
        )

    open_dispute = sheet.state is SheetLineState.DISPUTED and (bool(ok) or today > due)
    if open_dispute:
        when_zh = "工资已发放" if ok else f"已过发薪日 {due.isoformat()}"
        when_en = "the wages were paid" if ok else f"the pay day {due.isoformat()} has passed"
        out.append(
            Finding(
                FindingKind.PAYROLL_DISPUTED,
                WarningLevel.ORANGE,
                w.worker_id,
                None,
                f"{w.name} 对 {period} 工资支付表的异议尚未处理,{when_zh}",
                f"{w.name}'s dispute of the {period} wage sheet is not resolved, and {when_en}",
                evidence(paid_fen=paid, pay_day=due, line_ids=ok_ids),
            )
        )

    # Not confirmed by the worker, yet paid or locked. An open dispute already raised above is
    # that finding; a dispute before anything happened is not one yet.
    if sheet.state is not SheetLineState.CONFIRMED and (ok or sheet.locked) and not open_dispute:
        state_zh, state_en = _STATE_TEXT[sheet.state]
        if ok:
            zh = f"{w.name} 的 {period} 工资支付表{state_zh},工资已发放 {_yuan(paid)} 元"
            en = f"{w.name}'s {period} wage sheet line was paid (¥{_yuan(paid)}): {state_en}"
        else:
            zh = f"{w.name} 的 {period} 工资支付表{state_zh},工资支付表已被锁定"
            en = f"the {period} wage sheet was locked while {w.name}'s line was {state_en}"
        if sheet.lock_reason:
            zh += f"(锁定原因:{sheet.lock_reason})"
            en += f" (lock reason: {sheet.lock_reason})"
        out.append(
            Finding(
                FindingKind.PAYROLL_NOT_CONFIRMED,
                WarningLevel.ORANGE,
                w.worker_id,
                None,
                zh,
                en,
                evidence(paid_fen=paid, line_ids=ok_ids),
            )
        )
    return out


def _settles(success: PayrollLineInput, failed: PayrollLineInput) -> bool:
    if success.paid_on is None or failed.paid_on is None:
        return True
    return success.paid_on >= failed.paid_on


def _row(
    w: WorkerMonthInput,
    lines: Sequence[PayrollLineInput],
    period: str,
    due: dt.date,
    today: dt.date,
    findings: Sequence[Finding],  # this worker's
) -> ReconRow:
    ok = [ln for ln in lines if ln.status is TransferStatus.SUCCESS]
    paid = sum(ln.net_fen for ln in ok)
    expected = expected_fen(w, period)
    kinds = {f.kind for f in findings}
    if w.attended_days <= 0:
        status = RowStatus.PAID_WITHOUT_ATTENDANCE if ok else RowStatus.NOTHING_DUE
    elif not ok:
        status = RowStatus.UNPAID if today > due else RowStatus.NOT_YET_DUE
    elif FindingKind.UNDERPAID in kinds:
        status = RowStatus.UNDERPAID
    else:
        status = RowStatus.PAID
    return ReconRow(
        worker_id=w.worker_id,
        name=w.name,
        wage_kind=w.wage_kind,
        attended_days=w.attended_days,
        hours=w.hours,
        expected_fen=expected,
        paid_fen=paid,
        difference_fen=None if expected is None else paid - expected,
        status=status,
        level=max_level(f.level for f in findings),
        line_ids=tuple(ln.line_id for ln in lines),
    )


__all__ = [
    "Evidence",
    "Finding",
    "FindingKind",
    "PayrollLineInput",
    "ReconResult",
    "ReconRow",
    "ReconSettings",
    "RowStatus",
    "SheetLineInput",
    "SheetLineState",
    "WorkerMonthInput",
    "expected_fen",
    "max_level",
    "normalise_name",
    "pay_day_for",
    "payer_is_wage_account",
    "project_level",
    "reconcile",
]
