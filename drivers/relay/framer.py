"""LCUS relay frames: `A0 | channel | op | (A0 + channel + op) & FF`, 9600 8N1, no reply."""

from __future__ import annotations

from dataclasses import dataclass

START = 0xA0
OP_OFF = 0x00  # contact open
OP_ON = 0x01  # contact closed
STATUS_QUERY = b"\xff"  # multi-channel boards only, reply format unconfirmed (PROTOCOLS §4.2)
FRAME_LEN = 4


def checksum(channel: int, op: int) -> int:
    return (START + channel + op) & 0xFF


def encode(channel: int, on: bool) -> bytes:
    if not 1 <= channel <= 8:
        raise ValueError(f"LCUS channel must be 1..8, got {channel}")
    op = OP_ON if on else OP_OFF
    return bytes([START, channel, op, checksum(channel, op)])


@dataclass(frozen=True, slots=True)
class LcusCommand:
    channel: int
    on: bool


def decode(buf: bytes | bytearray) -> tuple[int, LcusCommand | None]:
    """(used, command); a bad frame or junk is dropped one byte at a time to resync."""
    if not buf:
        return 0, None
    if buf[0] != START:
        return 1, None
    if len(buf) < FRAME_LEN:
        return 0, None
    _, channel, op, chk = buf[:FRAME_LEN]
    if op not in (OP_ON, OP_OFF) or not 1 <= channel <= 8 or chk != checksum(channel, op):
        return 1, None
    return FRAME_LEN, LcusCommand(channel, op == OP_ON)
