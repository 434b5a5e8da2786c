"""The two gates and the enrollment station: the real edge agent on emulated hardware.

Each gate is `edge.cli.assemble` over its own gate.yaml: a SAM ID-card reader, a serial IC-card
reader and an LCUS relay board, each an emulator on a pseudo-terminal speaking the real bytes; a
camera replaying photos from ../shared/testdata/faces through `FileFrameSource`; the outbox, the
roster cache and the signed sync worker exactly as on a gate PC.

Only two things are the demo's own: the agent's clock (`SimClock`: simulated wall time for the
records, real monotonic time for every deadline) and a network switch on the sync client (the
OUT gate "loses its network" for two simulated days).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from drivers.camera.file_source import FileFrameSource
from drivers.ic_card.emulator import IcCardEmulator
from drivers.relay.emulator import LcusEmulator
from drivers.sam_idcard.emulator import SamIdCardEmulator
from drivers.sam_idcard.records import make_resident_card
from edge.agent import Clock, Devices
from edge.cli import Runtime, assemble, build_devices, load_or_create_key
from edge.config import load_config
from edge.sync import SyncClient, SyncError, provision

if TYPE_CHECKING:
    from drivers.base import Frame, Relay
    from edge.face import FaceMatcher
    from edge.outbox import Outbox
    from edge.roster_cache import RosterCache
    from edge.sync import SyncWorker
    from sitegate_cli.demo.month import Pass

M = TypeVar("M", bound=BaseModel)


class SimClock(Clock):
    """Simulated wall time (set per pass by the demo), real monotonic time for the deadlines,
    so face timeouts, pass timeouts and ticks behave exactly as on a real gate."""

    def __init__(self, start: dt.datetime) -> None:
        self._now: dt.datetime | None = start.astimezone(dt.UTC)
        self._lock = threading.Lock()

    def set(self, at: dt.datetime) -> None:
        with self._lock:
            self._now = at.astimezone(dt.UTC)

    def follow_real(self) -> None:
        """The simulated days have caught up with today: from now on, the real clock."""
        with self._lock:
            self._now = None

    def now(self) -> dt.datetime:
        with self._lock:
            return dt.datetime.now(dt.UTC) if self._now is None else self._now


class CompressedRelay:
    """The real LCUS driver, with the pulse compressed like the month: ON and OFF frames go over
    the wire to the relay emulator, without holding the contact for the real 100+ ms."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def pulse(self, ms: int) -> None:
        self.inner.on()
        try:
            time.sleep(min(ms, 100) / 1000 / 50)
        finally:
            self.inner.off()

    def door_state(self) -> bool | None:
        return None

    def close(self) -> None:
        self.inner.close()


class DemoCamera:
    """Who stands in front of the camera: a `FileFrameSource` of that person's photo, opened
    when they step up and closed when they leave (no grabber threads for an empty gate)."""

    def __init__(self) -> None:
        self._source: FileFrameSource | None = None
        self._lock = threading.Lock()

    def show(self, image: str | None) -> None:
        with self._lock:
            old, self._source = self._source, None
        if old is not None:
            old.close()
        if image is not None:
            source = FileFrameSource(image, fps=20)
            with self._lock:
                self._source = source

    def latest(self) -> Frame | None:
        with self._lock:
            return None if self._source is None else self._source.latest()

    def close(self) -> None:
        self.show(None)


# face_recognition keeps its dlib detector and encoder as module globals; two gates in one
# process (only in this demo: a real gate PC runs one agent) must not call them at once.
FACE_LOCK = threading.Lock()


class SerialMatcher:
    """The gate's real matcher, one probe at a time across every agent of the process."""

    def __init__(self, inner: FaceMatcher) -> None:
        self.inner = inner

    def probe(self, image_bgr: Any) -> Any:
        with FACE_LOCK:
            return self.inner.probe(image_bgr)


class SwitchableClient(SyncClient):
    """The gate's signed HTTP client with a network switch: offline, every call fails like a
    pulled cable (retryable), so the SyncWorker backs off and the outbox keeps everything."""

    offline = False

    def _call(
        self,
        method: str,
        path: str,
        payload: BaseModel | None,
        result: type[M],
        params: dict[str, Any] | None = None,
    ) -> M:
        if self.offline:
            raise SyncError("network", "demo: network cable pulled", status=None, retryable=True)
        return super()._call(method, path, payload, result, params)


