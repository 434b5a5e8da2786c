"""考勤凭证 (attendance evidence): every gate record of one worker in one month, each re-verified
from its stored columns, for a worker or an inspector to hand to an arbitration committee.

Per event, three checks, all from what is stored (never the ingest-time chain_ok flag):

* hash: SHA-256 over prev_hash and the canonical bytes of the stored columns equals the stored
  hash (models.gate_event, as verify_chain does);
* signature: the stored Ed25519 signature of the hash verifies under the gate's public key that
  was in force when the server received the event (the key ingest checked it against; an older
  key of a re-provisioned gate comes from the audit log, see ingest.service.provision);
* link: prev_hash equals the stored hash of the same gate's previous seq (GENESIS for seq 1);
  a missing previous seq is a link failure, since nothing then ties the record to the chain.

Manual corrections (补卡) of the month are listed apart: they are no gate records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from models.device_auth import key_fingerprint, load_public_key, verify_with
from models.enums import (
    DENY_REASON_TEXT,
    CredentialKind,
    DenyReason,
    Direction,
    GateMode,
    GateResult,
    RecordPurpose,
)
from models.gate_event import GENESIS_HASH, canonical_bytes, chain_hash
from models.ids import mask_id_number
from models.roster import split_confirmed_ref
from server.auth.models import AuditLog
from server.errors import NotFoundError
from server.ingest import checkpoints, evidence_chain, repository
from server.ingest.checkpoints import Seal
from server.ingest.evidence_chain import GateChainState
from server.ingest.models import (
    ChainBreak,
    GateEventRow,
    enum_or_none,
    stored_enum_errors,
    stored_text_columns,
)
from server.registry.models import Assignment, Device, GateConfirmer, Project, Worker
from server.rosters import service as roster_service

KEY_ACTIONS = ("provision", "reprovision")

# kind -> (zh, en): why a record failed, as the export prints it.
PROBLEM_TEXT: dict[str, tuple[str, str]] = {
    "bad_hash": (
        "按存储内容重算的哈希与存储的哈希不符(记录被修改或损坏)",
        "hash recomputed from the stored columns differs from the stored hash "
        "(record altered or damaged)",
    ),
    "bad_signature": (
        "签名不能用该闸机当时的公钥验证(非本闸机签发)",
        "signature does not verify with the gate's public key in force at the time "
        "(not signed by this gate)",
    ),
    "other_key": (
        "签名来自该闸机在其他时段使用的密钥,而非接收时有效的密钥",
        "signature is by a key this gate used at another time, not the key in force at receipt",
    ),
    "no_key": ("该闸机没有登记的公钥", "the gate has no registered public key"),
    "prev_mismatch": (
        "前一哈希与同一闸机上一序号记录的哈希不符(链断裂)",
        "prev_hash differs from the stored hash of the gate's previous seq (chain broken)",
    ),
    "gap": (
        "同一闸机的上一序号记录不存在(缺失记录)",
        "the gate's previous seq is not stored (missing record)",
    ),
    "bad_value": (
        "存储的字段值不是有效取值(记录被修改)",
        "a stored field holds no valid value (record altered)",
    ),
    "next_missing": (
        "同一闸机的下一序号记录不存在,而服务器已收到更后的记录(缺失记录)",
        "the gate's next seq is not stored although later records were received (missing record)",
    ),
    "next_mismatch": (
        "同一闸机下一序号记录的前一哈希不是本记录的哈希(链断裂)",
        "the prev_hash of the gate's next seq is not this record's hash (chain broken)",
    ),
    "moved_away": (
        "闸机签名时本记录属于该工人,存储的工人已被改为他人(记录被移走)",
        "the gate signed this record as this worker's; the stored worker was changed to another "
        "(record moved away)",
    ),
}

# kind -> (zh, en): what a reader must know about a record that passed its checks.
WARNING_TEXT: dict[str, tuple[str, str]] = {
    "clock_skew": (
        "接收时闸机时钟与服务器时间相差较大,记录时间可能偏移(单位:秒)",
        "the gate's clock was off from the server's when received: the recorded time may be "
        "shifted (seconds)",
    ),
    "not_passed": (
        "闸门未打开,本次通行未发生(见后续记录)",
        "the gate did not open: this pass did not happen (see the follow-up record)",
    ),
    "server_sealed": (
        "人脸终端的记录:终端不能签名,由服务器在收到时签名(服务器接收,非设备签名);终端记录号",
        "a face terminal's record: the terminal cannot sign, the server signed it on receipt "
        "(received by the server, not device-signed); the terminal's record",
    ),
    "wage_confirm": (
        "工资确认记录(工人在站点确认工资单),不是通行记录,不计考勤;确认的工资单哈希",
        "a wage confirmation (the worker confirmed a wage line at a station), not a pass: "
        "no attendance; the line's hash",
    ),
}

# The default threshold above which a record's clock skew is flagged (Settings.clock_skew_flag_s).
CLOCK_SKEW_FLAG_S = 300

BREAK_TEXT: dict[str, tuple[str, str]] = {
    "prev_mismatch": ("前一条记录哈希不符(链断裂)", "prev_hash does not match (chain broken)"),
    "fork": ("同一序号出现不同记录(分叉)", "a different event at an already stored seq (fork)"),
    "bad_hash": ("记录内容与哈希不符(被篡改或损坏)", "event body does not match its hash"),
    "bad_signature": ("记录签名无效(非本闸机签发)", "event signature does not verify"),
}


E = TypeVar("E", bound=StrEnum)


def stored_value(cls: type[E], text: str) -> E | str:
    """The member whose value is the stored text, or the text itself when it is no member (a
    record edited in the database): the export shows it as stored, beside its failed checks."""
    member = enum_or_none(cls, text)
    return text if member is None else member


@dataclass(frozen=True, slots=True)
class Problem:
    kind: str
    message_zh: str
    message_en: str
    expected: str = ""
    got: str = ""


@dataclass(frozen=True, slots=True)
class EvidenceEvent:
    """One gate record as stored, with the outcome of its three checks."""

    device_id: int
    gate_code: str
    gate_name: str
    seq: int
    event_id: str
    device_time: dt.datetime  # in the project's zone
    received_at: dt.datetime  # in the project's zone
    # Enum fields hold the stored text instead when it is no member (see `stored_value`).
    direction: Direction | str
    mode: GateMode | str
    credential: CredentialKind | str | None
    confirmer_id: int | None
    confirmer_name: str | None
    result: GateResult | str
    reason: DenyReason | str | None
    reason_zh: str
    reason_en: str
    face_score: float | None
    prev_hash: str
    hash: str
    signature: str
    canonical: str  # the exact text hashed after prev_hash: anyone can re-run SHA-256 on it
    public_key: str  # the key the signature was checked with ("" when none)
    key_fingerprint: str
    hash_ok: bool
    signature_ok: bool
    link_ok: bool
    ok: bool
    problems: tuple[Problem, ...]
    # The gate's clock minus the server's at receipt (s), when the gate reported it.
    clock_skew_s: int | None = None
    voids_seq: int | None = None  # a not-passed follow-up: the granted seq it voids
    voided_by_seq: int | None = None  # a granted record whose pass did not happen
    warnings: tuple[Problem, ...] = ()
    # Not a pass: e.g. wage_confirm, with the confirmed line's shown_hash (stored text).
    purpose: RecordPurpose | str | None = None
    subject_hash: str | None = None


@dataclass(frozen=True, slots=True)
class GateKey:
    public_key: str
    fingerprint: str
    valid_from: dt.datetime | None  # None: from before the audit log knew the gate
    valid_to: dt.datetime | None  # None: still in force


@dataclass(frozen=True, slots=True)
class RecordedBreak:
    seq: int
    kind: str
    message_zh: str
    message_en: str
    detected_at: dt.datetime


@dataclass(frozen=True, slots=True)
class GateSummary:
    device_id: int
    code: str
    name: str
    direction: Direction
    keys: tuple[GateKey, ...]  # the keys that checked this month's records
    events_checked: int
    events_ok: int
    failed_seqs: tuple[int, ...]
    all_ok: bool  # this month's records pass and the gate's whole chain is as acknowledged
    chain_breaks: tuple[RecordedBreak, ...]  # recorded at ingest, around this month's records
    chain: GateChainState | None = None
    # the gate's own checkpoints that seal the month (ingest/checkpoints.month_seals): a printed
    # copy holds them, so a later rewrite contradicts paper the server does not control
    seals: tuple[Seal, ...] = ()


@dataclass(frozen=True, slots=True)
class EvidenceCorrection:
    """A 补卡 by a site manager: it counts for attendance but is not a gate record."""

    at: dt.datetime  # in the project's zone
    direction: Direction
    reason: str
    author: str
    created_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class WorkerEvidence:
    project_id: int
    project_code: str
    project_name: str
    timezone: str
    worker_id: int
    worker_name: str
    id_number_masked: str
    period: str
    generated_at: dt.datetime  # in the project's zone
    events_checked: int
    events_ok: int
    all_ok: bool
    events: tuple[EvidenceEvent, ...]
    gates: tuple[GateSummary, ...]
    corrections: tuple[EvidenceCorrection, ...]
    chains_intact: bool = True  # every gate's whole chain is as ingest acknowledged it
    # False: the month's face-only records of others were too many to re-check each for one
    # moved away from this worker (evidence_chain.FACE_ONLY_BUDGET); the statement says so.
    face_only_checked: bool = True
    clock_skew_flag_s: int = CLOCK_SKEW_FLAG_S


CONFIRMER_CARD_WITHHELD = (
    "(本条含确认人的卡号,仅提供给劳动监察和项目管理人员;校验结果见本行)"
    " (holds the confirmer's card number: given to inspectors and managers only;"
    " the checks' outcome is on this row)"
)


def without_confirmer_cards(evidence: WorkerEvidence) -> WorkerEvidence:
    """The worker's own copy: a card + confirmation record's canonical text names the
    confirmer's IC card UID, and an IC card UID is easily cloned, so the worker's copy keeps the
    checks' outcome but not that text (inspectors and managers get it to re-verify)."""
    events = tuple(
        # An altered mode may hide a confirmed pass: withheld too.
        replace(e, canonical=CONFIRMER_CARD_WITHHELD)
        if e.mode is GateMode.CARD_CONFIRMED or not isinstance(e.mode, GateMode)
        else e
        for e in evidence.events
    )
    return replace(evidence, events=events)


