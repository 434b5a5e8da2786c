"""Edge ingest: provisioning, signed-request checks, event batches with the per-device hash
chain, heartbeats, roster downloads, enrollments, a station's wage lines, and re-verifying a
stored chain.

Decisions worth knowing (the edge codes against them):

* Request signatures cover METHOD, the URL path WITHOUT the query string, timestamp, nonce and
  the body's SHA-256. Nothing security-relevant travels in a query: the only one is the roster's
  `since`, and the reply echoes it as `since_version`, which the edge checks against its own.
* An event whose hash does not match its body (`bad_hash`) or whose signature does not verify
  under the device's key (`bad_signature`) is not trustworthy: it is NOT stored as an event, a
  ChainBreak and a red finding are written, and the item is reported by index. The contiguous
  cursor cannot pass it, so the edge stops at it and asks for an operator.
* A seq already stored with a different hash is a fork: the stored row stays, the new one is
  refused, a ChainBreak(kind="fork") and a finding are written.
* An event whose prev_hash does not match the stored hash of seq-1 IS stored (chain_ok=False):
  it is a real attempt at the gate, signed by the gate; the break is recorded and raised. When
  seq-1 arrives after seq (gaps), the link is checked then, from the other side.
* A record with purpose wage_confirm is stored like any other and, once newly stored, applied to
  the worker's wage line it names (server/ingest/wage_confirm.py); it is never a pass.
* Services never commit: the request's unit of work does (habit 9).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy.orm import Session

from models.device_auth import (
    HEADER_SERVER_TIME,
    load_public_key,
    signing_message,
    verify,
    verify_event_signature,
    verify_with,
)
from models.enums import AssignmentStatus, DenyReason, GateResult, WarningLevel
from models.errors import ContractError
from models.gate_event import GENESIS_HASH, GateEvent, GateEventBody, canonical_bytes, chain_hash
from models.ids import gender_of, infer_id_type, parse_id_number
from models.roster import GatePolicy, RosterEntry
from models.sync import (
    BatchAck,
    EnrollmentRequest,
    EnrollmentResponse,
    EventBatch,
    Heartbeat,
    HeartbeatAck,
    ItemError,
    ProvisionRequest,
    ProvisionResponse,
    RosterDelta,
)
from models.wage_line import WageLinesRequest, WageLinesResponse
from server.auth import service as auth_service
from server.config import Settings
from server.errors import NotAuthenticatedError, SiteGateError, ValidationFailedError
from server.ingest import checkpoints, repository, wage_confirm
from server.ingest.ack_check import AckedState, StoredState, ack_problems
from server.ingest.models import stored_enum_errors
from server.ingest.schemas import ChainProblem, ChainReport, RecordedBreak
from server.registry import face_templates, versioning
from server.registry import service as registry_service
from server.registry import settings as project_settings
from server.registry.models import Assignment, Device, Project, Worker

FINDING_KIND = "CHAIN_BREAK"
MAX_REPORTED_PROBLEMS = 1000
_HASHED_FIELDS = tuple(GateEventBody.model_fields)

_BREAK_TEXT: dict[str, tuple[str, str]] = {
    "prev_mismatch": ("前一条记录哈希不符(链断裂)", "prev_hash does not match (chain broken)"),
    "fork": ("同一序号出现不同记录(分叉)", "a different event at an already stored seq (fork)"),
    "bad_hash": ("记录内容与哈希不符(被篡改或损坏)", "event body does not match its hash"),
    "bad_signature": ("记录签名无效(非本闸机签发)", "event signature does not verify"),
    "checkpoint_mismatch": (
        "闸机签名的检查点与存储的记录不符(记录被删除、改动或改给他人)",
        "the gate's signed checkpoint does not add up to the stored records "
        "(records deleted, altered or moved to another worker)",
    ),
}


class DeviceAuthError(NotAuthenticatedError):
    """401 for a device: unknown, unprovisioned, bad signature, stale timestamp or replay."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_zh, message_en)
        self.code = code


