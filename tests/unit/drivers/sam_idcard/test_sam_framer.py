"""Golden SAM frames from PROTOCOLS.md §1.3-1.5; every checksum below was computed by hand there."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.sam_idcard import framer
from drivers.sam_idcard.framer import BadFrame, SamCommand, SamResponse, SamStatusError, Sw3

COMMANDS = [
    (0x10, 0xFF, b"", "AA AA AA 96 69 00 03 10 FF EC"),
    (0x11, 0xFF, b"", "AA AA AA 96 69 00 03 11 FF ED"),
    (0x12, 0xFF, b"", "AA AA AA 96 69 00 03 12 FF EE"),
    (0x20, 0x01, b"", "AA AA AA 96 69 00 03 20 01 22"),
    (0x20, 0x02, b"", "AA AA AA 96 69 00 03 20 02 21"),
    (0x30, 0x01, b"", "AA AA AA 96 69 00 03 30 01 32"),
    (0x30, 0x03, b"", "AA AA AA 96 69 00 03 30 03 30"),
    (0x30, 0x10, b"", "AA AA AA 96 69 00 03 30 10 23"),
    (0x60, 0x00, b"", "AA AA AA 96 69 00 03 60 00 63"),
    (0x60, 0x01, b"", "AA AA AA 96 69 00 03 60 01 62"),
    (0x60, 0x02, b"", "AA AA AA 96 69 00 03 60 02 61"),
    (0x60, 0x03, b"", "AA AA AA 96 69 00 03 60 03 60"),
    (0x60, 0x04, b"", "AA AA AA 96 69 00 03 60 04 67"),
    (0x61, 0xFF, b"\x50", "AA AA AA 96 69 00 04 61 FF 50 CA"),
]

STATUS_FRAMES = [
    (0x90, "AA AA AA 96 69 00 04 00 00 90 94"),
    (0x91, "AA AA AA 96 69 00 04 00 00 91 95"),
    (0x10, "AA AA AA 96 69 00 04 00 00 10 14"),
    (0x11, "AA AA AA 96 69 00 04 00 00 11 15"),
    (0x21, "AA AA AA 96 69 00 04 00 00 21 25"),
    (0x23, "AA AA AA 96 69 00 04 00 00 23 27"),
    (0x24, "AA AA AA 96 69 00 04 00 00 24 20"),
    (0x31, "AA AA AA 96 69 00 04 00 00 31 35"),
    (0x32, "AA AA AA 96 69 00 04 00 00 32 36"),
    (0x33, "AA AA AA 96 69 00 04 00 00 33 37"),
    (0x40, "AA AA AA 96 69 00 04 00 00 40 44"),
    (0x41, "AA AA AA 96 69 00 04 00 00 41 45"),
    (0x47, "AA AA AA 96 69 00 04 00 00 47 43"),
    (0x60, "AA AA AA 96 69 00 04 00 00 60 64"),
    (0x66, "AA AA AA 96 69 00 04 00 00 66 62"),
    (0x80, "AA AA AA 96 69 00 04 00 00 80 84"),
    (0x81, "AA AA AA 96 69 00 04 00 00 81 85"),
]


class TestChecksum:
    def test_find_card_example(self) -> None:
        assert framer.checksum(bytes.fromhex("00 03 20 01")) == 0x22

    def test_empty(self) -> None:
        assert framer.checksum(b"") == 0


class TestEncodeCommand:
    @pytest.mark.parametrize(("cmd", "para", "data", "frame"), COMMANDS)
    def test_golden(self, cmd: int, para: int, data: bytes, frame: str) -> None:
        assert framer.encode_command(cmd, para, data) == bytes.fromhex(frame)

    def test_baud_params_match_the_table(self) -> None:
        assert framer.BAUD_PARAM == {115200: 0, 57600: 1, 38400: 2, 19200: 3, 9600: 4}


class TestEncodeResponse:
    @pytest.mark.parametrize(("sw3", "frame"), STATUS_FRAMES)
    def test_every_status(self, sw3: int, frame: str) -> None:
        assert framer.encode_response(sw3) == bytes.fromhex(frame)

    def test_find_ok(self, golden: Callable[[str], bytes]) -> None:
        assert framer.encode_response(0x9F, bytes(4)) == golden("sam-idcard/find-ok")

    def test_select_ok(self, golden: Callable[[str], bytes]) -> None:
        assert framer.encode_response(0x90, bytes(8)) == golden("sam-idcard/select-ok")

    def test_sam_id(self, golden: Callable[[str], bytes]) -> None:
        data = bytes.fromhex("05 00 01 00 A2 B7 32 01 4E 61 BC 00 B1 68 DE 3A")
        assert framer.encode_response(0x90, data) == golden("sam-idcard/sam-id")


class TestDecode:
    @pytest.mark.parametrize(("cmd", "para", "data", "frame"), COMMANDS)
    def test_commands(self, cmd: int, para: int, data: bytes, frame: str) -> None:
        raw = bytes.fromhex(frame)
        assert framer.decode_command(raw) == (len(raw), SamCommand(cmd, para, data))

    @pytest.mark.parametrize(("sw3", "frame"), STATUS_FRAMES)
    def test_status_frames(self, sw3: int, frame: str) -> None:
        raw = bytes.fromhex(frame)
        assert framer.decode_response(raw) == (len(raw), SamResponse(0, 0, sw3))

    def test_read_base_golden(self, golden: Callable[[str], bytes]) -> None:
        raw = golden("sam-idcard/read-base-zhangsan")
        assert len(raw) == 1295
        assert raw[-1] == 0xCC
        used, frame = framer.decode_response(raw)
        assert used == 1295
        assert isinstance(frame, SamResponse)
        assert frame.sw3 == 0x90
        assert len(frame.data) == 4 + 256 + 1024

    def test_needs_more_bytes(self) -> None:
        raw = bytes.fromhex(STATUS_FRAMES[0][1])
        for cut in range(len(raw)):
            assert framer.decode_response(raw[:cut]) == (0, None)

    def test_junk_before_preamble_is_dropped(self) -> None:
        raw = bytes.fromhex(STATUS_FRAMES[0][1])
        assert framer.decode_response(b"\x01\x02\x03" + raw) == (3, None)

    def test_junk_keeps_a_possible_partial_preamble(self) -> None:
        assert framer.decode_response(b"\x01\x02\xaa\xaa") == (2, None)
        assert framer.decode_response(b"\x01\x02\x03") == (3, None)

    def test_bad_checksum_is_consumed_and_reported(self) -> None:
        raw = bytes.fromhex("AA AA AA 96 69 00 04 00 00 90 95")
        used, frame = framer.decode_response(raw)
        assert used == len(raw)
        assert frame == BadFrame(raw, expected=0x94, actual=0x95)
        assert frame.error().code == "idcard.frame_checksum"

    def test_impossible_length_resyncs_one_byte(self) -> None:
        assert framer.decode_response(bytes.fromhex("AA AA AA 96 69 00 01 00")) == (1, None)
        assert framer.decode_response(bytes.fromhex("AA AA AA 96 69 FF FF 00")) == (1, None)

    @given(st.binary(max_size=40), st.sampled_from([f for _, f in STATUS_FRAMES]))
    def test_any_junk_then_frame_yields_the_frame(self, junk: bytes, frame: str) -> None:
        buf = bytearray(junk + bytes.fromhex(frame))
        found: list[object] = []
        while buf:
            used, got = framer.decode_response(buf)
            if not used:
                break
            del buf[:used]
            if got is not None:
                found.append(got)
        # Junk may itself contain a frame-like prefix, but the real frame always comes out last.
        assert found
        assert found[-1] == SamResponse(0, 0, bytes.fromhex(frame)[9])


class TestSamResponse:
    def test_raise_for_status_ok(self) -> None:
        assert SamResponse(0, 0, 0x9F).raise_for_status().ok

    @pytest.mark.parametrize("sw3", [s for s, _ in STATUS_FRAMES if s not in (0x90,)])
    def test_every_error_status_is_typed_and_bilingual(self, sw3: int) -> None:
        if sw3 in framer.SUCCESS_SW3:
            pytest.skip("success")
        with pytest.raises(SamStatusError) as info:
            SamResponse(0, 0, sw3).raise_for_status()
        err = info.value
        assert err.sw3 == sw3
        assert err.code.startswith("idcard.")
        assert err.code != "idcard.unknown"
        assert err.message_zh != err.message_en
        assert f"SW3={sw3:02X}" in err.message_en

    def test_unknown_status(self) -> None:
        err = SamStatusError(0x7E, 0x6A, 0x82)
        assert err.code == "idcard.unknown"
        assert "SW1=6A SW2=82" in str(err)

    def test_every_enum_member_has_text(self) -> None:
        assert set(framer.STATUS_TEXT) == {int(s) for s in Sw3}


class TestParseSamId:
    def test_example(self) -> None:
        data = bytes.fromhex("05 00 01 00 A2 B7 32 01 4E 61 BC 00 B1 68 DE 3A")
        assert framer.parse_sam_id(data) == "05.01-20101026-0012345678-0987654321"

    def test_roundtrip(self) -> None:
        text = "05.01-20101026-0012345678-0987654321"
        assert framer.parse_sam_id(framer.encode_sam_id(text)) == text

    def test_short(self) -> None:
        with pytest.raises(framer.SamLengthError):
            framer.parse_sam_id(b"\x05\x00")