# --- keys over time -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeySpan:
    public_key: str
    valid_from: dt.datetime | None
    valid_to: dt.datetime | None

    def covers(self, at: dt.datetime) -> bool:
        return (self.valid_from is None or at >= self.valid_from) and (
            self.valid_to is None or at < self.valid_to
        )


def key_history(session: Session, device: Device) -> list[KeySpan]:
    """The gate's public keys with the time each was in force, from the provisioning audit
    entries (each names the new key and the one it replaced); the device row's key is the
    current one. A gate provisioned before the audit log existed has one key for all time."""
    entries = session.execute(
        select(AuditLog.at, AuditLog.detail)
        .where(
            AuditLog.entity == "device",
            AuditLog.entity_id == device.id,
            AuditLog.action.in_(KEY_ACTIONS),
        )
        .order_by(AuditLog.at, AuditLog.id)
    ).all()
    spans: list[KeySpan] = []
    start: dt.datetime | None = None
    for at, detail in entries:
        old = str((detail or {}).get("old_public_key") or "")
        if spans:
            previous = spans[-1]
            spans[-1] = KeySpan(previous.public_key, previous.valid_from, at)
        elif old:
            spans.append(KeySpan(old, None, at))
        new = str((detail or {}).get("public_key") or "")
        if new:
            spans.append(KeySpan(new, at, None))
        start = at
    current = device.public_key or ""
    if current and (not spans or spans[-1].public_key != current):
        # Set outside provision() (an older tool or a data fix): in force since the last entry;
        # _key_at prefers the later span where they overlap.
        spans.append(KeySpan(current, start, None))
    if device.kind == "terminal" and spans:
        # A face terminal's records are sealed by the server as they arrive, under one key for
        # the terminal's life; their times are the terminal's clock, often from before its
        # approval (the backlog it kept while refused).
        return [KeySpan(spans[-1].public_key, None, None)]
    return spans


