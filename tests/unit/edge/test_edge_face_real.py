"""The dlib matcher on ../shared/testdata/faces: genuine pairs match, impostors do not, 1:N works.

Encodings are computed once per session (dlib is ~0.1 s per image on two cores).
"""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from edge.face import FaceOutcome, FaceRecognitionMatcher, ProbeStatus, verify
from edge.face_index import TemplateIndex

FACES = Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "faces"
LFW = [
    "Ariel_Sharon", "Arnold_Schwarzenegger", "Colin_Powell", "Donald_Rumsfeld", "George_W_Bush",
    "Gerhard_Schroeder", "Hugo_Chavez", "Jacques_Chirac", "Tony_Blair", "Vladimir_Putin",
]  # fmt: skip

pytestmark = pytest.mark.skipif(not FACES.is_dir(), reason="shared/testdata/faces not present")


def load(path: Path) -> np.ndarray:
    import cv2

    img = cv2.imread(str(path))
    assert img is not None, path
    return img


@cache
def matcher() -> FaceRecognitionMatcher:
    return FaceRecognitionMatcher(min_face_px=60, detect_max_side_px=320)


@cache
def encodings() -> dict[str, list[np.ndarray]]:
    out: dict[str, list[np.ndarray]] = {}
    for name in LFW:
        for f in sorted((FACES / name).iterdir())[4:8]:  # _0004 of Sharon has two faces
            probe = matcher().probe(load(f))
            if probe.status is ProbeStatus.OK:
                assert probe.encoding is not None
                out.setdefault(name, []).append(probe.encoding)
    return out


class TestProbe:
    def test_single_face_encoded(self) -> None:
        probe = matcher().probe(load(FACES / "George_W_Bush" / "George_W_Bush_0001.jpg"))
        assert probe.status is ProbeStatus.OK
        assert probe.encoding is not None
        assert probe.encoding.shape == (128,)
        assert probe.face_px >= 60

    def test_several_faces_refused(self) -> None:
        probe = matcher().probe(load(FACES / "Ariel_Sharon" / "Ariel_Sharon_0004.jpg"))
        assert probe.status is ProbeStatus.MULTIPLE

    def test_no_face(self) -> None:
        blank = np.full((240, 320, 3), 128, dtype=np.uint8)
        assert matcher().probe(blank).status is ProbeStatus.NO_FACE

    def test_too_small(self) -> None:
        strict = FaceRecognitionMatcher(min_face_px=150, detect_max_side_px=320)
        probe = strict.probe(load(FACES / "_resolution" / "obama_small.jpg"))
        assert probe.status is ProbeStatus.TOO_SMALL

    def test_downscaled_detection_keeps_the_face(self) -> None:
        img = load(FACES / "Tony_Blair" / "Tony_Blair_0001.jpg")
        big = np.ascontiguousarray(np.repeat(np.repeat(img, 2, axis=0), 2, axis=1))  # 500x500
        probe = matcher().probe(big)  # detected at 320 px, encoded at full size
        assert probe.status is ProbeStatus.OK
        assert probe.face_px > 150


class TestMatching:
    def test_genuine_and_impostor_distances(self) -> None:
        enc = encodings()
        assert len(enc) == len(LFW)
        genuine = [
            float(np.linalg.norm(a - b))
            for v in enc.values()
            for a, b in itertools.combinations(v, 2)
        ]
        impostor = [
            float(np.linalg.norm(enc[a][0] - enc[b][0])) for a, b in itertools.combinations(enc, 2)
        ]
        assert np.mean(np.array(genuine) <= 0.55) >= 0.85
        assert max(genuine) < 0.75
        assert min(impostor) > 0.55  # no false accept between these ten people

    def test_verify_one_to_one(self) -> None:
        enc = encodings()
        bush = enc["George_W_Bush"]
        templates = [bush[0].tolist(), bush[1].tolist()]
        assert verify(bush[2], templates, 5, 0.55).outcome is FaceOutcome.MATCH
        assert verify(enc["Tony_Blair"][0], templates, 5, 0.55).outcome is FaceOutcome.MISMATCH

    def test_identify_one_to_n(self) -> None:
        enc = encodings()
        index = TemplateIndex.from_pairs(
            (wid, v[0].tolist()) for wid, v in enumerate(enc.values(), start=1)
        )
        hits = 0
        for wid, v in enumerate(enc.values(), start=1):
            for probe in v[1:]:
                s = index.identify(probe, threshold=0.55, margin=0.05)
                assert s.outcome is not FaceOutcome.MATCH or s.worker_id == wid  # never wrong
                hits += s.outcome is FaceOutcome.MATCH
        assert hits >= 0.75 * sum(len(v) - 1 for v in enc.values())


def test_a_face_the_first_pass_misses_is_found_by_the_upsampled_retry() -> None:
    """At 320 px without upsampling HOG finds no face in this photo; the retry finds it."""
    img = load(FACES / "Joe_Biden" / "biden.jpg")
    assert FaceRecognitionMatcher(retry_upsample=0).probe(img).status is ProbeStatus.NO_FACE
    probe = matcher().probe(img)
    assert probe.status is ProbeStatus.OK
    assert probe.retried
