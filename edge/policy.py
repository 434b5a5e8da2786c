"""PURE gate policy (RULES.md "Gate decision", point 2 and 4): no I/O, today passed in. The entry
rules are models.gate_rules, the same the server re-checks terminal passes with."""

from __future__ import annotations

import datetime as dt

from models.gate_rules import age_on, check_entry

__all__ = ["age_on", "check_entry", "passback_blocked"]


def passback_blocked(
    last_grant_at: dt.datetime | None, at: dt.datetime, *, enabled: bool, window_s: float
) -> bool:
    """A second pass through the same gate (same direction) within the window is refused.

    The agent only sees its own gate, so "already IN" is approximated by "passed this IN gate
    within the window"; the server flags the rest when it pairs IN/OUT.
    """
    if not enabled or last_grant_at is None:
        return False
    return dt.timedelta(0) <= at - last_grant_at < dt.timedelta(seconds=window_s)
