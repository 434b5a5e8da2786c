"""Retention rules (RULES.md "Retention and privacy"), plain functions over plain data.

- Settled: a project's wages are settled on the day a person records (`sitegate retention
  settle`) once the project has ended and its last month's pay was paid and reconciled. No day
  recorded: not settled, and nothing of the project's ledger or attendance is ever deleted.
- Ledger (payroll lines and files, wage sheets with their lines, items and history, 补卡
  corrections) and attendance (gate records) are kept at least three years after the settled
  day, and never less than three years after their own month (the rule migration
  0012_ledger_retention enforces in the database as well): a row goes only when both have passed.
- Face templates and face photos are deleted once the worker has left every project they were
  on (each assignment has a leaving day before today, or is marked left): the legal record
  keeping (ledger, attendance) needs no template. A worker never assigned keeps them (enrolment
  in progress), as does one still on any project.
- Pass photos: the server stores none (a gate keeps no picture of a pass), so there is nothing
  to delete; should they be stored, they follow the attendance record they belong to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

KEEP_YEARS = 3


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later; 29 February goes to 1 March (never earlier than a year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def month_keep_until(period: str) -> dt.date:
    """The first day a record of `period` (YYYY-MM) may go: three years after its month ends
    (the same day server/wages/retention.keep_until gives; a unit test holds them together)."""
    year, month = int(period[:4]), int(period[5:7])
    end = dt.date(year + (month == 12), month % 12 + 1, 1)
    return add_years(end, KEEP_YEARS)


def settled_keep_until(settled_on: dt.date) -> dt.date:
    return add_years(settled_on, KEEP_YEARS)


def project_open_for_retention(settled_on: dt.date | None, today: dt.date) -> bool:
    """Whether anything of the project's ledger or attendance may go yet."""
    return settled_on is not None and today >= settled_keep_until(settled_on)


def ledger_period_deletable(settled_on: dt.date | None, period: str, today: dt.date) -> bool:
    return project_open_for_retention(settled_on, today) and today >= month_keep_until(period)


def attendance_cutoff(settled_on: dt.date | None, today: dt.date, zone: str) -> dt.datetime | None:
    """Gate records of the project with device time before this instant may go (None: none).

    A record's month is the project's local month, so the cutoff is local midnight on the first
    day of the month three years back (records of that month still have time to run)."""
    if not project_open_for_retention(settled_on, today):
        return None
    back = add_years(today, -KEEP_YEARS)
    first = dt.datetime(back.year, back.month, 1, tzinfo=ZoneInfo(zone))
    return first.astimezone(dt.UTC)


def retire_through(
    first_kept_seq: int | None, highest_contiguous: int, already_through: int
) -> int | None:
    """The seq a gate's chain is retired through: all records below the first one that must be
    kept (`first_kept_seq`, None: no record is that young), never past the contiguous chain the
    server acknowledged (a record below a gap may still arrive). None: nothing new to retire."""
    limit = (
        highest_contiguous
        if first_kept_seq is None
        else min(first_kept_seq - 1, highest_contiguous)
    )
    return limit if limit > already_through else None


@dataclass(frozen=True, slots=True)
class Stay:
    """A worker's assignment to a project, as retention needs it."""

    left_on: dt.date | None
    left: bool  # status is "left"


def face_data_deletable(stays: Iterable[Stay], today: dt.date) -> bool:
    """The worker has left every project they were on (and was on at least one)."""
    seen = list(stays)
    return bool(seen) and all(
        (s.left_on is not None and s.left_on < today) or (s.left and s.left_on is None)
        for s in seen
    )


@dataclass(frozen=True, slots=True)
class PlanLine:
    """What a run deletes (or a dry run would) for one project (None: not project-bound)."""

    project: str | None
    kind: str  # gate_records / payroll_lines / payroll_files / wage_sheets / wage_lines /
    #            wage_items / wage_line_history / attendance_corrections / face_templates /
    #            face_photos
    count: int


KIND_TEXT: dict[str, tuple[str, str]] = {
    "gate_records": ("闸机通行记录", "gate records"),
    "payroll_lines": ("代发记录", "payroll lines"),
    "payroll_files": ("代发文件", "payroll files"),
    "wage_sheets": ("工资表", "wage sheets"),
    "wage_lines": ("工资表行", "wage sheet lines"),
    "wage_items": ("工资项目", "wage items"),
    "wage_line_history": ("工资表行记录", "wage line history"),
    "attendance_corrections": ("补卡记录", "attendance corrections"),
    "face_templates": ("人脸模板", "face templates"),
    "face_photos": ("人脸照片", "face photos"),
}