GATE_YAML = """\
schema_version: 1
device_code: {code}
direction: {direction}
server_url: {url}
data_dir: {data}
devices:
  id_card: {{kind: sam, url: "{sam}", options: {{command_timeout_s: 0.5, poll_interval_s: 0.005}}}}
  ic_card: {{kind: serial_uid, url: "{ic}", options: {{debounce_s: 0.05}}}}
  relay: {{kind: lcus, url: "{relay}"}}
policy:
  mode: card_and_face
  face_threshold: 0.55
  face_timeout_s: 4.0
  pass_timeout_s: 0.2
  relay_pulse_ms: 100
sync:
  batch_size: 500
  heartbeat_s: 2.0
  roster_poll_s: 2.0
  idle_poll_s: 0.5
  backoff_base_s: 0.2
  backoff_max_s: 1.0
  operator_retry_s: 5.0
  timeout_s: 15.0
"""


class Gate:
    """One turnstile: emulators + the real agent. `attempt(p)` stages one person at the gate
    and returns once the agent has recorded its decision in the outbox."""

    def __init__(self, root: Path, *, code: str, direction: str, server_url: str) -> None:
        self.code = code
        self.direction = direction
        self.dir = root / "gates" / direction
        self.dir.mkdir(parents=True, exist_ok=True)
        self.sam = SamIdCardEmulator().start()
        self.ic = IcCardEmulator().start()
        self.relay_emu = LcusEmulator().start()
        self.camera = DemoCamera()
        self.config_path = self.dir / "gate.yaml"
        self.config_path.write_text(
            GATE_YAML.format(
                code=code,
                direction=direction,
                url=server_url,
                data=self.dir / "data",
                sam=self.sam.path,
                ic=self.ic.path,
                relay=self.relay_emu.path,
            ),
            encoding="utf-8",
        )
        self.cfg = load_config(self.config_path)
        self.clock = SimClock(dt.datetime.now(dt.UTC))
        self.rt: Runtime | None = None
        self.client: SwitchableClient | None = None
        self.timeouts = 0

    def provision(self, code: str) -> int:
        """`sitegate edge provision`: a new key, registered with the one-time code over HTTP."""
        key = load_or_create_key(self.cfg.key_path)
        resp = provision(self.cfg.server_url, code, key)
        (self.cfg.data_dir / "device.json").write_text(resp.model_dump_json(), encoding="utf-8")
        return resp.project_id

    def start(self, matcher_warm: bool = True) -> None:
        serial = build_devices(self.cfg)
        relay: Relay | None = CompressedRelay(serial.relay) if serial.relay else None
        devices = Devices(serial.id_reader, serial.ic_reader, relay, self.camera)
        rt = assemble(self.cfg, devices=devices)
        rt.agent.clock = self.clock
        if rt.agent.matcher is not None:
            rt.agent.matcher = SerialMatcher(rt.agent.matcher)
        assert rt.agent.sync is not None  # noqa: S101 - assemble always wires one
        key = load_or_create_key(self.cfg.key_path)
        dev_id = json.loads((self.cfg.data_dir / "device.json").read_text(encoding="utf-8"))
        self.client = SwitchableClient(
            self.cfg.server_url,
            device_code=str(dev_id["device_id"]),
            key=key,
            timeout_s=self.cfg.sync.timeout_s,
        )
        rt.client.close()
        rt.client = self.client
        rt.agent.sync.client = self.client
        if matcher_warm and rt.agent.matcher is not None:
            import numpy as np

            rt.agent.matcher.probe(np.zeros((64, 64, 3), dtype=np.uint8))  # load dlib now
        self.rt = rt
        rt.agent.start()

    @property
    def agent_decisions(self) -> int:
        return 0 if self.rt is None else self.rt.agent.decisions

    def set_offline(self, offline: bool) -> None:
        if self.client is not None:
            self.client.offline = offline
        if not offline and self.rt is not None and self.rt.agent.sync is not None:
            self.rt.agent.sync.backoff.reset()
            self.rt.agent.sync.wake()

    def wait_roster(self, version: int, timeout_s: float = 30.0) -> bool:
        assert self.rt is not None  # noqa: S101
        end = time.monotonic() + timeout_s
        while self.rt.roster.version < version:
            if time.monotonic() > end:
                return False
            if self.rt.agent.sync is not None:
                self.rt.agent.sync.wake()
            time.sleep(0.05)
        return True

    def attempt(self, p: Pass, timeout_s: float = 12.0) -> bool:
        """Put the person at the gate at simulated time `p.at`; True once the attempt is in the
        outbox (granted or refused)."""
        assert self.rt is not None  # noqa: S101
        agent = self.rt.agent
        self.clock.set(p.at)
        before = agent.decisions
        if p.credential == "ic":
            assert p.uid is not None  # noqa: S101
            self.ic.tap(p.uid)
        else:
            self.camera.show(p.photo)
            self.sam.present(make_resident_card(p.name, p.id_number, valid_to=p.id_valid_to))
        end = time.monotonic() + timeout_s
        done = True
        while agent.decisions == before:
            if time.monotonic() > end:
                done = False
                self.timeouts += 1
                break
            time.sleep(0.001)
        if p.credential != "ic":
            self.sam.remove()
            self.camera.show(None)
        return done

    def outbox_depth(self) -> int:
        assert self.rt is not None  # noqa: S101
        return self.rt.outbox.stats().depth

    def close(self) -> None:
        if self.rt is not None:
            self.rt.close()
            self.rt = None
        self.camera.close()
        for emu in (self.sam, self.ic, self.relay_emu):
            with contextlib.suppress(Exception):
                emu.close()