class DeviceStaleError(DeviceAuthError):
    """401 device.stale: the request's timestamp is outside the window. The answer carries the
    server's time (JSON and headers), so a gate whose clock is off can correct its request
    timestamps (never its recorded event times) and retry. `observed` is true when the
    request's signature verified, so its skew may be recorded on the device row."""

    def __init__(self, window: int, server_time: dt.datetime, observed: bool) -> None:
        super().__init__(
            "device.stale",
            f"请求时间戳超出允许范围(±{window} 秒),请校准闸机时钟",
            f"request timestamp outside ±{window} s; check the gate's clock",
        )
        self.server_time = server_time
        self.observed = observed
        self.headers = {
            HEADER_SERVER_TIME: f"{server_time.timestamp():.3f}",
            "Date": format_datetime(server_time.astimezone(dt.UTC), usegmt=True),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **super().to_dict(),
            "server_time": self.server_time.astimezone(dt.UTC).isoformat(),
            "server_timestamp": round(self.server_time.timestamp(), 3),
        }


# --- provisioning -----------------------------------------------------------------------------


def code_hash(code: str) -> str:
    # The same canonical form the registry stores: a code typed as shown (dashes, lower case)
    # must match.
    return registry_service.provisioning_code_hash(code)


def provision(session: Session, req: ProvisionRequest, *, now: dt.datetime) -> ProvisionResponse:
    """Enrol a gate PC's public key with a one-time code; the code is cleared on use."""
    device = repository.device_by_code_hash(session, code_hash(req.code))
    expired = (
        device is not None
        and device.provisioning_expires_at is not None
        and device.provisioning_expires_at <= now
    )
    if device is None or expired or not device.active:
        raise DeviceAuthError(
            "device.bad_provisioning_code",
            "开通码无效、已使用或已过期,请让现场管理员重新生成",
            "provisioning code unknown, used or expired; ask the site manager for a new one",
        )
    old_key = device.public_key
    device.public_key = req.public_key
    device.provisioning_code_hash = None
    device.provisioning_expires_at = None
    device.provisioned_at = now
    # The old key stays in the audit log: events it signed can still be verified against it.
    auth_service.audit(
        session,
        None,
        "reprovision" if old_key else "provision",
        "device",
        device.id,
        project_id=device.project_id,
        detail={"code": device.code, "public_key": req.public_key, "old_public_key": old_key},
    )
    session.flush()
    return ProvisionResponse(
        device_id=device.code, project_id=device.project_id, direction=device.direction.value
    )


# --- signed requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedRequest:
    device_code: str | None
    timestamp: str | None
    nonce: str | None
    signature: str | None
    method: str
    path: str  # URL path without the query string
    body: bytes


def authenticate(
    session: Session, settings: Settings, req: SignedRequest, *, now: dt.datetime
) -> Device:
    if not (req.device_code and req.timestamp and req.nonce and req.signature):
        raise DeviceAuthError(
            "device.unsigned",
            "请求缺少设备签名头",
            "request is missing the device signature headers",
        )
    device = repository.device_by_code(session, req.device_code)
    if device is None or not device.active or not device.public_key:
        raise DeviceAuthError(
            "device.unknown",
            "设备未登记、已停用或尚未开通",
            "device unknown, deactivated or not provisioned",
        )
    try:
        timestamp = int(req.timestamp)
    except ValueError:
        timestamp = None
    window = settings.device_freshness_s
    if timestamp is None:
        raise DeviceStaleError(window, now, observed=False)
    message = signing_message(req.method, req.path, timestamp, req.nonce, req.body)
    if abs(now.timestamp() - timestamp) > window:
        # Refused either way; a signed request's timestamp is the gate's clock, so its skew is
        # recorded for the gates page (the caller commits it although the request fails).
        signed = len(req.nonce) <= 64 and verify(device.public_key, req.signature, message)
        if signed:
            _observe_skew(device, round((timestamp - now.timestamp()) * 1000), now)
        raise DeviceStaleError(window, now, observed=signed)
    if len(req.nonce) > 64 or not verify(device.public_key, req.signature, message):
        raise DeviceAuthError("device.bad_signature", "设备签名无效", "device signature invalid")
    # Only after the signature: an attacker must not be able to burn a device's nonces.
    # The device row locked first (as ingest locks it): the nonce's foreign key takes a share
    # lock on that row, and two requests of one gate in two server processes that each held
    # one and then asked ingest's row lock deadlocked (one answered 500).
    device = repository.lock_device(session, device.id)
    repository.prune_nonces(session, device.id, now - dt.timedelta(seconds=window))
    if not repository.remember_nonce(session, device.id, req.nonce, now):
        raise DeviceAuthError(
            "device.replay", "请求重复(随机数已使用)", "replayed request (nonce already used)"
        )
    return device


