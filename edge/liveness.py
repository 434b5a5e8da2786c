"""Active live-person challenge from the 68 face landmarks: blink, or turn the head left / right.

A printed photo or a phone screen held to the camera matches the worker's face as well as the
worker does. Each attempt therefore asks for one random action (`pick_challenge`) and watches
two measures of the 68 landmarks (`geometry`) for about two seconds (`ChallengeTracker`):

* `ear`, the eye aspect ratio (Soukupová & Čech 2016, "Real-time eye blink detection using
  facial landmarks"): eye height over eye width, mean of both eyes; it falls when the eyes close.
* `yaw`, where the nose tip falls between the two sides of the face outline, a ratio of
  collinear distances. Any planar picture moved in front of the camera (turned, tilted,
  shifted, scaled: an affine map, and nearly so for a mildly perspective one) keeps such ratios,
  so it cannot fake a turn by being tilted; a real head turn moves the protruding nose towards
  the outline on the side turned to and changes the ratio strongly.

Left and right are the worker's own. The camera image is not mirrored, so the worker's left is
on the image's right: turning to their left moves the nose tip towards the image's right, and
`yaw` grows. Points are in iBUG 300-W order (jaw 0–16 running from the image's left to its right,
brows 17–26, nose 27–35 with the tip at 30, eyes 36–41 / 42–47, mouth 48–67).

What this does not stop: a replayed video of the worker blinking or turning (an active challenge
only proves that something answered it), a bent paper or a 3-D mask that is good enough, or a
screen whose replay is driven live. Passive presentation-attack detection (texture, moiré,
depth) is not part of this module. Measured figures: benchmarks/README.md, "Liveness".
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from models.enums import LivenessResult

POINTS = 68
_RIGHT_EYE = range(36, 42)  # the worker's right eye: on the image's left
_LEFT_EYE = range(42, 48)
_NOSE_TIP = 30
_NOSE_TOP = 27  # top of the nose bridge, between the eyes
_CHIN = 8
# Outline point pairs at about the nose's height (1/15 level with the bridge, 3/13 with the
# nostrils): the nose tip's place between each pair is averaged to quiet landmark jitter.
_OUTLINE_PAIRS = ((1, 15), (2, 14), (3, 13))


class Challenge(StrEnum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"  # the worker's own left: the image's right
    TURN_RIGHT = "turn_right"


CHALLENGE_PROMPT: dict[Challenge, tuple[str, str]] = {
    Challenge.BLINK: ("请眨眼", "please blink"),
    Challenge.TURN_LEFT: ("请向左转头", "please turn your head to the left"),
    Challenge.TURN_RIGHT: ("请向右转头", "please turn your head to the right"),
}

_CHALLENGES = tuple(Challenge)


def pick_challenge(rng: random.Random) -> Challenge:
    """One challenge, uniformly: an attacker cannot prepare the one answer in advance."""
    return rng.choice(_CHALLENGES)


@dataclass(frozen=True, slots=True)
class FaceGeometry:
    ear: float  # mean eye aspect ratio of both eyes; ≈ 0.3 open, near 0 closed
    yaw: float  # 0 frontal, > 0 turned to the worker's own left, < 0 to their right; ±1 at most


def geometry(points: Sequence[tuple[float, float]]) -> FaceGeometry:
    """Eye aspect ratio and head turn of one face's 68 landmarks (iBUG 300-W order).

    `yaw` is 2·t − 1 averaged over three outline pairs (a, b) at the nose's height, where t is
    the place, from a (image left) to b (image right), at which the line through the nose tip
    parallel to the face's midline (top of the nose bridge to the chin) crosses the chord a–b.
    Parallel lines, intersections and the ratio t of collinear lengths are all preserved by any
    affine map, so a flat picture however held gives the same `yaw` (the real landmark model is
    not exactly equivariant: squeezing 12 stills by cos 40° moved it ≤ 0.03 on 10, 0.09 and 0.26
    on the other two); under perspective it changes by the picture's depth spread over its
    distance: a photo held close to the camera and tilted 40° moved it by up to 0.27. A real
    turn by θ moves the tip, which stands well in front of the outline, by a large share of a
    half-width: the shared photos span −0.88 … +0.74. The eye-to-outline widths would also
    serve but move less, the eyes standing nearer the outline's depth. A perspective-proof
    variant (the cross-ratio of the two outline points and the tip's and the nose bridge's
    crossings) was tried on 30 photos: perspective moved it ≈ 4× less, but a real turn ≈ 3× less
    too, and the landmark jitter of a moved, blurred picture did not shrink with it, so it told
    turns from pictures worse. Raises ValueError for anything but 68 finite points (or a
    degenerate outline, which the landmark model does not produce).
    """
    if len(points) != POINTS:
        raise ValueError(f"need {POINTS} landmarks, got {len(points)}")
    p: npt.NDArray[np.float64] = np.asarray(points, dtype=np.float64)
    if p.shape != (POINTS, 2) or not np.all(np.isfinite(p)):
        raise ValueError("landmarks must be 68 finite (x, y) pairs")
    ear = (_eye_aspect(p[_RIGHT_EYE]) + _eye_aspect(p[_LEFT_EYE])) / 2.0
    midline = p[_CHIN] - p[_NOSE_TOP]
    places = [_crossing(p[a], p[b], p[_NOSE_TIP], midline) for a, b in _OUTLINE_PAIRS]
    return FaceGeometry(ear=ear, yaw=2.0 * statistics.fmean(places) - 1.0)


def _eye_aspect(eye: npt.NDArray[np.float64]) -> float:
    # p1..p6 = 36..41: corners p1 (outer) / p4, upper lid p2 p3, lower lid p6 p5.
    width = float(np.linalg.norm(eye[0] - eye[3]))
    if width <= 0.0:
        raise ValueError("degenerate eye: its corners coincide")
    height = float(np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4]))
    return height / (2.0 * width)


def _crossing(
    a: npt.NDArray[np.float64],
    b: npt.NDArray[np.float64],
    tip: npt.NDArray[np.float64],
    direction: npt.NDArray[np.float64],
) -> float:
    """t with a + t·(b − a) on the line through `tip` along `direction`."""
    chord = b - a
    det = chord[0] * -direction[1] + direction[0] * chord[1]  # det([chord, -direction])
    if abs(det) <= 1e-9 * (float(np.dot(chord, chord)) + float(np.dot(direction, direction))):
        raise ValueError("degenerate face outline: the chord runs along the midline")
    rel = tip - a
    return float((rel[0] * -direction[1] + direction[0] * rel[1]) / det)


def landmarks_68(
    image_rgb: npt.NDArray[np.uint8], box: tuple[int, int, int, int]
) -> list[tuple[int, int]] | None:
    """The 68 landmarks (iBUG order) of the face in `box` (top, right, bottom, left), or None.

    face_recognition's "large" model is dlib's 68-point shape predictor; its dict of features is
    put back into the predictor's own point order by `_flatten`.
    """
    import face_recognition  # heavy, and only wanted where a camera runs

    found = face_recognition.face_landmarks(image_rgb, [box], model="large")
    if not found:
        return None
    return _flatten(found[0])


def _flatten(features: dict[str, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    # face_recognition slices 0–47 in order into seven features; its lips repeat points and run
    # the inner mouth backwards: top_lip = 48–54, 64, 63, 62, 61, 60 and bottom_lip = 54–59, 48,
    # 60, 67, 66, 65, 64.
    top, bottom = features["top_lip"], features["bottom_lip"]
    points = [
        *features["chin"],
        *features["left_eyebrow"],
        *features["right_eyebrow"],
        *features["nose_bridge"],
        *features["nose_tip"],
        *features["left_eye"],
        *features["right_eye"],
        *top[0:7],  # 48–54
        *bottom[1:6],  # 55–59
        *top[11:6:-1],  # 60–64
        *bottom[10:7:-1],  # 65–67
    ]
    if len(points) != POINTS:
        raise ValueError(f"face_recognition gave {len(points)} landmarks, not {POINTS}")
    return [(int(x), int(y)) for x, y in points]


class ChallengeTracker:
    """Decides one challenge from the geometry of successive frames (PURE: time is passed in).

    The first `baseline_frames` frames with a face give the attempt's own baseline (median EAR
    and yaw): eye shape and pose differ by person and by how they stand at the gate.

    * BLINK passes once EAR falls below both `closed_ratio` × baseline and `closed_max`, then
      comes back above `reopen_ratio` × baseline.
    * TURN_LEFT / TURN_RIGHT pass once yaw has moved more than `turn_threshold` from the
      baseline in the asked direction on `turn_frames` frames in a row, and fail once it has
      done so the other way.
    * Any challenge fails when the face deforms like a flat picture turned about its vertical
      axis: EAR (not affine-invariant: a picture turned edge-on narrows the eyes, which raises
      it) above `planar_ear_rise` × baseline for `planar_frames` frames in a row while yaw
      (affine-invariant) stays within `planar_yaw_band` of the baseline. A real head turned that
      far moves its nose as well; only a picture shows one without the other.
    * TIMEOUT once t ≥ started + timeout_s without an answer.

    Frames without a face (None) are skipped. Once decided, the result never changes.
    """

    def __init__(
        self,
        challenge: Challenge,
        *,
        started: float,
        timeout_s: float = 2.0,
        baseline_frames: int = 3,
        closed_ratio: float = 0.65,
        closed_max: float = 0.2,
        reopen_ratio: float = 0.85,
        turn_threshold: float = 0.25,
        turn_frames: int = 2,
        planar_ear_rise: float = 1.3,
        planar_yaw_band: float = 0.05,
        planar_frames: int = 3,
    ) -> None:
        if baseline_frames < 1 or turn_frames < 1 or planar_frames < 1:
            raise ValueError("frame counts must be at least 1")
        self.challenge = challenge
        self.started = started
        self.deadline = started + timeout_s
        self.baseline_frames = baseline_frames
        self.closed_ratio = closed_ratio
        self.closed_max = closed_max
        self.reopen_ratio = reopen_ratio
        self.turn_threshold = turn_threshold
        self.turn_frames = turn_frames
        self.planar_ear_rise = planar_ear_rise
        self.planar_yaw_band = planar_yaw_band
        self.planar_frames = planar_frames
        self._first: list[FaceGeometry] = []
        self._ear0 = math.nan
        self._yaw0 = math.nan
        self._closed = False
        self._asked_run = 0
        self._wrong_run = 0
        self._planar_run = 0
        self._result: LivenessResult | None = None

    @property
    def result(self) -> LivenessResult | None:
        return self._result

    def update(self, geom: FaceGeometry | None, t: float) -> LivenessResult | None:
        """Feed one frame's geometry (None: no face) at time t; the result once decided."""
        if self._result is not None:
            return self._result
        if geom is not None:
            self._result = self._step(geom)
        if self._result is None and t >= self.deadline:
            self._result = LivenessResult.TIMEOUT
        return self._result

    def _step(self, geom: FaceGeometry) -> LivenessResult | None:
        if len(self._first) < self.baseline_frames:
            self._first.append(geom)
            if len(self._first) < self.baseline_frames:
                return None
            self._ear0 = statistics.median(g.ear for g in self._first)
            self._yaw0 = statistics.median(g.yaw for g in self._first)
            return None
        if self._looks_planar(geom):
            return LivenessResult.FAILED
        if self.challenge is Challenge.BLINK:
            return self._blink(geom.ear)
        return self._turn(geom.yaw)

    def _looks_planar(self, geom: FaceGeometry) -> bool:
        still = abs(geom.yaw - self._yaw0) <= self.planar_yaw_band
        widened = geom.ear > self.planar_ear_rise * self._ear0
        self._planar_run = self._planar_run + 1 if still and widened else 0
        return self._planar_run >= self.planar_frames

    def _blink(self, ear: float) -> LivenessResult | None:
        if not self._closed:
            self._closed = ear < min(self.closed_ratio * self._ear0, self.closed_max)
            return None
        return LivenessResult.PASSED if ear >= self.reopen_ratio * self._ear0 else None

    def _turn(self, yaw: float) -> LivenessResult | None:
        # TURN_LEFT wants yaw to grow (nose towards the image's right, the worker's left).
        moved = yaw - self._yaw0
        if self.challenge is Challenge.TURN_RIGHT:
            moved = -moved
        self._asked_run = self._asked_run + 1 if moved > self.turn_threshold else 0
        self._wrong_run = self._wrong_run + 1 if moved < -self.turn_threshold else 0
        if self._asked_run >= self.turn_frames:
            return LivenessResult.PASSED
        if self._wrong_run >= self.turn_frames:
            return LivenessResult.FAILED
        return None
