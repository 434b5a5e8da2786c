"""Identity numbers: ID documents (resident ID GB 11643 and the other cards the SAM reader
decodes), credit code (GB 32100), mobile, bank card.

Each `parse_*` returns the canonical form or raises ContractError with zh/en text; the pydantic
`Annotated` aliases at the bottom make them usable as field types on both sides.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator

from models.errors import ContractError

# GB/T 2260 province-level prefixes, plus 71 (Taiwan), 81/82 (HK/Macau) and 83 (Taiwan residents'
# residence permit 830000) which use the same 18-character algorithm.
PROVINCE_CODES: dict[str, str] = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古",
    "21": "辽宁", "22": "吉林", "23": "黑龙江",
    "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽", "35": "福建",
    "36": "江西", "37": "山东",
    "41": "河南", "42": "湖北", "43": "湖南", "44": "广东", "45": "广西", "46": "海南",
    "50": "重庆", "51": "四川", "52": "贵州", "53": "云南", "54": "西藏",
    "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏", "65": "新疆",
    "71": "台湾", "81": "香港", "82": "澳门", "83": "台湾(居住证)",
}  # fmt: skip

_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_ID_CHECK = "10X98765432"


def resident_id_check_char(first17: str) -> str:
    """GB 11643 check character for the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _birth_date(digits8: str, raw: str) -> dt.date:
    try:
        born = dt.date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        raise ContractError(
            "id.bad_birth_date",
            f"身份证号 {mask_id_number(raw)} 的出生日期 {digits8} 不是有效日期",
            f"ID number {mask_id_number(raw)}: birth date {digits8} is not a valid date",
        ) from None
    if born.year < 1900 or born > dt.date.today():  # noqa: DTZ011 - a calendar date, no zone
        raise ContractError(
            "id.bad_birth_date",
            f"身份证号的出生日期 {digits8} 超出范围",
            f"ID number birth date {digits8} is out of range",
        )
    return born


def parse_resident_id(value: str) -> str:
    """Validate a resident ID number; a 15-digit legacy number is upgraded to 18 characters."""
    raw = value.strip().upper().replace(" ", "")
    if re.fullmatch(r"\d{15}", raw):
        raw = raw[:6] + "19" + raw[6:]
        raw += resident_id_check_char(raw)
    if not re.fullmatch(r"\d{17}[\dX]", raw):
        raise ContractError(
            "id.bad_format",
            "身份证号须为18位(最后一位可为X)或15位旧号",
            "ID number must be 18 characters (last may be X) or a 15-digit legacy number",
        )
    if raw[:2] not in PROVINCE_CODES:
        raise ContractError(
            "id.bad_region",
            f"身份证号的省份代码 {raw[:2]} 不存在",
            f"ID number province code {raw[:2]} does not exist",
        )
    _birth_date(raw[6:14], raw)
    expected = resident_id_check_char(raw[:17])
    if raw[17] != expected:
        raise ContractError(
            "id.bad_check_digit",
            f"身份证号 {mask_id_number(raw)} 校验位错误",
            f"ID number {mask_id_number(raw)} has a wrong check digit",
        )
    return raw


# --- ID document types ------------------------------------------------------------------------


class IdType(StrEnum):
    """The ID documents a worker may register with, stored as the platform's `idCardType`.

    Only "01" 居民身份证 is confirmed (the national platform's own examples and our fake platform
    use it). The 全国建筑工人管理服务信息平台 证件类型 dictionary could not be found in public
    material, so the two other codes are provisional letter codes that can never collide with
    the dictionary's numeric codes; `platform_code` is None for them until they are confirmed.
    """

    RESIDENT = "01"  # 居民身份证
    HK_MACAU_TAIWAN = "HT"  # 港澳台居民居住证 (provisional code)
    FOREIGN_PERMANENT = "FP"  # 外国人永久居留身份证, 2017 and 2023 editions (provisional code)


@dataclass(frozen=True, slots=True)
class IdTypeInfo:
    name_zh: str
    name_en: str
    platform_code: str | None  # None: the platform's code is not confirmed


