"""What a worker-month pack covers, per gate: the gate's checkpoints from the last one sealed
before the month to the first one sealed after it, and the worker's records in their ranges
(plus any of the month no checkpoint seals yet).

The boundaries are the checkpoints' own `day` (the local day of the last record each seals): the
chain of checkpoints between one whose day is before the month and one whose day is after it
seals every record of the month, so a record left out of the pack no longer adds up to the
worker's leaf the gate signed (docs/evidence_format.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.checkpoint import month_window
from server.anchors.digest import event_json
from server.ingest.models import GateCheckpoint, GateEventRow, stored_text_columns
from server.registry.models import Device


@dataclass(frozen=True, slots=True)
class GateCover:
    device: Device
    checkpoints: list[GateCheckpoint]  # in seq order; may be empty (a gate that never sealed)
    records: list[dict[str, Any]]  # the worker's records as GateEvent JSON, in seq order
    sealed_after: bool  # a checkpoint after the month seals its end


def _chosen(
    rows: list[GateCheckpoint], first_day: str, next_first_day: str
) -> list[GateCheckpoint]:
    lo, hi = month_window([r.day for r in rows], first_day, next_first_day)
    return rows[lo:hi]


def _rows(session: Session, where: Any) -> list[dict[str, Any]]:
    rows = session.execute(select(*stored_text_columns()).where(where).order_by(GateEventRow.seq))
    return [dict(r._mapping) for r in rows]


def gate_cover(
    session: Session,
    device: Device,
    worker_id: int,
    start: dt.datetime,
    end: dt.datetime,
    zone: dt.tzinfo,
) -> GateCover | None:
    """The gate's part of the pack, or None when the gate has nothing in the month."""
    first_day = start.astimezone(zone).date().isoformat()
    next_first_day = end.astimezone(zone).date().isoformat()
    all_cps = list(
        session.scalars(
            select(GateCheckpoint)
            .where(GateCheckpoint.device_id == device.id)
            .order_by(GateCheckpoint.seq)
        )
    )
    chosen = _chosen(all_cps, first_day, next_first_day)
    in_month = [c for c in chosen if first_day <= c.day < next_first_day]
    sealed_after = bool(chosen) and chosen[-1].day >= next_first_day
    mine = (GateEventRow.device_id == device.id) & (GateEventRow.worker_id == worker_id)
    in_window = (GateEventRow.device_time >= start) & (GateEventRow.device_time < end)
    if chosen:
        covered = GateEventRow.seq.between(chosen[0].from_seq, chosen[-1].to_seq)
        # the month's records no checkpoint seals yet, past the last one chosen
        tail = (GateEventRow.seq > chosen[-1].seq) & in_window
        rows = _rows(session, mine & or_(covered, tail))
    else:
        rows = _rows(session, mine & in_window)
    has_month_records = any(start <= r["device_time"] < end for r in rows)
    if not in_month and not has_month_records and not sealed_after:
        # nothing of the month at this gate; a gate whose month is sealed by a checkpoint after
        # it still says "none of yours", by the absence proofs
        gate_month = session.scalar(
            select(GateEventRow.seq).where(GateEventRow.device_id == device.id, in_window).limit(1)
        )
        if gate_month is None:
            return None
    records = []
    for r in rows:
        event = event_json(r, device.code)
        event["in_period"] = start <= r["device_time"] < end
        records.append(event)
    return GateCover(device, chosen, records, sealed_after)


def checkpoint_records(session: Session, cover: GateCover) -> list[dict[str, Any]]:
    """The chosen checkpoint records as the gate signed them."""
    if not cover.checkpoints:
        return []
    seqs = [c.seq for c in cover.checkpoints]
    rows = _rows(session, (GateEventRow.device_id == cover.device.id) & GateEventRow.seq.in_(seqs))
    return [event_json(r, cover.device.code) for r in rows]


def range_leaves(
    session: Session, device_id: int, cp: GateCheckpoint
) -> list[tuple[int, str, int | None]]:
    """(seq, hash, worker_id) of every stored record the checkpoint seals: the proofs are made
    from what is stored, so a stored record altered since shows against the signed roots."""
    rows = session.execute(
        select(GateEventRow.seq, GateEventRow.hash, GateEventRow.worker_id)
        .where(GateEventRow.device_id == device_id)
        .where(GateEventRow.seq.between(cp.from_seq, cp.to_seq))
        .order_by(GateEventRow.seq)
    ).all()
    return [(int(s), str(h), None if w is None else int(w)) for s, h, w in rows]
