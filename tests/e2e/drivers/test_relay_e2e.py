"""LcusRelay and ModbusRelay (pymodbus) against their emulators over real ptys."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from drivers.errors import DevicePortError, DeviceTimeoutError
from drivers.modbus.emulator import ModbusRelayEmulator
from drivers.modbus.relay import ModbusRelay, ModbusRelayError
from drivers.relay.emulator import LcusEmulator
from drivers.relay.lcus import LcusRelay
from drivers.transport import open_transport

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(30)]


class TestLcusRelay:
    def test_pulse_closes_then_opens_the_contact(self) -> None:
        with LcusEmulator() as emu, LcusRelay.open(emu.path) as relay:
            relay.pulse(150)
            (duration,) = emu.wait_for_pulses(1)
            assert 0.13 < duration < 0.4
            assert emu.contacts == {1: False}
            assert relay.door_state() is None

    def test_second_channel_and_junk(self) -> None:
        with LcusEmulator(channels=2) as emu, open_transport(emu.path, baudrate=9600) as port:
            port.write(b"\x00\x13" + bytes.fromhex("A0 02 01 A3") + bytes.fromhex("A0 02 01 A4"))
            deadline = time.monotonic() + 1
            while not emu.contacts[2] and time.monotonic() < deadline:
                time.sleep(0.01)
            assert emu.contacts == {1: False, 2: True}
            assert emu.bad_bytes >= 3

    def test_write_after_unplug_is_typed(self) -> None:
        emu = LcusEmulator().start()
        relay = LcusRelay.open(emu.path)
        emu.close()

        def hammer() -> None:
            for _ in range(2000):  # the pty buffer may absorb writes until the hangup shows
                relay.on()

        with pytest.raises(DevicePortError):
            hammer()
        relay.close()


@pytest.fixture
def modbus_emu() -> Iterator[ModbusRelayEmulator]:
    with ModbusRelayEmulator(device_id=1) as emu:
        yield emu


class TestModbusRelay:
    def test_pulse_and_readback(self, modbus_emu: ModbusRelayEmulator) -> None:
        with ModbusRelay(modbus_emu.path, coil=1) as relay:
            relay.pulse(100)
        (duration,) = modbus_emu.pulses(1)
        assert 0.09 < duration < 0.4
        assert modbus_emu.coils[1] is False

    def test_door_state(self, modbus_emu: ModbusRelayEmulator) -> None:
        with ModbusRelay(modbus_emu.path, door_input=3) as relay:
            assert relay.door_state() is False
            modbus_emu.set_input(3, True)
            assert relay.door_state() is True
        with ModbusRelay(modbus_emu.path) as relay:
            assert relay.door_state() is None

    def test_illegal_address_is_typed(self, modbus_emu: ModbusRelayEmulator) -> None:
        with ModbusRelay(modbus_emu.path, coil=99, retries=0) as relay:
            with pytest.raises(ModbusRelayError) as info:
                relay.pulse(10)
            assert "illegal data address" in info.value.message_en
            assert "非法数据地址" in info.value.message_zh

    def test_silent_slave_times_out_then_recovers(self, modbus_emu: ModbusRelayEmulator) -> None:
        with ModbusRelay(modbus_emu.path, retries=0, timeout_s=0.2) as relay:
            modbus_emu.silent = True
            with pytest.raises(DeviceTimeoutError):
                relay.pulse(10)
            modbus_emu.silent = False
            relay.pulse(10)

    def test_wire_bytes_are_the_golden_frames(self, modbus_emu: ModbusRelayEmulator) -> None:
        with open_transport(modbus_emu.path, baudrate=9600, timeout=0.5) as port:
            port.write(bytes.fromhex("01 05 00 00 FF 00 8C 3A"))
            assert port.read(8) == bytes.fromhex("01 05 00 00 FF 00 8C 3A")
            port.write(bytes.fromhex("01 01 00 00 00 08 3D CC"))
            assert port.read(6) == bytes.fromhex("01 01 01 01 90 48")
            port.write(bytes.fromhex("01 05 00 20 FF 00") + b"\x00\x00")  # bad CRC: ignored
            port.write(bytes.fromhex("01 05 00 20 FF 00 8D F0"))
            assert port.read(5) == bytes.fromhex("01 85 02 C3 51")
