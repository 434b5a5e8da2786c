"""The 考勤凭证's view of the chain AROUND a worker's records: what per-record checks cannot see.

* the gate's whole-chain state: what ingest acknowledged (count, highest contiguous seq, tip
  hash) against what is stored now (ingest.ack_check), and the seqs missing from the chain;
* records moved away from the worker: a row whose stored worker_id is another's, but whose
  stored hash is the hash of the same row naming THIS worker — the gate signed it as this
  worker's record, someone changed the row afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from models.gate_event import canonical_bytes, chain_hash
from models.ids import mask_id_number
from models.roster import CONFIRMED_BY
from server.ingest import repository
from server.ingest.ack_check import (
    ACK_PROBLEM_TEXT,
    AckedState,
    StoredState,
    ack_problems,
    missing_seqs,
)
from server.ingest.models import GateEventRow, stored_text_columns
from server.registry.models import Assignment, CardBinding, Device, Worker

MAX_MISSING_RANGES = 50

MISSING_TEXT = (
    "闸机链中缺少这些序号的记录(记录被删除或尚未上传)",
    "records with these seqs are missing from the gate's chain (deleted, or not yet uploaded)",
)


@dataclass(frozen=True, slots=True)
class ChainStateProblem:
    kind: str  # missing_after_ack / tip_mismatch / count_mismatch / missing_seqs
    message_zh: str
    message_en: str
    expected: str = ""
    got: str = ""


@dataclass(frozen=True, slots=True)
class GateChainState:
    """A gate's whole chain: acknowledged by ingest against stored now."""

    acked_count: int
    acked_seq: int
    acked_tip_hash: str | None
    stored_count: int
    stored_max_seq: int | None
    intact: bool
    problems: tuple[ChainStateProblem, ...]


def gate_chain_state(session: Session, device: Device) -> GateChainState:
    high = device.highest_contiguous_seq
    count, top, at_high = repository.stored_summary(session, device.id, high)
    acked = AckedState(device.acked_count or 0, high, device.chain_tip_hash)
    problems = [
        ChainStateProblem(p.kind, *ACK_PROBLEM_TEXT[p.kind], p.expected, p.got)
        for p in ack_problems(acked, StoredState(count, top, at_high))
    ]
    # Only a chain with holes is read seq by seq (a whole chain has count == its top seq).
    if count != max(top or 0, high):
        ranges = missing_seqs(
            list(repository.stored_seqs(session, device.id)), high, MAX_MISSING_RANGES
        )
        if ranges:
            text = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)
            problems.append(ChainStateProblem("missing_seqs", *MISSING_TEXT, "", text))
    return GateChainState(
        acked_count=acked.count,
        acked_seq=high,
        acked_tip_hash=device.chain_tip_hash,
        stored_count=count,
        stored_max_seq=top,
        intact=not problems,
        problems=tuple(problems),
    )


def worker_refs(session: Session, worker: Worker) -> set[str]:
    """How a gate record names this worker in credential_ref: the masked ID number or a card."""
    cards = session.scalars(
        select(CardBinding.uid)
        .join(Assignment, Assignment.id == CardBinding.assignment_id)
        .where(Assignment.worker_id == worker.id)
    )
    return {mask_id_number(worker.id_number), *cards}


def _signed_for(fields: dict[str, Any], worker_id: int) -> bool:
    """The stored hash is the hash of this row naming `worker_id` (the row names another, so
    it then necessarily fails its own hash): one SHA-256 per candidate."""
    try:
        as_signed = {**fields, "worker_id": worker_id}
        return bool(chain_hash(fields["prev_hash"], canonical_bytes(as_signed)) == fields["hash"])
    except ValueError:  # prev_hash edited to non-hex
        return False


@dataclass(frozen=True, slots=True)
class MovedCheck:
    rows: list[Any]  # records moved away from the worker
    # Face-only records name nobody but by worker_id, so each of the month's face-only records
    # of others is re-hashed; above FACE_ONLY_BUDGET of them that is skipped, and said.
    face_only_checked: bool
    face_only_records: int


FACE_ONLY_BUDGET = 10_000  # ≈ 0.3 s of re-hashing at most


def moved_away(
    session: Session,
    *,
    project_id: int,
    worker: Worker,
    start: dt.datetime,
    end: dt.datetime,
    codes: dict[int, str],
    face_only_budget: int = FACE_ONLY_BUDGET,
) -> MovedCheck:
    """Rows of the month on the project's gates that the gate signed as this worker's but that
    now name another worker (or none). Candidates are the rows whose credential_ref names this
    worker (masked ID number, card, or a confirmation starting with either) — a handful — and
    the face-only rows (no credential_ref), up to a budget: one SHA-256 each."""
    refs = sorted(worker_refs(session, worker))
    c = GateEventRow.__table__.c
    ref_match: list[ColumnElement[bool]] = [c.credential_ref.in_(refs)]
    ref_match += [c.credential_ref.startswith(f"{ref}{CONFIRMED_BY}") for ref in refs]
    month = (
        c.project_id == project_id,
        c.device_time >= start,
        c.device_time < end,
        or_(c.worker_id.is_(None), c.worker_id != worker.id),
    )
    columns = stored_text_columns()
    rows = list(session.execute(select(*columns).where(*month, or_(*ref_match))).all())
    # Counted before anything is fetched: over the budget, no row is built.
    face = (*month, c.credential_ref.is_(None))
    capped = select(c.id).where(*face).limit(face_only_budget + 1).subquery()
    face_only = session.scalar(select(func.count()).select_from(capped)) or 0
    checked = face_only <= face_only_budget
    if checked and face_only:
        rows.extend(session.execute(select(*columns).where(*face)).all())
    out = []
    for r in rows:
        fields = dict(r._mapping)
        fields["device_id"] = codes.get(r.device_id, "")
        if fields["device_id"] and _signed_for(fields, worker.id):
            out.append(r)
    return MovedCheck(out, checked, face_only)


def project_gates(session: Session, project_id: int, also: Sequence[int]) -> dict[int, Device]:
    """The project's devices that ever stored an event, and any others named in `also`."""
    devices = session.scalars(
        select(Device)
        .where(
            Device.project_id == project_id,
            or_(Device.acked_count > 0, Device.highest_contiguous_seq > 0, Device.id.in_(also)),
        )
        .order_by(Device.id)
    )
    return {d.id: d for d in devices}
