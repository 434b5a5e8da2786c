"""维权信息告示牌 (保障农民工工资支付条例 第三十四条) as data: the fields a project must post at
the site, checked as pure functions over the form's text.

Art. 34 asks the general contractor to post, where workers see it: the 劳资专管员 and how to
reach them, the local minimum wage, the pay day, and where to complain (劳动保障监察, the
housing authority, the 12333 hotline, labour dispute arbitration, legal aid). The national
numbers 12333 and 12348 are always shown, set or not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from models.errors import ContractError
from models.money import Fen, format_yuan, yuan_to_fen

HOTLINE_12333 = "12333"  # 人社部门 劳动保障咨询投诉
LEGAL_AID_12348 = "12348"  # 公共法律服务(法律援助)

PHONE_FIELDS = (
    "officer_phone",
    "inspection_phone",
    "housing_phone",
    "arbitration_phone",
    "legal_aid_phone",
)
NAME_MAX = 32
PHONE_MAX = 24
# Bounds that catch a yuan typed as fen or a wrong column, not a legal range: every
# province's 月最低工资 is within ¥1,000–¥4,000 and 小时最低工资 within ¥10–¥40 (2025).
MONTHLY_MIN_FEN, MONTHLY_MAX_FEN = 50_000, 1_000_000
HOURLY_MIN_FEN, HOURLY_MAX_FEN = 500, 10_000

_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")  # area code + 7-8 digit number
_SERVICE = re.compile(r"(?:95\d{3,4}|96\d{3,4}|12\d{3}|1\d{4})")  # 12333, 95588, 96xxx
_FREEPHONE = re.compile(r"[48]00\d{7}")  # 400 / 800


@dataclass(frozen=True, slots=True)
class Issue:
    """One field's problem, in both languages."""

    field: str
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class Phone:
    """A number as the board prints it and the digits a `tel:` link dials."""

    shown: str
    dial: str

    @property
    def href(self) -> str:
        return f"tel:{self.dial}"


@dataclass(frozen=True, slots=True)
class NoticeFields:
    """The board as stored: empty text and None mean "not set"."""

    officer_name: str = ""
    officer_phone: str = ""
    min_wage_month_fen: Fen | None = None
    min_wage_hour_fen: Fen | None = None
    pay_day: int | None = None  # 每月X日, 1-31
    inspection_phone: str = ""  # 劳动保障监察
    housing_phone: str = ""  # 住房和城乡建设主管部门
    arbitration_phone: str = ""  # 劳动人事争议仲裁委员会
    legal_aid_phone: str = ""  # 当地法律援助中心 (12348 is shown anyway)

    @property
    def is_empty(self) -> bool:
        return self == NoticeFields()


def parse_phone(value: str) -> Phone:
    """A mainland number: mobile, landline with area code (optionally -extension), a short
    service number (12333, 95xxx) or a 400/800 number. Spaces, dashes and brackets are kept in
    what is shown and dropped from what is dialled; a leading +86 is accepted."""
    shown = " ".join(value.split())
    main, _, ext = re.sub(r"\s*(?:转|ext\.?|x)\s*", "#", shown, flags=re.IGNORECASE).partition("#")
    digits = re.sub(r"[\s\-()()]", "", main)
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            rest = digits.removeprefix(prefix)
            # +86 10 1234 5678: the trunk 0 of a landline goes with the country code
            digits = rest if _MOBILE.fullmatch(rest) else "0" + rest.lstrip("0")
    ok = any(p.fullmatch(digits) for p in (_MOBILE, _LANDLINE, _SERVICE, _FREEPHONE))
    if not ok or (ext and not re.fullmatch(r"\d{1,6}", ext)):
        raise ContractError(
            "notice.bad_phone",
            f"电话号码 {value!r} 格式不对:手机号 11 位,座机须带区号(如 010-12345678),"
            "或 12333 这样的服务号码",
            f"phone number {value!r} is not valid: a mobile has 11 digits, a landline needs its "
            "area code (e.g. 010-12345678), or a service number such as 12333",
        )
    dial = digits + (f",{ext}" if ext else "")  # "," pauses before the extension on a phone
    return Phone(shown, dial)


def phone_or_none(value: str) -> Phone | None:
    """A stored number as a `Phone` (None when unset or no longer valid)."""
    if not value.strip():
        return None
    try:
        return parse_phone(value)
    except ContractError:
        return None


def _money(
    raw: str, field: str, low: Fen, high: Fen, what: tuple[str, str], issues: list[Issue]
) -> Fen | None:
    text = raw.strip()
    if not text:
        return None
    try:
        fen = yuan_to_fen(text)
    except ContractError as exc:
        issues.append(Issue(field, f"{what[0]}: {exc.message_zh}", f"{what[1]}: {exc.message_en}"))
        return None
    if not low <= fen <= high:
        issues.append(
            Issue(
                field,
                f"{what[0]}须在 {format_yuan(low)} 至 {format_yuan(high)} 元之间(单位:元)",
                f"{what[1]} must be between ¥{format_yuan(low)} and ¥{format_yuan(high)} (in yuan)",
            )
        )
        return None
    return fen


def parse_pay_day(raw: str, issues: list[Issue]) -> int | None:
    text = raw.strip().removeprefix("每月").removesuffix("日").removesuffix("号").strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 31:
        issues.append(
            Issue("pay_day", "发薪日须为每月 1 至 31 日", "the pay day must be a day 1 to 31")
        )
        return None
    return int(text)


