"""The 现场 board's view of a day roster (pure): narrowing by firm / team / trade, the lists the
tabs open and their counts, the day asked for, the gates that need a look, the chart's axis."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from server.errors import ValidationFailedError
from server.rosters import rules as roster_rules
from server.rosters import service as roster_service
from server.web import board as board_view
from server.web import charts
from server.web.queries import GateState

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 3, 18)


def _at(h: int, m: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, 18, h, m, tzinfo=TZ)


def _ref(wid: int, name: str, company: str, team: str, trade: str) -> roster_service.WorkerRef:
    return roster_service.WorkerRef(wid, name, "110101********0011", company, team, trade)


A = _ref(1, "阿强", "甲劳务", "钢筋班", "钢筋工")
B = _ref(2, "李四", "乙劳务", "木工班", "木工")
C = _ref(3, "王五", "乙劳务", "木工班", "木工")
D = _ref(4, "张伟", "甲劳务", "钢筋班", "钢筋工")


def _presence(ref: roster_service.WorkerRef, first_in: dt.datetime | None,
              last_out: dt.datetime | None, on_site: bool) -> roster_service.Presence:  # fmt: skip
    return roster_service.Presence(ref, first_in, last_out, 3600, roster_rules.DayStatus.ON_SITE,
                                   on_site, False, ())  # fmt: skip


def _board() -> roster_service.DailyRoster:
    a_in = _presence(A, _at(7), None, True)
    b_in = _presence(B, _at(8), None, True)
    d_left = _presence(D, _at(7, 30), _at(9), False)
    return roster_service.DailyRoster(
        project_id=1, project_code="P1", project_name="甲项目", timezone="Asia/Shanghai",
        day=DAY, now=_at(10), rule_notes=(), on_site=(a_in, b_in),
        by_group=(roster_service.GroupCount("甲劳务", "钢筋班", "钢筋工", 1),
                  roster_service.GroupCount("乙劳务", "木工班", "木工", 1)),
        present=(a_in, d_left, b_in), not_come=(C,),
        anomalies=(roster_service.Anomaly(B, roster_rules.SessionState.MISSING_IN, None, _at(6)),),
        refusals=(roster_service.Refusal(_at(8), "东门", roster_rules.Direction.IN, None, None,
                                         None, "未知", "unknown"),),
        corrections=(),
        hourly=((_at(8), 3), (_at(9), 2)),
        hourly_inside=(frozenset({1, 2, 4}), frozenset({1, 2})),
    )  # fmt: skip


class TestNarrow:
    def test_no_filter_is_the_board_itself(self) -> None:
        board = _board()
        assert board_view.narrow(board, board_view.BoardFilter()) is board

    def test_a_firm(self) -> None:
        b = board_view.narrow(_board(), board_view.BoardFilter.of("乙劳务", None, None))
        assert [p.worker.name for p in b.on_site] == ["李四"]
        assert [r.name for r in b.not_come] == ["王五"]
        assert [p.worker.name for p in b.present] == ["李四"]
        assert len(b.anomalies) == 1
        assert b.refusals == ()  # an unknown person belongs to no firm
        assert [(g.company_name, g.on_site) for g in b.by_group] == [("乙劳务", 1)]
        assert [n for _, n in b.hourly] == [1, 1]  # the curve is the firm's own

    def test_team_and_trade_combine(self) -> None:
        f = board_view.BoardFilter.of(" 甲劳务 ", "钢筋班", "钢筋工")
        b = board_view.narrow(_board(), f)
        assert [p.worker.name for p in b.present] == ["阿强", "张伟"]
        assert f.query() == {"company": "甲劳务", "team": "钢筋班", "trade": "钢筋工"}


class TestListsAndCounts:
    def test_counts_match_the_lists(self) -> None:
        board = _board()
        counts = board_view.counts(board)
        assert (counts.on_site, counts.arrived, counts.left, counts.not_come, counts.anomalies) == (
            2, 3, 1, 1, 2
        )  # fmt: skip
        assert len(board_view.arrived(board)) == counts.arrived
        assert [p.worker.name for p in board_view.left(board)] == ["张伟"]

    def test_choices_are_the_days_firms_teams_trades(self) -> None:
        c = board_view.choices(_board())
        assert c.companies == ["乙劳务", "甲劳务"]
        assert c.teams == ["木工班", "钢筋班"]
        assert c.trades == ["木工", "钢筋工"]

    def test_an_unknown_tab_opens_the_first(self) -> None:
        assert board_view.BoardList.of("left") is board_view.BoardList.LEFT
        assert board_view.BoardList.of("<script>") is board_view.BoardList.ON_SITE


class TestDay:
    def test_days(self) -> None:
        assert board_view.parse_day(None, DAY) == DAY
        assert board_view.parse_day(" ", DAY) == DAY
        assert board_view.parse_day("2026-03-01", DAY) == dt.date(2026, 3, 1)

    @pytest.mark.parametrize(("raw", "code"), [("2026-03-19", "board.future_day"),
                                               ("18/03/2026", "board.bad_day")])  # fmt: skip
    def test_future_or_bad(self, raw: str, code: str) -> None:
        with pytest.raises(ValidationFailedError) as err:
            board_view.parse_day(raw, DAY)
        assert err.value.code == code


def _gate(**kw: Any) -> GateState:
    device = SimpleNamespace(active=True, clock_skew_ms=0, queue_depth=0)
    for k in ("online", "seen"):
        kw.setdefault(k, True)
    device.__dict__.update({k: v for k, v in kw.items() if k not in ("online", "seen")})
    return GateState(cast(Any, device), kw["online"], kw["seen"])


def test_gate_problems() -> None:
    gates = [_gate(), _gate(online=False), _gate(online=False, seen=False),
             _gate(clock_skew_ms=-90_000), _gate(queue_depth=80),
             _gate(online=False, active=False)]  # fmt: skip
    why = [w for _, w in board_view.gate_problems(gates)]
    assert why == [["now.problem.offline"], ["now.problem.never_seen"], ["now.problem.skew"],
                   ["now.problem.queue"]]  # fmt: skip


@pytest.mark.parametrize(("top", "axis"), [(0, 4), (1, 4), (3, 4), (5, 8), (37, 40), (100, 100)])
def test_the_axis_of_people_has_whole_steps(top: int, axis: float) -> None:
    assert charts.whole_max(top) == axis
    chart = charts.line_chart([0, 1], [0, float(top)], x_range=(0, 24), x_labels=[],
                              titles=["", ""], whole=True)  # fmt: skip
    labels = [g.label for g in chart.grid]
    assert all(label.isdigit() for label in labels), labels
