"""1:N at scale: the byte-scan index returns exactly what the full scan returns.

Exactness rests on one fact about faiss (it ranks by the distance between the byte-truncated probe
and the byte-truncated templates, so the error is bounded by the two rounding errors); the bound
test checks that fact directly, the comparison tests check the answers probe by probe.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.face import FaceOutcome, FaceSample
from edge.face_accuracy import population
from edge.face_index import FIRST_K, TemplateIndex

TH, MARGIN = 0.52, 0.06


def _crowd(n: int, seed: int = 0) -> np.ndarray:
    """Real-looking encodings without dlib: 40 'people' with 5 photos each around a centre."""
    rng = np.random.default_rng(seed)
    # per-dimension spreads that give dlib's typical distances: 0.86 between people, 0.39 within
    centres = rng.normal(0.0, 0.054, size=(40, 128)) + rng.normal(0.0, 0.1, size=128)
    real = np.repeat(centres, 5, axis=0) + rng.normal(0.0, 0.024, size=(200, 128))
    return population(real.astype(np.float32), n, seed=seed)


def _same(a: FaceSample, b: FaceSample) -> bool:
    def close(x: float | None, y: float | None) -> bool:
        return (x is None and y is None) or (x is not None and y is not None and abs(x - y) <= 1e-5)

    return (
        a.outcome is b.outcome
        and a.worker_id == b.worker_id
        and close(a.distance, b.distance)
        and close(a.second_distance, b.second_distance)
    )


@pytest.fixture(scope="module")
def big() -> tuple[TemplateIndex, TemplateIndex, np.ndarray]:
    matrix = _crowd(20_000)
    # Two templates for every tenth worker: the runner-up must be another worker.
    ids = np.arange(len(matrix), dtype=np.int64)
    ids[1::10] = ids[0::10][: len(ids[1::10])]
    # and two different workers nearly alike: an ambiguous pair
    matrix[3] = matrix[2] + 0.002
    fast = TemplateIndex(matrix, ids)
    full = TemplateIndex(matrix, ids, prune_from=10**9)
    return fast, full, matrix


def test_large_index_uses_the_byte_scan_and_small_does_not(
    big: tuple[TemplateIndex, TemplateIndex, np.ndarray],
) -> None:
    fast, full, _ = big
    assert fast.pruned
    assert not full.pruned
    assert not TemplateIndex(_crowd(500), np.arange(500)).pruned


def test_enrolled_strangers_and_outliers_answer_like_the_full_scan(
    big: tuple[TemplateIndex, TemplateIndex, np.ndarray],
) -> None:
    fast, full, matrix = big
    rng = np.random.default_rng(3)
    probes = [
        *(matrix[i] + rng.normal(0, 0.02, 128) for i in rng.integers(0, len(matrix), 150)),
        *(matrix[i] + rng.normal(0, 0.045, 128) for i in rng.integers(0, len(matrix), 100)),
        *(_crowd(100, seed=9)),  # strangers
        *(rng.normal(0, 0.5, size=(30, 128))),  # far outside the enrolled range: clamped bytes
        matrix[0] * 3.0,
        matrix[2] + 0.001,  # between two workers nearly alike
    ]
    outcomes = set()
    for p in probes:
        e = np.asarray(p, dtype=np.float32)
        a, b = fast.identify(e, TH, MARGIN), full.identify(e, TH, MARGIN)
        assert _same(a, b), (a, b)
        outcomes.add(a.outcome)
    # the comparison covered every kind of answer
    assert outcomes == {FaceOutcome.MATCH, FaceOutcome.AMBIGUOUS, FaceOutcome.MISMATCH}


def test_faiss_distance_is_within_the_rounding_slack(
    big: tuple[TemplateIndex, TemplateIndex, np.ndarray],
) -> None:
    fast, full, matrix = big
    coarse = fast._coarse
    assert coarse is not None
    rng = np.random.default_rng(4)
    inside = [matrix[i] + 0.01 for i in range(20)]
    for p in [*inside, *rng.normal(0, 0.4, size=(20, 128))]:
        e = np.asarray(p, dtype=np.float32)
        approx, rows, slack = coarse.nearest(e, FIRST_K)
        true = full.distances(e)[rows]
        assert np.all(np.abs(approx - true) <= slack + 1e-4)
    # a byte per value keeps the bound tight enough to prune, for probes like the templates
    assert coarse.nearest(inside[0].astype(np.float32), FIRST_K)[2] < 0.05


def test_one_worker_with_every_template_falls_back_to_the_full_scan() -> None:
    matrix = _crowd(1000)
    ids = np.full(len(matrix), 7, dtype=np.int64)
    fast = TemplateIndex(matrix, ids, prune_from=0)
    assert fast.pruned
    s = fast.identify(matrix[5], TH, MARGIN)
    assert s.outcome is FaceOutcome.MATCH
    assert s.worker_id == 7
    assert s.second_distance is None


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), noise=st.floats(0.0, 0.08), dup=st.integers(1, 4))
def test_random_rosters_answer_like_the_full_scan(seed: int, noise: float, dup: int) -> None:
    rng = np.random.default_rng(seed)
    matrix = _crowd(600, seed=seed % 1000)
    ids = (np.arange(len(matrix)) // dup).astype(np.int64)
    fast = TemplateIndex(matrix, ids, prune_from=0)
    full = TemplateIndex(matrix, ids, prune_from=10**9)
    for i in rng.integers(0, len(matrix), 8):
        e = (matrix[i] + rng.normal(0, noise, 128)).astype(np.float32)
        assert _same(fast.identify(e, TH, MARGIN), full.identify(e, TH, MARGIN))