def _key_at(spans: Sequence[KeySpan], at: dt.datetime) -> KeySpan | None:
    for span in reversed(spans):
        if span.covers(at):
            return span
    return None


def _signature_ok(public_key: Ed25519PublicKey | None, signature: str, event_hash: str) -> bool:
    if public_key is None:
        return False
    try:
        message = bytes.fromhex(event_hash)
    except ValueError:  # a stored hash edited to non-hex: nothing was signed
        return False
    return verify_with(public_key, signature, message)


# --- the evidence ---------------------------------------------------------------------------


def month_bounds(project: Project, period: str) -> tuple[dt.tzinfo, dt.datetime, dt.datetime]:
    year, month = roster_service.parse_period(period)
    zone = roster_service.project_settings(project).zone
    start = dt.datetime(year, month, 1, tzinfo=zone)
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    return zone, start, end


def worker_on_project(session: Session, project_id: int, worker_id: int) -> Worker:
    """The worker when assigned to the project at any time; 404 otherwise (nothing disclosed)."""
    worker = session.get(Worker, worker_id)
    assigned = session.scalar(
        select(Assignment.id).where(
            Assignment.project_id == project_id, Assignment.worker_id == worker_id
        )
    )
    if worker is None or assigned is None:
        raise NotFoundError("工人", "worker")
    return worker


