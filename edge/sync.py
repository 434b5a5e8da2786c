"""Talking to the server: a signed HTTP client and a background worker that never blocks the gate.

Errors fall into two classes (STYLE.md "Sync errors"): retryable (network, 429, 5xx) with
exponential backoff and jitter, and needs-operator (401 after one fresh retry, 409, a chain the
server will not accept), which is surfaced in `status` and retried only slowly. Uploads resume
from the server's `highest_contiguous_seq`; re-sending is always safe.

A gate whose clock is off gets 401 device.stale with the server's time in the answer. The client
then keeps offset = server time − its own clock (persisted in the outbox's meta, so a restart
keeps it), signs request timestamps with its clock + offset and retries at once, once. Recorded
event times are NEVER corrected: they stay the gate's own clock, and the gate's own clock is
what it reports (heartbeat device_time, each batch's device_clock), so the server can flag the
skew beside the records.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from models.device_auth import HEADER_SERVER_TIME, public_key_hex, sign_request
from models.sync import (
    BatchAck,
    DeviceHealth,
    EnrollmentRequest,
    EnrollmentResponse,
    EventBatch,
    Heartbeat,
    HeartbeatAck,
    ProvisionRequest,
    ProvisionResponse,
    RosterDelta,
)
from models.wage_line import WageLinesRequest, WageLinesResponse

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from edge.outbox import Outbox
    from edge.roster_cache import RosterCache
    from models.gate_event import GateEvent

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)

EVENTS_PATH = "/api/v1/edge/events"
HEARTBEAT_PATH = "/api/v1/edge/heartbeat"
ROSTER_PATH = "/api/v1/edge/roster"
ENROLL_PATH = "/api/v1/edge/enrollments"
WAGE_LINES_PATH = "/api/v1/edge/wage-lines"
PROVISION_PATH = "/api/v1/edge/provision"
SOFTWARE_VERSION = "sitegate-edge/0.1"
CLOCK_OFFSET_META = "clock_offset_s"


class SyncError(Exception):
    """A failed exchange. `retryable` False means a person must look (bad key, broken chain)."""

    def __init__(self, code: str, message: str, *, status: int | None, retryable: bool) -> None:
        self.code = code
        self.status = status
        self.retryable = retryable
        super().__init__(f"{code}: {message}")


def classify(response: httpx.Response) -> SyncError:
    try:
        data: Any = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    code = str(data.get("code") or f"http.{response.status_code}")
    message = str(data.get("message_en") or data.get("detail") or response.reason_phrase)
    status = response.status_code
    retryable = status == 429 or status >= 500 or status == 408
    return SyncError(code, message, status=status, retryable=retryable)


def server_time_of(response: httpx.Response) -> float | None:
    """The server's clock (UNIX seconds) from a 401 device.stale answer, or None."""
    try:
        data: Any = response.json()
    except ValueError:
        data = {}
    if not isinstance(data, dict) or data.get("code") != "device.stale":
        return None
    for value in (data.get("server_timestamp"), response.headers.get(HEADER_SERVER_TIME)):
        try:
            return float(value) if value is not None else None
        except (TypeError, ValueError):
            continue
    return None


