"""The month fast path (`roster_month` / `roster_month_rows`) against the session path.

`roster_month` no longer builds `Session`/`WorkerDay` objects; it de-duplicates, pairs and sums
in one pass per worker. The reference here is the composition of the public session-path
functions, each covered by `test_rules.py`: `build_sessions` -> `summarise_days` ->
`summarise_month`. Both must give equal `WorkerMonth`s on any event stream.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import Direction
from server.rosters.rules import (
    AssignmentDates,
    AttendanceEvent,
    Correction,
    RosterSettings,
    WorkerMonth,
    _LocalClock,
    build_sessions,
    event_rows,
    roster_month,
    roster_month_rows,
    summarise_days,
    summarise_month,
)

YEAR, MONTH = 2026, 10
# Around October 2026 in local time, a day either side, in whole and fractional seconds.
_START = dt.datetime(2026, 9, 29, tzinfo=dt.UTC)
_SPAN_S = 35 * 86_400
ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "UTC")


def reference(
    events: list[AttendanceEvent],
    corrections: list[Correction],
    assignments: dict[int, AssignmentDates],
    s: RosterSettings,
    as_of: dt.datetime | None,
) -> dict[int, WorkerMonth]:
    sessions = build_sessions(events, corrections, settings=s, as_of=as_of)
    first, last = dt.date(YEAR, MONTH, 1), dt.date(YEAR, MONTH, 31)
    return {
        wid: summarise_month(wid, YEAR, MONTH, summarise_days(sessions.get(wid, []), s), a)
        for wid, a in assignments.items()
        if not (
            (a.entered_on is not None and a.entered_on > last)
            or (a.left_on is not None and a.left_on < first)
        )
    }


# A stream: shifts (IN, then OUT some hours later, either possibly missing, refused or a
# correction), plus stray punches, bursts of repeats (dedupe window) and exact ties.
_offset = st.one_of(
    st.integers(0, _SPAN_S),
    st.integers(0, _SPAN_S // 60).map(lambda m: m * 60),  # whole minutes: exact ties
    st.floats(0, _SPAN_S, allow_nan=False).map(lambda f: round(f, 6)),
)
_kind = st.sampled_from(("real", "real", "real", "refused", "correction", "missing"))
_shift = st.tuples(
    st.integers(1, 4),  # worker (4 is never assigned)
    st.integers(0, 34),  # day
    st.integers(0, 24 * 60 - 1),  # start minute (night shifts and early INs included)
    st.integers(0, 20 * 60),  # length in minutes (beyond max_session_hours too)
    _kind,
    _kind,
)
_stray = st.tuples(_offset, st.booleans(), st.booleans(), st.integers(1, 4), st.booleans())
_date = st.one_of(st.none(), st.dates(dt.date(2026, 9, 25), dt.date(2026, 11, 5)))

# (offset s, is IN, granted, worker, is correction)
_Raw = tuple[float, bool, bool, int, bool]


def _shift_punches(shift: tuple[int, int, int, int, str, str]) -> list[_Raw]:
    worker, day, minute, length, in_kind, out_kind = shift
    start = day * 86_400 + minute * 60
    out: list[_Raw] = []
    for t, is_in, kind in ((start, True, in_kind), (start + length * 60, False, out_kind)):
        if kind != "missing":
            out.append((t, is_in, kind != "refused", worker, kind == "correction"))
    return out


@st.composite
def _case(draw: st.DrawFn) -> tuple[
    list[AttendanceEvent], list[Correction], dict[int, AssignmentDates], RosterSettings,
    dt.datetime | None,
]:  # fmt: skip
    raw: list[_Raw] = []
    for shift in draw(st.lists(_shift, max_size=40)):
        raw.extend(_shift_punches(shift))
    raw.extend(draw(st.lists(_stray, max_size=10)))
    # Bursts: repeat some punches a few seconds later (dedupe window) or at the same instant.
    bursts = draw(st.lists(st.tuples(st.integers(0, 99), st.integers(0, 90)), max_size=10))
    for idx, delay in bursts:
        if raw:
            t, is_in, granted, worker, corr = raw[idx % len(raw)]
            raw.append((t + delay, is_in, granted, worker, draw(st.booleans())))
    events: list[AttendanceEvent] = []
    corrections: list[Correction] = []
    for i, (t, is_in, granted, worker, corr) in enumerate(raw):
        at = _START + dt.timedelta(seconds=t)
        direction = Direction.IN if is_in else Direction.OUT
        if corr:
            corrections.append(Correction(worker, at, direction, "补卡", "经理", i + 1))
        else:
            events.append(AttendanceEvent(i + 1, worker, direction, at, granted))
    assignments: dict[int, AssignmentDates] = {}
    for wid in (1, 2, 3):
        entered, left = draw(_date), draw(_date)
        if entered is not None and left is not None and left < entered:
            entered, left = left, entered
        assignments[wid] = AssignmentDates(entered, left)
    half = draw(st.sampled_from((1.0, 2.0, 3.5)))
    s = RosterSettings(
        timezone=draw(st.sampled_from(ZONES)),
        dedupe_window_s=draw(st.sampled_from((0, 60, 600))),
        half_day_hours=half,
        full_day_hours=draw(st.sampled_from((half, 4.0, 8.0))),
        auto_close_at=draw(st.sampled_from((dt.time(20, 0), dt.time(17, 0), dt.time(23, 30)))),
        night_shift_hours=draw(st.sampled_from((12.0, 8.0))),
        max_session_hours=draw(st.sampled_from((16.0, 12.0))),
    )
    as_of = draw(st.one_of(st.none(), _offset.map(lambda t: _START + dt.timedelta(seconds=t))))
    return events, corrections, assignments, s, as_of


class TestMonthFastPathMatchesSessionPath:
    @given(_case())
    @settings(max_examples=600, deadline=None)
    def test_same_roster(
        self,
        case: tuple[
            list[AttendanceEvent], list[Correction], dict[int, AssignmentDates], RosterSettings,
            dt.datetime | None,
        ],
    ) -> None:  # fmt: skip
        events, corrections, assignments, s, as_of = case
        expected = reference(events, corrections, assignments, s, as_of)
        got = roster_month(YEAR, MONTH, events, corrections, assignments, settings=s, as_of=as_of)
        assert got == expected
        assert list(got) == list(expected)  # assignment order

    @given(_case(), st.randoms(use_true_random=False))
    @settings(max_examples=200, deadline=None)
    def test_rows_in_any_order(
        self,
        case: tuple[
            list[AttendanceEvent], list[Correction], dict[int, AssignmentDates], RosterSettings,
            dt.datetime | None,
        ],
        rnd: random.Random,
    ) -> None:  # fmt: skip
        events, corrections, assignments, s, as_of = case
        rows = event_rows(events, corrections)
        shuffled = list(rows)
        rnd.shuffle(shuffled)
        kept = list(shuffled)
        got = roster_month_rows(YEAR, MONTH, shuffled, assignments, settings=s, as_of=as_of)
        assert got == roster_month(
            YEAR, MONTH, events, corrections, assignments, settings=s, as_of=as_of
        )
        assert shuffled == kept  # the caller's list is not reordered


class TestLocalClock:
    def test_offsets_that_change_inside_a_quarter_hour(self) -> None:
        # Shanghai left local mean time (+08:05:43) on 1901-01-01: not on a quarter hour.
        s = RosterSettings(timezone="Asia/Shanghai")
        clock = _LocalClock(s)
        zone = ZoneInfo("Asia/Shanghai")
        start = dt.datetime(1900, 12, 31, 14, tzinfo=dt.UTC).timestamp()
        for step in range(0, 4 * 3600, 7):
            ts = start + step
            local = dt.datetime.fromtimestamp(ts, zone)
            ordinal, tod = clock.local_ordinal_and_tod(ts)
            assert ordinal == local.date().toordinal()
            assert tod == local.hour * 3600 + local.minute * 60 + local.second
