"""Face matching: detection + encoding behind a Protocol, NumPy 1:1 / 1:N, and PURE consensus.

The dlib models run in `FaceRecognitionMatcher` (imported lazily: `sitegate --help` stays fast).
Matching is plain NumPy: 1:1 here, 1:N over a whole project in edge/face_index.py.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from models.enums import DenyReason, LivenessResult

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
ENCODING_DIM = 128


class ProbeStatus(StrEnum):
    OK = "ok"
    NO_FACE = "no_face"
    MULTIPLE = "multiple"
    TOO_SMALL = "too_small"


class FaceOutcome(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"
    AMBIGUOUS = "ambiguous"
    NO_FACE = "no_face"
    MULTIPLE = "multiple"
    TOO_SMALL = "too_small"


OUTCOME_REASON: dict[FaceOutcome, DenyReason] = {
    FaceOutcome.MISMATCH: DenyReason.FACE_MISMATCH,
    FaceOutcome.AMBIGUOUS: DenyReason.FACE_AMBIGUOUS,
    FaceOutcome.NO_FACE: DenyReason.NO_FACE,
    FaceOutcome.MULTIPLE: DenyReason.MULTIPLE_FACES,
    FaceOutcome.TOO_SMALL: DenyReason.FACE_TOO_SMALL,
}
_PROBE_OUTCOME = {
    ProbeStatus.NO_FACE: FaceOutcome.NO_FACE,
    ProbeStatus.MULTIPLE: FaceOutcome.MULTIPLE,
    ProbeStatus.TOO_SMALL: FaceOutcome.TOO_SMALL,
}


@dataclass(frozen=True, slots=True)
class FaceProbe:
    """What one frame yielded: the largest face's encoding, or why there is none."""

    status: ProbeStatus
    encoding: Vector | None = None
    box: tuple[int, int, int, int] | None = None  # top, right, bottom, left in frame pixels
    face_px: int = 0
    retried: bool = False  # found only by the second, upsampled detection


@dataclass(frozen=True, slots=True)
class FaceSample:
    """One frame's verdict; the decision machine only sees these (never images)."""

    outcome: FaceOutcome
    worker_id: int | None = None
    distance: float | None = None
    second_distance: float | None = None
    # The live-person challenge, once decided on this frame or before (None: open, or not asked).
    liveness: LivenessResult | None = None


class FaceMatcher(Protocol):
    def probe(self, image_bgr: npt.NDArray[np.uint8]) -> FaceProbe:
        """Detect faces and encode the largest one."""
        ...


def sample_from_probe(probe: FaceProbe) -> FaceSample | None:
    """A failed probe as a sample, or None when there is an encoding to match."""
    if probe.status is ProbeStatus.OK:
        return None
    return FaceSample(_PROBE_OUTCOME[probe.status])


def as_vector(values: Sequence[float] | npt.NDArray[np.floating]) -> Vector:
    vec = np.asarray(values, dtype=np.float32).reshape(-1)
    if vec.shape != (ENCODING_DIM,):
        raise ValueError(f"face encoding must have {ENCODING_DIM} values, got {vec.shape}")
    return vec


def verify(
    encoding: Vector,
    templates: Sequence[Sequence[float]] | Vector,
    worker_id: int,
    threshold: float,
) -> FaceSample:
    """1:1: the smallest distance to the worker's own templates against the threshold."""
    mat = np.asarray(templates, dtype=np.float32).reshape(-1, ENCODING_DIM)
    if mat.shape[0] == 0:
        return FaceSample(FaceOutcome.MISMATCH, worker_id=worker_id)
    dist = float(np.sqrt(np.min(np.sum((mat - encoding) ** 2, axis=1))))
    outcome = FaceOutcome.MATCH if dist <= threshold else FaceOutcome.MISMATCH
    return FaceSample(outcome, worker_id=worker_id, distance=dist)


# --- consensus (PURE) -------------------------------------------------------------------------

# Wrong-person outcomes refuse early; "too small", "several faces" and "no face" only decide at
# the timeout, because a worker walking up to the gate passes through them.
_EARLY_FAILURES = (FaceOutcome.MISMATCH, FaceOutcome.AMBIGUOUS)


@dataclass(frozen=True, slots=True)
class Verdict:
    kind: Literal["pending", "match", "refuse"]
    worker_id: int | None = None
    distance: float | None = None
    reason: DenyReason | None = None


PENDING = Verdict("pending")


def consensus(samples: Sequence[FaceSample], *, min_faces: int, max_failures: int) -> Verdict:
    """Match when `min_faces` samples agree on one worker; refuse after `max_failures` misses."""
    by_worker: dict[int, list[float]] = {}
    for s in samples:
        if s.outcome is FaceOutcome.MATCH and s.worker_id is not None:
            by_worker.setdefault(s.worker_id, []).append(s.distance or 0.0)
    for worker_id, dists in by_worker.items():
        if len(dists) >= min_faces:
            return Verdict("match", worker_id, sum(dists) / len(dists))
    failures = [s for s in samples if s.outcome in _EARLY_FAILURES]
    if len(failures) >= max_failures:
        return Verdict("refuse", distance=_best_distance(failures), reason=timeout_reason(samples))
    return PENDING


