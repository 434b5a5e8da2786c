"""What an objection may say, checked as plain functions (the form's text in, issues out)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

TEXT_MAX = 500  # a phone's few sentences; the manager calls back for the rest
REPLY_MAX = 1000
_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ObjectionKind(StrEnum):
    DAYS = "days"  # 考勤有误
    PAY = "pay"  # 工资有误


class ObjectionStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Issue:
    field: str
    message_zh: str
    message_en: str


@dataclass(frozen=True, slots=True)
class NewObjection:
    period: str
    kind: ObjectionKind
    text: str


def check_text(value: str, field: str, max_len: int, *, what: tuple[str, str]) -> Issue | str:
    """Stripped text within `max_len`, no control characters; an Issue otherwise."""
    text = value.strip().replace("\r\n", "\n")
    if not text:
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


def validate(
    period: str, kind: str, text: str, *, today: dt.date
) -> tuple[NewObjection | None, list[Issue]]:
    """A new objection about a month up to the current one, days or pay, with a short text."""
    issues: list[Issue] = []
    m = _PERIOD.fullmatch(period.strip())
    if m is None or not 1 <= int(m.group(2)) <= 12:
        issues.append(Issue("period", "请选择月份(如 2026-02)", "choose a month (e.g. 2026-02)"))
    elif (int(m.group(1)), int(m.group(2))) > (today.year, today.month):
        issues.append(Issue("period", "不能对还没到的月份提出异议", "that month has not come yet"))
    if kind not in ObjectionKind.__members__.values():
        issues.append(Issue("kind", "请选择考勤或工资", "choose days or pay"))
    body = check_text(text, "text", TEXT_MAX, what=("异议内容", "objection"))
    if isinstance(body, Issue):
        issues.append(body)
    if issues or isinstance(body, Issue):
        return None, issues
    return NewObjection(period.strip(), ObjectionKind(kind), body), []
