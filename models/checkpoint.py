"""A device-signed checkpoint: the gate's own seal over the records since its last checkpoint.

It rides the chain as a record with purpose `checkpoint` and this body in its hashed
`checkpoint` field, so it is signed by the gate's key like every record and uploaded like any
other. Whoever keeps a copy (an inspector's download, a worker's evidence pack, the server's
daily digest) can later show that the records of that period are exactly these: a rewrite after
the fact changes a root the gate signed. The roots are RFC 9162 Merkle trees (models.merkle).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from models import merkle

HEX64 = r"^[0-9a-f]{64}$"
# A checkpoint every this many records even within a day: one proof covers at most this many.
DEFAULT_EVERY_N = 500


class CheckpointReason(StrEnum):
    DAY_END = "day_end"  # the device's local day is over
    EVERY_N = "every_n"  # N records since the last checkpoint


class Checkpoint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    from_seq: int = Field(ge=1)
    to_seq: int = Field(ge=1)
    count: int = Field(ge=1)
    tip_hash: str = Field(pattern=HEX64, description="the chain hash at to_seq")
    records_root: str = Field(pattern=HEX64)
    workers_root: str = Field(pattern=HEX64)
    workers: int = Field(ge=0, description="leaves of the workers tree")
    prev_checkpoint_hash: str = Field(
        pattern=HEX64, description="the hash of this device's previous checkpoint record"
    )
    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="local day of to_seq's record")
    reason: CheckpointReason

    @model_validator(mode="after")
    def _range(self) -> Checkpoint:
        if self.to_seq < self.from_seq or self.count != self.to_seq - self.from_seq + 1:
            raise ValueError("count must equal to_seq - from_seq + 1")
        return self

    def fields(self) -> dict[str, str | int]:
        """The hashed form: plain JSON values (no None), as canonical_bytes writes them."""
        return self.model_dump(mode="json")


def build(
    records: Sequence[tuple[int, str, int | None]],
    *,
    prev_checkpoint_hash: str,
    day: str,
    reason: CheckpointReason,
) -> Checkpoint:
    """The checkpoint over (seq, hash, worker_id) of a period, in seq order and contiguous."""
    if not records:
        raise ValueError("a checkpoint covers at least one record")
    seqs = [r[0] for r in records]
    if seqs != list(range(seqs[0], seqs[0] + len(seqs))):
        raise ValueError("a checkpoint's records must be contiguous")
    entries = merkle.worker_entries([(h, w) for _, h, w in records])
    return Checkpoint(
        from_seq=seqs[0],
        to_seq=seqs[-1],
        count=len(records),
        tip_hash=records[-1][1],
        records_root=merkle.root([merkle.record_leaf(h) for _, h, _ in records]),
        workers_root=merkle.root([merkle.worker_leaf(*e) for e in entries]),
        workers=len(entries),
        prev_checkpoint_hash=prev_checkpoint_hash,
        day=day,
        reason=reason,
    )


def problems(
    cp: Checkpoint, records: Sequence[tuple[int, str, int | None]]
) -> list[tuple[str, str, str]]:
    """(what, expected, got) where the stored records do not add up to what the device signed."""
    out: list[tuple[str, str, str]] = []
    seqs = [r[0] for r in records]
    if len(records) != cp.count or seqs != list(range(cp.from_seq, cp.to_seq + 1)):
        out.append(("count", str(cp.count), str(len(records))))
        return out
    again = build(
        records, prev_checkpoint_hash=cp.prev_checkpoint_hash, day=cp.day, reason=cp.reason
    )
    for name in ("tip_hash", "records_root", "workers_root", "workers"):
        if getattr(again, name) != getattr(cp, name):
            out.append((name, str(getattr(cp, name)), str(getattr(again, name))))
    return out


def month_window(days: Sequence[str], first_day: str, next_first_day: str) -> tuple[int, int]:
    """[lo, hi) into a gate's checkpoints (their `day`s, in seq order) that seal a month: from
    the last one sealed before its first day (or the first there is) to the first one sealed
    on or after the next month's first day (or the last there is). Between those two, every
    record of the month is sealed; a pack or a report carrying them anchors the whole month."""
    before = [i for i, d in enumerate(days) if d < first_day]
    after = [i for i, d in enumerate(days) if d >= next_first_day]
    return (before[-1] if before else 0), (after[0] + 1 if after else len(days))
