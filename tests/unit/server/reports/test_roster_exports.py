"""roster_xlsx / roster_csv on a MonthRoster built from the pure rules: layout, marks, totals."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from models.enums import AssignmentStatus, Direction, WageKind
from server.ingest.checkpoints import GateAnchor, LatestCheckpoint
from server.reports import roster_csv, roster_xlsx
from server.rosters import rules as roster_rules
from server.rosters import service as roster_service

SH = ZoneInfo("Asia/Shanghai")


def _at(day: int, hh: int) -> dt.datetime:
    return dt.datetime(2026, 10, day, hh, tzinfo=SH)


def _roster() -> roster_service.MonthRoster:
    settings = roster_rules.RosterSettings()
    events = [
        roster_rules.AttendanceEvent(1, 1, Direction.IN, _at(1, 8)),
        roster_rules.AttendanceEvent(2, 1, Direction.OUT, _at(1, 17)),
        roster_rules.AttendanceEvent(3, 2, Direction.IN, _at(2, 8)),
    ]
    fix = roster_rules.Correction(2, _at(2, 11), Direction.OUT, "闸机故障", "经理", 9)
    assignments = {
        1: roster_rules.AssignmentDates(dt.date(2026, 9, 1)),
        2: roster_rules.AssignmentDates(dt.date(2026, 10, 2), dt.date(2026, 10, 20)),
    }
    months = roster_rules.roster_month(2026, 10, events, [fix], assignments, settings=settings)
    rows = tuple(
        roster_service.RosterRow(
            assignment_id=wid, worker_id=wid, name=name, id_number_masked="110101********1234",
            id_number="", company_id=wid, company_name=company, team_id=None, team_name="-",
            trade="木工", wage_kind=WageKind.DAILY, wage_rate_fen=30000,
            status=AssignmentStatus.ACTIVE, entered_on=assignments[wid].entered_on,
            left_on=assignments[wid].left_on, bank_card=None, month=months[wid],
        )
        for wid, name, company in ((1, "甲", "一公司"), (2, "乙", "二公司:劳务"))
    )  # fmt: skip
    record = roster_service.CorrectionRecord(
        9, 2, "乙", _at(2, 11), Direction.OUT, "闸机故障", "经理", None
    )
    return roster_service.MonthRoster(
        project_id=1, project_code="P1", project_name="测试项目", timezone="Asia/Shanghai",
        period="2026-10", year=2026, month=10, settings=settings,
        rule_notes=settings.rule_notes(), rows=rows, corrections=(record,),
    )  # fmt: skip


class TestMonthXlsx:
    def test_single_sheet_layout(self) -> None:
        wb = load_workbook(io.BytesIO(roster_xlsx.month_xlsx(_roster())))
        assert len(wb.sheetnames) == 1
        ws = wb.active
        assert ws is not None
        assert ws["A1"].value == "测试项目 2026年10月 考勤表"
        assert ws.cell(row=5, column=9).value == 1
        assert ws.cell(row=6, column=9).value == "四"
        assert ws.cell(row=7, column=9).value == "√"  # 甲, Oct 1
        assert ws.cell(row=8, column=9).value == "-"  # 乙 had not entered yet
        assert ws.cell(row=8, column=10).value == "½"  # 乙, Oct 2, on the correction
        assert ws.cell(row=8, column=10).fill.fgColor.rgb.endswith("FFF2CC")
        assert ws.cell(row=8, column=8 + 31 + 3).value == 1  # corrected days
        assert ws.cell(row=9, column=8 + 31 + 1).value == 1.5  # total days
        texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
        assert any("闸机故障" in t for t in texts)
        assert any("班组长签字" in t for t in texts)
        assert ws.page_setup.fitToWidth == 1
        assert ws.print_title_rows == "$5:$6"

    def test_per_company_sheet_names_are_valid(self) -> None:
        wb = load_workbook(io.BytesIO(roster_xlsx.month_xlsx(_roster(), per_company=True)))
        assert wb.sheetnames == ["一公司", "二公司_劳务"]
        assert wb["二公司_劳务"].cell(row=7, column=2).value == "乙"


class TestMonthCsv:
    def test_bom_header_and_marks(self) -> None:
        data = roster_csv.month_csv(_roster())
        assert data.startswith(b"\xef\xbb\xbf")
        header, first, second = data.decode("utf-8-sig").splitlines()
        assert header.split(",")[8] == "1"
        assert header.endswith("异常 Anomalies")
        assert first.split(",")[8] == "√"
        assert second.split(",")[9] == "½"


class TestGateAnchors:
    """The signed 考勤表 prints each gate's key fingerprint and the month's last checkpoint
    (issue 13), above the signature lines and inside the print area."""

    GATES = (
        GateAnchor(
            code="GATE-A-IN",
            name="1号门 进",
            key_fingerprint="0123456789abcdef",
            last=LatestCheckpoint(
                seq=812,
                to_seq=811,
                day="2026-10-31",
                status="verified",
                hash="9" * 64,
                records_root="ab" * 32,
            ),
        ),
        GateAnchor(code="GATE-B-OUT", name="", key_fingerprint="", last=None),
    )

    def _texts(self, ws: Worksheet) -> list[str]:
        return [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]

    def test_each_gate_above_the_signatures(self) -> None:
        wb = load_workbook(io.BytesIO(roster_xlsx.month_xlsx(_roster(), gates=self.GATES)))
        ws = wb.active
        assert ws is not None
        texts = self._texts(ws)
        first = next(t for t in texts if t.startswith("GATE-A-IN"))
        assert "1号门 进" in first
        assert "密钥指纹 / key fingerprint: 0123456789abcdef" in first
        assert "#812 2026-10-31" in first
        assert f"记录树根 / records root: {'ab' * 8}…" in first
        second = next(t for t in texts if t.startswith("GATE-B-OUT"))
        assert "未注册 / not provisioned" in second
        assert "本月无检查点 / no checkpoint this month" in second
        signature = next(t for t in texts if t.startswith("班组长签字"))
        assert texts.index(first) < texts.index(signature)
        assert any("sitegate edge status" in t for t in texts)
        # printed: the print area runs to the signatures, past the gate lines
        rows = {str(c.value): c.row for row in ws.iter_rows() for c in row if c.value is not None}
        end = int(str(ws.print_area).rsplit("$", 1)[-1])
        assert rows[first] < rows[signature] <= end

    def test_every_company_sheet_has_them(self) -> None:
        body = roster_xlsx.month_xlsx(_roster(), per_company=True, gates=self.GATES)
        for ws in load_workbook(io.BytesIO(body)).worksheets:
            assert any(t.startswith("GATE-A-IN") for t in self._texts(ws)), ws.title
