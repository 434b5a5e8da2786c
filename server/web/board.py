"""The 现场 board's view of a day roster: pure functions over the rosters service's DailyRoster.

Narrowing to a firm, team or trade gives another DailyRoster (the same shape), so the page and
the 当日考勤 XLSX (server/reports/daily_xlsx) read the same lists and cannot disagree. Which
list a tab opens, the filter choices and the gates that need a look are decided here too;
nothing here reads the database or the clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from server.errors import ValidationFailedError
from server.rosters import service as roster_service
from server.web.queries import GateState

# A gate whose clock is this far off, or with this many events waiting, needs a look.
SKEW_LIMIT_MS = 60_000
QUEUE_LIMIT = 50


class BoardList(StrEnum):
    """The lists the KPI tabs open."""

    ON_SITE = "on_site"  # inside now (or at the end of a past day)
    ARRIVED = "arrived"  # came today: a first IN on the day
    LEFT = "left"  # left today: a last OUT on the day
    NOT_COME = "not_come"  # active on the project that day, never came
    ANOMALIES = "anomalies"  # missing IN / OUT, and refused attempts with the reason

    @classmethod
    def of(cls, raw: str | None) -> BoardList:
        """A `?list=` value; anything else opens the first tab (a tab is not worth an error)."""
        try:
            return cls(raw or cls.ON_SITE)
        except ValueError:
            return cls.ON_SITE


@dataclass(frozen=True)
class BoardFilter:
    company: str = ""
    team: str = ""
    trade: str = ""

    @classmethod
    def of(cls, company: str | None, team: str | None, trade: str | None) -> BoardFilter:
        return cls((company or "").strip(), (team or "").strip(), (trade or "").strip())

    @property
    def active(self) -> bool:
        return bool(self.company or self.team or self.trade)

    def matches(self, ref: roster_service.WorkerRef | None) -> bool:
        if not self.active:
            return True
        if ref is None:  # an unknown person belongs to no firm or team
            return False
        return (
            (not self.company or ref.company_name == self.company)
            and (not self.team or ref.team_name == self.team)
            and (not self.trade or (ref.trade or "-") == self.trade)
        )

    def caption(self) -> str:
        """'单位 company 乙劳务 · 工种 trade 木工' for the export's top line; '' when no filter."""
        parts = (
            ("单位 company", self.company),
            ("班组 team", self.team),
            ("工种 trade", self.trade),
        )
        return " · ".join(f"{label} {v}" for label, v in parts if v)

    def query(self) -> dict[str, str]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v}


def parse_day(raw: str | None, today: dt.date) -> dt.date:
    """A `?day=` (YYYY-MM-DD), today when absent; a malformed or future day is a 422 saying so
    (a board of another day than the one asked for would read as that day's)."""
    if not raw or not raw.strip():
        return today
    try:
        day = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailedError(
            f"日期 {raw[:20]!r} 格式错误,应为 YYYY-MM-DD",
            f"the day {raw[:20]!r} is not a date YYYY-MM-DD",
            code="board.bad_day",
        ) from None
    if day > today:
        raise ValidationFailedError(
            f"{day} 尚未到来,只能查看今天({today})及以前的日期",
            f"{day} is in the future: only today ({today}) and earlier days have a board",
            code="board.future_day",
        )
    return day


def refs_of(board: roster_service.DailyRoster) -> dict[int, roster_service.WorkerRef]:
    """Every worker the board names, by id."""
    refs: dict[int, roster_service.WorkerRef] = {}
    for p in (*board.on_site, *board.present):
        refs[p.worker.worker_id] = p.worker
    for r in board.not_come:
        refs[r.worker_id] = r
    for a in board.anomalies:
        refs[a.worker.worker_id] = a.worker
    for ref in [r.worker for r in board.refusals] + [c.worker for c in board.confirmations]:
        if ref is not None:
            refs[ref.worker_id] = ref
    return refs


