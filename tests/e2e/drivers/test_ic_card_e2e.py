"""IcSerialReader against IcCardEmulator over a real pty."""

from __future__ import annotations

import pytest

from drivers.errors import DevicePortError
from drivers.ic_card.emulator import IcCardEmulator
from drivers.ic_card.framer import ByteOrder, IcCardFormatError, UidFormat
from drivers.ic_card.reader import IcCardChecksumError, IcSerialReader

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(30)]


class TestReadUid:
    def test_dec10_reader(self) -> None:
        with IcCardEmulator(uid_format=UidFormat.DEC10) as emu, \
                IcSerialReader.open(emu.path, uid_format=UidFormat.DEC10) as r:
            emu.tap("026F6C3A")
            assert r.read_uid(1.0) == "026F6C3A"
            assert r.read_uid(0.1) is None

    def test_held_card_is_debounced(self) -> None:
        with IcCardEmulator() as emu, IcSerialReader.open(emu.path, debounce_s=0.5) as r:
            emu.tap("26DEFAE7", repeats=4, interval_s=0.05)
            assert r.read_uid(1.0) == "26DEFAE7"
            assert r.read_uid(0.3) is None
            emu.tap("01020304")
            assert r.read_uid(1.0) == "01020304"

    def test_reversed_reader(self) -> None:
        with IcCardEmulator(uid_format=UidFormat.DEC10, byte_order=ByteOrder.LSB) as emu, \
                IcSerialReader.open(emu.path, uid_format=UidFormat.DEC10,
                                    byte_order=ByteOrder.LSB) as r:
            emu.tap("26DEFAE7")
            assert r.read_uid(1.0) == "26DEFAE7"

    def test_garbage_line_is_typed_then_recovers(self) -> None:
        with IcCardEmulator() as emu, IcSerialReader.open(emu.path) as r:
            emu.send_raw(b"\x00zz garbage\r\n")
            emu.tap("A1B2C3D4")
            with pytest.raises(IcCardFormatError):
                r.read_uid(1.0)
            assert r.read_uid(1.0) == "A1B2C3D4"

    def test_rdm6300(self) -> None:
        with IcCardEmulator(protocol="rdm6300") as emu, \
                IcSerialReader.open(emu.path, protocol="rdm6300") as r:
            emu.send_raw(b"\x02" + b"01026F6C3A3B" + b"\x03")  # bad checksum
            emu.tap("01026F6C3A")
            with pytest.raises(IcCardChecksumError):
                r.read_uid(1.0)
            assert r.read_uid(1.0) == "01026F6C3A"

    def test_port_vanishing(self) -> None:
        emu = IcCardEmulator().start()
        r = IcSerialReader.open(emu.path)
        emu.close()
        with pytest.raises(DevicePortError):
            r.read_uid(0.5)
        r.close()