# --- event batches ----------------------------------------------------------------------------


@dataclass
class _Break:
    seq: int
    kind: str
    expected: str
    got: str
    device_time: dt.datetime


def _body_bytes(event: GateEvent) -> bytes:
    return canonical_bytes({name: getattr(event, name) for name in _HASHED_FIELDS})


def _row(
    device: Device, event: GateEvent, chain_ok: bool, now: dt.datetime, skew_s: int | None
) -> dict[str, Any]:
    return {
        "event_id": event.event_id,
        "device_id": device.id,
        "project_id": device.project_id,
        "seq": event.seq,
        "device_time": event.device_time,
        "received_at": now,
        "direction": event.direction,
        "mode": event.mode,
        "credential": event.credential,
        "credential_ref": event.credential_ref,
        "worker_id": event.worker_id,
        "result": event.result,
        "reason": event.reason,
        "face_score": event.face_score,
        "voids_seq": event.voids_seq,
        "purpose": event.purpose,
        "subject_hash": event.subject_hash,
        "checkpoint": None if event.checkpoint is None else event.checkpoint.fields(),
        "liveness": event.liveness,
        "terminal_ref": event.terminal_ref,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
        "signature": event.signature,
        "chain_ok": chain_ok,
        "voided_by_seq": None,
        "clock_skew_s": skew_s,
    }


def _unsigned(fresh: dict[int, GateEvent], public_key: str, *, every: bool) -> list[int]:
    """Seqs whose signature does not verify under the device's key.

    The chain makes one check per run enough: in a run of consecutive events whose hashes match
    their bodies (checked before this) and whose prev_hash links to the event before, the hash
    of the run's last event commits to every body in the run, so its valid signature proves them
    all from this gate. Only when that check fails is every event of the run checked, to name
    the bad ones. `every=True` checks each signature (SITEGATE_INGEST_VERIFY_EVERY_SIGNATURE);
    `verify_chain` always checks every stored signature.
    """
    pub = load_public_key(public_key)
    if pub is None:
        return sorted(fresh)
    bad: list[int] = []
    run: list[GateEvent] = []

    def close(run: list[GateEvent]) -> None:
        if not run:
            return
        tip = run[-1]
        if not every and verify_with(pub, tip.signature, bytes.fromhex(tip.hash)):
            return
        bad.extend(e.seq for e in run if not verify_with(pub, e.signature, bytes.fromhex(e.hash)))

    for seq in sorted(fresh):
        event = fresh[seq]
        if run and (seq != run[-1].seq + 1 or event.prev_hash != run[-1].hash):
            close(run)
            run = []
        run.append(event)
    close(run)
    return bad


