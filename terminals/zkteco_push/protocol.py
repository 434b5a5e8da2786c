"""The ZKTeco PUSH ("iclock", ADMS) codec: pure functions over the protocol's text, no I/O.

The terminal is the HTTP client and starts every exchange:

    GET  /iclock/cdata?SN=<sn>&options=all&pushver=2.4.1&language=83   register -> options block
    POST /iclock/cdata?SN=<sn>&table=ATTLOG&Stamp=<s>     attendance lines   -> "OK: <n>"
    POST /iclock/cdata?SN=<sn>&table=OPERLOG&Stamp=<s>    users, photos, ops -> "OK: <n>"
    GET  /iclock/getrequest?SN=<sn>[&INFO=...]            poll               -> commands or "OK"
    POST /iclock/devicecmd?SN=<sn>                        command results    -> "OK"
    GET  /iclock/ping?SN=<sn>                             keep-alive during long uploads -> "OK"

Bodies are plain text, UTF-8 (the document says Chinese-language firmware uses GB2312 for user
names and short messages: that is the HTTP layer's charset, this codec works on str). Fields are
separated by HT and records by LF; the options block is LF-separated too (the document: "使用 LF
间隔"); CRLF is accepted everywhere on input.

Stamps. `ATTLOGStamp`, `OPERLOGStamp`, `ATTPHOTOStamp` (and BIODATA/IDCARD/ERRORLOG) in the
options block are resume marks: with each upload the terminal sends `Stamp=<mark of the newest
record in this post>`, the server keeps the last one per table, and at the next registration
hands it back so the terminal continues after it. The values are opaque to the server (firmware
encodes them as it likes: "9999", a count, a time code); "None" is the usual answer for a device
the server has never seen. The document's one firm rule: a stamp of 0 makes the terminal upload
that table again from the start (also what the CHECK command triggers). It also says the scheme
is unreliable (a changed device clock confuses it) and that new firmware only honours the 0 rule.
So a server must never rely on stamps for completeness: re-sends happen after a lost "OK",
after a Stamp reset, after CHECK, after a reboot mid-upload; the server de-duplicates by (SN, raw
line) and answers OK for duplicates too (an error answer makes the terminal post the same batch
forever). The emulator models exactly that: its stamp is the count of lines it has had
acknowledged, and a registration answer with a lower stamp (0 included) rewinds it.

Answers: an upload is acknowledged with `OK: <n>`, n the number of records processed (the
document's template; its own example writes `OK:9`, and terminals accept both); anything that
does not start with "OK" is an error text and the terminal keeps the records for the next try.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from terminals.zkteco_push import text
from terminals.zkteco_push.attlog import (
    VERIFY_CARD,
    VERIFY_FACE,
    VERIFY_MODES,
    AttLogLine,
    AttLogParse,
    attlog_line,
    format_attlog,
    parse_attlog,
    parse_attlog_line,
    split_attlog,
)
from terminals.zkteco_push.commands import (
    NO_COMMANDS,
    Command,
    CommandResult,
    DeleteBioPhoto,
    DeleteUser,
    DeleteUserPic,
    IssuedCommand,
    OtherCommand,
    UpdateBioPhoto,
    UpdateUser,
    UpdateUserPic,
    card_number,
    check_pin,
    format_command,
    format_command_result,
    format_commands,
    parse_command,
    parse_command_results,
    parse_commands,
    result_cmd,
)
from terminals.zkteco_push.errors import ZkProtocolError
from terminals.zkteco_push.operlog import (
    BiometricRecord,
    OperLogRecord,
    OpLogRecord,
    UnknownRecord,
    UserRecord,
    format_oplog,
    parse_operlog,
    split_operlog,
)

__all__ = [
    "CDATA_PATH",
    "DEVICECMD_PATH",
    "GETREQUEST_PATH",
    "NO_COMMANDS",
    "PING_PATH",
    "TABLE_ATTLOG",
    "TABLE_OPERLOG",
    "VERIFY_CARD",
    "VERIFY_FACE",
    "VERIFY_MODES",
    "AttLogLine",
    "AttLogParse",
    "BiometricRecord",
    "Command",
    "CommandResult",
    "DeleteBioPhoto",
    "DeleteUser",
    "DeleteUserPic",
    "IclockQuery",
    "IssuedCommand",
    "OpLogRecord",
    "OperLogRecord",
    "OtherCommand",
    "ServerOptions",
    "UnknownRecord",
    "UpdateBioPhoto",
    "UpdateUser",
    "UpdateUserPic",
    "UserRecord",
    "ZkProtocolError",
    "attlog_line",
    "card_number",
    "check_pin",
    "error_answer",
    "format_attlog",
    "format_command",
    "format_command_result",
    "format_commands",
    "format_oplog",
    "ok_answer",
    "options_block",
    "parse_attlog",
    "parse_attlog_line",
    "parse_command",
    "parse_command_results",
    "parse_commands",
    "parse_ok_answer",
    "parse_operlog",
    "parse_options_block",
    "parse_query",
    "query_sn",
    "query_stamp",
    "query_table",
    "query_wants_options",
    "result_cmd",
    "split_attlog",
    "split_operlog",
]

CDATA_PATH = "/iclock/cdata"
GETREQUEST_PATH = "/iclock/getrequest"
DEVICECMD_PATH = "/iclock/devicecmd"
PING_PATH = "/iclock/ping"
TABLE_ATTLOG = "ATTLOG"
TABLE_OPERLOG = "OPERLOG"

OPTIONS_HEADER = "GET OPTION FROM:"
# Format two ("TransData" then tab-separated names), which the document tells servers to use. Its
# name for comparison photos is "BioPhoto" (the brief's "BIOPHOTO" is the OPERLOG line kind).
DEFAULT_TRANS_FLAG = "TransData " + "\t".join(
    [
        "AttLog",
        "OpLog",
        "AttPhoto",
        "EnrollUser",
        "ChgUser",
        "EnrollFP",
        "ChgFP",
        "UserPic",
        "FACE",
        "BioPhoto",
    ]
)
# Serial numbers on the label and in every request: letters and digits (e.g. 0316144680030,
# AAML174460003). Anything else in SN= is refused before it reaches a log line or a query.
_SN_RE = re.compile(r"[A-Za-z0-9]{1,32}")
_OK_RE = re.compile(r"OK(?::\s*(\d+))?\s*")


def _check_sn(sn: str) -> str:
    return text.check_token("SN", sn, _SN_RE)


# -- registration: the options block -----------------------------------------------------------


def options_block(
    sn: str,
    *,
    attlog_stamp: str | int,
    operlog_stamp: str | int,
    attphoto_stamp: str | int = "None",
    error_delay: int = 30,
    delay: int = 10,
    trans_times: str = "00:00;14:05",
    trans_interval: int = 1,
    trans_flag: str = DEFAULT_TRANS_FLAG,
    timezone: int = 8,
    realtime: int = 1,
    encrypt: int = 0,
    extra: Mapping[str, str] | None = None,
) -> str:
    """The answer to `GET /iclock/cdata?SN=..&options=all`: the header line, then key=value lines,
    LF-separated, in the document's order. `timezone` is hours for whole zones (8 = UTC+8) or
    minutes beyond ±60 (330 = UTC+5:30). `extra` adds keys such as ServerVer / PushProtVer."""
    pairs: list[tuple[str, str]] = [
        ("ATTLOGStamp", str(attlog_stamp)),
        ("OPERLOGStamp", str(operlog_stamp)),
        ("ATTPHOTOStamp", str(attphoto_stamp)),
        ("ErrorDelay", str(error_delay)),
        ("Delay", str(delay)),
        ("TransTimes", trans_times),
        ("TransInterval", str(trans_interval)),
        ("TransFlag", trans_flag),
        ("TimeZone", str(timezone)),
        ("Realtime", str(realtime)),
        ("Encrypt", str(encrypt)),
        *(extra or {}).items(),
    ]
    out = [f"{OPTIONS_HEADER} {_check_sn(sn)}"]
    for key, value in pairs:
        # TransFlag's format two is tab-separated on purpose; only line breaks are fatal here.
        if "\n" in value or "\r" in value or "\n" in key or "=" in key:
            raise ZkProtocolError(
                "zk.options.bad_value",
                f"配置项 {key} 含换行",
                f"option {key} contains a line break",
            )
        out.append(f"{key}={value}")
    return text.LF.join(out)


@dataclass(frozen=True)
class ServerOptions:
    """A parsed options block (the terminal's side)."""

    sn: str
    attlog_stamp: str
    operlog_stamp: str
    attphoto_stamp: str
    error_delay: int
    delay: int
    trans_times: tuple[str, ...]
    trans_interval: int
    trans_flag: str
    timezone: int
    realtime: bool
    encrypt: str
    raw: Mapping[str, str] = field(default_factory=dict)  # every key, as sent

    @property
    def utc_offset_minutes(self) -> int:
        """TimeZone read the document's way: whole hours inside ±12, else minutes."""
        return self.timezone * 60 if -12 <= self.timezone <= 14 else self.timezone


def parse_options_block(body: str) -> ServerOptions:
    """The terminal's reading of the registration answer. Missing keys take the document's
    defaults (stamps "None"); a non-integer where a number belongs is a ZkProtocolError."""
    numbered = list(text.lines(body))
    if not numbered or not numbered[0][1].startswith(OPTIONS_HEADER):
        raise ZkProtocolError(
            "zk.options.no_header",
            f"注册回复第一行应为 {OPTIONS_HEADER} <序列号>",
            f"the first line of the options block must be {OPTIONS_HEADER} <SN>",
            line_no=numbered[0][0] if numbered else 1,
        )
    sn = numbered[0][1].removeprefix(OPTIONS_HEADER).strip()
    raw: dict[str, str] = {}
    where: dict[str, int] = {}
    for line_no, line in numbered[1:]:
        key, sep, value = line.partition("=")
        if not sep:
            raise ZkProtocolError(
                "zk.options.bad_line",
                f"配置行应为 key=value：{line[:40]!r}",
                f"an option line is key=value: {line[:40]!r}",
                line_no=line_no,
            )
        raw[key.strip()] = value.strip(" ")
        where[key.strip()] = line_no

    def number(key: str, default: int) -> int:
        if key not in raw or raw[key] == "":
            return default
        return text.parse_int(key, raw[key], line_no=where[key])

    times = raw.get("TransTimes", "")
    return ServerOptions(
        sn=sn,
        attlog_stamp=raw.get("ATTLOGStamp", raw.get("Stamp", "None")),
        operlog_stamp=raw.get("OPERLOGStamp", raw.get("OpStamp", "None")),
        attphoto_stamp=raw.get("ATTPHOTOStamp", raw.get("PhotoStamp", "None")),
        error_delay=number("ErrorDelay", 30),
        delay=number("Delay", 10),
        trans_times=tuple(t.strip() for t in times.split(";") if t.strip()),
        trans_interval=number("TransInterval", 1),
        trans_flag=raw.get("TransFlag", ""),
        timezone=number("TimeZone", 8),
        realtime=number("Realtime", 1) == 1,
        encrypt=raw.get("Encrypt", "0"),
        raw=MappingProxyType(raw),
    )


# -- query parameters ---------------------------------------------------------------------------


def query_sn(params: Mapping[str, str]) -> str:
    """SN= (the document's spelling; `sn=` accepted), checked: letters and digits only."""
    sn = params.get("SN", params.get("sn", "")).strip()
    if not sn:
        raise ZkProtocolError("zk.query.no_sn", "请求缺少 SN 参数", "request has no SN parameter")
    return _check_sn(sn)


def query_table(params: Mapping[str, str]) -> str | None:
    """table= upper-cased (ATTLOG, OPERLOG, ATTPHOTO, BIODATA, options ...), None if absent."""
    table = params.get("table", params.get("TABLE", "")).strip()
    return table.upper() if table else None


def query_stamp(params: Mapping[str, str]) -> str | None:
    """Stamp= exactly as sent (opaque; see the module docstring), None if absent."""
    stamp = params.get("Stamp", params.get("stamp"))
    return None if stamp is None else text.check_value("Stamp", stamp.strip())


def query_wants_options(params: Mapping[str, str]) -> bool:
    """True for the registration request (`options=all`)."""
    return params.get("options", "").strip().lower() == "all"


@dataclass(frozen=True)
class IclockQuery:
    sn: str
    table: str | None
    stamp: str | None
    wants_options: bool
    push_version: str | None  # pushver=, the device's protocol version (2.2.14 when absent)
    info: tuple[str, ...]  # getrequest INFO=: firmware, users, fingerprints, records, IP, ...


def parse_query(params: Mapping[str, str]) -> IclockQuery:
    info = params.get("INFO", "")
    return IclockQuery(
        sn=query_sn(params),
        table=query_table(params),
        stamp=query_stamp(params),
        wants_options=query_wants_options(params),
        push_version=params.get("pushver") or None,
        info=tuple(v.strip() for v in info.split(",")) if info else (),
    )


# -- answers ------------------------------------------------------------------------------------


def ok_answer(n: int | None = None) -> str:
    """`OK: <n>` for an upload of n records; plain `OK` for everything else."""
    return "OK" if n is None else f"OK: {n}"


def error_answer(message: str) -> str:
    """Any text not starting with OK is an error; the terminal keeps the records and retries."""
    one_line = " ".join(message.split())
    return one_line if not one_line.upper().startswith("OK") else f"ERROR {one_line}"


def parse_ok_answer(body: str) -> int | None:
    """n from `OK: n` / `OK:n`, -1 for a bare `OK`, None when the answer is not OK at all."""
    match = _OK_RE.fullmatch(body.strip())
    if not match:
        return None
    return int(match.group(1)) if match.group(1) else -1
