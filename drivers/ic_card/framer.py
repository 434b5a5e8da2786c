"""IC-card reader output and its normalisation to one canonical UID.

Readers print a card number per line in a format fixed by model or configuration card
(PROTOCOLS.md §3.1): 10H / 8H hex, 8H10D (last 4 bytes as 10 decimal digits), 6H8D (last 3 bytes
as 8 digits), "2H+4H" ("111,27706"). Some print the UID byte-reversed ("REV"/Wiegand order).
The canonical form is upper-case hex, most significant byte first as the card reports it
(models.ids.normalise_card_uid). 3-byte forms carry only 24 bits: they are padded with a leading
00 byte so they still compare equal to an 8H10D read of the same W26 card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from drivers.errors import DriverError
from models.errors import ContractError
from models.ids import normalise_card_uid

STX, ETX = 0x02, 0x03
MAX_LINE = 64


class UidFormat(StrEnum):
    AUTO = "auto"
    HEX = "hex"  # 8H / 10H / 14H...
    DEC10 = "dec10"  # 8H10D
    DEC8 = "dec8"  # 6H8D
    SPLIT_3_5 = "split_3_5"  # 2H+4H "111,27706"


class ByteOrder(StrEnum):
    MSB = "msb"
    LSB = "lsb"  # reader prints the bytes reversed


class IcCardFormatError(DriverError):
    code = "iccard.bad_format"


def _bad(line: str, why_zh: str, why_en: str) -> IcCardFormatError:
    return IcCardFormatError(f"IC卡号 {line!r} 无法识别: {why_zh}",
                             f"cannot read IC card number {line!r}: {why_en}")


def _canonical(raw: bytes, order: ByteOrder, line: str) -> str:
    if order is ByteOrder.LSB:
        raw = raw[::-1]
    if len(raw) == 3:
        raw = b"\x00" + raw
    try:
        return normalise_card_uid(raw.hex())
    except ContractError as exc:
        raise _bad(line, exc.message_zh, exc.message_en) from exc


def normalise(line: str, fmt: UidFormat = UidFormat.AUTO,
              order: ByteOrder = ByteOrder.MSB) -> str:
    """One printed card number -> canonical UID hex."""
    text = line.strip().strip("\x02\x03").strip()
    if fmt is UidFormat.AUTO:
        if "," in text:
            fmt = UidFormat.SPLIT_3_5
        elif re.fullmatch(r"\d{10}", text):
            fmt = UidFormat.DEC10
        else:
            fmt = UidFormat.HEX
    if fmt is UidFormat.HEX:
        cleaned = re.sub(r"[\s:\-]", "", text)
        if not re.fullmatch(r"(?:[0-9A-Fa-f]{2})+", cleaned):
            raise _bad(line, "不是十六进制", "not hex")
        return _canonical(bytes.fromhex(cleaned), order, line)
    if fmt is UidFormat.DEC10:
        if not re.fullmatch(r"\d{1,10}", text) or int(text) > 0xFFFFFFFF:
            raise _bad(line, "不是10位十进制卡号", "not a 10-digit decimal number")
        return _canonical(int(text).to_bytes(4, "big"), order, line)
    if fmt is UidFormat.DEC8:
        if not re.fullmatch(r"\d{1,8}", text) or int(text) > 0xFFFFFF:
            raise _bad(line, "不是8位十进制卡号", "not an 8-digit decimal number")
        return _canonical(int(text).to_bytes(3, "big"), order, line)
    m = re.fullmatch(r"(\d{1,3}),(\d{1,5})", text)
    if not m or int(m[1]) > 0xFF or int(m[2]) > 0xFFFF:
        raise _bad(line, "不是 3位,5位 格式", "not in the 3,5 digit form")
    return _canonical(bytes([int(m[1])]) + int(m[2]).to_bytes(2, "big"), order, line)


def format_uid(uid_hex: str, fmt: UidFormat, order: ByteOrder = ByteOrder.MSB) -> str:
    """What a reader configured with `fmt` prints for `uid_hex` (the emulator's side)."""
    raw = bytes.fromhex(uid_hex)
    if order is ByteOrder.LSB:
        raw = raw[::-1]
    if fmt in (UidFormat.HEX, UidFormat.AUTO):
        return raw.hex().upper()
    if fmt is UidFormat.DEC10:
        return f"{int.from_bytes(raw[-4:], 'big'):010d}"
    if fmt is UidFormat.DEC8:
        return f"{int.from_bytes(raw[-3:], 'big'):08d}"
    return f"{raw[-3]:03d},{int.from_bytes(raw[-2:], 'big'):05d}"


def decode_line(buf: bytes | bytearray) -> tuple[int, str | None]:
    """(used, line) splitting on CR/LF; empty lines are consumed silently."""
    for i, b in enumerate(buf):
        if b in (0x0D, 0x0A):
            line = bytes(buf[:i]).decode("ascii", "replace").strip()
            return i + 1, (line or None)
    if len(buf) > MAX_LINE:  # no terminator in sight: junk, drop it
        return len(buf), None
    return 0, None


@dataclass(frozen=True, slots=True)
class BadRdmFrame:
    raw: bytes


def encode_rdm6300(uid_hex: str) -> bytes:
    """RDM6300 frame: STX, 10 ASCII hex (version + tag), 2 ASCII hex XOR checksum, ETX."""
    data = bytes.fromhex(uid_hex)
    if len(data) != 5:
        raise ValueError("RDM6300 carries exactly 5 bytes")
    chk = 0
    for b in data:
        chk ^= b
    return bytes([STX]) + (data.hex().upper() + f"{chk:02X}").encode("ascii") + bytes([ETX])


def decode_rdm6300(buf: bytes | bytearray) -> tuple[int, str | BadRdmFrame | None]:
    """(used, uid hex | BadRdmFrame | None); junk before STX is dropped."""
    start = bytes(buf).find(bytes([STX]))
    if start < 0:
        return len(buf), None
    if start > 0:
        return start, None
    if len(buf) < 14:
        return 0, None
    raw = bytes(buf[:14])
    try:
        body = bytes.fromhex(raw[1:13].decode("ascii"))
    except ValueError:
        return 1, None
    if raw[13] != ETX:
        return 1, None
    chk = 0
    for b in body[:5]:
        chk ^= b
    if chk != body[5]:
        return 14, BadRdmFrame(raw)
    return 14, body[:5].hex().upper()
