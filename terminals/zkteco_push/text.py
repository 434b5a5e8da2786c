"""The PUSH text grammar shared by every body: lines, tab-separated `key=value` records, times.

The protocol separates fields with HT (tab) and records with LF; values are bare text with no
quoting or escaping at all. So a value holding a tab, CR or LF would split into extra fields or
records on the other side: such values are refused here, never passed on (input never becomes
a command). Keys are matched case-insensitively because the document itself spells some of them
both ways (`PIN=` for USERINFO, `Pin=` for BIODATA).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime

from terminals.zkteco_push.errors import ZkProtocolError

HT = "\t"
LF = "\n"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
# Any C0 control, DEL or C1 control: tab/CR/LF would break the framing, the rest has no business
# in a name or card number and would reach logs and screens verbatim.
_INT_RE = re.compile(r"[+-]?[0-9]+")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def lines(body: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) for each non-blank line; CRLF and trailing blank lines ok."""
    for number, line in enumerate(body.split(LF), start=1):
        line = line.removesuffix("\r")
        if line.strip():
            yield number, line


def check_value(name: str, value: str) -> str:
    """`value` unchanged if it can travel as one PUSH field value, else ZkProtocolError."""
    if _CONTROL_RE.search(value):
        raise ZkProtocolError(
            "zk.value.control_char",
            f"字段 {name} 含有制表符、换行或其他控制字符，不能下发",
            f"field {name} contains a tab, newline or other control character",
        )
    return value


def check_token(name: str, value: str, pattern: re.Pattern[str]) -> str:
    """`value` if it matches `pattern` in full (PINs, command ids, serial numbers)."""
    if not pattern.fullmatch(value):
        raise ZkProtocolError(
            f"zk.value.bad_{name.lower()}",
            f"{name} 格式不正确：{value[:40]!r}",
            f"{name} is malformed: {value[:40]!r}",
        )
    return value


def join_record(pairs: Iterator[tuple[str, str]] | list[tuple[str, str]]) -> str:
    """`k1=v1<HT>k2=v2...`, every value checked."""
    return HT.join(f"{key}={check_value(key, value)}" for key, value in pairs)


def split_record(record: str) -> dict[str, str]:
    """`k1=v1<HT>k2=v2` -> {"K1": "v1", ...}: keys upper-cased, the value is everything after the
    first "=" (base64 ends in "=" padding). A field without "=" is kept with an empty value."""
    fields: dict[str, str] = {}
    for part in record.split(HT):
        key, _, value = part.partition("=")
        key = key.strip()
        if key:
            fields[key.upper()] = value
    return fields


def field(fields: Mapping[str, str], key: str, default: str = "") -> str:
    return fields.get(key.upper(), default)


def parse_time(text: str, *, line_no: int | None = None) -> datetime:
    """`YYYY-MM-DD HH:MM:SS` as the naive device-local time it is (no zone on the wire)."""
    if not _TIME_RE.fullmatch(text):
        raise ZkProtocolError(
            "zk.value.bad_time",
            f"时间格式应为 YYYY-MM-DD HH:MM:SS：{text[:40]!r}",
            f"time must be YYYY-MM-DD HH:MM:SS: {text[:40]!r}",
            line_no=line_no,
        )
    try:
        # Device-local wall time; the zone is the TimeZone option the server handed out.
        return datetime.strptime(text, TIME_FORMAT)  # noqa: DTZ007
    except ValueError:
        raise ZkProtocolError(
            "zk.value.bad_time",
            f"不存在的日期时间：{text!r}",
            f"no such date/time: {text!r}",
            line_no=line_no,
        ) from None


def format_time(value: datetime) -> str:
    return value.strftime(TIME_FORMAT)


def parse_int(name: str, text: str, *, line_no: int | None = None) -> int:
    # ASCII digits only: int() would also take full-width and other Unicode digits.
    if not _INT_RE.fullmatch(text.strip()):
        raise ZkProtocolError(
            f"zk.value.bad_{name.lower()}",
            f"{name} 应为整数：{text[:40]!r}",
            f"{name} must be an integer: {text[:40]!r}",
            line_no=line_no,
        )
    return int(text.strip())
