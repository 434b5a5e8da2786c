"""The checklist's rules without a database: each item failing and passing, each share
threshold at its edge, levels from the settings (off included), the order of items, the
project's overall level and the order of projects."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from models.enums import WarningLevel
from server.checklist import rules
from server.checklist.rules import ChecklistSettings, Code, ProjectFacts, Severity, Thresholds
from server.notice.rules import NoticeFields
from server.registry import settings as ps

G, Y, OR, R = WarningLevel.GREEN, WarningLevel.YELLOW, WarningLevel.ORANGE, WarningLevel.RED

GOOD = ProjectFacts(
    wage_account=True,
    tripartite=True,
    deposit=True,
    labour_officer=True,
    notice_missing=(),
    platform_account=True,
    platform_problems=0,
    disbursement_findings=0,
    on_site=20,
)


def items(facts: ProjectFacts, **settings: object) -> dict[Code, rules.Item]:
    got = rules.evaluate(facts, ChecklistSettings(**settings))  # type: ignore[arg-type]
    return {i.code: i for i in got}


class TestEachItem:
    def test_a_complete_project_is_green_everywhere(self) -> None:
        got = rules.evaluate(GOOD, ChecklistSettings())
        assert [i.code for i in got] == list(Code)
        assert all(i.ok and i.level is G for i in got)
        assert rules.overall(got) is G

    @pytest.mark.parametrize(
        ("change", "code", "level"),
        [
            ({"wage_account": False, "tripartite": False}, Code.WAGE_ACCOUNT, R),
            ({"tripartite": False}, Code.TRIPARTITE, OR),
            ({"deposit": False}, Code.DEPOSIT, R),
            ({"disbursement_findings": 2}, Code.DISBURSEMENT, R),
            ({"labour_officer": False}, Code.LABOUR_OFFICER, OR),
            ({"notice_missing": ("pay_day",)}, Code.NOTICE_BOARD, OR),
            ({"platform_account": False}, Code.PLATFORM_ACCOUNT, R),
            ({"platform_problems": 3}, Code.PLATFORM_UPLOADS, OR),
            ({"without_contract": 1}, Code.CONTRACT, OR),
            ({"without_bank_card": 1}, Code.BANK_CARD, OR),
            ({"without_training": 1}, Code.TRAINING, R),
        ],
    )
    def test_a_failing_item_has_its_default_level(
        self, change: dict[str, object], code: Code, level: WarningLevel
    ) -> None:
        got = items(dataclasses.replace(GOOD, **change))  # type: ignore[arg-type]
        assert not got[code].ok
        assert got[code].level is level
        assert got[code].text_zh
        assert got[code].text_en
        others = [i for c, i in got.items() if c != code and not (
            code is Code.WAGE_ACCOUNT and c is Code.TRIPARTITE)]  # fmt: skip
        assert all(i.ok for i in others)

    def test_figures_name_the_counts(self) -> None:
        facts = dataclasses.replace(
            GOOD, platform_problems=3, disbursement_findings=2, without_contract=3,
            notice_missing=("officer_phone", "pay_day"),
        )  # fmt: skip
        got = items(facts)
        assert got[Code.PLATFORM_UPLOADS].figure == "3"
        assert got[Code.DISBURSEMENT].figure == "2"
        assert got[Code.CONTRACT].figure == "3/20 (15 %)"
        assert got[Code.NOTICE_BOARD].figure == "2"
        assert "劳资专管员电话、工资支付日" in got[Code.NOTICE_BOARD].text_zh
        assert "3 of 20 on site" in got[Code.CONTRACT].text_en

    def test_nobody_on_site_fails_no_share(self) -> None:
        got = items(dataclasses.replace(GOOD, on_site=0))
        assert all(got[c].ok for c in (Code.CONTRACT, Code.BANK_CARD, Code.TRAINING))
        assert got[Code.CONTRACT].figure == "0/0"


class TestShareThresholds:
    LIMITS = Thresholds(red_above=Decimal("0.10"), orange_above=Decimal("0"))

    @pytest.mark.parametrize(
        ("missing", "total", "level"),
        [
            (0, 10, G),  # nobody missing
            (1, 100, OR),  # 1 % is above 0
            (1, 10, OR),  # exactly 10 % is not above 10 %
            (10, 100, OR),
            (11, 100, R),  # 11 % is
            (2, 10, R),
            (3, 0, G),  # nobody on site: no share
        ],
    )
    def test_edges(self, missing: int, total: int, level: WarningLevel) -> None:
        assert rules.share_level(missing, total, self.LIMITS) is level

    def test_orange_above_a_share_leaves_a_smaller_one_green(self) -> None:
        limits = Thresholds(red_above=Decimal("0.5"), orange_above=Decimal("0.2"))
        assert rules.share_level(2, 10, limits) is G  # 20 % is not above 20 %
        assert rules.share_level(3, 10, limits) is OR
        assert rules.share_level(6, 10, limits) is R

    def test_a_share_under_both_thresholds_is_ok(self) -> None:
        facts = dataclasses.replace(GOOD, without_bank_card=1)  # 5 %
        got = items(facts, bank_card_orange_above=Decimal("0.05"))
        assert got[Code.BANK_CARD].ok
        assert got[Code.BANK_CARD].level is G
        assert got[Code.BANK_CARD].figure == "1/20 (5 %)"

    def test_training_red_at_the_first_worker(self) -> None:
        got = items(dataclasses.replace(GOOD, on_site=500, without_training=1))
        assert got[Code.TRAINING].level is R


class TestLevelsFromSettings:
    def test_a_level_changed_in_settings(self) -> None:
        facts = dataclasses.replace(GOOD, labour_officer=False)
        got = items(facts, labour_officer_level=Severity.YELLOW)
        assert got[Code.LABOUR_OFFICER].level is Y
        assert rules.overall(list(got.values())) is Y

    def test_off_is_not_checked_and_never_fails(self) -> None:
        facts = dataclasses.replace(GOOD, platform_account=False)
        got = items(facts, platform_account_level=Severity.OFF)
        item = got[Code.PLATFORM_ACCOUNT]
        assert (item.ok, item.checked, item.level) == (True, False, G)
        assert rules.overall(list(got.values())) is G

    def test_the_settings_section_defaults_are_the_rules_defaults(self) -> None:
        section = ps.ChecklistSection().model_dump()
        assert section == dataclasses.asdict(ChecklistSettings())

    def test_orange_above_red_is_refused(self) -> None:
        problems = ps.ChecklistSection(
            contract_red_above=Decimal("0.1"), contract_orange_above=Decimal("0.2")
        ).problems()
        assert [p[0] for p in problems] == ["contract_orange_above"]


class TestOrder:
    def test_failing_items_first_worst_first(self) -> None:
        facts = dataclasses.replace(
            GOOD, labour_officer=False, wage_account=False, tripartite=False, without_training=2
        )
        got = rules.evaluate(facts, ChecklistSettings())
        assert [i.code for i in got[:4]] == [
            Code.WAGE_ACCOUNT, Code.TRAINING, Code.TRIPARTITE, Code.LABOUR_OFFICER,
        ]  # fmt: skip
        assert [i.level for i in got[:4]] == [R, R, OR, OR]
        assert all(i.ok for i in got[4:])

    @pytest.mark.parametrize(
        ("levels", "want"),
        [([], G), ([G, G], G), ([G, Y], Y), ([Y, OR, G], OR), ([OR, R, Y], R)],
    )
    def test_overall_is_the_worst_item(
        self, levels: list[WarningLevel], want: WarningLevel
    ) -> None:
        got = [rules.Item(Code.DEPOSIT, lv is G, lv, "", "", "") for lv in levels]
        assert rules.overall(got) is want

    def test_projects_red_first_then_by_code(self) -> None:
        projects = [("P3", G), ("P2", OR), ("P1", R), ("P0", Y), ("P4", R)]
        ordered = sorted(projects, key=lambda p: rules.sort_key(p[1], p[0]))
        assert [p[0] for p in ordered] == ["P1", "P4", "P2", "P0", "P3"]


class TestNoticeBoard:
    def test_an_empty_board_misses_every_required_line(self) -> None:
        assert rules.notice_missing(NoticeFields()) == tuple(k for k, _, _ in rules.NOTICE_REQUIRED)

    def test_a_filled_board_misses_nothing_and_either_minimum_wage_will_do(self) -> None:
        board = NoticeFields(
            officer_name="王五", officer_phone="13800138000", min_wage_hour_fen=2500, pay_day=15,
            inspection_phone="010-12345678",
        )  # fmt: skip
        assert rules.notice_missing(board) == ()
        assert rules.notice_missing(dataclasses.replace(board, inspection_phone="")) == (
            "inspection_phone",
        )
