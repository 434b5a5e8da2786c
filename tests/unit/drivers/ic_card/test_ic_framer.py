"""IC-card number forms from PROTOCOLS.md §3 (example card 01 02 6F 6C 3A)."""

from __future__ import annotations

import pytest

from drivers.ic_card import framer
from drivers.ic_card.framer import BadRdmFrame, ByteOrder, IcCardFormatError, UidFormat
from drivers.ic_card.reader import Debouncer


class TestNormalise:
    @pytest.mark.parametrize(
        ("line", "fmt", "uid"),
        [
            ("01026F6C3A", UidFormat.HEX, "01026F6C3A"),
            ("01026f6c3a\r", UidFormat.AUTO, "01026F6C3A"),
            ("0040856634", UidFormat.DEC10, "026F6C3A"),
            ("0040856634", UidFormat.AUTO, "026F6C3A"),
            ("07302202", UidFormat.DEC8, "006F6C3A"),
            ("111,27706", UidFormat.SPLIT_3_5, "006F6C3A"),
            ("111,27706", UidFormat.AUTO, "006F6C3A"),
            ("26:DE:FA:E7", UidFormat.HEX, "26DEFAE7"),
            ("0652147431", UidFormat.DEC10, "26DEFAE7"),
        ],
    )
    def test_forms(self, line: str, fmt: UidFormat, uid: str) -> None:
        assert framer.normalise(line, fmt) == uid

    def test_reversed_reader(self) -> None:
        # The same Mifare card printed by a "REV"/Wiegand-order reader.
        assert framer.normalise("3891977766", UidFormat.DEC10, ByteOrder.LSB) == "26DEFAE7"

    @pytest.mark.parametrize(
        ("line", "fmt"),
        [("XYZ", UidFormat.HEX), ("99999999999", UidFormat.DEC10), ("123", UidFormat.HEX),
         ("999,1", UidFormat.SPLIT_3_5), ("16777216", UidFormat.DEC8)],
    )
    def test_bad(self, line: str, fmt: UidFormat) -> None:
        with pytest.raises(IcCardFormatError) as info:
            framer.normalise(line, fmt)
        assert info.value.code == "iccard.bad_format"


class TestFormatUid:
    @pytest.mark.parametrize(
        ("fmt", "text"),
        [(UidFormat.HEX, "01026F6C3A"), (UidFormat.DEC10, "0040856634"),
         (UidFormat.DEC8, "07302202"), (UidFormat.SPLIT_3_5, "111,27706")],
    )
    def test_example_card(self, fmt: UidFormat, text: str) -> None:
        assert framer.format_uid("01026F6C3A", fmt) == text

    def test_reversed(self) -> None:
        assert framer.format_uid("26DEFAE7", UidFormat.DEC10, ByteOrder.LSB) == "3891977766"


class TestDecodeLine:
    def test_lines(self) -> None:
        assert framer.decode_line(b"0040856634\r\nX") == (11, "0040856634")
        assert framer.decode_line(b"\n") == (1, None)
        assert framer.decode_line(b"00408") == (0, None)
        assert framer.decode_line(b"x" * 100) == (100, None)


class TestRdm6300:
    GOLDEN = bytes.fromhex("02 30 31 30 32 36 46 36 43 33 41 33 41 03")

    def test_encode_golden(self) -> None:
        assert framer.encode_rdm6300("01026F6C3A") == self.GOLDEN

    def test_decode_golden(self) -> None:
        assert framer.decode_rdm6300(b"\xff" + self.GOLDEN) == (1, None)
        assert framer.decode_rdm6300(self.GOLDEN) == (14, "01026F6C3A")

    def test_bad_checksum(self) -> None:
        bad = self.GOLDEN[:12] + b"B" + self.GOLDEN[13:]
        used, got = framer.decode_rdm6300(bad)
        assert used == 14
        assert isinstance(got, BadRdmFrame)

    def test_partial(self) -> None:
        assert framer.decode_rdm6300(self.GOLDEN[:9]) == (0, None)


class TestDebouncer:
    def test_held_card_counts_once_and_new_tap_counts_again(self) -> None:
        now = [0.0]
        d = Debouncer(1.0, clock=lambda: now[0])
        assert d.accept("AA")
        for _ in range(5):  # repeats every 0.3 s while held
            now[0] += 0.3
            assert not d.accept("AA")
        now[0] += 1.5
        assert d.accept("AA")
        assert d.accept("BB")
        assert d.accept("AA")
