"""edge.liveness: the two measures on hand-made landmarks, the challenge tracker, and the 68
landmarks from real photos (../shared/testdata/faces; skipped when absent)."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge import liveness as lv
from edge.liveness import Challenge, ChallengeTracker, FaceGeometry
from models.enums import LivenessResult

FACES = Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "faces"


def _head() -> np.ndarray:
    """A rough 3-D head in iBUG order: half face width 1, y down, z towards the camera."""
    pts: list[tuple[float, float, float]] = []
    for i in range(17):  # jaw: from the image's left, round the chin, to its right
        th = math.pi * i / 16
        pts.append((-math.cos(th), -0.1 + 1.2 * math.sin(th), 0.3 * math.sin(th)))
    pts += [(-0.8 + 0.15 * i, -0.45, 0.5) for i in range(5)]  # brow on the image's left
    pts += [(0.2 + 0.15 * i, -0.45, 0.5) for i in range(5)]
    pts += [(0.0, -0.3 + 0.15 * i, 0.55 + 0.15 * i) for i in range(4)]  # bridge; 30 = tip
    pts += [
        (x, 0.25, z) for x, z in ((-0.2, 0.7), (-0.1, 0.78), (0, 0.82), (0.1, 0.78), (0.2, 0.7))
    ]
    eye = [(-0.15, 0), (-0.05, -0.05), (0.05, -0.05), (0.15, 0), (0.05, 0.05), (-0.05, 0.05)]
    pts += [(-0.4 + x, -0.25 + y, 0.5) for x, y in eye]  # 36-41: outer corner first
    pts += [(0.4 - x, -0.25 + y, 0.5) for x, y in reversed(eye[:4])]  # 42-45: inner first
    pts += [(0.4 - x, -0.25 + y, 0.5) for x, y in (eye[5], eye[4])]  # 46, 47
    for k in range(12):  # outer lip from the left corner, over the top, back along the bottom
        a = math.pi + 2 * math.pi * k / 12
        pts.append((0.35 * math.cos(a), 0.55 + 0.12 * math.sin(a), 0.65))
    for k in range(8):
        a = math.pi + 2 * math.pi * k / 8
        pts.append((0.25 * math.cos(a), 0.55 + 0.05 * math.sin(a), 0.65))
    assert len(pts) == 68
    return np.asarray(pts)


def face(turn_deg: float = 0.0, *, eyes_open: float = 1.0) -> list[tuple[float, float]]:
    """The head turned by turn_deg (> 0: to the worker's own left), seen by the camera."""
    head = _head()
    eyes = np.r_[37, 38, 40, 41, 43, 44, 46, 47]
    head[eyes, 1] = -0.25 + (head[eyes, 1] + 0.25) * eyes_open
    b = math.radians(turn_deg)
    x = head[:, 0] * math.cos(b) + head[:, 2] * math.sin(b)  # nose (z > 0) moves to +x
    return [(320 + 100 * xi, 240 + 100 * yi) for xi, yi in zip(x, head[:, 1], strict=True)]


def warp(points: list[tuple[float, float]], m: np.ndarray) -> list[tuple[float, float]]:
    p = np.c_[np.asarray(points), np.ones(len(points))] @ m.T
    return [(float(x), float(y)) for x, y in p]


class TestGeometry:
    def test_open_and_closed_eyes(self) -> None:
        assert lv.geometry(face()).ear == pytest.approx(1 / 3)
        assert lv.geometry(face(eyes_open=0.1)).ear == pytest.approx(1 / 30)

    def test_frontal_face_has_no_yaw(self) -> None:
        assert lv.geometry(face()).yaw == pytest.approx(0.0, abs=1e-9)

    def test_turn_to_the_workers_left_is_positive_and_grows(self) -> None:
        yaws = [lv.geometry(face(d)).yaw for d in (-30, -15, 0, 15, 30)]
        assert yaws == sorted(yaws)
        assert yaws[3] > 0.05
        assert yaws[1] == pytest.approx(-yaws[3])

    def test_mirrored_face_negates_yaw(self) -> None:
        turned = face(20)
        mirrored = [(640 - x, y) for x, y in turned]
        order = [*range(16, -1, -1), *range(26, 16, -1), *range(27, 31), *range(35, 30, -1),
                 45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,
                 54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,
                 64, 63, 62, 61, 60, 67, 66, 65]  # fmt: skip
        relabelled = [mirrored[i] for i in order]
        assert lv.geometry(relabelled).yaw == pytest.approx(-lv.geometry(turned).yaw)

    @pytest.mark.parametrize("n", [0, 5, 67, 69])
    def test_anything_but_68_points_is_refused(self, n: int) -> None:
        with pytest.raises(ValueError, match="68"):
            lv.geometry([(0.0, 0.0)] * n)

    @settings(max_examples=200, deadline=None)
    @given(
        turn=st.floats(-35, 35),
        angle=st.floats(-math.pi, math.pi),
        sx=st.floats(0.3, 3.0),
        sy=st.floats(0.3, 3.0),
        shear=st.floats(-0.6, 0.6),
        dx=st.floats(-500, 500),
        dy=st.floats(-500, 500),
    )
    def test_yaw_is_unchanged_by_any_affine_map(
        self, turn: float, angle: float, sx: float, sy: float, shear: float, dx: float, dy: float
    ) -> None:
        c, s = math.cos(angle), math.sin(angle)
        linear = np.array([[c, -s], [s, c]]) @ np.array([[sx, shear], [0, sy]])
        m = np.c_[linear, [dx, dy]]
        points = face(turn)
        assert lv.geometry(warp(points, m)).yaw == pytest.approx(lv.geometry(points).yaw, abs=1e-6)


def run(tracker: ChallengeTracker, frames: Sequence[FaceGeometry | None]) -> list[object]:
    return [tracker.update(g, 0.1 * i) for i, g in enumerate(frames)]


OPEN = FaceGeometry(ear=0.3, yaw=0.02)


class TestTracker:
    def test_blink_passes(self) -> None:
        tr = ChallengeTracker(Challenge.BLINK, started=0.0)
        out = run(tr, [OPEN] * 4 + [FaceGeometry(0.08, 0.02), FaceGeometry(0.29, 0.02)])
        assert out[:-1] == [None] * 5
        assert out[-1] is LivenessResult.PASSED
        assert tr.result is LivenessResult.PASSED
        assert tr.challenge is Challenge.BLINK

    def test_half_closed_eyes_are_no_blink(self) -> None:
        tr = ChallengeTracker(Challenge.BLINK, started=0.0)
        run(tr, [OPEN] * 4 + [FaceGeometry(0.24, 0.02), OPEN] * 3)
        assert tr.result is None

    def test_no_blink_times_out_at_the_deadline(self) -> None:
        tr = ChallengeTracker(Challenge.BLINK, started=10.0, timeout_s=2.0)
        assert tr.update(OPEN, 11.99) is None
        assert tr.update(OPEN, 12.0) is LivenessResult.TIMEOUT

    @pytest.mark.parametrize(
        ("challenge", "sign"), [(Challenge.TURN_LEFT, 1), (Challenge.TURN_RIGHT, -1)]
    )
    def test_turn_the_asked_way_passes_the_other_way_fails(
        self, challenge: Challenge, sign: int
    ) -> None:
        turned = FaceGeometry(0.3, 0.02 + sign * 0.4)
        tr = ChallengeTracker(challenge, started=0.0)
        assert run(tr, [OPEN] * 3 + [turned] * 2)[-1] is LivenessResult.PASSED
        wrong = FaceGeometry(0.3, 0.02 - sign * 0.4)
        tr = ChallengeTracker(challenge, started=0.0)
        assert run(tr, [OPEN] * 3 + [wrong] * 2)[-1] is LivenessResult.FAILED

    def test_one_frame_beyond_the_threshold_is_not_enough(self) -> None:
        tr = ChallengeTracker(Challenge.TURN_LEFT, started=0.0)
        run(tr, [OPEN] * 3 + [FaceGeometry(0.3, 0.5), OPEN] * 5)
        assert tr.result is None

    def test_turn_from_real_looking_points(self) -> None:
        frames = [lv.geometry(face(d)) for d in (0, 0, 0, 15, 30, 40, 40)]
        tr = ChallengeTracker(Challenge.TURN_LEFT, started=0.0)
        assert run(tr, frames)[-1] is LivenessResult.PASSED

    @pytest.mark.parametrize("challenge", list(Challenge))
    def test_a_moved_flat_picture_never_passes(self, challenge: Challenge) -> None:
        rng = np.random.default_rng(7)
        frontal = face()
        for _ in range(50):
            tr = ChallengeTracker(challenge, started=0.0)
            for i in range(20):
                # a printed photo turned (squeezed), tilted, rotated and shifted by hand
                angle = rng.uniform(-0.4, 0.4)
                c, s = math.cos(angle), math.sin(angle)
                squeeze = np.diag([rng.uniform(0.75, 1.0), rng.uniform(0.8, 1.0)])
                linear = np.array([[c, -s], [s, c]]) @ squeeze * rng.uniform(0.8, 1.2)
                m = np.c_[linear, rng.uniform(-40, 40, 2)]
                tr.update(lv.geometry(warp(frontal, m)), 0.1 * i)
            tr.update(None, 2.0)
            assert tr.result in (LivenessResult.FAILED, LivenessResult.TIMEOUT)

    def test_a_picture_turned_edge_on_fails(self) -> None:
        # EAR up by half (the eyes narrowed sideways), the affine-invariant yaw unmoved
        tr = ChallengeTracker(Challenge.TURN_LEFT, started=0.0)
        out = run(tr, [OPEN] * 3 + [FaceGeometry(0.45, 0.02)] * 3)
        assert out == [None] * 5 + [LivenessResult.FAILED]

    def test_decided_results_never_change(self) -> None:
        tr = ChallengeTracker(Challenge.TURN_LEFT, started=0.0)
        run(tr, [OPEN] * 3 + [FaceGeometry(0.3, 0.4)] * 2)
        assert tr.result is LivenessResult.PASSED
        for t in (0.6, 5.0, 100.0):
            assert tr.update(FaceGeometry(0.3, -0.5), t) is LivenessResult.PASSED
        timed_out = ChallengeTracker(Challenge.BLINK, started=0.0)
        assert timed_out.update(None, 2.5) is LivenessResult.TIMEOUT
        run(timed_out, [OPEN] * 3 + [FaceGeometry(0.05, 0.0), OPEN])
        assert timed_out.result is LivenessResult.TIMEOUT

    def test_frames_without_a_face_are_skipped(self) -> None:
        tr = ChallengeTracker(Challenge.TURN_RIGHT, started=0.0)
        turned = FaceGeometry(0.3, -0.4)
        # None neither fills the baseline nor breaks the run of turned frames
        out = run(tr, [None, OPEN, None, OPEN, OPEN, turned, None, None, turned])
        assert out == [None] * 8 + [LivenessResult.PASSED]

    def test_the_baseline_is_the_attempts_own(self) -> None:
        # someone standing turned to the right at the start: turning left from there passes
        start = FaceGeometry(0.3, -0.5)
        tr = ChallengeTracker(Challenge.TURN_LEFT, started=0.0)
        assert run(tr, [start] * 3 + [FaceGeometry(0.3, -0.1)] * 2)[-1] is LivenessResult.PASSED


class TestChallenge:
    def test_pick_gives_every_challenge_and_prompts_exist(self) -> None:
        rng = random.Random(1)
        assert {lv.pick_challenge(rng) for _ in range(60)} == set(Challenge)
        assert set(lv.CHALLENGE_PROMPT) == set(Challenge)
        assert lv.CHALLENGE_PROMPT[Challenge.TURN_LEFT] == (
            "请向左转头",
            "please turn your head to the left",
        )


class TestLandmarks68:
    def test_dict_features_flatten_back_to_the_predictor_order(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import face_recognition.api as api

        raw = [(1000 + i, 2000 + i) for i in range(68)]  # every point distinct
        shape = SimpleNamespace(parts=lambda: [SimpleNamespace(x=x, y=y) for x, y in raw])
        monkeypatch.setattr(api, "_raw_face_landmarks", lambda *_a, **_k: [shape])
        assert lv.landmarks_68(np.zeros((8, 8, 3), np.uint8), (0, 8, 8, 0)) == raw

    def test_no_landmarks_is_none(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import face_recognition.api as api

        monkeypatch.setattr(api, "_raw_face_landmarks", lambda *_a, **_k: [])
        assert lv.landmarks_68(np.zeros((8, 8, 3), np.uint8), (0, 8, 8, 0)) is None

    @pytest.mark.skipif(not FACES.is_dir(), reason="shared/testdata/faces not present")
    @pytest.mark.parametrize("photo", ["Tony_Blair/Tony_Blair_0002.jpg", "deepface_id01/img2.jpg"])
    def test_real_photo_points_are_in_ibug_order(self, photo: str) -> None:
        import face_recognition

        rgb = face_recognition.load_image_file(str(FACES / photo))
        boxes = face_recognition.face_locations(rgb)
        box = max(boxes, key=lambda b: b[2] - b[0])
        pts = lv.landmarks_68(rgb, box)
        assert pts is not None
        assert len(pts) == 68
        p = np.asarray(pts, dtype=float)
        x, y = p[:, 0], p[:, 1]
        assert x[0] < x[4] < x[8] < x[12] < x[16]  # the jaw runs from the image's left
        assert y[8] == y[:17].max()  # through the chin at the bottom
        brows, eyes = y[17:27].mean(), y[36:48].mean()
        assert brows < eyes < y[30] < y[33] < y[51] < y[57]  # brows, eyes, nose, mouth
        assert x[36] < x[39] < x[42] < x[45]  # eye corners left to right
        assert y[37] < y[41]
        assert y[43] < y[47]
        assert x[48] < x[51] < x[54]
        assert x[60] < x[62] < x[64]
        assert y[62] <= y[66]  # inner lips: top above bottom (or closed)
        assert 0.1 < lv.geometry(pts).ear < 0.5
