"""Firmware configs: every shipped YAML loads; bad files fail naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers import config
from drivers.config import ConfigError, load_device_model, load_gate_profile
from drivers.registry import PROTOCOLS

ROOT = config.configs_root()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class TestLoadDeviceModel:
    @pytest.mark.parametrize("path", sorted((ROOT / "devices").glob("*/*.yaml")), ids=str)
    def test_every_shipped_model_loads(self, path: Path) -> None:
        model = load_device_model(path)
        assert model.kind == path.parent.name
        assert model.protocol in PROTOCOLS
        assert PROTOCOLS[model.protocol].kind == model.kind
        assert model.name == path.stem
        assert model.title_zh
        assert model.title_en

    def test_by_name(self) -> None:
        model = load_device_model("huashi-cvr100d")
        assert isinstance(model, config.IdCardModelConfig)
        assert model.serial.baudrate == 115200

    def test_unknown_key_names_file_and_key(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "x.yaml", "schema_version: 1\nkind: relay\nprotocol: lcus\n"
                      "vendor: a\nmodel: b\ntimings_ms: {pulse_ms: 300, puls_ms: 2}\n")
        with pytest.raises(ConfigError) as info:
            load_device_model(path)
        assert str(path) in info.value.message_en
        assert "unknown key timings_ms.puls_ms" in info.value.message_en
        assert "未知的键 timings_ms.puls_ms" in info.value.message_zh

    def test_bad_value(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "x.yaml", "schema_version: 1\nkind: relay\nprotocol: lcus\n"
                      "vendor: a\nmodel: b\ntimings_ms: {pulse_ms: 5}\n")
        with pytest.raises(ConfigError, match=r"bad value for timings_ms\.pulse_ms"):
            load_device_model(path)

    def test_unknown_protocol(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "x.yaml", "schema_version: 1\nkind: idcard\nprotocol: cvr\n"
                      "vendor: a\nmodel: b\n")
        with pytest.raises(ConfigError, match="protocol"):
            load_device_model(path)

    def test_newer_schema(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "x.yaml", "schema_version: 9\nkind: idcard\n")
        with pytest.raises(ConfigError) as info:
            load_device_model(path)
        assert info.value.code == "config.too_new"

    def test_bad_yaml_and_missing(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="invalid YAML"):
            load_device_model(_write(tmp_path, "x.yaml", "a: [1\n"))
        with pytest.raises(ConfigError, match="not found"):
            load_device_model(tmp_path / "nope.yaml")
        with pytest.raises(ConfigError, match="unknown device model"):
            load_device_model("no-such-model")


class TestLoadGateProfile:
    @pytest.mark.parametrize("path", sorted((ROOT / "gates").glob("*.yaml")), ids=str)
    def test_every_shipped_profile_loads(self, path: Path) -> None:
        profile = load_gate_profile(path)
        for slot, _ in profile.slots():
            assert profile.model_for(slot).kind == config.SLOT_KINDS[slot]

    def test_policy_passthrough(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "g.yaml", "schema_version: 1\nname: g\n"
                      "relay_in: {model: lcus-1, port: /dev/ttyUSB0}\n"
                      "policy: {anti_passback_s: 60, anything: [1, 2]}\n")
        assert load_gate_profile(path).policy == {"anti_passback_s": 60, "anything": [1, 2]}

    def test_wrong_kind_in_slot(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "g.yaml", "schema_version: 1\nname: g\n"
                      "idcard: {model: lcus-1, port: /dev/ttyUSB0}\n")
        with pytest.raises(ConfigError, match=r"idcard\.model is a relay device") as info:
            load_gate_profile(path)
        assert info.value.code == "config.wrong_kind"

    def test_baud_mismatch(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "g.yaml", "schema_version: 1\nname: g\n"
                      "idcard: {model: huashi-cvr100d, port: /dev/ttyUSB0, baudrate: 9600}\n")
        with pytest.raises(ConfigError) as info:
            load_gate_profile(path)
        assert info.value.code == "config.baud_mismatch"
        assert "idcard.baudrate=9600" in info.value.message_en
        assert "115200 8N1" in info.value.message_en

    def test_unknown_model_names_the_slot(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "g.yaml", "schema_version: 1\nname: g\n"
                      "iccard: {model: nope, port: /dev/ttyUSB0}\n")
        with pytest.raises(ConfigError, match=r"iccard\.model"):
            load_gate_profile(path)

    def test_unknown_top_level_key(self, tmp_path: Path) -> None:
        path = _write(tmp_path, "g.yaml", "schema_version: 1\nname: g\nrelay: {}\n")
        with pytest.raises(ConfigError, match="unknown key relay"):
            load_gate_profile(path)

    def test_relative_model_path(self, tmp_path: Path) -> None:
        (tmp_path / "my-relay.yaml").write_text(
            (ROOT / "devices/relay/lcus-1.yaml").read_text(encoding="utf-8"), encoding="utf-8"
        )
        path = _write(tmp_path, "g.yaml", "schema_version: 1\nname: g\n"
                      "relay_in: {model: my-relay.yaml, port: loop://}\n")
        assert load_gate_profile(path).model_for("relay_in").name == "my-relay"
