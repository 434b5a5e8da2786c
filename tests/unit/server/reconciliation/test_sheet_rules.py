"""The findings against the wage sheet (工资支付表) and the paying account, at their boundaries;
the ghost worker who is registered but never entered; the ten findings unchanged without a
sheet."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from models.enums import WarningLevel
from server.payroll.parsers import TransferStatus
from server.reconciliation.rules import (
    FindingKind,
    PayrollLineInput,
    ReconResult,
    ReconSettings,
    SheetLineInput,
    SheetLineState,
    WorkerMonthInput,
    payer_is_wage_account,
    reconcile,
)
from tests.unit.server.reconciliation.test_rules import (
    PAY_DAY,
    PERIOD,
    id_number,
    kinds,
    pay,
    worker,
)

AFTER = PAY_DAY + dt.timedelta(days=1)
BEFORE = PAY_DAY - dt.timedelta(days=5)
NET = 1_000_000  # the worker's expected and confirmed net: 20 days × ¥500
WAGE_ACCOUNT = "51050142610800001234"
OTHER_ACCOUNT = "62170000111122223333"
ORANGE, YELLOW, RED = WarningLevel.ORANGE, WarningLevel.YELLOW, WarningLevel.RED


def sheet(
    w: WorkerMonthInput,
    state: SheetLineState = SheetLineState.CONFIRMED,
    net: int = NET,
    **kw: object,
) -> dict[int, SheetLineInput]:
    return {w.worker_id: SheetLineInput(w.worker_id, 900 + w.worker_id, net, state, **kw)}  # type: ignore[arg-type]


def run(
    workers: list[WorkerMonthInput],
    lines: list[PayrollLineInput],
    *,
    today: dt.date = AFTER,
    sheets: dict[int, SheetLineInput] | None = None,
    settings: ReconSettings = ReconSettings(),
    wage_account: str | None = None,
) -> ReconResult:
    return reconcile(
        PERIOD,
        workers,
        lines,
        today=today,
        settings=settings,
        sheet_lines=sheets,
        wage_account=wage_account,
    )


def of(result: ReconResult, kind: FindingKind) -> list[tuple[FindingKind, WarningLevel]]:
    return [k for k in kinds(result.findings) if k[0] is kind]


class TestWithheldOnTheSheet:
    """An advance, social insurance or tax deducted on the worker's line was paid to or for
    the worker: UNDERPAID weighs the bank's net plus what the line withheld."""

    K = FindingKind.UNDERPAID

    def test_an_agreed_advance_is_not_underpayment(self) -> None:
        w = worker()  # expected ¥10,000
        line = sheet(w, net=500_000, deductions_fen=500_000)
        assert of(run([w], [pay(w, 500_000)], sheets=line), self.K) == []

    def test_without_the_sheet_it_is(self) -> None:
        w = worker()
        assert of(run([w], [pay(w, 500_000)]), self.K) == [(self.K, ORANGE)]

    def test_short_of_what_was_withheld_still_is(self) -> None:
        w = worker()
        line = sheet(w, net=500_000, deductions_fen=400_000)  # ¥1,000 missing either way
        assert of(run([w], [pay(w, 500_000)], sheets=line), self.K) == [(self.K, ORANGE)]


