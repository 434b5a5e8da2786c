"""Edge configuration: the gate agent's YAML file, its `policy` section, and env overrides.

`gate.yaml` names the device, the server, the data folder and (optionally) the drivers' gate
profile that describes the readers, relay and camera. The gate profile's `policy` passthrough
section and this file's `policy` section are both validated by `GateSettings` (this file wins).
Thresholds left empty fall back to the project's `GatePolicy` from the roster download.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.enums import Direction, GateMode
from models.roster import GatePolicy

SCHEMA_VERSION = 1
ENV_PREFIX = "SITEGATE_EDGE_"


class EdgeConfigError(Exception):
    """A gate config that cannot be used; the text is shown to the installer as is."""

    code = "edge.config"

    def __init__(self, message_zh: str, message_en: str) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        super().__init__(f"{message_zh} / {message_en}")


class GateSettings(BaseModel):
    """How this gate decides: mode, face thresholds and timings (the profile's `policy`)."""

    model_config = ConfigDict(extra="forbid")

    mode: GateMode = Field(default=GateMode.CARD_AND_FACE, description="card+face, face only…")
    card_only_fallback: bool = Field(
        default=True, description="camera down: decide on the card alone, recorded as card_only"
    )
    face_threshold: float | None = Field(
        default=None, gt=0, lt=1.5, description="max 1:1 distance; empty = project policy"
    )
    face_threshold_1n: float | None = Field(
        default=None, gt=0, lt=1.5, description="max 1:N distance; empty = project policy"
    )
    face_margin: float | None = Field(
        default=None, ge=0, lt=1, description="1:N gap best vs second best; empty = project"
    )
    min_face_px: int = Field(default=60, ge=20, le=1000, description="smallest face height, px")
    detect_max_side_px: int = Field(
        default=320, ge=120, le=4000, description="frames are downscaled to this for detection"
    )
    detect_upsample: int = Field(default=0, ge=0, le=2)
    detect_retry_upsample: int = Field(
        default=1, ge=0, le=2, description="no face found: detect again upsampled (0 = off)"
    )
    encoding_model: Literal["small", "large"] = "small"
    min_faces: int = Field(default=1, ge=1, le=10, description="matching samples needed")
    max_face_failures: int = Field(default=3, ge=1, le=20, description="failed samples → refuse")
    face_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # 2 s: the time the attack figures were measured with (benchmarks/liveness.py); a longer
    # window gives a presented picture more frames to trigger a false answer.
    liveness_timeout_s: float = Field(
        default=2.0, gt=0, le=30, description="time to answer the live-person challenge"
    )
    face_only_cooldown_s: float = Field(default=2.0, ge=0, le=60)
    face_forget_s: float = Field(default=1.5, gt=0, le=60, description="no face → forget history")
    frame_max_age_s: float = Field(default=0.5, gt=0, le=10)
    pass_timeout_s: float = Field(default=5.0, gt=0, le=60, description="turnstile auto-close")
    relay_pulse_ms: int = Field(default=300, ge=100, le=5000)
    anti_passback_window_s: float = Field(
        default=300.0, ge=0, description="same worker, same gate, within this → anti-passback"
    )


class SyncSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(default=500, ge=1, le=1000)
    heartbeat_s: float = Field(default=30.0, gt=0)
    roster_poll_s: float = Field(default=60.0, gt=0)
    idle_poll_s: float = Field(default=1.0, gt=0, description="outbox check when idle")
    backoff_base_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=60.0, gt=0)
    operator_retry_s: float = Field(default=300.0, gt=0, description="after 401/409")
    timeout_s: float = Field(default=10.0, gt=0)


