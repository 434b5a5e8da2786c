"""GA 467 SAM_V frames: `AA AA AA 96 69 | Len(2, BE) | CMD Para / SW1 SW2 SW3 | data | XOR`.

Pure functions of bytes. `decode(buf)` returns `(used_len, frame | None)`; `used_len == 0` means
"need more bytes". Junk before a preamble is consumed without a frame, so a caller just loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from functools import reduce

from drivers.errors import DriverError, FrameError

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = 7  # preamble + Len1 + Len2
MAX_LEN = 4096  # largest real answer is 30 10 with 1024 B fingerprint: 0x090A

# Commands as (CMD, Para), GA 467 names in comments.
CMD_RESET_SAM = (0x10, 0xFF)  # 复位SAM
CMD_SAM_STATUS = (0x11, 0xFF)  # SAM状态检测
CMD_READ_SAM_ID = (0x12, 0xFF)  # 读SAM管理信息
CMD_FIND_CARD = (0x20, 0x01)  # 寻找证/卡
CMD_SELECT_CARD = (0x20, 0x02)  # 选取证/卡
CMD_READ_BASE = (0x30, 0x01)  # 读固定信息 (text + photo)
CMD_READ_NEWEST_ADDRESS = (0x30, 0x03)  # 读追加住址信息
CMD_READ_BASE_FP = (0x30, 0x10)  # text + photo + fingerprint
CMD_SET_BAUD = 0x60  # Para 00..04
CMD_SET_RF_FRAME = (0x61, 0xFF)  # data: 1 byte, max bytes per SAM<->RF frame

BAUD_PARAM: dict[int, int] = {115200: 0x00, 57600: 0x01, 38400: 0x02, 19200: 0x03, 9600: 0x04}


class Sw3(IntEnum):
    """SAM status byte (SW3), GA 467 §业务终端接口."""

    OK = 0x90
    NO_CONTENT = 0x91
    FIND_OK = 0x9F
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    COMMAND_ERROR = 0x21
    UNAUTHORIZED = 0x23
    UNRECOGNIZED = 0x24
    CARD_AUTH_SAM_FAILED = 0x31
    SAM_AUTH_CARD_FAILED = 0x32
    VERIFY_ERROR = 0x33
    WRONG_CARD_TYPE = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORIZED = 0x66
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81


SUCCESS_SW3 = frozenset({Sw3.OK, Sw3.FIND_OK})

# SW3 -> (code suffix, zh, en). zh strings follow the GA 467 wording.
STATUS_TEXT: dict[int, tuple[str, str, str]] = {
    Sw3.OK: ("ok", "操作成功", "success"),
    Sw3.NO_CONTENT: ("no_content", "证/卡中此项无内容", "the card has no content for this item"),
    Sw3.FIND_OK: ("find_ok", "寻找证/卡成功", "card found"),
    Sw3.CHECKSUM_ERROR: (
        "checksum_error",
        "接收业务终端数据的校验和错",
        "the SAM received a frame with a bad checksum",
    ),
    Sw3.LENGTH_ERROR: (
        "length_error",
        "接收业务终端数据的长度错",
        "the SAM received a frame with a bad length",
    ),
    Sw3.COMMAND_ERROR: (
        "command_error",
        "接收业务终端的命令错误",
        "the SAM rejected the command (bad code, value or sequence)",
    ),
    Sw3.UNAUTHORIZED: ("unauthorized", "越权操作", "unauthorized operation"),
    Sw3.UNRECOGNIZED: ("unrecognized", "无法识别的错误", "unrecognized error"),
    Sw3.CARD_AUTH_SAM_FAILED: (
        "card_auth_sam_failed",
        "证/卡认证SAM失败",
        "the card failed to authenticate the SAM",
    ),
    Sw3.SAM_AUTH_CARD_FAILED: (
        "sam_auth_card_failed",
        "SAM认证证/卡失败",
        "the SAM failed to authenticate the card",
    ),
    Sw3.VERIFY_ERROR: ("verify_error", "信息验证错误", "information verification error"),
    Sw3.WRONG_CARD_TYPE: ("wrong_card_type", "无法识别的卡类型", "unknown or wrong card type"),
    Sw3.READ_FAILED: ("read_failed", "读证/卡操作失败", "reading the card failed"),
    Sw3.RANDOM_FAILED: ("random_failed", "取随机数失败", "getting a random number failed"),
    Sw3.SELF_TEST_FAILED: (
        "self_test_failed",
        "SAM自检失败,不能接收命令",
        "SAM self-test failed; it accepts no command",
    ),
    Sw3.SAM_NOT_AUTHORIZED: ("sam_not_authorized", "SAM未经授权", "the SAM is not authorized"),
    Sw3.FIND_FAILED: ("find_failed", "寻找证/卡失败(无卡)", "no card found"),
    Sw3.SELECT_FAILED: ("select_failed", "选取证/卡失败", "selecting the card failed"),
}


class SamStatusError(DriverError):
    """The SAM answered with a non-success SW3. One subclass-free type; `sw3` says which."""

    code = "idcard.status"

    def __init__(self, sw3: int, sw1: int = 0, sw2: int = 0) -> None:
        self.sw1, self.sw2, self.sw3 = sw1, sw2, sw3
        suffix, zh, en = STATUS_TEXT.get(
            sw3, ("unknown", f"未知状态码 {sw3:02X}", f"unknown status {sw3:02X}")
        )
        detail = f" (SW1={sw1:02X} SW2={sw2:02X} SW3={sw3:02X})"
        super().__init__(zh + detail, en + detail, code=f"idcard.{suffix}")


class SamChecksumError(FrameError):
    code = "idcard.frame_checksum"


class SamLengthError(FrameError):
    code = "idcard.frame_length"


def checksum(body: bytes) -> int:
    """XOR over Len1..last data byte (everything between preamble and checksum)."""
    return reduce(lambda a, b: a ^ b, body, 0)


def _wrap(payload: bytes) -> bytes:
    length = len(payload) + 1  # + checksum
    body = length.to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([checksum(body)])


def encode_command(cmd: int, para: int, data: bytes = b"") -> bytes:
    """Host -> SAM frame."""
    return _wrap(bytes([cmd, para]) + data)


def encode_response(sw3: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    """SAM -> host frame (used by the emulator and the golden tests)."""
    return _wrap(bytes([sw1, sw2, sw3]) + data)


@dataclass(frozen=True, slots=True)
class RawFrame:
    """A frame whose checksum was verified; `payload` is everything between Len and checksum."""

    payload: bytes
    raw: bytes


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A complete frame that failed its checksum; consumed so the stream can resync."""

    raw: bytes
    expected: int
    actual: int

    def error(self) -> SamChecksumError:
        return SamChecksumError(
            f"身份证阅读器帧校验和错误: 期望 {self.expected:02X}, 实际 {self.actual:02X}",
            f"ID-card reader frame checksum mismatch: expected {self.expected:02X}, "
            f"got {self.actual:02X}",
        )


