"""`sitegate edge …`: provision, run, status, enroll, wage-confirm, outbox. Heavy imports stay
inside commands."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from edge import face_backend
from edge.config import DeviceRef, EdgeConfig, EdgeConfigError, GateSettings, load_config
from models.enums import Direction

if TYPE_CHECKING:
    from collections.abc import Callable

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from edge.agent import Devices, GateAgent
    from edge.outbox import CheckpointPolicy, Outbox
    from edge.roster_cache import RosterCache
    from edge.sync import SyncClient

app = typer.Typer(help="闸机端 / gate agent (edge)", no_args_is_help=True)
outbox_app = typer.Typer(help="发件箱 / outbox", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
console = Console()


def friendly_errors(func: Callable[..., None]) -> Callable[..., None]:
    """sitegate_cli.errors.friendly_errors, imported when called: importing it here would make
    `import edge.cli` circular (sitegate_cli's package init imports this module)."""
    import functools

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        from sitegate_cli.errors import friendly_errors as wrap

        wrap(func)(*args, **kwargs)

    return wrapper


ConfigOpt = Annotated[Path, typer.Option("--config", "-c", help="gate.yaml", exists=False)]


# --- key and identity ------------------------------------------------------------------------


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The device key lives in a 0600 file next to the data; created on first use."""
    from models.device_auth import load_private_key, new_private_key, private_key_bytes

    if path.exists():
        return load_private_key(path.read_bytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = new_private_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_key_bytes(key))
    return key


def gate_fingerprint(cfg: EdgeConfig) -> str | None:
    """The gate key's fingerprint (models.device_auth.key_fingerprint), read, never created."""
    from models.device_auth import key_fingerprint, load_private_key, public_key_hex

    if not cfg.key_path.exists():
        return None
    return key_fingerprint(public_key_hex(load_private_key(cfg.key_path.read_bytes())))


# Shown beside the fingerprint: the site keeps it outside the server, so a re-keyed gate shows.
FINGERPRINT_ADVICE = (
    "请抄下此指纹,并与班组长签字的月度考勤表上打印的指纹核对",
    "write this fingerprint down and compare it with the one printed on the signed monthly "
    "考勤表 (attendance sheet)",
)


def device_id(cfg: EdgeConfig) -> str:
    """The id the server gave at provisioning, else the configured code."""
    ident = cfg.data_dir / "device.json"
    if ident.exists():
        return str(json.loads(ident.read_text(encoding="utf-8"))["device_id"])
    return cfg.device_code


# --- devices ---------------------------------------------------------------------------------


def _open_device(ref: DeviceRef) -> Any:
    kind, opts = ref.kind, ref.options
    if kind == "sam":
        from drivers.sam_idcard.reader import SamIdCardReader

        return SamIdCardReader.open(ref.url, **opts)
    if kind == "serial_uid":
        from drivers.ic_card.reader import IcSerialReader

        return IcSerialReader.open(ref.url, **opts)
    if kind == "lcus":
        from drivers.relay.lcus import LcusRelay

        return LcusRelay.open(ref.url, **opts)
    if kind == "modbus":
        from drivers.modbus.relay import ModbusRelay

        return ModbusRelay.open(ref.url, **opts)
    if kind == "opencv":
        from drivers.camera.opencv_source import OpenCvFrameSource

        return OpenCvFrameSource(ref.url, **opts)
    if kind == "files":
        from drivers.camera.file_source import FileFrameSource

        return FileFrameSource(ref.url, **opts)
    raise EdgeConfigError(f"未知设备类型 {kind}", f"unknown device kind {kind}")


def _profile_slots(cfg: EdgeConfig) -> dict[str, str]:
    """Our device -> the gate profile's slot; the relay follows this gate's direction."""
    relay = "relay_in" if cfg.direction is Direction.IN else "relay_out"
    return {"id_card": "idcard", "ic_card": "iccard", "relay": relay, "camera": "camera"}


def build_devices(cfg: EdgeConfig) -> Devices:
    """Open each device named in `devices:`; the rest come from the drivers' gate profile
    (firmware_configs/gates/*.yaml: device models, ports, serial settings), when one is set."""
    from edge.agent import Devices

    profile = None
    if cfg.gate_profile is not None:
        from drivers.config import load_gate_profile

        profile = load_gate_profile(cfg.gate_profile)

    def open_one(ours: str, ref: DeviceRef | None) -> Any:
        if ref is not None:
            return _open_device(ref)
        slot = _profile_slots(cfg)[ours]
        if profile is None or getattr(profile, slot) is None:
            return None
        from drivers.registry import open_gate_device

        return open_gate_device(profile, slot)

    d = cfg.devices
    devices = Devices()
    try:
        devices.id_reader = open_one("id_card", d.id_card)
        devices.ic_reader = open_one("ic_card", d.ic_card)
        devices.relay = open_one("relay", d.relay)
        devices.camera = open_one("camera", d.camera)
    except BaseException:
        devices.close()
        raise
    return devices


def build_matcher(cfg: EdgeConfig) -> Any:
    return matcher_for(cfg.policy)


def matcher_for(p: GateSettings) -> Any:
    """The dlib matcher as this policy sets it (also what benchmarks/face_accuracy.py measures)."""
    from edge.face import FaceRecognitionMatcher

    return FaceRecognitionMatcher(
        min_face_px=p.min_face_px,
        detect_max_side_px=p.detect_max_side_px,
        upsample=p.detect_upsample,
        model=p.encoding_model,
        retry_upsample=p.detect_retry_upsample,
    )


# --- commands --------------------------------------------------------------------------------


@app.command()
@friendly_errors
def provision(
    config: ConfigOpt,
    code: Annotated[str, typer.Option(help="一次性注册码 / one-time provisioning code")],
) -> None:
    """Create this gate PC's key and register it with the server (一次性注册码)."""
    from edge.sync import SyncError
    from edge.sync import provision as do_provision

    cfg = load_config(config)
    key = load_or_create_key(cfg.key_path)
    try:
        resp = do_provision(cfg.server_url, code, key)
    except SyncError as exc:
        raise EdgeConfigError(f"注册失败: {exc}", f"provisioning failed: {exc}") from exc
    (cfg.data_dir / "device.json").write_text(resp.model_dump_json(), encoding="utf-8")
    from models.device_auth import key_fingerprint, public_key_hex

    console.print(
        f"已注册 / provisioned: device={resp.device_id} project={resp.project_id} "
        f"direction={resp.direction}"
    )
    console.print(
        f"闸机密钥指纹 / gate key fingerprint: {key_fingerprint(public_key_hex(key))}",
        markup=False,
    )
    console.print(f"{FINGERPRINT_ADVICE[0]} / {FINGERPRINT_ADVICE[1]}", markup=False)


@dataclass
class Runtime:
    """Everything `run` starts, so tests and the CLI assemble a gate the same way."""

    agent: GateAgent
    devices: Devices
    client: SyncClient
    outbox: Outbox
    roster: RosterCache

    def close(self) -> None:
        self.agent.stop()
        self.devices.close()
        self.client.close()
        self.outbox.close()
        self.roster.close()


def checkpoint_policy(cfg: EdgeConfig) -> CheckpointPolicy:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from edge.outbox import CheckpointPolicy

    try:
        zone: dt.tzinfo = ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Asia/Shanghai")
    return CheckpointPolicy(zone=zone, every_n=cfg.checkpoint_every, direction=cfg.direction)


def assemble(
    cfg: EdgeConfig,
    *,
    devices: Devices | None = None,
    on_show: Callable[[str, str], None] | None = None,
) -> Runtime:
    """Key, outbox, roster cache, sync worker, devices and matcher wired into a GateAgent."""
    from edge.agent import GateAgent
    from edge.outbox import Outbox
    from edge.roster_cache import RosterCache, roster_key
    from edge.sync import Backoff, SyncClient, SyncWorker
    from models.device_auth import private_key_bytes

    key = load_or_create_key(cfg.key_path)
    dev_id = device_id(cfg)
    outbox = Outbox(cfg.outbox_path, device_id=dev_id, key=key, checkpoints=checkpoint_policy(cfg))
    roster = RosterCache(cfg.roster_path, key=roster_key(private_key_bytes(key)))
    client = SyncClient(cfg.server_url, device_code=dev_id, key=key, timeout_s=cfg.sync.timeout_s)
    s = cfg.sync
    sync = SyncWorker(
        client,
        outbox,
        roster,
        batch_size=s.batch_size,
        heartbeat_s=s.heartbeat_s,
        roster_poll_s=s.roster_poll_s,
        idle_poll_s=s.idle_poll_s,
        backoff=Backoff(s.backoff_base_s, s.backoff_max_s),
        operator_retry_s=s.operator_retry_s,
    )
    try:
        devices = devices if devices is not None else build_devices(cfg)
    except BaseException:
        client.close()
        outbox.close()
        roster.close()
        raise
    matcher = build_matcher(cfg) if devices.camera is not None else None
    agent = GateAgent(
        direction=cfg.direction,
        gate=cfg.policy,
        devices=devices,
        outbox=outbox,
        roster=roster,
        matcher=matcher,
        sync=sync,
        on_show=on_show,
    )
    return Runtime(agent, devices, client, outbox, roster)


@app.command()
@friendly_errors
def run(config: ConfigOpt) -> None:
    """Run the gate: decide, record, open, upload (Ctrl-C / SIGTERM to stop)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    rt = assemble(load_config(config), on_show=lambda zh, en: console.print(f"{zh} / {en}"))

    def _term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    from sitegate_cli.systemd import Notifier  # lazily, as friendly_errors above

    notifier = Notifier()  # systemd Type=notify with WatchdogSec (deploy/systemd)
    try:
        rt.agent.run_forever(
            on_started=lambda: notifier.ready("gate running"), on_alive=notifier.watchdog
        )
    except KeyboardInterrupt:
        notifier.stopping()
    finally:
        rt.close()


def read_status(cfg: EdgeConfig) -> dict[str, Any]:
    """Status from the files alone, so it works while the agent runs (WAL readers never block)."""
    from edge.outbox import Outbox

    out: dict[str, Any] = {
        "device": device_id(cfg),
        "data_dir": str(cfg.data_dir),
        "key_fingerprint": gate_fingerprint(cfg),
        "checkpoint": None,
    }
    out["face_engine"] = face_backend.expected()
    if not cfg.outbox_path.exists():
        out["outbox"] = None
        return out
    box = Outbox(cfg.outbox_path, device_id=device_id(cfg))
    try:
        st = box.stats()
        cp_seq, cp_hash, unsealed = box.checkpoint_status()
        # seq 0: no checkpoint sealed yet (the hash is then the genesis zeros)
        out["checkpoint"] = {
            "seq": cp_seq or None,
            "hash": cp_hash if cp_seq else None,
            "unsealed": unsealed,
        }
        out["outbox"] = {
            "queue_depth": st.depth,
            "rejected": st.rejected,
            "last_seq": st.last_seq,
            "acked_through": st.acked_through,
            "oldest_pending_at": st.oldest_pending_at,
            "enrollments_pending": st.enrollments_pending,
            "last_upload_at": box.get_meta("last_upload_at"),
        }
        sync_raw, health_raw = box.get_meta("sync_status"), box.get_meta("health")
        out["sync"] = json.loads(sync_raw) if sync_raw else None
        out["health"] = json.loads(health_raw) if health_raw else None
    finally:
        box.close()
    out["roster_version"] = None
    if cfg.roster_path.exists():
        conn = sqlite3.connect(f"file:{cfg.roster_path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT version FROM roster_meta WHERE id = 1").fetchone()
            count = conn.execute("SELECT count(*) FROM roster_entry").fetchone()[0]
        except sqlite3.Error:
            row, count = None, 0
        finally:
            conn.close()
        out["roster_version"] = row[0] if row else 0
        out["roster_entries"] = count
    return out


@app.command()
@friendly_errors
def status(
    config: ConfigOpt,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
) -> None:
    """Queue depth, last upload, roster version, device health."""
    data = read_status(load_config(config))
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"闸机状态 / gate status: {data['device']}")
    table.add_column("项目 / item")
    table.add_column("值 / value")
    box = data.get("outbox") or {}
    sync = data.get("sync") or {}
    health = data.get("health") or {}
    cp = data.get("checkpoint") or {}
    last_cp = None
    if cp.get("seq"):
        last_cp = f"seq {cp['seq']} · {cp['hash'][:12]}…"
    elif cp:
        last_cp = "尚无 / none yet"
    rows = [
        ("闸机密钥指纹 / gate key fingerprint", data.get("key_fingerprint")),
        ("最后检查点 / last checkpoint", last_cp),
        ("人脸引擎 / face engine", data.get("face_engine")),
        ("未封存记录 / records not yet sealed", cp.get("unsealed")),
        ("待上传 / queue depth", box.get("queue_depth")),
        ("最后序号 / last seq", box.get("last_seq")),
        ("已确认至 / acked through", box.get("acked_through")),
        ("最后上传 / last upload", box.get("last_upload_at")),
        ("被拒 / rejected", box.get("rejected")),
        ("待发登记 / enrollments queued", box.get("enrollments_pending")),
        ("花名册版本 / roster version", data.get("roster_version")),
        ("需人工处理 / needs operator", sync.get("needs_operator")),
        ("最近错误 / last error", sync.get("last_error")),
        ("时钟偏差 / clock skew ms", sync.get("clock_skew_ms")),
    ]
    for dev in ("id_card_reader", "ic_card_reader", "relay", "camera", "outbox"):
        rows.append((f"设备 / {dev}", health.get(dev)))
    for name, value in rows:
        table.add_row(name, "-" if value is None else str(value))
    console.print(table)
    if data.get("key_fingerprint"):
        console.print(f"{FINGERPRINT_ADVICE[0]} / {FINGERPRINT_ADVICE[1]}", markup=False)
    if sync.get("needs_operator"):
        raise typer.Exit(2)


@outbox_app.command("show")
@friendly_errors
def outbox_show(
    config: ConfigOpt,
    last: Annotated[int, typer.Option(help="how many of the newest events")] = 20,
) -> None:
    """The newest events (credential refs are already masked)."""
    from edge.outbox import Outbox

    cfg = load_config(config)
    box = Outbox(cfg.outbox_path, device_id=device_id(cfg))
    try:
        start = max(0, box.stats().last_seq - last)
        events = box.events(after_seq=start, limit=last)
    finally:
        box.close()
    table = Table()
    for col in (
        "seq",
        "time",
        "result",
        "reason",
        "mode",
        "credential",
        "worker",
        "score",
        "purpose",
    ):
        table.add_column(col)
    for e in events:
        table.add_row(
            str(e.seq),
            e.device_time.isoformat(timespec="seconds"),
            e.result.value,
            e.reason.value if e.reason else "",
            e.mode.value,
            e.credential_ref or "",
            "" if e.worker_id is None else str(e.worker_id),
            "" if e.face_score is None else f"{e.face_score:.3f}",
            "" if e.purpose is None else e.purpose.value,  # not a pass (a wage confirmation)
        )
    console.print(table)


@app.command()
@friendly_errors
def enroll(
    config: ConfigOpt,
    consent: Annotated[
        bool,
        typer.Option("--consent/--no-consent", help="工人同意人脸识别 / worker consents to face"),
    ],
    phone: Annotated[str | None, typer.Option(help="手机号 / phone")] = None,
) -> None:
    """Enrollment station: read the ID card, capture the face (with consent), register."""
    from edge.enrollment import enroll as do_enroll
    from edge.outbox import Outbox
    from edge.sync import SyncClient

    cfg = load_config(config)
    key = load_or_create_key(cfg.key_path)
    dev_id = device_id(cfg)
    devices = build_devices(cfg)
    if devices.id_reader is None:
        devices.close()
        raise EdgeConfigError("配置中没有身份证阅读器", "no ID card reader in the config")
    matcher = build_matcher(cfg) if consent and devices.camera is not None else None
    outbox = Outbox(cfg.outbox_path, device_id=dev_id, key=key, checkpoints=checkpoint_policy(cfg))
    client = SyncClient(cfg.server_url, device_code=dev_id, key=key, timeout_s=cfg.sync.timeout_s)
    console.print("请放置身份证 / place the ID card on the reader")
    try:
        result = do_enroll(
            id_reader=devices.id_reader,
            camera=devices.camera,
            matcher=matcher,
            consent=consent,
            client=client,
            outbox=outbox,
            phone=phone,
        )
    finally:
        devices.close()
        client.close()
        outbox.close()
    from models.ids import mask_id_number

    who = f"{result.request.name} {mask_id_number(result.request.id_number)}"
    if result.response is not None:
        console.print(
            f"已登记 / registered: {who} worker_id={result.response.worker_id} "
            f"face={'yes' if result.request.face_template else 'no'}"
        )
    else:
        console.print(f"服务器不可达,已排队 / server unreachable, queued: {who}")


class ConsoleStation:
    """The wage confirmation station on a terminal: the line, then 确认 / not now."""

    def show(self, zh: str, en: str) -> None:
        console.print(f"{zh} / {en}")

    def ask_confirm(self, offer: Any, text: str) -> bool:
        console.print(text, markup=False, highlight=False)
        return typer.confirm("确认此工资单? / confirm this wage line?", default=False)


@app.command("wage-confirm")
@friendly_errors
def wage_confirm(
    config: ConfigOpt,
    card_timeout: Annotated[
        float, typer.Option(help="等待刷身份证秒数 / seconds to wait for the ID card")
    ] = 60.0,
) -> None:
    """Wage confirmation station: ID card → your open wage lines → face (or a confirmer's card)
    → confirm each line; a signed record in this device's chain, uploaded now or later."""
    from edge.outbox import Outbox
    from edge.roster_cache import RosterCache, roster_key
    from edge.sync import SyncClient, SyncWorker
    from edge.wage_confirm import Station
    from models.device_auth import private_key_bytes

    cfg = load_config(config)
    key = load_or_create_key(cfg.key_path)
    dev_id = device_id(cfg)
    devices = build_devices(cfg)
    if devices.id_reader is None:
        devices.close()
        raise EdgeConfigError("配置中没有身份证阅读器", "no ID card reader in the config")
    matcher = build_matcher(cfg) if devices.camera is not None else None
    outbox = Outbox(cfg.outbox_path, device_id=dev_id, key=key, checkpoints=checkpoint_policy(cfg))
    roster = RosterCache(cfg.roster_path, key=roster_key(private_key_bytes(key)))
    client = SyncClient(cfg.server_url, device_code=dev_id, key=key, timeout_s=cfg.sync.timeout_s)
    # The sync worker's own upload (offset, tip check, resend); its thread is never started.
    sync = SyncWorker(client, outbox, roster, batch_size=cfg.sync.batch_size)
    try:
        result = Station(
            id_reader=devices.id_reader,
            client=client,
            outbox=outbox,
            ui=ConsoleStation(),
            direction=cfg.direction,
            gate=cfg.policy,
            camera=devices.camera,
            matcher=matcher,
            ic_reader=devices.ic_reader,
            upload=sync.flush_events,
            card_timeout_s=card_timeout,
        ).run()
    finally:
        devices.close()
        client.close()
        outbox.close()
        roster.close()
    for c in result.confirmed:
        state = {True: "confirmed", False: "not applied", None: "queued"}[c.applied]
        console.print(f"seq={c.seq} line={c.line_id} period={c.period} server={state}")


@app.command("backup")
@friendly_errors
def backup(
    config: ConfigOpt,
    to: Annotated[Path, typer.Option("--to", help="备份目录 / folder for the backup files")],
) -> None:
    """备份发件箱和花名册缓存(运行中也一致)/ back up the outbox and roster cache, live."""
    from edge import backup as edge_backup

    cfg = load_config(config)
    for path in edge_backup.backup(cfg.outbox_path, cfg.roster_path, to, device_id(cfg)):
        console.print(f"已备份 / backed up: {path}")


@app.command("restore")
@friendly_errors
def restore(
    config: ConfigOpt,
    folder: Annotated[Path, typer.Argument(help="备份目录 / the folder `edge backup` wrote")],
    force: Annotated[
        bool, typer.Option("--force", help="覆盖无法读取的发件箱 / replace an unreadable outbox")
    ] = False,
) -> None:
    """恢复发件箱和花名册缓存(先停止闸机程序)/ restore them (stop the gate agent first)."""
    from edge import backup as edge_backup

    cfg = load_config(config)
    done = edge_backup.restore(
        folder, cfg.outbox_path, cfg.roster_path, device_id(cfg), force=force
    )
    for line in done:
        console.print(f"已恢复 / restored: {line}")
