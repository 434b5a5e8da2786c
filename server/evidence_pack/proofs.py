"""The Merkle proofs of a pack (docs/evidence_format.md, proofs.json): for each checkpoint, an
audit path per record of the worker to the records root, and the worker's own leaf of the
workers tree with its path, or, when the worker has no record in the range, the two neighbouring
leaves that show it (non-inclusion). Paths hold hashes only: no other worker's data is revealed.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from models import merkle

Leaf = tuple[int, str, int | None]  # (seq, hash, worker_id) of every record of a range


def record_proofs(
    gate: str, checkpoint_seq: int, leaves: Sequence[Leaf], seqs: Sequence[int]
) -> list[dict[str, Any]]:
    """One audit path per wanted seq that is in the range (an index into the seq-ordered leaves)."""
    index = {seq: i for i, (seq, _, _) in enumerate(leaves)}
    wanted = [index[s] for s in seqs if s in index]
    paths = merkle.audit_paths([merkle.record_leaf(h) for _, h, _ in leaves], wanted)
    return [
        {
            "gate": gate,
            "seq": leaves[i][0],
            "checkpoint_seq": checkpoint_seq,
            "index": i,
            "size": len(leaves),
            "path": paths[i],
        }
        for i in wanted
    ]


def _leaf_json(entry: tuple[int, int, str]) -> dict[str, Any]:
    return {"worker_id": entry[0], "count": entry[1], "root": entry[2]}


def worker_proof(
    gate: str, checkpoint_seq: int, leaves: Sequence[Leaf], worker_id: int
) -> dict[str, Any]:
    """The worker's leaf and its path, or the neighbours that prove there is none."""
    entries = merkle.worker_entries([(h, w) for _, h, w in leaves])
    data = [merkle.worker_leaf(*e) for e in entries]
    ids = [e[0] for e in entries]
    at = bisect.bisect_left(ids, worker_id)
    base: dict[str, Any] = {"gate": gate, "checkpoint_seq": checkpoint_seq, "size": len(entries)}
    if at < len(ids) and ids[at] == worker_id:
        return {
            **base,
            "kind": "inclusion",
            "index": at,
            "leaf": _leaf_json(entries[at]),
            "path": merkle.audit_paths(data, [at])[at],
        }
    sides = [i for i in (at - 1, at) if 0 <= i < len(ids)]
    paths = merkle.audit_paths(data, sides)

    def side(i: int) -> dict[str, Any] | None:
        if i not in paths:
            return None
        return {"index": i, "leaf": _leaf_json(entries[i]), "path": paths[i]}

    return {**base, "kind": "absence", "left": side(at - 1), "right": side(at)}
