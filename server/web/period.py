"""Months as the pages name them (YYYY-MM): read from a query or a path, step, the current one.

The format itself is the rosters service's (`roster_service.parse_period`); this module only
decides what a page does with a bad value: fall back to the current month (a query parameter)
or answer 404 (a path segment, which names a page that does not exist).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from server.errors import SiteGateError, ValidationFailedError
from server.rosters import service as roster_service
from server.web.errors import PageNotFoundError

# "This month" where no project says otherwise (the inspector's overview of many projects).
DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")


def parse_period(raw: str | None) -> str | None:
    """'2026-02' -> '2026-02'; anything the rosters service refuses -> None."""
    if not raw:
        return None
    try:
        year, month = roster_service.parse_period(raw)
    except SiteGateError:
        return None
    return f"{year:04d}-{month:02d}"


def period_or_current(raw: str | None, today: dt.date) -> str:
    """A `?period=` value, or the month of `today` when it is missing or malformed."""
    return parse_period(raw) or f"{today:%Y-%m}"


def checked_period(raw: str) -> str:
    """A period in a page's path: exactly YYYY-MM, else the page does not exist."""
    if parse_period(raw) != raw:
        raise PageNotFoundError()
    return raw


def shift_period(period: str, months: int) -> str:
    """'2026-01' shifted by -1 -> '2025-12'."""
    year, month = (int(x) for x in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def current_period(now: dt.datetime, zone: dt.tzinfo) -> str:
    return f"{now.astimezone(zone):%Y-%m}"


def as_of_date(raw: str | None) -> dt.date | None:
    """An `?as_of=` date (YYYY-MM-DD), None when absent or empty; anything else is a 422 page
    saying so (a wrong date must not silently show today's numbers as if they were that day's)."""
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailedError(
            f"核对日期 {raw[:20]!r} 格式错误,应为 YYYY-MM-DD",
            f"the as-of date {raw[:20]!r} is not a date YYYY-MM-DD",
            code="reconciliation.bad_as_of",
        ) from None
