"""LCUS frames from PROTOCOLS.md §4.2."""

from __future__ import annotations

import pytest

from drivers.relay import framer
from drivers.relay.framer import LcusCommand

GOLDEN = [
    (1, True, "A0 01 01 A2"),
    (1, False, "A0 01 00 A1"),
    (2, True, "A0 02 01 A3"),
    (2, False, "A0 02 00 A2"),
]


class TestEncode:
    @pytest.mark.parametrize(("channel", "on", "frame"), GOLDEN)
    def test_golden(self, channel: int, on: bool, frame: str) -> None:
        assert framer.encode(channel, on) == bytes.fromhex(frame)

    @pytest.mark.parametrize("channel", [0, 9])
    def test_bad_channel(self, channel: int) -> None:
        with pytest.raises(ValueError, match="channel"):
            framer.encode(channel, True)


class TestDecode:
    @pytest.mark.parametrize(("channel", "on", "frame"), GOLDEN)
    def test_golden(self, channel: int, on: bool, frame: str) -> None:
        assert framer.decode(bytes.fromhex(frame)) == (4, LcusCommand(channel, on))

    def test_partial(self) -> None:
        assert framer.decode(bytes.fromhex("A0 01")) == (0, None)

    def test_bad_checksum_resyncs(self) -> None:
        assert framer.decode(bytes.fromhex("A0 01 01 A3")) == (1, None)

    def test_junk(self) -> None:
        assert framer.decode(b"\x00A0") == (1, None)
