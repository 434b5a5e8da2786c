"""The acknowledged-vs-stored comparison, as plain data (no database)."""

from __future__ import annotations

import pytest

from server.ingest.ack_check import AckedState, StoredState, ack_problems, missing_seqs

TIP = "ab" * 32
ACKED = AckedState(count=20, high_seq=20, tip_hash=TIP)


def kinds(acked: AckedState, stored: StoredState) -> list[str]:
    return [p.kind for p in ack_problems(acked, stored)]


def test_as_acknowledged_is_no_problem() -> None:
    assert ack_problems(ACKED, StoredState(count=20, max_seq=20, hash_at_high=TIP)) == []


def test_nothing_acknowledged_nothing_stored() -> None:
    assert ack_problems(AckedState(0, 0, None), StoredState(0, None, None)) == []


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        # newest deleted: 19 remain, the tip is gone
        (StoredState(19, 19, None), ["missing_after_ack", "tip_mismatch", "count_mismatch"]),
        # last 10 deleted
        (StoredState(10, 10, None), ["missing_after_ack", "tip_mismatch", "count_mismatch"]),
        # all deleted
        (StoredState(0, None, None), ["missing_after_ack", "tip_mismatch", "count_mismatch"]),
        # one in the middle deleted: the tip is intact, the count is not
        (StoredState(19, 20, TIP), ["count_mismatch"]),
        # the newest replaced by another record with the same seq
        (StoredState(20, 20, "cd" * 32), ["tip_mismatch"]),
    ],
    ids=["newest", "last_10", "all", "middle", "tip_replaced"],
)
def test_deletions_are_named(stored: StoredState, expected: list[str]) -> None:
    assert kinds(ACKED, stored) == expected


def test_problem_names_the_figures() -> None:
    (missing, tip, count) = ack_problems(ACKED, StoredState(10, 10, None))
    assert (missing.seq, missing.expected, missing.got) == (20, "20", "10")
    assert (tip.expected, tip.got) == (TIP, "")
    assert (count.expected, count.got) == ("20", "10")


def test_records_above_a_gap_count_too() -> None:
    # Acked through 5 (seq 6 never arrived), 7..9 stored above the gap; 9 deleted.
    acked = AckedState(count=8, high_seq=5, tip_hash=TIP)
    assert kinds(acked, StoredState(7, 8, TIP)) == ["count_mismatch"]


@pytest.mark.parametrize(
    ("seqs", "high", "expected"),
    [
        ([1, 2, 3], 3, []),
        ([1, 2, 4], 2, [(3, 3)]),
        ([2, 3], 3, [(1, 1)]),
        ([1, 2], 5, [(3, 5)]),
        ([], 4, [(1, 4)]),
        ([1, 5, 6, 9], 9, [(2, 4), (7, 8)]),
    ],
)
def test_missing_seqs(seqs: list[int], high: int, expected: list[tuple[int, int]]) -> None:
    assert missing_seqs(seqs, high) == expected


def test_missing_seqs_is_capped() -> None:
    assert len(missing_seqs(list(range(1, 100, 2)), 100, limit=5)) == 5