class TestPaidNotAsConfirmed:
    K = FindingKind.PAID_NOT_AS_CONFIRMED

    def test_paid_exactly_as_confirmed(self) -> None:
        w = worker()
        assert run([w], [pay(w, NET)], sheets=sheet(w)).findings == ()

    @pytest.mark.parametrize("paid", [NET - 1, NET + 1])
    def test_one_fen_either_way_is_orange(self, paid: int) -> None:
        w = worker()
        result = run([w], [pay(w, paid)], sheets=sheet(w, net=NET))
        assert of(result, self.K) == [(self.K, ORANGE)]
        (f,) = [f for f in result.findings if f.kind is self.K]
        assert (f.evidence.confirmed_fen, f.evidence.paid_fen) == (NET, paid)
        assert f.evidence.sheet_line_id == 901
        assert ("少" if paid < NET else "多") in f.message_zh

    def test_compared_with_the_confirmed_net_not_the_expected(self) -> None:
        w = worker()  # expected ¥10,000; confirmed ¥9,000 (a deduction the worker agreed to)
        result = run([w], [pay(w, 900_000)], sheets=sheet(w, net=900_000))
        assert of(result, self.K) == []

    def test_red_below_half_of_confirmed(self) -> None:
        w = worker()
        half = run([w], [pay(w, NET // 2)], sheets=sheet(w))
        below = run([w], [pay(w, NET // 2 - 1)], sheets=sheet(w))
        assert of(half, self.K) == [(self.K, ORANGE)]
        assert of(below, self.K) == [(self.K, RED)]

    def test_red_share_is_a_setting(self) -> None:
        w = worker()
        s = ReconSettings(confirmed_red_below=Decimal("0.9"))
        assert of(run([w], [pay(w, 899_999)], sheets=sheet(w), settings=s), self.K) == [
            (self.K, RED)
        ]

    def test_sum_of_successful_lines(self) -> None:
        w = worker()
        lines = [pay(w, 600_000), pay(w, 400_000), pay(w, 5, status=TransferStatus.FAILED)]
        result = run([w], lines, sheets=sheet(w))
        assert of(result, self.K) == []
        (dup,) = [f for f in result.findings if f.kind is FindingKind.DUPLICATE_PAYMENT]
        assert dup.evidence.paid_fen == NET

    def test_line_named_only_when_one_payment(self) -> None:
        w = worker()
        one = pay(w, 1)
        (f,) = [f for f in run([w], [one], sheets=sheet(w)).findings if f.kind is self.K]
        assert f.line_id == one.line_id
        two = run([w], [pay(w, 1), pay(w, 2)], sheets=sheet(w)).findings
        assert [f.line_id for f in two if f.kind is self.K] == [None]

    def test_nothing_paid_is_unpaid_not_this(self) -> None:
        w = worker()
        result = run([w], [pay(w, status=TransferStatus.FAILED)], sheets=sheet(w))
        assert of(result, self.K) == []
        assert FindingKind.UNPAID in {f.kind for f in result.findings}

    def test_only_a_confirmed_line_is_compared(self) -> None:
        w = worker()
        for state in (SheetLineState.UNCONFIRMED, SheetLineState.RESOLVED):
            assert of(run([w], [pay(w, 1)], sheets=sheet(w, state)), self.K) == []


class TestPayrollNotConfirmed:
    K = FindingKind.PAYROLL_NOT_CONFIRMED

    def test_paid_while_unconfirmed(self) -> None:
        w = worker()
        result = run([w], [pay(w, NET)], today=BEFORE, sheets=sheet(w, SheetLineState.UNCONFIRMED))
        assert kinds(result.findings) == [(self.K, ORANGE)]
        (f,) = result.findings
        assert f.evidence.sheet_state == "unconfirmed"
        assert f.evidence.lock_reason is None
        assert "本人未确认" in f.message_zh

    def test_unconfirmed_unpaid_unlocked_is_nothing_yet(self) -> None:
        w = worker()
        assert (
            run([w], [], today=BEFORE, sheets=sheet(w, SheetLineState.UNCONFIRMED)).findings == ()
        )
        after = run([w], [], sheets=sheet(w, SheetLineState.UNCONFIRMED))
        assert kinds(after.findings) == [(FindingKind.UNPAID, RED)]  # the unpaid wage, not this

    def test_a_failed_transfer_is_not_paid(self) -> None:
        w = worker()
        lines = [pay(w, status=TransferStatus.FAILED)]
        result = run([w], lines, today=BEFORE, sheets=sheet(w, SheetLineState.UNCONFIRMED))
        assert of(result, self.K) == []

    def test_force_locked_carries_the_reason(self) -> None:
        w = worker()
        line = sheet(w, SheetLineState.UNCONFIRMED, locked=True, lock_reason="工人已返乡,电话确认")
        result = run([w], [], today=BEFORE, sheets=line)
        assert kinds(result.findings) == [(self.K, ORANGE)]
        (f,) = result.findings
        assert f.evidence.lock_reason == "工人已返乡,电话确认"
        assert f.evidence.sheet_locked is True
        assert "工人已返乡,电话确认" in f.message_zh
        assert "lock reason: 工人已返乡,电话确认" in f.message_en
        assert f.evidence.as_dict()["lock_reason"] == "工人已返乡,电话确认"

    def test_confirmed_locked_and_paid_is_fine(self) -> None:
        w = worker()
        line = sheet(w, locked=True, lock_reason="")
        assert run([w], [pay(w, NET)], sheets=line).findings == ()

    def test_resolved_dispute_is_not_the_workers_confirmation(self) -> None:
        w = worker()
        result = run([w], [pay(w, NET)], sheets=sheet(w, SheetLineState.RESOLVED))
        assert kinds(result.findings) == [(self.K, ORANGE)]

    def test_open_dispute_raised_once_as_disputed(self) -> None:
        w = worker()
        result = run([w], [pay(w, NET)], sheets=sheet(w, SheetLineState.DISPUTED, locked=True))
        assert kinds(result.findings) == [(FindingKind.PAYROLL_DISPUTED, ORANGE)]

    def test_disputed_locked_before_pay_day_unpaid(self) -> None:
        w = worker()
        line = sheet(w, SheetLineState.DISPUTED, locked=True, lock_reason="到期锁定")
        assert kinds(run([w], [], today=BEFORE, sheets=line).findings) == [(self.K, ORANGE)]


class TestPayrollDisputed:
    K = FindingKind.PAYROLL_DISPUTED

    def test_not_before_or_on_the_pay_day_when_unpaid(self) -> None:
        w = worker()
        for today in (BEFORE, PAY_DAY):
            assert (
                run([w], [], today=today, sheets=sheet(w, SheetLineState.DISPUTED)).findings == ()
            )

    def test_day_after_the_pay_day(self) -> None:
        w = worker()
        result = run([w], [pay(w, NET)], sheets=sheet(w, SheetLineState.DISPUTED))
        assert kinds(result.findings) == [(self.K, ORANGE)]
        unpaid = run([w], [], sheets=sheet(w, SheetLineState.DISPUTED))
        assert kinds(unpaid.findings) == [(FindingKind.UNPAID, RED), (self.K, ORANGE)]
        (f,) = [f for f in unpaid.findings if f.kind is self.K]
        assert f.evidence.pay_day == PAY_DAY
        assert PAY_DAY.isoformat() in f.message_zh

    def test_paid_before_the_pay_day(self) -> None:
        w = worker()
        result = run([w], [pay(w, NET)], today=BEFORE, sheets=sheet(w, SheetLineState.DISPUTED))
        assert kinds(result.findings) == [(self.K, ORANGE)]
        assert "工资已发放" in result.findings[0].message_zh

    def test_resolved_is_not_open(self) -> None:
        w = worker()
        assert of(run([w], [], sheets=sheet(w, SheetLineState.RESOLVED)), self.K) == []


class TestNoPayrollSheet:
    K = FindingKind.NO_PAYROLL_SHEET

    def test_no_sheet_at_all_after_the_pay_day(self) -> None:
        w = worker()
        result = run([w], [pay(w, NET)])
        assert kinds(result.findings) == [(self.K, YELLOW)]
        (f,) = result.findings
        assert (f.worker_id, f.line_id, f.evidence.days_past_pay_day) == (1, None, 1)

    def test_not_on_the_pay_day(self) -> None:
        w = worker()
        assert run([w], [pay(w, NET)], today=PAY_DAY).findings == ()

    def test_a_sheet_without_the_workers_line(self) -> None:
        a, b = worker(1), worker(2)
        result = run([a, b], [pay(a, NET), pay(b, NET)], sheets=sheet(a))
        assert [(f.kind, f.worker_id) for f in result.findings] == [(self.K, 2)]

    def test_half_a_day_counts_no_day_does_not(self) -> None:
        half, none = worker(1, days=0.5), worker(2, days=0)
        result = run([half, none], [pay(half, 25_000)])
        assert [(f.kind, f.worker_id) for f in result.findings] == [(self.K, 1)]

    def test_setting_off(self) -> None:
        w = worker()
        s = ReconSettings(require_wage_sheet=False)
        assert run([w], [pay(w, NET)], settings=s).findings == ()


class TestPaidNotFromWageAccount:
    K = FindingKind.PAID_NOT_FROM_WAGE_ACCOUNT

    def test_from_the_wage_account(self) -> None:
        w = worker()
        line = pay(w, NET, payer_account=WAGE_ACCOUNT)
        assert run([w], [line], sheets=sheet(w), wage_account=WAGE_ACCOUNT).findings == ()

    def test_from_another_account_is_red(self) -> None:
        w = worker()
        line = pay(w, NET, payer_account=OTHER_ACCOUNT)
        result = run([w], [line], sheets=sheet(w), wage_account=WAGE_ACCOUNT)
        assert kinds(result.findings) == [(self.K, RED)]
        (f,) = result.findings
        assert (f.worker_id, f.line_id) == (1, line.line_id)
        assert f.evidence.payer_account == "6217************3333"
        assert f.evidence.wage_account == "5105************1234"
        assert OTHER_ACCOUNT not in f.message_zh + f.message_en  # masked

    @pytest.mark.parametrize(
        ("payer", "wage"),
        [(None, WAGE_ACCOUNT), ("", WAGE_ACCOUNT), (OTHER_ACCOUNT, None), (OTHER_ACCOUNT, "")],
    )
    def test_unknown_either_side_is_no_finding(self, payer: str | None, wage: str | None) -> None:
        w = worker()
        line = pay(w, NET, payer_account=payer)
        assert run([w], [line], sheets=sheet(w), wage_account=wage).findings == ()

    def test_a_failed_transfer_paid_nothing(self) -> None:
        w = worker()
        lines = [
            pay(w, NET, payer_account=OTHER_ACCOUNT, status=TransferStatus.FAILED),
            pay(w, NET),
        ]
        assert run([w], lines, sheets=sheet(w), wage_account=WAGE_ACCOUNT).findings == ()

    def test_unknown_payee_paid_from_another_account(self) -> None:
        stranger = dataclasses.replace(worker(9), id_number=id_number(99))
        line = pay(stranger, 5_000, payer_account=OTHER_ACCOUNT)
        result = run([], [line], wage_account=WAGE_ACCOUNT)
        assert kinds(result.findings) == [(FindingKind.UNKNOWN_PAYEE, RED), (self.K, RED)]
        assert result.findings[1].worker_id is None


class TestPayerIsWageAccount:
    @pytest.mark.parametrize(
        ("payer", "same"),
        [(WAGE_ACCOUNT, True), ("5105 0142 6108 0000 1234", True), ("5105****1234", True),
         ("5105*1234", True), ("****1234", True), ("5105****9999", False),
         ("9105****1234", False), ("51050142610800001235", False), ("5105014261080000123", False)],
    )  # fmt: skip
    def test_digits_and_masks(self, payer: str, same: bool) -> None:
        assert payer_is_wage_account(payer, "5105-0142-6108-0000-1234") is same


class TestGhostWorker:
    def test_registered_never_entered_and_paid(self) -> None:
        ghost = worker(days=0, never_entered=True)
        result = run([ghost], [pay(ghost, 300_000)])
        assert kinds(result.findings) == [(FindingKind.PAID_WITHOUT_ATTENDANCE, ORANGE)]
        (f,) = result.findings
        assert "已登记未进场" in f.message_zh
        assert "never entered" in f.message_en
        assert f.evidence.never_entered is True
        assert f.evidence.as_dict()["never_entered"] is True

    def test_entered_without_attendance_keeps_its_words(self) -> None:
        w = worker(days=0)
        (f,) = run([w], [pay(w, 300_000)]).findings
        assert "本月无出勤记录" in f.message_zh
        assert "never_entered" not in f.evidence.as_dict()


class TestTenFindingsUnchangedWithoutASheet:
    """With no sheet the ten findings are exactly as before; the requirement adds only
    NO_PAYROLL_SHEET (one per attended worker once the pay day has passed)."""

    def test_same_findings_plus_no_payroll_sheet(self) -> None:
        ws = [worker(n) for n in range(1, 7)]
        ws[5] = worker(6, days=0)
        lines = [
            pay(ws[0], 400_000),  # underpaid
            pay(ws[1], NET, payee_name="别名", paid_on=dt.date(2026, 11, 20)),  # name, late
            pay(ws[2], NET, account_number="6222020200999999999"),  # not the worker's account
            pay(ws[3], NET, status=TransferStatus.FAILED),  # failed; ws[4] unpaid
            pay(ws[5], NET),  # paid without attendance
        ]
        today = dt.date(2026, 11, 25)
        off = run(ws, lines, today=today, settings=ReconSettings(require_wage_sheet=False))
        on = run(ws, lines, today=today)
        extra = [f for f in on.findings if f.kind is FindingKind.NO_PAYROLL_SHEET]
        assert [f for f in on.findings if f.kind is not FindingKind.NO_PAYROLL_SHEET] == list(
            off.findings
        )
        assert sorted(f.worker_id for f in extra) == [1, 2, 3, 4, 5]
        assert {f.level for f in extra} == {YELLOW}
        # The table is the same too, but for the yellow the requirement adds to the rows.
        assert [dataclasses.replace(r, level=ORANGE) for r in off.rows] == [
            dataclasses.replace(r, level=ORANGE) for r in on.rows
        ]


class TestSettings:
    def test_from_mapping_new_settings(self) -> None:
        s = ReconSettings.from_mapping({"require_wage_sheet": False, "confirmed_red_below": 0.3})
        assert (s.require_wage_sheet, s.confirmed_red_below) == (False, Decimal("0.3"))
        assert "不要求工资支付表" in " ".join(s.rule_notes())

    @pytest.mark.parametrize(
        "values", [{"require_wage_sheet": "yes"}, {"require_wage_sheet": 1},
                   {"confirmed_red_below": 2}]
    )  # fmt: skip
    def test_bad_values(self, values: dict[str, object]) -> None:
        with pytest.raises(ValueError, match="must be"):
            ReconSettings.from_mapping(values)


class TestKindsAreNamed:
    """Every finding kind has words on the pages (zh and en) and in the printed report."""

    @pytest.mark.parametrize("kind", [*FindingKind, "CHAIN_BREAK"])
    def test_page_and_pdf_words(self, kind: str) -> None:
        from server.reports.recon_pdf import KIND_TEXT
        from server.web.i18n import MESSAGES

        zh, en = MESSAGES[f"kind.{kind}"]
        assert zh
        assert en
        assert KIND_TEXT[str(kind)].startswith(zh)