class SyncClient:
    """Signed requests for one device. `transport` lets tests plug in httpx.MockTransport;
    `clock` is the gate's own wall clock (UNIX seconds), `clock_offset_s` the correction learnt
    from the server (added to request timestamps only), `on_clock_offset` persists a new one."""

    def __init__(
        self,
        base_url: str,
        *,
        device_code: str,
        key: Ed25519PrivateKey,
        timeout_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        clock_offset_s: float = 0.0,
        on_clock_offset: Callable[[float], None] | None = None,
    ) -> None:
        self.device_code = device_code
        self.clock = clock
        self.clock_offset_s = clock_offset_s
        self.on_clock_offset = on_clock_offset
        self._key = key
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def local_now(self) -> dt.datetime:
        """The gate's own clock, uncorrected: what it records and reports."""
        return dt.datetime.fromtimestamp(self.clock(), dt.UTC)

    def upload(self, events: list[GateEvent]) -> BatchAck:
        batch = EventBatch(events=events, device_clock=self.local_now())
        return self._call("POST", EVENTS_PATH, batch, BatchAck)

    def heartbeat(self, beat: Heartbeat) -> HeartbeatAck:
        return self._call("POST", HEARTBEAT_PATH, beat, HeartbeatAck)

    def roster(self, since: int) -> RosterDelta:
        return self._call("GET", ROSTER_PATH, None, RosterDelta, params={"since": since})

    def enroll(self, request: EnrollmentRequest) -> EnrollmentResponse:
        return self._call("POST", ENROLL_PATH, request, EnrollmentResponse)

    def wage_lines(self, id_number: str) -> WageLinesResponse:
        """A station: the worker's lines to confirm (the ID number travels in the signed body)."""
        req = WageLinesRequest(id_number=id_number)
        return self._call("POST", WAGE_LINES_PATH, req, WageLinesResponse)

    def _call(
        self,
        method: str,
        path: str,
        payload: BaseModel | None,
        result: type[M],
        params: dict[str, Any] | None = None,
    ) -> M:
        body = b"" if payload is None else payload.model_dump_json().encode()
        for attempt in (1, 2):
            timestamp = round(self.clock() + self.clock_offset_s)
            headers = sign_request(self._key, self.device_code, method, path, body, timestamp)
            headers["Content-Type"] = "application/json"
            try:
                resp = self._http.request(
                    method, path, content=body, headers=headers, params=params
                )
            except httpx.HTTPError as exc:
                raise SyncError(
                    "network", str(exc) or type(exc).__name__, status=None, retryable=True
                ) from exc
            # 401 once more with a fresh timestamp and nonce (clock step, replayed nonce); on
            # device.stale first correct the timestamps by the server's clock.
            if resp.status_code == 401 and attempt == 1:
                server_time = server_time_of(resp)
                if server_time is not None:
                    self._correct_clock(server_time - self.clock())
                continue
            if resp.status_code >= 400:
                raise classify(resp)
            try:
                return result.model_validate_json(resp.content)
            except ValidationError as exc:
                raise SyncError(
                    "bad_response", str(exc), status=resp.status_code, retryable=True
                ) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _correct_clock(self, offset_s: float) -> None:
        log.warning(
            "gate clock off from the server's by %+.1f s: request timestamps corrected "
            "(recorded event times are not)",
            -offset_s,
        )
        self.clock_offset_s = offset_s
        if self.on_clock_offset is not None:
            self.on_clock_offset(offset_s)


