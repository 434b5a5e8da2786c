"""The live-person challenge (edge/liveness.py) on the shared photos: cost, measures, attacks.

    uv run python benchmarks/liveness.py [--faces ../shared/testdata/faces] [--photos N] [--seed S]

Every photo of ../shared/testdata/faces (identity folders) is scaled into a 640×480 gate frame
(grey border) and found as the gate finds faces: HOG on a copy scaled to 320 px, the upsampled
retry when nothing is found (edge.face.FaceRecognitionMatcher's defaults). Then:

1. latency, wall time, BLAS engine activated: landmarks_68 + geometry per frame (the added cost)
   beside the ResNet encoding of the same face (the gate's main cost) and the detection;
2. the measures on real faces: EAR over all photos (open eyes, as far as the photos go) and its
   lowest photos; yaw over all photos, its agreement with a second, independent turn measure
   (eye-to-outline widths), with the photo mirrored (yaw must change sign), and, per identity
   with a clearly frontal and a clearly turned photo (by the second measure), their yaw;
3. attacks built from each still, 20 frames at 10 fps (2 s), run through the same detection and
   landmarks into one ChallengeTracker per challenge (the motions do not depend on the
   challenge): (a) a printed photo held and moved: in-plane rotation, scale, shift and a tilt
   of the paper out of its plane of up to ±40° through a pinhole camera (f = 550 px, paper at
   the distance where it shows at its own size: strong perspective), blur and sensor noise;
   (b) a phone / monitor replay: the still down-scaled to screen resolution, gamma and colour
   cast, a moiré-like grating, the same motions, JPEG at quality 15–35 per frame; (c) a paper
   photo bent round a vertical cylinder and turned about it (the classic fake turn), bend and
   turn growing over the sequence, perspective, noise. APCER = share of sequences that PASS;
4. BPCER where something can be built: a "genuine turn" per identity is its frontal photo for
   5 frames then one of its own clearly turned photos for 10 (a real 3-D pose change, but two
   different photos, not a video), asked the way the person turned. Blink: no closed-eye footage.

Not shown: real video (motion blur, real blinks, how fast people turn, pitch while turning,
lighting), real printers, screens and bent paper (these are simulations of them), video replay
attacks (which an active challenge cannot stop), or passive presentation-attack detection.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge import face_backend  # noqa: E402

face_backend.activate()  # before face_recognition imports dlib

from edge import face_accuracy as fa  # noqa: E402
from edge import liveness as lv  # noqa: E402
from models.enums import LivenessResult  # noqa: E402

Image = npt.NDArray[np.uint8]
W, H = 640, 480
FPS = 10
FRAMES = 20  # 2 s
FOCAL = 550.0  # px: a 640-px webcam's ≈ 60° field of view
CHALLENGES = tuple(lv.Challenge)
FRONTAL_ALT = 0.06  # |eye-width measure| of a clearly frontal photo
TURNED_ALT = 0.2  # and of a clearly turned one


def canvas(img: Image) -> Image:
    """The photo scaled to fit a 640×480 frame, centred on grey."""
    import cv2

    h, w = img.shape[:2]
    s = min(W / w, H / h)
    small = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    out = np.full((H, W, 3), 128, np.uint8)
    y, x = (H - small.shape[0]) // 2, (W - small.shape[1]) // 2
    out[y : y + small.shape[0], x : x + small.shape[1]] = small
    return out


class Finder:
    """Face boxes the way the gate finds them (edge.face.FaceRecognitionMatcher defaults)."""

    def __init__(self) -> None:
        import face_recognition

        self.fr = face_recognition

    def box(self, rgb: Image) -> tuple[int, int, int, int] | None:
        import cv2

        s = 320 / max(rgb.shape[:2])
        small = cv2.resize(rgb, (round(rgb.shape[1] * s), round(rgb.shape[0] * s)))
        found = self.fr.face_locations(small, 0) or self.fr.face_locations(small, 1)
        if not found:
            return None
        t, r, b, left = max(found, key=lambda bx: bx[2] - bx[0])
        return round(t / s), round(r / s), round(b / s), round(left / s)

    def geometry(self, bgr: Image) -> lv.FaceGeometry | None:
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        box = self.box(rgb)
        if box is None:
            return None
        points = lv.landmarks_68(rgb, box)
        return None if points is None else lv.geometry(points)


def pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if values else math.nan


def eye_width_turn(points: Sequence[tuple[int, int]]) -> float:
    """A second turn measure, for checking yaw: the two eye-to-outline widths' imbalance.

    Turning to the worker's left foreshortens the image's right side: > 0 like yaw."""
    p = np.asarray(points, dtype=np.float64)
    right_side = float(np.linalg.norm(p[36] - p[0]))
    left_side = float(np.linalg.norm(p[45] - p[16]))
    return (right_side - left_side) / (right_side + left_side)


# --- the stills -------------------------------------------------------------------------------


@dataclass(slots=True)
class Still:
    identity: str
    path: Path
    frame: Image  # the 640×480 gate frame
    box: tuple[int, int, int, int] | None = None
    geom: lv.FaceGeometry | None = None
    alt: float = math.nan
    mirrored_yaw: float = math.nan
    ms: dict[str, float] = field(default_factory=dict)


def load_stills(root: Path, finder: Finder, limit: int | None) -> list[Still]:
    import cv2

    photos = fa.labelled_photos(root)
    if limit is not None:
        photos = random.Random(0).sample(photos, min(limit, len(photos)))
    stills = []
    for identity, path in photos:
        img = cv2.imread(str(path))
        if img is None:
            continue
        s = Still(identity, path, canvas(img))
        rgb = np.ascontiguousarray(s.frame[:, :, ::-1])
        t0 = time.perf_counter()
        s.box = finder.box(rgb)
        t1 = time.perf_counter()
        if s.box is not None:
            points = lv.landmarks_68(rgb, s.box)
            if points is not None:
                s.geom = lv.geometry(points)
            t2 = time.perf_counter()
            finder.fr.face_encodings(rgb, [s.box], num_jitters=1, model="small")
            t3 = time.perf_counter()
            s.ms = {"detect": t1 - t0, "liveness": t2 - t1, "encode": t3 - t2}
            if points is not None:
                s.alt = eye_width_turn(points)
                s.mirrored_yaw = _mirrored_yaw(finder, rgb)
        stills.append(s)
    return stills


def _mirrored_yaw(finder: Finder, rgb: Image) -> float:
    flipped = np.ascontiguousarray(rgb[:, ::-1])
    box = finder.box(flipped)
    points = None if box is None else lv.landmarks_68(flipped, box)
    return math.nan if points is None else lv.geometry(points).yaw


# --- attacks ----------------------------------------------------------------------------------


def tilt_homography(
    centre: tuple[float, float],
    tilt_x: float,
    tilt_y: float,
    roll: float,
    scale: float,
    shift: tuple[float, float],
) -> npt.NDArray[np.float64]:
    """The image of a flat picture rotated in 3-D about its centre, through a pinhole camera."""
    import cv2

    cx, cy = centre
    cr, sr = math.cos(roll), math.sin(roll)
    rx = np.array(
        [
            [1, 0, 0],
            [0, math.cos(tilt_x), -math.sin(tilt_x)],
            [0, math.sin(tilt_x), math.cos(tilt_x)],
        ]
    )
    ry = np.array(
        [
            [math.cos(tilt_y), 0, math.sin(tilt_y)],
            [0, 1, 0],
            [-math.sin(tilt_y), 0, math.cos(tilt_y)],
        ]
    )
    rot = ry @ rx
    src, dst = [], []
    for dx, dy in ((-100, -100), (100, -100), (100, 100), (-100, 100)):
        src.append((cx + dx, cy + dy))
        q = np.array([scale * (cr * dx - sr * dy), scale * (sr * dx + cr * dy), 0.0])
        p = rot @ q + np.array([0.0, 0.0, FOCAL])
        dst.append((cx + shift[0] + FOCAL * p[0] / p[2], cy + shift[1] + FOCAL * p[1] / p[2]))
    return np.asarray(
        cv2.getPerspectiveTransform(np.array(src, np.float32), np.array(dst, np.float32)),
        np.float64,
    )


@dataclass(frozen=True, slots=True)
class Motion:
    """A hand holding a picture: smooth random sweeps of tilt, roll, scale and shift."""

    amp: tuple[float, float, float, float, float, float]  # tilt_x, tilt_y, roll, scale, dx, dy
    phase: tuple[float, ...]
    omega: float

    @staticmethod
    def random(rng: random.Random, max_tilt: float) -> Motion:
        t = math.radians(max_tilt)
        # tilt about x and y (≤ max_tilt), roll ±15°, scale ±15 %, shift ±30 px
        amp = (rng.uniform(-t, t), rng.uniform(-t, t), rng.uniform(-0.26, 0.26),
               rng.uniform(-0.15, 0.15), rng.uniform(-30, 30), rng.uniform(-30, 30))  # fmt: skip
        return Motion(
            amp, tuple(rng.uniform(0, 2 * math.pi) for _ in amp), rng.uniform(0.5, 1.5) * math.pi
        )

    def at(self, t: float) -> tuple[float, ...]:
        return tuple(
            a * math.sin(self.omega * t + p) for a, p in zip(self.amp, self.phase, strict=True)
        )


def _centre(s: Still) -> tuple[float, float]:
    assert s.box is not None
    top, right, bottom, left = s.box
    return (left + right) / 2, (top + bottom) / 2


def _noise(img: Image, rng: np.random.Generator, sigma: float) -> Image:
    return np.clip(img.astype(np.float32) + rng.normal(0, sigma, img.shape), 0, 255).astype(
        np.uint8
    )


def printed(s: Still, rng: random.Random) -> list[Image]:
    import cv2

    motion, gen = Motion.random(rng, 40), np.random.default_rng(rng.getrandbits(32))
    blur, sigma = rng.uniform(0.3, 1.5), rng.uniform(2, 8)
    frames = []
    for i in range(FRAMES):
        tx, ty, roll, sc, dx, dy = motion.at(i / FPS)
        hom = tilt_homography(_centre(s), tx, ty, roll, 1 + sc, (dx, dy))
        img = cv2.warpPerspective(s.frame, hom, (W, H), borderValue=(90, 90, 90))
        frames.append(_noise(cv2.GaussianBlur(img, (0, 0), blur), gen, sigma))
    return frames


def replayed(s: Still, rng: random.Random) -> list[Image]:
    import cv2

    gen = np.random.default_rng(rng.getrandbits(32))
    down = rng.uniform(0.35, 0.6)  # the screen shows the still at a lower resolution
    screen = cv2.resize(
        cv2.resize(s.frame, None, fx=down, fy=down, interpolation=cv2.INTER_AREA), (W, H)
    )
    gamma, gains = rng.uniform(0.7, 1.4), np.array([rng.uniform(0.85, 1.15) for _ in range(3)])
    yy, xx = np.mgrid[0:H, 0:W]
    period, angle = rng.uniform(3, 6), rng.uniform(0, math.pi)
    grating = rng.uniform(6, 12) * np.sin(
        2 * math.pi * (xx * math.cos(angle) + yy * math.sin(angle)) / period
    )
    lit = 255 * (screen.astype(np.float32) / 255) ** gamma * gains + grating[..., None]
    screen = np.clip(lit, 0, 255).astype(np.uint8)
    motion, quality = Motion.random(rng, 40), rng.randint(15, 35)
    frames = []
    for i in range(FRAMES):
        tx, ty, roll, sc, dx, dy = motion.at(i / FPS)
        hom = tilt_homography(_centre(s), tx, ty, roll, 1 + sc, (dx, dy))
        img = _noise(cv2.warpPerspective(screen, hom, (W, H), borderValue=(20, 20, 20)), gen, 3)
        ok, jpg = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        assert ok
        frames.append(cv2.imdecode(jpg, cv2.IMREAD_COLOR))
    return frames


def bend(s: Still, bend_rad: float, turn: float, shift: tuple[float, float]) -> Image:
    """The frame as seen when the paper is bent round a vertical cylinder and turned about it.

    bend_rad: the angle the face's half-width wraps round the cylinder; turn: rotation of the
    bent paper about its vertical axis (> 0 moves its centre towards the image's right)."""
    import cv2

    cx, cy = _centre(s)
    assert s.box is not None
    half = (s.box[1] - s.box[3]) / 2
    radius = half / max(bend_rad, 1e-6)
    u = np.linspace(-1.6 * half, 1.6 * half, 2000)  # paper x from the face's centre
    x3 = radius * np.sin(u / radius)
    z3 = radius * (1 - np.cos(u / radius))  # the paper's sides bend away from the camera
    xr = x3 * math.cos(turn) + z3 * math.sin(turn)
    zr = -x3 * math.sin(turn) + z3 * math.cos(turn) + FOCAL
    xo = FOCAL * xr / zr
    keep = np.concatenate([[True], np.diff(xo) > 0])  # the visible, monotonic part
    xo, u, zr = xo[keep], u[keep], zr[keep]
    out_x = np.arange(W, dtype=np.float64) - cx - shift[0]
    inside = (out_x >= xo[0]) & (out_x <= xo[-1])
    u_of = np.interp(out_x, xo, u)
    depth = np.interp(out_x, xo, zr)
    out_y = np.arange(H, dtype=np.float64)[:, None] - cy - shift[1]
    map_x = np.where(inside, cx + u_of, -1.0)[None, :].repeat(H, 0)
    map_y = cy + out_y * depth[None, :] / FOCAL
    return cv2.remap(s.frame, map_x.astype(np.float32), map_y.astype(np.float32), cv2.INTER_LINEAR,
                     borderValue=(90, 90, 90))  # fmt: skip


def bent(s: Still, rng: random.Random) -> list[Image]:
    gen = np.random.default_rng(rng.getrandbits(32))
    max_bend, max_turn = (
        rng.uniform(0.4, 1.2),
        rng.choice((-1, 1)) * math.radians(rng.uniform(15, 40)),
    )
    frames = []
    for i in range(FRAMES):
        ramp = min(1.0, i / (FRAMES * 0.6))  # flat at first, then bent and turned
        shift = (rng.uniform(-3, 3), rng.uniform(-3, 3))
        frames.append(_noise(bend(s, 0.05 + ramp * max_bend, ramp * max_turn, shift), gen, 4))
    return frames


ATTACKS: dict[str, Callable[[Still, random.Random], list[Image]]] = {
    "print, moved (a)": printed,
    "screen replay (b)": replayed,
    "bent paper (c)": bent,
}


Geoms = list[lv.FaceGeometry | None]


def geometries(finder: Finder, frames: Sequence[Image]) -> Geoms:
    return [finder.geometry(f) for f in frames]


def decide(geoms: Geoms, challenge: lv.Challenge, **tuning: float) -> LivenessResult | None:
    """One ChallengeTracker fed the sequence at 10 fps; undecided at 2 s means TIMEOUT."""
    tr = lv.ChallengeTracker(challenge, started=0.0, **tuning)  # type: ignore[arg-type]
    for i, g in enumerate(geoms):
        tr.update(g, i / FPS)
    return tr.update(None, tr.deadline)


def spread(runs: Sequence[Geoms]) -> str:
    """Per sequence: the largest yaw move and EAR change from its first faced frame."""
    moves, lows, highs = [], [], []
    for geoms in runs:
        seen = [g for g in geoms if g is not None]
        if seen:
            moves.append(max(abs(g.yaw - seen[0].yaw) for g in seen))
            lows.append(min(g.ear for g in seen) / seen[0].ear)
            highs.append(max(g.ear for g in seen) / seen[0].ear)
    return (
        f"per sequence max |Δyaw| p50 / p95 / max {pct(moves, 50):.3f} / {pct(moves, 95):.3f} / "
        f"{pct(moves, 100):.3f}; EAR lowest / first p5 {pct(lows, 5):.2f}, min {pct(lows, 0):.2f}; "
        f"highest / first p95 {pct(highs, 95):.2f}"
    )


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--faces", type=Path, default=REPO.parent / "shared/testdata/faces")
    parser.add_argument("--photos", type=int, default=None, help="a random subset (tuning runs)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    started = time.perf_counter()
    backend = face_backend.describe()
    finder = Finder()
    print(f"engine: {backend.text()}; tracker defaults: {defaults()}")

    stills = load_stills(args.faces, finder, args.photos)
    faced = [s for s in stills if s.geom is not None]
    print(f"\n{len(stills)} photos of {len({s.identity for s in stills})} people in 640×480 "
          f"frames; a face with landmarks in {len(faced)}")  # fmt: skip

    print("\n1. per-frame cost, wall ms (p50 / p95)")
    for key, label in (("detect", "detection (320-px HOG, retry)"),
                       ("liveness", "landmarks_68 + geometry (added)"),
                       ("encode", "ResNet encoding (the gate's main cost)")):  # fmt: skip
        ms = [1000 * s.ms[key] for s in faced]
        print(f"   {label:40} {pct(ms, 50):6.2f} / {pct(ms, 95):6.2f}")
    live = [1000 * s.ms["liveness"] for s in faced]
    enc = [1000 * s.ms["encode"] for s in faced]

    print("\n2. the measures on the photos")
    ears = [s.geom.ear for s in faced if s.geom]
    yaws = [s.geom.yaw for s in faced if s.geom]
    print(
        "   EAR  p1 / p5 / p50 / p95 / max: "
        + " / ".join(f"{pct(ears, q):.3f}" for q in (1, 5, 50, 95, 100))
    )
    lowest = sorted(faced, key=lambda s: s.geom.ear if s.geom else 0)[:5]
    print(
        "   lowest EAR: "
        + ", ".join(
            f"{s.path.parent.name}/{s.path.name} {s.geom.ear:.3f}" for s in lowest if s.geom
        )
    )
    print("   yaw  min / p5 / p25 / p50 / p75 / p95 / max: "
          + " / ".join(f"{pct(yaws, q):+.3f}" for q in (0, 5, 25, 50, 75, 95, 100)))  # fmt: skip
    alts = [s.alt for s in faced]
    turned = [(y, a) for y, a in zip(yaws, alts, strict=True) if abs(a) > TURNED_ALT]
    print(
        f"   yaw vs eye-width measure: Pearson r = {np.corrcoef(yaws, alts)[0, 1]:.3f}; "
        f"same sign where |eye-width| > {TURNED_ALT}: "
        f"{sum(1 for y, a in turned if y * a > 0)} of {len(turned)}"
    )
    mirrored = [
        (s.geom.yaw, s.mirrored_yaw) for s in faced if s.geom and not math.isnan(s.mirrored_yaw)
    ]
    sums = statistics.median(abs(a + b) for a, b in mirrored)
    corr = np.corrcoef([a for a, _ in mirrored], [-b for _, b in mirrored])[0, 1]
    print(
        f"   mirrored photo: median |yaw + mirrored yaw| {sums:.3f}, "
        f"r(yaw, -mirrored yaw) = {corr:.3f} over {len(mirrored)}"
    )
    pairs = genuine_pairs(faced)
    seps = [abs(t.geom.yaw - f.geom.yaw) for f, t in pairs if f.geom and t.geom]
    ident = len({f.identity for f, _ in pairs})
    print(
        f"   {ident} people have a clearly frontal (|eye-width| < {FRONTAL_ALT}) and a clearly "
        f"turned (> {TURNED_ALT}) photo; {len(pairs)} such pairs, |yaw turned - yaw frontal| "
        f"min / p5 / p50: {pct(seps, 0):.3f} / {pct(seps, 5):.3f} / {pct(seps, 50):.3f}"
    )
    print(
        "   frontal photos' |yaw| max: "
        + f"{max((abs(f.geom.yaw) for f, _ in pairs if f.geom), default=math.nan):.3f}"
    )

    print(
        f"\n3. attacks: {FRAMES} frames at {FPS} fps per still, one sequence per still and attack"
    )
    rng = random.Random(args.seed)
    attacks: dict[str, list[Geoms]] = {}
    for name, make in ATTACKS.items():
        attacks[name] = runs = [geometries(finder, make(s, rng)) for s in faced]
        seen = sum(g is not None for geoms in runs for g in geoms)
        print(
            f"   {name}: {len(runs)} sequences, frames with a face {seen} of {FRAMES * len(runs)}"
        )
        print(f"      {spread(runs)}")
        for c in CHALLENGES:
            print(f"      {c:10} {dict(Counter(str(decide(g, c)) for g in runs))}")

    print(
        "\n4. genuine turns: frontal photo 5 frames, then the same person's turned photo 10 frames"
    )
    gen_rng = random.Random(args.seed + 1)
    genuine: list[tuple[lv.Challenge, Geoms]] = []
    for f, t in pairs:
        asked = lv.Challenge.TURN_LEFT if t.alt > f.alt else lv.Challenge.TURN_RIGHT
        frames = [_jitter(f.frame, gen_rng) for _ in range(5)]
        frames += [_jitter(t.frame, gen_rng) for _ in range(10)]
        genuine.append((asked, geometries(finder, frames)))
    other = {
        lv.Challenge.TURN_LEFT: lv.Challenge.TURN_RIGHT,
        lv.Challenge.TURN_RIGHT: lv.Challenge.TURN_LEFT,
    }
    asked_way = Counter(str(decide(g, c)) for c, g in genuine)
    wrong_way = Counter(str(decide(g, other[c])) for c, g in genuine)
    print(f"   {len(genuine)} sequences from {ident} people")
    print(f"   asked the way they turned: {dict(asked_way)}")
    print(f"   asked the other way:       {dict(wrong_way)}")

    print("\n5. turn threshold sweep (turn_frames 2): APCER per attack (both turn challenges "
          "pooled) against BPCER of the genuine photo-pair turns")  # fmt: skip
    for thr in (0.15, 0.2, 0.25, 0.3, 0.35, 0.4):
        cells = []
        for name, runs in attacks.items():
            n = 2 * len(runs)
            passed = sum(decide(g, c, turn_threshold=thr) is LivenessResult.PASSED
                         for g in runs for c in CHALLENGES[1:])  # fmt: skip
            cells.append(f"{name.split(',')[0].split(' (')[0]} {passed}/{n}")
        refused = sum(
            decide(g, c, turn_threshold=thr) is not LivenessResult.PASSED for c, g in genuine
        )
        mark = (
            " <- default"
            if thr == lv.ChallengeTracker(lv.Challenge.TURN_LEFT, started=0).turn_threshold
            else ""
        )
        print(
            f"   {thr:.2f}: APCER " + ", ".join(cells) + f"; BPCER {refused}/{len(genuine)}{mark}"
        )
    print("   blink closed_ratio sweep (closed_max 0.2): APCER per attack")
    for ratio in (0.5, 0.65, 0.75, 0.85):
        cells = []
        for name, runs in attacks.items():
            passed = sum(
                decide(g, lv.Challenge.BLINK, closed_ratio=ratio) is LivenessResult.PASSED
                for g in runs
            )
            cells.append(f"{name.split(' (')[0]} {passed}/{len(runs)}")
        print(f"   {ratio:.2f}: " + ", ".join(cells))

    print("\nsummary: APCER = attack sequences that PASS, at the defaults")
    print(f"   {'attack':20} " + "".join(f"{c:>18}" for c in CHALLENGES))
    for name, runs in attacks.items():
        row = ""
        for c in CHALLENGES:
            passed = sum(decide(g, c) is LivenessResult.PASSED for g in runs)
            row += f"{passed:>6} of {len(runs):<3} {100 * passed / len(runs):4.1f}%"
        print(f"   {name:20} {row}")
    refused = len(genuine) - asked_way["passed"]
    print(
        f"   BPCER turn (genuine photo pairs, asked their way): {refused} of {len(genuine)}; "
        "blink: not measurable here (no closed-eye footage)"
    )
    print(
        f"   added per frame: landmarks_68 + geometry p50 {pct(live, 50):.1f} ms / "
        f"p95 {pct(live, 95):.1f} ms (encoding p50 {pct(enc, 50):.1f} / p95 {pct(enc, 95):.1f} ms)"
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    wall = time.perf_counter() - started
    print(f"\nwall {wall:.0f} s; load average {load} on {os.cpu_count()} cores")


def _jitter(frame: Image, rng: random.Random) -> Image:
    """A standing person sways a few pixels between frames; the sensor adds noise."""
    import cv2

    m = np.array([[1, 0, rng.uniform(-4, 4)], [0, 1, rng.uniform(-4, 4)]], np.float32)
    moved = cv2.warpAffine(frame, m, (W, H), borderValue=(128, 128, 128))
    return _noise(moved, np.random.default_rng(rng.getrandbits(32)), 3)


def genuine_pairs(faced: Sequence[Still]) -> list[tuple[Still, Still]]:
    """Per identity: its most frontal photo (if clearly frontal) with each clearly turned one."""
    by_identity: dict[str, list[Still]] = {}
    for s in faced:
        by_identity.setdefault(s.identity, []).append(s)
    pairs = []
    for group in by_identity.values():
        frontal = min(group, key=lambda s: abs(s.alt))
        if abs(frontal.alt) >= FRONTAL_ALT:
            continue
        pairs += [(frontal, s) for s in group if abs(s.alt) > TURNED_ALT]
    return pairs


def defaults() -> str:
    tr = lv.ChallengeTracker(lv.Challenge.BLINK, started=0.0)
    names = ("closed_ratio", "closed_max", "reopen_ratio", "turn_threshold", "turn_frames",
             "planar_ear_rise", "planar_yaw_band", "planar_frames", "baseline_frames")  # fmt: skip
    return ", ".join(f"{n}={getattr(tr, n)}" for n in names) + f", timeout {tr.deadline:.1f} s"


if __name__ == "__main__":
    main()
