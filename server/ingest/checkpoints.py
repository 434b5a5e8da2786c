"""Device-signed checkpoints at ingest: each is checked once against the records stored for its
range, and the answer kept (gate_checkpoint), so the inspector's chain status reads it instead of
re-verifying every signature on each view.

A checkpoint is `verified` when the stored records of its range add up to what the gate signed
(count, tip hash, both Merkle roots) and it links to the gate's previous checkpoint; `mismatch`
names what does not; `pending` waits for records of its range still to arrive (it is checked
again after every batch of that gate). A mismatch is a chain break and a red finding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import checkpoint as cp
from models.device_auth import key_fingerprint
from models.enums import RecordPurpose
from models.gate_event import GENESIS_HASH, GateEvent
from server.ingest.models import GateCheckpoint, GateEventRow
from server.registry.models import Device

VERIFIED = "verified"
PENDING = "pending"
MISMATCH = "mismatch"

PROBLEM_TEXT: dict[str, tuple[str, str]] = {
    "count": ("检查点范围内的记录条数不符", "the records stored for the range differ in number"),
    "tip_hash": ("检查点的末条哈希与存储不符", "the tip hash differs from the stored record"),
    "records_root": (
        "按存储记录重算的记录树根与闸机签名的不符",
        "the records tree root recomputed from the stored records differs from the signed one",
    ),
    "workers_root": (
        "按存储记录重算的工人树根与闸机签名的不符(记录被改给他人或删除)",
        "the workers tree root recomputed from the stored records differs (a record moved "
        "to another worker, or deleted)",
    ),
    "workers": ("检查点中的工人数不符", "the number of workers in the period differs"),
    "prev_checkpoint": (
        "检查点未接上该闸机的上一个检查点",
        "the checkpoint does not link to the gate's previous checkpoint",
    ),
}


@dataclass(frozen=True, slots=True)
class Mismatch:
    seq: int
    expected: str
    got: str
    device_time: dt.datetime


def record(session: Session, device: Device, fresh: Iterable[GateEvent], now: dt.datetime) -> None:
    """A pending check row for each checkpoint record newly stored."""
    fp = key_fingerprint(device.public_key or "")
    for event in fresh:
        body = event.checkpoint
        if event.purpose is not RecordPurpose.CHECKPOINT or body is None:
            continue
        session.add(
            GateCheckpoint(
                device_id=device.id,
                project_id=device.project_id,
                seq=event.seq,
                from_seq=body.from_seq,
                to_seq=body.to_seq,
                count=body.count,
                day=body.day,
                reason=body.reason.value,
                tip_hash=body.tip_hash,
                records_root=body.records_root,
                workers_root=body.workers_root,
                prev_checkpoint_hash=body.prev_checkpoint_hash,
                hash=event.hash,
                key_fingerprint=fp,
                status=PENDING,
                problems=[],
                received_at=now,
            )
        )
    session.flush()


def _stored(
    session: Session, device_id: int, lo: int, hi: int
) -> dict[int, tuple[str, int | None]]:
    rows = session.execute(
        select(GateEventRow.seq, GateEventRow.hash, GateEventRow.worker_id)
        .where(GateEventRow.device_id == device_id)
        .where(GateEventRow.seq.between(lo, hi))
    ).all()
    return {int(s): (str(h), None if w is None else int(w)) for s, h, w in rows}


def check_pending(session: Session, device: Device, now: dt.datetime) -> list[Mismatch]:
    """Check the device's pending checkpoints whose range is now stored; the mismatches found."""
    pending = session.scalars(
        select(GateCheckpoint)
        .where(GateCheckpoint.device_id == device.id, GateCheckpoint.status == PENDING)
        .order_by(GateCheckpoint.seq)
    ).all()
    found: list[Mismatch] = []
    for row in pending:
        if row.to_seq > device.highest_contiguous_seq:
            continue  # records of its range still to come
        stored = _stored(session, device.id, row.from_seq - 1, row.to_seq)
        body_row = session.scalar(
            select(GateEventRow.checkpoint).where(
                GateEventRow.device_id == device.id, GateEventRow.seq == row.seq
            )
        )
        problems: list[dict[str, str]] = []
        try:
            body = cp.Checkpoint.model_validate(body_row or {})
        except ValidationError:
            body = None
            problems.append({"what": "count", "expected": "", "got": "unreadable"})
        if body is not None:
            records = [(s, *stored[s]) for s in range(row.from_seq, row.to_seq + 1) if s in stored]
            problems += [
                {"what": w, "expected": e, "got": g} for w, e, g in cp.problems(body, records)
            ]
            prev_expected = _previous_checkpoint_hash(session, device.id, row.seq)
            if body.prev_checkpoint_hash != prev_expected:
                problems.append(
                    {
                        "what": "prev_checkpoint",
                        "expected": prev_expected,
                        "got": body.prev_checkpoint_hash,
                    }
                )
        row.problems = problems
        row.status = MISMATCH if problems else VERIFIED
        row.verified_at = now
        if problems:
            time = session.scalar(
                select(GateEventRow.device_time).where(
                    GateEventRow.device_id == device.id, GateEventRow.seq == row.seq
                )
            )
            found.append(
                Mismatch(
                    seq=row.seq,
                    expected=problems[0]["expected"],
                    got=problems[0]["got"],
                    device_time=time or now,
                )
            )
    session.flush()
    return found