def _confirmer_names(session: Session, project_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(GateConfirmer.id, GateConfirmer.name).where(
            GateConfirmer.project_id == project_id, GateConfirmer.id.in_(ids)
        )
    )
    return {cid: name for cid, name in rows}  # noqa: C416 (rows, not pairs)


def _recorded_breaks(
    session: Session,
    device_ids: Sequence[int],
    start: dt.datetime,
    end: dt.datetime,
) -> dict[int, list[ChainBreak]]:
    """Breaks recorded at ingest for these gates: detected in the month, or at a seq within the
    span of the gate's records of the month (a bad event is never stored, so no time of its own)."""
    if not device_ids:
        return {}
    spans = session.execute(
        select(GateEventRow.device_id, func.min(GateEventRow.seq), func.max(GateEventRow.seq))
        .where(
            GateEventRow.device_id.in_(device_ids),
            GateEventRow.device_time >= start,
            GateEventRow.device_time < end,
        )
        .group_by(GateEventRow.device_id)
    ).all()
    in_span = [
        (ChainBreak.device_id == device_id) & ChainBreak.seq.between(lo, hi)
        for device_id, lo, hi in spans
    ]
    detected = (
        ChainBreak.device_id.in_(device_ids)
        & (ChainBreak.detected_at >= start)
        & (ChainBreak.detected_at < end)
    )
    out: dict[int, list[ChainBreak]] = defaultdict(list)
    for b in session.scalars(
        select(ChainBreak).where(or_(detected, *in_span)).order_by(ChainBreak.seq, ChainBreak.id)
    ):
        out[b.device_id].append(b)
    return out


def _reason_text(reason: DenyReason | str | None) -> tuple[str, str]:
    if reason is None:
        return "", ""
    if isinstance(reason, DenyReason):
        return DENY_REASON_TEXT.get(reason, (reason.value, reason.value))
    return reason, reason  # the stored text of an altered record


def _clock_skew(r: Any) -> int | None:
    """The gate's skew at receipt; for older gates' records only a time after receipt is sure."""
    if r.clock_skew_s is not None:
        return int(r.clock_skew_s)
    ahead = (r.device_time - r.received_at).total_seconds()
    return round(ahead) if ahead > 0 else None


