"""The wage-protection rules without a database: the deposit's share, scans by their magic
bytes, the booking classification, fingerprints and the statement's two findings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from models.enums import WageKind, WarningLevel
from server.reconciliation.rules import Finding, FindingKind, ReconRow, ReconSettings, RowStatus
from server.safeguards import rules
from server.safeguards.rules import BookedLine, LineKind, StatementRow

D = dt.date
OCT = "2026-10"  # window 2026-10-16 .. 2026-11-15 with the default pay day 15


def row(amount: int, summary: str = "", name: str = "", on: D = D(2026, 11, 1)) -> StatementRow:
    return StatementRow(1, on, amount, None, name, "", summary)


def booked(on: D, amount: int, balance: int | None, kind: LineKind, seq: int = 0) -> BookedLine:
    return BookedLine(on, seq, amount, balance, kind)


class TestRecords:
    def test_deposit_share_of_the_contract_price(self) -> None:
        assert rules.deposit_share(1_500_000_00, 100_000_000_00) == Decimal("1.50")
        assert rules.deposit_share(1, 3) == Decimal("33.33")
        assert rules.deposit_share(100, None) is None
        assert rules.deposit_share(100, 0) is None

    @pytest.mark.parametrize(
        ("data", "kind"),
        [
            (b"%PDF-1.7\n...", "application/pdf"),
            (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
            (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
            (b"GIF89a", None),
            (b"PK\x03\x04 a docx", None),
            (b"", None),
        ],
    )
    def test_scan_type_by_magic_bytes(self, data: bytes, kind: str | None) -> None:
        assert rules.scan_type(data) == kind

    def test_account_masked(self) -> None:
        assert rules.mask_account("51050142610800001234") == "5105************1234"

    def test_date_order(self) -> None:
        assert rules.date_order_problem(D(2026, 1, 2), D(2026, 1, 1), "终止日期", "end")
        assert rules.date_order_problem(D(2026, 1, 1), D(2026, 1, 1), "x", "x") is None
        assert rules.date_order_problem(D(2026, 1, 1), None, "x", "x") is None


class TestClassify:
    @pytest.mark.parametrize(
        ("r", "kind"),
        [
            (row(500_000_00, "10月人工费拨付"), LineKind.LABOUR_INFLOW),
            (row(500_000_00, "农民工工资款"), LineKind.LABOUR_INFLOW),
            (row(500_000_00, "工程款", name="某某置业有限公司"), LineKind.LABOUR_INFLOW),
            (row(500_000_00, "工程款", name="别的公司"), LineKind.OTHER),
            (row(-300_000_00, "代发工资"), LineKind.PAYOUT),
            (row(-300_000_00, "批量代付"), LineKind.PAYOUT),
            (row(-5_00, "手续费"), LineKind.OTHER),
            (row(7_000_00, "代发工资退回"), LineKind.OTHER),  # a failed transfer back
            (row(-1_00, "人工费"), LineKind.OTHER),  # money out is never an inflow
        ],
    )
    def test_plain_rule(self, r: StatementRow, kind: LineKind) -> None:
        assert rules.classify(r, owner_name="某某置业 有限公司") is kind

    def test_no_owner_named_matches_no_counterparty(self) -> None:
        assert rules.classify(row(1, "工程款", name=""), owner_name="") is LineKind.OTHER


class TestFingerprints:
    def test_equal_rows_are_distinct_bookings_and_stable_across_files(self) -> None:
        a = row(-100, "代发工资")
        first = rules.fingerprints([a, a, row(-200, "代发工资")])
        assert len(set(first)) == 3
        assert rules.fingerprints([a, a]) == first[:2]  # the same bookings, again


def recon_row(expected: int | None, paid: int) -> ReconRow:
    return ReconRow(1, "张三", WageKind.DAILY, 10, 80, expected, paid, None, RowStatus.PAID,
                    WarningLevel.GREEN, ())  # fmt: skip


class TestPayroll:
    def test_expected_else_paid(self) -> None:
        assert rules.month_payroll_fen([recon_row(3500_00, 3000_00), recon_row(None, 800_00)]) == (
            4300_00
        )

    def test_window_follows_the_pay_day_setting(self) -> None:
        assert rules.inflow_window(OCT) == (D(2026, 10, 16), D(2026, 11, 15))
        assert rules.inflow_window("2026-01", ReconSettings(pay_day_of_next_month=5)) == (
            D(2026, 1, 6),
            D(2026, 2, 5),
        )


def kinds(found: list[Finding]) -> list[tuple[FindingKind, WarningLevel]]:
    return [(f.kind, f.level) for f in found]


class TestStatementFindings:
    PAYROLL = 100_000_00

    def find(
        self, lines: list[BookedLine], covered_to: D | None = D(2026, 11, 30)
    ) -> list[Finding]:
        return rules.statement_findings(
            OCT, payroll_fen=self.PAYROLL, lines=lines, covered_to=covered_to
        )

    def test_allocated_and_enough_is_nothing(self) -> None:
        lines = [
            booked(D(2026, 11, 5), 120_000_00, 120_000_00, LineKind.LABOUR_INFLOW),
            booked(D(2026, 11, 10), -100_000_00, 20_000_00, LineKind.PAYOUT),
        ]
        assert self.find(lines) == []

    def test_no_inflow_in_the_window(self) -> None:
        lines = [
            # before the window (the previous month's allocation) and after the pay day
            booked(D(2026, 10, 15), 200_000_00, 200_000_00, LineKind.LABOUR_INFLOW),
            booked(D(2026, 11, 16), 100_000_00, 300_000_00, LineKind.LABOUR_INFLOW),
            booked(D(2026, 11, 1), 50_000_00, 250_000_00, LineKind.OTHER),
        ]
        found = self.find(lines)
        assert kinds(found) == [(FindingKind.LABOUR_COST_NOT_ALLOCATED, WarningLevel.ORANGE)]
        ev = found[0].evidence
        assert (ev.window_from, ev.pay_day, ev.payroll_fen) == (
            D(2026, 10, 16), D(2026, 11, 15), self.PAYROLL,
        )  # fmt: skip
        assert "人工费用" in found[0].message_zh
        assert "labour cost" in found[0].message_en
        assert found[0].key == "LABOUR_COST_NOT_ALLOCATED:-:-"

    def test_not_checked_before_the_statement_reaches_the_pay_day(self) -> None:
        assert self.find([], covered_to=D(2026, 11, 14)) == []
        assert self.find([], covered_to=None) == []

    def test_nothing_without_payroll(self) -> None:
        assert (
            rules.statement_findings(OCT, payroll_fen=0, lines=[], covered_to=D(2027, 1, 1)) == []
        )

    def test_balance_before_the_first_payout_is_short(self) -> None:
        lines = [
            booked(D(2026, 10, 20), 80_000_00, 80_000_00, LineKind.LABOUR_INFLOW),
            booked(D(2026, 11, 10), -80_000_00, 0, LineKind.PAYOUT),
            # arrives after the payout started: too late for the check
            booked(D(2026, 11, 12), 50_000_00, 50_000_00, LineKind.LABOUR_INFLOW),
        ]
        found = self.find(lines)
        assert kinds(found) == [(FindingKind.WAGE_ACCOUNT_SHORT, WarningLevel.ORANGE)]
        assert found[0].evidence.balance_fen == 80_000_00
        assert found[0].evidence.checked_on == D(2026, 10, 20)

    def test_the_days_last_booking_gives_the_balance(self) -> None:
        lines = [
            booked(D(2026, 11, 1), 60_000_00, 160_000_00, LineKind.LABOUR_INFLOW, seq=1),
            booked(D(2026, 11, 1), -90_000_00, 70_000_00, LineKind.OTHER, seq=2),
        ]
        found = self.find(lines)
        assert kinds(found) == [(FindingKind.WAGE_ACCOUNT_SHORT, WarningLevel.ORANGE)]
        assert found[0].evidence.balance_fen == 70_000_00

    def test_no_balance_given_is_not_checked(self) -> None:
        lines = [booked(D(2026, 11, 1), 10_00, None, LineKind.LABOUR_INFLOW)]
        assert self.find(lines) == []

    def test_both(self) -> None:
        lines = [booked(D(2026, 10, 1), 5_000_00, 5_000_00, LineKind.OTHER)]
        assert kinds(self.find(lines)) == [
            (FindingKind.LABOUR_COST_NOT_ALLOCATED, WarningLevel.ORANGE),
            (FindingKind.WAGE_ACCOUNT_SHORT, WarningLevel.ORANGE),
        ]