def _previous_checkpoint_hash(session: Session, device_id: int, seq: int) -> str:
    prev = session.scalar(
        select(GateCheckpoint.hash)
        .where(GateCheckpoint.device_id == device_id, GateCheckpoint.seq < seq)
        .order_by(GateCheckpoint.seq.desc())
        .limit(1)
    )
    return GENESIS_HASH if prev is None else str(prev)


@dataclass(frozen=True, slots=True)
class LatestCheckpoint:
    """A gate's newest checkpoint whatever its status (the gates page, the 考勤表)."""

    seq: int  # the checkpoint record's own seq
    to_seq: int  # the last record it seals
    day: str
    status: str  # verified / pending / mismatch
    hash: str
    records_root: str

    @classmethod
    def of(cls, row: GateCheckpoint) -> LatestCheckpoint:
        return cls(row.seq, row.to_seq, row.day, row.status, row.hash, row.records_root)


@dataclass(frozen=True, slots=True)
class GateCheckpoints:
    """One gate's checkpoints as ingest found them: what the inspector's page shows."""

    verified: int
    pending: int
    mismatched: int
    last_seq: int | None  # the latest verified checkpoint's seq
    last_day: str | None
    last_hash: str | None
    last_at: dt.datetime | None
    key_fingerprint: str
    unsealed: int  # records stored after the latest checkpoint
    latest: LatestCheckpoint | None = None  # the newest, verified or not


def summaries(session: Session, devices: Iterable[Device]) -> dict[int, GateCheckpoints]:
    devices = list(devices)
    if not devices:
        return {}
    rows = session.scalars(
        select(GateCheckpoint)
        .where(GateCheckpoint.device_id.in_([d.id for d in devices]))
        .order_by(GateCheckpoint.device_id, GateCheckpoint.seq)
    ).all()
    by: dict[int, list[GateCheckpoint]] = {}
    for r in rows:
        by.setdefault(r.device_id, []).append(r)
    out: dict[int, GateCheckpoints] = {}
    for d in devices:
        mine = by.get(d.id, [])
        ok = [r for r in mine if r.status == VERIFIED]
        last = ok[-1] if ok else None
        sealed_to = max((r.seq for r in mine), default=0)
        out[d.id] = GateCheckpoints(
            verified=len(ok),
            pending=sum(r.status == PENDING for r in mine),
            mismatched=sum(r.status == MISMATCH for r in mine),
            last_seq=None if last is None else last.seq,
            last_day=None if last is None else last.day,
            last_hash=None if last is None else last.hash,
            last_at=None if last is None else last.received_at,
            key_fingerprint=key_fingerprint(d.public_key or ""),
            unsealed=max(0, d.highest_contiguous_seq - sealed_to),
            latest=LatestCheckpoint.of(mine[-1]) if mine else None,
        )
    return out


@dataclass(frozen=True, slots=True)
class Seal:
    """A checkpoint as a report prints it: enough to hold against a pack or a digest later."""

    seq: int
    day: str
    from_seq: int
    to_seq: int
    count: int
    records_root: str
    workers_root: str
    tip_hash: str
    hash: str
    status: str


