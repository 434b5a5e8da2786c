"""Power loss under the gate: the outbox on a LazyFS mount, the agent SIGKILLed mid-burst and
everything not yet fsynced dropped, then the outbox reopened by the real edge code.

Each cycle: taps against a real agent process → SIGKILL at a random moment → power cut (drop
unsynced) → unmount → remount → audit (every decision the relay moved for is there, intact,
signed, chained, once). A control gate whose outbox runs with weaker `synchronous` shows the
harness can fail: SIGKILL alone loses nothing there, a power cut does.

`python -m soak.powerloss [--full]` runs it alone and prints the row.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from soak.gate_rig import Gate, audit
from soak.lazymount import LazyMount, probe
from soak.result import CheckResult

NAME = "power loss (LazyFS: unsynced writes dropped)"
QUICK_CYCLES = 5
FULL_CYCLES = 100
FULL_BUDGET_S = 300.0  # the full form stops early rather than run past this


@dataclass
class Cycles:
    """The shipped gate (synchronous=FULL) through kill + power-cut cycles: must lose nothing."""

    done: int = 0
    taps: int = 0
    acted: int = 0  # distinct records the relay moved for
    events: int = 0  # in the outbox at the end
    lost: int = 0
    duplicates: int = 0
    dropped_bytes: int = 0  # unsynced bytes the cuts threw away (the WAL index and the like)
    undone_entries: int = 0  # directory changes the cuts undid
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def note(self) -> str:
        per_cycle = self.seconds / max(self.done, 1)
        return (
            f"synchronous=FULL: {self.done} cycles of tap burst → SIGKILL → power cut → remount,"
            f" {per_cycle:.2f} s per cycle; {self.taps} taps, {self.acted} relay moves,"
            f" {self.events} events in the outbox, lost {self.lost}, duplicates"
            f" {self.duplicates}; the cuts dropped {self.dropped_bytes} unsynced bytes and undid"
            f" {self.undone_entries} directory changes"
        )


@dataclass(frozen=True)
class Control:
    """A weakened gate's losses: SIGKILL alone, then SIGKILL plus a power cut."""

    synchronous: str
    kill_acted: int
    kill_lost: int
    cut_acted: int
    cut_lost: int

    @property
    def seen(self) -> bool:
        """SIGKILL alone kept everything and the power cut lost something."""
        return self.kill_lost == 0 and self.cut_lost > 0

    def note(self) -> str:
        return (
            f"control synchronous={self.synchronous}: SIGKILL alone lost {self.kill_lost} of"
            f" {self.kill_acted} acted-on records; SIGKILL + power cut lost {self.cut_lost} of"
            f" {self.cut_acted} (the harness sees the weakening: {'yes' if self.seen else 'NO'})"
        )


@dataclass
class Report:
    result: CheckResult
    cycles: Cycles | None  # None: FUSE cannot be mounted here
    controls: list[Control]


def run(quick: bool, workdir: Path) -> CheckResult:
    return run_report(quick, workdir).result


def run_report(quick: bool, workdir: Path) -> Report:
    started = time.monotonic()
    result = CheckResult(name=NAME, backend="edge")
    workdir.mkdir(parents=True, exist_ok=True)
    reason = probe(workdir)
    if reason is not None:
        result.notes.append(f"not possible here (FUSE mount failed): {reason}")
        result.seconds = time.monotonic() - started
        return Report(result, None, [])
    rng = random.Random(20261202)
    if quick:
        cycles = _cycles(workdir / "full", rng, QUICK_CYCLES, budget_s=None)
    else:
        cycles = _cycles(workdir / "full", rng, FULL_CYCLES, budget_s=FULL_BUDGET_S)
    result.cycles = cycles.done
    # An acted-on record that fails its hash, chain link or signature is lost to the server too.
    result.lost = cycles.lost
    result.duplicates = cycles.duplicates
    result.notes.append(cycles.note())
    if cycles.problems:
        result.notes.append("outbox problems: " + "; ".join(cycles.problems[:5]))
    controls = [
        _control(workdir / f"control-{mode.lower()}", rng, mode)
        for mode in (("NORMAL",) if quick else ("NORMAL", "OFF"))
    ]
    result.notes += [c.note() for c in controls]
    result.seconds = time.monotonic() - started
    return Report(result, cycles, controls)


def _cycles(root: Path, rng: random.Random, cycles: int, *, budget_s: float | None) -> Cycles:
    gate = Gate.provision(root / "gate", root / "mnt" / "outbox.sqlite3")
    out = Cycles()
    missing: set[str] = set()
    t0 = time.monotonic()
    mount = LazyMount(root / "disk", root / "mnt")
    mount.mount()
    try:
        for _ in range(cycles):
            out.taps += gate.burst(rng)
            _, _, dropped, undone = mount.cut().split()  # "cut FILES BYTES ENTRIES"
            out.dropped_bytes += int(dropped)
            out.undone_entries += int(undone)
            mount.unmount()
            mount.mount()
            found = audit(gate)
            missing |= found.missing
            out.duplicates = found.duplicates
            out.events = found.events
            out.problems += found.problems
            out.done += 1
            if budget_s is not None and time.monotonic() - t0 > budget_s:
                break
    finally:
        mount.unmount()
        gate.close()
    out.seconds = time.monotonic() - t0
    out.acted = len(gate.acted)
    out.lost = len(missing)
    return out


def _control(root: Path, rng: random.Random, synchronous: str) -> Control:
    """One gate with weakened durability: a SIGKILL round (clean remount), then a power cut."""
    gate = Gate.provision(root / "gate", root / "mnt" / "outbox.sqlite3")
    with LazyMount(root / "disk", root / "mnt"):  # the outbox file exists durably beforehand
        audit(gate)
    mount = LazyMount(root / "disk", root / "mnt")
    mount.mount()
    try:
        gate.burst(rng, synchronous=synchronous)
        kill_acted = len(gate.acted)
        mount.unmount()  # no power cut: the OS writes its cache back, as after kill -9
        mount.mount()
        kill_lost = len(audit(gate).missing)
        gate.burst(rng, synchronous=synchronous)
        cut_acted = len(gate.acted) - kill_acted
        mount.cut()
        mount.unmount()
        mount.mount()
        cut_lost = len(audit(gate).missing) - kill_lost
    finally:
        mount.unmount()
        gate.close()
    return Control(synchronous, kill_acted, kill_lost, cut_acted, cut_lost)


def main(argv: list[str]) -> int:
    workdir = Path(argv[argv.index("--workdir") + 1]) if "--workdir" in argv else None
    if workdir is None:
        import tempfile

        workdir = Path(tempfile.mkdtemp(prefix="soak-powerloss-"))
    result = run("--full" not in argv, workdir)
    sys.stdout.write(f"{result}\nok={result.ok}\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
