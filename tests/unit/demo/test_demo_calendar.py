"""The demo's calendar and plan (pure): a finished month paid before today, the days since
running up to now, and someone on site at any hour of the day the demo runs."""

from __future__ import annotations

import datetime as dt

import pytest

from sitegate_cli.demo.month import IN, TZ, demo_calendar, paid_month, plan_month
from sitegate_cli.demo.seed import make_workers, stranger_id


@pytest.mark.parametrize(
    ("today", "paid", "pay_day"),
    [
        (dt.date(2026, 12, 3), (2026, 11), dt.date(2026, 12, 2)),
        (dt.date(2026, 12, 20), (2026, 11), dt.date(2026, 12, 15)),
        (dt.date(2026, 12, 2), (2026, 11), dt.date(2026, 12, 1)),
        (dt.date(2027, 1, 5), (2026, 12), dt.date(2027, 1, 4)),
        # On the 1st no pay day of last month has passed: the month before, paid on the 15th.
        (dt.date(2027, 1, 1), (2026, 11), dt.date(2026, 12, 15)),
        (dt.date(2026, 3, 1), (2026, 1), dt.date(2026, 2, 15)),
    ],
)
def test_the_paid_month_has_its_pay_day_before_today(
    today: dt.date, paid: tuple[int, int], pay_day: dt.date
) -> None:
    y, m, day = paid_month(today)
    assert (y, m) == paid
    assert day == pay_day
    assert day < today


def test_the_live_days_end_today_with_yesterday_even_at_a_weekend() -> None:
    sunday = dt.date(2026, 12, 6)
    cal = demo_calendar(sunday, paid_limit=None, live_limit=None)
    assert (cal.year, cal.month) == (2026, 11)
    assert cal.live_days[-2:] == [dt.date(2026, 12, 5), sunday]
    assert cal.live_days[0] == dt.date(2026, 12, 1)
    assert all(d.weekday() < 5 for d in cal.paid_days)
    assert len(cal.paid_days) == 21  # November 2026's weekdays
    fast = demo_calendar(sunday, paid_limit=7, live_limit=3)
    assert fast.paid_days == cal.paid_days[:7]
    assert fast.live_days == [dt.date(2026, 12, 4), dt.date(2026, 12, 5), sunday]


@pytest.mark.parametrize("today", [dt.date(2026, 12, 3), dt.date(2026, 12, 7)])  # Thu, Mon
def test_someone_is_on_site_at_every_hour_and_nothing_is_planned_after_now(
    today: dt.date,
) -> None:
    cal = demo_calendar(today, paid_limit=7, live_limit=3)
    workers = make_workers(60, photo_people=[], month_start=cal.start)
    for minutes in range(0, 24 * 60, 20):
        now = dt.datetime(today.year, today.month, today.day, tzinfo=TZ) + dt.timedelta(
            minutes=minutes
        )
        plan = plan_month(
            workers, cal=cal, now=now, photo_for={}, stranger_photo=None,
            stranger_card=stranger_id(),
        )  # fmt: skip
        assert max(p.at for p in plan.passes) <= now
        inside = plan.inside_at_end()
        assert inside, f"nobody on site at {now:%H:%M}"
        # Inside means: came in within the last day and not out since.
        for key in inside:
            last_in = max(p.at for p in plan.passes if p.worker == key and p.gate == IN)
            assert now - last_in < dt.timedelta(hours=14), (key, now)
        if minutes == 15 * 60:  # mid-afternoon: the day shift is in, nobody has left yet
            assert len(inside) > 40
    assert plan.period == "2026-11"
    assert plan.staged.keys() >= {"id_card_expired", "left", "unknown_credential"}