def provision(
    base_url: str,
    code: str,
    key: Ed25519PrivateKey,
    *,
    transport: httpx.BaseTransport | None = None,
) -> ProvisionResponse:
    """Register this gate PC's public key with a one-time code (unsigned request)."""
    # As typed on site: case, spaces and dashes do not matter (the server hashes this form).
    canonical = "".join(c for c in code.upper() if c.isalnum())
    req = ProvisionRequest(code=canonical, public_key=public_key_hex(key))
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=15.0, transport=transport) as http:
        try:
            resp = http.post(
                PROVISION_PATH,
                content=req.model_dump_json().encode(),
                headers={"Content-Type": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise SyncError("network", str(exc), status=None, retryable=True) from exc
    if resp.status_code >= 400:
        raise classify(resp)
    return ProvisionResponse.model_validate_json(resp.content)


class Backoff:
    """Exponential backoff with "equal jitter": half fixed, half random, capped."""

    def __init__(self, base_s: float, cap_s: float, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.failures = 0
        self._rng = rng or random.Random()

    def next(self) -> float:
        ceiling = min(self.cap_s, self.base_s * 2.0 ** min(self.failures, 30))
        self.failures += 1
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0


@dataclass
class SyncStatus:
    last_upload_at: str | None = None
    last_heartbeat_at: str | None = None
    last_roster_at: str | None = None
    last_error: str | None = None
    needs_operator: bool = False
    server_roster_version: int | None = None
    clock_skew_ms: int | None = None
    clock_offset_s: float = 0.0  # added to request timestamps (server time − gate clock)
    uploaded: int = 0
    errors: list[str] = field(default_factory=list)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SyncWorker:
    """One background thread: events, queued enrollments, heartbeat, roster download."""

    def __init__(
        self,
        client: SyncClient,
        outbox: Outbox,
        roster: RosterCache,
        *,
        batch_size: int = 500,
        heartbeat_s: float = 30.0,
        roster_poll_s: float = 60.0,
        idle_poll_s: float = 1.0,
        backoff: Backoff | None = None,
        operator_retry_s: float = 300.0,
        health: Callable[[], DeviceHealth] = DeviceHealth,
        on_roster: Callable[[], None] | None = None,
        retention_days: float = 30.0,
    ) -> None:
        self.client = client
        self.outbox = outbox
        self.roster = roster
        self.batch_size = batch_size
        self.heartbeat_s = heartbeat_s
        self.roster_poll_s = roster_poll_s
        self.idle_poll_s = idle_poll_s
        self.backoff = backoff or Backoff(1.0, 60.0)
        self.operator_retry_s = operator_retry_s
        self.health = health
        self.on_roster = on_roster
        self.retention_days = retention_days
        self._next_prune = 0.0
        self.status = SyncStatus()
        self._next_heartbeat = 0.0
        self._next_roster = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # The correction learnt from the server survives restarts (request timestamps only).
        saved = outbox.get_meta(CLOCK_OFFSET_META)
        if saved is not None:
            try:
                client.clock_offset_s = float(saved)
            except ValueError:
                log.warning("unreadable saved clock offset %r: ignored", saved)
        client.on_clock_offset = self._save_clock_offset
        self.status.clock_offset_s = client.clock_offset_s

    def _save_clock_offset(self, offset_s: float) -> None:
        self.outbox.set_meta(CLOCK_OFFSET_META, repr(offset_s))
        self.status.clock_offset_s = offset_s

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="edge-sync", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        """The upload thread runs (or was never started)."""
        return self._thread is None or self._thread.is_alive()

    def wake(self) -> None:
        """New event in the outbox: upload now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            delay = self.cycle()
            self._wake.wait(delay)
            self._wake.clear()

    # -- one round ------------------------------------------------------------------------------

    def cycle(self) -> float:
        """Do whatever is due; return the seconds until the next round."""
        try:
            # A local day that is over is sealed by the gate's checkpoint before the upload.
            self.outbox.checkpoint_if_day_over(self.client.local_now())
            self.flush_events()
            self.flush_enrollments()
            now = time.monotonic()
            if now >= self._next_heartbeat:
                self.send_heartbeat()
                self._next_heartbeat = now + self.heartbeat_s
            if now >= self._next_roster:
                self.pull_roster()
                self._next_roster = now + self.roster_poll_s
            if now >= self._next_prune:
                # Acked rows only: the server holds them; the chain head is kept in `chain`.
                cutoff = _utcnow() - dt.timedelta(days=self.retention_days)
                self.outbox.prune(cutoff)
                self._next_prune = now + 3600.0
        except SyncError as exc:
            self.status.last_error = str(exc)
            self._save_status()
            if exc.retryable:
                delay = self.backoff.next()
                log.warning("sync retry in %.1fs code=%s", delay, exc.code)
                return delay
            self.status.needs_operator = True
            self._save_status()
            log.error("sync needs operator code=%s status=%s", exc.code, exc.status)
            return self.operator_retry_s
        self.backoff.reset()
        if self.status.needs_operator or self.status.last_error:
            self.status.needs_operator = False
            self.status.last_error = None
            self._save_status()
        return self.idle_poll_s

    def flush_events(self) -> int:
        """Upload until the outbox is empty; returns how many events the server newly holds."""
        sent = 0
        size = self.batch_size
        rewinds = 0
        while not self._stop.is_set():
            batch = self.outbox.pending(size)
            if not batch:
                break
            first, last = batch[0].seq, batch[-1].seq
            self.outbox.mark_sending(first, last)
            try:
                ack = self.client.upload(batch)
            except SyncError as exc:
                self.outbox.release()
                if exc.status == 413 and size > 1:
                    size = max(1, size // 2)
                    continue
                raise
            high = ack.highest_contiguous_seq
            mine = self.outbox.hash_at(high) if ack.tip_hash and high > 0 else None
            if mine is not None and mine != ack.tip_hash:
                # The server holds another record at the seq it acknowledges: not ours.
                self.outbox.release()
                raise SyncError(
                    "chain.tip_mismatch",
                    f"server's record at seq {high} is not this gate's ({ack.tip_hash} != {mine})",
                    status=409,
                    retryable=False,
                )
            sent += ack.inserted
            self.status.uploaded += ack.inserted
            self.status.last_upload_at = _utcnow().isoformat()
            acked_before = self.outbox.stats().acked_through
            if high < acked_before and rewinds < 3:
                # The server holds less than it once acknowledged (restored backup): resend.
                log.warning("server ack went back from %d to %d", acked_before, high)
                rewinds += 1
                self.outbox.reopen_above(high)
                self.outbox.ack_through(high)
                continue
            self.outbox.ack_through(high)
            if high < last:
                problem = f"server accepted through {high} of {first}..{last}"
                if ack.errors:
                    problem += f"; {ack.errors[0].code}: {ack.errors[0].message}"
                raise SyncError("chain", problem, status=409, retryable=False)
        return sent

    def flush_enrollments(self) -> None:
        for row_id, body in self.outbox.pending_enrollments():
            req = EnrollmentRequest.model_validate_json(body)
            try:
                resp = self.client.enroll(req)
            except SyncError as exc:
                if exc.retryable or exc.status in (401, None):
                    raise
                self.outbox.finish_enrollment(row_id, error=str(exc))  # 409/422: a person decides
                continue
            self.outbox.finish_enrollment(row_id)
            log.info("enrollment sent worker_id=%s created=%s", resp.worker_id, resp.created)

    def send_heartbeat(self) -> HeartbeatAck:
        stats = self.outbox.stats()
        ack = self.client.heartbeat(
            Heartbeat(
                device_time=self.client.local_now(),  # the gate's own clock: the server's skew
                queue_depth=stats.depth,
                last_seq=stats.last_seq,
                roster_version=self.roster.version,
                health=self.health(),
                software_version=SOFTWARE_VERSION,
            )
        )
        self.status.last_heartbeat_at = _utcnow().isoformat()
        self.status.clock_skew_ms = ack.clock_skew_ms
        self.status.server_roster_version = ack.roster_version
        if ack.roster_version != self.roster.version:
            self._next_roster = 0.0  # newer roster on the server: fetch it this round
        self._save_status()
        return ack

    def pull_roster(self) -> bool:
        """Download what changed; True when the local roster moved to a new version."""
        before = self.roster.version
        delta = self.client.roster(before)
        if delta.version == before and not delta.full:
            return False
        try:
            self.roster.apply(delta)
        except ValueError:
            self.roster.apply(self.client.roster(0))  # our base is unknown: take it whole
        self.status.last_roster_at = _utcnow().isoformat()
        self._save_status()
        if self.on_roster is not None:
            self.on_roster()
        return self.roster.version != before

    def _save_status(self) -> None:
        data = asdict(self.status)
        data["roster_version"] = self.roster.version
        self.outbox.set_meta("sync_status", json.dumps(data, ensure_ascii=False))
