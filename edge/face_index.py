"""1:N face search over a whole project's templates: exact, and fast at 100,000 templates.

Small rosters scan every template with one float32 mat-vec (|t|² + |e|² − 2·t·e, norms
precomputed). From `PRUNE_FROM` templates that scan is memory-bound (100,000 × 128 float32 is
51 MB read per probe, 2–4 ms here), so the index also keeps the templates as one byte per value in
a faiss scalar-quantiser index (QT_8bit_direct: 13 MB and a SIMD scan). faiss ranks by the distance
between the rounded probe and the rounded templates, which differs from the true distance by at
most the probe's rounding error plus the largest template rounding error (triangle inequality;
both are measured, not assumed). So the exact distances of faiss's k nearest are taken, and the
answer is final once the k-th approximate distance minus that slack lies beyond the runner-up
worker: no template outside the k can then change the best worker, the runner-up or either
distance. Otherwise k grows, and past a quarter of the roster the full scan runs. `identify` thus
returns the same worker, outcome and distances as the full scan (tests compare them probe by
probe; benchmarks/gate.py prints the agreement and the speed at 100,000).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from edge.face import ENCODING_DIM, FaceOutcome, FaceSample, Vector, as_vector

if TYPE_CHECKING:
    from models.roster import RosterEntry

# Measured crossover (benchmarks/face_index.py): below ~20,000 templates the float32 matrix stays
# in the CPU cache and the full scan is as fast as the byte scan; above, the byte scan wins.
PRUNE_FROM = 20_000
FIRST_K = 128
# Float32 rounding of the distances themselves (~1e-6 at these norms), kept well clear of.
_SLACK = 1e-4
# Past a quarter of the roster, gathering the candidates costs more than scanning them all.
_FULL_SCAN_SHARE = 4


class TemplateIndex:
    """All templates of a project in one float32 matrix (and, when large, a byte copy).

    The runner-up must be a *different* worker: several templates of the same person are not
    ambiguity.
    """

    def __init__(
        self,
        matrix: Vector,
        worker_ids: npt.NDArray[np.int64],
        *,
        prune_from: int = PRUNE_FROM,
    ) -> None:
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32).reshape(-1, ENCODING_DIM)
        self.worker_ids = np.asarray(worker_ids, dtype=np.int64)
        if self.matrix.shape[0] != self.worker_ids.shape[0]:
            raise ValueError("one worker id per template")
        self._sq_norms = np.einsum("ij,ij->i", self.matrix, self.matrix)
        self._coarse: _ByteScan | None = None
        if len(self) >= max(prune_from, FIRST_K * _FULL_SCAN_SHARE):
            self._coarse = _ByteScan(self.matrix)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, Sequence[float]]]) -> TemplateIndex:
        ids: list[int] = []
        rows: list[Vector] = []
        for worker_id, template in pairs:
            ids.append(worker_id)
            rows.append(as_vector(template))
        matrix = np.stack(rows) if rows else np.zeros((0, ENCODING_DIM), dtype=np.float32)
        return cls(matrix, np.asarray(ids, dtype=np.int64))

    @classmethod
    def from_entries(cls, entries: Iterable[RosterEntry]) -> TemplateIndex:
        return cls.from_pairs(
            (e.worker_id, t) for e in entries if not e.face_opt_out for t in e.face_templates
        )

    def __len__(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def pruned(self) -> bool:
        """Whether 1:N ranks by the byte scan first (large rosters) or scans in full."""
        return self._coarse is not None

    def distances(self, encoding: Vector) -> npt.NDArray[np.float32]:
        """Exact distance to every template (the full scan)."""
        sq = self._sq_norms + np.float32(encoding @ encoding) - 2.0 * (self.matrix @ encoding)
        out: npt.NDArray[np.float32] = np.sqrt(np.maximum(sq, 0.0))
        return out

    def identify(self, encoding: Vector, threshold: float, margin: float) -> FaceSample:
        """1:N: the single best worker within the threshold, clear of the runner-up by margin."""
        if len(self) == 0:
            return FaceSample(FaceOutcome.MISMATCH)
        found = None if self._coarse is None else self._nearest(self._coarse, encoding)
        if found is None:
            return _verdict(self.distances(encoding), self.worker_ids, threshold, margin)
        rows, dist = found
        return _verdict(dist, self.worker_ids[rows], threshold, margin)

    def _nearest(
        self, coarse: _ByteScan, encoding: Vector
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]] | None:
        """Exact distances of templates that surely include the best and the runner-up worker;
        None when so many are needed that the full scan is cheaper."""
        e_sq = np.float32(encoding @ encoding)
        k = FIRST_K
        while k * _FULL_SCAN_SHARE <= len(self):
            approx, rows, slack = coarse.nearest(encoding, k)
            sq = self._sq_norms[rows] + e_sq - 2.0 * (self.matrix[rows] @ encoding)
            dist: npt.NDArray[np.float32] = np.sqrt(np.maximum(sq, 0.0))
            if float(approx[-1]) - slack - _SLACK > _runner_up(dist, self.worker_ids[rows]):
                return rows, dist
            k *= 4
        return None


class _ByteScan:
    """The templates as bytes in a faiss QT_8bit_direct index, with its worst rounding error.

    Each dimension is shifted to start at 0 and all are scaled alike (a uniform scale keeps the
    ranking), so every template value lies in [0, 255]; +0.5 turns faiss's truncation into rounding.
    """

    def __init__(self, matrix: Vector) -> None:
        import faiss  # lazily: 0.8 s to import, and only large rosters need it

        # One query at a time: threads only add overhead here and compete with the camera.
        faiss.omp_set_num_threads(1)
        self._offset = matrix.min(axis=0)
        span = float((matrix.max(axis=0) - self._offset).max())
        self._scale = np.float32(255.0 / span if span > 0 else 1.0)
        scaled = self._to_codes(matrix)
        self._index: Any = faiss.IndexScalarQuantizer(
            ENCODING_DIM, faiss.ScalarQuantizer.QT_8bit_direct, faiss.METRIC_L2
        )
        self._index.add(scaled)
        stored = faiss.vector_to_array(self._index.codes).reshape(scaled.shape)
        self._template_error = float(np.sqrt(((stored - scaled) ** 2).sum(axis=1)).max())

    def _to_codes(self, rows: Vector) -> Vector:
        out = (rows - self._offset) * self._scale + np.float32(0.5)
        return np.ascontiguousarray(out, dtype=np.float32)

    def nearest(
        self, encoding: Vector, k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64], float]:
        """The k nearest by rounded distance (ascending, in encoding units), and the most that
        distance can differ from the true one for this probe."""
        query = self._to_codes(encoding.reshape(1, -1))
        # faiss truncates the probe to bytes too (and wraps values outside 0..255): clamp it
        # here and count the clamping in the probe's error.
        inside = np.clip(query, 0.0, np.float32(255.99))
        probe_error = float(np.sqrt(((np.floor(inside) - query) ** 2).sum()))
        sq, rows = self._index.search(inside, k)
        approx = (np.sqrt(np.maximum(sq[0], 0.0)) / self._scale).astype(np.float32)
        slack = (probe_error + self._template_error) / float(self._scale)
        return approx, rows[0].astype(np.int64), slack


def _runner_up(dist: npt.NDArray[np.float32], workers: npt.NDArray[np.int64]) -> float:
    if dist.size == 0:
        return math.inf
    best = int(np.argmin(dist))
    others = dist[workers != workers[best]]
    return float(others.min()) if others.size else math.inf


def _verdict(
    dist: npt.NDArray[np.float32],
    workers: npt.NDArray[np.int64],
    threshold: float,
    margin: float,
) -> FaceSample:
    best = int(np.argmin(dist))
    best_d = float(dist[best])
    worker = int(workers[best])
    others = dist[workers != worker]
    second_d = float(others.min()) if others.size else math.inf
    second = None if math.isinf(second_d) else second_d
    if best_d > threshold:
        return FaceSample(FaceOutcome.MISMATCH, distance=best_d, second_distance=second)
    if second_d - best_d < margin:
        return FaceSample(FaceOutcome.AMBIGUOUS, distance=best_d, second_distance=second)
    return FaceSample(FaceOutcome.MATCH, worker, best_d, second)