class EnrollmentStation:
    """The site office: a SAM reader and a camera, `edge.enrollment` building the request and
    POST /api/v1/edge/enrollments over the station's own signed device key."""

    def __init__(self, root: Path, *, server_url: str, matcher: FaceMatcher) -> None:
        from drivers.sam_idcard.reader import SamIdCardReader

        self.dir = root / "gates" / "enrollment"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.server_url = server_url
        self.matcher = matcher
        self.sam = SamIdCardEmulator().start()
        self.reader = SamIdCardReader.open(self.sam.path, poll_interval_s=0.005)
        self.key = load_or_create_key(self.dir / "device.key")
        self.client: SyncClient | None = None
        self.outbox: Outbox | None = None
        self.roster: RosterCache | None = None
        self.sync: SyncWorker | None = None

    def provision(self, code: str) -> None:
        resp = provision(self.server_url, code, self.key)
        self.client = SyncClient(self.server_url, device_code=resp.device_id, key=self.key)

    def enroll(self, name: str, id_number: str, image: str) -> int:
        """Card on the reader, the worker in front of the camera (consent given): worker id."""
        from edge.enrollment import EnrollmentError, build_request, capture_best_face

        assert self.client is not None  # noqa: S101
        self.sam.present(make_resident_card(name, id_number, valid_to=dt.date(2036, 1, 1)))
        camera = FileFrameSource(image, fps=20)
        try:
            record = self.reader.read_card(5.0)
            if record is None:
                raise EnrollmentError("未读到身份证", "no ID card was read")
            capture = capture_best_face(
                camera, SerialMatcher(self.matcher), frames=1, timeout_s=10.0
            )
            request = build_request(
                record, consent=True, template=capture.template, photo=capture.jpeg
            )
            return self.client.enroll(request).worker_id
        finally:
            camera.close()
            self.sam.remove()

    def confirm_wages(self, name: str, id_number: str, image: str, *, matcher: FaceMatcher) -> bool:
        """At the same station, later in the month: the worker's ID card, then the live face
        1:1, then "confirm" on the screen for each line awaiting them; a signed wage_confirm
        record in this station's chain, uploaded at once. True when the server applied one."""
        from edge.config import GateSettings
        from edge.outbox import CheckpointPolicy, Outbox
        from edge.roster_cache import RosterCache, roster_key
        from edge.sync import SyncWorker
        from edge.wage_confirm import Station
        from models.device_auth import private_key_bytes
        from models.enums import Direction

        assert self.client is not None  # noqa: S101
        if self.outbox is None:
            self.outbox = Outbox(
                self.dir / "outbox.sqlite3",
                device_id=self.client.device_code,
                key=self.key,
                checkpoints=CheckpointPolicy(),
            )
            self.roster = RosterCache(
                self.dir / "roster.sqlite3", key=roster_key(private_key_bytes(self.key))
            )
            self.sync = SyncWorker(self.client, self.outbox, self.roster)
        assert self.sync is not None  # noqa: S101
        self.sam.present(make_resident_card(name, id_number, valid_to=dt.date(2036, 1, 1)))
        camera = FileFrameSource(image, fps=20)
        try:
            station = Station(
                id_reader=self.reader,
                client=self.client,
                outbox=self.outbox,
                ui=_YesUI(),
                direction=Direction.IN,
                gate=GateSettings(),
                camera=camera,
                matcher=SerialMatcher(matcher),
                upload=self.sync.flush_events,
                card_timeout_s=5.0,
            )
            result = station.run()
        finally:
            camera.close()
            self.sam.remove()
        return any(c.applied for c in result.confirmed)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        if self.outbox is not None:
            self.outbox.close()
        if self.roster is not None:
            self.roster.close()
        self.reader.close()
        self.sam.close()


class _YesUI:
    """The station's screen in the demo: the worker reads the line and taps 确认."""

    def show(self, zh: str, en: str) -> None:
        pass

    def ask_confirm(self, offer: object, text: str) -> bool:
        return True