def ingest(
    session: Session,
    device: Device,
    batch: EventBatch,
    *,
    now: dt.datetime,
    verify_every_signature: bool = False,
) -> BatchAck:
    """Store a batch idempotently, check the chain, advance the device's contiguous cursor."""
    device = repository.lock_device(session, device.id)
    pub = device.public_key or ""
    skew_s: int | None = None
    if batch.device_clock is not None:
        skew_s = round((batch.device_clock - now).total_seconds())
        _observe_skew(device, skew_s * 1000, now)
    errors: list[ItemError] = []
    breaks: list[_Break] = []
    duplicates = 0

    # 1. Per-item checks that need no database; the first of two copies of a seq wins.
    candidates: dict[int, tuple[int, GateEvent]] = {}
    for index, event in enumerate(batch.events):
        if event.device_id != device.code:
            errors.append(
                ItemError(
                    index=index,
                    code="event.wrong_device",
                    message=f"事件属于设备 {event.device_id},非本设备 / "
                    f"event belongs to device {event.device_id}, not the signing device",
                )
            )
            continue
        seen = candidates.get(event.seq)
        if seen is not None:
            if seen[1].hash == event.hash:
                duplicates += 1
            else:
                errors.append(_item(index, "fork"))
                breaks.append(
                    _Break(event.seq, "fork", seen[1].hash, event.hash, event.device_time)
                )
            continue
        candidates[event.seq] = (index, event)

    # 2. One indexed read: stored rows at the batch's seqs and their neighbours.
    wanted = set(candidates)
    for seq in candidates:
        wanted.update((seq - 1, seq + 1))
    wanted.discard(0)
    stored = repository.stored_links(session, device.id, wanted)

    # 3. Duplicates and forks against stored rows; then hash and signature of new events.
    fresh: dict[int, GateEvent] = {}
    for seq in sorted(candidates):
        index, event = candidates[seq]
        if seq in stored:
            stored_hash = stored[seq][0]
            if stored_hash == event.hash:
                duplicates += 1
            else:
                errors.append(_item(index, "fork"))
                breaks.append(_Break(seq, "fork", stored_hash, event.hash, event.device_time))
            continue
        computed = chain_hash(event.prev_hash, _body_bytes(event))
        if computed != event.hash:
            errors.append(_item(index, "bad_hash"))
            breaks.append(_Break(seq, "bad_hash", computed, event.hash, event.device_time))
            continue
        fresh[seq] = event
    for seq in _unsigned(fresh, pub, every=verify_every_signature):
        event = fresh.pop(seq)
        errors.append(_item(candidates[seq][0], "bad_signature"))
        breaks.append(_Break(seq, "bad_signature", "", event.signature[:128], event.device_time))

    # 4. Link check: prev_hash against seq-1 from this batch or the database.
    def hash_at(seq: int) -> str | None:
        if seq == 0:
            return GENESIS_HASH
        if seq in fresh:
            return fresh[seq].hash
        return stored[seq][0] if seq in stored else None

    rows: list[dict[str, Any]] = []
    link_breaks: dict[int, _Break] = {}
    for seq, event in fresh.items():
        expected = hash_at(seq - 1)
        ok = expected is None or expected == event.prev_hash  # None: a gap, checked later
        if not ok:
            assert expected is not None  # noqa: S101 - narrowed by `ok`
            link_breaks[seq] = _Break(
                seq, "prev_mismatch", expected, event.prev_hash, event.device_time
            )
        rows.append(_row(device, event, ok, now, skew_s))
    inserted = repository.insert_events(session, rows)

    # Rows the database refused although no (device, seq) row was seen: a concurrent upload of
    # the same events (a duplicate) or an event_id already used elsewhere (reported).
    refused = set(fresh) - inserted
    if refused:
        now_stored = repository.stored_links(session, device.id, refused)
        for seq in sorted(refused):
            if seq in now_stored and now_stored[seq][0] == fresh[seq].hash:
                duplicates += 1
            else:
                errors.append(_item(candidates[seq][0], "duplicate_event_id"))
            if seq in now_stored:
                stored[seq] = now_stored[seq]
        for seq in refused:
            fresh.pop(seq, None)
            link_breaks.pop(seq, None)
    breaks.extend(link_breaks.values())

    # 5. The other side of a gap: a stored seq+1 whose prev_hash must equal this event's hash.
    later_broken: list[int] = []
    for seq, event in fresh.items():
        after = stored.get(seq + 1)
        if seq + 1 not in fresh and after is not None and after[1] != event.hash:
            later_broken.append(seq + 1)
            breaks.append(_Break(seq + 1, "prev_mismatch", event.hash, after[1], event.device_time))
    repository.mark_chain_broken(session, device.id, later_broken)

    # 6. Advance the contiguous cursor from the device row: no scan of gate_event.
    _advance_cursor(session, device, fresh, stored, wanted)
    if fresh:
        device.last_event_at = now
        # What the server now answers for: the chain check compares the stored rows with it.
        device.acked_count = (device.acked_count or 0) + len(fresh)
        device.acked_at = now
    _void_passes(session, device, fresh)
    # A worker's wage confirmation at a station confirms their line, once, when first stored.
    wage_confirm.apply(session, device, fresh.values(), {s: s not in link_breaks for s in fresh})
    # The gate's checkpoints: checked once here against the stored range, the answer kept.
    checkpoints.record(session, device, fresh.values(), now)
    breaks.extend(
        _Break(m.seq, "checkpoint_mismatch", m.expected, m.got, m.device_time)
        for m in checkpoints.check_pending(session, device, now)
    )
    if breaks:
        _record_breaks(session, device, breaks, now)
    errors.sort(key=lambda e: e.index)
    session.flush()
    return BatchAck(
        inserted=len(fresh),
        duplicates=duplicates,
        highest_contiguous_seq=device.highest_contiguous_seq,
        tip_hash=device.chain_tip_hash,
        chain_breaks=len(breaks),
        errors=errors,
    )


