"""Face photos for the demo (read in place, never copied): ../shared/testdata/faces, or any
folder given with `sitegate demo --faces DIR`, one sub-folder of photos per person.

Each identity gives an enrollment photo and a different gate photo; a pair is used only when the
matcher finds one face in both and they match well (distance < 0.45), so the demo's grants rest
on real face verification rather than luck.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edge.face import FaceRecognitionMatcher

SUFFIXES = {".jpg", ".jpeg", ".png"}
MAX_PAIR_DISTANCE = 0.45


@dataclass(frozen=True, slots=True)
class FacePair:
    person: str
    enroll: Path
    gate: Path


def faces_dir(repo: Path) -> Path:
    return (repo.parent / "shared" / "testdata" / "faces").resolve()


def check_folder(root: Path) -> tuple[str, str] | None:
    """Why `root` cannot give the demo its face workers (zh, en), or None when it can: it
    must be a folder with at least one sub-folder (one per person) of two photos or more."""
    if not root.exists():
        return f"人脸照片目录不存在: {root}", f"face photo folder not found: {root}"
    if not root.is_dir():
        return f"不是目录: {root}", f"not a folder: {root}"
    people = identities(root)
    if not people:
        return (
            f"{root} 中没有子目录:每人一个子目录,内放照片",
            f"{root} has no sub-folders: one sub-folder of photos per person",
        )
    if not any(len(images(p)) >= 2 for p in people):
        return (
            f"{root} 的子目录中没有两张以上的照片(.jpg/.jpeg/.png):登记一张,过闸一张",
            f"no sub-folder of {root} holds two photos or more (.jpg/.jpeg/.png): one to "
            "enroll, one for the gate",
        )
    return None


def identities(root: Path) -> list[Path]:
    """Identity folders (not `_multi` etc.), the ones with the most photos first."""
    folders = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")]
    return sorted(folders, key=lambda p: (-len(images(p)), p.name))


def images(folder: Path) -> list[Path]:
    return sorted(f for f in folder.iterdir() if f.suffix.lower() in SUFFIXES)


def select_pairs(
    root: Path,
    matcher: FaceRecognitionMatcher,
    wanted: int,
    progress: Callable[[], None] | None = None,
) -> tuple[list[FacePair], Path | None]:
    """Up to `wanted` verified pairs, and a stranger's photo from an identity not used."""
    import cv2
    import numpy as np

    from edge.face import ProbeStatus

    def encode(path: Path) -> np.ndarray[Any, Any] | None:
        image = cv2.imread(str(path))
        if image is None:
            return None
        probe = matcher.probe(np.asarray(image, dtype=np.uint8))
        if probe.status is not ProbeStatus.OK or probe.encoding is None:
            return None
        return np.asarray(probe.encoding, dtype=float)

    pairs: list[FacePair] = []
    stranger: Path | None = None
    for folder in identities(root):
        files = images(folder)
        if len(pairs) >= wanted:
            if stranger is None and files:
                stranger = files[-1]
            if stranger is not None:
                break
            continue
        if len(files) < 2:
            continue
        enrolled = encode(files[0])
        if progress is not None:
            progress()
        if enrolled is None:
            continue
        for candidate in files[1:4]:
            probe = encode(candidate)
            if probe is not None and float(np.linalg.norm(probe - enrolled)) < MAX_PAIR_DISTANCE:
                pairs.append(FacePair(folder.name, files[0], candidate))
                break
    return pairs, stranger
