"""RFC 9162 Merkle trees: every audit path of every size leads back to the root, and nothing
else does."""

from __future__ import annotations

import hashlib

import pytest

from models import merkle


def items(n: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(n)]


def test_known_shapes() -> None:
    a, b, c = items(3)
    la, lb, lc = (merkle.leaf_hash(x) for x in (a, b, c))
    assert merkle.root([]) == hashlib.sha256(b"").hexdigest()
    assert merkle.root([a]) == la.hex()
    assert merkle.root([a, b]) == merkle.node_hash(la, lb).hex()
    # three leaves split 2 + 1 (the largest power of two below 3)
    assert merkle.root([a, b, c]) == merkle.node_hash(merkle.node_hash(la, lb), lc).hex()


@pytest.mark.parametrize("n", [*range(1, 34), 100, 257])
def test_every_path_verifies(n: int) -> None:
    data = items(n)
    root = merkle.root(data)
    paths = merkle.audit_paths(data, range(n))
    for i in range(n):
        assert paths[i] == merkle.audit_path(i, data)
        assert merkle.root_from_path(data[i], i, n, paths[i]) == root


def test_wrong_index_size_or_data_fail() -> None:
    data = items(13)
    root = merkle.root(data)
    path = merkle.audit_path(5, data)
    assert merkle.root_from_path(data[5], 6, 13, path) != root
    assert merkle.root_from_path(data[5], 5, 8, path) is None  # one hash too many for 8
    assert merkle.root_from_path(data[6], 5, 13, path) != root
    assert merkle.root_from_path(data[5], 5, 13, path[:-1]) != root
    assert merkle.root_from_path(data[5], 13, 13, path) is None
    assert merkle.root_from_path(data[5], 5, 13, ["zz"]) is None


def test_worker_entries_sorted_and_counted() -> None:
    h = [hashlib.sha256(bytes([i])).hexdigest() for i in range(5)]
    entries = merkle.worker_entries([(h[0], 9), (h[1], None), (h[2], 3), (h[3], 9), (h[4], 3)])
    assert [(w, n) for w, n, _ in entries] == [(3, 2), (9, 2)]
    assert entries[1][2] == merkle.root([bytes.fromhex(h[0]), bytes.fromhex(h[3])])
