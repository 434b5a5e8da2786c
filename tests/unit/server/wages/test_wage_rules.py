"""Wage sheet rules as plain functions: arithmetic in fen, the line hash, the state machines."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal

import pytest

from server.wages import rules
from server.wages.rules import ItemCategory, LineAction, LineState, SheetState


def item(category: ItemCategory, fen: int, reason: str = "事由") -> rules.Item:
    return rules.make_item(category, reason, amount_fen=fen)


class TestArithmetic:
    def test_piece_work_is_quantity_times_unit_price_half_up_to_the_fen(self) -> None:
        assert rules.piece_amount(Decimal("12.345"), 1001) == 12357  # 12357.345 → 12357
        assert rules.piece_amount(Decimal("0.5"), 1) == 1  # 0.5 fen rounds half up
        assert rules.piece_amount(Decimal("0.499"), 1) == 0
        i = rules.make_item(
            ItemCategory.PIECE,
            "三层楼板钢筋",
            quantity=Decimal("100.5"),
            unit="平方米",
            unit_price_fen=2550,
        )
        assert i.amount_fen == 256275
        assert i.kind is rules.ItemKind.PIECE

    def test_net_is_base_plus_additions_minus_deductions(self) -> None:
        items = [
            item(ItemCategory.OVERTIME, 12000),
            item(ItemCategory.BACK_PAY, 1),
            item(ItemCategory.ADVANCE, 50000),
            item(ItemCategory.SOCIAL_INSURANCE, 3333),
            item(ItemCategory.INCOME_TAX, 1),
        ]
        a = rules.amounts(700000, items)
        assert (a.base_fen, a.additions_fen, a.deductions_fen) == (700000, 12001, 53334)
        assert a.gross_fen == 712001
        assert a.net_fen == 658667

    def test_a_net_below_zero_is_refused_zero_is_fine(self) -> None:
        assert rules.amounts(1000, [item(ItemCategory.ADVANCE, 1000)]).net_fen == 0
        with pytest.raises(rules.WageRuleError) as e:
            rules.amounts(1000, [item(ItemCategory.ADVANCE, 1001)])
        assert e.value.code == "wages.negative_net"

    @pytest.mark.parametrize("fen", [0, -1])
    def test_an_item_needs_a_positive_amount(self, fen: int) -> None:
        with pytest.raises(rules.WageRuleError):
            rules.make_item(ItemCategory.OVERTIME, "加班", amount_fen=fen)

    def test_an_item_needs_a_reason(self) -> None:
        with pytest.raises(rules.WageRuleError) as e:
            rules.make_item(ItemCategory.ADVANCE, "  ", amount_fen=100)
        assert e.value.code == "wages.reason_required"

    def test_piece_work_needs_quantity_unit_and_price(self) -> None:
        with pytest.raises(rules.WageRuleError):
            rules.make_item(ItemCategory.PIECE, "x", quantity=Decimal(1), unit="", unit_price_fen=1)
        with pytest.raises(rules.WageRuleError):
            rules.make_item(ItemCategory.PIECE, "x", quantity=None, unit="米", unit_price_fen=1)

    @pytest.mark.parametrize("text", ["abc", "-1", "0", "1.0001", "NaN", "Infinity"])
    def test_bad_quantities(self, text: str) -> None:
        with pytest.raises(rules.WageRuleError):
            rules.parse_quantity(text)

    def test_quantities_keep_their_decimals(self) -> None:
        assert rules.parse_quantity("1,200.125") == Decimal("1200.125")

    def test_an_absurd_amount_is_refused(self) -> None:
        with pytest.raises(rules.WageRuleError):
            rules.make_item(ItemCategory.BACK_PAY, "x", amount_fen=rules.MAX_LINE_FEN + 1)

    @pytest.mark.parametrize(
        ("days", "text"),
        [(0, "0"), (0.5, "0.5"), (10.0, "10"), (20.0, "20"), (21.0, "21"), (21.5, "21.5"),
         (30.0, "30")],
    )  # fmt: skip
    def test_days_text_is_exact(self, days: float, text: str) -> None:
        assert rules.days_text(days) == text


def _shown(**kw: object) -> rules.Shown:
    base = rules.Shown(
        line_id=1,
        version=1,
        project_code="P1",
        company_name="某劳务公司",
        period="2026-10",
        name="张三",
        id_number_masked="110101********1234",
        bank_card_masked="6222*******3445",
        bank_name="建行",
        payer_account_masked="1100*****0001",
        wage_kind="daily",
        rate_fen=35000,
        attended_days="20",
        hours="180.0",
        day_marks="√" * 31,
        items=(item(ItemCategory.OVERTIME, 100),),
        amounts=rules.Amounts(700000, 0, 100, 0),
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


class TestHash:
    def test_the_hash_is_stable_and_covers_every_shown_field(self) -> None:
        h = rules.line_hash(_shown())
        assert h == rules.line_hash(_shown())
        assert len(h) == 64
        changes: list[dict[str, object]] = [
            {"version": 2},
            {"name": "李四"},
            {"attended_days": "19.5"},
            {"day_marks": "○" * 31},
            {"amounts": rules.Amounts(700001, 0, 100, 0)},
            {"items": ()},
            {"bank_card_masked": "6222*******9999"},
            {"payer_account_masked": "x"},
            {"hours": "1.0"},
        ]
        for change in changes:
            assert rules.line_hash(_shown(**change)) != h, change


class TestLineStates:
    def test_the_happy_path(self) -> None:
        s = rules.next_line_state(LineState.DRAFT, LineAction.SEND, SheetState.DRAFT)
        assert s is LineState.AWAITING
        assert rules.next_line_state(s, LineAction.CONFIRM, SheetState.SENT) is LineState.CONFIRMED

    def test_dispute_then_resolve_or_confirm_a_new_version(self) -> None:
        d = rules.next_line_state(LineState.AWAITING, LineAction.DISPUTE, SheetState.SENT)
        assert d is LineState.DISPUTED
        assert rules.next_line_state(d, LineAction.RESOLVE, SheetState.SENT) is LineState.RESOLVED
        # The manager edits the disputed line: it goes out again, the dispute stays open …
        assert rules.next_line_state(d, LineAction.EDIT, SheetState.SENT) is LineState.DISPUTED
        # … until the worker confirms the new version.
        assert rules.next_line_state(d, LineAction.CONFIRM, SheetState.SENT) is LineState.CONFIRMED

    def test_an_edit_after_sending_sends_the_line_again(self) -> None:
        for state in (LineState.AWAITING, LineState.CONFIRMED, LineState.RESOLVED):
            assert (
                rules.next_line_state(state, LineAction.EDIT, SheetState.SENT) is LineState.AWAITING
            )
        assert (
            rules.next_line_state(LineState.DRAFT, LineAction.EDIT, SheetState.DRAFT)
            is LineState.DRAFT
        )

    @pytest.mark.parametrize(
        ("state", "action", "sheet"),
        [
            (LineState.DRAFT, LineAction.CONFIRM, SheetState.DRAFT),  # not yet shown
            (LineState.CONFIRMED, LineAction.CONFIRM, SheetState.SENT),
            (LineState.AWAITING, LineAction.RESOLVE, SheetState.SENT),  # nothing to resolve
            (LineState.RESOLVED, LineAction.DISPUTE, SheetState.SENT),
            (LineState.AWAITING, LineAction.CONFIRM, SheetState.LOCKED),
            (LineState.CONFIRMED, LineAction.EDIT, SheetState.LOCKED),
            (LineState.CONFIRMED, LineAction.DISPUTE, SheetState.PAID),
        ],
    )
    def test_refused_moves(self, state: LineState, action: LineAction, sheet: SheetState) -> None:
        with pytest.raises(rules.StateError):
            rules.next_line_state(state, action, sheet)

    def test_a_confirmed_line_may_still_be_disputed_before_the_lock(self) -> None:
        assert (
            rules.next_line_state(LineState.CONFIRMED, LineAction.DISPUTE, SheetState.SENT)
            is LineState.DISPUTED
        )


class TestSheetStates:
    def test_forward_only(self) -> None:
        order = [SheetState.DRAFT, SheetState.SENT, SheetState.LOCKED, SheetState.PAID]
        for a, b in itertools.pairwise(order):
            assert rules.next_sheet_state(a, b) is b
        for a in order:
            for b in order:
                if order.index(b) != order.index(a) + 1:
                    with pytest.raises(rules.StateError):
                        rules.next_sheet_state(a, b)

    def test_lock_needs_every_line_settled_or_a_reason(self) -> None:
        settled = [LineState.CONFIRMED, LineState.RESOLVED]
        rules.may_lock(rules.lock_check(settled), None)
        check = rules.lock_check([*settled, LineState.DISPUTED, LineState.AWAITING])
        assert (check.unsettled, check.open_disputes) == (2, 1)
        with pytest.raises(rules.StateError) as e:
            rules.may_lock(check, "  ")
        assert "2" in e.value.zh
        assert "1" in e.value.zh
        rules.may_lock(check, "工人已离场联系不上,按考勤发放")
        rules.may_lock(rules.lock_check([]), None)  # an empty sheet (nobody attended) locks


class TestClaimedDays:
    @pytest.mark.parametrize(
        ("text", "out"), [("20", "20"), ("10", "10"), ("21.5", "21.5"), (" 3 ", "3"), ("", None)]
    )
    def test_fixed_point_text(self, text: str, out: str | None) -> None:
        from server.wages.confirm import parse_claimed_days

        assert parse_claimed_days(text) == out
