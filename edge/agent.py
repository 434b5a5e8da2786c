"""The gate agent: devices → decision → outbox → relay, on small threads that never block.

    id-card / ic-card reader threads ─┐
    face thread (latest frame only) ──┼─> bounded input queue ─> decision thread ─> outbox.append
                                      │                               │ (committed) ─> relay thread
    sync worker thread <── wake ──────┴───────────────────────────────┘

- The decision thread is the only writer of the state and the only caller of `decision.step`.
- The relay is pulsed only after the attempt's row is committed (RULES.md); a failed write keeps
  the gate shut and marks the outbox faulty.
- A granted attempt whose pulse is dropped (relay queue full) or fails (relay error or timeout)
  is followed by a refused `relay_failed` record naming it (`voids_seq`): never silently.
- Face inference runs on its own thread over the newest frame; samples from a job that is no
  longer current are dropped, so a slow frame can never decide for the next person.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from edge import decision, liveness
from edge.config import GateSettings, thresholds
from edge.decision import (
    CardPresented,
    Context,
    Credential,
    DoorPassed,
    FaceJob,
    FaceObserved,
    OpenRelay,
    PulseFailed,
    Record,
    Show,
    State,
    Tick,
    VerifyJob,
)
from edge.face import (
    FaceMatcher,
    FaceProbe,
    FaceSample,
    ProbeStatus,
    as_vector,
    sample_from_probe,
    verify,
)
from models.enums import CredentialKind, DenyReason, Direction, GateResult, LivenessPolicy
from models.ids import normalise_card_uid
from models.sync import DeviceHealth

if TYPE_CHECKING:
    from drivers.base import FrameSource, IcCardReader, IdCardReader, Relay
    from edge.outbox import Outbox
    from edge.roster_cache import RosterCache
    from edge.sync import SyncWorker
    from models.gate_event import GateEvent

log = logging.getLogger(__name__)

OK, FAULT, ABSENT = "ok", "fault", "absent"


@dataclass
class Devices:
    """The gate's hardware; any part may be missing (face-only gates have no card reader)."""

    id_reader: IdCardReader | None = None
    ic_reader: IcCardReader | None = None
    relay: Relay | None = None
    camera: FrameSource | None = None

    def close(self) -> None:
        for dev in (self.id_reader, self.ic_reader, self.relay, self.camera):
            if dev is not None:
                with contextlib.suppress(Exception):
                    dev.close()


@dataclass
class _Health:
    id_card_reader: str = ABSENT
    ic_card_reader: str = ABSENT
    relay: str = ABSENT
    camera: str = ABSENT
    outbox: str = OK
    details: dict[str, str] = field(default_factory=dict)


