"""What a face terminal decided, sealed by the server on receipt.

A ZKTeco or Hikvision terminal decides at the turnstile and cannot sign. The server therefore
acts as the record's sealer: for each terminal it keeps the same per-device hash chain a gate
PC keeps, signs every record with a key of its own for that terminal (derived from the server's
signing key, so nothing more is stored, and its public half is on the device row like a gate's),
seals checkpoints (models.checkpoint) at the end of each local day and every 500 records, and
hands the records to ingest. Everything downstream (rosters, reconciliation, chain check,
evidence packs) reads them like a gate's, and `terminal_ref` (hashed) says in each record that
the server, not the device, sealed it.

Exactly once: a record's `terminal_ref` is the terminal's own identity of it (ISAPI serialNo,
or the digest of the ZKTeco ATTLOG line), unique per device in the table, so a re-send is a
duplicate whichever way it comes (push, pull, a retried POST).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import checkpoint as cp
from models.device_auth import public_key_hex, sign_event_hash
from models.enums import (
    CredentialKind,
    DenyReason,
    Direction,
    GateMode,
    GateResult,
    RecordPurpose,
)
from models.gate_event import GENESIS_HASH, GateEvent, GateEventBody, seal
from models.sync import MAX_BATCH, EventBatch
from server.anchors import server_key
from server.config import Settings
from server.ingest import repository as ingest_repository
from server.ingest import service as ingest_service
from server.ingest.models import GateCheckpoint, GateEventRow
from server.registry.models import Device
from server.terminals import policy_check

_DERIVE = b"sitegate/terminal-receipt-key/1\x00"
EVERY_N = cp.DEFAULT_EVERY_N


@dataclass(frozen=True, slots=True)
class Received:
    """One record as the terminal reported it, already mapped to SiteGate's vocabulary."""

    ref: str  # the terminal's own identity of the record (serial number or line digest)
    at: dt.datetime  # aware
    result: GateResult
    mode: GateMode
    credential: CredentialKind | None = None
    credential_ref: str | None = None
    worker_id: int | None = None
    reason: DenyReason | None = None
    direction: Direction | None = None  # None: the terminal's configured direction


@dataclass(slots=True)
class Receipt:
    stored: int = 0
    duplicates: int = 0
    checkpoints: int = 0
    findings: int = 0  # passes the project's policy would have refused (policy_check.py)
    reused: int = 0  # records under a terminal number already used (its log was reset)
    events: list[GateEvent] = field(default_factory=list)  # the attempts stored now, in order


def receipt_key(settings: Settings, device_code: str) -> Ed25519PrivateKey:
    """The server's sealing key for one terminal's records."""
    raw = server_key.signing_key(settings).private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return _derived(raw, device_code)


