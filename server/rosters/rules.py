"""Attendance rules (RULES.md "Attendance" and "Monthly roster"): pure functions, no I/O, no clock.

Pipeline, one pass per worker over that worker's events sorted by time:

1. keep granted events only, merge manual corrections (补卡) in as flagged punches;
2. de-duplicate: a punch in the same direction as the previous *kept* punch of the worker and at
   most `dedupe_window_s` after it is merged into it (anchored, not chained, so a burst of swipes
   cannot stretch one punch forever);
3. pair IN/OUT into sessions; an IN while open closes the old session as MISSING_OUT, an OUT with
   nothing open is MISSING_IN; both stay as anomalies;
4. a session belongs to the local date of its IN (MISSING_IN: of its OUT);
5. days: FULL at >= `full_day_hours`, HALF at >= `half_day_hours`.

Decisions where RULES.md is silent (each is a setting, documented here and in `rule_notes`):

- Night shift: an IN at/after `night_shift_from` (18:00) or before `night_shift_until` (05:00)
  local, or at/after the day auto-close time. Its missing OUT auto-closes at IN + 12 h instead
  of 20:00 local. Without this a 21:00 IN would get 0 h and a 03:00 IN would get 17 h.
- A MISSING_OUT session counts hours from IN to the earliest of the auto-close time and the next
  punch of the worker (one person cannot be in two sessions at once).
- An OUT more than `max_session_hours` (16 h) after the open IN does not close it: the IN becomes
  MISSING_OUT and the OUT MISSING_IN. Otherwise a forgotten OUT on Monday plus a forgotten IN on
  Tuesday would pair into one 33-hour "session".
- A day whose hours are below half a day but which has an anomaly is ANOMALY (the worker was
  there, the record is broken: the manager should correct it); without an anomaly it is ABSENT.
- Corrected days (for "how many days rest on corrections") are attended days (full/half) with at
  least one session that uses a correction. A correction duplicating a real punch within the
  dedupe window does not make the punch "corrected": the real event is evidence enough.
- Assignment dates are inclusive: the entry day and the exit day are both expected days.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from models.enums import Direction

_DAY_S = 86_400
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
_OFFSET_BUCKET_S = 900  # modern zone transitions fall on quarter hours: one offset per bucket
_MIXED_BUCKET = -(10**9)  # marker: the offset changes inside this bucket


# --------------------------------------------------------------------------------------------
# Inputs


@dataclass(frozen=True, slots=True)
class AttendanceEvent:
    """One gate event as the rules need it (a projection of `gate_event`)."""

    event_id: int
    worker_id: int
    direction: Direction
    occurred_at: dt.datetime  # aware; the device time converted to UTC
    granted: bool = True
    device_id: int | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    """A manual punch (补卡) entered by a site manager; it counts and is flagged."""

    worker_id: int
    occurred_at: dt.datetime  # aware
    direction: Direction
    reason: str
    author: str
    correction_id: int | None = None


@dataclass(frozen=True, slots=True)
class AssignmentDates:
    """Entry (进场) and exit (退场) dates, both inclusive; None means open-ended.

    `never_entered`: registered on the project (已登记) but never entered: it covers no day, so
    such a row has zero days whatever the gate or a correction says (its presence, if any,
    shows as days outside the assignment)."""

    entered_on: dt.date | None = None
    left_on: dt.date | None = None
    never_entered: bool = False

    def covers(self, day: dt.date) -> bool:
        if self.never_entered:
            return False
        if self.entered_on is not None and day < self.entered_on:
            return False
        return self.left_on is None or day <= self.left_on


def _parse_time(value: Any, key: str) -> dt.time:
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"roster setting {key}: {value!r} is not HH:MM") from None


@dataclass(frozen=True, slots=True)
class RosterSettings:
    """Every attendance threshold, with the RULES.md defaults. A project setting each."""

    timezone: str = "Asia/Shanghai"
    dedupe_window_s: int = 60
    full_day_hours: float = 4.0
    half_day_hours: float = 2.0
    auto_close_at: dt.time = dt.time(20, 0)
    night_shift_hours: float = 12.0
    night_shift_from: dt.time = dt.time(18, 0)
    night_shift_until: dt.time = dt.time(5, 0)
    max_session_hours: float = 16.0

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises ZoneInfoNotFoundError on a bad name
        if self.dedupe_window_s < 0:
            raise ValueError("dedupe_window_s must be >= 0")
        if not 0 < self.half_day_hours <= self.full_day_hours <= 24:
            raise ValueError("need 0 < half_day_hours <= full_day_hours <= 24")
        if not 0 < self.night_shift_hours <= self.max_session_hours:
            raise ValueError("need 0 < night_shift_hours <= max_session_hours")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> RosterSettings:
        """Build from a project's JSON settings; times as "HH:MM"; unknown keys are an error."""
        known = set(cls.__dataclass_fields__)
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown roster settings: {sorted(unknown)}")
        kwargs: dict[str, Any] = dict(values)
        for key in ("auto_close_at", "night_shift_from", "night_shift_until"):
            if key in kwargs:
                kwargs[key] = _parse_time(kwargs[key], key)
        return cls(**kwargs)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches instances per key

    def rule_notes(self) -> tuple[str, ...]:
        """Bilingual one-liners to print next to the numbers these settings produce."""
        return (
            f"计为一天: 在场 ≥ {self.full_day_hours:g} 小时 / "
            f"counted as a day: ≥ {self.full_day_hours:g} h on site",
            f"计为半天: 在场 ≥ {self.half_day_hours:g} 小时 / "
            f"counted as half a day: ≥ {self.half_day_hours:g} h on site",
            f"{self.dedupe_window_s} 秒内同向重复刷卡计为一次 / "
            f"same-direction passes within {self.dedupe_window_s} s count once",
            f"缺出场记录的时段最多计到 {self.auto_close_at:%H:%M}"
            f"(夜班: 进场后 {self.night_shift_hours:g} 小时) / "
            f"a session without OUT counts until {self.auto_close_at:%H:%M} local "
            f"(night shift: IN + {self.night_shift_hours:g} h)",
            f"夜班: {self.night_shift_from:%H:%M} 之后或 {self.night_shift_until:%H:%M} 之前进场 / "
            f"night shift: IN at/after {self.night_shift_from:%H:%M} "
            f"or before {self.night_shift_until:%H:%M}",
            f"时区 / time zone: {self.timezone}",
        )


