"""The complaint's lifecycle, its due date and when it is overdue: plain functions, no I/O."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from server.complaints import rules

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 3, 18)


class TestCheckMove:
    @pytest.mark.parametrize(
        ("now", "to"),
        [
            ("received", "verifying"),
            ("received", "referred"),
            ("received", "closed"),
            ("verifying", "resolved"),
            ("verifying", "referred"),
            ("verifying", "closed"),
        ],
    )
    def test_allowed_moves(self, now: str, to: str) -> None:
        assert rules.check_move(now, to, "核实完毕") is None

    @pytest.mark.parametrize(
        ("now", "to"),
        [
            ("received", "resolved"),  # nothing is resolved unverified
            ("received", "received"),
            ("verifying", "received"),
            ("verifying", "verifying"),
        ],
    )
    def test_refused_moves(self, now: str, to: str) -> None:
        issue = rules.check_move(now, to, "说明")
        assert issue is not None
        assert issue.field == "status"

    @pytest.mark.parametrize("closed", ["resolved", "referred", "closed"])
    @pytest.mark.parametrize("to", ["received", "verifying", "resolved", "referred", "closed"])
    def test_nothing_leaves_a_closed_state(self, closed: str, to: str) -> None:
        issue = rules.check_move(closed, to, "说明")
        assert issue is not None
        assert "重新打开" in issue.message_zh

    @pytest.mark.parametrize("to", ["resolved", "referred", "closed"])
    @pytest.mark.parametrize("note", ["", "   \n "])
    def test_closing_needs_a_note(self, to: str, note: str) -> None:
        issue = rules.check_move("verifying", to, note)
        assert issue is not None
        assert issue.field == "note"

    def test_verifying_needs_no_note(self) -> None:
        assert rules.check_move("received", "verifying", "") is None

    def test_unknown_status(self) -> None:
        assert rules.check_move("received", "paid", "x") is not None
        assert rules.check_move("lost", "verifying", "x") is not None


class TestReopen:
    @pytest.mark.parametrize("closed", ["resolved", "referred", "closed"])
    def test_closed_reopens_with_a_reason(self, closed: str) -> None:
        assert rules.check_reopen(closed, "工人称仍未到账") is None
        assert rules.check_reopen(closed, " ") is not None

    @pytest.mark.parametrize("open_", ["received", "verifying"])
    def test_an_open_one_does_not_reopen(self, open_: str) -> None:
        assert rules.check_reopen(open_, "x") is not None

    def test_reopen_goes_back_to_verifying_which_can_close_again(self) -> None:
        assert rules.check_move(rules.REOPEN_TO, "resolved", "已补发") is None


class TestDueAndOverdue:
    def test_default_due_is_received_day_plus_n_in_the_project_zone(self) -> None:
        # 23:30 UTC on 17 March is 07:30 on 18 March in Shanghai: received on the 18th.
        received = dt.datetime(2026, 3, 17, 23, 30, tzinfo=dt.UTC)
        due = rules.due_on(received, SHANGHAI, rules.DEFAULT_DUE_DAYS)
        assert due == dt.date(2026, 3, 18) + dt.timedelta(days=rules.DEFAULT_DUE_DAYS)
        assert rules.due_on(received, dt.UTC, 15) == dt.date(2026, 4, 1)

    def test_overdue_from_the_day_after_the_due_day_in_the_project_zone(self) -> None:
        due = dt.date(2026, 4, 2)
        # 15:59 UTC on 2 April is 23:59 in Shanghai: still the due day.
        before = dt.datetime(2026, 4, 2, 15, 59, tzinfo=dt.UTC)
        after = dt.datetime(2026, 4, 2, 16, 0, tzinfo=dt.UTC)  # 00:00 on 3 April in Shanghai
        assert not rules.is_overdue("verifying", due, rules.local_date(before, SHANGHAI))
        assert rules.is_overdue("verifying", due, rules.local_date(after, SHANGHAI))
        # In UTC the same instant is still 2 April: the zone decides.
        assert not rules.is_overdue("verifying", due, rules.local_date(after, dt.UTC))

    @pytest.mark.parametrize("closed", ["resolved", "referred", "closed"])
    def test_a_closed_complaint_is_never_overdue(self, closed: str) -> None:
        assert not rules.is_overdue(closed, dt.date(2026, 1, 1), TODAY)
        assert not rules.is_due_soon(closed, TODAY, TODAY)

    def test_due_soon(self) -> None:
        assert rules.is_due_soon("received", TODAY + dt.timedelta(days=rules.DUE_SOON_DAYS), TODAY)
        assert not rules.is_due_soon(
            "received", TODAY + dt.timedelta(days=rules.DUE_SOON_DAYS + 1), TODAY
        )
        assert not rules.is_due_soon("received", TODAY - dt.timedelta(days=1), TODAY)

    @pytest.mark.parametrize(
        ("settings", "days"),
        [
            ({}, rules.DEFAULT_DUE_DAYS),
            (None, rules.DEFAULT_DUE_DAYS),
            ({"complaints": {"due_days": 7}}, 7),
            ({"complaints": {"due_days": 0}}, rules.DEFAULT_DUE_DAYS),
            ({"complaints": {"due_days": 400}}, rules.DEFAULT_DUE_DAYS),
            ({"complaints": {"due_days": "7"}}, rules.DEFAULT_DUE_DAYS),
            ({"complaints": {"due_days": True}}, rules.DEFAULT_DUE_DAYS),
        ],
    )
    def test_project_setting(self, settings: object, days: int) -> None:
        assert rules.due_days(settings) == days

    def test_days_open_counts_project_calendar_days(self) -> None:
        received = dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC)  # 23:30 on 1 March, Shanghai
        now = dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC)  # 00:30 on 2 March
        assert rules.days_open(received, None, now, SHANGHAI) == 1
        assert rules.days_open(received, None, now, dt.UTC) == 0
        closed = dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC)
        assert rules.days_open(received, closed, now + dt.timedelta(days=30), SHANGHAI) == 4

    def test_list_order_overdue_then_due_then_closed(self) -> None:
        at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
        late = rules.list_order("verifying", TODAY - dt.timedelta(days=1), TODAY, at)
        soon = rules.list_order("received", TODAY, TODAY, at)
        later = rules.list_order("received", TODAY + dt.timedelta(days=9), TODAY, at)
        done = rules.list_order("resolved", TODAY - dt.timedelta(days=30), TODAY, at)
        assert sorted([done, later, soon, late]) == [late, soon, later, done]


class TestValidate:
    def test_a_good_complaint(self) -> None:
        new, issues = rules.validate(
            "2026-02, 2026-01、2026-02", "3,500.50元", " 某劳务公司 ", "二月三月未发", today=TODAY
        )
        assert issues == []
        assert new == rules.NewComplaint(
            ("2026-01", "2026-02"), 350050, "某劳务公司", "二月三月未发"
        )

    def test_amount_and_against_are_optional(self) -> None:
        new, _ = rules.validate("2026-02", "", "", "欠薪", today=TODAY)
        assert new is not None
        assert new.amount_fen is None
        assert new.against == ""

    @pytest.mark.parametrize(
        ("periods", "amount", "text", "field"),
        [
            ("", "", "x", "periods"),
            ("2026-13", "", "x", "periods"),
            ("2026-04", "", "x", "periods"),  # not come yet
            ("二月", "", "x", "periods"),
            ("2026-02", "abc", "x", "amount"),
            ("2026-02", "-5", "x", "amount"),
            ("2026-02", "0", "x", "amount"),
            ("2026-02", "1.234", "x", "amount"),
            ("2026-02", "NaN", "x", "amount"),
            ("2026-02", "1e12", "x", "amount"),
            ("2026-02", "", "", "text"),
            ("2026-02", "", "x" * (rules.TEXT_MAX + 1), "text"),
            ("2026-02", "", "a\x00b", "text"),
        ],
    )
    def test_refused_with_the_field(self, periods: str, amount: str, text: str, field: str) -> None:
        new, issues = rules.validate(periods, amount, "", text, today=TODAY)
        assert new is None
        assert [i.field for i in issues] == [field]
        assert all(i.message_zh and i.message_en for i in issues)

    def test_an_unregistered_person(self) -> None:
        person, issues = rules.validate_person(" 李四 ", "138 0013 8000", "")
        assert issues == []
        assert person == rules.Person("李四", "138 0013 8000", "")
        person, issues = rules.validate_person("", "12", "110101199001011234")
        assert person is None
        assert {i.field for i in issues} == {"person_name", "person_phone", "person_id_number"}