@lru_cache(maxsize=64)
def _derived(raw: bytes, device_code: str) -> Ed25519PrivateKey:
    seed = hashlib.sha256(_DERIVE + raw + b"\x00" + device_code.encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def receipt_public_key(settings: Settings, device_code: str) -> str:
    return public_key_hex(receipt_key(settings, device_code))


def terminal_ref(device: Device, ref: str) -> str:
    return f"{device.vendor}:{device.serial_number}:{ref}"


def line_digest(raw: str) -> str:
    """A ZKTeco ATTLOG line has no serial number: the line itself is the record's identity."""
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def _stored_refs(session: Session, device_id: int, refs: list[str]) -> dict[str, dt.datetime]:
    """The refs already stored for the terminal, with the time of the record stored under each."""
    out: dict[str, dt.datetime] = {}
    e = GateEventRow
    for i in range(0, len(refs), 1000):
        rows = session.execute(
            select(e.terminal_ref, e.device_time).where(
                e.device_id == device_id, e.terminal_ref.in_(refs[i : i + 1000])
            )
        )
        out.update((str(r), t) for r, t in rows if r is not None)
    return out


def _reused(ref: str, item: Received) -> str:
    """The ref of a record whose terminal number is already taken by another record (its event
    log was cleared or reset and numbers again from 1): the number plus the record's time."""
    return f"{ref}@{int(item.at.timestamp())}"


def _same_time(a: dt.datetime, b: dt.datetime) -> bool:
    return abs((a - b).total_seconds()) < 1


def _checkpoint_head(session: Session, device_id: int) -> tuple[int, str]:
    row = session.execute(
        select(GateCheckpoint.seq, GateCheckpoint.hash)
        .where(GateCheckpoint.device_id == device_id)
        .order_by(GateCheckpoint.seq.desc())
        .limit(1)
    ).first()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


def _period(
    session: Session, device_id: int, after: int
) -> list[tuple[int, str, int | None, dt.datetime]]:
    rows = session.execute(
        select(
            GateEventRow.seq, GateEventRow.hash, GateEventRow.worker_id, GateEventRow.device_time
        )
        .where(GateEventRow.device_id == device_id, GateEventRow.seq > after)
        .order_by(GateEventRow.seq)
    )
    return [(int(s), str(h), w, t) for s, h, w, t in rows]


class _Chain:
    """The terminal's chain as the server extends it, with its open checkpoint period."""

    def __init__(
        self, session: Session, settings: Settings, device: Device, zone: dt.tzinfo
    ) -> None:
        self.device = device
        self.zone = zone
        self.key = receipt_key(settings, device.code)
        self.seq = device.highest_contiguous_seq
        self.prev = device.chain_tip_hash or GENESIS_HASH
        self.cp_seq, self.cp_hash = _checkpoint_head(session, device.id)
        self.period = _period(session, device.id, self.cp_seq)
        self.out: list[GateEvent] = []
        self.checkpoints = 0

    def _append(self, body: GateEventBody) -> GateEvent:
        event = seal(body)
        event = event.model_copy(update={"signature": sign_event_hash(self.key, event.hash)})
        self.seq, self.prev = event.seq, event.hash
        self.out.append(event)
        return event

    def record(self, item: Received, ref: str) -> GateEvent:
        if self.period and self._day(item.at) > self._day(self.period[-1][3]):
            self.seal_checkpoint(item.at, cp.CheckpointReason.DAY_END)
        event = self._append(
            GateEventBody(
                event_id=uuid.uuid4(),
                device_id=self.device.code,
                seq=self.seq + 1,
                device_time=item.at,
                direction=item.direction or self.device.direction,
                mode=item.mode,
                credential=item.credential,
                credential_ref=item.credential_ref,
                worker_id=item.worker_id,
                result=item.result,
                reason=item.reason,
                terminal_ref=ref,
                prev_hash=self.prev,
            )
        )
        self.period.append((event.seq, event.hash, event.worker_id, event.device_time))
        if event.seq - self.cp_seq >= EVERY_N:
            self.seal_checkpoint(item.at, cp.CheckpointReason.EVERY_N)
        return event

    def seal_checkpoint(self, at: dt.datetime, reason: cp.CheckpointReason) -> None:
        if not self.period:
            return
        last_at = self.period[-1][3]
        body = cp.build(
            [(s, h, w) for s, h, w, _ in self.period],
            prev_checkpoint_hash=self.cp_hash,
            day=self._day(last_at).isoformat(),
            reason=reason,
        )
        event = self._append(
            GateEventBody(
                event_id=uuid.uuid4(),
                device_id=self.device.code,
                seq=self.seq + 1,
                device_time=max(at, last_at) if reason is cp.CheckpointReason.EVERY_N else last_at,
                direction=self.device.direction,
                mode=GateMode.CARD_ONLY,
                result=GateResult.GRANTED,
                purpose=RecordPurpose.CHECKPOINT,
                checkpoint=body,
                prev_hash=self.prev,
            )
        )
        self.cp_seq, self.cp_hash = event.seq, event.hash
        self.period = []
        self.checkpoints += 1

    def _day(self, at: dt.datetime) -> dt.date:
        return at.astimezone(self.zone).date()


def receive(
    session: Session,
    settings: Settings,
    device: Device,
    items: Sequence[Received],
    *,
    now: dt.datetime,
) -> Receipt:
    """Seal and store the terminal's new records; re-sent ones are counted as duplicates.

    Runs under the device row's lock (one receipt per terminal at a time), in the caller's
    transaction: a failed request stores nothing, and its re-send is stored once.
    """
    device = ingest_repository.lock_device(session, device.id)
    receipt = Receipt()
    wanted: dict[str, Received] = {}
    for item in items:
        ref = terminal_ref(device, item.ref)
        if ref in wanted:
            receipt.duplicates += 1
        else:
            wanted[ref] = item
    stored = _stored_refs(session, device.id, list(wanted))
    # A number stored with another time is not a re-send but a second record under a reused
    # number: kept under the number and its time, and said in a finding.
    reused = {
        ref: _reused(ref, item)
        for ref, item in wanted.items()
        if ref in stored and not _same_time(stored[ref], item.at)
    }
    again = _stored_refs(session, device.id, list(reused.values()))
    fresh = []
    for ref, item in wanted.items():
        key = reused.get(ref, ref)
        if key in stored or key in again:
            receipt.duplicates += 1
        else:
            fresh.append((key, item))
    receipt.reused = sum(1 for _, key in reused.items() if key not in again)
    if not fresh:
        return receipt
    project = ingest_repository.project(session, device.project_id)
    chain = _Chain(session, settings, device, ZoneInfo(project.timezone))
    for ref, item in fresh:
        receipt.events.append(chain.record(item, ref))
    for i in range(0, len(chain.out), MAX_BATCH):
        ack = ingest_service.ingest(
            session, device, EventBatch(events=chain.out[i : i + MAX_BATCH]), now=now
        )
        if ack.errors:  # the server's own chain: an error here is a bug, never the terminal's
            raise RuntimeError(f"terminal receipt refused by ingest: {ack.errors[0]}")
    receipt.stored = len(receipt.events)
    receipt.checkpoints = chain.checkpoints
    receipt.findings = policy_check.recheck(session, settings, device, receipt.events)
    if receipt.reused:
        policy_check.numbers_reused(session, device, receipt.reused, now=now)
    device.last_seen_at = now
    return receipt


def seal_day_ends(session: Session, settings: Settings, device: Device, *, now: dt.datetime) -> int:
    """Seal the open period of a terminal whose last record's local day is over (called on each
    contact, like a gate's uploader tick overnight). Returns the checkpoints sealed."""
    device = ingest_repository.lock_device(session, device.id)
    project = ingest_repository.project(session, device.project_id)
    chain = _Chain(session, settings, device, ZoneInfo(project.timezone))
    if not chain.period or chain._day(now) <= chain._day(chain.period[-1][3]):
        return 0
    chain.seal_checkpoint(now, cp.CheckpointReason.DAY_END)
    ingest_service.ingest(session, device, EventBatch(events=chain.out), now=now)
    return chain.checkpoints
