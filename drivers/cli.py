"""`sitegate drivers ...`: what an installer runs at the gate with a laptop.

list: known device models. probe: talk to one real device and print what it says (JSON).
emulate: start an emulator on a new pty and print its path, so real software can be aimed at it.
cv2 and the device modules are imported inside the commands to keep `sitegate --help` fast.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from drivers.errors import DriverError

app = typer.Typer(help="设备驱动: 列出、探测、模拟 / device drivers: list, probe, emulate",
                  no_args_is_help=True)
probe_app = typer.Typer(help="探测一台设备 / talk to one device", no_args_is_help=True)
emulate_app = typer.Typer(help="启动模拟器 / start an emulator (a pty, or a camera stream)",
                          no_args_is_help=True)
app.add_typer(probe_app, name="probe")
app.add_typer(emulate_app, name="emulate")

DEFAULT_MODELS = {
    "idcard": "generic-sam_v", "iccard": "generic-dec10", "relay": "lcus-1",
    "camera": "generic-usb",
}  # fmt: skip

ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="device model name or YAML")]
PortOpt = Annotated[str, typer.Option("--port", "-p", help="/dev/ttyUSB0, COM3, pty, socket://")]


def _fail(exc: DriverError) -> typer.Exit:
    typer.echo(f"错误 / error [{exc.code}]: {exc.message_zh} / {exc.message_en}", err=True)
    return typer.Exit(1)


def _print(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _load(kind: str, model: str | None) -> Any:
    from drivers.config import load_device_model

    m = load_device_model(model or DEFAULT_MODELS[kind])
    if m.kind != kind:
        from drivers.errors import ConfigError

        raise ConfigError(f"型号 {m.name} 是 {m.kind} 设备, 不是 {kind}",
                          f"model {m.name} is a {m.kind} device, not {kind}")
    return m


@app.command("list")
def list_models(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """已知设备型号 / known device models."""
    from drivers.config import device_model_paths, load_device_model

    rows = []
    for name in device_model_paths():
        m = load_device_model(name)
        rows.append({"name": name, "kind": m.kind, "protocol": m.protocol,
                     "title_zh": m.title_zh, "title_en": m.title_en})
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("name", "kind", "protocol", "型号 / model")
    for r in rows:
        table.add_row(r["name"], r["kind"], r["protocol"], f"{r['title_zh']} / {r['title_en']}")
    Console().print(table)


@probe_app.command("idcard")
def probe_idcard(
    port: PortOpt,
    model: ModelOpt = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for a card")] = 10.0,
    full: Annotated[bool, typer.Option("--full", help="print the ID number unmasked")] = False,
) -> None:
    """读一张身份证并输出 JSON / read one ID card and print it as JSON."""
    from drivers.registry import open_device

    try:
        with open_device(_load("idcard", model), port) as reader:
            sam_id = reader.read_sam_id()
            record = reader.read_card(timeout)
            if record is None:
                typer.echo(f"错误 / error [idcard.no_card]: {timeout:g} 秒内未放卡 / "
                           f"no card presented within {timeout:g} s", err=True)
                raise typer.Exit(2)
    except DriverError as exc:
        raise _fail(exc) from exc
    _print({"sam_id": sam_id, **record.to_json_dict(full=full)})


@probe_app.command("iccard")
def probe_iccard(
    port: PortOpt,
    model: ModelOpt = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for a card")] = 10.0,
) -> None:
    """读一张 IC 卡卡号 / read one IC card UID."""
    from drivers.registry import open_device

    try:
        with open_device(_load("iccard", model), port) as reader:
            uid = reader.read_uid(timeout)
    except DriverError as exc:
        raise _fail(exc) from exc
    if uid is None:
        typer.echo(f"错误 / error [iccard.no_card]: {timeout:g} 秒内未刷卡 / "
                   f"no card within {timeout:g} s", err=True)
        raise typer.Exit(2)
    _print({"uid": uid})


@probe_app.command("relay")
def probe_relay(
    port: PortOpt,
    model: ModelOpt = None,
    pulse: Annotated[int, typer.Option("--pulse", help="close the contact for MS ms")] = 300,
    channel: Annotated[int | None, typer.Option(help="LCUS channel (1-based)")] = None,
    coil: Annotated[int | None, typer.Option(help="Modbus coil (0-based)")] = None,
) -> None:
    """闸机继电器吸合一次 / pulse the turnstile relay once."""
    from drivers.registry import open_device

    m = _load("relay", model)
    try:
        with open_device(m, port, channel=channel, coil=coil) as relay:
            t0 = time.monotonic()
            relay.pulse(pulse)
            took = round((time.monotonic() - t0) * 1000)
            door = relay.door_state()
    except DriverError as exc:
        raise _fail(exc) from exc
    _print({"model": m.name, "pulse_ms": pulse, "took_ms": took, "door_state": door})


@probe_app.command("camera")
def probe_camera(
    url: Annotated[str, typer.Option("--url", "--port", help="usb:0, rtsp://..., file, folder")],
    model: ModelOpt = None,
    snapshot: Annotated[Path | None, typer.Option(help="write one frame to this file")] = None,
    timeout: Annotated[float, typer.Option(help="seconds to wait for a frame")] = 10.0,
) -> None:
    """取一帧图像 / grab a frame (and optionally save it)."""
    from drivers.registry import open_device

    m = _load("camera", model)
    source = open_device(m, url)
    try:
        frame = source.wait_frame(timeout)
        error = source.last_error
    finally:
        source.close()
    if frame is None:
        typer.echo(f"错误 / error [camera.no_frame]: {timeout:g} 秒内无图像 ({error}) / "
                   f"no frame within {timeout:g} s ({error})", err=True)
        raise typer.Exit(1)
    if snapshot is not None:
        import cv2

        if not cv2.imwrite(str(snapshot), frame.image):
            typer.echo(f"错误 / error: 无法写入 {snapshot} / cannot write {snapshot}", err=True)
            raise typer.Exit(1)
    h, w = frame.image.shape[:2]
    _print({"model": m.name, "width": w, "height": h,
            "snapshot": None if snapshot is None else str(snapshot)})


# --- emulators ----------------------------------------------------------------------------

SecondsOpt = Annotated[float | None, typer.Option(help="stop after N seconds (default: Ctrl-C)")]
LinkOpt = Annotated[Path | None, typer.Option(help="also create this symlink to the pty")]


def _serve(emulator: Any, seconds: float | None, report: Any = None) -> None:
    stop = {"flag": False}

    def _sigterm(*_: object) -> None:
        stop["flag"] = True

    previous = signal.signal(signal.SIGTERM, _sigterm) if _main_thread() else None
    with emulator:
        typer.echo(emulator.path)
        sys.stdout.flush()
        deadline = None if seconds is None else time.monotonic() + seconds
        try:
            while not stop["flag"] and (deadline is None or time.monotonic() < deadline):
                time.sleep(0.05)
                if report is not None:
                    report()
        except KeyboardInterrupt:
            pass
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


@emulate_app.command("idcard")
def emulate_idcard(
    cards: Annotated[Path | None, typer.Option(help="YAML/JSON card file")] = None,
    model: ModelOpt = None,
    link: LinkOpt = None,
    seconds: SecondsOpt = None,
) -> None:
    """身份证阅读器模拟器 / ID-card reader emulator (cards cycle after each read)."""
    from drivers.registry import open_emulator
    from drivers.sam_idcard.records import make_resident_card

    m = _load("idcard", model)
    try:
        if cards is not None:
            emu = open_emulator(m, cards_file=cards, link=link)
        else:
            emu = open_emulator(m, cards=[make_resident_card()], link=link)
    except (DriverError, ValueError, OSError) as exc:
        typer.echo(f"错误 / error: {exc}", err=True)
        raise typer.Exit(1) from exc
    _serve(emu, seconds)


@emulate_app.command("iccard")
def emulate_iccard(
    uid: Annotated[list[str] | None, typer.Option(help="UID(s) in hex to tap in turn")] = None,
    interval: Annotated[float, typer.Option(help="seconds between taps")] = 3.0,
    model: ModelOpt = None,
    link: LinkOpt = None,
    seconds: SecondsOpt = None,
) -> None:
    """IC 卡读卡器模拟器 / IC-card reader emulator."""
    from drivers.registry import open_emulator

    uids = uid or ["26DEFAE7"]
    emu = open_emulator(_load("iccard", model), cycle_uids=uids, cycle_interval_s=interval,
                        link=link)
    _serve(emu, seconds)


class CameraProtocol(StrEnum):
    MJPEG = "mjpeg"
    RTSP = "rtsp"


@emulate_app.command("camera")
def emulate_camera(
    source: Annotated[Path, typer.Option(help="image folder, image or video file")],
    fps: Annotated[float, typer.Option(help="frames per second")] = 10.0,
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1 (0: any free port)")] = 0,
    protocol: Annotated[CameraProtocol, typer.Option(
        help="mjpeg: HTTP MJPEG stream; rtsp: RTSP with RTP/JPEG over TCP, like an IP camera",
    )] = CameraProtocol.MJPEG,
    path: Annotated[str, typer.Option(help="RTSP stream path")] = "/Streaming/Channels/101",
    user: Annotated[str | None, typer.Option(help="RTSP Basic auth user")] = None,
    password: Annotated[str | None, typer.Option(help="RTSP Basic auth password")] = None,
    seconds: SecondsOpt = None,
) -> None:
    """摄像头模拟器: 图像目录作为 MJPEG 或 RTSP 视频流 / camera emulator: an image folder as an
    MJPEG or RTSP stream; prints the URL to use as the camera's port."""
    from drivers.camera.emulator import MjpegCameraEmulator
    from drivers.camera.rtsp_emulator import RtspCameraEmulator

    if (user is None) != (password is None) or (
        user is not None and protocol is not CameraProtocol.RTSP
    ):
        typer.echo("错误 / error: --user 与 --password 须同时给出, 且仅用于 --protocol rtsp / "
                   "--user and --password go together, with --protocol rtsp only", err=True)
        raise typer.Exit(2)
    emu: MjpegCameraEmulator | RtspCameraEmulator
    try:
        if protocol is CameraProtocol.RTSP:
            emu = RtspCameraEmulator(source, fps=fps, port=port, path=path,
                                     user=user, password=password)
        else:
            emu = MjpegCameraEmulator(source, fps=fps, port=port)
    except (DriverError, OSError) as exc:
        typer.echo(f"错误 / error: {exc}", err=True)
        raise typer.Exit(1) from exc
    _serve(emu, seconds)


@emulate_app.command("relay")
def emulate_relay(
    model: ModelOpt = None,
    link: LinkOpt = None,
    seconds: SecondsOpt = None,
) -> None:
    """继电器模拟器 (LCUS 或 Modbus RTU) / relay emulator; prints each contact change."""
    from drivers.registry import open_emulator

    emu = open_emulator(_load("relay", model), link=link)
    seen = {"n": 0}

    def report() -> None:
        history = emu.history  # type: ignore[attr-defined]
        for change in history[seen["n"] :]:
            state = "ON 吸合" if change.on else "OFF 断开"
            where = getattr(change, "channel", getattr(change, "coil", "?"))
            typer.echo(f"{change.ts:.3f} {where} {state}")
        seen["n"] = len(history)

    _serve(emu, seconds, report)
