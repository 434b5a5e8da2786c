"""The complaint's rules as plain functions: what a new complaint may say, which status moves
are allowed, the due date and when a complaint is overdue. No I/O, no clock: time is passed in.

Lifecycle (docs/complaints.md):

    received ──> verifying ──> resolved | referred | closed
        └──────────────────────> referred | closed      (another authority's matter, a duplicate)

A move to resolved, referred or closed needs a closing note. Nothing moves out of those three
except an explicit reopen (back to verifying, with a reason), which only the handling roles may
do; every move is kept as an event.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from zoneinfo import ZoneInfo

from models.errors import ContractError
from models.ids import parse_resident_id

# 15 calendar days from receipt, our choice (docs/complaints.md): the 5 working days in which a
# labour inspection office decides whether to take a complaint up, plus one round of
# verification with the site; far inside the investigation's own limit. A project may set
# settings["complaints"]["due_days"] (DUE_DAYS_RANGE).
DEFAULT_DUE_DAYS = 15
DUE_DAYS_RANGE = (1, 90)
DUE_SOON_DAYS = 3  # "due soon" on the inspector's list
TEXT_MAX = 1000
NOTE_MAX = 2000
AGAINST_MAX = 128
PERIODS_MAX = 24  # two years of months in one complaint
AMOUNT_MAX_FEN = 100_000_000_00  # 1 亿元: beyond it the figure is a typo
_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_PHONE = re.compile(r"\+?[0-9][0-9 -]{4,18}[0-9]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Status(StrEnum):
    RECEIVED = "received"  # 已接收
    VERIFYING = "verifying"  # 核实中
    RESOLVED = "resolved"  # 已解决
    REFERRED = "referred"  # 已移交
    CLOSED = "closed"  # 已关闭


CLOSING = frozenset({Status.RESOLVED, Status.REFERRED, Status.CLOSED})
MOVES: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.VERIFYING, Status.REFERRED, Status.CLOSED}),
    Status.VERIFYING: frozenset({Status.RESOLVED, Status.REFERRED, Status.CLOSED}),
    Status.RESOLVED: frozenset(),
    Status.REFERRED: frozenset(),
    Status.CLOSED: frozenset(),
}
REOPEN_TO = Status.VERIFYING


class Source(StrEnum):
    WORKER_PHONE = "worker_phone"  # the worker's own /me page
    INSPECTOR = "inspector"  # entered by an inspector


class Channel(StrEnum):
    PHONE = "phone"  # 电话
    LETTER = "letter"  # 信件
    VISIT = "visit"  # 来访
    PLATFORM = "platform"  # 全国根治欠薪线索反映平台
    APP = "app"  # the worker's phone page


class EventKind(StrEnum):
    FILED = "filed"
    ASSIGNED = "assigned"
    MOVED = "moved"
    REOPENED = "reopened"
    NOTED = "noted"


@dataclass(frozen=True, slots=True)
class Issue:
    field: str
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class NewComplaint:
    periods: tuple[str, ...]
    amount_fen: int | None
    against: str
    text: str


@dataclass(frozen=True, slots=True)
class Person:
    """Who complains, as an inspector was told, when they are not a registered worker."""

    name: str
    phone: str
    id_number: str


def clean_text(
    value: str, field: str, max_len: int, *, what: tuple[str, str], required: bool = True
) -> Issue | str:
    """Stripped text within `max_len`, no control characters; an Issue otherwise."""
    text = value.strip().replace("\r\n", "\n")
    if not text and required:
        return Issue(field, f"请填写{what[0]}", f"give the {what[1]}")
    if len(text) > max_len:
        return Issue(
            field,
            f"{what[0]}不能超过 {max_len} 个字",
            f"the {what[1]} may have at most {max_len} characters",
        )
    if _CONTROL.search(text):
        return Issue(field, f"{what[0]}含有不可见字符", f"the {what[1]} has control characters")
    return text


def parse_periods(value: str, *, today: dt.date) -> tuple[tuple[str, ...], Issue | None]:
    """'2026-01, 2026-02' (commas, spaces or 、) as sorted unique months up to this one."""
    parts = [p for p in re.split(r"[\s,,、;;]+", value.strip()) if p]
    if not parts:
        return (), Issue(
            "periods", "请填写欠薪的月份(如 2026-01)", "give the months (e.g. 2026-01)"
        )
    out: set[str] = set()
    for part in parts:
        m = _PERIOD.fullmatch(part)
        if m is None or not 1 <= int(m.group(2)) <= 12:
            return (), Issue(
                "periods", f"月份 {part[:10]} 格式有误(如 2026-01)",
                f"month {part[:10]} is not a month (e.g. 2026-01)",
            )  # fmt: skip
        if (int(m.group(1)), int(m.group(2))) > (today.year, today.month):
            return (), Issue("periods", f"{part} 还没到", f"{part} has not come yet")
        out.add(part)
    if len(out) > PERIODS_MAX:
        return (), Issue("periods", f"最多 {PERIODS_MAX} 个月", f"at most {PERIODS_MAX} months")
    return tuple(sorted(out)), None


def parse_amount(value: str) -> tuple[int | None, Issue | None]:
    """An optional amount in yuan ('3500', '3,500.50', '3500元') as fen."""
    text = value.strip().replace(",", "").replace(",", "").removesuffix("元").strip()
    if not text:
        return None, None
    bad = Issue("amount", "金额请填写数字(元)", "the amount is a number of yuan")
    try:
        yuan = Decimal(text)
    except InvalidOperation:
        return None, bad
    if not yuan.is_finite() or yuan <= 0 or yuan != yuan.quantize(Decimal("0.01")):
        return None, bad
    fen = int(yuan * 100)
    if fen > AMOUNT_MAX_FEN:
        return None, Issue("amount", "金额过大", "the amount is too large")
    return fen, None


def validate(
    periods: str, amount: str, against: str, text: str, *, today: dt.date
) -> tuple[NewComplaint | None, list[Issue]]:
    """A new complaint: which months, roughly how much (optional), against whom (optional)."""
    issues: list[Issue] = []
    months, issue = parse_periods(periods, today=today)
    if issue:
        issues.append(issue)
    fen, issue = parse_amount(amount)
    if issue:
        issues.append(issue)
    who = clean_text(against, "against", AGAINST_MAX, what=("被反映单位", "firm"), required=False)
    body = clean_text(text, "text", TEXT_MAX, what=("反映内容", "complaint"))
    issues += [x for x in (who, body) if isinstance(x, Issue)]
    if issues or isinstance(who, Issue) or isinstance(body, Issue):
        return None, issues
    return NewComplaint(months, fen, who, body), []


def validate_person(name: str, phone: str, id_number: str) -> tuple[Person | None, list[Issue]]:
    """An unregistered complainant as given: a name and a phone to call back; the ID number is
    optional (often not known on a call) but checked when given."""
    issues: list[Issue] = []
    who = clean_text(name, "person_name", 64, what=("反映人姓名", "complainant's name"))
    if isinstance(who, Issue):
        issues.append(who)
    tel = phone.strip()
    if not _PHONE.fullmatch(tel):
        issues.append(
            Issue("person_phone", "请填写可回拨的电话", "give a phone number to call back")
        )
    idn = id_number.strip().upper()
    if idn:
        try:
            idn = parse_resident_id(idn)
        except ContractError as exc:
            issues.append(Issue("person_id_number", exc.message_zh, exc.message_en))
    if issues or isinstance(who, Issue):
        return None, issues
    return Person(who, tel, idn), []


def check_move(current: str, target: str, note: str) -> Issue | None:
    """A status move from `current` to `target` with `note`; None when allowed."""
    try:
        to = Status(target)
        now = Status(current)
    except ValueError:
        return Issue("status", "未知状态", "unknown status")
    if to not in MOVES[now]:
        if now in CLOSING:
            return Issue(
                "status", "已办结的线索需先重新打开", "a closed complaint must be reopened first"
            )
        return Issue("status", f"不能从「{now.value}」改为「{to.value}」",
                     f"cannot move from {now.value} to {to.value}")  # fmt: skip
    if to in CLOSING and not note.strip():
        return Issue("note", "办结须填写办结说明", "closing needs a closing note")
    return None


def check_reopen(current: str, note: str) -> Issue | None:
    if current not in CLOSING:
        return Issue("status", "只有已办结的线索可以重新打开", "only a closed complaint reopens")
    if not note.strip():
        return Issue("note", "重新打开须说明原因", "reopening needs a reason")
    return None


def due_days(settings: object) -> int:
    """The project's due days (settings["complaints"]["due_days"]) or the default."""
    raw = settings.get("complaints", {}) if isinstance(settings, dict) else {}
    value = raw.get("due_days") if isinstance(raw, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = DUE_DAYS_RANGE
        if low <= value <= high:
            return value
    return DEFAULT_DUE_DAYS


def local_date(at: dt.datetime, zone: ZoneInfo | dt.tzinfo) -> dt.date:
    return at.astimezone(zone).date()


def due_on(received_at: dt.datetime, zone: ZoneInfo | dt.tzinfo, days: int) -> dt.date:
    """Received (the project's calendar day) + `days`: due by the end of that day."""
    return local_date(received_at, zone) + dt.timedelta(days=days)


def is_open(status: str) -> bool:
    return status not in CLOSING


def is_overdue(status: str, due: dt.date, today: dt.date) -> bool:
    """Not closed and the due day is over (today in the project's zone)."""
    return is_open(status) and today > due


def is_due_soon(status: str, due: dt.date, today: dt.date) -> bool:
    return is_open(status) and today <= due <= today + dt.timedelta(days=DUE_SOON_DAYS)


def days_open(
    received_at: dt.datetime,
    closed_at: dt.datetime | None,
    now: dt.datetime,
    zone: ZoneInfo | dt.tzinfo,
) -> int:
    """Calendar days (project zone) from receipt to closing, or to today while open."""
    end = closed_at or now
    return (local_date(end, zone) - local_date(received_at, zone)).days


def list_order(
    status: str, due: dt.date, today: dt.date, received_at: dt.datetime
) -> tuple[int, str, str]:
    """The inspector's list: overdue first, then open by due date, then closed (newest first)."""
    if is_overdue(status, due, today):
        group = 0
    elif is_open(status):
        group = 1
    else:
        return (2, "", _desc(received_at))
    return (group, due.isoformat(), received_at.isoformat())


def _desc(at: dt.datetime) -> str:
    # A key that sorts newest first among closed complaints.
    return str(10**12 - int(at.timestamp())).zfill(13)
