"""Power loss under a real gate agent (LazyFS), quick form: the shipped outbox loses nothing, and
the same harness does catch losses once durability is weakened."""

from __future__ import annotations

from pathlib import Path

import pytest

from soak import powerloss
from soak.lazymount import probe

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]


def test_power_cut_loses_no_acted_decision(tmp_path: Path) -> None:
    reason = probe(tmp_path)
    if reason is not None:
        pytest.skip(f"FUSE cannot be mounted here: {reason}")
    report = powerloss.run_report(True, tmp_path / "soak")
    cycles = report.cycles
    assert cycles is not None, report.result.notes

    # The shipped outbox (WAL, synchronous=FULL) through SIGKILL + power cut, cycle after cycle.
    assert cycles.done == powerloss.QUICK_CYCLES
    assert cycles.acted >= cycles.done  # the gate did act in the bursts
    assert cycles.lost == 0
    assert cycles.duplicates == 0
    assert cycles.problems == []  # integrity check, chain, hashes and signatures
    assert cycles.events >= cycles.acted
    assert cycles.dropped_bytes > 0  # the cuts did throw unsynced state away
    assert report.result.ok
    assert (report.result.lost, report.result.duplicates) == (0, 0)

    # The control: weakened durability that SIGKILL alone cannot tell from the real thing.
    [control] = report.controls
    assert control.synchronous == "NORMAL"
    assert control.kill_acted > 0
    assert control.kill_lost == 0
    assert control.cut_acted > 0
    assert control.cut_lost > 0, control.note()
    assert control.seen


def test_reports_not_possible_when_fuse_cannot_mount(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no fusermount3 on this PATH
    result = powerloss.run(True, tmp_path)
    assert result.cycles is None
    assert result.lost is None
    [note] = result.notes
    assert note.startswith("not possible here (FUSE mount failed): fusermount3 is not installed")