class DeviceRef(BaseModel):
    """One device by URL (tty path, pty, socket://…, rtsp://…, image folder) and driver kind."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(description="sam / serial_uid / lcus / modbus / opencv / files")
    url: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict, description="driver keyword args")


class DeviceSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id_card: DeviceRef | None = None
    ic_card: DeviceRef | None = None
    relay: DeviceRef | None = None
    camera: DeviceRef | None = None


class EdgeConfig(BaseModel):
    """The gate agent's config file."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    device_code: str = Field(min_length=1, max_length=64)
    direction: Direction
    server_url: str = Field(min_length=1)
    data_dir: Path
    key_file: Path | None = None
    gate_profile: Path | None = Field(default=None, description="drivers' gate profile YAML")
    devices: DeviceSet = Field(default_factory=DeviceSet)
    policy: GateSettings = Field(default_factory=GateSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    # The gate's own checkpoints (models.checkpoint): at the end of each local day in this zone
    # and every `checkpoint_every` records.
    timezone: str = Field(default="Asia/Shanghai", min_length=1)
    checkpoint_every: int = Field(default=500, ge=10, le=10_000)

    @model_validator(mode="after")
    def _version(self) -> EdgeConfig:
        if self.schema_version != SCHEMA_VERSION:
            raise ValueError(f"schema_version {self.schema_version} is not {SCHEMA_VERSION}")
        return self

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.sqlite3"

    @property
    def roster_path(self) -> Path:
        return self.data_dir / "roster.sqlite3"

    @property
    def key_path(self) -> Path:
        return self.key_file if self.key_file is not None else self.data_dir / "device.key"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Face thresholds in force: the gate's own where set, else the project's."""

    verify: float
    identify: float
    margin: float


def thresholds(gate: GateSettings, project: GatePolicy) -> Thresholds:
    verify = gate.face_threshold if gate.face_threshold is not None else project.face_threshold
    identify = (
        gate.face_threshold_1n if gate.face_threshold_1n is not None else project.face_threshold_1n
    )
    margin = gate.face_margin if gate.face_margin is not None else project.face_margin
    return Thresholds(verify=verify, identify=identify, margin=margin)


def _env_overrides() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("server_url", "data_dir", "device_code", "key_file"):
        value = os.environ.get(ENV_PREFIX + key.upper())
        if value:
            out[key] = value
    return out


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise EdgeConfigError(f"找不到配置文件 {path}", f"config file {path} not found") from exc
    except yaml.YAMLError as exc:
        raise EdgeConfigError(f"配置文件 {path} 不是有效YAML", f"{path} is not valid YAML") from exc
    if not isinstance(data, dict):
        raise EdgeConfigError(f"配置文件 {path} 应为映射", f"{path} must be a mapping")
    return data


def profile_policy(profile_path: Path) -> dict[str, Any]:
    """The `policy` section of a drivers gate profile (read as plain YAML: it is ours to check)."""
    section = _read_yaml(profile_path).get("policy") or {}
    if not isinstance(section, dict):
        raise EdgeConfigError("闸机配置的 policy 应为映射", "gate profile policy must be a mapping")
    return section


def load_config(path: Path) -> EdgeConfig:
    """Load `gate.yaml`; relative paths are relative to the file; SITEGATE_EDGE_* override."""
    data = _read_yaml(path)
    data.update(_env_overrides())
    base = path.parent
    profile = data.get("gate_profile")
    if profile and "/" not in str(profile) and not Path(str(profile)).suffix:
        # A bare name is one of the shipped profiles (firmware_configs/gates/<name>.yaml).
        from drivers.config import configs_root

        data["gate_profile"] = str(configs_root() / "gates" / f"{profile}.yaml")
    for key in ("data_dir", "key_file", "gate_profile"):
        if data.get(key) is not None and not Path(str(data[key])).is_absolute():
            data[key] = str((base / str(data[key])).resolve())
    if data.get("gate_profile"):
        merged = profile_policy(Path(str(data["gate_profile"])))
        merged.update(data.get("policy") or {})
        data["policy"] = merged
    try:
        return EdgeConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise EdgeConfigError(
            f"配置文件 {path} 的 {where} 无效: {first['msg']}",
            f"{path}: {where} is invalid: {first['msg']}",
        ) from exc