DEFAULT_SETTINGS = RosterSettings()


# --------------------------------------------------------------------------------------------
# Outputs


class SessionState(StrEnum):
    CLOSED = "closed"  # IN and OUT
    OPEN = "open"  # IN, still on site at `as_of`
    MISSING_OUT = "missing_out"  # anomaly: no OUT (auto-closed)
    MISSING_IN = "missing_in"  # anomaly: OUT without IN


class DayStatus(StrEnum):
    FULL = "full"
    HALF = "half"
    ABSENT = "absent"
    ANOMALY = "anomaly"
    ON_SITE = "on_site"  # only with `as_of`: still inside, not yet half a day
    NOT_ASSIGNED = "not_assigned"  # outside the entry/exit dates (grid shows "-")

    @property
    def mark(self) -> str:
        """The one-character grid cell used in 考勤表 exports."""
        return _MARKS[self]

    @property
    def days(self) -> float:
        return _DAYS.get(self, 0.0)


_DAYS = {DayStatus.FULL: 1.0, DayStatus.HALF: 0.5}
_MARKS = {
    DayStatus.FULL: "√",
    DayStatus.HALF: "½",
    DayStatus.ABSENT: "○",
    DayStatus.ANOMALY: "!",
    DayStatus.ON_SITE: "…",
    DayStatus.NOT_ASSIGNED: "-",
}


@dataclass(frozen=True, slots=True)
class Session:
    worker_id: int
    work_on: dt.date  # local date of the IN (of the OUT for MISSING_IN)
    state: SessionState
    in_at: dt.datetime | None
    out_at: dt.datetime | None
    counted_until: dt.datetime | None  # where hours stop (OUT, auto-close, next punch, as_of)
    seconds: int  # counted seconds, never negative
    night_shift: bool
    corrected: bool  # rests on at least one correction
    event_ids: tuple[int, ...]  # every granted gate event merged into this session
    correction_ids: tuple[int | None, ...] = ()

    @property
    def hours(self) -> float:
        return self.seconds / 3600

    @property
    def is_anomaly(self) -> bool:
        return self.state in _ANOMALY_STATES


_ANOMALY_STATES = frozenset((SessionState.MISSING_OUT, SessionState.MISSING_IN))


@dataclass(frozen=True, slots=True)
class WorkerDay:
    worker_id: int
    work_on: dt.date
    sessions: tuple[Session, ...]
    seconds: int
    status: DayStatus
    corrected: bool
    anomaly_count: int = 0

    @property
    def hours(self) -> float:
        return self.seconds / 3600

    @property
    def anomalies(self) -> tuple[Session, ...]:
        return tuple(s for s in self.sessions if s.is_anomaly)