def month_seals(
    session: Session, device_ids: Iterable[int], first_day: str, next_first_day: str
) -> dict[int, tuple[Seal, ...]]:
    """Per gate, the checkpoints that seal a month (models.checkpoint.month_window)."""
    ids = list(device_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(GateCheckpoint)
        .where(GateCheckpoint.device_id.in_(ids))
        .order_by(GateCheckpoint.device_id, GateCheckpoint.seq)
    ).all()
    by: dict[int, list[GateCheckpoint]] = {i: [] for i in ids}
    for r in rows:
        by[r.device_id].append(r)
    out: dict[int, tuple[Seal, ...]] = {}
    for device_id, mine in by.items():
        lo, hi = cp.month_window([r.day for r in mine], first_day, next_first_day)
        out[device_id] = tuple(
            Seal(
                r.seq,
                r.day,
                r.from_seq,
                r.to_seq,
                r.count,
                r.records_root,
                r.workers_root,
                r.tip_hash,
                r.hash,
                r.status,
            )
            for r in mine[lo:hi]
        )
    return out


@dataclass(frozen=True, slots=True)
class MonthCheckpoints:
    """One gate's checkpoints of a month (by the day each seals) as ingest left them: the
    inspector's chain status and the 考勤表's anchor, read without re-verifying a record."""

    verified: int
    pending: int
    mismatched: int
    last: LatestCheckpoint | None  # the month's newest checkpoint, whatever its status
    unsealed: int  # records stored now after the gate's latest checkpoint (any month)
    key_fingerprint: str  # "" while the gate has no key

    @property
    def total(self) -> int:
        return self.verified + self.pending + self.mismatched


def month_summaries(
    session: Session, devices: Iterable[Device], period: str
) -> dict[int, MonthCheckpoints]:
    """Per device, its checkpoints whose day falls in `period` (YYYY-MM): a few rows a day."""
    devices = list(devices)
    if not devices:
        return {}
    ids = [d.id for d in devices]
    rows = session.scalars(
        select(GateCheckpoint)
        .where(GateCheckpoint.device_id.in_(ids))
        .where(GateCheckpoint.day.between(f"{period}-01", f"{period}-31"))
        .order_by(GateCheckpoint.device_id, GateCheckpoint.seq)
    ).all()
    newest = dict(
        session.execute(
            select(GateCheckpoint.device_id, func.max(GateCheckpoint.seq))
            .where(GateCheckpoint.device_id.in_(ids))
            .group_by(GateCheckpoint.device_id)
        ).all()
    )
    by: dict[int, list[GateCheckpoint]] = {}
    for r in rows:
        by.setdefault(r.device_id, []).append(r)
    out: dict[int, MonthCheckpoints] = {}
    for d in devices:
        mine = by.get(d.id, [])
        out[d.id] = MonthCheckpoints(
            verified=sum(r.status == VERIFIED for r in mine),
            pending=sum(r.status == PENDING for r in mine),
            mismatched=sum(r.status == MISMATCH for r in mine),
            last=LatestCheckpoint.of(mine[-1]) if mine else None,
            unsealed=max(0, d.highest_contiguous_seq - int(newest.get(d.id) or 0)),
            key_fingerprint=key_fingerprint(d.public_key) if d.public_key else "",
        )
    return out


@dataclass(frozen=True, slots=True)
class GateAnchor:
    """What the monthly 考勤表 prints per gate, so the signed paper anchors the gate's key and
    the month's seal outside the server's database."""

    code: str
    name: str
    key_fingerprint: str  # "" while the gate has no key
    last: LatestCheckpoint | None  # the month's newest checkpoint
    server_sealed: bool = False  # a face terminal: the server holds this key


def month_anchors(session: Session, project_id: int, period: str) -> list[GateAnchor]:
    devices = list(
        session.scalars(select(Device).where(Device.project_id == project_id).order_by(Device.code))
    )
    month = month_summaries(session, devices, period)
    return [
        GateAnchor(
            code=d.code,
            name=d.name,
            key_fingerprint=month[d.id].key_fingerprint,
            last=month[d.id].last,
            server_sealed=d.kind == "terminal",
        )
        for d in devices
    ]
