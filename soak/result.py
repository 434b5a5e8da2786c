"""What each reliability check reports: one row of the soak table."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CheckResult:
    """Counts a check measured. Targets: lost, duplicates, server_errors, live_cells and leaks
    are 0; detected == tampered. A count a check does not measure stays None (shown as "-")."""

    name: str
    backend: str = "-"  # sqlite | postgresql | edge | -
    cycles: int | None = None  # kill/cut/replay cycles run
    lost: int | None = None  # acted-on or acknowledged records missing afterwards
    duplicates: int | None = None  # records stored more than once
    cases: int | None = None  # requests or files tried
    server_errors: int | None = None  # 5xx answers
    live_cells: int | None = None  # export cells still carrying a formula from input
    leaks: int | None = None  # answers that showed a principal what is not theirs
    tampered: int | None = None  # tampering cases performed
    detected: int | None = None  # of those, caught
    failures: int | None = None  # any other target missed: a hostile file taken, a crash …
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        zero = (
            self.lost,
            self.duplicates,
            self.server_errors,
            self.live_cells,
            self.leaks,
            self.failures,
        )
        if any(v not in (None, 0) for v in zero):
            return False
        return self.tampered is None or self.detected == self.tampered
