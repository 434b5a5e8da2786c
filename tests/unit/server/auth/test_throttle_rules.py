"""The throttle's arithmetic: blocks come at the limit, double per repeat, never outlast the
ceiling, and are forgotten after a quiet spell."""

from __future__ import annotations

import datetime as dt

from server.auth.rules import Counter, Limit, blocked_for, record_failure

T0 = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
LIMIT = Limit(max_failures=3, window_s=600, block_s=60, max_block_s=300)


def _fail_n(counter: Counter, n: int, at: dt.datetime) -> Counter:
    for _ in range(n):
        counter = record_failure(counter, LIMIT, at)
    return counter


class TestRecordFailure:
    def test_blocks_on_the_limit_and_not_before(self) -> None:
        c = _fail_n(Counter(), 2, T0)
        assert blocked_for(c, T0) == 0
        c = record_failure(c, LIMIT, T0)
        assert blocked_for(c, T0) == 61  # whole seconds, rounded up
        assert blocked_for(c, T0 + dt.timedelta(seconds=60)) == 0

    def test_failures_outside_the_window_do_not_add_up(self) -> None:
        c = _fail_n(Counter(), 2, T0)
        c = record_failure(c, LIMIT, T0 + dt.timedelta(seconds=601))
        assert c.failures == 1
        assert blocked_for(c, T0 + dt.timedelta(seconds=601)) == 0

    def test_repeated_blocks_double_up_to_the_ceiling(self) -> None:
        c, at, lengths = Counter(), T0, []
        for _ in range(5):
            c = _fail_n(c, 3, at)
            lengths.append(blocked_for(c, at) - 1)
            at = c.blocked_until or at
        assert lengths == [60, 120, 240, 300, 300]

    def test_a_quiet_spell_forgets_the_repeats(self) -> None:
        c = _fail_n(_fail_n(Counter(), 3, T0), 3, T0 + dt.timedelta(seconds=61))
        assert c.strikes == 2
        later = T0 + dt.timedelta(hours=1)
        c = _fail_n(c, 3, later)
        assert c.strikes == 1
        assert blocked_for(c, later) == 61
