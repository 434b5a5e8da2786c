"""SamIdCardReader against SamIdCardEmulator over a real pty (os.openpty + pyserial)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.errors import DevicePortError, DeviceTimeoutError
from drivers.sam_idcard import framer
from drivers.sam_idcard.emulator import (
    CardFault,
    CardState,
    EmulatedCard,
    SamIdCardEmulator,
    WireFault,
    card_from_dict,
    emulator_from_file,
)
from drivers.sam_idcard.framer import SamChecksumError, SamStatusError
from drivers.sam_idcard.reader import SamIdCardReader
from drivers.sam_idcard.records import make_resident_card
from drivers.transport import open_transport

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(30)]

ZHANG = make_resident_card()
LI = make_resident_card("李四", "11010519491231002X", valid_to=None)


@pytest.fixture
def emu() -> Iterator[SamIdCardEmulator]:
    with SamIdCardEmulator() as e:
        yield e


@pytest.fixture
def reader(emu: SamIdCardEmulator) -> Iterator[SamIdCardReader]:
    with SamIdCardReader.open(emu.path, retries=0, command_timeout_s=0.2) as r:
        yield r


class TestReadCard:
    def test_reads_a_presented_card(self, emu: SamIdCardEmulator, reader: SamIdCardReader) -> None:
        emu.present(ZHANG)
        assert reader.read_card(1.0) == ZHANG
        assert emu.state is CardState.READ_DONE
        cmds = [(c.cmd, c.para) for c in emu.status.commands]
        assert cmds == [(0x20, 0x01), (0x20, 0x02), (0x30, 0x01)]

    def test_no_card_returns_none(self, reader: SamIdCardReader) -> None:
        t0 = time.monotonic()
        assert reader.read_card(0.3) is None
        assert 0.25 < time.monotonic() - t0 < 1.0

    def test_card_must_be_removed_before_the_next_read(
        self, emu: SamIdCardEmulator, reader: SamIdCardReader
    ) -> None:
        emu.present(ZHANG)
        assert reader.read_card(1.0) == ZHANG
        assert reader.read_card(0.2) is None  # READ_DONE: find answers 80
        emu.remove()
        emu.present(LI)
        got = reader.read_card(1.0)
        assert got is not None
        assert got.valid_to is None  # 长期

    def test_newest_address(self, emu: SamIdCardEmulator) -> None:
        emu.present(EmulatedCard(ZHANG, newest_address="北京市海淀区新地址2号"))
        with SamIdCardReader.open(emu.path, with_newest_address=True) as r:
            got = r.read_card(1.0)
        assert got is not None
        assert got.newest_address == "北京市海淀区新地址2号"

    def test_no_newest_address(self, emu: SamIdCardEmulator, reader: SamIdCardReader) -> None:
        emu.present(ZHANG)
        reader.find_card()
        reader.select_card()
        assert reader.read_newest_address() is None

    def test_with_fingerprint(self, emu: SamIdCardEmulator) -> None:
        from dataclasses import replace

        card = replace(ZHANG, fingerprint=b"\x11" * 1024)
        emu.present(card)
        with SamIdCardReader.open(emu.path, with_fingerprint=True) as r:
            assert r.read_card(1.0) == card
        assert (emu.status.commands[-1].cmd, emu.status.commands[-1].para) == (0x30, 0x10)


class TestSamCommands:
    def test_sam_id_status_reset_baud(self, reader: SamIdCardReader) -> None:
        assert reader.read_sam_id() == "05.01-20101026-0012345678-0987654321"
        reader.sam_status()
        reader.reset_sam()
        reader.set_baudrate(115200)

    def test_sam_self_test_failed(self, emu: SamIdCardEmulator, reader: SamIdCardReader) -> None:
        emu.sam_sw3 = 0x60
        with pytest.raises(SamStatusError) as info:
            reader.sam_status()
        assert info.value.code == "idcard.self_test_failed"
        assert "SAM自检失败" in info.value.message_zh

    def test_read_without_select_is_a_sequence_error(
        self, emu: SamIdCardEmulator, reader: SamIdCardReader
    ) -> None:
        emu.present(ZHANG)
        with pytest.raises(SamStatusError) as info:
            reader.read_base_message()
        assert info.value.sw3 == 0x21


class TestCardFaults:
    @pytest.mark.parametrize(
        ("fault", "code"),
        [
            (CardFault.UNREADABLE, "idcard.read_failed"),
            (CardFault.AUTH_FAILED, "idcard.sam_auth_card_failed"),
            (CardFault.WRONG_TYPE, "idcard.wrong_card_type"),
            (CardFault.SELECT_FAILED, "idcard.select_failed"),
        ],
    )
    def test_typed_error_then_recovery(
        self, emu: SamIdCardEmulator, reader: SamIdCardReader, fault: CardFault, code: str
    ) -> None:
        emu.present(EmulatedCard(ZHANG, fault))
        with pytest.raises(SamStatusError) as info:
            reader.read_card(1.0)
        assert info.value.code == code
        emu.present(ZHANG)
        assert reader.read_card(1.0) == ZHANG

    def test_card_with_bad_checksum(self, emu: SamIdCardEmulator, reader: SamIdCardReader) -> None:
        emu.present(EmulatedCard(ZHANG, CardFault.BAD_CHECKSUM))
        with pytest.raises(SamChecksumError):
            reader.read_card(1.0)

    def test_card_that_never_answers(self, emu: SamIdCardEmulator) -> None:
        emu.present(EmulatedCard(ZHANG, CardFault.NO_RESPONSE))
        with SamIdCardReader.open(emu.path, retries=0, read_timeout_s=0.3) as r:
            with pytest.raises(DeviceTimeoutError) as info:
                r.read_card(1.0)
            assert info.value.code == "idcard.timeout"
            emu.present(ZHANG)
            assert r.read_card(1.0) == ZHANG


class TestWireFaults:
    def test_garbage_between_frames_is_skipped(
        self, emu: SamIdCardEmulator, reader: SamIdCardReader
    ) -> None:
        emu.present(ZHANG)
        emu.inject(WireFault.GARBAGE, times=3)
        assert reader.read_card(1.0) == ZHANG

    def test_split_frames_are_reassembled(
        self, emu: SamIdCardEmulator, reader: SamIdCardReader
    ) -> None:
        emu.present(ZHANG)
        emu.inject(WireFault.SPLIT, times=3)
        assert reader.read_card(2.0) == ZHANG

    def test_late_but_within_timeout(self, emu: SamIdCardEmulator, reader: SamIdCardReader) -> None:
        emu.inject(WireFault.LATE, late_s=0.1)
        assert reader.read_sam_id().startswith("05.01")

    def test_truncated_frame_then_recovery(
        self, emu: SamIdCardEmulator, reader: SamIdCardReader
    ) -> None:
        emu.inject(WireFault.TRUNCATE)
        with pytest.raises(DeviceTimeoutError) as info:
            reader.read_sam_id()
        assert info.value.code == "idcard.truncated"
        assert reader.read_sam_id().startswith("05.01")

    def test_bad_checksum_then_recovery(
        self, emu: SamIdCardEmulator, reader: SamIdCardReader
    ) -> None:
        emu.inject(WireFault.BAD_CHECKSUM)
        with pytest.raises(SamChecksumError):
            reader.sam_status()
        reader.sam_status()

    def test_silence_is_a_timeout(self, emu: SamIdCardEmulator, reader: SamIdCardReader) -> None:
        emu.inject(WireFault.SILENT)
        with pytest.raises(DeviceTimeoutError) as info:
            reader.sam_status()
        assert "无应答" in info.value.message_zh
        reader.sam_status()

    def test_retries_hide_a_single_fault(self, emu: SamIdCardEmulator) -> None:
        emu.present(ZHANG)
        emu.inject(WireFault.BAD_CHECKSUM)
        emu.inject(WireFault.SILENT)
        with SamIdCardReader.open(emu.path, retries=2, command_timeout_s=0.2) as r:
            assert r.read_card(1.0) == ZHANG

    def test_host_frame_with_bad_checksum_gets_sw3_10(self, emu: SamIdCardEmulator) -> None:
        with open_transport(emu.path, timeout=0.5) as port:
            port.write(bytes.fromhex("AA AA AA 96 69 00 03 11 FF EE"))
            assert port.read(11) == bytes.fromhex("AA AA AA 96 69 00 04 00 00 10 14")
            port.write(bytes.fromhex("AA AA AA 96 69 00 01 11"))
            assert port.read(11) == bytes.fromhex("AA AA AA 96 69 00 04 00 00 11 15")


class TestPortVanishing:
    def test_unplug_mid_read_is_typed_and_replug_recovers(self, tmp_path: Path) -> None:
        link = tmp_path / "ttyUSB0"  # like a /dev/serial/by-id link that udev re-creates
        with SamIdCardEmulator([ZHANG], link=link) as first:
            reader = SamIdCardReader.open(str(link), retries=0)
            first.inject(WireFault.UNPLUG)
            with pytest.raises(DevicePortError) as info:
                reader.read_card(1.0)
            assert info.value.code == "idcard.port_lost"
        with pytest.raises(DevicePortError):  # still unplugged: no such port
            reader.read_card(0.1)
        with SamIdCardEmulator([ZHANG], link=link), reader:
            assert reader.read_card(1.0) == ZHANG


class TestCardFile:
    def test_yaml_cards(self, tmp_path: Path) -> None:
        path = tmp_path / "cards.yaml"
        path.write_text(
            "sam_id: 05.01-20200101-0000000001-0000000002\n"
            "cards:\n"
            "  - name: 张三\n"
            "    id_number: '110101199003071233'\n"
            "    valid_to: 长期\n"
            "  - fault: unreadable\n"
            "    name: 李四\n"
            "    id_number: 11010519491231002X\n",
            encoding="utf-8",
        )
        with emulator_from_file(path, cycle=True, represent_after_s=0.05) as emu, \
                SamIdCardReader.open(emu.path, retries=0) as r:
            assert r.read_sam_id() == "05.01-20200101-0000000001-0000000002"
            first = r.read_card(1.0)
            assert first is not None
            assert first.valid_to is None
            with pytest.raises(SamStatusError):
                r.read_card(1.0)  # next card presented after 50 ms is unreadable

    def test_json_cards(self, tmp_path: Path) -> None:
        path = tmp_path / "cards.json"
        path.write_text(
            '{"cards": [{"card_type": "hk_macau_taiwan", "name": "陈大文", "gender": "1",'
            ' "birth_date": "1990-01-01", "id_number": "810000199001010019",'
            ' "valid_from": "20200101", "valid_to": "20250101", "permit_number": "H12345678",'
            ' "issue_count": "01", "issuer": "深圳市公安局", "address": "深圳"}]}',
            encoding="utf-8",
        )
        with emulator_from_file(path) as emu, SamIdCardReader.open(emu.path) as r:
            got = r.read_card(1.0)
        assert got is not None
        assert got.permit_number == "H12345678"


def test_frames_on_the_wire_are_the_golden_bytes(emu: SamIdCardEmulator) -> None:
    emu.present(ZHANG)
    with open_transport(emu.path, timeout=0.5) as port:
        port.write(framer.encode_command(*framer.CMD_FIND_CARD))
        assert port.read(15) == bytes.fromhex("AA AA AA 96 69 00 08 00 00 9F 00 00 00 00 97")
    assert os.path.exists(emu.path)


# One card-file entry per card type, numbers in the real formats (see test_id_types.py).
_TYPED_CARDS = {
    "resident": {"name": "张三", "id_number": "110101199003071233"},
    "hk_macau_taiwan": {
        "card_type": "hk_macau_taiwan", "name": "陈大文", "gender": "1",
        "birth_date": "1990-01-01", "id_number": "810000199001010019",
        "valid_from": "2020-01-01", "valid_to": "2025-01-01", "permit_number": "H12345678",
    },
    "foreign_permanent_2017": {
        "card_type": "foreign_permanent_2017", "english_name": "SMITH JOHN", "gender": "1",
        "birth_date": "1990-01-01", "id_number": "USA119001010101", "nationality": "USA",
        "valid_from": "2017-06-01", "valid_to": "2027-06-01",
    },
    "foreign_permanent_2023": {
        "card_type": "foreign_permanent_2023", "name": "史密斯", "gender": "2",
        "english_name": "SMITH JANE", "birth_date": "1988-08-08",
        "id_number": "911840198808080012", "nationality": "USA",
        "valid_from": "2024-01-01", "valid_to": "2034-01-01",
    },
}  # fmt: skip
_EXPECTED_ID_TYPE = {
    "resident": "01",
    "hk_macau_taiwan": "HT",
    "foreign_permanent_2017": "FP",
    "foreign_permanent_2023": "FP",
}


@pytest.mark.parametrize("kind", sorted(_TYPED_CARDS))
def test_each_card_type_round_trips_with_its_type(kind: str) -> None:
    card = card_from_dict(_TYPED_CARDS[kind])
    assert card.record is not None
    with SamIdCardEmulator() as emu, SamIdCardReader.open(emu.path, retries=0) as reader:
        emu.present(card)
        got = reader.read_card(1.0)
    assert got is not None
    assert got == card.record
    assert got.card_type.value == kind
    assert got.id_type.value == _EXPECTED_ID_TYPE[kind]
    assert got.id_number == _TYPED_CARDS[kind]["id_number"]
