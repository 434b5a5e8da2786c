"""ATTLOG: the attendance lines a terminal posts to `/iclock/cdata?table=ATTLOG`.

One record per LF-separated line, fields separated by HT:

    PIN  Time  Status  Verify  Workcode  Reserved1  Reserved2  [MaskFlag  Temperature ...]

`Time` is `YYYY-MM-DD HH:MM:SS` in the terminal's own clock (no zone; the zone is the
`TimeZone` option the server handed out). `Status` is the attendance state the user picked or
the terminal defaulted to (0 check-in, 1 check-out, 2 break-out, 3 break-in, 4 overtime-in,
5 overtime-out). `Verify` is how the user was identified, from the document's appendix 7:
1 fingerprint, 3 password, 4 card, 15 face, 0 "any/automatic", 200 other; the full table is
`VERIFY_MODES`. Older firmware and many public servers read 0 as password and 2 as card (the
pre-PUSH standalone SDK's numbering); the document's table gives 2 as "PIN only" and 4 as card,
which is what this codec and the emulator use. A server should treat Verify as evidence, never as
the basis of a decision. Firmware since 2.4 appends MaskFlag, Temperature, ConvTemperature,
TimeOffset and ExtendData; everything after Workcode is kept as `reserved` strings.

Each parsed line keeps its raw text (without the line ending) and its 1-based line number: the
device sends the same lines again whenever it is unsure they arrived (no OK seen, Stamp reset to
0, CHECK command), so the server de-duplicates on (serial number, raw line).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from terminals.zkteco_push import text
from terminals.zkteco_push.errors import ZkProtocolError

STATUS_CHECK_IN = 0
STATUS_CHECK_OUT = 1
STATUS_BREAK_OUT = 2
STATUS_BREAK_IN = 3
STATUS_OVERTIME_IN = 4
STATUS_OVERTIME_OUT = 5

VERIFY_ANY = 0
VERIFY_FINGERPRINT = 1
VERIFY_PIN = 2
VERIFY_PASSWORD = 3
VERIFY_CARD = 4
VERIFY_FACE = 15
VERIFY_FACE_AND_CARD = 18
VERIFY_OTHER = 200

VERIFY_MODES: dict[int, str] = {
    0: "fingerprint, face, vein, card or password (automatic)",
    1: "fingerprint",
    2: "PIN (user number)",
    3: "password",
    4: "card",
    5: "fingerprint or password",
    6: "fingerprint or card",
    7: "card or password",
    8: "PIN and fingerprint",
    9: "fingerprint and password",
    10: "card and fingerprint",
    11: "card and password",
    12: "fingerprint, password and card",
    13: "PIN, fingerprint and password",
    14: "PIN and fingerprint, or card and fingerprint",
    15: "face",
    16: "face and fingerprint",
    17: "face and password",
    18: "face and card",
    19: "face, fingerprint and card",
    20: "face, fingerprint and password",
    21: "finger vein",
    22: "finger vein and password",
    23: "finger vein and card",
    24: "finger vein, password and card",
    25: "palm",
    26: "palm and card",
    27: "palm and face",
    28: "palm and fingerprint",
    29: "palm, fingerprint and face",
    200: "other",
}

MIN_FIELDS = 4  # PIN, Time, Status, Verify: without these a line says nothing about a passage


@dataclass(frozen=True)
class AttLogLine:
    """One attendance record. Equality ignores `line_no` (where it sat in its body)."""

    pin: str
    time: datetime  # naive, the terminal's wall clock
    status: int
    verify: int
    workcode: str
    reserved: tuple[str, ...]
    raw: str
    line_no: int = field(default=0, compare=False)


def attlog_line(
    pin: str,
    time: datetime,
    *,
    status: int = STATUS_CHECK_IN,
    verify: int = VERIFY_FACE,
    workcode: str = "0",
    reserved: Sequence[str] = ("0", "0"),
) -> AttLogLine:
    """A record as a terminal writes it (raw text computed); values checked like any field."""
    for name, value in (("PIN", pin), ("Workcode", workcode), *(("Reserved", r) for r in reserved)):
        text.check_value(name, value)
    if not pin:
        raise ZkProtocolError("zk.attlog.no_pin", "工号为空", "PIN is empty")
    fields = [pin, text.format_time(time), str(status), str(verify), workcode, *reserved]
    return AttLogLine(
        pin,
        time.replace(microsecond=0),
        status,
        verify,
        workcode,
        tuple(reserved),
        text.HT.join(fields),
    )


def parse_attlog_line(line: str, line_no: int = 0) -> AttLogLine:
    """One line (no line ending) -> AttLogLine, or ZkProtocolError naming `line_no`."""
    parts = line.split(text.HT)
    if len(parts) < MIN_FIELDS:
        raise ZkProtocolError(
            "zk.attlog.too_few_fields",
            f"考勤记录至少需要 {MIN_FIELDS} 个以制表符分隔的字段（工号、时间、状态、验证方式），"
            f"实际 {len(parts)} 个",
            f"an attendance line needs at least {MIN_FIELDS} tab-separated fields "
            f"(PIN, time, status, verify), got {len(parts)}",
            line_no=line_no,
        )
    pin = parts[0].strip()
    if not pin:
        raise ZkProtocolError("zk.attlog.no_pin", "工号为空", "PIN is empty", line_no=line_no)
    return AttLogLine(
        pin=pin,
        time=text.parse_time(parts[1].strip(), line_no=line_no),
        status=text.parse_int("Status", parts[2], line_no=line_no),
        verify=text.parse_int("Verify", parts[3], line_no=line_no),
        workcode=parts[4] if len(parts) > 4 else "0",
        reserved=tuple(parts[5:]),
        raw=line,
        line_no=line_no,
    )


@dataclass(frozen=True)
class AttLogParse:
    """Every good line and one error per bad line, in body order."""

    lines: tuple[AttLogLine, ...]
    errors: tuple[ZkProtocolError, ...]


def split_attlog(body: str) -> AttLogParse:
    """Parse what can be parsed. A server should store the good lines and log the bad ones: an
    error answer makes the terminal post the very same batch again, forever."""
    good: list[AttLogLine] = []
    bad: list[ZkProtocolError] = []
    for line_no, line in text.lines(body):
        try:
            good.append(parse_attlog_line(line, line_no))
        except ZkProtocolError as exc:
            bad.append(exc)
    return AttLogParse(tuple(good), tuple(bad))


def parse_attlog(body: str) -> list[AttLogLine]:
    """All lines, or ZkProtocolError for the first malformed one (its message names the line and
    how many others are bad)."""
    result = split_attlog(body)
    if result.errors:
        first = result.errors[0]
        more = len(result.errors) - 1
        if not more:
            raise first
        raise ZkProtocolError(
            first.code,
            f"{first.detail_zh}（另有 {more} 行有误）",
            f"{first.detail_en} (and {more} more bad lines)",
            line_no=first.line_no,
        )
    return list(result.lines)


def format_attlog(lines: Iterable[AttLogLine]) -> str:
    """The POST body: each record's raw text, LF-separated, no trailing LF (as the document's
    example). Records made with `attlog_line` or parsed from a body both carry `raw`."""
    return text.LF.join(line.raw for line in lines)
