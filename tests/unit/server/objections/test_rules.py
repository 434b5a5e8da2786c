"""An objection's checks: a month up to this one, days or pay, a short text."""

from __future__ import annotations

import datetime as dt

import pytest

from server.objections import rules
from server.objections.rules import ObjectionKind

TODAY = dt.date(2026, 3, 18)


class TestValidate:
    def test_accepts(self) -> None:
        new, issues = rules.validate("2026-02", "pay", "  少发了 300 元 \r\n请核实 ", today=TODAY)
        assert issues == []
        assert new == rules.NewObjection("2026-02", ObjectionKind.PAY, "少发了 300 元 \n请核实")

    def test_this_month_is_allowed_next_is_not(self) -> None:
        assert rules.validate("2026-03", "days", "x", today=TODAY)[1] == []
        _, issues = rules.validate("2026-04", "days", "x", today=TODAY)
        assert [i.field for i in issues] == ["period"]

    @pytest.mark.parametrize("period", ["", "2026-13", "2026-00", "2026-2", "26-02", "abc"])
    def test_bad_month(self, period: str) -> None:
        _, issues = rules.validate(period, "days", "x", today=TODAY)
        assert [i.field for i in issues] == ["period"]

    def test_every_problem_at_once(self) -> None:
        new, issues = rules.validate("x", "wages", "", today=TODAY)
        assert new is None
        assert [i.field for i in issues] == ["period", "kind", "text"]

    def test_text_capped(self) -> None:
        assert rules.validate("2026-02", "days", "字" * rules.TEXT_MAX, today=TODAY)[1] == []
        _, issues = rules.validate("2026-02", "days", "字" * (rules.TEXT_MAX + 1), today=TODAY)
        assert [i.field for i in issues] == ["text"]
        assert "500" in issues[0].message_zh

    def test_control_characters(self) -> None:
        _, issues = rules.validate("2026-02", "days", "a\x00b", today=TODAY)
        assert [i.field for i in issues] == ["text"]