def worker_month_evidence(
    session: Session,
    *,
    project_id: int,
    worker_id: int,
    period: str,
    now: dt.datetime,
    clock_skew_flag_s: int = CLOCK_SKEW_FLAG_S,
) -> WorkerEvidence:
    """Every gate record of the worker in the project and month (local time), re-verified."""
    project = roster_service.get_project_or_raise(session, project_id)
    worker = worker_on_project(session, project_id, worker_id)
    zone, start, end = month_bounds(project, period)
    # Enum columns as stored text: a value edited outside its enum fails the checks below and is
    # shown as stored, instead of failing the read.
    c = GateEventRow.__table__.c
    rows = session.execute(
        select(*stored_text_columns())
        .where(
            c.project_id == project_id,
            c.worker_id == worker_id,
            c.device_time >= start,
            c.device_time < end,
        )
        .order_by(c.device_time, c.device_id, c.seq)
    ).all()

    devices = evidence_chain.project_gates(session, project_id, sorted({r.device_id for r in rows}))
    # Records the gate signed as this worker's that now name someone else: listed and flagged.
    moved = evidence_chain.moved_away(
        session,
        project_id=project_id,
        worker=worker,
        start=start,
        end=end,
        codes={d.id: d.code for d in devices.values()},
    )
    moved_keys = {(r.device_id, r.seq) for r in moved.rows}
    rows = sorted([*rows, *moved.rows], key=lambda r: (r.device_time, r.device_id, r.seq))
    device_ids = sorted({r.device_id for r in rows})
    keys = {device_id: key_history(session, devices[device_id]) for device_id in device_ids}
    loaded: dict[str, Ed25519PublicKey | None] = {}

    def public(hex_: str) -> Ed25519PublicKey | None:
        if hex_ not in loaded:
            loaded[hex_] = load_public_key(hex_)
        return loaded[hex_]

    # The stored hash of each record's predecessor, one indexed read per gate.
    # ... and of its successor (a deleted record right after one of this worker's).
    previous: dict[int, dict[int, tuple[str, str]]] = {}
    following: dict[int, dict[int, tuple[str, str]]] = {}
    chains = {d: evidence_chain.gate_chain_state(session, devices[d]) for d in devices}
    for device_id in device_ids:
        wanted = {r.seq - 1 for r in rows if r.device_id == device_id and r.seq > 1}
        previous[device_id] = repository.stored_links(session, device_id, wanted)
        after = {r.seq + 1 for r in rows if r.device_id == device_id}
        following[device_id] = repository.stored_links(session, device_id, after)

    confirmer_ids = {
        cid
        for r in rows
        if r.mode == GateMode.CARD_CONFIRMED
        and r.credential_ref
        and (cid := split_confirmed_ref(r.credential_ref)[1]) is not None
    }
    confirmers = _confirmer_names(session, project_id, confirmer_ids)

    events: list[EvidenceEvent] = []
    used_keys: dict[int, dict[str, KeySpan]] = defaultdict(dict)
    for r in rows:
        device = devices[r.device_id]
        problems: list[Problem] = []

        def fail(kind: str, expected: str = "", got: str = "") -> None:
            zh, en = PROBLEM_TEXT[kind]
            problems.append(Problem(kind, zh, en, expected, got))  # noqa: B023 - same iteration

        fields: dict[str, Any] = dict(r._mapping)
        fields["device_id"] = device.code  # the chain hashes the gate's code, not the row id
        for column, text in stored_enum_errors(fields):
            fail("bad_value", column, text)
        body = canonical_bytes(fields)
        try:
            computed = chain_hash(r.prev_hash, body)
        except ValueError:  # prev_hash edited to non-hex
            computed = ""
        hash_ok = computed == r.hash
        if not hash_ok:
            fail("bad_hash", computed, r.hash)

        span = _key_at(keys[r.device_id], r.received_at)
        signature_ok = False
        if span is None:
            fail("no_key")
        else:
            used_keys[r.device_id][span.public_key] = span
            signature_ok = _signature_ok(public(span.public_key), r.signature, r.hash)
            if not signature_ok:
                others = [s for s in keys[r.device_id] if s.public_key != span.public_key]
                by_other = any(
                    _signature_ok(public(s.public_key), r.signature, r.hash) for s in others
                )
                fail("other_key" if by_other else "bad_signature")

        if r.seq == 1:
            expected_prev: str | None = GENESIS_HASH
        else:
            stored = previous[r.device_id].get(r.seq - 1)
            expected_prev = stored[0] if stored else None
        link_ok = expected_prev == r.prev_hash
        if expected_prev is None:
            fail("gap", str(r.seq - 1), "")
        elif not link_ok:
            fail("prev_mismatch", expected_prev, r.prev_hash)
        chain = chains[r.device_id]
        later = max(chain.acked_seq, chain.stored_max_seq or 0)
        next_links = following[r.device_id].get(r.seq + 1)
        if next_links is None:
            if r.seq < later:
                fail("next_missing", str(r.seq + 1), "")
        elif next_links[1] != r.hash:
            fail("next_mismatch", r.hash, next_links[1])
            link_ok = False
        if (r.device_id, r.seq) in moved_keys:
            fail("moved_away", str(worker.id), "" if r.worker_id is None else str(r.worker_id))

        warnings: list[Problem] = []
        skew = _clock_skew(r)
        if skew is not None and abs(skew) > clock_skew_flag_s:
            zh, en = WARNING_TEXT["clock_skew"]
            warnings.append(Problem("clock_skew", zh, en, f"±{clock_skew_flag_s}", f"{skew:+d}"))
        if r.voided_by_seq is not None:
            zh, en = WARNING_TEXT["not_passed"]
            warnings.append(Problem("not_passed", zh, en, "", str(r.voided_by_seq)))
        terminal = r.terminal_ref
        if terminal is not None:
            zh, en = WARNING_TEXT["server_sealed"]
            warnings.append(
                Problem("server_sealed", f"{zh} {terminal}", f"{en} {terminal}", "", terminal)
            )
        purpose = None if r.purpose is None else stored_value(RecordPurpose, r.purpose)
        if purpose is not None:
            # Any purpose is no pass; its text names what the record is for.
            zh, en = WARNING_TEXT["wage_confirm"]
            subject = r.subject_hash or ""
            warnings.append(
                Problem("wage_confirm", f"{zh} {subject}", f"{en} {subject}", "", subject)
            )

        confirmer_id: int | None = None
        if r.mode == GateMode.CARD_CONFIRMED and r.credential_ref:
            confirmer_id = split_confirmed_ref(r.credential_ref)[1]
        reason = None if r.reason is None else stored_value(DenyReason, r.reason)
        reason_zh, reason_en = _reason_text(reason)
        events.append(
            EvidenceEvent(
                device_id=r.device_id,
                gate_code=device.code,
                gate_name=device.name,
                seq=r.seq,
                event_id=str(r.event_id),
                device_time=r.device_time.astimezone(zone),
                received_at=r.received_at.astimezone(zone),
                direction=stored_value(Direction, r.direction),
                mode=stored_value(GateMode, r.mode),
                credential=(
                    None if r.credential is None else stored_value(CredentialKind, r.credential)
                ),
                confirmer_id=confirmer_id,
                confirmer_name=confirmers.get(confirmer_id) if confirmer_id else None,
                result=stored_value(GateResult, r.result),
                reason=reason,
                reason_zh=reason_zh,
                reason_en=reason_en,
                face_score=r.face_score,
                prev_hash=r.prev_hash,
                hash=r.hash,
                signature=r.signature,
                canonical=body.decode(),
                public_key=span.public_key if span else "",
                key_fingerprint=key_fingerprint(span.public_key) if span else "",
                hash_ok=hash_ok,
                signature_ok=signature_ok,
                link_ok=link_ok,
                ok=not problems,
                problems=tuple(problems),
                clock_skew_s=skew,
                voids_seq=r.voids_seq,
                voided_by_seq=r.voided_by_seq,
                warnings=tuple(warnings),
                purpose=purpose,
                subject_hash=r.subject_hash,
            )
        )

    breaks = _recorded_breaks(session, device_ids, start, end)
    seals = checkpoints.month_seals(
        session,
        devices,
        start.astimezone(zone).date().isoformat(),
        end.astimezone(zone).date().isoformat(),
    )
    gates: list[GateSummary] = []
    for device_id in sorted(devices):
        device = devices[device_id]
        mine = [e for e in events if e.device_id == device_id]
        failed = tuple(sorted(e.seq for e in mine if not e.ok))
        gates.append(
            GateSummary(
                device_id=device_id,
                code=device.code,
                name=device.name,
                direction=device.direction,
                keys=tuple(
                    GateKey(
                        s.public_key,
                        key_fingerprint(s.public_key),
                        s.valid_from.astimezone(zone) if s.valid_from else None,
                        s.valid_to.astimezone(zone) if s.valid_to else None,
                    )
                    for s in used_keys[device_id].values()
                ),
                events_checked=len(mine),
                events_ok=len(mine) - len(failed),
                failed_seqs=failed,
                all_ok=not failed and chains[device_id].intact,
                chain_breaks=tuple(
                    RecordedBreak(
                        b.seq,
                        b.kind,
                        *BREAK_TEXT.get(b.kind, (b.kind, b.kind)),
                        b.detected_at.astimezone(zone),
                    )
                    for b in breaks.get(device_id, [])
                ),
                chain=chains[device_id],
                seals=seals.get(device_id, ()),
            )
        )

    corrections = tuple(
        EvidenceCorrection(
            at=c.at.astimezone(zone),
            direction=c.direction,
            reason=c.reason,
            author=c.author,
            created_at=c.created_at.astimezone(zone) if c.created_at else None,
        )
        for c in roster_service.list_corrections(
            session, project_id=project_id, period=period, worker_id=worker_id
        )
    )
    events_ok = sum(1 for e in events if e.ok)
    chains_intact = all(c.intact for c in chains.values())
    return WorkerEvidence(
        project_id=project.id,
        project_code=project.code,
        project_name=project.name,
        timezone=str(zone),
        worker_id=worker.id,
        worker_name=worker.name,
        id_number_masked=mask_id_number(worker.id_number),
        period=f"{start.year:04d}-{start.month:02d}",
        generated_at=now.astimezone(zone),
        events_checked=len(events),
        events_ok=events_ok,
        all_ok=events_ok == len(events) and chains_intact,
        events=tuple(events),
        gates=tuple(gates),
        corrections=corrections,
        chains_intact=chains_intact,
        clock_skew_flag_s=clock_skew_flag_s,
        face_only_checked=moved.face_only_checked,
    )
