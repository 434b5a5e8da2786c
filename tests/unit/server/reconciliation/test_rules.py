"""Reconciliation rules: every finding type at its boundaries, the table, the project level."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from decimal import Decimal

import pytest

from models.enums import WageKind, WarningLevel
from models.ids import resident_id_check_char
from server.payroll.parsers import TransferStatus
from server.reconciliation.rules import (
    Finding,
    FindingKind,
    PayrollLineInput,
    ReconSettings,
    RowStatus,
    WorkerMonthInput,
    expected_fen,
    normalise_name,
    pay_day_for,
    project_level,
    reconcile,
)

PERIOD = "2026-10"
PAY_DAY = dt.date(2026, 11, 15)
# The ten findings of a month without a wage sheet: these tests do not require one (the sheet's
# own findings, NO_PAYROLL_SHEET included, are tested in test_sheet_rules.py).
NO_SHEET = ReconSettings(require_wage_sheet=False)
_line_ids = itertools.count(1)


def id_number(n: int) -> str:
    first17 = f"11010519900101{n:03d}"
    return first17 + resident_id_check_char(first17)


def worker(n: int = 1, *, days: float = 20, kind: WageKind = WageKind.DAILY,
           rate: int | None = 50_000, **kw: object) -> WorkerMonthInput:  # fmt: skip
    return WorkerMonthInput(
        worker_id=n,
        name=f"工人{n}",
        id_number=id_number(n),
        bank_cards=frozenset({f"62220202000{n:08d}"}),
        wage_kind=kind,
        rate_fen=rate,
        attended_days=days,
        hours=days * 9,
        **kw,  # type: ignore[arg-type]
    )


def pay(w: WorkerMonthInput, net: int | None = None, **kw: object) -> PayrollLineInput:
    values: dict[str, object] = {
        "line_id": next(_line_ids),
        "payee_name": w.name,
        "payee_id_number": w.id_number,
        "account_number": next(iter(w.bank_cards)),
        "gross_fen": None,
        "net_fen": net if net is not None else (expected_fen(w, PERIOD) or 100_000),
        "days_declared": None,
        "period": PERIOD,
        "paid_on": dt.date(2026, 11, 10),
        "status": TransferStatus.SUCCESS,
    }
    values.update(kw)
    return PayrollLineInput(**values)  # type: ignore[arg-type]


def kinds(findings: tuple[Finding, ...] | list[Finding]) -> list[tuple[FindingKind, WarningLevel]]:
    return [(f.kind, f.level) for f in findings]


def run(workers: list[WorkerMonthInput], lines: list[PayrollLineInput],
        today: dt.date = dt.date(2026, 11, 20), **kw: object):  # type: ignore[no-untyped-def]  # fmt: skip
    kw.setdefault("settings", NO_SHEET)
    return reconcile(PERIOD, workers, lines, today=today, **kw)  # type: ignore[arg-type]


class TestPayDayFor:
    def test_default_is_15th_of_next_month(self) -> None:
        assert pay_day_for("2026-10") == PAY_DAY

    def test_december_rolls_into_next_year(self) -> None:
        assert pay_day_for("2026-12") == dt.date(2027, 1, 15)

    def test_clamped_to_month_length(self) -> None:
        assert pay_day_for("2027-01", ReconSettings(pay_day_of_next_month=31)) == dt.date(
            2027, 2, 28
        )


class TestExpectedFen:
    def test_daily_rate_times_days_with_half_days(self) -> None:
        assert expected_fen(worker(days=20.5, rate=35_050), PERIOD) == 718_525

    def test_piece_rate_has_no_expectation(self) -> None:
        assert expected_fen(worker(kind=WageKind.PIECE), PERIOD) is None

    def test_no_rate_has_no_expectation(self) -> None:
        assert expected_fen(worker(rate=0), PERIOD) is None

    def test_monthly_full_month(self) -> None:
        assert expected_fen(worker(kind=WageKind.MONTHLY, rate=800_000, days=3), PERIOD) == 800_000

    def test_monthly_prorated_by_assigned_calendar_days(self) -> None:
        w = worker(kind=WageKind.MONTHLY, rate=800_000, days=10, assigned_days=15)
        assert expected_fen(w, PERIOD) == 387_097  # 8000 × 15 / 31, half-up

    def test_monthly_without_attendance_is_zero(self) -> None:
        assert expected_fen(worker(kind=WageKind.MONTHLY, rate=800_000, days=0), PERIOD) == 0


class TestUnpaid:
    def test_not_before_or_on_pay_day(self) -> None:
        assert run([worker()], [], today=PAY_DAY).findings == ()

    def test_day_after_pay_day_orange_when_few_unpaid(self) -> None:
        ws = [worker(n) for n in range(1, 6)]
        result = run(ws, [pay(w) for w in ws[1:]], today=PAY_DAY + dt.timedelta(days=1))
        assert kinds(result.findings) == [(FindingKind.UNPAID, WarningLevel.ORANGE)]
        assert result.findings[0].evidence.days_past_pay_day == 1

    def test_30_days_late_orange_31_red(self) -> None:
        ws = [worker(n) for n in range(1, 6)]
        lines = [pay(w) for w in ws[1:]]
        at30 = run(ws, lines, today=PAY_DAY + dt.timedelta(days=30))
        at31 = run(ws, lines, today=PAY_DAY + dt.timedelta(days=31))
        assert kinds(at30.findings) == [(FindingKind.UNPAID, WarningLevel.ORANGE)]
        assert kinds(at31.findings) == [(FindingKind.UNPAID, WarningLevel.RED)]

    def test_share_at_20_percent_orange_above_red(self) -> None:
        ws = [worker(n) for n in range(1, 6)]
        one = run(ws, [pay(w) for w in ws[1:]])  # 1 of 5 = 20 %
        two = run(ws, [pay(w) for w in ws[2:]])  # 2 of 5 = 40 %
        assert {f.level for f in one.findings} == {WarningLevel.ORANGE}
        assert kinds(two.findings) == [(FindingKind.UNPAID, WarningLevel.RED)] * 2

    def test_half_day_is_attendance(self) -> None:
        assert kinds(run([worker(days=0.5)], []).findings)[0][0] is FindingKind.UNPAID

    def test_no_attendance_no_unpaid(self) -> None:
        assert run([worker(days=0)], []).findings == ()

    def test_failed_payment_is_not_payment(self) -> None:
        w = worker()
        result = run([w], [pay(w, status=TransferStatus.FAILED)])
        assert {f.kind for f in result.findings} == {
            FindingKind.UNPAID,
            FindingKind.FAILED_TRANSFER,
        }


class TestUnderpaid:
    # 20 days × ¥500 = ¥10,000 = 1,000,000 fen expected
    @pytest.mark.parametrize(
        ("net", "expected"),
        [(1_000_000, []), (950_000, []),
         (949_999, [(FindingKind.UNDERPAID, WarningLevel.ORANGE)]),
         (500_000, [(FindingKind.UNDERPAID, WarningLevel.ORANGE)]),
         (499_999, [(FindingKind.UNDERPAID, WarningLevel.RED)])],
    )  # fmt: skip
    def test_boundaries(self, net: int, expected: list[tuple[FindingKind, WarningLevel]]) -> None:
        w = worker()
        result = run([w], [pay(w, net)])
        assert kinds(result.findings) == expected
        if expected:
            ev = result.findings[0].evidence
            assert (ev.expected_fen, ev.paid_fen) == (1_000_000, net)

    def test_split_payments_are_summed(self) -> None:
        w = worker()
        result = run([w], [pay(w, 500_000), pay(w, 500_000)])
        assert FindingKind.UNDERPAID not in {f.kind for f in result.findings}

    def test_piece_rate_never_underpaid(self) -> None:
        w = worker(kind=WageKind.PIECE)
        assert run([w], [pay(w, 1)]).findings == ()

    def test_tolerance_setting(self) -> None:
        w = worker()
        s = ReconSettings(underpaid_tolerance=Decimal("0.10"), require_wage_sheet=False)
        assert run([w], [pay(w, 900_000)], settings=s).findings == ()


class TestDaysMismatch:
    def test_equal_no_finding(self) -> None:
        w = worker(days=20.5)
        assert run([w], [pay(w, days_declared=20.5)]).findings == ()

    def test_half_day_difference(self) -> None:
        w = worker(days=20.5)
        result = run([w], [pay(w, days_declared=21.0)])
        assert kinds(result.findings) == [(FindingKind.DAYS_MISMATCH, WarningLevel.YELLOW)]
        assert result.findings[0].evidence.declared_days == 21.0


class TestPaidWithoutAttendance:
    def test_orange(self) -> None:
        w = worker(days=0)
        result = run([w], [pay(w, 300_000)])
        assert kinds(result.findings) == [
            (FindingKind.PAID_WITHOUT_ATTENDANCE, WarningLevel.ORANGE)
        ]
        assert result.rows[0].status is RowStatus.PAID_WITHOUT_ATTENDANCE

    def test_half_day_is_attendance(self) -> None:
        w = worker(days=0.5)
        assert run([w], [pay(w)]).findings == ()


class TestUnknownPayee:
    def test_unregistered_id_number_is_red(self) -> None:
        w = worker()
        stranger = worker(99)
        result = run([w], [pay(w), pay(stranger)])
        assert kinds(result.findings) == [(FindingKind.UNKNOWN_PAYEE, WarningLevel.RED)]
        assert result.findings[0].worker_id is None
        assert id_number(99) not in result.findings[0].message_zh  # masked

    def test_no_id_matched_by_registered_card(self) -> None:
        w = worker()
        assert run([w], [pay(w, payee_id_number=None)]).findings == ()

    def test_no_id_and_unknown_card(self) -> None:
        w = worker()
        result = run([w], [pay(w, payee_id_number=None, account_number="6222000011112222")])
        assert FindingKind.UNKNOWN_PAYEE in {f.kind for f in result.findings}


class TestNameMismatch:
    def test_different_name_yellow(self) -> None:
        w = worker()
        result = run([w], [pay(w, payee_name="王五")])
        assert kinds(result.findings) == [(FindingKind.NAME_MISMATCH, WarningLevel.YELLOW)]

    def test_width_spaces_and_middle_dots_ignored(self) -> None:
        w = dataclasses.replace(worker(), name="阿卜杜·热合曼")
        assert run([w], [pay(w, payee_name="阿卜杜 • 热合曼 ")]).findings == ()
        assert normalise_name("阿卜杜．热合曼") == normalise_name("阿卜杜·热合曼")


class TestAccountNotWorkers:
    def test_team_leader_account_is_red(self) -> None:
        w = worker()
        result = run([w], [pay(w, account_number="6222 0202 0000 0000 999")])
        assert kinds(result.findings) == [(FindingKind.ACCOUNT_NOT_WORKERS, WarningLevel.RED)]

    def test_formatting_of_card_ignored(self) -> None:
        w = worker()
        card = next(iter(w.bank_cards))
        assert run([w], [pay(w, account_number=f"{card[:4]} {card[4:]}")]).findings == ()


class TestLate:
    def test_on_pay_day_is_on_time(self) -> None:
        w = worker()
        assert run([w], [pay(w, paid_on=PAY_DAY)]).findings == ()

    def test_day_after_is_late(self) -> None:
        w = worker()
        result = run([w], [pay(w, paid_on=PAY_DAY + dt.timedelta(days=1))])
        assert kinds(result.findings) == [(FindingKind.LATE, WarningLevel.YELLOW)]
        assert result.findings[0].evidence.days_past_pay_day == 1

    def test_unknown_date_not_late(self) -> None:
        w = worker()
        assert run([w], [pay(w, paid_on=None)]).findings == ()


class TestFailedTransfer:
    @pytest.mark.parametrize("status", [TransferStatus.FAILED, TransferStatus.RETURNED])
    def test_red_without_later_success(self, status: TransferStatus) -> None:
        w = worker()
        result = run([w], [pay(w, status=status)], today=PAY_DAY)
        assert kinds(result.findings) == [(FindingKind.FAILED_TRANSFER, WarningLevel.RED)]

    def test_cleared_by_later_success(self) -> None:
        w = worker()
        lines = [pay(w, status=TransferStatus.RETURNED, paid_on=dt.date(2026, 11, 5)),
                 pay(w, paid_on=dt.date(2026, 11, 8))]  # fmt: skip
        assert run([w], lines).findings == ()

    def test_earlier_success_does_not_clear(self) -> None:
        w = worker()
        failed = TransferStatus.FAILED
        lines = [pay(w, 500_000, paid_on=dt.date(2026, 11, 1)),
                 pay(w, 500_000, status=failed, paid_on=dt.date(2026, 11, 5))]  # fmt: skip
        found = {f.kind for f in run([w], lines).findings}
        assert FindingKind.FAILED_TRANSFER in found


class TestDuplicatePayment:
    def test_two_successes_orange(self) -> None:
        w = worker()
        lines = [pay(w), pay(w)]
        result = run([w], lines)
        assert kinds(result.findings) == [(FindingKind.DUPLICATE_PAYMENT, WarningLevel.ORANGE)]
        assert result.findings[0].line_id == lines[1].line_id
        assert result.findings[0].evidence.paid_fen == 2_000_000

    def test_failed_plus_success_is_not_duplicate(self) -> None:
        w = worker()
        lines = [pay(w, status=TransferStatus.FAILED, paid_on=dt.date(2026, 11, 1)), pay(w)]
        assert run([w], lines).findings == ()


class TestReconcile:
    def test_other_periods_ignored(self) -> None:
        w = worker()
        result = run([w], [pay(w), pay(w, period="2026-09")])
        assert result.findings == ()

    def test_period_formats_accepted(self) -> None:
        w = worker()
        assert reconcile("2026年10月", [w], [pay(w)], today=PAY_DAY).period == PERIOD

    def test_rows(self) -> None:
        a, b, c, d = worker(1), worker(2), worker(3, days=0), worker(4, kind=WageKind.PIECE)
        result = run([a, b, c, d], [pay(a, 400_000), pay(d, 123)])
        rows = {r.worker_id: r for r in result.rows}
        assert rows[1].status is RowStatus.UNDERPAID
        assert rows[1].difference_fen == -600_000
        assert rows[1].level is WarningLevel.RED
        assert rows[2].status is RowStatus.UNPAID
        assert rows[3].status is RowStatus.NOTHING_DUE
        assert rows[3].level is WarningLevel.GREEN
        assert (rows[4].status, rows[4].expected_fen, rows[4].difference_fen) == (
            RowStatus.PAID, None, None
        )  # fmt: skip

    def test_not_yet_due(self) -> None:
        result = run([worker()], [], today=PAY_DAY)
        assert result.rows[0].status is RowStatus.NOT_YET_DUE
        assert result.level is WarningLevel.GREEN

    def test_clean_month_is_green(self) -> None:
        ws = [worker(n) for n in range(1, 4)]
        assert run(ws, [pay(w) for w in ws]).level is WarningLevel.GREEN

    def test_finding_key_is_stable(self) -> None:
        w = worker()
        (f,) = run([w], [pay(w, payee_name="王五", line_id=77)]).findings
        assert f.key == "NAME_MISMATCH:1:77"
        assert f.evidence.as_dict() == {"line_ids": [77]}


class TestProjectLevel:
    def _f(self, level: WarningLevel) -> Finding:
        return Finding(FindingKind.LATE, level, 1, None, "", "")

    @pytest.mark.parametrize(
        ("levels", "expected"),
        [([], WarningLevel.GREEN), ([WarningLevel.YELLOW], WarningLevel.YELLOW),
         ([WarningLevel.YELLOW, WarningLevel.ORANGE], WarningLevel.ORANGE),
         ([WarningLevel.RED, WarningLevel.YELLOW, WarningLevel.ORANGE], WarningLevel.RED)],
    )  # fmt: skip
    def test_highest_wins(self, levels: list[WarningLevel], expected: WarningLevel) -> None:
        assert project_level([self._f(lv) for lv in levels]) is expected


class TestReconSettings:
    def test_from_mapping(self) -> None:
        s = ReconSettings.from_mapping({"underpaid_tolerance": 0.1, "pay_day_of_next_month": 10})
        assert s.underpaid_tolerance == Decimal("0.1")
        assert s.pay_day_of_next_month == 10

    def test_rejects_unknown_and_out_of_range(self) -> None:
        with pytest.raises(ValueError, match="unknown"):
            ReconSettings.from_mapping({"tolerance": 1})
        with pytest.raises(ValueError, match="pay_day"):
            ReconSettings(pay_day_of_next_month=0)
