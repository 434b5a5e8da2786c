"""Modbus RTU frames: `addr | function | data | CRC-16/MODBUS (low byte first)`.

The client side goes through pymodbus; these pure functions back the emulator and the golden
tests so both sides are checked against the same published bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

FC_READ_COILS = 0x01
FC_READ_DISCRETE_INPUTS = 0x02
FC_READ_HOLDING = 0x03
FC_READ_INPUT_REGISTERS = 0x04
FC_WRITE_COIL = 0x05
FC_WRITE_REGISTER = 0x06
FC_WRITE_COILS = 0x0F
FC_WRITE_REGISTERS = 0x10

EX_ILLEGAL_FUNCTION = 0x01
EX_ILLEGAL_ADDRESS = 0x02
EX_ILLEGAL_VALUE = 0x03

COIL_ON = 0xFF00
COIL_OFF = 0x0000

_FIXED_LEN_FCS = frozenset({0x01, 0x02, 0x03, 0x04, 0x05, 0x06})


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    return body + crc16(body).to_bytes(2, "little")


def write_coil(address: int, coil: int, on: bool) -> bytes:
    value = COIL_ON if on else COIL_OFF
    return with_crc(bytes([address, FC_WRITE_COIL]) + coil.to_bytes(2, "big") +
                    value.to_bytes(2, "big"))


def read_bits(address: int, function: int, start: int, count: int) -> bytes:
    return with_crc(bytes([address, function]) + start.to_bytes(2, "big") +
                    count.to_bytes(2, "big"))


def bits_reply(address: int, function: int, bits: list[bool]) -> bytes:
    """FC 01/02 reply: bit 0 of the first data byte is the first coil/input."""
    packed = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        if bit:
            packed[i // 8] |= 1 << (i % 8)
    return with_crc(bytes([address, function, len(packed)]) + bytes(packed))


def exception_reply(address: int, function: int, code: int) -> bytes:
    return with_crc(bytes([address, function | 0x80, code]))


@dataclass(frozen=True, slots=True)
class RtuRequest:
    address: int
    function: int
    body: bytes  # between function code and CRC
    raw: bytes


def decode_request(buf: bytes | bytearray) -> tuple[int, RtuRequest | None]:
    """(used, request). Bad CRC or junk: drop one byte and resync, as a slave on a bus does."""
    if len(buf) < 2:
        return 0, None
    function = buf[1]
    if function in _FIXED_LEN_FCS:
        total = 8
    elif function in (FC_WRITE_COILS, FC_WRITE_REGISTERS):
        if len(buf) < 7:
            return 0, None
        total = 9 + buf[6]
    else:
        total = 4  # unknown function: addr fc crc crc, the smallest frame
    if len(buf) < total:
        return 0, None
    raw = bytes(buf[:total])
    if crc16(raw[:-2]) != int.from_bytes(raw[-2:], "little"):
        return 1, None
    return total, RtuRequest(raw[0], function, raw[2:-2], raw)
