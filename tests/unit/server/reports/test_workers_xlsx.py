"""workers_xlsx: the import template's columns, text cells for long digit strings, real dates,
the masked banner, and a full export the importer parses back without a single issue."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from models.enums import WageKind
from server.registry import importer
from server.reports import workers_xlsx
from tests.factories import make_id_number

ID = make_id_number()
CARD = "6222020200112233446"


def _line(**kw: object) -> workers_xlsx.WorkerLine:
    values: dict[str, object] = {
        "name": "王钢筋",
        "id_number": ID,
        "phone": "13800138000",
        "bank_card": CARD,
        "bank_name": "工商银行",
        "company": "某劳务公司",
        "team": "钢筋一班",
        "trade": "钢筋工",
        "wage_kind": WageKind.DAILY,
        "wage_rate_fen": 35050,
        "contract_signed_on": dt.date(2026, 3, 1),
        "safety_trained_on": dt.date(2026, 3, 2),
        "entered_on": dt.date(2026, 3, 3),
        "card_uid": "00A1B2C3",
    }
    values.update(kw)
    return workers_xlsx.WorkerLine(**values)  # type: ignore[arg-type]


def _export(*lines: workers_xlsx.WorkerLine, full: bool = True) -> workers_xlsx.WorkerExport:
    return workers_xlsx.WorkerExport(
        project_code="P1",
        project_name="滨江花园项目",
        timezone="Asia/Shanghai",
        exported_at=dt.datetime(2026, 10, 9, 2, 30, tzinfo=dt.UTC),
        full=full,
        filters="",
        lines=lines or (_line(),),
    )


def _sheet(data: bytes, index: int = 0) -> Worksheet:
    ws = load_workbook(io.BytesIO(data)).worksheets[index]
    assert isinstance(ws, Worksheet)
    return ws


class TestFull:
    def test_header_is_the_templates(self) -> None:
        ws = _sheet(workers_xlsx.workers_xlsx(_export()))
        template = _sheet(importer.template_xlsx())
        assert ws.title == "花名册"
        header = [c.value for c in ws[1]]
        assert header == [c.value for c in template[1]]
        assert header == [c.header_zh for c in importer.COLUMNS]
        comment = ws["A1"].comment
        assert comment is not None
        assert comment.text == "Name"
        assert ws.freeze_panes == "A2"

    def test_cells_types_and_formats(self) -> None:
        ws = _sheet(workers_xlsx.workers_xlsx(_export()))
        col = {c.name: j for j, c in enumerate(importer.COLUMNS, 1)}
        row = {name: ws.cell(row=2, column=j) for name, j in col.items()}
        for name in ("id_number", "phone", "bank_card", "card_uid"):
            assert row[name].data_type == "s", name
            assert row[name].number_format == "@", name
        assert row["id_number"].value == ID
        assert row["bank_card"].value == CARD
        assert row["entered_on"].value == dt.datetime(2026, 3, 3)  # noqa: DTZ001 - a real date cell, naive in Excel
        assert row["entered_on"].number_format == "yyyy-mm-dd"
        assert row["wage_rate"].value == 350.5
        assert row["wage_rate"].number_format == "0.00"
        assert row["wage_kind"].value == "日薪"
        assert ws.column_dimensions["B"].width == 21
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1

    def test_reimports_without_issues(self) -> None:
        lines = (
            _line(),
            _line(name="李\x07四", id_number=make_id_number(), card_uid=None, team=None,
                  company=None, phone=None, bank_card=None, bank_name="", trade="",
                  wage_kind=WageKind.PIECE, wage_rate_fen=0, entered_on=None),
        )  # fmt: skip
        parsed = importer.parse_roster_file(workers_xlsx.workers_xlsx(_export(*lines)), "x.xlsx")
        assert parsed.errors == []
        assert parsed.warnings == []
        assert parsed.header_row == 1
        first, second = parsed.rows
        assert (first.id_number, first.bank_card, first.card_uid) == (ID, CARD, "00A1B2C3")
        assert first.wage_rate_fen == 35050
        assert first.entered_on == dt.date(2026, 3, 3)
        assert second.name == "李四"  # the control character is stripped, not an error
        assert second.company is None
        assert second.trade is None

    def test_notes_sheet(self) -> None:
        data = workers_xlsx.workers_xlsx(_export(_line(extra_cards=2)))
        notes = _sheet(data, 1)
        assert notes.title == "说明 Notes"
        assert notes["B2"].value == dt.datetime(2026, 10, 9, 10, 30)  # noqa: DTZ001 - local, naive in Excel
        assert notes["B2"].number_format == "yyyy-mm-dd hh:mm"
        assert notes["B3"].value == 1
        text = " ".join(str(c.value) for c in notes["B"])
        assert "王钢筋 (+2)" in text


class TestMasked:
    def test_banner_and_not_importable(self) -> None:
        line = _line(id_number="110101********1234", bank_card="6222***********3446")
        data = workers_xlsx.workers_xlsx(_export(line, full=False))
        ws = _sheet(data)
        assert "不能重新导入" in str(ws["A1"].value)
        assert "cannot be re-imported" in str(ws["A1"].value)
        assert "A1:P1" in {str(r) for r in ws.merged_cells.ranges}  # across all 16 columns
        assert [c.value for c in ws[2]] == [c.header_zh for c in importer.COLUMNS]
        assert ws.freeze_panes == "A3"
        parsed = importer.parse_roster_file(data, "x.xlsx")
        assert parsed.rows == []
        assert {e.field for e in parsed.errors} == {"id_number", "bank_card"}
        assert "否 no" in str(_sheet(data, 1)["B5"].value)
