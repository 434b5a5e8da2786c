from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import ContractError
from models.ids import (
    bank_card_warning,
    mask_id_number,
    normalise_card_uid,
    parse_bank_card,
    parse_credit_code,
    parse_mobile,
    parse_resident_id,
    resident_id_check_char,
)


class TestParseResidentId:
    @pytest.mark.parametrize(
        "number", ["110101199003071233", "13032319860911446X", "13032319860911446x"]
    )
    def test_valid(self, number: str) -> None:
        assert parse_resident_id(number) == number.upper()

    def test_legacy_15_digits_upgraded(self) -> None:
        assert parse_resident_id("130323860911446") == "13032319860911446X"

    @pytest.mark.parametrize(
        ("number", "code"),
        [
            ("110101199003071234", "id.bad_check_digit"),
            ("990101199003071233", "id.bad_region"),
            ("110101199002301233", "id.bad_birth_date"),
            ("11010119900307123", "id.bad_format"),
            ("11010119900307123A", "id.bad_format"),
        ],
    )
    def test_invalid_has_code_and_bilingual_message(self, number: str, code: str) -> None:
        with pytest.raises(ContractError) as err:
            parse_resident_id(number)
        assert err.value.code == code
        assert err.value.message_zh
        assert err.value.message_en

    @given(st.from_regex(r"11010119[5-9]\d(0[1-9]|1[0-2])(0[1-9]|1\d|2[0-8])\d{3}", fullmatch=True))
    def test_any_computed_check_char_validates(self, first17: str) -> None:
        number = first17 + resident_id_check_char(first17)
        assert parse_resident_id(number) == number

    def test_mask(self) -> None:
        assert mask_id_number("110101199003071233") == "110101********1233"


class TestParseCreditCode:
    def test_valid(self) -> None:
        assert parse_credit_code("91350100M000100Y43") == "91350100M000100Y43"

    def test_bad_check(self) -> None:
        with pytest.raises(ContractError, match="校验位"):
            parse_credit_code("91350100M000100Y44")

    def test_forbidden_letter(self) -> None:
        with pytest.raises(ContractError):
            parse_credit_code("91350100M000100I43")


class TestMobileAndCards:
    @pytest.mark.parametrize("raw", ["13800138000", "+86 138-0013-8000", "8613800138000"])
    def test_mobile(self, raw: str) -> None:
        assert parse_mobile(raw) == "13800138000"

    def test_mobile_bad(self) -> None:
        with pytest.raises(ContractError):
            parse_mobile("12800138000")

    def test_bank_card_luhn_is_warning_only(self) -> None:
        assert parse_bank_card("6222 0202 0011 2233 445") == "6222020200112233445"
        assert bank_card_warning("4111111111111111") is None
        assert bank_card_warning("4111111111111112") is not None

    def test_bank_card_bad(self) -> None:
        with pytest.raises(ContractError):
            parse_bank_card("12345")

    def test_card_uid(self) -> None:
        assert normalise_card_uid("04:a2:3b:1c") == "04A23B1C"