def _void_passes(session: Session, device: Device, fresh: dict[int, GateEvent]) -> None:
    """A stored "not passed" follow-up (refused, relay_failed, voids_seq) voids its granted
    record, for the same worker only: rosters then do not count a pass that did not happen.
    The edge uploads in seq order, so the granted record is stored by now."""
    for event in fresh.values():
        if (
            event.voids_seq is not None
            and event.voids_seq < event.seq
            and event.result is GateResult.REFUSED
            and event.reason is DenyReason.RELAY_FAILED
        ):
            repository.void_pass(
                session, device.id, event.voids_seq, event.worker_id, by_seq=event.seq
            )


def _observe_skew(device: Device, skew_ms: int, now: dt.datetime) -> None:
    device.clock_skew_ms = skew_ms
    device.clock_skew_at = now


def _item(index: int, kind: str) -> ItemError:
    if kind == "duplicate_event_id":
        zh, en = "事件编号已被其他记录使用", "event_id already used by another stored event"
    else:
        zh, en = _BREAK_TEXT[kind]
    return ItemError(index=index, code=f"event.{kind}", message=f"{zh} / {en}")


def _advance_cursor(
    session: Session,
    device: Device,
    fresh: dict[int, GateEvent],
    stored: dict[int, tuple[str, str]],
    checked: set[int],
) -> None:
    high = device.highest_contiguous_seq
    tip = device.chain_tip_hash
    known = {seq: h for seq, (h, _) in stored.items()}
    known.update((seq, e.hash) for seq, e in fresh.items())
    while high + 1 in known:
        high += 1
        tip = known[high]
    # A filled gap can join a run stored earlier beyond the seqs we read: read on in pages.
    while fresh and high + 1 not in checked:
        following = repository.stored_after(session, device.id, high, 1000)
        for seq, h in following:
            if seq != high + 1:
                break
            high, tip = seq, h
        else:
            if len(following) == 1000:
                continue
        break
    device.highest_contiguous_seq = high
    device.chain_tip_hash = tip


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def _record_breaks(
    session: Session, device: Device, breaks: list[_Break], now: dt.datetime
) -> None:
    project = repository.project(session, device.project_id)
    zone = _zone(project.timezone)
    repository.insert_chain_breaks(
        session,
        [
            {
                "device_id": device.id,
                "project_id": device.project_id,
                "seq": b.seq,
                "kind": b.kind,
                "expected": b.expected[:128],
                "got": b.got[:128],
                "detected_at": now,
            }
            for b in breaks
        ],
    )
    keyed = {f"{FINDING_KIND}:device:{device.id}:seq:{b.seq}": b for b in breaks}
    existing = repository.existing_finding_keys(session, device.project_id, list(keyed))
    for key, b in keyed.items():
        if key in existing:
            continue
        zh, en = _BREAK_TEXT[b.kind]
        repository.add_finding(
            session,
            project_id=device.project_id,
            period=b.device_time.astimezone(zone).strftime("%Y-%m"),
            kind=FINDING_KIND,
            level=WarningLevel.RED,
            key=key,
            device_id=device.id,
            message_zh=f"闸机 {device.code} 第 {b.seq} 条记录:{zh}",
            message_en=f"gate {device.code} event #{b.seq}: {en}",
            evidence={"seq": b.seq, "kind": b.kind, "expected": b.expected, "got": b.got},
        )


