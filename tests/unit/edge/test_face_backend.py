"""Which dlib the gate runs (edge/face_backend.py): the BLAS build's folder first on the import
path when it is installed, dlib-bin otherwise; and, where this machine has the real BLAS build,
the same descriptors as dlib-bin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from edge import face_backend

REPO = Path(__file__).resolve().parents[3]
FACES = REPO.parent / "shared" / "testdata" / "faces"


def _run(code: str, dlib_dir: str) -> str:
    env = {**os.environ, face_backend.ENV: dlib_dir, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def _fake_build(folder: Path, *, marker: bool) -> None:
    (folder / "dlib").mkdir(parents=True)
    (folder / "dlib" / "__init__.py").write_text(
        'DLIB_USE_BLAS = True\n__version__ = "99.0-fake"\n'
    )
    if marker:
        (folder / face_backend.MARKER).write_text("")


DESCRIBE = (
    "import json; from edge import face_backend as b; d = b.describe(); "
    "print(json.dumps([d.name, d.version, d.blas, b.expected()]))"
)


def test_an_installed_build_is_imported_first(tmp_path: Path) -> None:
    _fake_build(tmp_path, marker=True)
    name, version, blas, expected = json.loads(_run(DESCRIBE, str(tmp_path)))
    assert (name, version, blas) == ("dlib+OpenBLAS", "99.0-fake", True)
    assert expected.startswith("dlib+OpenBLAS")


def test_a_build_without_its_marker_or_turned_off_is_not_used(tmp_path: Path) -> None:
    _fake_build(tmp_path, marker=False)  # an interrupted build: never half-used
    _, version, _, expected = json.loads(_run(DESCRIBE, str(tmp_path)))
    assert version != "99.0-fake"  # the environment's own dlib, not the folder's
    assert expected.startswith("dlib-bin")
    _fake_build(tmp_path / "other", marker=True)
    assert json.loads(_run(DESCRIBE, "off"))[3].startswith("dlib-bin")


@pytest.mark.skipif(face_backend.installed() is None, reason="no BLAS build on this machine")
def test_the_blas_build_gives_dlib_bins_descriptors() -> None:
    """Both engines over the same photos: the largest difference in any descriptor."""
    code = (
        "import cv2, json, sys; from edge.face import FaceRecognitionMatcher; "
        "m = FaceRecognitionMatcher(); "
        "print(json.dumps([m.backend.blas] + [m.probe(cv2.imread(p)).encoding.tolist() "
        "for p in sys.argv[1:]]))"
    )
    photos = [str(p) for p in sorted((FACES / "George_W_Bush").iterdir())[:3]]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    runs = {}
    for setting in ("", "off"):
        env[face_backend.ENV] = setting or str(face_backend.installed())
        out = subprocess.run(
            [sys.executable, "-c", code, *photos], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr[-2000:]
        runs[setting] = json.loads(out.stdout.strip().splitlines()[-1])
    assert runs[""][0] is True
    assert runs["off"][0] is False
    worst = max(
        abs(a - b)
        for va, vb in zip(runs[""][1:], runs["off"][1:], strict=True)
        for a, b in zip(va, vb, strict=True)
    )
    assert worst < 1e-4