@dataclass(frozen=True, slots=True)
class SamCommand:
    cmd: int
    para: int
    data: bytes = b""

    @classmethod
    def from_payload(cls, payload: bytes) -> SamCommand:
        if len(payload) < 2:
            raise SamLengthError("命令帧过短", "command frame too short")
        return cls(payload[0], payload[1], payload[2:])


@dataclass(frozen=True, slots=True)
class SamResponse:
    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @classmethod
    def from_payload(cls, payload: bytes) -> SamResponse:
        if len(payload) < 3:
            raise SamLengthError("应答帧过短", "response frame too short")
        return cls(payload[0], payload[1], payload[2], payload[3:])

    @property
    def ok(self) -> bool:
        return self.sw3 in SUCCESS_SW3

    def raise_for_status(self) -> SamResponse:
        if not self.ok:
            raise SamStatusError(self.sw3, self.sw1, self.sw2)
        return self


def decode(buf: bytes | bytearray, *, min_len: int = 3) -> tuple[int, RawFrame | BadFrame | None]:
    """Take one frame off the front of `buf`.

    Returns (0, None) when more bytes are needed, (n, None) when n junk bytes should be dropped,
    and (n, frame) when a whole frame of n bytes (plus any junk before it) was consumed.
    `min_len` is 3 for commands and 4 for responses (the smallest legal Len).
    """
    start = bytes(buf[: len(buf)]).find(PREAMBLE)
    if start < 0:
        # Keep a tail that could be the start of a preamble split across reads.
        keep = 0
        for k in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1):
            if bytes(buf[-k:]) == PREAMBLE[:k]:
                keep = k
                break
        return len(buf) - keep, None
    if start > 0:
        return start, None
    if len(buf) < HEADER_LEN:
        return 0, None
    length = int.from_bytes(buf[5:7], "big")
    if length < min_len or length > MAX_LEN:
        # Not a real header (e.g. AA AA AA 96 69 inside junk): step past it and resync.
        return 1, None
    total = HEADER_LEN + length
    if len(buf) < total:
        return 0, None
    raw = bytes(buf[:total])
    expected = checksum(raw[5:-1])
    if expected != raw[-1]:
        return total, BadFrame(raw, expected, raw[-1])
    return total, RawFrame(raw[7:-1], raw)


def decode_response(buf: bytes | bytearray) -> tuple[int, SamResponse | BadFrame | None]:
    used, frame = decode(buf, min_len=4)
    if isinstance(frame, RawFrame):
        return used, SamResponse.from_payload(frame.payload)
    return used, frame


def decode_command(buf: bytes | bytearray) -> tuple[int, SamCommand | BadFrame | None]:
    used, frame = decode(buf, min_len=3)
    if isinstance(frame, RawFrame):
        return used, SamCommand.from_payload(frame.payload)
    return used, frame


def parse_sam_id(data: bytes) -> str:
    """16 data bytes of 12 FF -> "05.01-20101026-0012345678-0987654321".

    PROTOCOLS.md §1.5: two codebases pad the last two numbers to 10 or 9 digits; we use 10.
    """
    if len(data) < 16:
        raise SamLengthError(
            f"SAM编号数据长度错误: {len(data)} 字节",
            f"SAM id data has {len(data)} bytes, expected 16",
        )
    a, b = data[0], data[2]
    n1 = int.from_bytes(data[4:8], "little")
    n2 = int.from_bytes(data[8:12], "little")
    n3 = int.from_bytes(data[12:16], "little")
    return f"{a:02d}.{b:02d}-{n1}-{n2:010d}-{n3:010d}"


def encode_sam_id(text: str) -> bytes:
    """Inverse of parse_sam_id (emulator)."""
    head, n1, n2, n3 = text.split("-")
    a, b = (int(x) for x in head.split("."))
    return (
        bytes([a, 0, b, 0])
        + int(n1).to_bytes(4, "little")
        + int(n2).to_bytes(4, "little")
        + int(n3).to_bytes(4, "little")
    )