# --- heartbeat --------------------------------------------------------------------------------


def heartbeat(
    session: Session, device: Device, beat: Heartbeat, *, now: dt.datetime
) -> HeartbeatAck:
    skew_ms = round((beat.device_time - now).total_seconds() * 1000)
    device.last_seen_at = now
    _observe_skew(device, skew_ms, now)
    device.queue_depth = beat.queue_depth
    device.roster_version_seen = beat.roster_version
    device.health = beat.health.model_dump()
    project = repository.project(session, device.project_id)
    session.flush()
    return HeartbeatAck(
        server_time=now, clock_skew_ms=skew_ms, roster_version=project.roster_version
    )


# --- roster download --------------------------------------------------------------------------


def gate_policy(project: Project) -> GatePolicy:
    """The project's effective gate policy (its settings over the RULES.md defaults)."""
    try:
        return project_settings.wire_gate_policy(project)
    except ValidationError:
        raise SiteGateError(
            "项目闸机策略配置有误,请管理员检查",
            "the project's gate policy is invalid; an administrator must fix it",
            code="project.bad_gate_policy",
            status_code=409,
        ) from None


def roster_entries(
    session: Session,
    settings: Settings,
    project_id: int,
    *,
    since: int | None = None,
    worker_ids: list[int] | None = None,
    with_templates: bool = True,
) -> list[RosterEntry]:
    """The project's assignments as a gate holds them (changed after `since`, or of the given
    workers, or all). The edge roster, the server's re-check of terminal passes and the roster
    pushed to face terminals read the same entries."""
    rows = repository.roster_rows(session, project_id, since, worker_ids=worker_ids)
    cards = repository.card_uids_for(session, [a.id for a, *_ in rows])
    consenting = [w.id for a, w, *_ in rows if w.face_consent and a.status != AssignmentStatus.LEFT]
    ciphertexts = repository.template_ciphertexts_for(session, consenting) if with_templates else {}
    entries = []
    for a, w, company, company_blocked, team in rows:
        left = a.status == AssignmentStatus.LEFT
        templates = (
            [face_templates.decrypt(settings, c) for c in ciphertexts.get(w.id, [])]
            if w.face_consent and not left
            else []
        )
        entries.append(
            RosterEntry(
                assignment_id=a.id,
                worker_id=w.id,
                name=w.name,
                id_number=w.id_number,
                gender=w.gender,
                birth_date=w.birth_date,
                id_valid_to=w.id_valid_to,
                status=a.status,
                entered_on=a.entered_on,
                left_on=a.left_on,
                blocklisted=w.blocklisted or bool(company_blocked),
                contract_signed=a.contract_signed_on is not None,
                safety_trained=a.safety_trained_on is not None,
                # Without recorded consent face recognition must not be used: card + manager.
                face_opt_out=a.face_opt_out or not w.face_consent,
                card_uids=cards.get(a.id, []) if not left else [],
                face_templates=templates,
                company=company or "",
                team=team or "",
                trade=a.trade,
            )
        )
    return entries


def roster(session: Session, settings: Settings, device: Device, since: int) -> RosterDelta:
    """Changed assignments since `since` (all of them when since is 0 or ahead of the server).

    A worker who left stays in the delta with status LEFT and no templates, so the gate refuses
    with reason LEFT rather than "unknown"; `removed` is therefore empty (assignments are never
    hard-deleted: LEFT is the tombstone).
    """
    project = repository.project(session, device.project_id)
    version = project.roster_version
    full = since == 0 or since > version
    entries = roster_entries(session, settings, project.id, since=None if full else since)
    return RosterDelta(
        project_id=project.id,
        version=version,
        since_version=since,
        full=full,
        entries=entries,
        removed=[],
        policy=gate_policy(project),
        confirmers=registry_service.confirmers_for_roster(session, project.id),
    )