class Clock:
    """Wall time for records, monotonic time for deadlines; tests substitute their own."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def mono(self) -> float:
        return time.monotonic()


LandmarkFn = Callable[[Any, tuple[int, int, int, int]], "Sequence[tuple[float, float]] | None"]


@dataclass(slots=True)
class _Challenge:
    """The open live-person challenge of one face job (the face thread's own state)."""

    job: FaceJob
    tracker: liveness.ChallengeTracker
    last_face: float


class GateAgent:
    def __init__(
        self,
        *,
        direction: Direction,
        gate: GateSettings,
        devices: Devices,
        outbox: Outbox,
        roster: RosterCache,
        matcher: FaceMatcher | None = None,
        sync: SyncWorker | None = None,
        clock: Clock | None = None,
        on_show: Callable[[str, str], None] | None = None,
        before_pulse: Callable[[GateEvent], None] | None = None,
        tick_s: float = 0.05,
        health_every_s: float = 5.0,
        landmarks: LandmarkFn | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """`landmarks`: the 68 points of a face in an RGB frame (edge.liveness.landmarks_68, the
        dlib predictor); `rng` picks each attempt's live-person challenge (unpredictable by
        default, so nobody can prepare a recording of the right answer)."""
        self.direction = direction
        self.gate = gate
        self.devices = devices
        self.outbox = outbox
        self.roster = roster
        self.matcher = matcher
        self.sync = sync
        self.clock = clock or Clock()
        self.on_show = on_show
        self.before_pulse = before_pulse
        self.tick_s = tick_s
        self.health_every_s = health_every_s
        self.health = _Health(
            id_card_reader=OK if devices.id_reader else ABSENT,
            ic_card_reader=OK if devices.ic_reader else ABSENT,
            relay=OK if devices.relay else ABSENT,
            camera=OK if devices.camera and matcher else ABSENT,
        )
        self.state = State()
        self.decisions = 0
        self._inputs: queue.Queue[Any] = queue.Queue(maxsize=64)
        self._pulses: queue.Queue[tuple[int, GateEvent, decision.Attempt] | None] = queue.Queue(
            maxsize=16
        )
        self._face_job: FaceJob | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_frame_mono = 0.0
        self._idle = threading.Event()
        self._landmarks: LandmarkFn = landmarks or liveness.landmarks_68
        self._rng = rng or random.SystemRandom()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        window = self.gate.anti_passback_window_s
        since = self.clock.now() - dt.timedelta(seconds=window)
        self.state = State(last_grant=self.outbox.recent_grants(since))
        self._last_frame_mono = self.clock.mono()
        self._spawn("edge-decision", self._decision_loop)
        self._spawn("edge-relay", self._relay_loop)
        if self.devices.id_reader is not None:
            self._spawn("edge-id-reader", self._id_reader_loop)
        if self.devices.ic_reader is not None:
            self._spawn("edge-ic-reader", self._ic_reader_loop)
        if self.devices.camera is not None and self.matcher is not None:
            self._spawn("edge-face", self._face_loop)
        if self.sync is not None:
            self.sync.health = self.device_health
            self.sync.start()
        log.info("gate agent started direction=%s mode=%s", self.direction, self.gate.mode)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._pulses.put_nowait(None)
        for t in self._threads:
            t.join(timeout_s)
        self._threads.clear()
        if self.sync is not None:
            self.sync.stop()
        self._write_health()

    def __enter__(self) -> GateAgent:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def alive(self) -> bool:
        """Every worker thread (decision, relay, readers, face, upload) still runs; a thread
        that died stops the watchdog pings, so systemd restarts the agent."""
        sync_alive = self.sync is None or self.sync.alive()
        return sync_alive and all(t.is_alive() for t in self._threads)

    def run_forever(
        self,
        *,
        on_started: Callable[[], None] | None = None,
        on_alive: Callable[[], None] | None = None,
    ) -> None:
        """Run until stop(); on_alive is called about once a second while alive() holds."""
        self.start()
        try:
            if on_started is not None:
                on_started()
            while not self._stop.is_set():
                if on_alive is not None and self.alive():
                    on_alive()
                self._stop.wait(1.0)
        finally:
            self.stop()

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        t = threading.Thread(target=self._guard(name, target), name=name, daemon=True)
        self._threads.append(t)
        t.start()

    def _guard(self, name: str, target: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                target()
            except Exception:
                log.exception("thread %s died", name)
                raise

        return run

    # -- inputs -----------------------------------------------------------------------------------

    def submit(self, inp: Any) -> None:
        """Feed an input (tests, keyboard-wedge readers); blocks briefly rather than dropping."""
        self._inputs.put(inp, timeout=1.0)

    def present_credential(self, credential: Credential) -> None:
        self.submit(CardPresented(credential, self.clock.mono(), self.clock.now()))

    def _id_reader_loop(self) -> None:
        reader = self.devices.id_reader
        assert reader is not None  # noqa: S101
        while not self._stop.is_set():
            try:
                record = reader.read_card(0.3)
            except Exception as exc:
                self._device_fault("id_card_reader", exc)
                continue
            self.health.id_card_reader = OK
            if record is not None:
                cred = Credential(
                    CredentialKind.ID_CARD, record.id_number, card_valid_to=record.valid_to
                )
                self.present_credential(cred)

    def _ic_reader_loop(self) -> None:
        reader = self.devices.ic_reader
        assert reader is not None  # noqa: S101
        while not self._stop.is_set():
            try:
                uid = reader.read_uid(0.3)
            except Exception as exc:
                self._device_fault("ic_card_reader", exc)
                continue
            self.health.ic_card_reader = OK
            if uid:
                try:
                    uid = normalise_card_uid(uid)
                except ValueError:
                    log.warning("unreadable card uid length=%d", len(uid))
                    continue
                self.present_credential(Credential(CredentialKind.IC_CARD, uid))

    def _device_fault(self, name: str, exc: Exception) -> None:
        if getattr(self.health, name) != FAULT:
            log.warning("device fault device=%s error=%s", name, exc)
        setattr(self.health, name, FAULT)
        self.health.details[name] = str(exc)[:200]
        self._stop.wait(1.0)  # the driver reconnects on its next call; do not spin

    # -- face -------------------------------------------------------------------------------------

    def _face_loop(self) -> None:
        camera, matcher = self.devices.camera, self.matcher
        assert camera is not None  # noqa: S101
        assert matcher is not None  # noqa: S101
        last_seq: int | None = None
        last_ts: float | None = None
        challenge: _Challenge | None = None
        while not self._stop.is_set():
            job = self._face_job
            if job is None:
                self._stop.wait(0.02)
                continue
            try:
                frame = camera.latest()
            except Exception as exc:
                self._device_fault("camera", exc)
                continue
            now = self.clock.mono()
            fresh = (
                frame is not None
                and (frame.seq, frame.ts) != (last_seq, last_ts)
                and now - frame.ts <= self.gate.frame_max_age_s
            )
            if frame is None or not fresh:
                self._stop.wait(0.01)
                continue
            last_seq, last_ts = frame.seq, frame.ts
            self._last_frame_mono = now
            self.health.camera = OK
            probe = matcher.probe(frame.image)
            sample = self._match(probe, job)
            challenge = self._challenge_for(challenge, job, probe, now)
            if challenge is not None:
                geom = self._geometry(frame.image, probe)
                sample = replace(sample, liveness=challenge.tracker.update(geom, now))
            if self._face_job is not job:
                continue  # the person or the phase changed while we computed
            with contextlib.suppress(queue.Full):
                self._inputs.put_nowait(
                    (job, FaceObserved(sample, self.clock.mono(), self.clock.now()))
                )

    def _challenge_for(
        self, current: _Challenge | None, job: FaceJob, probe: FaceProbe, now: float
    ) -> _Challenge | None:
        """This attempt's live-person challenge: a new one, with its prompt, for each face job
        (and in face-only mode once the last person has gone), none when the project has none."""
        if self.roster.snapshot.policy.liveness is LivenessPolicy.OFF:
            return None
        if probe.status is not ProbeStatus.NO_FACE:
            seen = now
        elif current is not None:
            seen = current.last_face
        else:
            return None  # nobody in front of the camera yet
        if (
            current is not None
            and current.job is job
            and now - current.last_face < self.gate.face_forget_s
        ):
            current.last_face = seen
            return current
        kind = liveness.pick_challenge(self._rng)
        if self.on_show is not None:
            self.on_show(*liveness.CHALLENGE_PROMPT[kind])
        tracker = liveness.ChallengeTracker(
            kind, started=now, timeout_s=self.gate.liveness_timeout_s
        )
        return _Challenge(job, tracker, seen)

    def _geometry(self, image_bgr: Any, probe: FaceProbe) -> liveness.FaceGeometry | None:
        if probe.status is not ProbeStatus.OK or probe.box is None:
            return None
        try:
            points = self._landmarks(image_bgr[:, :, ::-1].copy(), probe.box)
            return None if points is None else liveness.geometry(points)
        except ValueError:
            return None  # not 68 points: no geometry for this frame

    def _match(self, probe: Any, job: FaceJob) -> FaceSample:
        failed = sample_from_probe(probe)
        if failed is not None:
            return failed
        snap = self.roster.snapshot
        th = thresholds(self.gate, snap.policy)
        encoding = as_vector(probe.encoding)
        if isinstance(job, VerifyJob):
            return verify(encoding, job.templates, job.worker_id, th.verify)
        return snap.index.identify(encoding, th.identify, th.margin)

    def _camera_ok(self, mono: float) -> bool:
        if self.devices.camera is None or self.matcher is None:
            return False
        if self._face_job is None:
            return self.health.camera != FAULT
        # While a face is awaited, no fresh frame for 2 s means the camera is down.
        ok = mono - self._last_frame_mono < 2.0 and self.health.camera != FAULT
        if not ok:
            self.health.camera = FAULT
        return ok

    # -- decision ---------------------------------------------------------------------------------

    def _context(self, at: dt.datetime, mono: float) -> Context:
        snap = self.roster.snapshot
        try:
            tz = ZoneInfo(snap.policy.timezone)
        except (KeyError, ValueError):
            tz = ZoneInfo("Asia/Shanghai")
        return Context(
            roster=snap,
            project=snap.policy,
            gate=self.gate,
            thresholds=thresholds(self.gate, snap.policy),
            direction=self.direction,
            today=at.astimezone(tz).date(),
            camera_ok=self._camera_ok(mono),
        )

    def _decision_loop(self) -> None:
        next_health = 0.0
        last_tick = 0.0
        while not self._stop.is_set():
            try:
                item = self._inputs.get(timeout=self.tick_s)
            except queue.Empty:
                item = None
            if isinstance(item, tuple):
                job, item = item
                if job is not self._face_job:
                    item = None  # computed for a job that is over
            if item is not None:
                self._handle(item)
            mono = self.clock.mono()
            # Deadlines are checked on ticks; a busy input stream must not starve them.
            if mono - last_tick >= self.tick_s:
                self._handle(Tick(mono, self.clock.now()))
                last_tick = mono
            if mono >= next_health:
                self._write_health()
                next_health = mono + self.health_every_s

    def _handle(self, item: decision.Input) -> None:
        ctx = self._context(item.at, item.t)
        was_waiting = self._face_job is not None
        self.state, actions = decision.step(self.state, item, ctx)
        self._execute(actions)
        job = decision.face_job(self.state, ctx)
        if job != self._face_job:  # keep the same object while the job is the same
            self._face_job = job
        if self._face_job is not None and not was_waiting:
            self._last_frame_mono = item.t  # the camera gets its 2 s from now

    def _execute(self, actions: list[decision.Action]) -> None:
        committed: GateEvent | None = None
        attempt: decision.Attempt | None = None
        dropped: list[PulseFailed] = []
        for action in actions:
            if isinstance(action, Record):
                attempt = action.attempt
                try:
                    committed = self.outbox.append(action.attempt)
                except Exception:
                    log.exception("outbox write failed: the gate stays shut")
                    self.health.outbox = FAULT
                    committed = None
                    continue
                self.health.outbox = OK
                self.decisions += 1
                log.info(
                    "gate attempt seq=%d result=%s reason=%s worker=%s",
                    committed.seq,
                    committed.result,
                    committed.reason,
                    committed.worker_id,
                )
                if self.sync is not None:
                    self.sync.wake()
            elif isinstance(action, OpenRelay):
                if committed is None or attempt is None:
                    continue  # nobody passes without a record
                try:
                    self._pulses.put_nowait((action.pulse_ms, committed, attempt))
                except queue.Full:
                    log.error("relay queue full: pulse dropped seq=%d", committed.seq)
                    dropped.append(self._pulse_failed(committed, attempt))
            elif isinstance(action, Show) and self.on_show is not None:
                self.on_show(action.text_zh, action.text_en)
        # After this attempt's own messages, so the last thing shown is "did not open".
        for failed in dropped:
            self._handle(failed)

    def _pulse_failed(self, event: GateEvent, attempt: decision.Attempt) -> PulseFailed:
        return PulseFailed(attempt, event.seq, self.clock.mono(), self.clock.now())

    def _report_pulse_failed(self, event: GateEvent, attempt: decision.Attempt) -> None:
        """From the relay thread: hand the failure to the decision thread (the state's only
        writer); if its queue stays full, record the follow-up directly rather than lose it."""
        failed = self._pulse_failed(event, attempt)
        try:
            self._inputs.put(failed, timeout=1.0)
            return
        except queue.Full:
            log.error("input queue full: relay failure recorded directly seq=%d", event.seq)
        try:
            g = attempt
            self.outbox.append(
                decision.Attempt(
                    at=failed.at,
                    direction=g.direction,
                    mode=g.mode,
                    result=GateResult.REFUSED,
                    credential=g.credential,
                    credential_ref=g.credential_ref,
                    worker_id=g.worker_id,
                    reason=DenyReason.RELAY_FAILED,
                    voids_seq=event.seq,
                )
            )
        except Exception:
            log.exception("could not record the relay failure seq=%d", event.seq)

    # -- relay ------------------------------------------------------------------------------------

    def _relay_loop(self) -> None:
        while True:
            item = self._pulses.get()
            if item is None:
                return
            pulse_ms, event, attempt = item
            if self.before_pulse is not None:
                self.before_pulse(event)
            relay = self.devices.relay
            if relay is None:
                continue
            try:
                relay.pulse(pulse_ms)
                self.health.relay = OK
            except Exception as exc:
                log.error("relay pulse failed seq=%d error=%s", event.seq, exc)
                self._report_pulse_failed(event, attempt)
                self._device_fault("relay", exc)
                continue
            self._await_passage(relay)

    def _await_passage(self, relay: Relay) -> None:
        deadline = self.clock.mono() + self.gate.pass_timeout_s
        while not self._stop.is_set() and self.clock.mono() < deadline:
            try:
                state = relay.door_state()
            except Exception as exc:
                self._device_fault("relay", exc)
                return
            if state is None:
                return  # no feedback input wired: the decision times out by itself
            if state:
                with contextlib.suppress(queue.Full):
                    self._inputs.put_nowait(DoorPassed(self.clock.mono(), self.clock.now()))
                return
            self._stop.wait(0.05)

    # -- health -----------------------------------------------------------------------------------

    def device_health(self) -> DeviceHealth:
        return DeviceHealth(
            id_card_reader=self.health.id_card_reader,
            ic_card_reader=self.health.ic_card_reader,
            relay=self.health.relay,
            camera=self.health.camera,
        )

    def _write_health(self) -> None:
        data = {
            "at": self.clock.now().isoformat(),
            **self.device_health().model_dump(),
            "outbox": self.health.outbox,
            "phase": type(self.state.phase).__name__,
            "details": self.health.details,
        }
        try:
            self.outbox.set_meta("health", json.dumps(data, ensure_ascii=False))
        except Exception:
            log.exception("could not write health")
