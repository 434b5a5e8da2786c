"""Password policy, the throttling of failed attempts, and the format and expiry of activation
codes: pure, so the API, the pages and the CLI give the same answer in words."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

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


# --- activation codes ------------------------------------------------------------------------
# A worker signs up with their ID number and a one-time code from the site office
# (server/auth/activation.py).

# 31 symbols without the ones people misread on a printed slip or a phone: 0/O, 1/I/L.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # 31**8 ≈ 8.5e11 codes; guessing is also throttled like sign-ins
_CODE_SEPARATORS = str.maketrans("", "", " -_.\u3000\u2014\u2013\uff0d")


def new_activation_code(randbelow: Callable[[int], int]) -> str:
    """A fresh code (no separator): `randbelow` is `secrets.randbelow` in service, a seeded
    stand-in in tests."""
    return "".join(CODE_ALPHABET[randbelow(len(CODE_ALPHABET))] for _ in range(CODE_LENGTH))


def format_activation_code(code: str) -> str:
    """As printed and shown: two groups of four, `ABCD-EFGH`, easier to read out and type."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def normalise_activation_code(text: str) -> str | None:
    """What a worker typed as the code: case, spaces, dashes and a Chinese input method's
    full-width letters do not matter. None when it cannot be a code at all (wrong length, a
    symbol the alphabet leaves out), which the form says without looking anything up."""
    code = unicodedata.normalize("NFKC", text).translate(_CODE_SEPARATORS).upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def activation_expires_at(issued_at: dt.datetime, *, valid_days: int) -> dt.datetime:
    """A code is valid for `valid_days` whole days from the moment it was issued."""
    return issued_at + dt.timedelta(days=valid_days)


class CodeState(StrEnum):
    LIVE = "live"
    USED = "used"
    VOIDED = "voided"  # a newer code was issued for the worker
    EXPIRED = "expired"


def activation_code_state(
    *,
    expires_at: dt.datetime,
    used_at: dt.datetime | None,
    voided_at: dt.datetime | None,
    now: dt.datetime,
) -> CodeState:
    """Used and voided come first: a used code stays used after its expiry."""
    if used_at is not None:
        return CodeState.USED
    if voided_at is not None:
        return CodeState.VOIDED
    if now >= expires_at:
        return CodeState.EXPIRED
    return CodeState.LIVE