# --- wage lines at a station ------------------------------------------------------------------


def wage_lines(
    session: Session, settings: Settings, device: Device, req: WageLinesRequest
) -> WageLinesResponse:
    """The worker read off the card at a station, and their lines awaiting an answer on the
    device's own project (server/ingest/wage_confirm.py)."""
    project = repository.project(session, device.project_id)
    return wage_confirm.offers(session, settings, device, req, policy=gate_policy(project))


# --- enrollment -------------------------------------------------------------------------------


def _field_error(field: str, message_zh: str, message_en: str) -> ValidationFailedError:
    return ValidationFailedError(
        f"请求数据有误:{field}:{message_zh}",
        f"invalid request data: {field}: {message_en}",
        detail=[{"field": field, "message": message_en, "type": "value_error"}],
    )


def _photo_bytes(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        raise _field_error(
            "face_photo", "人脸照片须为 base64 编码的 JPEG", "must be a base64-encoded JPEG"
        ) from None


def enroll(
    session: Session, settings: Settings, device: Device, req: EnrollmentRequest
) -> EnrollmentResponse:
    """Register (or refresh) the worker read off the ID card, with consent and template.

    Any provisioned device of the project may enrol (small sites enrol at the gate PC); the
    audit log names the device. `created` is true when the worker is new to this project.
    """
    try:
        id_number = parse_id_number(req.id_number, req.id_card_type)
    except ContractError as exc:
        raise _field_error("id_number", exc.message_zh, exc.message_en) from None
    id_type = req.id_card_type or infer_id_type(id_number)
    if gender_of(id_number) not in (None, req.gender):  # a foreigner's number has no gender digit
        raise _field_error("gender", "与身份证号不符", "does not match the ID number")
    if (req.face_template is not None or req.face_photo is not None) and not req.face_consent:
        raise face_templates.ConsentRequiredError()
    photo = _photo_bytes(req.face_photo)

    worker = repository.worker_by_id_number(session, id_number)
    worker_created = worker is None
    if worker is None:
        worker = Worker(id_number=id_number)
        session.add(worker)
    # The ID card is authoritative for identity: refresh it on every enrollment.
    worker.name = req.name
    worker.id_card_type = id_type.value
    worker.gender = req.gender
    worker.nation = req.nation
    worker.birth_date = req.birth_date
    worker.address = req.address
    worker.id_issuer = req.id_issuer
    worker.id_valid_from = req.id_valid_from
    worker.id_valid_to = req.id_valid_to
    if req.phone:
        worker.phone = req.phone
    session.flush()
    # Recording the choice also withdraws an earlier consent (and deletes its templates).
    face_templates.set_consent(session, worker, req.face_consent)
    template_added = False
    if req.face_template is not None:
        known = face_templates.templates_for(session, settings, worker.id)
        if req.face_template not in known:  # a resent enrollment adds nothing twice
            face_templates.add_template(session, settings, worker, req.face_template, "enrollment")
            template_added = True
    if photo is not None:  # the face terminals' picture (server/terminals/commands.py)
        face_templates.set_photo(session, settings, worker, photo)

    assignment = repository.assignment_for(session, device.project_id, worker.id)
    created = assignment is None
    if assignment is None:
        assignment = Assignment(
            project_id=device.project_id, worker_id=worker.id, status=AssignmentStatus.PENDING
        )
        session.add(assignment)
    session.flush()
    versioning.bump(session, device.project_id, [assignment.id])
    if not worker_created:
        versioning.bump_for_worker(session, worker.id)  # identity may have changed elsewhere too
    auth_service.audit(
        session,
        None,
        "enroll",
        "worker",
        worker.id,
        project_id=device.project_id,
        detail={
            "device": device.code,
            "assignment_id": assignment.id,
            "worker_created": worker_created,
            "assignment_created": created,
            "face_consent": req.face_consent,
            "template_added": template_added,
            "enrolled_at": req.enrolled_at.isoformat(),
        },
    )
    return EnrollmentResponse(worker_id=worker.id, assignment_id=assignment.id, created=created)


# --- chain verification -----------------------------------------------------------------------


def verify_chain(
    session: Session,
    device_id: int,
    *,
    progress: Callable[[int], None] | None = None,
    progress_every: int = 2000,
) -> ChainReport:
    """Recompute every stored event's hash from its columns, verify its signature with the
    device's key and check each link; what an inspector trusts, not the chain_ok flags.

    `progress(records_seen)` is called every `progress_every` records (the background re-check
    writes it down, server/ingest/chain_check.py)."""
    device = session.get(Device, device_id, populate_existing=True)  # the key as stored now
    if device is None:
        raise SiteGateError("设备不存在", "device not found", code="not_found", status_code=404)
    problems: list[ChainProblem] = []
    total = 0
    count = 0
    first: int | None = None
    last: int | None = None
    prev_seq = 0
    prev_hash = GENESIS_HASH
    hash_at_high: str | None = None
    high = device.highest_contiguous_seq
    # Retention deleted records 1..through: the chain is verified from the kept hash of the last.
    marker = repository.retention_boundary(session, device.id)
    retired = 0
    if marker is not None:
        prev_seq, prev_hash, retired = marker
        if high == prev_seq:
            hash_at_high = prev_hash

    def problem(seq: int, kind: str, expected: str = "", got: str = "") -> None:
        nonlocal total
        total += 1
        if len(problems) < MAX_REPORTED_PROBLEMS:
            problems.append(ChainProblem(seq=seq, kind=kind, expected=expected, got=got))

    for row in repository.chain_rows(session, device.id):
        count += 1
        if progress is not None and count % progress_every == 0:
            progress(count)
        first = row.seq if first is None else first
        last = row.seq
        fields = dict(row._mapping)
        fields["device_id"] = device.code
        # Enum columns arrive as stored text (repository.chain_rows): a value outside the enum is
        # named here, and the hash below, computed over that text, shows the record altered.
        for column, text in stored_enum_errors(fields):
            problem(row.seq, "bad_value", column, text)
        computed = chain_hash(row.prev_hash, canonical_bytes(fields))
        if computed != row.hash:
            problem(row.seq, "bad_hash", computed, row.hash)
        if not device.public_key or not verify_event_signature(
            device.public_key, row.hash, row.signature
        ):
            problem(row.seq, "bad_signature")
        if row.seq == prev_seq + 1:
            if row.prev_hash != prev_hash:
                problem(row.seq, "prev_mismatch", prev_hash, row.prev_hash)
        else:
            problem(row.seq, "gap", f"{prev_seq + 1}", f"{row.seq}")
        prev_seq, prev_hash = row.seq, row.hash
        if row.seq == high:
            hash_at_high = row.hash
    # Deletions at the end of the chain leave every remaining link intact: the ack shows them.
    acked = AckedState(device.acked_count or 0, high, device.chain_tip_hash)
    held_top = max(last or 0, marker[0]) if marker else last
    for p in ack_problems(acked, StoredState(count + retired, held_top, hash_at_high)):
        problem(p.seq, p.kind, p.expected, p.got)
    recorded = [
        RecordedBreak(
            seq=b.seq,
            kind=b.kind,
            expected=b.expected,
            got=b.got,
            detected_at=b.detected_at.isoformat(),
        )
        for b in repository.chain_breaks_for(session, device.id)
    ]
    return ChainReport(
        device_id=device.id,
        device_code=device.code,
        events=count,
        first_seq=first,
        last_seq=last,
        highest_contiguous_seq=device.highest_contiguous_seq,
        acked_count=device.acked_count or 0,
        acked_tip_hash=device.chain_tip_hash,
        intact=total == 0 and not recorded,
        problems=problems,
        problems_total=total,
        recorded_breaks=recorded,
        retained_through_seq=marker[0] if marker else None,
    )
