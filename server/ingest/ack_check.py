"""What the server acknowledged to a gate against what it still stores: plain data in, problems out.

Re-hashing stored rows and checking their links cannot see records deleted at the END of a
gate's chain: the rows that remain still link. The ack can. Ingest keeps, on the device row,
the highest contiguous seq it acknowledged, the hash at that seq (the tip) and how many events it
ever stored; the gate holds the same chain. So:

* `missing_after_ack`: the highest stored seq is below the acknowledged one (the newest
  records, or all of them, are gone);
* `tip_mismatch`: the stored hash at the acknowledged seq is not the acknowledged tip (missing,
  or replaced);
* `count_mismatch`: fewer (or more) records are stored than ingest stored (a deletion anywhere,
  including above a gap the ack has not reached yet).

These figures sit in the same database as the records, so someone who can rewrite both can hide
a deletion; anchoring the chain outside the server's database is a separate step.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AckedState:
    """What ingest acknowledged to the gate (the device row)."""

    count: int  # events stored by ingest, all time
    high_seq: int  # highest contiguous seq acknowledged
    tip_hash: str | None  # stored hash at high_seq when acknowledged


@dataclass(frozen=True, slots=True)
class StoredState:
    """What the gate_event table holds for the gate now."""

    count: int
    max_seq: int | None
    hash_at_high: str | None  # stored hash at the acknowledged high_seq (None: no such row)


@dataclass(frozen=True, slots=True)
class AckProblem:
    kind: str  # missing_after_ack / tip_mismatch / count_mismatch
    seq: int  # the acknowledged seq the problem is about
    expected: str
    got: str


ACK_PROBLEM_TEXT: dict[str, tuple[str, str]] = {
    "missing_after_ack": (
        "服务器已确认收到的最新记录不在库中(记录被删除)",
        "the newest records the server acknowledged are no longer stored (records deleted)",
    ),
    "tip_mismatch": (
        "已确认序号处的记录哈希与确认时不符(记录被删除或替换)",
        "the record at the acknowledged seq is missing or differs from the acknowledged tip",
    ),
    "count_mismatch": (
        "库中记录条数与服务器接收的条数不符(记录被删除或添加)",
        "the number of stored records differs from the number the server received",
    ),
}


def ack_problems(acked: AckedState, stored: StoredState) -> list[AckProblem]:
    """Every disagreement between the acknowledged state and the stored rows."""
    problems: list[AckProblem] = []
    high = acked.high_seq
    if high > 0 and (stored.max_seq or 0) < high:
        problems.append(AckProblem("missing_after_ack", high, str(high), str(stored.max_seq or 0)))
    if high > 0 and acked.tip_hash is not None and stored.hash_at_high != acked.tip_hash:
        problems.append(AckProblem("tip_mismatch", high, acked.tip_hash, stored.hash_at_high or ""))
    if stored.count != acked.count:
        problems.append(AckProblem("count_mismatch", high, str(acked.count), str(stored.count)))
    return problems


def missing_seqs(seqs: list[int], high_seq: int, limit: int = 1000) -> list[tuple[int, int]]:
    """Ranges (first, last) of seqs from 1 to max(high_seq, last stored) that are not stored.

    `seqs` ascending. At most `limit` ranges."""
    out: list[tuple[int, int]] = []
    expected = 1
    for seq in seqs:
        if seq > expected:
            out.append((expected, seq - 1))
            if len(out) >= limit:
                return out
        expected = max(expected, seq + 1)
    if high_seq >= expected:
        out.append((expected, high_seq))
    return out[:limit]
