"""edge.face_accuracy's arithmetic on made-up encodings (no dlib)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edge import face_accuracy as fa


def _probed(points: dict[str, list[float]]) -> list[fa.Probed]:
    out = []
    for name, xs in points.items():
        for k, x in enumerate(xs):
            v = np.zeros(128, dtype=np.float32)
            v[0] = x
            out.append(fa.Probed(name, Path(f"{name}{k}.jpg"), "ok", v))
    return out


def test_pairs_rates_and_the_threshold_at_a_far() -> None:
    probed = [
        *_probed({"a": [0.0, 0.3], "b": [1.0, 1.2]}),
        fa.Probed("c", Path("c.jpg"), "no_face", None),
    ]
    pairs = fa.pair_distances(probed)
    assert sorted(pairs.genuine.round(3)) == [0.2, 0.3]
    assert sorted(pairs.impostor.round(3)) == [0.7, 0.9, 1.0, 1.2]
    r = fa.rates(pairs, 0.25)
    assert (r.frr, r.far, r.false_accepts) == (0.5, 0.0, 0)
    assert fa.rates(pairs, 0.7).false_accepts == 1
    strict, one_allowed = fa.threshold_at_far(pairs, 0.0), fa.threshold_at_far(pairs, 0.25)
    assert 0.69 <= strict < 0.7
    assert fa.rates(pairs, strict).false_accepts == 0
    assert 0.89 <= one_allowed < 0.9 + 1e-6
    assert fa.rates(pairs, one_allowed).false_accepts == 1


def test_open_set_counts_strangers_and_the_right_person() -> None:
    probed = _probed({"a": [0.0, 0.05], "b": [1.0, 1.05], "c": [2.0, 2.05], "d": [3.0, 3.05]})
    o = fa.open_set(probed, threshold=0.1, margin=0.06, trials=10)
    assert o.false_accepts == 0
    assert o.wrong_person == 0
    assert o.accept_rate == 1.0
    assert o.enrolled_probes == 20
    loose = fa.open_set(probed, threshold=5.0, margin=0.0, trials=10)
    assert loose.false_accepts == loose.stranger_probes