@dataclass(frozen=True, slots=True)
class DayCell:
    work_on: dt.date
    status: DayStatus
    seconds: int = 0
    corrected: bool = False
    anomaly_count: int = 0

    @property
    def hours(self) -> float:
        return self.seconds / 3600


@dataclass(frozen=True, slots=True)
class WorkerMonth:
    """One row of the monthly roster (考勤表)."""

    worker_id: int
    year: int
    month: int
    assignment: AssignmentDates
    cells: tuple[DayCell, ...]  # one per calendar day
    attended_days: float  # full = 1, half = 0.5
    total_seconds: int
    corrected_days: int  # attended days resting on a correction
    anomaly_count: int  # anomalous sessions on assigned days
    outside_assignment_days: int = 0  # days with presence outside the entry/exit dates

    @property
    def total_hours(self) -> float:
        return self.total_seconds / 3600

    @property
    def period(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


# --------------------------------------------------------------------------------------------
# Time helpers


class _LocalClock:
    """UTC epoch seconds -> local date / seconds-of-day, memoising zone offsets per bucket."""

    __slots__ = ("_dates", "auto_close", "offsets", "settings", "zone")

    def __init__(self, settings: RosterSettings) -> None:
        self.settings = settings
        self.zone = settings.zone
        # Read directly by the month fast path (hits only; misses go through the methods).
        self.offsets: dict[int, int] = {}  # bucket -> offset s, or _MIXED_BUCKET
        self.auto_close: dict[int, float] = {}  # local ordinal -> auto-close epoch s
        self._dates: dict[int, dt.date] = {}

    def _exact_offset(self, ts: float) -> int:
        delta = dt.datetime.fromtimestamp(ts, self.zone).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    def offset(self, ts: float) -> int:
        bucket = int(ts // _OFFSET_BUCKET_S)
        off = self.offsets.get(bucket)
        if off is None:
            start = bucket * _OFFSET_BUCKET_S
            off = self._exact_offset(start)
            # A transition inside the bucket (historical LMT offsets with seconds, any odd zone
            # rule): the bucket gets no single offset and each instant in it is looked up.
            if self._exact_offset(start + _OFFSET_BUCKET_S - 1) != off:
                off = _MIXED_BUCKET
            self.offsets[bucket] = off
        if off == _MIXED_BUCKET:
            return self._exact_offset(ts)
        return off

    def local_ordinal_and_tod(self, ts: float) -> tuple[int, float]:
        local = ts + self.offset(ts)
        days = int(local // _DAY_S)
        return _EPOCH_ORDINAL + days, local - days * _DAY_S

    def date_of(self, ordinal: int) -> dt.date:
        day = self._dates.get(ordinal)
        if day is None:
            day = self._dates[ordinal] = dt.date.fromordinal(ordinal)
        return day

    def day_auto_close(self, ordinal: int) -> float:
        ts = self.auto_close.get(ordinal)
        if ts is None:
            day = dt.date.fromordinal(ordinal)
            ts = dt.datetime.combine(day, self.settings.auto_close_at, self.zone).timestamp()
            self.auto_close[ordinal] = ts
        return ts


def _tod_s(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def local_date(at: dt.datetime, settings: RosterSettings = DEFAULT_SETTINGS) -> dt.date:
    """The project-local calendar date of an aware instant."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: attendance times must be timezone-aware")
    return at.astimezone(settings.zone).date()


def is_night_shift(in_at: dt.datetime, settings: RosterSettings = DEFAULT_SETTINGS) -> bool:
    """Night shift by the IN's local time (see module docstring)."""
    tod = _tod_s(in_at.astimezone(settings.zone).time())
    return _is_night_tod(tod, settings)


def _is_night_tod(tod: float, settings: RosterSettings) -> bool:
    starts = min(_tod_s(settings.night_shift_from), _tod_s(settings.auto_close_at))
    return tod >= starts or tod < _tod_s(settings.night_shift_until)


@functools.lru_cache(maxsize=64)
def month_days(year: int, month: int) -> tuple[dt.date, ...]:
    return tuple(dt.date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1))


def month_event_window(
    year: int, month: int, settings: RosterSettings = DEFAULT_SETTINGS
) -> tuple[dt.datetime, dt.datetime]:
    """UTC [start, end) of the events a month's roster needs.

    Widened by `max_session_hours` on both sides: the first day's OUTs need the previous
    evening's INs, and the last night shift ends in the next month.
    """
    zone = settings.zone
    first = dt.datetime(year, month, 1, tzinfo=zone)
    nxt = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
    pad = dt.timedelta(hours=settings.max_session_hours)
    return (first - pad).astimezone(dt.UTC), (nxt + pad).astimezone(dt.UTC)


# --------------------------------------------------------------------------------------------
# Sessions


class _Punch:
    """A kept (de-duplicated) punch; mutable while duplicates merge into it."""

    __slots__ = ("at", "corrected", "correction_ids", "event_ids", "is_in", "ts")

    def __init__(self, ts: float, at: dt.datetime, is_in: bool) -> None:
        self.ts = ts
        self.at = at
        self.is_in = is_in
        self.event_ids: list[int] = []
        self.correction_ids: list[int | None] = []
        self.corrected = True  # until a real event joins


# (ts, is_in, is_correction, event id (0 for a correction), at, correction id)
_Item = tuple[float, bool, bool, int, dt.datetime, int | None]


def _group_items(
    events: Iterable[AttendanceEvent],
    corrections: Iterable[Correction],
    until_ts: float | None,
) -> dict[int, list[_Item]]:
    by_worker: dict[int, list[_Item]] = defaultdict(list)
    for e in events:
        if not e.granted:
            continue
        ts = e.occurred_at.timestamp()
        if until_ts is not None and ts > until_ts:
            continue
        by_worker[e.worker_id].append(
            (ts, e.direction is Direction.IN, False, e.event_id, e.occurred_at, None)
        )
    for c in corrections:
        ts = c.occurred_at.timestamp()
        if until_ts is not None and ts > until_ts:
            continue
        cid = c.correction_id
        by_worker[c.worker_id].append(
            (ts, c.direction is Direction.IN, True, 0, c.occurred_at, cid)
        )
    return by_worker


def _dedupe(items: list[_Item], window: float) -> list[_Punch]:
    # Sort by time; at equal times OUT before IN, real before correction, then id: deterministic.
    items.sort(key=lambda i: (i[0], i[1], i[2], i[3]))
    kept: list[_Punch] = []
    last: _Punch | None = None
    for ts, is_in, is_corr, ident, at, cid in items:
        if last is None or last.is_in is not is_in or ts - last.ts > window:
            last = _Punch(ts, at, is_in)
            kept.append(last)
        if is_corr:
            last.correction_ids.append(cid)
        else:
            last.corrected = False
            last.event_ids.append(ident)
    return kept


def _worker_sessions(
    worker_id: int,
    punches: Sequence[_Punch],
    clock: _LocalClock,
    as_of_ts: float | None,
    as_of: dt.datetime | None,
) -> list[Session]:
    s = clock.settings
    max_s = s.max_session_hours * 3600
    night_s = s.night_shift_hours * 3600
    night_starts = min(_tod_s(s.night_shift_from), _tod_s(s.auto_close_at))
    night_until = _tod_s(s.night_shift_until)
    out: list[Session] = []
    day_of = clock.date_of
    open_p: _Punch | None = None
    open_ord = 0
    open_night = False
    open_close = 0.0

    def session(
        p_in: _Punch | None,
        p_out: _Punch | None,
        state: SessionState,
        ordinal: int,
        night: bool,
        until_ts: float | None,
        until_at: dt.datetime | None,
    ) -> Session:
        # Positional construction and plain concatenation: this runs once per session.
        if p_in is None:
            assert p_out is not None  # noqa: S101 - internal invariant
            return Session(
                worker_id, day_of(ordinal), state, None, p_out.at, None, 0, night,
                p_out.corrected, tuple(p_out.event_ids), tuple(p_out.correction_ids),
            )  # fmt: skip
        secs = int(until_ts - p_in.ts) if until_ts is not None else 0
        if p_out is None:
            return Session(
                worker_id, day_of(ordinal), state, p_in.at, None, until_at, max(secs, 0), night,
                p_in.corrected, tuple(p_in.event_ids), tuple(p_in.correction_ids),
            )  # fmt: skip
        return Session(
            worker_id, day_of(ordinal), state, p_in.at, p_out.at, until_at, max(secs, 0), night,
            p_in.corrected or p_out.corrected,
            tuple(p_in.event_ids + p_out.event_ids),
            tuple(p_in.correction_ids + p_out.correction_ids),
        )  # fmt: skip

    def missing_out(cap: _Punch | None) -> Session:
        assert open_p is not None  # noqa: S101 - internal invariant
        if cap is not None and cap.ts < open_close:
            until_ts, until_at = cap.ts, cap.at
        else:
            until_ts = open_close
            until_at = dt.datetime.fromtimestamp(open_close, dt.UTC)
        return session(
            open_p, None, SessionState.MISSING_OUT, open_ord, open_night, until_ts, until_at
        )

    for p in punches:
        if p.is_in:
            if open_p is not None:
                out.append(missing_out(p))
            open_p = p
            open_ord, tod = clock.local_ordinal_and_tod(p.ts)
            open_night = tod >= night_starts or tod < night_until
            open_close = p.ts + night_s if open_night else clock.day_auto_close(open_ord)
            continue
        if open_p is not None and p.ts - open_p.ts <= max_s:
            out.append(session(open_p, p, SessionState.CLOSED, open_ord, open_night, p.ts, p.at))
        else:
            if open_p is not None:
                out.append(missing_out(p))
            ordinal, _ = clock.local_ordinal_and_tod(p.ts)
            out.append(session(None, p, SessionState.MISSING_IN, ordinal, False, None, None))
        open_p = None
    if open_p is not None:
        if as_of_ts is not None and as_of is not None and as_of_ts < open_close:
            out.append(
                session(open_p, None, SessionState.OPEN, open_ord, open_night, as_of_ts, as_of)
            )
        else:
            out.append(missing_out(None))
    return out


def build_sessions(
    events: Iterable[AttendanceEvent],
    corrections: Iterable[Correction] = (),
    *,
    settings: RosterSettings = DEFAULT_SETTINGS,
    as_of: dt.datetime | None = None,
) -> dict[int, list[Session]]:
    """Sessions per worker, in time order.

    `as_of` (aware) is "now" for a roster of the current day: punches after it are ignored and a
    session still open whose auto-close has not come is OPEN (hours counted up to `as_of`)
    instead of MISSING_OUT. Without it, every open session at the end is MISSING_OUT.
    """
    if as_of is not None and as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    as_of_ts = as_of.timestamp() if as_of is not None else None
    clock = _LocalClock(settings)
    window = float(settings.dedupe_window_s)
    result: dict[int, list[Session]] = {}
    for worker_id, items in _group_items(events, corrections, as_of_ts).items():
        punches = _dedupe(items, window)
        result[worker_id] = _worker_sessions(worker_id, punches, clock, as_of_ts, as_of)
    return result


# --------------------------------------------------------------------------------------------
# Days and months


def day_status(
    seconds: int,
    *,
    has_anomaly: bool,
    has_open: bool = False,
    settings: RosterSettings = DEFAULT_SETTINGS,
) -> DayStatus:
    if seconds >= settings.full_day_hours * 3600:
        return DayStatus.FULL
    if seconds >= settings.half_day_hours * 3600:
        return DayStatus.HALF
    if has_open:
        return DayStatus.ON_SITE
    return DayStatus.ANOMALY if has_anomaly else DayStatus.ABSENT


def summarise_days(
    sessions: Sequence[Session], settings: RosterSettings = DEFAULT_SETTINGS
) -> dict[dt.date, WorkerDay]:
    """Group one worker's sessions by local work date."""
    by_day: dict[dt.date, list[Session]] = defaultdict(list)
    for s in sessions:
        by_day[s.work_on].append(s)
    days: dict[dt.date, WorkerDay] = {}
    for work_on in sorted(by_day):
        group = by_day[work_on]
        seconds = n_anomalies = 0
        has_open = corrected = False
        for s in group:  # one loop, not four any()/sum(): this runs once per worker-day
            seconds += s.seconds
            state = s.state
            if state in _ANOMALY_STATES:
                n_anomalies += 1
            elif state is SessionState.OPEN:
                has_open = True
            corrected = corrected or s.corrected
        status = day_status(
            seconds, has_anomaly=n_anomalies > 0, has_open=has_open, settings=settings
        )
        days[work_on] = WorkerDay(
            group[0].worker_id, work_on, tuple(group), seconds, status, corrected, n_anomalies
        )
    return days


def attendance_days(
    events: Iterable[AttendanceEvent],
    corrections: Iterable[Correction] = (),
    *,
    settings: RosterSettings = DEFAULT_SETTINGS,
    as_of: dt.datetime | None = None,
) -> dict[int, dict[dt.date, WorkerDay]]:
    """Per worker, per local date: sessions, hours, status, anomalies, corrected flag."""
    sessions = build_sessions(events, corrections, settings=settings, as_of=as_of)
    return {wid: summarise_days(ss, settings) for wid, ss in sessions.items()}


def summarise_month(
    worker_id: int,
    year: int,
    month: int,
    days: Mapping[dt.date, WorkerDay],
    assignment: AssignmentDates = AssignmentDates(),
) -> WorkerMonth:
    """One roster row: a cell for every calendar day; days outside the assignment are "-"."""
    cells: list[DayCell] = []
    attended = 0.0
    total = corrected = anomalies = outside = 0
    for day in month_days(year, month):
        wd = days.get(day)
        if not assignment.covers(day):
            cells.append(DayCell(day, DayStatus.NOT_ASSIGNED))
            if wd is not None and wd.sessions:
                outside += 1
            continue
        if wd is None:
            cells.append(DayCell(day, DayStatus.ABSENT))
            continue
        n_anom = wd.anomaly_count
        cells.append(DayCell(day, wd.status, wd.seconds, wd.corrected, n_anom))
        credit = _DAYS.get(wd.status, 0.0)
        attended += credit
        total += wd.seconds
        anomalies += n_anom
        if wd.corrected and credit > 0:
            corrected += 1
    return WorkerMonth(
        worker_id=worker_id,
        year=year,
        month=month,
        assignment=assignment,
        cells=tuple(cells),
        attended_days=attended,
        total_seconds=total,
        corrected_days=corrected,
        anomaly_count=anomalies,
        outside_assignment_days=outside,
    )


def _overlaps_month(a: AssignmentDates, year: int, month: int) -> bool:
    days = month_days(year, month)
    return not (  # no overlap when it starts after the month or ends before it
        (a.entered_on is not None and a.entered_on > days[-1])
        or (a.left_on is not None and a.left_on < days[0])
    )


# One punch for the month fast path: (worker id, UTC epoch seconds, is IN, is a correction).
# Plain tuples, so that `list.sort()` orders a worker's punches by time, then OUT before IN; the
# order among exact ties does not matter (they merge into one punch).
EventRow = tuple[int, float, bool | int, bool | int]
_SENTINEL: EventRow = (0, math.inf, False, False)


def event_rows(
    events: Iterable[AttendanceEvent], corrections: Iterable[Correction] = ()
) -> list[EventRow]:
    """`AttendanceEvent`s (granted only) and corrections as `EventRow`s for `roster_month_rows`."""
    rows: list[EventRow] = [
        (e.worker_id, e.occurred_at.timestamp(), e.direction is Direction.IN, False)
        for e in events
        if e.granted
    ]
    rows.extend(
        (c.worker_id, c.occurred_at.timestamp(), c.direction is Direction.IN, True)
        for c in corrections
    )
    return rows


def roster_month(
    year: int,
    month: int,
    events: Iterable[AttendanceEvent],
    corrections: Iterable[Correction],
    assignments: Mapping[int, AssignmentDates],
    *,
    settings: RosterSettings = DEFAULT_SETTINGS,
    as_of: dt.datetime | None = None,
) -> dict[int, WorkerMonth]:
    """The monthly roster: one row per worker whose assignment overlaps the month.

    Load events with `month_event_window`. Events of workers not in `assignments` are ignored
    (the gate refuses them; the registry is the source of who belongs on the roster).

    The same result as `summarise_month(attendance_days(...))` per worker (a property test holds
    the two together), computed without building `Session`/`WorkerDay` objects.
    """
    return roster_month_rows(
        year,
        month,
        event_rows(events, corrections),
        assignments,
        settings=settings,
        as_of=as_of,
    )


def roster_month_rows(
    year: int,
    month: int,
    rows: Iterable[EventRow],
    assignments: Mapping[int, AssignmentDates],
    *,
    settings: RosterSettings = DEFAULT_SETTINGS,
    as_of: dt.datetime | None = None,
) -> dict[int, WorkerMonth]:
    """`roster_month` over bare `EventRow`s (granted events and corrections, any order).

    One pass to group by worker, a sort per worker, then one linear pass per worker:
    de-duplicate, pair, and add each session's seconds into the worker's day of the month. Only
    totals are kept per day, which is all a month row needs; `build_sessions` remains the path
    that shows sessions.
    """
    if as_of is not None and as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    as_of_ts = as_of.timestamp() if as_of is not None else None
    wanted = {wid: a for wid, a in assignments.items() if _overlaps_month(a, year, month)}
    # Group by worker in one pass (rows of other workers are dropped here), then sort each
    # worker's rows: nearly free when they come in time order, as a time-range scan gives them.
    groups: dict[int, list[EventRow]] = {wid: [] for wid in wanted}
    get = groups.get
    for row in rows:
        group = get(row[0])
        if group is not None and (as_of_ts is None or row[1] <= as_of_ts):
            group.append(row)
    builder = _MonthBuilder(year, month, month_days(year, month), settings, as_of_ts)
    out: dict[int, WorkerMonth] = {}
    for wid, a in wanted.items():  # assignment order
        group = groups[wid]
        group.sort()
        out[wid] = builder.worker(wid, a, group)
    return out


class _MonthBuilder:
    """Per-project state of `roster_month_rows`: settings as numbers, shared cells, the clock."""

    def __init__(
        self,
        year: int,
        month: int,
        days: tuple[dt.date, ...],
        settings: RosterSettings,
        as_of_ts: float | None,
    ) -> None:
        self.year = year
        self.month = month
        self.days = days
        self.first_ord = days[0].toordinal()
        self.clock = _LocalClock(settings)
        self.as_of_ts = as_of_ts
        self.window = float(settings.dedupe_window_s)
        self.max_s = settings.max_session_hours * 3600
        self.night_s = settings.night_shift_hours * 3600
        self.night_starts = min(_tod_s(settings.night_shift_from), _tod_s(settings.auto_close_at))
        self.night_until = _tod_s(settings.night_shift_until)
        self.full_s = settings.full_day_hours * 3600
        self.half_s = settings.half_day_hours * 3600
        # Frozen cells with no session are equal for every worker: share one per day.
        self.absent = tuple(DayCell(d, DayStatus.ABSENT) for d in days)
        self.not_assigned = tuple(DayCell(d, DayStatus.NOT_ASSIGNED) for d in days)

    def _covered(self, a: AssignmentDates) -> tuple[int, int]:
        """Index range [lo, hi) of the month's days inside the entry/exit dates."""
        lo, hi = 0, len(self.days)
        if a.never_entered:
            return 0, 0
        if a.entered_on is not None:
            lo = max(lo, a.entered_on.toordinal() - self.first_ord)
        if a.left_on is not None:
            hi = min(hi, a.left_on.toordinal() - self.first_ord + 1)
        return lo, max(lo, hi)

    def worker(self, wid: int, a: AssignmentDates, items: list[EventRow]) -> WorkerMonth:
        """One worker's month from that worker's rows, sorted by time (OUT first at ties).

        `items` is consumed (a sentinel is appended to it).
        """
        n_days = len(self.days)
        # Per day of the month: seconds, anomalous sessions, any session, any OPEN, corrected.
        secs = [0] * n_days
        anomalies = [0] * n_days
        present = [False] * n_days
        is_open = [False] * n_days
        corrected = [False] * n_days
        first_ord = self.first_ord

        def anomaly(ordinal: int, seconds: int, corr: bool) -> None:
            k = ordinal - first_ord
            if 0 <= k < n_days:  # sessions of other months do not reach this month's row
                present[k] = True
                secs[k] += seconds
                anomalies[k] += 1
                if corr:
                    corrected[k] = True

        clock = self.clock
        offsets = clock.offsets
        auto_close = clock.auto_close
        window = self.window
        max_s = self.max_s
        night_s = self.night_s
        night_starts = self.night_starts
        night_until = self.night_until
        # The punch being de-duplicated (anchored at its first row): time, IN?, corrected.
        have = False
        p_ts = 0.0
        p_in: bool | int = False
        p_corr = False
        # Pairing state, as `_worker_sessions`: the open IN's time, corrected, day, auto-close.
        open_ts: float | None = None
        open_corr = False
        open_k = 0
        open_close = 0.0
        items.append(_SENTINEL)  # never merges: flushes the last punch
        for _, ts, is_in, is_corr in items:
            if have and p_in == is_in and ts - p_ts <= window:
                if not is_corr:
                    p_corr = False  # a real event joined: not a correction-only punch
                continue
            if have:  # the previous punch is complete: pair it
                if p_in:
                    if open_ts is not None:  # MISSING_OUT, capped by this IN
                        until = p_ts if p_ts < open_close else open_close
                        anomaly(open_k + first_ord, max(int(until - open_ts), 0), open_corr)
                    open_ts, open_corr = p_ts, p_corr
                    off = offsets.get(int(p_ts // _OFFSET_BUCKET_S))
                    if off is None or off == _MIXED_BUCKET:
                        off = clock.offset(p_ts)
                    local = p_ts + off
                    n = int(local // _DAY_S)
                    tod = local - n * _DAY_S
                    ordinal = _EPOCH_ORDINAL + n
                    open_k = ordinal - first_ord
                    if tod >= night_starts or tod < night_until:
                        open_close = p_ts + night_s
                    else:
                        close = auto_close.get(ordinal)
                        open_close = close if close is not None else clock.day_auto_close(ordinal)
                elif open_ts is not None and p_ts - open_ts <= max_s:  # CLOSED
                    if 0 <= open_k < n_days:
                        present[open_k] = True
                        secs[open_k] += max(int(p_ts - open_ts), 0)
                        if open_corr or p_corr:
                            corrected[open_k] = True
                    open_ts = None
                else:
                    if open_ts is not None:  # MISSING_OUT, capped by this OUT
                        until = p_ts if p_ts < open_close else open_close
                        anomaly(open_k + first_ord, max(int(until - open_ts), 0), open_corr)
                        open_ts = None
                    anomaly(clock.local_ordinal_and_tod(p_ts)[0], 0, p_corr)  # MISSING_IN
            p_ts, p_in, p_corr, have = ts, is_in, bool(is_corr), True
        if open_ts is not None:
            as_of_ts = self.as_of_ts
            if as_of_ts is not None and as_of_ts < open_close:  # OPEN: counted up to as_of
                if 0 <= open_k < n_days:
                    present[open_k] = is_open[open_k] = True
                    secs[open_k] += max(int(as_of_ts - open_ts), 0)
                    if open_corr:
                        corrected[open_k] = True
            else:  # MISSING_OUT at the end: auto-closed
                anomaly(open_k + first_ord, max(int(open_close - open_ts), 0), open_corr)

        # The row (as `summarise_days` + `summarise_month` would build it).
        lo, hi = self._covered(a)
        cells: list[DayCell] = []
        attended = 0.0
        total = corrected_days = n_anomalies = outside = 0
        full_s, half_s = self.full_s, self.half_s
        for k in range(n_days):
            if k < lo or k >= hi:
                cells.append(self.not_assigned[k])
                if present[k]:
                    outside += 1
                continue
            if not present[k]:
                cells.append(self.absent[k])
                continue
            seconds = secs[k]
            n_anom = anomalies[k]
            if seconds >= full_s:
                status, credit = DayStatus.FULL, 1.0
            elif seconds >= half_s:
                status, credit = DayStatus.HALF, 0.5
            elif is_open[k]:
                status, credit = DayStatus.ON_SITE, 0.0
            else:
                status, credit = (DayStatus.ANOMALY if n_anom else DayStatus.ABSENT), 0.0
            corr = corrected[k]
            cells.append(DayCell(self.days[k], status, seconds, corr, n_anom))
            attended += credit
            total += seconds
            n_anomalies += n_anom
            if corr and credit > 0:
                corrected_days += 1
        return WorkerMonth(
            wid, self.year, self.month, a, tuple(cells), attended, total, corrected_days,
            n_anomalies, outside,
        )  # fmt: skip


def on_site_at(
    events: Iterable[AttendanceEvent],
    corrections: Iterable[Correction] = (),
    *,
    at: dt.datetime,
    settings: RosterSettings = DEFAULT_SETTINGS,
) -> dict[int, Session]:
    """Who is on site at instant `at`: workers whose last session is still OPEN then."""
    sessions = build_sessions(events, corrections, settings=settings, as_of=at)
    return {wid: ss[-1] for wid, ss in sessions.items() if ss and ss[-1].state is SessionState.OPEN}


__all__ = [
    "DEFAULT_SETTINGS",
    "AssignmentDates",
    "AttendanceEvent",
    "Correction",
    "DayCell",
    "DayStatus",
    "EventRow",
    "RosterSettings",
    "Session",
    "SessionState",
    "WorkerDay",
    "WorkerMonth",
    "attendance_days",
    "build_sessions",
    "day_status",
    "event_rows",
    "is_night_shift",
    "local_date",
    "month_days",
    "month_event_window",
    "on_site_at",
    "roster_month",
    "roster_month_rows",
    "summarise_days",
    "summarise_month",
]
