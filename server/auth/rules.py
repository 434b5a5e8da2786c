"""Password policy and the throttling of failed attempts: pure, so the API, the pages and the
CLI give the same answer in words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

MIN_LENGTH = 10
MAX_LENGTH = 128

# A few passwords of policy length that lists of leaked passwords (and people on site) put first;
# compared case-insensitively. Not meant to be complete: length does most of the work.
COMMON_PASSWORDS = frozenset(
    {
        "0123456789",
        "1234567890",
        "12345678910",
        "123456789a",
        "a123456789",
        "1234567890a",
        "abc1234567",
        "abcd123456",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "qwertyuiop",
        "qwerty123456",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "iloveyou1314",
        "woaini1314",
        "woaini520520",
        "admin12345",
        "admin123456",
        "administrator",
        "sitegate123",
        "sitegate2026",
    }
)


def password_problems(password: str, *, username: str) -> list[tuple[str, str]]:
    """Everything wrong with `password` as (zh, en) messages; empty when it is acceptable."""
    problems: list[tuple[str, str]] = []
    if len(password) < MIN_LENGTH:
        problems.append((f"至少 {MIN_LENGTH} 个字符", f"must be at least {MIN_LENGTH} characters"))
    if len(password) > MAX_LENGTH:
        problems.append((f"最多 {MAX_LENGTH} 个字符", f"must be at most {MAX_LENGTH} characters"))
    lowered = password.strip().lower()
    if username and lowered == username.strip().lower():
        problems.append(("不能与用户名相同", "must not be the username"))
    if lowered in COMMON_PASSWORDS or (password and len(set(password)) == 1):
        problems.append(("过于常见,容易被猜中", "is too common and easy to guess"))
    return problems


# --- throttling of failed attempts ----------------------------------------------------------
# Pure: the counters are plain data; server/auth/throttle.py loads and stores them.


@dataclass(frozen=True)
class Limit:
    """`max_failures` within `window_s` block for `block_s`, doubling per repeat up to
    `max_block_s`: a block always ends, so nobody is locked out for good by someone else."""

    max_failures: int
    window_s: int
    block_s: int
    max_block_s: int


@dataclass(frozen=True)
class Counter:
    failures: int = 0
    window_started_at: dt.datetime | None = None
    blocked_until: dt.datetime | None = None
    strikes: int = 0  # blocks in a row; forgotten after a quiet spell


def blocked_for(counter: Counter, now: dt.datetime) -> int:
    """Whole seconds still to wait (0: not blocked)."""
    if counter.blocked_until is None or counter.blocked_until <= now:
        return 0
    return int((counter.blocked_until - now).total_seconds()) + 1


def record_failure(counter: Counter, limit: Limit, now: dt.datetime) -> Counter:
    """One more failure; blocks when it is the `max_failures`-th inside the window."""
    strikes = counter.strikes
    quiet = dt.timedelta(seconds=2 * max(limit.window_s, limit.max_block_s))
    last = counter.blocked_until or counter.window_started_at
    if last is not None and now - last > quiet:
        strikes = 0
    start = counter.window_started_at
    failures = counter.failures
    if start is None or now - start > dt.timedelta(seconds=limit.window_s):
        start, failures = now, 0
    failures += 1
    if failures < limit.max_failures:
        return Counter(failures, start, counter.blocked_until, strikes)
    block = min(limit.block_s * 2 ** min(strikes, 30), limit.max_block_s)
    return Counter(0, None, now + dt.timedelta(seconds=block), strikes + 1)
