"""Retention rules at their date edges (RULES.md "Retention and privacy")."""

from __future__ import annotations

import datetime as dt

import pytest

from server.ops import retention_rules as r
from server.wages import retention as ledger_guard

D = dt.date


def test_add_years_moves_29_february_to_1_march() -> None:
    assert r.add_years(D(2024, 2, 29), 3) == D(2027, 3, 1)
    assert r.add_years(D(2024, 2, 28), 3) == D(2027, 2, 28)
    assert r.add_years(D(2027, 3, 1), -3) == D(2024, 3, 1)


@pytest.mark.parametrize("period", ["2023-01", "2023-11", "2023-12", "2024-02"])
def test_month_rule_is_the_ledger_guards(period: str) -> None:
    assert r.month_keep_until(period) == ledger_guard.keep_until(period)


def test_month_keep_until_edges() -> None:
    assert r.month_keep_until("2023-12") == D(2027, 1, 1)
    assert r.month_keep_until("2023-01") == D(2026, 2, 1)


def test_unsettled_project_keeps_everything() -> None:
    assert not r.project_open_for_retention(None, D(2099, 1, 1))
    assert not r.ledger_period_deletable(None, "2001-01", D(2099, 1, 1))
    assert r.attendance_cutoff(None, D(2099, 1, 1), "Asia/Shanghai") is None


def test_three_years_after_settlement_to_the_day() -> None:
    settled = D(2023, 6, 30)
    assert not r.project_open_for_retention(settled, D(2026, 6, 29))
    assert r.project_open_for_retention(settled, D(2026, 6, 30))


def test_a_month_paid_after_settlement_keeps_its_own_three_years() -> None:
    settled = D(2023, 1, 10)  # a late payment for March was made after the day recorded
    assert not r.ledger_period_deletable(settled, "2023-03", D(2026, 3, 31))
    assert r.ledger_period_deletable(settled, "2023-03", D(2026, 4, 1))
    assert r.ledger_period_deletable(settled, "2022-12", D(2026, 1, 10))
    assert not r.ledger_period_deletable(settled, "2022-12", D(2026, 1, 9))


def test_attendance_cutoff_is_local_midnight_three_years_back() -> None:
    cutoff = r.attendance_cutoff(D(2023, 1, 1), D(2026, 12, 4), "Asia/Shanghai")
    assert cutoff == dt.datetime(2023, 11, 30, 16, 0, tzinfo=dt.UTC)
    # A record of 1 Dec 2023 local (still 30 Nov in UTC) is within its three years: kept.
    assert dt.datetime(2023, 11, 30, 17, 0, tzinfo=dt.UTC) >= cutoff
    # The day before settlement + 3 years: nothing goes yet.
    assert r.attendance_cutoff(D(2023, 12, 5), D(2026, 12, 4), "Asia/Shanghai") is None
    assert r.attendance_cutoff(D(2023, 12, 4), D(2026, 12, 4), "UTC") == dt.datetime(
        2023, 12, 1, tzinfo=dt.UTC
    )


@pytest.mark.parametrize(
    ("first_kept", "high", "done", "expected"),
    [
        (None, 10, 0, 10),  # every record is old enough
        (5, 10, 0, 4),  # stop before the first record to keep
        (1, 10, 0, None),  # the first record is young: nothing
        (None, 10, 10, None),  # retired already
        (12, 10, 3, 10),  # never past the acknowledged contiguous chain
        (None, 0, 0, None),  # no records
    ],
)
def test_retire_through(first_kept: int | None, high: int, done: int, expected: int | None) -> None:
    assert r.retire_through(first_kept, high, done) == expected


def test_face_data_goes_when_the_worker_has_left_every_project() -> None:
    today = D(2026, 12, 4)
    left_yesterday = r.Stay(D(2026, 12, 3), left=True)
    assert r.face_data_deletable([left_yesterday], today)
    assert not r.face_data_deletable([r.Stay(today, left=True)], today)  # leaves today
    assert not r.face_data_deletable([left_yesterday, r.Stay(None, left=False)], today)
    assert r.face_data_deletable([r.Stay(None, left=True)], today)  # marked left, no date
    assert not r.face_data_deletable([], today)  # never assigned: enrolment in progress
    assert not r.face_data_deletable([r.Stay(D(2027, 1, 1), left=True)], today)
