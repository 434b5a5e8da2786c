"""daily_xlsx on a hand-built DailyRoster: four sheets, merged title, bilingual frozen header,
real local date-time cells, widths, print setup, and every anomaly class with its zh/en text."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from models.enums import DenyReason, Direction
from server.reports import daily_xlsx
from server.rosters import rules as roster_rules
from server.rosters import service as roster_service

SH = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 10, 9)


def _at(hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, 10, 9, hh, mm, tzinfo=SH).astimezone(dt.UTC)


def _ref(wid: int, name: str, team: str = "钢筋班") -> roster_service.WorkerRef:
    return roster_service.WorkerRef(wid, name, "110101********1234", "一公司", team, "钢筋工")


def _session(
    wid: int,
    state: roster_rules.SessionState,
    in_at: dt.datetime | None,
    out_at: dt.datetime | None,
) -> roster_rules.Session:
    return roster_rules.Session(wid, DAY, state, in_at, out_at, out_at, 3600, False, False, ())


def _board() -> roster_service.DailyRoster:
    a, b, c = _ref(1, "王钢筋"), _ref(2, "李\x07混凝土", "混凝土班"), _ref(3, "赵未到")
    closed = _session(1, roster_rules.SessionState.CLOSED, _at(8), _at(17, 30))
    open_ = _session(2, roster_rules.SessionState.MISSING_OUT, _at(7, 50), None)
    present = (
        roster_service.Presence(a, _at(8), _at(17, 30), 34200, roster_rules.DayStatus.FULL,
                                False, False, (closed,)),
        roster_service.Presence(b, _at(7, 50), None, 7200, roster_rules.DayStatus.ANOMALY,
                                True, True, (open_,)),
    )  # fmt: skip
    on_site = (
        roster_service.Presence(b, _at(7, 50), None, 7200, roster_rules.DayStatus.ON_SITE,
                                True, True, (open_,)),
    )  # fmt: skip
    settings = roster_rules.RosterSettings()
    return roster_service.DailyRoster(
        project_id=1, project_code="P1", project_name="滨江花园项目", timezone="Asia/Shanghai",
        day=DAY, now=_at(18), rule_notes=settings.rule_notes(), on_site=on_site,
        by_group=(roster_service.GroupCount("一公司", "混凝土班", "钢筋工", 1),),
        present=present, not_come=(c,),
        anomalies=(roster_service.Anomaly(b, roster_rules.SessionState.MISSING_OUT, _at(7, 50),
                                          None),),
        refusals=(roster_service.Refusal(_at(7, 40), "东门", Direction.IN, a, "id_card",
                                         DenyReason.NO_SAFETY_TRAINING, "未完成安全教育",
                                         "no safety training"),),
        corrections=(roster_service.CorrectionRecord(9, 2, "李混凝土", _at(12), Direction.OUT,
                                                     "闸机故障", "张经理", None),),
        hourly=(),
        confirmations=(roster_service.Confirmation(_at(8, 5), "东门", Direction.IN, c, 4,
                                                   "张经理"),),
    )  # fmt: skip


def _wb() -> list[Worksheet]:
    wb = load_workbook(io.BytesIO(daily_xlsx.daily_xlsx(_board())))
    return [ws for ws in wb.worksheets if isinstance(ws, Worksheet)]


def test_sheets_title_header_print() -> None:
    sheets = _wb()
    assert [ws.title for ws in sheets] == [
        "在场 On site", "进出记录 Arrivals and departures", "未到 Not come", "异常 Anomalies"
    ]  # fmt: skip
    for ws in sheets:
        assert str(ws["A1"].value).startswith("滨江花园项目 2026-10-09 当日考勤")
        assert any(str(r).startswith("A1:") for r in ws.merged_cells.ranges)
        assert "Asia/Shanghai" in str(ws["A2"].value)
        assert ws["A3"].value  # rule notes
        assert ws.freeze_panes == "A6"
        assert ws.print_title_rows == "$5:$5"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert sheets[1]["B5"].value == "姓名\nName"


def test_on_site_and_arrivals_cells() -> None:
    on_site, arrivals, not_come, _ = _wb()
    assert on_site["E6"].value == "李混凝土"  # control character stripped
    assert on_site["G6"].value == dt.datetime(2026, 10, 9, 7, 50)  # noqa: DTZ001 - local wall time
    assert on_site["G6"].number_format == "yyyy-mm-dd hh:mm"
    assert on_site.column_dimensions["F"].width == 20
    texts = [c.value for row in on_site.iter_rows(min_row=7) for c in row if c.value]
    assert "混凝土班" in texts
    row = [c.value for c in arrivals[6]]
    assert row[1] == "王钢筋"
    assert row[2] == "110101********1234"
    assert row[6] == dt.datetime(2026, 10, 9, 8, 0)  # noqa: DTZ001
    assert row[7] == dt.datetime(2026, 10, 9, 17, 30)  # noqa: DTZ001
    assert row[8] == 9.5
    assert row[9] == "全天 full day"
    second = [c.value for c in arrivals[7]]
    assert second[7] is None
    assert second[10] == "是 yes"
    assert second[12] == "缺出场记录 missing OUT"
    assert not_come["B6"].value == "赵未到"


def test_anomalies_every_class() -> None:
    ws = _wb()[3]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=6)]
    kinds = [r[0] for r in rows]
    assert kinds == ["缺卡 missing punch", "拒绝 refused", "补卡 correction",
                     "管理人员确认 confirmed pass"]  # fmt: skip
    missing, refused, fix, confirmed = rows
    assert missing[9:11] == ["缺出场记录", "missing OUT"]
    assert refused[9:11] == ["未完成安全教育", "no safety training"]
    assert refused[7] == "东门"
    assert refused[11] == "身份证 ID card"
    assert fix[9] == "闸机故障"
    assert fix[11] == "补卡人 by: 张经理"
    assert confirmed[11] == "确认人 confirmer: 张经理"
    assert isinstance(confirmed[1], dt.datetime)


def test_empty_day() -> None:
    board = _board()
    empty = roster_service.DailyRoster(
        project_id=1, project_code="P1", project_name="空项目", timezone="Asia/Shanghai",
        day=DAY, now=_at(9), rule_notes=board.rule_notes, on_site=(), by_group=(), present=(),
        not_come=(), anomalies=(), refusals=(), corrections=(), hourly=(),
    )  # fmt: skip
    wb = load_workbook(io.BytesIO(daily_xlsx.daily_xlsx(empty)))
    assert all(ws["A6"].value == "无 / none" for ws in wb.worksheets)