_LABELS = {
    "officer_phone": ("劳资专管员电话", "wage officer's phone"),
    "inspection_phone": ("劳动保障监察电话", "labour inspection phone"),
    "housing_phone": ("住建部门电话", "housing authority phone"),
    "arbitration_phone": ("劳动人事争议仲裁电话", "labour arbitration phone"),
    "legal_aid_phone": ("法律援助电话", "legal aid phone"),
}


def validate(raw: Mapping[str, str]) -> tuple[NoticeFields | None, list[Issue]]:
    """The form's text as `NoticeFields`, or None and every field's problem at once. Phones are
    stored as typed (tidied), so the board prints what the manager wrote."""
    issues: list[Issue] = []
    name = " ".join(raw.get("officer_name", "").split())
    if len(name) > NAME_MAX:
        issues.append(
            Issue(
                "officer_name",
                f"劳资专管员姓名不能超过 {NAME_MAX} 个字",
                f"the wage officer's name may have at most {NAME_MAX} characters",
            )
        )
    phones: dict[str, str] = {}
    for field in PHONE_FIELDS:
        text = " ".join(raw.get(field, "").split())
        if not text:
            phones[field] = ""
            continue
        zh, en = _LABELS[field]
        if len(text) > PHONE_MAX:
            issues.append(Issue(field, f"{zh}太长", f"the {en} is too long"))
            continue
        try:
            phones[field] = parse_phone(text).shown
        except ContractError as exc:
            issues.append(Issue(field, f"{zh}: {exc.message_zh}", f"{en}: {exc.message_en}"))
    month = _money(
        raw.get("min_wage_month", ""),
        "min_wage_month",
        MONTHLY_MIN_FEN,
        MONTHLY_MAX_FEN,
        ("月最低工资", "the monthly minimum wage"),
        issues,
    )
    hour = _money(
        raw.get("min_wage_hour", ""),
        "min_wage_hour",
        HOURLY_MIN_FEN,
        HOURLY_MAX_FEN,
        ("小时最低工资", "the hourly minimum wage"),
        issues,
    )
    pay_day = parse_pay_day(raw.get("pay_day", ""), issues)
    if (
        name
        and not phones.get("officer_phone")
        and "officer_phone" not in {i.field for i in issues}
    ):
        issues.append(
            Issue(
                "officer_phone",
                "请填写劳资专管员的联系电话",
                "give the wage officer's phone number",
            )
        )
    if issues:
        return None, issues
    return (
        NoticeFields(
            officer_name=name,
            officer_phone=phones["officer_phone"],
            min_wage_month_fen=month,
            min_wage_hour_fen=hour,
            pay_day=pay_day,
            inspection_phone=phones["inspection_phone"],
            housing_phone=phones["housing_phone"],
            arbitration_phone=phones["arbitration_phone"],
            legal_aid_phone=phones["legal_aid_phone"],
        ),
        [],
    )


def form_values(fields: NoticeFields) -> dict[str, str]:
    """The stored board as the form's text (what `validate` reads back unchanged)."""

    def yuan(fen: Fen | None) -> str:
        return "" if fen is None else format_yuan(fen).replace(",", "")

    return {
        "officer_name": fields.officer_name,
        "officer_phone": fields.officer_phone,
        "min_wage_month": yuan(fields.min_wage_month_fen),
        "min_wage_hour": yuan(fields.min_wage_hour_fen),
        "pay_day": "" if fields.pay_day is None else str(fields.pay_day),
        "inspection_phone": fields.inspection_phone,
        "housing_phone": fields.housing_phone,
        "arbitration_phone": fields.arbitration_phone,
        "legal_aid_phone": fields.legal_aid_phone,
    }


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the board as the page and the PDF print it (zh, en label; value; phone)."""

    key: str
    label_zh: str
    label_en: str
    value: str  # "" when unset
    phone: Phone | None = None


def board_lines(fields: NoticeFields) -> tuple[Line, ...]:
    """The board in print order. Unset lines stay (value ""), so a reader sees what is missing;
    12333 and 12348 are always dialable."""

    def ph(text: str) -> Phone | None:
        return phone_or_none(text)

    month = fields.min_wage_month_fen
    hour = fields.min_wage_hour_fen
    wage = " / ".join(
        part
        for part in (
            f"{format_yuan(month)} 元/月" if month is not None else "",
            f"{format_yuan(hour)} 元/小时" if hour is not None else "",
        )
        if part
    )
    return (
        Line("officer", "劳资专管员", "Wage officer", fields.officer_name,
             ph(fields.officer_phone)),
        Line("min_wage", "当地最低工资标准", "Local minimum wage", wage),
        Line("pay_day", "工资支付日", "Pay day",
             f"每月 {fields.pay_day} 日" if fields.pay_day else ""),
        Line("inspection", "劳动保障监察", "Labour inspection", fields.inspection_phone,
             ph(fields.inspection_phone)),
        Line("housing", "住房和城乡建设主管部门", "Housing and construction authority",
             fields.housing_phone, ph(fields.housing_phone)),
        Line("hotline", "劳动保障咨询投诉电话", "Labour rights hotline", HOTLINE_12333,
             parse_phone(HOTLINE_12333)),
        Line("arbitration", "劳动人事争议仲裁", "Labour dispute arbitration",
             fields.arbitration_phone, ph(fields.arbitration_phone)),
        Line("legal_aid", "法律援助", "Legal aid", fields.legal_aid_phone or LEGAL_AID_12348,
             ph(fields.legal_aid_phone) or parse_phone(LEGAL_AID_12348)),
    )  # fmt: skip
