"""Per-type ID validation (models/ids.py): 居民身份证, 港澳台居民居住证, 外国人永久居留身份证."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import ContractError
from models.ids import (
    ID_TYPES,
    IdType,
    birth_date_of,
    gender_of,
    infer_id_type,
    mask_id_number,
    parse_id_number,
    parse_id_type,
    resident_id_check_char,
    resolve_identity,
)

# Real-format examples (synthetic people): the check characters are worked out by hand above
# each, with the GB 11643 weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 and table 10X98765432.
FOREIGN_2023 = "911840198808080012"  # 9, 11 北京, 840 USA, 1988-08-08, 001, check 2
FOREIGN_2017 = "USA119001010101"  # USA, 11 北京, 900101, 010, 1
HK_PERMIT = "810000199001010019"  # 810000 HK, 1990-01-01, 001 (odd: male), check 9


class TestIdTypeVocabulary:
    def test_only_the_resident_code_claims_to_be_the_platforms(self) -> None:
        assert ID_TYPES[IdType.RESIDENT].platform_code == "01"
        assert ID_TYPES[IdType.FOREIGN_PERMANENT].platform_code is None

    @pytest.mark.parametrize(
        ("text", "kind"),
        [
            ("01", IdType.RESIDENT),
            ("1", IdType.RESIDENT),  # Excel dropped the zero
            ("居民身份证", IdType.RESIDENT),
            ("港澳台居民居住证", IdType.HK_MACAU_TAIWAN),
            ("外国人永久居留身份证", IdType.FOREIGN_PERMANENT),
            ("fp", IdType.FOREIGN_PERMANENT),
        ],
    )
    def test_code_or_chinese_name(self, text: str, kind: IdType) -> None:
        assert parse_id_type(text) is kind

    def test_unknown_type_is_bilingual(self) -> None:
        with pytest.raises(ContractError) as exc:
            parse_id_type("护照")
        assert "证件类型" in exc.value.message_zh
        assert "ID type" in exc.value.message_en


class TestInfer:
    @pytest.mark.parametrize(
        ("number", "kind"),
        [
            ("110101199003071233", IdType.RESIDENT),
            (HK_PERMIT, IdType.HK_MACAU_TAIWAN),
            (FOREIGN_2017, IdType.FOREIGN_PERMANENT),
            (FOREIGN_2023, IdType.FOREIGN_PERMANENT),
        ],
    )
    def test_form_implies_type(self, number: str, kind: IdType) -> None:
        assert infer_id_type(number) is kind
        assert parse_id_number(number) == number


class TestHkMacauTaiwanPermit:
    def test_valid(self) -> None:
        assert parse_id_number(HK_PERMIT, IdType.HK_MACAU_TAIWAN) == HK_PERMIT

    def test_wrong_check_digit(self) -> None:
        with pytest.raises(ContractError, match="校验位"):
            parse_id_number(HK_PERMIT[:-1] + "8", IdType.HK_MACAU_TAIWAN)

    def test_resident_prefix_is_not_a_permit(self) -> None:
        with pytest.raises(ContractError) as exc:
            parse_id_number("110101199003071233", IdType.HK_MACAU_TAIWAN)
        assert exc.value.code == "id.bad_format"

    def test_bad_birth_date(self) -> None:
        body = "810000199002300"  # 1990-02-30
        number = body + "01" + resident_id_check_char(body + "01")
        with pytest.raises(ContractError) as exc:
            parse_id_number(number, IdType.HK_MACAU_TAIWAN)
        assert exc.value.code == "id.bad_birth_date"

    def test_gender_and_birth_from_the_number(self) -> None:
        assert gender_of(HK_PERMIT) == "M"
        assert birth_date_of(HK_PERMIT) == dt.date(1990, 1, 1)


class TestForeign2023:
    def test_valid(self) -> None:
        assert parse_id_number(FOREIGN_2023, IdType.FOREIGN_PERMANENT) == FOREIGN_2023

    def test_wrong_check_digit(self) -> None:
        with pytest.raises(ContractError) as exc:
            parse_id_number(FOREIGN_2023[:-1] + "3", IdType.FOREIGN_PERMANENT)
        assert exc.value.code == "id.bad_check_digit"

    def test_bad_birth_date(self) -> None:
        body = "91184019881308080"  # month 13
        number = body[:17] + resident_id_check_char(body[:17])
        with pytest.raises(ContractError) as exc:
            parse_id_number(number, IdType.FOREIGN_PERMANENT)
        assert exc.value.code == "id.bad_birth_date"

    @pytest.mark.parametrize("number", [FOREIGN_2023[:-1], FOREIGN_2023 + "1"])
    def test_wrong_length(self, number: str) -> None:
        with pytest.raises(ContractError) as exc:
            parse_id_number(number, IdType.FOREIGN_PERMANENT)
        assert exc.value.code == "id.bad_format"

    def test_unknown_province(self) -> None:
        body = "999840198808080" + "01"
        with pytest.raises(ContractError) as exc:
            parse_id_number(body + resident_id_check_char(body), IdType.FOREIGN_PERMANENT)
        assert exc.value.code == "id.bad_region"

    def test_a_resident_number_is_not_a_foreigners(self) -> None:
        with pytest.raises(ContractError):
            parse_id_number("110101199003071233", IdType.FOREIGN_PERMANENT)

    def test_birth_known_gender_unknown(self) -> None:
        assert birth_date_of(FOREIGN_2023) == dt.date(1988, 8, 8)
        assert gender_of(FOREIGN_2023) is None


class TestForeign2017:
    def test_valid(self) -> None:
        assert parse_id_number(FOREIGN_2017.lower(), IdType.FOREIGN_PERMANENT) == FOREIGN_2017

    def test_bad_birth_date(self) -> None:
        with pytest.raises(ContractError) as exc:
            parse_id_number("USA119002300101", IdType.FOREIGN_PERMANENT)  # 90-02-30
        assert exc.value.code == "id.bad_birth_date"

    @pytest.mark.parametrize("number", ["USA11900101010", "USA1190010101011", "US1119001010101"])
    def test_wrong_length_or_shape(self, number: str) -> None:
        with pytest.raises(ContractError) as exc:
            parse_id_number(number, IdType.FOREIGN_PERMANENT)
        assert exc.value.code == "id.bad_format"

    def test_unknown_province(self) -> None:
        with pytest.raises(ContractError) as exc:
            parse_id_number("USA999001010101", IdType.FOREIGN_PERMANENT)
        assert exc.value.code == "id.bad_region"

    def test_two_digit_year_takes_the_past_century(self) -> None:
        assert birth_date_of(FOREIGN_2017) == dt.date(1990, 1, 1)
        assert birth_date_of("USA110501010101") == dt.date(2005, 1, 1)
        assert gender_of(FOREIGN_2017) is None

    def test_masked_without_birth_digits(self) -> None:
        assert mask_id_number(FOREIGN_2017) == "USA11******0101"
        assert mask_id_number(FOREIGN_2023) == "911840********0012"


class TestResolveIdentity:
    def test_foreigner_needs_a_gender(self) -> None:
        with pytest.raises(ContractError) as exc:
            resolve_identity(FOREIGN_2023, None, None)
        assert exc.value.code == "id.gender_needed"
        assert resolve_identity(FOREIGN_2023, None, "F") == (
            IdType.FOREIGN_PERMANENT,
            "F",
            dt.date(1988, 8, 8),
        )

    def test_given_gender_must_agree_with_the_number(self) -> None:
        with pytest.raises(ContractError) as exc:
            resolve_identity(HK_PERMIT, None, "F")
        assert exc.value.code == "id.gender_mismatch"


# --- properties: a generated valid number of each type validates, one changed digit does not --

_PROVINCE = st.sampled_from(["11", "31", "44", "51", "65"])
_DATE = st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2008, 12, 31))
_SEQ = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")


def _with_check(body: str) -> str:
    return body + resident_id_check_char(body)


_resident = st.builds(lambda p, d, s: _with_check(f"{p}0101{d:%Y%m%d}{s}"), _PROVINCE, _DATE, _SEQ)
_permit = st.builds(
    lambda r, d, s: _with_check(f"{r}{d:%Y%m%d}{s}"),
    st.sampled_from(["810000", "820000", "830000"]),
    _DATE,
    _SEQ,
)
_foreign_2023 = st.builds(
    lambda p, n, d, s: _with_check(f"9{p}{n:03d}{d:%Y%m%d}{s}"),
    _PROVINCE,
    st.integers(min_value=4, max_value=894),
    _DATE,
    _SEQ,
)
_CHECKED = st.one_of(
    _resident.map(lambda n: (IdType.RESIDENT, n)),
    _permit.map(lambda n: (IdType.HK_MACAU_TAIWAN, n)),
    _foreign_2023.map(lambda n: (IdType.FOREIGN_PERMANENT, n)),
)


@given(_CHECKED, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=9))
def test_valid_numbers_validate_and_one_changed_digit_does_not(
    case: tuple[IdType, str], position: int, delta: int
) -> None:
    kind, number = case
    assert parse_id_number(number, kind) == number
    assert infer_id_type(number) is kind
    assert birth_date_of(number) is not None
    if not number[position].isdigit():
        return  # an X check character: nothing to add a digit to
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    # MOD 11-2 catches every single-digit substitution, whatever else the change breaks.
    with pytest.raises(ContractError):
        parse_id_number(changed, kind)


@given(
    st.sampled_from(["USA", "GBR", "JPN", "KOR", "DEU"]),
    _PROVINCE,
    st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(1999, 12, 31)),
    _SEQ,
    st.integers(min_value=0, max_value=9),
)
def test_generated_2017_numbers_validate_and_keep_their_birth_date(
    nationality: str, province: str, born: dt.date, seq: str, check: int
) -> None:
    # No confirmed check-digit rule for the 2017 edition: structure and birth date only.
    number = f"{nationality}{province}{born:%y%m%d}{seq}{check}"
    assert parse_id_number(number, IdType.FOREIGN_PERMANENT) == number
    assert birth_date_of(number) == born
    broken = f"{nationality}{province}{born:%y}13{born:%d}{seq}{check}"  # month 13
    with pytest.raises(ContractError):
        parse_id_number(broken, IdType.FOREIGN_PERMANENT)
