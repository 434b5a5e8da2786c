"""`sitegate drivers ...` against emulators on real ptys, through Typer's CliRunner."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drivers.cli import app
from drivers.config import load_gate_profile
from drivers.ic_card.emulator import IcCardEmulator
from drivers.ic_card.framer import UidFormat
from drivers.modbus.emulator import ModbusRelayEmulator
from drivers.registry import open_gate_device
from drivers.relay.emulator import LcusEmulator
from drivers.sam_idcard.emulator import CardFault, EmulatedCard, SamIdCardEmulator
from drivers.sam_idcard.records import make_resident_card

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]
runner = CliRunner()
FACES = Path(__file__).resolve().parents[4] / "shared" / "testdata" / "faces" / "Tony_Blair"


class TestList:
    def test_json(self) -> None:
        result = runner.invoke(app, ["list", "--json"])
        assert result.exit_code == 0
        names = {r["name"] for r in json.loads(result.stdout)}
        assert {"huashi-cvr100d", "lcus-1", "generic-dec10", "hikvision-substream"} <= names

    def test_table(self) -> None:
        assert "huashi-cvr100d" in runner.invoke(app, ["list"]).stdout


class TestProbeIdcard:
    def test_masked_by_default(self) -> None:
        with SamIdCardEmulator([make_resident_card()]) as emu:
            result = runner.invoke(app, ["probe", "idcard", "--port", emu.path, "--timeout", "1"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["id_number"] == "110101********1233"
        assert data["name"] == "张三"
        assert data["sam_id"] == "05.01-20101026-0012345678-0987654321"

    def test_full(self) -> None:
        with SamIdCardEmulator([make_resident_card()]) as emu:
            result = runner.invoke(
                app, ["probe", "idcard", "-p", emu.path, "--full", "-m", "huashi-cvr100d"]
            )
        assert json.loads(result.stdout)["id_number"] == "110101199003071233"

    def test_reader_error_exits_non_zero(self) -> None:
        card = EmulatedCard(make_resident_card(), CardFault.UNREADABLE)
        with SamIdCardEmulator([card]) as emu:
            result = runner.invoke(app, ["probe", "idcard", "-p", emu.path, "--timeout", "1"])
        assert result.exit_code == 1
        assert "idcard.read_failed" in result.output
        assert "读证/卡操作失败" in result.output

    def test_no_card(self) -> None:
        with SamIdCardEmulator() as emu:
            result = runner.invoke(app, ["probe", "idcard", "-p", emu.path, "--timeout", "0.3"])
        assert result.exit_code == 2

    def test_missing_port(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["probe", "idcard", "-p", str(tmp_path / "ttyUSB9")])
        assert result.exit_code == 1
        assert "driver.port_open" in result.output


class TestProbeOthers:
    def test_iccard(self) -> None:
        with IcCardEmulator(uid_format=UidFormat.DEC10, cycle_uids=["26DEFAE7"],
                            cycle_interval_s=0.2) as emu:
            result = runner.invoke(app, ["probe", "iccard", "-p", emu.path, "--timeout", "2"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == {"uid": "26DEFAE7"}

    def test_lcus_relay(self) -> None:
        with LcusEmulator() as emu:
            result = runner.invoke(app, ["probe", "relay", "-p", emu.path, "--pulse", "120"])
            assert len(emu.wait_for_pulses(1)) == 1
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["door_state"] is None

    def test_modbus_relay_with_feedback(self) -> None:
        with ModbusRelayEmulator() as emu:
            emu.set_input(0, True)
            result = runner.invoke(app, ["probe", "relay", "-p", emu.path,
                                         "-m", "generic-modbus_io_4x4", "--pulse", "100"])
            assert len(emu.pulses(0)) == 1
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["door_state"] is True

    @pytest.mark.skipif(not FACES.is_dir(), reason="shared testdata not present")
    def test_camera_snapshot(self, tmp_path: Path) -> None:
        snap = tmp_path / "snap.jpg"
        result = runner.invoke(app, ["probe", "camera", "--url", str(FACES),
                                     "-m", "testdata-folder", "--snapshot", str(snap)])
        assert result.exit_code == 0, result.output
        assert snap.stat().st_size > 1000
        assert json.loads(result.stdout)["width"] > 0

    def test_camera_that_never_opens(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["probe", "camera", "--url", str(tmp_path / "x.mp4"),
                                     "-m", "testdata-folder", "--timeout", "0.3"])
        assert result.exit_code == 1
        assert "camera.no_frame" in result.output


class TestEmulate:
    @pytest.mark.parametrize("kind", ["idcard", "iccard", "relay"])
    def test_prints_a_pty_path(self, kind: str) -> None:
        result = runner.invoke(app, ["emulate", kind, "--seconds", "0.2"])
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[0].startswith("/dev/pts/")

    def test_idcard_with_card_file_serves_real_software(self, tmp_path: Path) -> None:
        link = tmp_path / "ttyID"
        cards = Path(__file__).resolve().parents[3] / "firmware_configs" / "cards" / "demo.yaml"
        out: dict[str, object] = {}

        def serve() -> None:
            out["result"] = runner.invoke(app, ["emulate", "idcard", "--cards", str(cards),
                                                "--link", str(link), "--seconds", "2"])

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            for _ in range(100):
                if link.exists():
                    break
                threading.Event().wait(0.02)
            profile_path = tmp_path / "gate.yaml"
            profile_path.write_text(
                f"schema_version: 1\nname: t\nidcard: {{model: generic-sam_v, port: {link}}}\n",
                encoding="utf-8",
            )
            with open_gate_device(load_gate_profile(profile_path), "idcard") as reader:
                record = reader.read_card(2.0)
            assert record is not None
            assert record.name == "张三"
        finally:
            thread.join()


class TestEmulateCamera:
    """The camera emulator is an MJPEG stream on loopback, opened like an IP camera."""

    def test_probe_reads_the_emulated_stream(self, tmp_path: Path) -> None:
        from drivers.camera.emulator import MjpegCameraEmulator

        snap = tmp_path / "snap.jpg"
        with MjpegCameraEmulator(FACES, fps=20) as camera:
            assert camera.url.startswith("http://127.0.0.1:")
            result = runner.invoke(
                app, ["probe", "camera", "--url", camera.url, "--snapshot", str(snap)]
            )
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["width"] > 0
        assert snap.stat().st_size > 1000

    def test_command_prints_the_stream_url(self) -> None:
        result = runner.invoke(
            app, ["emulate", "camera", "--source", str(FACES), "--seconds", "0.3"]
        )
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[0].endswith("/stream.mjpg")

    def test_missing_source_is_an_error(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["emulate", "camera", "--source", str(tmp_path / "none")])
        assert result.exit_code == 1
