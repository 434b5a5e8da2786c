"""Server -> terminal commands (the `GET /iclock/getrequest` answer) and their results
(the `POST /iclock/devicecmd` body).

A command line is `C:<CmdID>:<CmdDesc> <record>`; CmdID is the server's, letters and digits, at
most 16 characters, echoed back in the result. Several commands go in one answer, one per LF
line; with nothing queued the answer is `OK`. The data commands used for a gate:

    C:<id>:DATA UPDATE USERINFO PIN=..<HT>Name=..<HT>Pri=..<HT>Passwd=..<HT>Card=..<HT>Grp=..
                                <HT>TZ=..   (one line on the wire)
    C:<id>:DATA UPDATE BIOPHOTO PIN=..<HT>Type=9<HT>Size=..<HT>Content=<base64><HT>Format=0
    C:<id>:DATA UPDATE USERPIC PIN=..<HT>Size=..<HT>Content=<base64>
    C:<id>:DATA DELETE USERINFO PIN=..          (also removes the user's photos and templates)
    C:<id>:DATA DELETE BIOPHOTO PIN=..<HT>Type=9
    C:<id>:DATA DELETE USERPIC PIN=..

BIOPHOTO ("比对照片", comparison photo, visible-light devices only) is the one a face terminal
matches against: it extracts its own template from the JPEG. Type 9 is visible-light face.
USERPIC is only the photo shown on screen; it enrols nothing. (`DATA UPDATE BIODATA ... Type=9`
would carry a ready template, which needs ZKTeco's algorithm and is not done here.) `Size` is the
length of the base64 text, not of the JPEG (the document says so; some servers get it wrong, and
a terminal answers -2 when it does not match).

Each result line is `ID=<CmdID>&Return=<int>&CMD=<word>` (CMD is `DATA` for every data command);
0 is success and the negative codes are the document's appendix 1 (`RETURN_*`). Server answer to
the result post: `OK`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from terminals.zkteco_push import text
from terminals.zkteco_push.errors import ZkProtocolError

RETURN_OK = 0
RETURN_BAD_PARAMETER = -1
RETURN_PHOTO_SIZE_MISMATCH = -2
RETURN_IO_ERROR = -3
RETURN_TEMPLATE_SIZE_MISMATCH = -9
RETURN_NO_SUCH_USER = -10
RETURN_CAPACITY = -1001
RETURN_UNSUPPORTED = -1002
RETURN_TIMEOUT = -1003
RETURN_BUSY = -1005
RETURN_TOO_LONG = -1006
RETURN_FETCH_FAILED = -1008

BIO_TYPE_VISIBLE_FACE = 9
NO_COMMANDS = "OK"

_CMD_ID_RE = re.compile(r"[A-Za-z0-9]{1,16}")
# PINs are the user numbers typed on the keypad: digits on most firmware, letters on some.
_PIN_RE = re.compile(r"[A-Za-z0-9]{1,24}")
_BASE64_RE = re.compile(r"[A-Za-z0-9+/]*={0,2}")


_HEX_CARD_RE = re.compile(r"\[([0-9A-Fa-f]{8})\]")


def check_pin(pin: str) -> str:
    return text.check_token("PIN", pin, _PIN_RE)


def card_number(card: str) -> str:
    """A Card= value as the decimal number printed on the card. The document allows two forms:
    the number itself, or `[%02x%02x%02x%02x]` with the four bytes least significant first
    (123456789 -> `[15CD5B07]`). Anything else is returned stripped, unchanged."""
    card = card.strip()
    match = _HEX_CARD_RE.fullmatch(card)
    if match:
        return str(int.from_bytes(bytes.fromhex(match.group(1)), "little"))
    return str(int(card)) if card.isascii() and card.isdigit() else card


@dataclass(frozen=True)
class UpdateUser:
    pin: str
    name: str = ""
    card: str = ""
    privilege: int = 0  # 0 user, 2 enroller, 6 admin, 14 super admin
    password: str = ""
    group: int = 1
    timezones: str = "0000000000000000"  # "use the group's time zones"


@dataclass(frozen=True)
class UpdateBioPhoto:
    """The comparison photo (JPEG) the terminal enrols a face from."""

    pin: str
    content: bytes = b""  # the JPEG; empty with `url`
    url: str = ""  # Format=1: the terminal fetches it (not emulated)
    bio_type: int = BIO_TYPE_VISIBLE_FACE
    size: int | None = None  # as sent; None = len(base64(content)). Parsed commands keep theirs.


@dataclass(frozen=True)
class UpdateUserPic:
    pin: str
    content: bytes = b""
    url: str = ""
    size: int | None = None


@dataclass(frozen=True)
class DeleteUser:
    pin: str


@dataclass(frozen=True)
class DeleteBioPhoto:
    pin: str
    bio_type: int = BIO_TYPE_VISIBLE_FACE


@dataclass(frozen=True)
class DeleteUserPic:
    pin: str


@dataclass(frozen=True)
class OtherCommand:
    """Anything else (REBOOT, CHECK, SET OPTION, DATA QUERY ...), kept as its text."""

    desc: str  # the first word: what the result's CMD= echoes
    text: str  # everything after "C:<id>:"


Command = (
    UpdateUser
    | UpdateBioPhoto
    | UpdateUserPic
    | DeleteUser
    | DeleteBioPhoto
    | DeleteUserPic
    | OtherCommand
)


@dataclass(frozen=True)
class IssuedCommand:
    cmd_id: str
    command: Command
    line_no: int = 0


def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def _photo_pairs(content: bytes, url: str, size: int | None) -> list[tuple[str, str]]:
    if url:
        return [("Format", "1"), ("Url", url)]
    encoded = _b64(content)
    return [("Size", str(len(encoded) if size is None else size)), ("Content", encoded)]


def command_text(command: Command) -> str:
    """The part after `C:<id>:`, every value checked (control characters refused)."""
    if isinstance(command, OtherCommand):
        return text.check_value("command", command.text)
    pin = check_pin(command.pin)
    if isinstance(command, UpdateUser):
        record = text.join_record(
            [
                ("PIN", pin),
                ("Name", command.name),
                ("Pri", str(command.privilege)),
                ("Passwd", command.password),
                ("Card", command.card),
                ("Grp", str(command.group)),
                ("TZ", command.timezones),
            ]
        )
        return f"DATA UPDATE USERINFO {record}"
    if isinstance(command, UpdateBioPhoto):
        pairs = [("PIN", pin), ("Type", str(command.bio_type))]
        pairs += _photo_pairs(command.content, command.url, command.size)
        if not command.url:
            pairs.append(("Format", "0"))
        return f"DATA UPDATE BIOPHOTO {text.join_record(pairs)}"
    if isinstance(command, UpdateUserPic):
        pairs = [("PIN", pin), *_photo_pairs(command.content, command.url, command.size)]
        return f"DATA UPDATE USERPIC {text.join_record(pairs)}"
    if isinstance(command, DeleteUser):
        return f"DATA DELETE USERINFO PIN={pin}"
    if isinstance(command, DeleteBioPhoto):
        return f"DATA DELETE BIOPHOTO PIN={pin}{text.HT}Type={command.bio_type}"
    return f"DATA DELETE USERPIC PIN={pin}"


def format_command(cmd_id: str | int, command: Command) -> str:
    """`C:<id>:<text>`; ZkProtocolError for a bad id or a value that would break the framing."""
    cid = text.check_token("CmdID", str(cmd_id), _CMD_ID_RE)
    return f"C:{cid}:{command_text(command)}"


def format_commands(commands: Iterable[tuple[str | int, Command]]) -> str:
    """A whole getrequest answer: the commands LF-separated, or `OK` when there are none."""
    lines = [format_command(cmd_id, command) for cmd_id, command in commands]
    return text.LF.join(lines) if lines else NO_COMMANDS


def _photo_fields(fields: Mapping[str, str], line_no: int) -> tuple[bytes, str, int | None]:
    url = text.field(fields, "URL") if text.field(fields, "FORMAT", "0") == "1" else ""
    encoded = text.field(fields, "CONTENT")
    if not _BASE64_RE.fullmatch(encoded) or len(encoded) % 4:
        raise ZkProtocolError(
            "zk.command.bad_base64",
            "照片内容不是 base64",
            "photo content is not base64",
            line_no=line_no,
        )
    size_text = text.field(fields, "SIZE")
    size = text.parse_int("Size", size_text, line_no=line_no) if size_text else None
    return base64.b64decode(encoded), url, size


def _data_command(rest: str, line_no: int) -> Command:
    words = rest.split(" ", 2)
    action = words[0].upper() if words else ""
    table = words[1].upper() if len(words) > 1 else ""
    fields = text.split_record(words[2]) if len(words) > 2 else {}
    pin = text.field(fields, "PIN").strip()
    if action in {"UPDATE", "DELETE"} and table in {"USERINFO", "BIOPHOTO", "USERPIC"} and not pin:
        raise ZkProtocolError(
            "zk.command.no_pin",
            f"{table} 命令缺少 PIN",
            f"{table} command has no PIN",
            line_no=line_no,
        )
    bio_type = text.parse_int("Type", text.field(fields, "TYPE", "9") or "9", line_no=line_no)
    match action, table:
        case "UPDATE", "USERINFO":
            return UpdateUser(
                pin=pin,
                name=text.field(fields, "NAME"),
                card=text.field(fields, "CARD"),
                privilege=text.parse_int(
                    "Pri", text.field(fields, "PRI", "0") or "0", line_no=line_no
                ),
                password=text.field(fields, "PASSWD") or text.field(fields, "PASSWORD"),
                group=text.parse_int("Grp", text.field(fields, "GRP", "1") or "1", line_no=line_no),
                timezones=text.field(fields, "TZ", "0000000000000000"),
            )
        case "UPDATE", "BIOPHOTO":
            content, url, size = _photo_fields(fields, line_no)
            return UpdateBioPhoto(pin, content, url, bio_type, size)
        case "UPDATE", "USERPIC":
            content, url, size = _photo_fields(fields, line_no)
            return UpdateUserPic(pin, content, url, size)
        case "DELETE", "USERINFO":
            return DeleteUser(pin)
        case "DELETE", "BIOPHOTO":
            return DeleteBioPhoto(pin, bio_type)
        case "DELETE", "USERPIC":
            return DeleteUserPic(pin)
    return OtherCommand("DATA", f"DATA {rest}")


def parse_command(line: str, line_no: int = 0) -> IssuedCommand:
    """One `C:<id>:...` line (the terminal's side)."""
    head, sep1, after = line.partition(":")
    cmd_id, sep2, body = after.partition(":")
    if head != "C" or not sep1 or not sep2 or not cmd_id or not body:
        raise ZkProtocolError(
            "zk.command.bad_line",
            f"命令行应为 C:<编号>:<命令>：{line[:40]!r}",
            f"a command line is C:<id>:<command>: {line[:40]!r}",
            line_no=line_no,
        )
    desc, _, rest = body.partition(" ")
    if desc == "DATA":
        return IssuedCommand(cmd_id, _data_command(rest, line_no), line_no)
    return IssuedCommand(cmd_id, OtherCommand(desc, body), line_no)


def parse_commands(body: str) -> list[IssuedCommand]:
    """A whole getrequest answer; `OK` (or nothing) is no commands."""
    if body.strip() in {"", NO_COMMANDS}:
        return []
    return [parse_command(line, line_no) for line_no, line in text.lines(body)]


def result_cmd(command: Command) -> str:
    """What CMD= says in the result of `command`."""
    return command.desc if isinstance(command, OtherCommand) else "DATA"


@dataclass(frozen=True)
class CommandResult:
    cmd_id: str
    return_code: int
    cmd: str
    extra: Mapping[str, str]  # any other &key=value (VERIFY SUM's AttlogSum, ...)
    detail: tuple[str, ...] = ()  # following lines without ID= (INFO's key=value dump)
    line_no: int = 0

    @property
    def ok(self) -> bool:
        """0 is success for every data command (a few others return sizes or enrol codes)."""
        return self.return_code == RETURN_OK


def format_command_result(cmd_id: str, return_code: int, cmd: str = "DATA") -> str:
    text.check_value("ID", cmd_id)
    text.check_value("CMD", cmd)
    if "&" in cmd_id or "&" in cmd:
        raise ZkProtocolError("zk.result.ampersand", "ID/CMD 不能含 &", "ID/CMD cannot contain &")
    return f"ID={cmd_id}&Return={return_code}&CMD={cmd}"


def parse_command_results(body: str) -> list[CommandResult]:
    """Every `ID=..&Return=..&CMD=..` line; lines that do not start with ID= belong to the
    result above them (INFO dumps its options that way)."""
    results: list[CommandResult] = []
    for line_no, line in text.lines(body):
        if not line.startswith("ID="):
            if not results:
                raise ZkProtocolError(
                    "zk.result.bad_line",
                    f"命令回复应以 ID= 开头：{line[:40]!r}",
                    f"a command result starts with ID=: {line[:40]!r}",
                    line_no=line_no,
                )
            last = results[-1]
            results[-1] = CommandResult(
                last.cmd_id,
                last.return_code,
                last.cmd,
                last.extra,
                (*last.detail, line),
                last.line_no,
            )
            continue
        pairs: dict[str, str] = {}
        for part in line.split("&"):
            key, _, value = part.partition("=")
            if key:
                pairs[key.strip().upper()] = value
        if "RETURN" not in pairs:
            raise ZkProtocolError(
                "zk.result.no_return",
                "命令回复缺少 Return",
                "command result has no Return",
                line_no=line_no,
            )
        cmd_id = pairs.pop("ID").strip()
        if not cmd_id:
            raise ZkProtocolError(
                "zk.result.no_id",
                "命令回复缺少命令编号",
                "command result has no ID",
                line_no=line_no,
            )
        return_code = text.parse_int("Return", pairs.pop("RETURN"), line_no=line_no)
        cmd = pairs.pop("CMD", "")
        results.append(
            CommandResult(cmd_id, return_code, cmd, MappingProxyType(pairs), (), line_no)
        )
    return results
