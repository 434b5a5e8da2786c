"""Password policy: pure, so the API, the pages and the CLI give the same answer in words."""

from __future__ import annotations

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
