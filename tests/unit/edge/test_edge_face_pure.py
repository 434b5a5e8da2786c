"""Matching and consensus on synthetic vectors (the dlib part is in test_edge_face_real.py)."""

from __future__ import annotations

import numpy as np
import pytest

from edge.face import (
    FaceOutcome,
    FaceSample,
    as_vector,
    consensus,
    timeout_reason,
    verify,
)
from edge.face_index import TemplateIndex
from models.enums import DenyReason


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=128)
    return (v / np.linalg.norm(v)).astype(np.float32)


class TestVerify:
    def test_min_over_templates(self) -> None:
        probe = _unit(1)
        far, near = _unit(2), probe + 0.01
        s = verify(probe, [far.tolist(), near.tolist()], worker_id=5, threshold=0.5)
        assert s.outcome is FaceOutcome.MATCH
        assert s.worker_id == 5
        assert s.distance == pytest.approx(0.01 * np.sqrt(128), rel=1e-3)

    def test_mismatch_and_no_templates(self) -> None:
        assert verify(_unit(1), [_unit(2).tolist()], 5, 0.5).outcome is FaceOutcome.MISMATCH
        assert verify(_unit(1), [], 5, 0.5).outcome is FaceOutcome.MISMATCH


class TestTemplateIndex:
    def test_distances_equal_numpy_norm(self) -> None:
        mat = np.stack([_unit(i) * 0.4 for i in range(50)])
        index = TemplateIndex(mat, np.arange(50))
        probe = _unit(99) * 0.4
        expected = np.linalg.norm(mat - probe, axis=1)
        np.testing.assert_allclose(index.distances(probe), expected, atol=1e-5)

    def test_identify_best_with_margin(self) -> None:
        base = _unit(1) * 0.4
        pairs = [(1, base + 0.001), (1, base + 0.002), (2, _unit(2) * 0.4), (3, _unit(3) * 0.4)]
        index = TemplateIndex.from_pairs((w, v.tolist()) for w, v in pairs)
        s = index.identify(base, threshold=0.5, margin=0.06)
        # Two templates of worker 1 are not ambiguity: the runner-up is another worker.
        assert s.outcome is FaceOutcome.MATCH
        assert s.worker_id == 1
        assert s.second_distance is not None
        assert s.second_distance > 0.3

    def test_ambiguous_when_two_workers_close(self) -> None:
        base = _unit(1) * 0.4
        index = TemplateIndex.from_pairs(
            [(1, (base + 0.005).tolist()), (2, (base - 0.005).tolist())]
        )
        assert index.identify(base, 0.5, 0.06).outcome is FaceOutcome.AMBIGUOUS

    def test_mismatch_over_threshold_and_empty(self) -> None:
        index = TemplateIndex.from_pairs([(1, (_unit(1) * 0.4).tolist())])
        assert index.identify(_unit(2) * 0.4, 0.5, 0.06).outcome is FaceOutcome.MISMATCH
        assert TemplateIndex.from_pairs([]).identify(_unit(2), 0.5, 0.06).outcome is (
            FaceOutcome.MISMATCH
        )

    def test_rejects_wrong_dimension(self) -> None:
        with pytest.raises(ValueError, match="128"):
            as_vector([0.0] * 127)


M = FaceSample(FaceOutcome.MATCH, worker_id=1, distance=0.3)
X = FaceSample(FaceOutcome.MISMATCH, worker_id=1, distance=0.7)
N = FaceSample(FaceOutcome.NO_FACE)
S = FaceSample(FaceOutcome.TOO_SMALL)


class TestConsensus:
    def test_min_faces(self) -> None:
        assert consensus([M], min_faces=2, max_failures=3).kind == "pending"
        v = consensus([M, N, M], min_faces=2, max_failures=3)
        assert (v.kind, v.worker_id, v.distance) == ("match", 1, 0.3)

    def test_needs_same_worker(self) -> None:
        other = FaceSample(FaceOutcome.MATCH, worker_id=2, distance=0.2)
        assert consensus([M, other], min_faces=2, max_failures=3).kind == "pending"

    def test_refuses_after_failures_only_for_wrong_person(self) -> None:
        assert consensus([S, S, S, N, N], min_faces=1, max_failures=3).kind == "pending"
        v = consensus([X, S, X, X], min_faces=1, max_failures=3)
        assert (v.kind, v.reason, v.distance) == ("refuse", DenyReason.FACE_MISMATCH, 0.7)

    def test_timeout_reason(self) -> None:
        assert timeout_reason([]) is DenyReason.FACE_TIMEOUT
        assert timeout_reason([N, N]) is DenyReason.NO_FACE
        assert timeout_reason([N, S, S, X]) is DenyReason.FACE_TOO_SMALL
