"""Attendance rules: dedupe, pairing, night shifts, days, months, corrections, on-site now."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.enums import Direction
from server.rosters.rules import (
    AssignmentDates,
    AttendanceEvent,
    Correction,
    DayStatus,
    RosterSettings,
    SessionState,
    attendance_days,
    build_sessions,
    day_status,
    event_rows,
    is_night_shift,
    local_date,
    month_event_window,
    on_site_at,
    roster_month,
    roster_month_rows,
    summarise_month,
)

SH = ZoneInfo("Asia/Shanghai")
IN, OUT = Direction.IN, Direction.OUT
_ids = itertools.count(1)


def at(text: str) -> dt.datetime:
    """Shanghai local 'YYYY-MM-DD HH:MM[:SS]' -> aware UTC."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SH).astimezone(dt.UTC)


def ev(text: str, direction: Direction, worker: int = 1, granted: bool = True) -> AttendanceEvent:
    return AttendanceEvent(next(_ids), worker, direction, at(text), granted, device_id=7)


def fix(text: str, direction: Direction, worker: int = 1) -> Correction:
    return Correction(worker, at(text), direction, "忘记刷卡", "王经理", next(_ids))


class TestLocalDate:
    def test_utc_evening_is_next_day_in_shanghai(self) -> None:
        assert local_date(dt.datetime(2026, 10, 31, 16, 30, tzinfo=dt.UTC)) == dt.date(2026, 11, 1)

    def test_utc_before_16_is_same_day(self) -> None:
        assert local_date(dt.datetime(2026, 10, 31, 15, 59, tzinfo=dt.UTC)) == dt.date(2026, 10, 31)

    def test_naive_is_refused(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            local_date(dt.datetime(2026, 10, 31, 12))  # noqa: DTZ001

    def test_other_zone(self) -> None:
        s = RosterSettings(timezone="Asia/Urumqi")  # UTC+6
        assert local_date(dt.datetime(2026, 10, 31, 17, 30, tzinfo=dt.UTC), s) == dt.date(
            2026, 10, 31
        )


class TestIsNightShift:
    @pytest.mark.parametrize(
        ("time", "night"),
        [("07:30", False), ("17:59", False), ("18:00", True), ("23:00", True), ("04:59", True),
         ("05:00", False)],
    )  # fmt: skip
    def test_boundaries(self, time: str, night: bool) -> None:
        assert is_night_shift(at(f"2026-10-12 {time}")) is night

    def test_auto_close_before_night_start_counts_as_night(self) -> None:
        s = RosterSettings(auto_close_at=dt.time(17, 0))
        assert is_night_shift(at("2026-10-12 17:30"), s)


class TestBuildSessions:
    def test_simple_day(self) -> None:
        (s,) = build_sessions([ev("2026-10-12 07:30", IN), ev("2026-10-12 17:30", OUT)])[1]
        assert s.state is SessionState.CLOSED
        assert s.seconds == 10 * 3600
        assert s.work_on == dt.date(2026, 10, 12)

    def test_refused_events_do_not_count(self) -> None:
        sessions = build_sessions(
            [ev("2026-10-12 07:30", IN, granted=False), ev("2026-10-12 17:30", OUT)]
        )[1]
        assert [s.state for s in sessions] == [SessionState.MISSING_IN]

    def test_duplicates_within_60s_are_one(self) -> None:
        events = [
            ev("2026-10-12 07:30:00", IN),
            ev("2026-10-12 07:30:59", IN),
            ev("2026-10-12 07:31:00", IN),  # exactly 60 s after the kept one: still a duplicate
            ev("2026-10-12 17:30", OUT),
        ]
        (s,) = build_sessions(events)[1]
        assert s.state is SessionState.CLOSED
        assert s.in_at == at("2026-10-12 07:30:00")
        assert len(s.event_ids) == 4

    def test_61s_apart_is_a_new_punch(self) -> None:
        events = [ev("2026-10-12 07:30:00", IN), ev("2026-10-12 07:31:01", IN)]
        states = [s.state for s in build_sessions(events)[1]]
        assert states == [SessionState.MISSING_OUT, SessionState.MISSING_OUT]

    def test_dedupe_is_anchored_not_chained(self) -> None:
        events = [ev(f"2026-10-12 07:30:{s:02d}", IN) for s in (0, 40)]
        events += [ev("2026-10-12 07:31:20", IN)]  # 40 s after the 2nd, 80 s after the kept one
        assert len(build_sessions(events)[1]) == 2

    def test_in_while_open_closes_old_as_missing_out_capped_at_next_in(self) -> None:
        events = [ev("2026-10-12 07:00", IN), ev("2026-10-12 09:00", IN),
                  ev("2026-10-12 12:00", OUT)]  # fmt: skip
        first, second = build_sessions(events)[1]
        assert first.state is SessionState.MISSING_OUT
        assert first.seconds == 2 * 3600
        assert second.state is SessionState.CLOSED
        assert second.seconds == 3 * 3600

    def test_out_without_in_is_missing_in_with_no_hours(self) -> None:
        (s,) = build_sessions([ev("2026-10-12 17:00", OUT)])[1]
        assert s.state is SessionState.MISSING_IN
        assert s.seconds == 0
        assert s.work_on == dt.date(2026, 10, 12)

    def test_missing_out_day_shift_auto_closes_at_20(self) -> None:
        (s,) = build_sessions([ev("2026-10-12 07:00", IN)])[1]
        assert s.state is SessionState.MISSING_OUT
        assert s.counted_until == at("2026-10-12 20:00")
        assert s.seconds == 13 * 3600

    def test_missing_out_night_shift_auto_closes_at_in_plus_12h(self) -> None:
        (s,) = build_sessions([ev("2026-10-12 21:00", IN)])[1]
        assert s.night_shift
        assert s.counted_until == at("2026-10-13 09:00")
        assert s.seconds == 12 * 3600

    def test_night_shift_across_midnight_is_one_day_of_the_in(self) -> None:
        (s,) = build_sessions([ev("2026-10-12 22:00", IN), ev("2026-10-13 06:00", OUT)])[1]
        assert s.state is SessionState.CLOSED
        assert s.work_on == dt.date(2026, 10, 12)
        assert s.seconds == 8 * 3600

    def test_overtime_out_after_auto_close_still_closes(self) -> None:
        (s,) = build_sessions([ev("2026-10-12 07:00", IN), ev("2026-10-12 22:00", OUT)])[1]
        assert s.state is SessionState.CLOSED
        assert s.seconds == 15 * 3600

    def test_out_beyond_max_session_splits_into_two_anomalies(self) -> None:
        events = [ev("2026-10-12 08:00", IN), ev("2026-10-13 17:00", OUT)]
        first, second = build_sessions(events)[1]
        assert (first.state, first.seconds) == (SessionState.MISSING_OUT, 12 * 3600)
        assert (second.state, second.work_on) == (SessionState.MISSING_IN, dt.date(2026, 10, 13))

    def test_as_of_keeps_a_current_session_open(self) -> None:
        events = [ev("2026-10-12 07:00", IN), ev("2026-10-12 12:00", OUT)]
        (s,) = build_sessions(events, as_of=at("2026-10-12 10:00"))[1]
        assert s.state is SessionState.OPEN
        assert s.seconds == 3 * 3600

    def test_as_of_after_auto_close_is_missing_out(self) -> None:
        (s,) = build_sessions([ev("2026-10-12 07:00", IN)], as_of=at("2026-10-12 21:00"))[1]
        assert s.state is SessionState.MISSING_OUT

    def test_naive_as_of_refused(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            build_sessions([], as_of=dt.datetime(2026, 10, 12))  # noqa: DTZ001

    def test_workers_are_independent(self) -> None:
        events = [ev("2026-10-12 07:00", IN, 1), ev("2026-10-12 07:00:10", IN, 2),
                  ev("2026-10-12 16:00", OUT, 2), ev("2026-10-12 16:00", OUT, 1)]  # fmt: skip
        result = build_sessions(events)
        assert {w: [s.state for s in ss] for w, ss in result.items()} == {
            1: [SessionState.CLOSED], 2: [SessionState.CLOSED]
        }  # fmt: skip

    def test_unsorted_input(self) -> None:
        events = [ev("2026-10-12 17:00", OUT), ev("2026-10-12 07:00", IN)]
        (s,) = build_sessions(events)[1]
        assert s.state is SessionState.CLOSED


class TestCorrections:
    def test_correction_fills_missing_out_and_is_flagged(self) -> None:
        d = attendance_days([ev("2026-10-12 07:00", IN)], [fix("2026-10-12 17:00", OUT)])[1]
        wd = d[dt.date(2026, 10, 12)]
        (s,) = wd.sessions
        assert s.state is SessionState.CLOSED
        assert s.corrected
        assert wd.corrected
        assert len(s.correction_ids) == 1

    def test_correction_duplicating_real_event_is_not_flagged(self) -> None:
        sessions = build_sessions(
            [ev("2026-10-12 07:00:30", IN), ev("2026-10-12 17:00", OUT)],
            [fix("2026-10-12 07:00", IN)],
        )[1]
        (s,) = sessions
        assert not s.corrected
        assert s.in_at == at("2026-10-12 07:00")  # earliest of the merged punches


class TestDayStatus:
    @pytest.mark.parametrize(
        ("seconds", "status"),
        [(4 * 3600, DayStatus.FULL), (4 * 3600 - 1, DayStatus.HALF), (2 * 3600, DayStatus.HALF),
         (2 * 3600 - 1, DayStatus.ABSENT), (0, DayStatus.ABSENT)],
    )  # fmt: skip
    def test_thresholds(self, seconds: int, status: DayStatus) -> None:
        assert day_status(seconds, has_anomaly=False) is status

    def test_anomaly_below_half(self) -> None:
        assert day_status(0, has_anomaly=True) is DayStatus.ANOMALY
        assert day_status(5 * 3600, has_anomaly=True) is DayStatus.FULL

    def test_open_below_half_is_on_site(self) -> None:
        assert day_status(3600, has_anomaly=False, has_open=True) is DayStatus.ON_SITE

    def test_custom_settings(self) -> None:
        s = RosterSettings(full_day_hours=8, half_day_hours=4)
        assert day_status(5 * 3600, has_anomaly=False, settings=s) is DayStatus.HALF


class TestAttendanceDays:
    def test_two_sessions_add_up_to_a_full_day(self) -> None:
        events = [ev("2026-10-12 08:00", IN), ev("2026-10-12 10:00", OUT),
                  ev("2026-10-12 13:00", IN), ev("2026-10-12 15:00", OUT)]  # fmt: skip
        wd = attendance_days(events)[1][dt.date(2026, 10, 12)]
        assert (wd.status, wd.hours) == (DayStatus.FULL, 4.0)

    def test_half_day(self) -> None:
        events = [ev("2026-10-12 08:00", IN), ev("2026-10-12 11:00", OUT)]
        assert attendance_days(events)[1][dt.date(2026, 10, 12)].status is DayStatus.HALF

    def test_missing_in_only_is_anomaly(self) -> None:
        wd = attendance_days([ev("2026-10-12 17:00", OUT)])[1][dt.date(2026, 10, 12)]
        assert wd.status is DayStatus.ANOMALY
        assert len(wd.anomalies) == 1

    def test_missing_out_counts_until_auto_close(self) -> None:
        wd = attendance_days([ev("2026-10-12 17:00", IN)])[1][dt.date(2026, 10, 12)]
        # 17:00 is a day-shift IN: counted until 20:00, i.e. 3 h = half day, with the anomaly.
        assert (wd.status, wd.hours, len(wd.anomalies)) == (DayStatus.HALF, 3.0, 1)


class TestSummariseMonth:
    def test_grid_has_every_calendar_day(self) -> None:
        m = summarise_month(1, 2026, 2, {})
        assert len(m.cells) == 28
        assert all(c.status is DayStatus.ABSENT for c in m.cells)

    def test_worker_who_left_mid_month(self) -> None:
        events = [ev(f"2026-10-{d:02d} 08:00", IN) for d in (14, 15, 16)]
        events += [ev(f"2026-10-{d:02d} 17:00", OUT) for d in (14, 15, 16)]
        days = attendance_days(events)[1]
        m = summarise_month(1, 2026, 10, days, AssignmentDates(dt.date(2026, 10, 1),
                                                               dt.date(2026, 10, 15)))  # fmt: skip
        marks = "".join(c.status.mark for c in m.cells)
        assert marks == "○" * 13 + "√√" + "-" * 16
        assert m.attended_days == 2.0
        assert m.outside_assignment_days == 1
        assert m.total_hours == 18.0

    def test_entered_mid_month(self) -> None:
        m = summarise_month(1, 2026, 10, {}, AssignmentDates(entered_on=dt.date(2026, 10, 20)))
        assert [c.status.mark for c in m.cells].count("-") == 19

    def test_half_days_and_corrected_days(self) -> None:
        events = [ev("2026-10-12 08:00", IN), ev("2026-10-12 11:00", OUT),
                  ev("2026-10-13 08:00", IN)]  # fmt: skip
        days = attendance_days(events, [fix("2026-10-13 17:00", OUT)])[1]
        m = summarise_month(1, 2026, 10, days)
        assert m.attended_days == 1.5
        assert m.corrected_days == 1
        assert m.anomaly_count == 0

    def test_anomaly_count(self) -> None:
        days = attendance_days([ev("2026-10-12 17:00", OUT), ev("2026-10-13 07:00", IN)])[1]
        m = summarise_month(1, 2026, 10, days)
        assert m.anomaly_count == 2
        assert m.cells[11].status is DayStatus.ANOMALY


class TestRosterMonth:
    def test_month_boundary_night_shift_belongs_to_last_day(self) -> None:
        events = [ev("2026-10-31 22:00", IN), ev("2026-11-01 06:00", OUT)]
        a = {1: AssignmentDates()}
        october = roster_month(2026, 10, events, [], a)[1]
        november = roster_month(2026, 11, events, [], a)[1]
        assert october.cells[-1].status is DayStatus.FULL
        assert november.attended_days == 0
        assert november.anomaly_count == 0

    def test_only_assigned_workers_overlapping_the_month(self) -> None:
        a = {1: AssignmentDates(), 2: AssignmentDates(left_on=dt.date(2026, 9, 30)),
             3: AssignmentDates(entered_on=dt.date(2026, 10, 31))}  # fmt: skip
        assert set(roster_month(2026, 10, [ev("2026-10-12 08:00", IN, 9)], [], a)) == {1, 3}

    def test_registered_never_entered_has_zero_days_on_both_paths(self) -> None:
        """已登记未进场: on the roster when paid, but no day counts, whatever was punched."""
        ghost = {1: AssignmentDates(never_entered=True)}
        events = [ev("2026-10-12 08:00", IN), ev("2026-10-12 17:00", OUT)]
        slow = roster_month(2026, 10, events, [], ghost)[1]
        fast = roster_month_rows(2026, 10, event_rows(events), ghost)[1]
        for m in (slow, fast):
            assert m.attended_days == 0
            assert m.total_seconds == 0
            assert {c.status for c in m.cells} == {DayStatus.NOT_ASSIGNED}
            assert m.outside_assignment_days == 1  # the punch shows as outside the assignment
        assert not AssignmentDates(never_entered=True).covers(dt.date(2026, 10, 12))

    def test_event_window_is_padded_in_utc(self) -> None:
        start, end = month_event_window(2026, 10)
        assert start == at("2026-09-30 08:00")
        assert end == at("2026-11-01 16:00")


class TestOnSiteAt:
    def test_who_is_inside(self) -> None:
        events = [ev("2026-10-12 07:00", IN, 1), ev("2026-10-12 07:05", IN, 2),
                  ev("2026-10-12 09:00", OUT, 2), ev("2026-10-12 11:00", IN, 3)]  # fmt: skip
        assert set(on_site_at(events, at=at("2026-10-12 10:00"))) == {1}

    def test_after_auto_close_nobody(self) -> None:
        assert on_site_at([ev("2026-10-12 07:00", IN)], at=at("2026-10-12 20:30")) == {}


class TestRosterSettings:
    def test_from_mapping(self) -> None:
        s = RosterSettings.from_mapping({"auto_close_at": "19:30", "full_day_hours": 8})
        assert s.auto_close_at == dt.time(19, 30)
        assert s.full_day_hours == 8

    def test_unknown_key(self) -> None:
        with pytest.raises(ValueError, match="unknown"):
            RosterSettings.from_mapping({"full_day": 8})

    def test_inconsistent(self) -> None:
        with pytest.raises(ValueError, match="half_day_hours"):
            RosterSettings(half_day_hours=5)

    def test_notes_show_the_numbers(self) -> None:
        assert "≥ 4 h" in RosterSettings().rule_notes()[0]


_base = dt.datetime(2026, 10, 12, tzinfo=dt.UTC)
_events = st.lists(
    st.tuples(st.integers(0, 3 * 86400), st.booleans(), st.booleans(), st.integers(1, 3)),
    max_size=40,
)


class TestPairingInvariants:
    @given(_events)
    @settings(max_examples=300, deadline=None)
    def test_every_granted_event_in_exactly_one_session(
        self, raw: list[tuple[int, bool, bool, int]]
    ) -> None:
        events = [
            AttendanceEvent(i + 1, w, IN if is_in else OUT, _base + dt.timedelta(seconds=t), g)
            for i, (t, is_in, g, w) in enumerate(raw)
        ]
        result = build_sessions(events)
        seen = [eid for ss in result.values() for s in ss for eid in s.event_ids]
        assert sorted(seen) == sorted(e.event_id for e in events if e.granted)
        for ss in result.values():
            for s in ss:
                assert s.seconds >= 0
                assert s.seconds <= 16 * 3600
                if s.in_at and s.out_at:
                    assert s.in_at <= s.out_at
            ins = [s.in_at for s in ss if s.in_at]
            assert ins == sorted(ins)
