"""Firmware configs: one YAML per device model, gate profiles combining them.

The YAML is data (firmware_configs/, shipped as package data); this module is its schema.
Every model forbids unknown keys, carries `schema_version`, and puts units in key names.
Errors name the file and the dotted key, in Chinese and English.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, TypeAdapter, ValidationError

from drivers.errors import ConfigError

SCHEMA_VERSION = 1
# version -> function upgrading a raw document from that version to the next one.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SerialSettings(_Strict):
    baudrate: Annotated[int, Field(gt=0, le=4_000_000, description="bits per second")] = 9600
    bytesize: Literal[5, 6, 7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1


class _DeviceBase(_Strict):
    schema_version: Literal[1] = Field(description="bump with a migration in MIGRATIONS")
    vendor: Annotated[str, Field(min_length=1)]
    model: Annotated[str, Field(min_length=1)]
    title_zh: str = ""
    title_en: str = ""
    notes: str = ""

    @property
    def name(self) -> str:
        """The file stem, e.g. `huashi-cvr100d`, set by the loader."""
        return getattr(self, "_name", "") or f"{self.vendor}-{self.model}".lower()


class IdCardTimings(_Strict):
    command_timeout_ms: Annotated[int, Field(ge=20, le=10_000)] = 300
    read_timeout_ms: Annotated[int, Field(ge=200, le=20_000)] = 3000
    poll_interval_ms: Annotated[int, Field(ge=10, le=5000)] = 150
    retries: Annotated[int, Field(ge=0, le=5)] = 2


class IdCardQuirks(_Strict):
    with_fingerprint: bool = False
    read_newest_address: bool = False
    card_removal_required: bool = Field(True, description="find fails until the card is removed")


class IdCardModelConfig(_DeviceBase):
    kind: Literal["idcard"]
    protocol: Literal["sam_v"]
    serial: SerialSettings = SerialSettings(baudrate=115200)
    timings_ms: IdCardTimings = IdCardTimings()
    quirks: IdCardQuirks = IdCardQuirks()
    _name: str = PrivateAttr("")


class IcCardTimings(_Strict):
    debounce_ms: Annotated[int, Field(ge=0, le=60_000)] = 1500


class IcCardQuirks(_Strict):
    uid_format: Literal["auto", "hex", "dec10", "dec8", "split_3_5"] = "auto"
    byte_order: Literal["msb", "lsb"] = "msb"
    line_terminator: Literal["crlf", "cr", "lf"] = "crlf"


class IcCardModelConfig(_DeviceBase):
    kind: Literal["iccard"]
    protocol: Literal["line", "rdm6300"]
    serial: SerialSettings = SerialSettings()
    timings_ms: IcCardTimings = IcCardTimings()
    quirks: IcCardQuirks = IcCardQuirks()
    _name: str = PrivateAttr("")


class RelayTimings(_Strict):
    pulse_ms: Annotated[int, Field(ge=100, le=10_000, description="turnstile minimum 100")] = 300
    response_timeout_ms: Annotated[int, Field(ge=20, le=10_000)] = 500


class RelayQuirks(_Strict):
    channels: Annotated[int, Field(ge=1, le=32)] = 1
    channel: Annotated[int, Field(ge=1, le=8, description="LCUS channel, 1-based")] = 1
    device_id: Annotated[int, Field(ge=1, le=247, description="Modbus slave address")] = 1
    coil: Annotated[int, Field(ge=0, le=65535, description="Modbus coil, 0-based")] = 0
    door_input: Annotated[int | None, Field(ge=0, le=65535)] = None
    verify_readback: bool = True


class RelayModelConfig(_DeviceBase):
    kind: Literal["relay"]
    protocol: Literal["lcus", "modbus_rtu"]
    serial: SerialSettings = SerialSettings()
    timings_ms: RelayTimings = RelayTimings()
    quirks: RelayQuirks = RelayQuirks()
    _name: str = PrivateAttr("")


class CameraTimings(_Strict):
    open_timeout_ms: Annotated[int, Field(ge=100, le=60_000)] = 5000
    read_timeout_ms: Annotated[int, Field(ge=100, le=60_000)] = 5000
    backoff_initial_ms: Annotated[int, Field(ge=10, le=60_000)] = 1000
    backoff_max_ms: Annotated[int, Field(ge=10, le=600_000)] = 30_000
    max_frame_age_ms: Annotated[int, Field(ge=10, le=60_000)] = 500


class CameraQuirks(_Strict):
    url_template: str | None = Field(None, description="e.g. rtsp://{user}:{password}@{host}...")
    width: Annotated[int | None, Field(ge=16, le=8192)] = None
    height: Annotated[int | None, Field(ge=16, le=8192)] = None
    fps: Annotated[float, Field(gt=0, le=240)] = 10.0


class CameraModelConfig(_DeviceBase):
    kind: Literal["camera"]
    protocol: Literal["opencv"]
    timings_ms: CameraTimings = CameraTimings()
    quirks: CameraQuirks = CameraQuirks()
    _name: str = PrivateAttr("")


DeviceModelConfig = Annotated[
    IdCardModelConfig | IcCardModelConfig | RelayModelConfig | CameraModelConfig,
    Field(discriminator="kind"),
]
_DEVICE_ADAPTER: TypeAdapter[DeviceModelConfig] = TypeAdapter(DeviceModelConfig)

SLOT_KINDS = {
    "idcard": "idcard", "iccard": "iccard", "relay_in": "relay", "relay_out": "relay",
    "camera": "camera",
}  # fmt: skip


class GateDevice(_Strict):
    model: Annotated[str, Field(min_length=1, description="device model name or YAML path")]
    port: Annotated[str, Field(min_length=1, description="serial URL / tty path / camera URL")]
    baudrate: Annotated[int | None, Field(gt=0)] = None
    channel: Annotated[int | None, Field(ge=1, le=8)] = None
    coil: Annotated[int | None, Field(ge=0)] = None
    door_input: Annotated[int | None, Field(ge=0)] = None


class GateTimings(_Strict):
    open_pulse_ms: Annotated[int, Field(ge=100, le=10_000)] = 300
    pass_timeout_ms: Annotated[int, Field(ge=500, le=60_000)] = 5000


class GateProfile(_Strict):
    schema_version: Literal[1]
    name: Annotated[str, Field(min_length=1)]
    title_zh: str = ""
    title_en: str = ""
    idcard: GateDevice | None = None
    iccard: GateDevice | None = None
    relay_in: GateDevice | None = None
    relay_out: GateDevice | None = None
    camera: GateDevice | None = None
    timings_ms: GateTimings = GateTimings()
    policy: dict[str, Any] | None = Field(
        None, description="validated by edge's own model; passed through untouched here"
    )
    _models: dict[str, Any] = PrivateAttr(default_factory=dict)

    def model_for(self, slot: str) -> DeviceModelConfig:
        """The resolved device model behind `slot` (idcard, iccard, relay_in, ...)."""
        return self._models[slot]  # type: ignore[no-any-return]

    def slots(self) -> Iterator[tuple[str, GateDevice]]:
        for slot in SLOT_KINDS:
            device = getattr(self, slot)
            if device is not None:
                yield slot, device


# --- loading ------------------------------------------------------------------------------


def configs_root() -> Path:
    return Path(str(resources.files("firmware_configs")))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"配置文件不存在: {path}", f"config file not found: {path}",
                          code="config.not_found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML 格式错误: {exc}", f"{path}: invalid YAML: {exc}",
                          code="config.bad_yaml") from exc
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: 顶层须为映射", f"{path}: top level must be a mapping",
                          code="config.bad_yaml")
    return doc


def _migrate(doc: dict[str, Any], path: Path) -> dict[str, Any]:
    version = doc.get("schema_version")
    if isinstance(version, int) and version > SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: schema_version {version} 比本程序支持的 {SCHEMA_VERSION} 新",
            f"{path}: schema_version {version} is newer than supported {SCHEMA_VERSION}",
            code="config.too_new",
        )
    while isinstance(version, int) and version in MIGRATIONS:
        doc = MIGRATIONS[version](doc)
        version = doc.get("schema_version")
    return doc


def _validation_error(path: Path, exc: ValidationError, tag: str | None = None) -> ConfigError:
    lines_zh, lines_en = [], []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if tag is not None and loc and loc[0] == tag:
            loc = loc[1:]  # the discriminated-union tag is not a key in the file
        key = ".".join(loc) or "(root)"
        if err["type"] == "extra_forbidden":
            lines_zh.append(f"未知的键 {key}")
            lines_en.append(f"unknown key {key}")
        else:
            lines_zh.append(f"键 {key} 的值无效: {err['msg']}")
            lines_en.append(f"bad value for {key}: {err['msg']}")
    return ConfigError(f"{path}: " + "; ".join(lines_zh), f"{path}: " + "; ".join(lines_en),
                       code="config.invalid")


def device_model_paths() -> dict[str, Path]:
    """Known device model names (file stems) -> their YAML files."""
    root = configs_root() / "devices"
    return {p.stem: p for p in sorted(root.glob("*/*.yaml"))}


def load_device_model(path_or_name: str | Path) -> DeviceModelConfig:
    """Load a device model by name (`huashi-cvr100d`) or by path to a YAML file."""
    path = Path(path_or_name)
    if not path.suffix:
        known = device_model_paths()
        if str(path_or_name) not in known:
            raise ConfigError(
                f"未知设备型号 {path_or_name}; 可用: {', '.join(known)}",
                f"unknown device model {path_or_name}; known: {', '.join(known)}",
                code="config.unknown_model",
            )
        path = known[str(path_or_name)]
    doc = _migrate(_read_yaml(path), path)
    try:
        model = _DEVICE_ADAPTER.validate_python(doc)
    except ValidationError as exc:
        raise _validation_error(path, exc, tag=str(doc.get("kind"))) from exc
    model._name = path.stem
    return model


def load_gate_profile(path: str | Path) -> GateProfile:
    """Load a gate profile and resolve + cross-check every device model it names."""
    path = Path(path)
    if not path.suffix and not path.exists():
        path = configs_root() / "gates" / f"{path}.yaml"
    doc = _migrate(_read_yaml(path), path)
    try:
        profile = GateProfile.model_validate(doc)
    except ValidationError as exc:
        raise _validation_error(path, exc) from exc
    for slot, device in profile.slots():
        ref = device.model
        if ref.endswith((".yaml", ".yml")) and not Path(ref).is_absolute():
            ref = str(path.parent / ref)
        try:
            model = load_device_model(ref)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {slot}.model: {exc.message_zh}",
                              f"{path}: {slot}.model: {exc.message_en}", code=exc.code) from exc
        if model.kind != SLOT_KINDS[slot]:
            raise ConfigError(
                f"{path}: {slot}.model 为 {model.kind} 设备, 此处需要 {SLOT_KINDS[slot]}",
                f"{path}: {slot}.model is a {model.kind} device, {SLOT_KINDS[slot]} needed here",
                code="config.wrong_kind",
            )
        serial = getattr(model, "serial", None)
        if device.baudrate is not None and serial is not None and \
                device.baudrate != serial.baudrate:
            raise ConfigError(
                f"{path}: {slot}.baudrate={device.baudrate}, 但 {model.name} 需要 "
                f"{serial.baudrate} {serial.bytesize}{serial.parity}{serial.stopbits}",
                f"{path}: {slot}.baudrate={device.baudrate}, but {model.name} needs "
                f"{serial.baudrate} {serial.bytesize}{serial.parity}{serial.stopbits}",
                code="config.baud_mismatch",
            )
        if model.kind == "camera" and device.baudrate is not None:
            raise ConfigError(f"{path}: {slot}.baudrate 对摄像头无意义",
                              f"{path}: {slot}.baudrate makes no sense for a camera",
                              code="config.invalid")
        profile._models[slot] = model
    return profile
