"""OPERLOG: what a terminal posts to `/iclock/cdata?table=OPERLOG`.

Unlike ATTLOG, every line starts with its kind and a space:

    OPLOG <OpType><HT><Operator><HT><OpTime><HT><OpWho><HT><Value1><HT><Value2><HT><Value3>
    USER PIN=..<HT>Name=..<HT>Pri=..<HT>Passwd=..<HT>Card=..<HT>Grp=..<HT>TZ=..<HT>Verify=..
    FACE PIN=..<HT>FID=..<HT>Valid=..<HT>Size=..<HT>TMP=..       (near-infrared face template)
    BIOPHOTO PIN=..<HT>FileName=..<HT>Type=..<HT>Size=..<HT>Content=..   (comparison photo)
    USERPIC PIN=..<HT>FileName=..<HT>Size=..<HT>Content=..       (the user's display photo)

and FP / FVEIN / BIODATA lines in the same key=value form. OpType codes are the document's
appendix 3 (0 power on, 2 verification failed, 30 new user, 70 name changed, 101 face enrolled,
...). Kinds this codec does not know come back as `UnknownRecord` with their raw text, so a
firmware that adds one never makes a whole batch fail. Server answer: `OK: <n>`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

from terminals.zkteco_push import text
from terminals.zkteco_push.errors import ZkProtocolError

OP_POWER_ON = 0
OP_VERIFY_FAILED = 2
OP_ALARM = 3
OP_DELETE_USER = 9
OP_NEW_USER = 30
OP_USER_PHOTO_ENROLLED = 68
OP_FACE_ENROLLED = 101

# key=value kinds; their PIN key is spelled PIN or Pin (BIODATA, FVEIN), matched either way.
BIOMETRIC_KINDS = frozenset({"FACE", "BIOPHOTO", "USERPIC", "FP", "FVEIN", "BIODATA"})


@dataclass(frozen=True)
class OpLogRecord:
    op_type: int
    operator: str  # admin PIN who did it, "0" for the terminal itself
    time: datetime  # naive, the terminal's wall clock
    objects: tuple[str, ...]  # OpWho, Value1..3; meaning depends on op_type (appendix 4)
    raw: str
    line_no: int = field(default=0, compare=False)


@dataclass(frozen=True)
class UserRecord:
    pin: str
    name: str
    privilege: int
    card: str
    group: str
    fields: Mapping[str, str]  # every key as sent, upper-cased
    raw: str
    line_no: int = field(default=0, compare=False)


@dataclass(frozen=True)
class BiometricRecord:
    """FACE / BIOPHOTO / USERPIC / FP / FVEIN / BIODATA: a template or photo of one user."""

    kind: str
    pin: str
    fields: Mapping[str, str]
    raw: str
    line_no: int = field(default=0, compare=False)

    @property
    def data(self) -> bytes | None:
        """The decoded Content (photos) or TMP (templates), None when absent or not base64."""
        encoded = text.field(self.fields, "CONTENT") or text.field(self.fields, "TMP")
        if not encoded:
            return None
        try:
            return base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            return None


@dataclass(frozen=True)
class UnknownRecord:
    kind: str
    raw: str
    line_no: int = field(default=0, compare=False)


OperLogRecord = OpLogRecord | UserRecord | BiometricRecord | UnknownRecord


def _oplog(rest: str, raw: str, line_no: int) -> OpLogRecord:
    parts = rest.split(text.HT)
    if len(parts) < 3:
        raise ZkProtocolError(
            "zk.operlog.too_few_fields",
            f"OPLOG 记录至少需要操作代码、操作者和时间三个字段，实际 {len(parts)} 个",
            f"an OPLOG line needs at least op type, operator and time, got {len(parts)} fields",
            line_no=line_no,
        )
    return OpLogRecord(
        op_type=text.parse_int("OpType", parts[0], line_no=line_no),
        operator=parts[1],
        time=text.parse_time(parts[2].strip(), line_no=line_no),
        objects=tuple(parts[3:]),
        raw=raw,
        line_no=line_no,
    )


def _pin(kind: str, fields: Mapping[str, str], line_no: int) -> str:
    pin = text.field(fields, "PIN").strip()
    if not pin:
        raise ZkProtocolError(
            "zk.operlog.no_pin",
            f"{kind} 记录缺少 PIN",
            f"{kind} line has no PIN",
            line_no=line_no,
        )
    return pin


def parse_operlog_line(line: str, line_no: int = 0) -> OperLogRecord:
    kind, _, rest = line.partition(" ")
    kind = kind.strip().upper()
    if kind == "OPLOG":
        return _oplog(rest, line, line_no)
    if kind == "USER":
        fields = text.split_record(rest)
        pri = text.field(fields, "PRI", "0") or "0"
        return UserRecord(
            pin=_pin(kind, fields, line_no),
            name=text.field(fields, "NAME"),
            privilege=text.parse_int("Pri", pri, line_no=line_no),
            card=text.field(fields, "CARD"),
            group=text.field(fields, "GRP"),
            fields=MappingProxyType(fields),
            raw=line,
            line_no=line_no,
        )
    if kind in BIOMETRIC_KINDS:
        fields = text.split_record(rest)
        return BiometricRecord(
            kind, _pin(kind, fields, line_no), MappingProxyType(fields), line, line_no
        )
    return UnknownRecord(kind, line, line_no)


@dataclass(frozen=True)
class OperLogParse:
    records: tuple[OperLogRecord, ...]
    errors: tuple[ZkProtocolError, ...]


def split_operlog(body: str) -> OperLogParse:
    """Every parsable record and one error per malformed line (see attlog.split_attlog)."""
    good: list[OperLogRecord] = []
    bad: list[ZkProtocolError] = []
    for line_no, line in text.lines(body):
        try:
            good.append(parse_operlog_line(line, line_no))
        except ZkProtocolError as exc:
            bad.append(exc)
    return OperLogParse(tuple(good), tuple(bad))


def parse_operlog(body: str) -> list[OperLogRecord]:
    """All records, or the first malformed line's ZkProtocolError."""
    result = split_operlog(body)
    if result.errors:
        raise result.errors[0]
    return list(result.records)


def format_oplog(
    op_type: int,
    time: datetime,
    *,
    operator: str = "0",
    objects: Iterable[str] = ("0", "0", "0", "0"),
) -> str:
    """One OPLOG line as a terminal writes it (the emulator's verification-failure event)."""
    parts = [str(op_type), operator, text.format_time(time), *objects]
    return "OPLOG " + text.HT.join(text.check_value("OPLOG", p) for p in parts)
