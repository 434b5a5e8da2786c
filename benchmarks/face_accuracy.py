"""Face accuracy of the gate's own pipeline at its defaults, over every pair of the shared photos.

    uv run python benchmarks/face_accuracy.py [--faces ../shared/testdata/faces] [--trials 200]

Every photo of ../shared/testdata/faces (identity folders only) is probed by the matcher the gate
builds from GateSettings() (edge.cli.matcher_for: 320-px HOG, the upsampled retry when no face
is found, the ResNet encoding of the largest face). Then, from those encodings:

* detection: photos without a usable face, on the first pass and after the retry;
* 1:1 over every genuine and impostor pair where both photos gave a face: FRR and FAR at the
  default threshold and around it, the largest threshold with FAR <= 0.01 % and the FRR there,
  and the FRR counting the photos with no face as refused;
* 1:N open set (edge.face_index.TemplateIndex.identify): `--trials` random enrolments of half the
  identities with one photo each, every other photo a probe: enrolled people accepted as
  themselves, wrong-person matches, strangers accepted;
* beside it, the tolerance most face_recognition projects ship (the library's default 0.6).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge import face_accuracy as fa  # noqa: E402
from edge.cli import matcher_for  # noqa: E402
from edge.config import GateSettings  # noqa: E402
from edge.face import ProbeStatus  # noqa: E402
from models.roster import GatePolicy  # noqa: E402

FAR_TARGET = 0.0001  # 0.01 %


def probe_all(root: Path) -> tuple[list[fa.Probed], int, float]:
    import cv2

    matcher = matcher_for(GateSettings())
    out = []
    retried = 0
    t = time.perf_counter()
    for identity, path in fa.labelled_photos(root):
        img = cv2.imread(str(path))
        if img is None:
            out.append(fa.Probed(identity, path, "unreadable", None))
            continue
        p = matcher.probe(img)
        retried += p.retried and p.status is ProbeStatus.OK
        out.append(fa.Probed(identity, path, p.status.value, p.encoding))
    return out, retried, time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faces", type=Path, default=REPO.parent / "shared/testdata/faces")
    parser.add_argument("--trials", type=int, default=200)
    args = parser.parse_args()
    gate, project = GateSettings(), GatePolicy()
    verify_t = gate.face_threshold or project.face_threshold
    identify_t = gate.face_threshold_1n or project.face_threshold_1n
    margin = gate.face_margin if gate.face_margin is not None else project.face_margin

    probed, retried, secs = probe_all(args.faces)
    faceless = [p for p in probed if p.encoding is None]
    print(
        f"photos {len(probed)} of {len({p.identity for p in probed})} people, probed in "
        f"{secs:.0f}s; no usable face: {len(faceless)} "
        f"({', '.join(sorted({p.status for p in faceless})) or '-'}); "
        f"found only by the upsampled retry: {retried}"
    )
    pairs = fa.pair_distances(probed)
    genuine_all = sum(
        1 for i, a in enumerate(probed) for b in probed[i + 1 :] if a.identity == b.identity
    )
    print(f"pairs: {pairs.genuine.size} genuine, {pairs.impostor.size} impostor (both faced)")
    print("1:1  threshold   FRR      FRR(+no face)   FAR        false accepts")
    at_target = fa.threshold_at_far(pairs, FAR_TARGET)
    for t in sorted({0.50, 0.52, 0.54, 0.55, 0.56, 0.60, verify_t, at_target}):
        r = fa.rates(pairs, t)
        refused = r.frr * pairs.genuine.size + (genuine_all - pairs.genuine.size)
        mark = " <- default" if t == verify_t else (" <- FAR<=0.01%" if t == at_target else "")
        mark += " (face_recognition default)" if t == 0.60 else ""
        print(
            f"     {t:.3f}      {r.frr:6.2%}   {refused / genuine_all:6.2%}          "
            f"{r.far:.4%}   {r.false_accepts}{mark}"
        )
    closest = sorted(zip(pairs.impostor, pairs.impostor_names, strict=True))[:3]
    print("closest impostors: " + ", ".join(f"{a}~{b} {d:.3f}" for d, (a, b) in closest))
    print("1:N  threshold margin  accepted-right  wrong-person  strangers accepted")
    for t in sorted({0.45, 0.48, 0.50, 0.52, 0.54, identify_t}):
        o = fa.open_set(probed, threshold=t, margin=margin, trials=args.trials)
        mark = " <- default" if t == identify_t else ""
        print(
            f"     {t:.3f}     {margin:.2f}    {o.accept_rate:6.2%}         {o.wrong_person:>5}"
            f"         {o.false_accepts} of {o.stranger_probes}{mark}"
        )


if __name__ == "__main__":
    main()