ID_TYPES: dict[IdType, IdTypeInfo] = {
    IdType.RESIDENT: IdTypeInfo("居民身份证", "resident identity card", "01"),
    IdType.HK_MACAU_TAIWAN: IdTypeInfo(
        "港澳台居民居住证", "residence permit for HK/Macao/Taiwan residents", None
    ),
    IdType.FOREIGN_PERMANENT: IdTypeInfo(
        "外国人永久居留身份证", "foreigner's permanent residence ID card", None
    ),
}

# Other spellings a roster may carry in its 证件类型 column.
_TYPE_ALIASES: dict[str, IdType] = {
    "身份证": IdType.RESIDENT,
    "二代身份证": IdType.RESIDENT,
    "港澳居民居住证": IdType.HK_MACAU_TAIWAN,
    "台湾居民居住证": IdType.HK_MACAU_TAIWAN,
    "外国人永久居留证": IdType.FOREIGN_PERMANENT,
    "永久居留身份证": IdType.FOREIGN_PERMANENT,
    "外国人永久居留身份证(2017版)": IdType.FOREIGN_PERMANENT,
    "外国人永久居留身份证(2023版)": IdType.FOREIGN_PERMANENT,
}


def parse_id_type(value: str) -> IdType:
    """An ID type from its code ("01") or its Chinese name (居民身份证)."""
    raw = value.strip().replace("（", "(").replace("）", ")")
    code = raw.upper()
    if code.isdigit() and len(code) == 1:
        code = "0" + code  # Excel drops the leading zero of 01
    for kind, info in ID_TYPES.items():
        if code == kind.value or raw == info.name_zh:
            return kind
    if raw in _TYPE_ALIASES:
        return _TYPE_ALIASES[raw]
    known = "、".join(f"{k.value} {i.name_zh}" for k, i in ID_TYPES.items())
    raise ContractError(
        "id_type.unknown",
        f"证件类型 {value!r} 无法识别,可填: {known}",
        f"ID type {value!r} is not known; use one of: "
        + ", ".join(f"{k.value} ({i.name_en})" for k, i in ID_TYPES.items()),
    )


def normalise_id_text(value: str) -> str:
    return value.strip().upper().replace(" ", "")


# Numbers starting 810000 / 820000 / 830000 exist only on 港澳台居民居住证.
_HMT_PREFIXES = ("810000", "820000", "830000")
_FOREIGN_2017 = re.compile(r"[A-Z]{3}\d{12}")
_FOREIGN_2023 = re.compile(r"9\d{16}[\dX]")


def infer_id_type(value: str) -> IdType:
    """The type a number's form implies, for sources that do not say (old rosters, the API)."""
    raw = normalise_id_text(value)
    if _FOREIGN_2017.fullmatch(raw) or _FOREIGN_2023.fullmatch(raw):
        return IdType.FOREIGN_PERMANENT
    if raw.startswith(_HMT_PREFIXES):
        return IdType.HK_MACAU_TAIWAN
    return IdType.RESIDENT


def _id_error(code: str, raw: str, zh: str, en: str) -> ContractError:
    return ContractError(
        code, f"证件号码 {mask_id_number(raw)} {zh}", f"ID number {mask_id_number(raw)} {en}"
    )


def _gb11643_tail(raw: str) -> None:
    """Birth date at 7-14 and the MOD 11-2 check character, shared by the 18-character forms."""
    _birth_date(raw[6:14], raw)
    if raw[17] != resident_id_check_char(raw[:17]):
        raise _id_error("id.bad_check_digit", raw, "校验位错误", "has a wrong check digit")


def parse_hk_macau_taiwan_permit(value: str) -> str:
    """港澳台居民居住证: 810000 HK / 820000 Macao / 830000 Taiwan, then the GB 11643 layout."""
    raw = normalise_id_text(value)
    if not re.fullmatch(r"\d{17}[\dX]", raw) or not raw.startswith(_HMT_PREFIXES):
        raise ContractError(
            "id.bad_format",
            "港澳台居民居住证号码须为18位,以 810000/820000/830000 开头(最后一位可为X)",
            "HK/Macao/Taiwan residence permit number must be 18 characters starting "
            "810000/820000/830000 (last may be X)",
        )
    _gb11643_tail(raw)
    return raw


