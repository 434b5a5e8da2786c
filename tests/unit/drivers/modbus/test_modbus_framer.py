"""Modbus RTU frames from PROTOCOLS.md §4.3 (Beckhoff and widely quoted examples included)."""

from __future__ import annotations

import pytest

from drivers.modbus import framer as mb


class TestCrc16:
    def test_check_value(self) -> None:
        assert mb.crc16(b"123456789") == 0x4B37


class TestWriteCoil:
    @pytest.mark.parametrize(
        ("addr", "coil", "on", "frame"),
        [
            (0x0B, 2, True, "0B 05 00 02 FF 00 2D 50"),
            (1, 0, True, "01 05 00 00 FF 00 8C 3A"),
            (1, 0, False, "01 05 00 00 00 00 CD CA"),
            (1, 1, True, "01 05 00 01 FF 00 DD FA"),
            (1, 1, False, "01 05 00 01 00 00 9C 0A"),
            (2, 0, True, "02 05 00 00 FF 00 8C 09"),
            (2, 0, False, "02 05 00 00 00 00 CD F9"),
        ],
    )
    def test_golden(self, addr: int, coil: int, on: bool, frame: str) -> None:
        assert mb.write_coil(addr, coil, on) == bytes.fromhex(frame)


class TestReadBits:
    def test_read_coils(self) -> None:
        assert mb.read_bits(1, 1, 0, 8) == bytes.fromhex("01 01 00 00 00 08 3D CC")

    def test_read_inputs(self) -> None:
        assert mb.read_bits(1, 2, 0, 8) == bytes.fromhex("01 02 00 00 00 08 79 CC")


class TestBitsReply:
    def test_all_off(self) -> None:
        assert mb.bits_reply(1, 1, [False] * 8) == bytes.fromhex("01 01 01 00 51 88")

    def test_input_zero_active(self) -> None:
        bits = [True] + [False] * 7
        assert mb.bits_reply(1, 2, bits) == bytes.fromhex("01 02 01 01 60 48")


class TestOtherFrames:
    def test_write_coils_all_on(self) -> None:
        body = bytes.fromhex("01 0F 00 00 00 08 01 FF")
        assert mb.with_crc(body) == bytes.fromhex("01 0F 00 00 00 08 01 FF BE D5")

    def test_write_register(self) -> None:
        assert mb.with_crc(bytes.fromhex("01 06 00 00 00 01")) == bytes.fromhex(
            "01 06 00 00 00 01 48 0A"
        )

    def test_exception(self) -> None:
        assert mb.exception_reply(1, 5, 2) == bytes.fromhex("01 85 02 C3 51")


class TestDecodeRequest:
    def test_fixed(self) -> None:
        raw = bytes.fromhex("01 05 00 00 FF 00 8C 3A")
        used, req = mb.decode_request(raw)
        assert used == 8
        assert req == mb.RtuRequest(1, 5, bytes.fromhex("00 00 FF 00"), raw)

    def test_variable(self) -> None:
        raw = bytes.fromhex("01 0F 00 00 00 08 01 FF BE D5")
        assert mb.decode_request(raw)[0] == 10

    def test_partial_and_bad_crc(self) -> None:
        assert mb.decode_request(bytes.fromhex("01 05 00 00")) == (0, None)
        assert mb.decode_request(bytes.fromhex("01 05 00 00 FF 00 8C 3B")) == (1, None)