def narrow(board: roster_service.DailyRoster, f: BoardFilter) -> roster_service.DailyRoster:
    """The board of the workers `f` matches: every list, the group counts and the hourly curve."""
    if not f.active:
        return board
    keep = {wid for wid, ref in refs_of(board).items() if f.matches(ref)}
    on_site = tuple(p for p in board.on_site if p.worker.worker_id in keep)
    groups = Counter((p.worker.company_name, p.worker.team_name, p.worker.trade) for p in on_site)
    inside = tuple(frozenset(s & keep) for s in board.hourly_inside)
    hourly = board.hourly
    if len(inside) == len(board.hourly):
        hourly = tuple((at, len(s)) for (at, _), s in zip(board.hourly, inside, strict=True))
    return dataclasses.replace(
        board,
        on_site=on_site,
        by_group=tuple(
            roster_service.GroupCount(c, t, tr, n) for (c, t, tr), n in sorted(groups.items())
        ),
        present=tuple(p for p in board.present if p.worker.worker_id in keep),
        not_come=tuple(r for r in board.not_come if r.worker_id in keep),
        anomalies=tuple(a for a in board.anomalies if a.worker.worker_id in keep),
        refusals=tuple(r for r in board.refusals if f.matches(r.worker)),
        corrections=tuple(c for c in board.corrections if c.worker_id in keep),
        hourly=hourly,
        hourly_inside=inside,
        confirmations=tuple(c for c in board.confirmations if f.matches(c.worker)),
    )


@dataclass(frozen=True)
class Choices:
    companies: list[str]
    teams: list[str]
    trades: list[str]


def choices(board: roster_service.DailyRoster) -> Choices:
    """The filter's options: the firms, teams and trades of the day's workers."""
    refs = refs_of(board).values()

    def distinct(values: Iterable[str]) -> list[str]:
        return sorted({v for v in values if v and v != "-"})

    return Choices(
        distinct(r.company_name for r in refs),
        distinct(r.team_name for r in refs),
        distinct(r.trade for r in refs),
    )


@dataclass(frozen=True)
class Counts:
    on_site: int
    arrived: int
    left: int
    not_come: int
    anomalies: int  # missing IN / OUT sessions plus refused attempts


def counts(board: roster_service.DailyRoster) -> Counts:
    return Counts(
        board.headcount,
        board.arrivals,
        board.departures,
        len(board.not_come),
        len(board.anomalies) + len(board.refusals),
    )


def arrived(board: roster_service.DailyRoster) -> list[roster_service.Presence]:
    """Came today, in the order they came (the count `board.arrivals` counts these)."""
    return [p for p in board.present if p.first_in is not None]


def left(board: roster_service.DailyRoster) -> list[roster_service.Presence]:
    """Left today, latest first (the count `board.departures` counts these)."""
    out = [p for p in board.present if p.last_out is not None]
    return sorted(out, key=lambda p: (p.last_out or board.now, p.worker.worker_id), reverse=True)


def gate_problems(gates: Iterable[GateState]) -> list[tuple[GateState, list[str]]]:
    """Active gates that need a look, with message keys saying why (offline first)."""
    out = []
    for g in gates:
        if not g.device.active:
            continue
        why = []
        if not g.seen:
            why.append("now.problem.never_seen")
        elif not g.online:
            why.append("now.problem.offline")
        if g.device.clock_skew_ms is not None and abs(g.device.clock_skew_ms) >= SKEW_LIMIT_MS:
            why.append("now.problem.skew")
        if (g.device.queue_depth or 0) >= QUEUE_LIMIT:
            why.append("now.problem.queue")
        if why:
            out.append((g, why))
    return out


def link(path: str, **params: str) -> str:
    """`path` with the non-empty parameters, in a stable order (the tabs keep day and filter)."""
    query = urlencode({k: v for k, v in params.items() if v})
    return f"{path}?{query}" if query else path
