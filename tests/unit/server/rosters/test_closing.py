"""The pure parts of closed months: which months a punch can change, the reasons' words, and
which corrections count."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from models.enums import Direction
from server.reconciliation.service import split_reason
from server.rosters import closing
from server.rosters.rules import RosterSettings
from server.rosters.service import CORRECTION_STATUSES, CorrectionRecord

SH = ZoneInfo("Asia/Shanghai")
SETTINGS = RosterSettings()  # Asia/Shanghai, longest session 16 h


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SH)  # type: ignore[misc]


class TestAffectedPeriods:
    def test_mid_month_only_its_month(self) -> None:
        assert closing.affected_periods(local(2026, 10, 20, 8), SETTINGS) == ("2026-10",)

    @pytest.mark.parametrize(
        ("at", "periods"),
        [
            (local(2026, 11, 1, 2), ("2026-10", "2026-11")),  # closes last night's shift
            (local(2026, 11, 1, 15, 59), ("2026-10", "2026-11")),  # 16 h after 10-31 23:59
            (local(2026, 11, 1, 16, 0), ("2026-11",)),  # a longest session from 11-01 00:00
            (local(2027, 1, 1, 0, 30), ("2026-12", "2027-01")),  # across the year
        ],
    )
    def test_near_the_start_the_month_before_too(
        self, at: dt.datetime, periods: tuple[str, ...]
    ) -> None:
        assert closing.affected_periods(at, SETTINGS) == periods

    def test_local_month_not_utc(self) -> None:
        # 2026-10-31 17:00 UTC is 11-01 01:00 in Shanghai
        utc = dt.datetime(2026, 10, 31, 17, 0, tzinfo=dt.UTC)
        assert closing.period_of(utc, SETTINGS) == "2026-11"

    def test_longest_session_is_the_setting(self) -> None:
        short = RosterSettings(max_session_hours=2, night_shift_hours=2)
        assert closing.affected_periods(local(2026, 11, 1, 3), short) == ("2026-11",)

    def test_naive_refused(self) -> None:
        with pytest.raises(ValueError, match="aware"):
            closing.affected_periods(dt.datetime(2026, 11, 1), SETTINGS)  # noqa: DTZ001


class TestTexts:
    def test_reasons(self) -> None:
        assert closing.closed_reason_text("paid") == (
            "该月工资已发放",
            "the month's wages have been paid",
        )
        assert closing.closed_reason_text(None) == ("", "")
        assert closing.closed_reason_text("sheet_locked_v2") == ("sheet_locked_v2",) * 2

    def test_split_reason(self) -> None:
        assert split_reason("补卡 #3 已批准 / correction #3 approved") == (
            "补卡 #3 已批准",
            "correction #3 approved",
        )
        assert split_reason("only one") == ("only one", "only one")


class TestCorrectionCounts:
    @pytest.mark.parametrize("status", CORRECTION_STATUSES)
    def test_effective_and_approved_count(self, status: str) -> None:
        record = CorrectionRecord(
            1, 1, "张三", local(2026, 10, 1, 8), Direction.IN, "忘带卡", "王经理", None, status
        )
        assert record.counts is (status in ("effective", "approved"))