def timeout_reason(samples: Sequence[FaceSample]) -> DenyReason:
    """Why the face check failed: the most frequent face problem seen, else no face / timeout."""
    faced = [
        s.outcome for s in samples if s.outcome not in (FaceOutcome.MATCH, FaceOutcome.NO_FACE)
    ]
    if faced:
        return OUTCOME_REASON[Counter(faced).most_common(1)[0][0]]
    if samples:
        return DenyReason.NO_FACE
    return DenyReason.FACE_TIMEOUT


def _best_distance(samples: Sequence[FaceSample]) -> float | None:
    dists = [s.distance for s in samples if s.distance is not None]
    return min(dists) if dists else None


def best_distance(samples: Sequence[FaceSample]) -> float | None:
    return _best_distance(samples)


# --- the dlib implementation ------------------------------------------------------------------


class FaceRecognitionMatcher:
    """face_recognition (dlib HOG + ResNet) on a downscaled frame; encodes the largest face.

    Detection runs on a copy scaled so its longer side is `detect_max_side_px` (never upscaled);
    the encoding uses the full-resolution crop, which keeps distances as good as the original.
    When nothing is found there, detection runs once more upsampled `retry_upsample` times (a
    face far from the camera, or small in the frame): measured on the shared test photos it finds
    most faces the first pass misses, at a few HOG passes' cost only on those frames
    (benchmarks/face_accuracy.py).
    """

    def __init__(
        self,
        *,
        min_face_px: int = 60,
        detect_max_side_px: int = 320,
        upsample: int = 0,
        model: Literal["small", "large"] = "small",
        multiple_ratio: float = 0.6,
        retry_upsample: int = 1,
    ) -> None:
        from edge import face_backend

        self.backend = face_backend.describe()  # the BLAS build first, when installed
        log.info("face engine: %s", self.backend.text())
        import face_recognition  # heavy: dlib models load here

        self._fr = face_recognition
        self.min_face_px = min_face_px
        self.detect_max_side_px = detect_max_side_px
        self.upsample = upsample
        self.model = model
        self.multiple_ratio = multiple_ratio
        self.retry_upsample = retry_upsample

    def probe(self, image_bgr: npt.NDArray[np.uint8]) -> FaceProbe:
        import cv2

        rgb = np.ascontiguousarray(image_bgr[:, :, ::-1])
        h, w = rgb.shape[:2]
        scale = min(1.0, self.detect_max_side_px / max(h, w))
        small = (
            cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
            if scale < 1.0
            else rgb
        )
        found = self._fr.face_locations(small, number_of_times_to_upsample=self.upsample)
        retried = False
        if not found and self.retry_upsample > self.upsample:
            found = self._fr.face_locations(small, number_of_times_to_upsample=self.retry_upsample)
            retried = True
        if not found:
            return FaceProbe(ProbeStatus.NO_FACE, retried=retried)
        boxes = [
            (
                max(0, round(t / scale)),
                min(w, round(r / scale)),
                min(h, round(b / scale)),
                max(0, round(left / scale)),
            )
            for (t, r, b, left) in found
        ]
        boxes.sort(key=lambda bx: bx[2] - bx[0], reverse=True)
        largest = boxes[0]
        face_px = largest[2] - largest[0]
        if len(boxes) > 1 and (boxes[1][2] - boxes[1][0]) >= self.multiple_ratio * face_px:
            return FaceProbe(ProbeStatus.MULTIPLE, box=largest, face_px=face_px, retried=retried)
        if face_px < self.min_face_px:
            return FaceProbe(ProbeStatus.TOO_SMALL, box=largest, face_px=face_px, retried=retried)
        encodings = self._fr.face_encodings(rgb, [largest], num_jitters=1, model=self.model)
        if not encodings:
            return FaceProbe(ProbeStatus.NO_FACE, retried=retried)
        return FaceProbe(ProbeStatus.OK, as_vector(encodings[0]), largest, face_px, retried)


def quality_score(image_bgr: npt.NDArray[np.uint8], probe: FaceProbe) -> float:
    """Enrollment frame quality: face size × log sharpness (Laplacian variance); 0 = unusable."""
    import cv2

    if probe.status is not ProbeStatus.OK or probe.box is None:
        return 0.0
    top, right, bottom, left = probe.box
    crop = cv2.cvtColor(image_bgr[top:bottom, left:right], cv2.COLOR_BGR2GRAY)
    if crop.size == 0:
        return 0.0
    sharpness = float(cv2.Laplacian(crop, cv2.CV_64F).var())
    brightness = float(crop.mean())
    if brightness < 40 or brightness > 220:  # too dark / washed out for a reference template
        return 0.0
    return probe.face_px * math.log1p(sharpness)
