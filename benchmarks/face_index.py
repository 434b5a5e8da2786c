"""1:N at scale: the gate's TemplateIndex over up to 100,000 templates, against the full scans.

    uv run python benchmarks/face_index.py [--sizes 10000 100000] [--seed 7]

Real encodings: every photo of ../shared/testdata/faces probed by the matcher GateSettings()
builds. Half of the identities (at random) are enrolled with one photo each; their other photos
are the enrolled probes, the other half's photos are strangers. The rest of each roster is a
SYNTHETIC crowd (edge.face_accuracy.population: a normal distribution fitted to the real
encodings; the mean and spread of stranger distances are printed beside the real impostor pairs'
so the reader can judge the crowd). One BLAS thread, wall time per probe (perf_counter), each
approach over all probes in turn.

Compared in the same run, on the same probes and roster:
* ours: TemplateIndex.identify at the project's 1:N threshold and margin (faiss byte scan, then
  exact distances; edge/face_index.py);
* full: the same index scanning every template in float32 (what the gate did before);
* face_distance: face_recognition.face_distance(known, probe) as its examples call it, with the
  known encodings as a list (converted on every call) and as one array (its best case).
"Same answers" counts probes where ours gives the same outcome, worker and distances (1e-5) as
the full scan; the accuracy lines count right / wrong person / strangers accepted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge import face_backend  # noqa: E402

face_backend.activate()

import numpy as np  # noqa: E402

from edge import face_accuracy as fa  # noqa: E402
from edge.cli import matcher_for  # noqa: E402
from edge.config import GateSettings, thresholds  # noqa: E402
from edge.face import FaceOutcome, FaceSample  # noqa: E402
from edge.face_index import TemplateIndex  # noqa: E402
from models.roster import GatePolicy  # noqa: E402


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def timed(fn: Any, sink: list[float]) -> Any:
    t = time.perf_counter()
    out = fn()
    sink.append((time.perf_counter() - t) * 1000)
    return out


def same(a: FaceSample, b: FaceSample) -> bool:
    def close(x: float | None, y: float | None) -> bool:
        return (x is None) == (y is None) and (x is None or y is None or abs(x - y) <= 1e-5)

    return (
        a.outcome is b.outcome
        and a.worker_id == b.worker_id
        and close(a.distance, b.distance)
        and close(a.second_distance, b.second_distance)
    )


def spread(m: np.ndarray, limit: int = 1500) -> tuple[float, float]:
    m = m[:limit].astype(np.float64)
    sq = np.sum(m**2, axis=1)
    d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * m @ m.T, 0.0))
    d = d[np.triu_indices(len(m), k=1)]
    return float(d.mean()), float(d.std())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared/testdata/faces")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    import cv2
    import face_recognition as fr

    matcher = matcher_for(GateSettings())
    th = thresholds(GateSettings(), GatePolicy())
    print(f"face engine: {matcher.backend.text()}; 1:N threshold {th.identify}, margin {th.margin}")
    by: dict[str, list[np.ndarray]] = {}
    for identity, path in fa.labelled_photos(args.faces):
        enc = matcher.probe(cv2.imread(str(path))).encoding
        if enc is not None:
            by.setdefault(identity, []).append(enc)
    real = np.stack([e for v in by.values() for e in v])
    rng = np.random.default_rng(args.seed)
    names = sorted(by)
    enrolled = sorted(rng.choice(names, size=len(names) // 2, replace=False).tolist())
    ids = {n: k for k, n in enumerate(names, start=1)}
    probes = [(ids[n], e) for n in enrolled for e in by[n][1:]]
    strangers = [e for n in names if n not in enrolled for e in by[n]]
    pairs = fa.pair_distances(
        [fa.Probed(n, Path(n), "ok", e) for n, v in by.items() for e in v]
    ).impostor
    print(
        f"{len(real)} real encodings of {len(names)} people; {len(enrolled)} enrolled, "
        f"{len(probes)} enrolled probes, {len(strangers)} stranger probes\n"
        f"distance between strangers: real pairs mean {pairs.mean():.3f} sd {pairs.std():.3f}"
    )
    crowd = fa.population(real, max(args.sizes), seed=args.seed)
    mean, sd = spread(crowd)
    print(f"synthetic crowd mean {mean:.3f} sd {sd:.3f}\n")

    header = (
        f"{'templates':>10}{'':>3}{'ours p50':>10}{'p95':>8}{'full p50':>10}{'p95':>8}"
        f"{'list p95':>10}{'array p95':>11}{'full/ours':>11}{'array/ours':>12}"
    )
    print(header)
    summary = []
    for n in args.sizes:
        enrolled_rows = np.stack([by[name][0] for name in enrolled])
        matrix = np.vstack([enrolled_rows, crowd[: n - len(enrolled)]]).astype(np.float32)
        workers = np.concatenate(
            [
                np.array([ids[name] for name in enrolled], dtype=np.int64),
                np.arange(10_000, 10_000 + n - len(enrolled), dtype=np.int64),
            ]
        )
        t = time.perf_counter()  # the first build includes importing faiss (~0.8 s)
        ours = TemplateIndex(matrix, workers)
        build_s = time.perf_counter() - t
        full = TemplateIndex(matrix, workers, prune_from=10**12)
        known_list = list(matrix.astype(np.float64))
        known_array = matrix.astype(np.float64)
        o_ms: list[float] = []
        f_ms: list[float] = []
        l_ms: list[float] = []
        a_ms: list[float] = []
        agree = right = wrong = stranger_accepted = 0
        everything = [(w, e) for w, e in probes] + [(None, e) for e in strangers]
        # One approach at a time over every probe, as a gate runs only one: interleaving them
        # would let the full scan's 51 MB evict the byte codes from the cache between probes.
        answers = [
            timed(lambda e=e, x=ours: x.identify(e, th.identify, th.margin), o_ms)
            for _, e in everything
        ]
        full_answers = [
            timed(lambda e=e, x=full: x.identify(e, th.identify, th.margin), f_ms)
            for _, e in everything
        ]
        for _, e in everything:
            timed(lambda e=e, k=known_array: fr.face_distance(k, e), a_ms)
        for _, e in everything[::8]:  # the list form converts every row per call: sampled
            timed(lambda e=e, k=known_list: fr.face_distance(k, e), l_ms)
        for (wid, _), a, b in zip(everything, answers, full_answers, strict=True):
            agree += same(a, b)
            matched = a.outcome is FaceOutcome.MATCH
            right += matched and a.worker_id == wid
            wrong += matched and wid is not None and a.worker_id != wid
            stranger_accepted += matched and wid is None
        print(
            f"{n:>10,}{'':>3}{pct(o_ms, 50):>8.2f}ms{pct(o_ms, 95):>6.2f}ms"
            f"{pct(f_ms, 50):>8.2f}ms{pct(f_ms, 95):>6.2f}ms{pct(l_ms, 95):>8.1f}ms"
            f"{pct(a_ms, 95):>9.2f}ms{pct(f_ms, 95) / pct(o_ms, 95):>10.1f}x"
            f"{pct(a_ms, 95) / pct(o_ms, 95):>11.1f}x"
        )
        summary.append(
            f"  {n:,}: same answers as the full scan {agree}/{len(everything)}; "
            f"enrolled identified {right}/{len(probes)}, wrong person {wrong}, "
            f"strangers accepted {stranger_accepted}/{len(strangers)}; "
            f"index built in {build_s:.2f} s, byte scan {'on' if ours.pruned else 'off'}"
        )
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("\n".join(summary))
    print(f"median ours at {args.sizes[-1]:,}: {statistics.median(o_ms):.2f} ms")


if __name__ == "__main__":
    main()
