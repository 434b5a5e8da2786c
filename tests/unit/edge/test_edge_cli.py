"""`sitegate edge` commands through Typer's CliRunner."""

from __future__ import annotations

import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from edge.cli import app, load_or_create_key
from edge.config import load_config
from edge.decision import Attempt
from edge.outbox import Outbox
from models.device_auth import key_fingerprint, public_key_hex
from models.enums import CredentialKind, Direction, GateMode, GateResult
from models.sync import ProvisionResponse

runner = CliRunner()


def write_config(tmp_path: Path, **extra: str) -> Path:
    cfg = tmp_path / "gate.yaml"
    lines = [
        "schema_version: 1",
        "device_code: GATE-A-IN",
        "direction: in",
        "server_url: http://127.0.0.1:9",
        "data_dir: data",
        "policy: {mode: face_only, face_threshold: 0.45}",
    ] + [f"{k}: {v}" for k, v in extra.items()]
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cfg


class TestConfig:
    def test_relative_paths_and_env(self, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
        monkeypatch.setenv("SITEGATE_EDGE_SERVER_URL", "https://sitegate.example")
        cfg = load_config(write_config(tmp_path))
        assert cfg.data_dir == (tmp_path / "data").resolve()
        assert cfg.server_url == "https://sitegate.example"
        assert cfg.policy.face_threshold == 0.45

    def test_bad_value_is_one_bilingual_line(self, tmp_path: Path) -> None:
        cfg = write_config(tmp_path, sync="{batch_size: 5000}")
        result = runner.invoke(app, ["status", "--config", str(cfg)])
        assert result.exit_code == 1
        assert "sync.batch_size" in result.output
        assert "Traceback" not in result.output


class TestStatus:
    def test_status_json(self, tmp_path: Path) -> None:
        cfg = load_config(write_config(tmp_path))
        key = load_or_create_key(cfg.key_path)
        assert stat.S_IMODE(cfg.key_path.stat().st_mode) == 0o600
        Outbox(cfg.outbox_path, device_id="GATE-A-IN", key=key).close()
        result = runner.invoke(app, ["status", "--config", str(tmp_path / "gate.yaml"), "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["outbox"]["queue_depth"] == 0
        assert data["device"] == "GATE-A-IN"

    def test_status_table(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["status", "--config", str(write_config(tmp_path))])
        assert result.exit_code == 0, result.output
        assert "queue depth" in result.output


def _attempt(at: dt.datetime) -> Attempt:
    return Attempt(
        at=at,
        direction=Direction.IN,
        mode=GateMode.CARD_AND_FACE,
        result=GateResult.GRANTED,
        credential=CredentialKind.IC_CARD,
        credential_ref="A1B2C3D4",
        worker_id=1,
    )


class TestAnchors:
    """The gate shows its own key fingerprint and its last checkpoint (issue 13: an anchor the
    server does not keep)."""

    def _sealed(self, tmp_path: Path) -> tuple[Path, str, str]:
        path = write_config(tmp_path)
        cfg = load_config(path)
        key = load_or_create_key(cfg.key_path)
        at = dt.datetime(2026, 3, 17, 9, 0, tzinfo=dt.UTC)
        with Outbox(cfg.outbox_path, device_id="GATE-A-IN", key=key) as box:
            for i in range(3):
                box.append(_attempt(at + dt.timedelta(minutes=i)))
            sealed = box.checkpoint_now(at + dt.timedelta(minutes=5))
            assert sealed is not None
            for i in range(2):
                box.append(_attempt(at + dt.timedelta(minutes=10 + i)))
        return path, key_fingerprint(public_key_hex(key)), sealed.hash

    def test_status_json_has_fingerprint_and_checkpoint(self, tmp_path: Path) -> None:
        path, fp, cp_hash = self._sealed(tmp_path)
        result = runner.invoke(app, ["status", "--config", str(path), "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["key_fingerprint"] == fp
        assert data["checkpoint"] == {"seq": 4, "hash": cp_hash, "unsealed": 2}

    def test_status_table_shows_them(self, tmp_path: Path) -> None:
        path, fp, cp_hash = self._sealed(tmp_path)
        result = runner.invoke(app, ["status", "--config", str(path)], terminal_width=200)
        assert result.exit_code == 0, result.output
        assert fp in result.output
        assert "闸机密钥指纹" in result.output
        assert "gate key fingerprint" in result.output
        assert f"seq 4 · {cp_hash[:12]}…" in result.output
        assert "未封存记录 / records not yet sealed" in result.output
        assert "考勤表" in result.output

    def test_status_before_any_key_or_checkpoint(self, tmp_path: Path) -> None:
        path = write_config(tmp_path)
        result = runner.invoke(app, ["status", "--config", str(path), "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["key_fingerprint"] is None  # status never creates the key
        assert not load_config(path).key_path.exists()

    def test_provision_prints_the_fingerprint_to_write_down(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import edge.sync

        seen: list[str] = []

        def fake(url: str, code: str, key: Ed25519PrivateKey) -> ProvisionResponse:
            seen.append(public_key_hex(key))
            return ProvisionResponse(device_id="GATE-A-IN", project_id=1, direction="in")

        monkeypatch.setattr(edge.sync, "provision", fake)
        path = write_config(tmp_path)
        result = runner.invoke(
            app, ["provision", "--config", str(path), "--code", "ABCD-1234"], terminal_width=200
        )
        assert result.exit_code == 0, result.output
        assert f"闸机密钥指纹 / gate key fingerprint: {key_fingerprint(seen[0])}" in result.output
        assert "请抄下此指纹" in result.output
        assert "write this fingerprint down" in result.output
        assert "考勤表" in result.output


class TestBuildDevicesFromGateProfile:
    """A gate.yaml that names only a drivers gate profile opens its devices from the firmware
    configs (device model -> protocol, serial settings), here against emulators on real ptys."""

    def test_profile_slots_open_real_drivers(self, tmp_path: Path) -> None:
        from drivers.relay.emulator import LcusEmulator
        from drivers.sam_idcard.emulator import SamIdCardEmulator
        from drivers.sam_idcard.records import make_resident_card
        from edge.cli import build_devices

        card = make_resident_card("李四", "110101199003071233")
        with SamIdCardEmulator([card]) as sam, LcusEmulator(channels=2) as lcus:
            profile = tmp_path / "profile.yaml"
            profile.write_text(
                "schema_version: 1\nname: test-gate\n"
                f"idcard: {{model: huashi-cvr100d, port: {sam.path}}}\n"
                f"relay_in: {{model: lcus-2, port: {lcus.path}, channel: 1}}\n"
                f"relay_out: {{model: lcus-2, port: {lcus.path}, channel: 2}}\n",
                encoding="utf-8",
            )
            cfg = load_config(write_config(tmp_path, gate_profile=str(profile)))
            devices = build_devices(cfg)
            try:
                assert devices.ic_reader is None
                assert devices.camera is None
                assert devices.id_reader is not None
                assert devices.relay is not None
                record = devices.id_reader.read_card(2.0)
                assert record is not None
                assert record.id_number == "110101199003071233"
                devices.relay.pulse(50)
                # direction "in" drives the profile's relay_in channel
                assert lcus.wait_for_pulses(1, channel=1)
            finally:
                devices.close()


class TestExampleConfig:
    def test_readme_example_loads_with_its_shipped_profile(self) -> None:
        from drivers.config import load_gate_profile

        example = Path(__file__).resolve().parents[3] / "docs" / "gate.example.yaml"
        cfg = load_config(example)
        assert cfg.gate_profile is not None
        assert load_gate_profile(cfg.gate_profile).idcard is not None