def _foreign_2017_birth(raw: str) -> dt.date:
    # YYMMDD: the century is the one that puts the birth date in the past.
    yy = int(raw[5:7])
    century = 1900 if 2000 + yy > dt.date.today().year else 2000  # noqa: DTZ011 - calendar date
    return _birth_date(f"{century + yy}{raw[7:11]}", raw)


def parse_foreign_permanent_id(value: str) -> str:
    """外国人永久居留身份证 number, either edition.

    2017 (15 chars): ISO 3166 alpha-3 nationality + 2-digit issuing province + YYMMDD birth +
    3-digit sequence + 1 check digit. Its check-digit rule could not be confirmed from public
    material, so only the structure, the province and the birth date are checked (and the
    nationality only as three letters: no ISO 3166 list ships with us).
    2023 (18 chars): 9 + 2-digit province + 3-digit ISO 3166 numeric nationality + YYYYMMDD
    birth + 3-digit sequence + GB 11643 MOD 11-2 check character.
    """
    raw = normalise_id_text(value)
    if _FOREIGN_2017.fullmatch(raw):
        if raw[3:5] not in PROVINCE_CODES:
            raise _id_error(
                "id.bad_region",
                raw,
                f"的省份代码 {raw[3:5]} 不存在",
                f"has a province code {raw[3:5]} that does not exist",
            )
        _foreign_2017_birth(raw)
        return raw
    if _FOREIGN_2023.fullmatch(raw):
        if raw[1:3] not in PROVINCE_CODES:
            raise _id_error(
                "id.bad_region",
                raw,
                f"的省份代码 {raw[1:3]} 不存在",
                f"has a province code {raw[1:3]} that does not exist",
            )
        if raw[3:6] == "000":
            raise _id_error(
                "id.bad_nationality",
                raw,
                "的国籍代码 000 不存在",
                "has nationality code 000, which does not exist",
            )
        _gb11643_tail(raw)
        return raw
    raise ContractError(
        "id.bad_format",
        "外国人永久居留身份证号码须为15位(3个字母+12位数字)或以9开头的18位",
        "foreigner's permanent residence number must be 15 characters (3 letters + 12 digits) "
        "or 18 starting with 9",
    )


_PARSERS = {
    IdType.RESIDENT: parse_resident_id,
    IdType.HK_MACAU_TAIWAN: parse_hk_macau_taiwan_permit,
    IdType.FOREIGN_PERMANENT: parse_foreign_permanent_id,
}


def parse_id_number(value: str, id_type: IdType | None = None) -> str:
    """Validate a number as `id_type` (or as the type its form implies); canonical form back."""
    return _PARSERS[id_type or infer_id_type(value)](value)


def birth_date_of(id_number: str) -> dt.date | None:
    """Birth date carried by a validated number; None when its form carries none."""
    if _FOREIGN_2017.fullmatch(id_number):
        return _foreign_2017_birth(id_number)
    if re.fullmatch(r"\d{17}[\dX]", id_number):
        return _birth_date(id_number[6:14], id_number)
    return None


def gender_of(id_number: str) -> str | None:
    """'M' or 'F' from the 17th digit (odd = male) of GB 11643 numbers (resident and 港澳台
    residence permit); None for foreigner cards, whose numbers carry no confirmed gender digit
    (the gender is then read off the card, or given)."""
    if re.fullmatch(r"\d{17}[\dX]", id_number) and id_number[0] != "9":
        return "M" if int(id_number[16]) % 2 else "F"
    return None


def resolve_identity(
    number: str, id_type: IdType | None, gender: str | None, birth_date: dt.date | None = None
) -> tuple[IdType, str, dt.date]:
    """(type, gender, birth date) of a validated number: what the number says wins, a given value
    fills what it does not say (a foreigner's card), and a given gender must agree with it."""
    carried = gender_of(number)
    if gender is not None and carried is not None and gender != carried:
        raise ContractError(
            "id.gender_mismatch",
            "性别与证件号码不符",
            "gender does not match the ID number",
        )
    resolved_gender = carried or gender
    if resolved_gender is None:
        raise ContractError(
            "id.gender_needed",
            "该证件号码不含性别信息,请填写性别(M 男 / F 女)",
            "this ID number carries no gender: give the gender (M or F)",
        )
    born = birth_date_of(number) or birth_date
    if born is None:
        raise ContractError(
            "id.birth_date_needed",
            "该证件号码不含出生日期,请填写出生日期",
            "this ID number carries no birth date: give the birth date",
        )
    return id_type or infer_id_type(number), resolved_gender, born


