"""Merkle trees over a checkpoint's records, in the style of RFC 9162 (Certificate Transparency
2.0, section 2.1): leaf hash SHA-256(0x00 || data), node hash SHA-256(0x01 || left || right), the
split at the largest power of two below the size, and audit paths verified bottom-up.

A gate's checkpoint signs two roots (models.checkpoint):

* the records tree: one leaf per record of the period in seq order, the leaf data being the
  record's 32-byte chain hash. An audit path shows one record sits at its seq without showing any
  other record (the path holds only hashes);
* the workers tree: one leaf per worker named in the period, sorted by worker id, the data
  `"<worker_id>:<count>:<hex root of that worker's record hashes in seq order>"`. A pack shows
  the worker's leaf, so a record deleted or moved away from them no longer adds up; a worker
  with no record shows that by the two neighbouring leaves (non-inclusion).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    k = 1
    while k << 1 < n:
        k <<= 1
    return k


def _mth(leaves: Sequence[bytes]) -> bytes:
    n = len(leaves)
    if n == 1:
        return leaves[0]
    k = _split(n)
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def root(data: Sequence[bytes]) -> str:
    """MTH of the data items, hex."""
    if not data:
        return EMPTY_ROOT
    return _mth([leaf_hash(d) for d in data]).hex()


def _path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    n = len(leaves)
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*_path(index, leaves[:k]), _mth(leaves[k:])]
    return [*_path(index - k, leaves[k:]), _mth(leaves[:k])]


def audit_path(index: int, data: Sequence[bytes]) -> list[str]:
    """The inclusion proof of item `index` (RFC 9162 PATH(m, D[n])), hex, leaf-side first."""
    if not 0 <= index < len(data):
        raise IndexError(index)
    return [h.hex() for h in _path(index, [leaf_hash(d) for d in data])]


def audit_paths(data: Sequence[bytes], indices: Sequence[int]) -> dict[int, list[str]]:
    """Paths for several items at once: each subtree hash is computed once (O(n) not O(n·k))."""
    leaves = [leaf_hash(d) for d in data]
    memo: dict[tuple[int, int], bytes] = {}

    def mth(lo: int, hi: int) -> bytes:
        key = (lo, hi)
        if key not in memo:
            if hi - lo == 1:
                memo[key] = leaves[lo]
            else:
                k = _split(hi - lo)
                memo[key] = node_hash(mth(lo, lo + k), mth(lo + k, hi))
        return memo[key]

    def path(index: int, lo: int, hi: int) -> list[bytes]:
        if hi - lo == 1:
            return []
        k = _split(hi - lo)
        if index < lo + k:
            return [*path(index, lo, lo + k), mth(lo + k, hi)]
        return [*path(index, lo + k, hi), mth(lo, lo + k)]

    out: dict[int, list[str]] = {}
    for i in indices:
        if not 0 <= i < len(leaves):
            raise IndexError(i)
        out[i] = [h.hex() for h in path(i, 0, len(leaves))]
    return out


def root_from_path(data: bytes, index: int, size: int, path: Sequence[str]) -> str | None:
    """The root an audit path leads to (RFC 9162 2.1.3.2), or None when the path cannot be one
    for that index and size."""
    if not 0 <= index < size:
        return None
    fn, sn = index, size - 1
    r = leaf_hash(data)
    for p_hex in path:
        try:
            p = bytes.fromhex(p_hex)
        except ValueError:
            return None
        if sn == 0 or len(p) != 32:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        return None
    return r.hex()


def record_leaf(record_hash: str) -> bytes:
    """The records tree's leaf data: the record's chain hash as 32 bytes."""
    return bytes.fromhex(record_hash)


def worker_leaf(worker_id: int, count: int, worker_root: str) -> bytes:
    """The workers tree's leaf data for one worker of the period."""
    return f"{worker_id}:{count}:{worker_root}".encode("ascii")


def worker_entries(records: Sequence[tuple[str, int | None]]) -> list[tuple[int, int, str]]:
    """(worker_id, count, root of their record hashes) per worker, sorted by worker id, from a
    period's (hash, worker_id) in seq order; records naming nobody are in no worker's leaf."""
    per: dict[int, list[bytes]] = {}
    for record_hash, worker_id in records:
        if worker_id is not None:
            per.setdefault(worker_id, []).append(record_leaf(record_hash))
    return [(w, len(hs), root(hs)) for w, hs in sorted(per.items())]
