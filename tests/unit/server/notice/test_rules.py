"""The notice board's checks: phone formats, the minimum wage in fen, the pay day 1-31, and
the lines a worker sees (12333 and 12348 always dialable)."""

from __future__ import annotations

import pytest

from models.errors import ContractError
from server.notice import rules
from server.notice.rules import NoticeFields


class TestParsePhone:
    @pytest.mark.parametrize(
        ("typed", "dial"),
        [
            ("13800138000", "13800138000"),
            ("138 0013 8000", "13800138000"),
            ("+86 138-0013-8000", "13800138000"),
            ("010-12345678", "01012345678"),
            ("(0755) 8765 4321", "075587654321"),
            ("+86 10 1234 5678", "01012345678"),
            ("0311-6789012", "03116789012"),
            ("010-12345678 转 801", "01012345678,801"),
            ("12333", "12333"),
            ("12348", "12348"),
            ("95588", "95588"),
            ("400-810-8888", "4008108888"),
        ],
    )
    def test_accepts_and_dials_digits(self, typed: str, dial: str) -> None:
        phone = rules.parse_phone(typed)
        assert phone.dial == dial
        assert phone.href == f"tel:{dial}"
        assert phone.shown == " ".join(typed.split())

    @pytest.mark.parametrize(
        "typed",
        ["12345678", "1380013800", "138001380001", "23800138000", "abc", "010-123", "110", "",
         "010-12345678 转 abc"],
    )  # fmt: skip
    def test_refuses(self, typed: str) -> None:
        with pytest.raises(ContractError) as err:
            rules.parse_phone(typed)
        assert err.value.code == "notice.bad_phone"
        assert "区号" in err.value.message_zh


def _form(**kw: str) -> dict[str, str]:
    base = {
        "officer_name": "李专管",
        "officer_phone": "139 1111 2222",
        "min_wage_month": "2,420",
        "min_wage_hour": "26.4",
        "pay_day": "15",
        "inspection_phone": "010-12333000",
        "housing_phone": "010-55597000",
        "arbitration_phone": "010-89150000",
        "legal_aid_phone": "",
    }
    return base | kw


class TestValidate:
    def test_a_full_board(self) -> None:
        fields, issues = rules.validate(_form())
        assert issues == []
        assert fields == NoticeFields(
            officer_name="李专管",
            officer_phone="139 1111 2222",
            min_wage_month_fen=242_000,
            min_wage_hour_fen=2_640,
            pay_day=15,
            inspection_phone="010-12333000",
            housing_phone="010-55597000",
            arbitration_phone="010-89150000",
            legal_aid_phone="",
        )

    def test_round_trip_through_the_form(self) -> None:
        fields, _ = rules.validate(_form())
        assert fields is not None
        again, issues = rules.validate(rules.form_values(fields))
        assert issues == []
        assert again == fields

    def test_every_problem_at_once(self) -> None:
        fields, issues = rules.validate(
            _form(
                inspection_phone="8888",
                min_wage_month="24.20",  # yuan typed as hundreds: below ¥500
                min_wage_hour="abc",
                pay_day="32",
                housing_phone="010-1234567890123456789012345",
            )
        )
        assert fields is None
        assert [i.field for i in issues] == [
            "inspection_phone",
            "housing_phone",
            "min_wage_month",
            "min_wage_hour",
            "pay_day",
        ]
        by = {i.field: i for i in issues}
        assert "500.00" in by["min_wage_month"].message_zh
        assert "1 至 31" in by["pay_day"].message_zh
        assert "1 to 31" in by["pay_day"].message_en

    @pytest.mark.parametrize(("typed", "day"), [("1", 1), ("31", 31), ("每月15日", 15), ("", None)])
    def test_pay_day(self, typed: str, day: int | None) -> None:
        fields, issues = rules.validate(_form(pay_day=typed))
        assert issues == []
        assert fields is not None
        assert fields.pay_day == day

    @pytest.mark.parametrize("typed", ["0", "32", "-1", "1.5", "十五"])
    def test_pay_day_refused(self, typed: str) -> None:
        _, issues = rules.validate(_form(pay_day=typed))
        assert [i.field for i in issues] == ["pay_day"]

    def test_minimum_wage_in_fen_with_bounds(self) -> None:
        fields, _ = rules.validate(_form(min_wage_month="¥2420.50", min_wage_hour="100"))
        assert fields is not None
        assert (fields.min_wage_month_fen, fields.min_wage_hour_fen) == (242_050, 10_000)
        _, issues = rules.validate(_form(min_wage_month="2420.505", min_wage_hour="100.01"))
        assert [i.field for i in issues] == ["min_wage_month", "min_wage_hour"]

    def test_officer_named_needs_a_phone(self) -> None:
        _, issues = rules.validate(_form(officer_phone=""))
        assert [i.field for i in issues] == ["officer_phone"]

    def test_empty_board_is_valid_and_empty(self) -> None:
        fields, issues = rules.validate({})
        assert issues == []
        assert fields is not None
        assert fields.is_empty

    def test_officer_name_length(self) -> None:
        _, issues = rules.validate(_form(officer_name="李" * 33))
        assert [i.field for i in issues] == ["officer_name"]


class TestBoardLines:
    def test_unset_board_still_dials_12333_and_12348(self) -> None:
        lines = {ln.key: ln for ln in rules.board_lines(NoticeFields())}
        assert list(lines) == [
            "officer", "min_wage", "pay_day", "inspection", "housing", "hotline", "arbitration",
            "legal_aid",
        ]  # fmt: skip
        dialable = {k: ln.phone.href for k, ln in lines.items() if ln.phone is not None}
        assert dialable == {"hotline": "tel:12333", "legal_aid": "tel:12348"}
        assert lines["officer"].value == ""
        assert lines["min_wage"].value == ""

    def test_set_board(self) -> None:
        fields, _ = rules.validate(_form(legal_aid_phone="010-12348000"))
        assert fields is not None
        lines = {ln.key: ln for ln in rules.board_lines(fields)}
        assert lines["officer"].value == "李专管"
        assert lines["officer"].phone is not None
        assert lines["officer"].phone.href == "tel:13911112222"
        assert lines["min_wage"].value == "2,420.00 元/月 / 26.40 元/小时"
        assert lines["pay_day"].value == "每月 15 日"
        assert lines["legal_aid"].phone is not None
        assert lines["legal_aid"].phone.href == "tel:01012348000"
        assert lines["hotline"].value == "12333"