def mask_id_number(value: str) -> str:
    """First 6 + last 4, as RULES.md requires for people without the full-number role.

    A 2017 foreigner number keeps its first 5 (nationality + province) instead: its 6th
    character is already part of the birth date."""
    if len(value) <= 10:
        return "*" * len(value)
    head = 5 if _FOREIGN_2017.fullmatch(value) else 6
    return value[:head] + "*" * (len(value) - head - 4) + value[-4:]


# GB 32100: 31 characters, no I O S V Z.
_CC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code_check_char(first17: str) -> str:
    total = sum(_CC_CHARS.index(c) * w for c, w in zip(first17, _CC_WEIGHTS, strict=True))
    return _CC_CHARS[(31 - total % 31) % 31]


def parse_credit_code(value: str) -> str:
    raw = value.strip().upper()
    if len(raw) != 18 or any(c not in _CC_CHARS for c in raw):
        raise ContractError(
            "credit_code.bad_format",
            "统一社会信用代码须为18位,只含数字和大写字母(不含 I O S V Z)",
            "Unified social credit code must be 18 digits/capitals (no I O S V Z)",
        )
    if raw[17] != credit_code_check_char(raw[:17]):
        raise ContractError(
            "credit_code.bad_check_char",
            "统一社会信用代码校验位错误",
            "Unified social credit code has a wrong check character",
        )
    return raw


def parse_mobile(value: str) -> str:
    raw = re.sub(r"[\s-]", "", value.strip())
    raw = re.sub(r"^(\+?86)", "", raw)
    if not re.fullmatch(r"1[3-9]\d{9}", raw):
        raise ContractError(
            "mobile.bad_format",
            "手机号须为11位,以13-19开头",
            "Mobile number must be 11 digits starting with 13-19",
        )
    return raw


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def parse_bank_card(value: str) -> str:
    """Digits only, 12-19 long. A Luhn failure is *not* an error: see `bank_card_warning`."""
    raw = re.sub(r"[\s-]", "", value.strip())
    if not re.fullmatch(r"\d{12,19}", raw):
        raise ContractError(
            "bank_card.bad_format",
            "银行卡号须为12-19位数字",
            "Bank card number must be 12-19 digits",
        )
    return raw


def bank_card_warning(card: str) -> str | None:
    """Some Chinese bank cards fail Luhn legitimately, so this is a warning, never a refusal."""
    if luhn_ok(card):
        return None
    return "银行卡号未通过 Luhn 校验,请核对 / bank card number fails the Luhn check, please verify"


def mask_bank_card(value: str) -> str:
    return value[:4] + "*" * max(len(value) - 8, 0) + value[-4:] if len(value) > 8 else value


ResidentId = Annotated[str, AfterValidator(parse_resident_id)]
# Any registered ID document, validated as the type its form implies; where a type is given
# too, the schema re-validates against it (server/registry/schemas.py).
IdNumber = Annotated[str, AfterValidator(parse_id_number)]
CreditCode = Annotated[str, AfterValidator(parse_credit_code)]
Mobile = Annotated[str, AfterValidator(parse_mobile)]
BankCard = Annotated[str, AfterValidator(parse_bank_card)]


def normalise_card_uid(value: str) -> str:
    """Canonical IC-card UID: upper-case hex without separators (as the readers' hex form)."""
    raw = re.sub(r"[\s:\-]", "", value.strip()).upper()
    if not re.fullmatch(r"[0-9A-F]{8,20}", raw) or len(raw) % 2:
        raise ContractError(
            "card_uid.bad_format",
            "IC卡号须为偶数位十六进制(8-20位)",
            "IC card UID must be an even number (8-20) of hex digits",
        )
    return raw


CardUid = Annotated[str, AfterValidator(normalise_card_uid)]
