"""Accuracy of the face pipeline over a labelled photo set: the figures the defaults are chosen
from (benchmarks/face_accuracy.py prints them; a small version in the suite guards them).

Pure NumPy over encodings: the photos are probed once by the gate's own matcher, and every
genuine and impostor pair, and the 1:N open-set trials, are computed from those encodings with
the same distance the gate uses (edge.face.verify / TemplateIndex.identify).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from edge.face import FaceOutcome, Vector
from edge.face_index import TemplateIndex

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


@dataclass(frozen=True, slots=True)
class Probed:
    identity: str
    path: Path
    status: str  # edge.face.ProbeStatus value
    encoding: Vector | None


def labelled_photos(root: Path) -> list[tuple[str, Path]]:
    """(identity, photo) for every identity folder (folders starting with _ are not identities)."""
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for f in sorted(folder.iterdir()):
            if f.suffix.lower() in IMAGE_SUFFIXES:
                out.append((folder.name, f))
    return out


@dataclass(frozen=True, slots=True)
class PairDistances:
    genuine: npt.NDArray[np.float64]
    impostor: npt.NDArray[np.float64]
    impostor_names: list[tuple[str, str]]  # the identities of each impostor pair, same order


def pair_distances(probed: Sequence[Probed]) -> PairDistances:
    """Every pair of photos that both gave a face: genuine when the identity is the same."""
    faced = [p for p in probed if p.encoding is not None]
    if len(faced) < 2:
        empty = np.zeros(0)
        return PairDistances(empty, empty, [])
    mat = np.stack([p.encoding for p in faced if p.encoding is not None]).astype(np.float64)
    sq = np.sum(mat**2, axis=1)
    dist = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * mat @ mat.T, 0.0))
    ids = np.array([p.identity for p in faced])
    i, j = np.triu_indices(len(faced), k=1)
    same = ids[i] == ids[j]
    names = [(str(ids[a]), str(ids[b])) for a, b in zip(i[~same], j[~same], strict=True)]
    return PairDistances(dist[i, j][same], dist[i, j][~same], names)


@dataclass(frozen=True, slots=True)
class Rates:
    threshold: float
    frr: float  # genuine pairs refused, of genuine pairs
    far: float  # impostor pairs accepted, of impostor pairs
    false_accepts: int


def rates(pairs: PairDistances, threshold: float) -> Rates:
    g, i = pairs.genuine, pairs.impostor
    fa = int(np.sum(i <= threshold))
    return Rates(
        threshold,
        float(np.mean(g > threshold)) if g.size else 0.0,
        fa / i.size if i.size else 0.0,
        fa,
    )


def threshold_at_far(pairs: PairDistances, far_max: float) -> float:
    """The largest threshold (to 3 decimals) whose FAR on these pairs is at most far_max."""
    imp = np.sort(pairs.impostor)
    allowed = math.floor(far_max * imp.size)
    if allowed >= imp.size:
        return float("inf")
    limit = float(imp[allowed])  # accepting this one would be one too many
    return math.floor((limit - 1e-9) * 1000) / 1000


@dataclass(frozen=True, slots=True)
class OpenSet:
    threshold: float
    margin: float
    trials: int
    enrolled_probes: int
    accepted_right: int  # an enrolled person's other photo identified as them
    wrong_person: int  # an enrolled person's photo identified as someone else
    stranger_probes: int
    false_accepts: int  # a photo of someone not enrolled identified as an enrolled person

    @property
    def accept_rate(self) -> float:
        return self.accepted_right / self.enrolled_probes if self.enrolled_probes else 0.0


def open_set(
    probed: Sequence[Probed], *, threshold: float, margin: float, trials: int, seed: int = 7
) -> OpenSet:
    """1:N as the gate runs it: in each trial half the identities, at random, are enrolled with
    one random photo; every other photo is a probe (an enrolled person, or a stranger)."""
    by: dict[str, list[Vector]] = {}
    for p in probed:
        if p.encoding is not None:
            by.setdefault(p.identity, []).append(p.encoding)
    names = sorted(n for n, v in by.items() if len(v) >= 2)
    rng = random.Random(seed)
    enrolled_probes = right = wrong = strangers = fa = 0
    for _ in range(trials):
        chosen = set(rng.sample(names, len(names) // 2))
        ids = {n: k for k, n in enumerate(names)}
        templates = {n: rng.randrange(len(by[n])) for n in chosen}
        index = TemplateIndex.from_pairs((ids[n], by[n][t].tolist()) for n, t in templates.items())
        for n, encodings in by.items():
            for k, e in enumerate(encodings):
                if templates.get(n) == k:
                    continue
                s = index.identify(e, threshold, margin)
                matched = s.outcome is FaceOutcome.MATCH
                if n in chosen:
                    enrolled_probes += 1
                    right += matched and s.worker_id == ids[n]
                    wrong += matched and s.worker_id != ids[n]
                else:
                    strangers += 1
                    fa += matched
    return OpenSet(threshold, margin, trials, enrolled_probes, right, wrong, strangers, fa)


# Mixing the real encodings' covariance with an isotropic one of the same trace: at this weight the
# synthetic strangers' distances to each other have the spread of the real impostor pairs (sd ≈
# 0.10 on the shared photos; the raw covariance gives 0.12, per-dimension noise 0.055).
_POPULATION_COVARIANCE_WEIGHT = 0.65


def population(real: Vector, n: int, *, seed: int = 0) -> Vector:
    """n synthetic stranger templates for scale tests, drawn from a normal distribution fitted
    to real encodings (shape from their covariance, spread tuned as above) and scaled so that two
    strangers' mean square distance equals the real pairs' (97 % of them impostors on the shared
    photos). Not faces: a crowd whose distances look like faces' (benchmarks/gate.py prints both
    so the reader can judge)."""
    real64 = np.asarray(real, dtype=np.float64)
    mean = real64.mean(axis=0)
    cov = np.cov((real64 - mean).T)
    iso = np.eye(real64.shape[1]) * np.trace(cov) / real64.shape[1]
    w = _POPULATION_COVARIANCE_WEIGHT
    blended = w * cov + (1 - w) * iso
    # E|a−b|² = 2·trace(C) for two independent draws.
    sq = np.sum(real64**2, axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * real64 @ real64.T, 0.0)
    target = float(np.mean(d2[np.triu_indices(len(real64), k=1)]))
    blended *= target / (2 * float(np.trace(blended)))
    rng = np.random.default_rng(seed)
    out: Vector = rng.multivariate_normal(mean, blended, size=n).astype(np.float32)
    return out
