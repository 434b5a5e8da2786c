"""Identity numbers: resident ID (GB 11643), credit code (GB 32100), mobile, bank card.

Each `parse_*` returns the canonical form or raises ContractError with zh/en text; the pydantic
`Annotated` aliases at the bottom make them usable as field types on both sides.
"""

from __future__ import annotations

import datetime as dt
import re
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


def birth_date_of(id_number: str) -> dt.date:
    return _birth_date(id_number[6:14], id_number)


def gender_of(id_number: str) -> str:
    """'M' or 'F' from the 17th digit (odd = male)."""
    return "M" if int(id_number[16]) % 2 else "F"


def mask_id_number(value: str) -> str:
    """First 6 + last 4, as RULES.md requires for people without the full-number role."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


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
