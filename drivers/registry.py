"""YAML `protocol` -> how to open the device and its emulator, from a DeviceModelConfig."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drivers.config import (
    CameraModelConfig,
    DeviceModelConfig,
    GateProfile,
    IcCardModelConfig,
    IdCardModelConfig,
    RelayModelConfig,
    load_device_model,
)
from drivers.emulators.pty import PtyEmulator


def _idcard(model: IdCardModelConfig, port: str, **kw: Any) -> Any:
    from drivers.sam_idcard.reader import SamIdCardReader

    t, q = model.timings_ms, model.quirks
    return SamIdCardReader.open(
        port,
        baudrate=kw.pop("baudrate", None) or model.serial.baudrate,
        command_timeout_s=t.command_timeout_ms / 1000,
        read_timeout_s=t.read_timeout_ms / 1000,
        poll_interval_s=t.poll_interval_ms / 1000,
        retries=t.retries,
        with_fingerprint=q.with_fingerprint,
        with_newest_address=q.read_newest_address,
    )


def _iccard(model: IcCardModelConfig, port: str, **kw: Any) -> Any:
    from drivers.ic_card.framer import ByteOrder, UidFormat
    from drivers.ic_card.reader import IcSerialReader

    return IcSerialReader.open(
        port,
        baudrate=kw.pop("baudrate", None) or model.serial.baudrate,
        protocol=model.protocol,
        uid_format=UidFormat(model.quirks.uid_format),
        byte_order=ByteOrder(model.quirks.byte_order),
        debounce_s=model.timings_ms.debounce_ms / 1000,
    )


def _lcus(model: RelayModelConfig, port: str, **kw: Any) -> Any:
    from drivers.relay.lcus import LcusRelay

    return LcusRelay.open(
        port,
        baudrate=kw.pop("baudrate", None) or model.serial.baudrate,
        channel=kw.pop("channel", None) or model.quirks.channel,
    )


def _modbus(model: RelayModelConfig, port: str, **kw: Any) -> Any:
    from drivers.modbus.relay import ModbusRelay

    q, s = model.quirks, model.serial
    coil = kw.pop("coil", None)
    door = kw.pop("door_input", None)
    return ModbusRelay(
        port,
        device_id=q.device_id,
        coil=q.coil if coil is None else coil,
        door_input=q.door_input if door is None else door,
        baudrate=kw.pop("baudrate", None) or s.baudrate,
        bytesize=s.bytesize,
        parity=s.parity,
        stopbits=s.stopbits,
        timeout_s=model.timings_ms.response_timeout_ms / 1000,
        verify=q.verify_readback,
    )


def _camera(model: CameraModelConfig, port: str, **kw: Any) -> Any:
    from drivers.camera.opencv_source import OpenCvFrameSource

    t, q = model.timings_ms, model.quirks
    return OpenCvFrameSource(
        port,
        backoff_initial_s=t.backoff_initial_ms / 1000,
        backoff_max_s=t.backoff_max_ms / 1000,
        open_timeout_ms=t.open_timeout_ms,
        read_timeout_ms=t.read_timeout_ms,
        width=q.width,
        height=q.height,
        fps=q.fps,
    )


def _idcard_emulator(model: IdCardModelConfig, **kw: Any) -> PtyEmulator:
    from drivers.sam_idcard.emulator import SamIdCardEmulator, emulator_from_file

    cards = kw.pop("cards_file", None)
    if cards:
        return emulator_from_file(cards, **kw)
    return SamIdCardEmulator(**kw)


def _iccard_emulator(model: IcCardModelConfig, **kw: Any) -> PtyEmulator:
    from drivers.ic_card.emulator import IcCardEmulator
    from drivers.ic_card.framer import ByteOrder, UidFormat

    terminator = {"crlf": b"\r\n", "cr": b"\r", "lf": b"\n"}[model.quirks.line_terminator]
    fmt = model.quirks.uid_format
    return IcCardEmulator(
        protocol=model.protocol,
        uid_format=UidFormat("hex" if fmt == "auto" else fmt),
        byte_order=ByteOrder(model.quirks.byte_order),
        terminator=terminator,
        **kw,
    )


def _lcus_emulator(model: RelayModelConfig, **kw: Any) -> PtyEmulator:
    from drivers.relay.emulator import LcusEmulator

    return LcusEmulator(channels=model.quirks.channels, **kw)


def _modbus_emulator(model: RelayModelConfig, **kw: Any) -> PtyEmulator:
    from drivers.modbus.emulator import ModbusRelayEmulator

    return ModbusRelayEmulator(
        device_id=model.quirks.device_id, coils=max(8, model.quirks.channels), **kw
    )


@dataclass(frozen=True, slots=True)
class ProtocolEntry:
    kind: str
    open_device: Callable[..., Any]
    open_emulator: Callable[..., PtyEmulator] | None
    description: str


PROTOCOLS: dict[str, ProtocolEntry] = {
    "sam_v": ProtocolEntry("idcard", _idcard, _idcard_emulator, "GA 467 SAM_V serial"),
    "line": ProtocolEntry("iccard", _iccard, _iccard_emulator, "card number per line"),
    "rdm6300": ProtocolEntry("iccard", _iccard, _iccard_emulator, "RDM6300 STX/ETX frames"),
    "lcus": ProtocolEntry("relay", _lcus, _lcus_emulator, "LCUS A0 relay frames"),
    "modbus_rtu": ProtocolEntry("relay", _modbus, _modbus_emulator, "Modbus RTU FC05/01/02"),
    "opencv": ProtocolEntry("camera", _camera, None, "OpenCV capture (USB/RTSP/file)"),
}


def _model(model: DeviceModelConfig | str | os.PathLike[str]) -> DeviceModelConfig:
    if isinstance(model, str | os.PathLike):
        return load_device_model(os.fspath(model))
    return model


def open_device(
    model: DeviceModelConfig | str | os.PathLike[str], port: str, **overrides: Any
) -> Any:
    """Open the device a model describes on `port`: an IdCardReader, IcCardReader, Relay or
    FrameSource. `overrides` (baudrate, channel, coil, door_input) come from a gate profile."""
    m = _model(model)
    clean = {k: v for k, v in overrides.items() if v is not None}
    return PROTOCOLS[m.protocol].open_device(m, port, **clean)


def open_emulator(model: DeviceModelConfig | str | os.PathLike[str], **kwargs: Any) -> PtyEmulator:
    """An (unstarted) emulator speaking the model's protocol; start it with `with` or start()."""
    m = _model(model)
    entry = PROTOCOLS[m.protocol]
    if entry.open_emulator is None:
        raise ValueError(f"no pty emulator for protocol {m.protocol} (use a file camera)")
    return entry.open_emulator(m, **kwargs)


def open_gate_device(profile: GateProfile, slot: str) -> Any:
    """Open the device in `slot` (idcard, iccard, relay_in, relay_out, camera) of a profile."""
    device = getattr(profile, slot)
    if device is None:
        raise KeyError(slot)
    return open_device(
        profile.model_for(slot), device.port, baudrate=device.baudrate,
        channel=device.channel, coil=device.coil, door_input=device.door_input,
    )
