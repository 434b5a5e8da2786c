"""What the inspector's month page picks out of a reconciliation summary: plain functions.

The page answers "why is this project red?": the open findings per worker (to name a row's
problem instead of "paid in full"), and the workers with a problem (the table's default view).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from models.enums import WarningLevel
from server.reconciliation import rules as recon_rules
from server.reconciliation.service import FindingView, TableRow

# A row status that is a problem on its own (the findings say why).
PROBLEM_STATUSES = frozenset(
    {
        recon_rules.RowStatus.UNDERPAID,
        recon_rules.RowStatus.UNPAID,
        recon_rules.RowStatus.PAID_WITHOUT_ATTENDANCE,
    }
)
LEVEL_ORDER = (WarningLevel.RED, WarningLevel.ORANGE, WarningLevel.YELLOW)


def open_kinds(findings: Iterable[FindingView]) -> dict[int, list[tuple[WarningLevel, str]]]:
    """worker id -> (level, kind) of each open finding about the worker, red first."""
    out: dict[int, list[tuple[WarningLevel, str]]] = {}
    for f in findings:
        if f.status == "open" and f.worker_id is not None and f.level in LEVEL_ORDER:
            out.setdefault(f.worker_id, []).append((f.level, f.kind))
    for items in out.values():
        items.sort(key=lambda item: (LEVEL_ORDER.index(item[0]), item[1]))
    return out


def problem_rows(
    rows: Sequence[TableRow], kinds: dict[int, list[tuple[WarningLevel, str]]]
) -> list[TableRow]:
    """The rows with an open finding, a warning level or a problem status, in table order."""
    return [
        r
        for r in rows
        if r.worker_id in kinds or r.level is not WarningLevel.GREEN or r.status in PROBLEM_STATUSES
    ]


def serious_kinds(kinds: dict[int, list[tuple[WarningLevel, str]]]) -> dict[int, list[str]]:
    """worker id -> the kinds of their open red and orange findings (what "paid" must not hide)."""
    out: dict[int, list[str]] = {}
    for worker_id, items in kinds.items():
        serious = [k for level, k in items if level in (WarningLevel.RED, WarningLevel.ORANGE)]
        if serious:
            out[worker_id] = serious
    return out
