from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from models.enums import WageKind
from models.ids import resident_id_check_char
from server.registry import importer
from server.registry.importer import CellError, RosterFileError, parse_grid, parse_roster_file

ID1 = "11010119850601" + "003"
ID1 += resident_id_check_char(ID1)
ID2 = "44030119900101" + "002"
ID2 += resident_id_check_char(ID2)
BAD_ID = ID1[:17] + ("0" if ID1[17] != "0" else "1")


class TestHeaders:
    @pytest.mark.parametrize(
        ("header", "field"),
        [
            ("姓名", "name"),
            ("  身份证号码 ", "id_number"),
            ("*身份证号", "id_number"),
            ("工资标准（元）", "wage_rate"),
            ("工资标准", "wage_rate"),
            ("Wage rate (yuan)", "wage_rate"),
            ("单位", "company"),
            ("所属企业", "company"),
            ("IC卡号", "card_uid"),
            ("ID Number", "id_number"),
        ],
    )
    def test_aliases(self, header: str, field: str) -> None:
        result = parse_grid([[header, "姓名", "身份证号"]])
        assert result.errors == []
        assert result.header_row == 1
        assert importer._HEADER_INDEX[importer.normalise_header(header)] == field

    def test_missing_required_column(self) -> None:
        result = parse_grid([["姓名", "手机号"], ["张三", "13800138000"]])
        assert [e.code for e in result.errors] == ["roster.missing_column"]
        assert "身份证号" in result.errors[0].message_zh


class TestRows:
    def test_row_numbers_columns_and_reasons(self) -> None:
        grid: list[list[importer.Cell]] = [
            ["姓名", "身份证号", "工资方式", "工资标准(元)", "进场日期"],
            ["张三", ID1, "日薪", "300", "2026-03-01"],
            [],
            ["李四", BAD_ID, "年薪", "-5", "2026-02-30"],
        ]
        result = parse_grid(grid)
        assert [r.row_number for r in result.rows] == [2]
        assert [(e.row, e.column, e.header) for e in result.errors] == [
            (4, "B", "身份证号"),
            (4, "C", "工资方式"),
            (4, "D", "工资标准(元)"),
            (4, "E", "进场日期"),
        ]
        assert str(result.errors[0]).startswith("第 4 行 B 列「身份证号」")
        assert result.data_rows == 2

    def test_values_parsed(self) -> None:
        grid: list[list[importer.Cell]] = [
            ["姓名", "身份证号", "手机号", "工资方式", "工资标准", "合同签订日期", "IC卡号"],
            [" 王 五 ", ID1.lower(), "+86 139 0013 9000", "计件", 12.3, 46082.0, "04:a1:b2:c3"],
        ]
        row = parse_grid(grid).rows[0]
        assert row.name == "王 五"
        assert row.id_number == ID1.upper()
        assert row.phone == "13900139000"
        assert row.wage_kind == WageKind.PIECE
        assert row.wage_rate_fen == 1230
        assert row.contract_signed_on == dt.date(2026, 3, 1)
        assert row.card_uid == "04A1B2C3"

    def test_id_number_stored_as_number_is_refused(self) -> None:
        grid: list[list[importer.Cell]] = [["姓名", "身份证号"], ["张三", 1.10101198506e17]]
        result = parse_grid(grid)
        assert result.errors[0].code == "roster.number_cell"

    def test_duplicate_id_in_file(self) -> None:
        grid: list[list[importer.Cell]] = [["姓名", "身份证号"], ["a", ID1], ["b", ID2], ["c", ID1]]
        result = parse_grid(grid)
        assert [(e.row, e.code) for e in result.errors] == [(4, "roster.duplicate_worker")]
        assert "第 2 行" in result.errors[0].message_zh

    def test_luhn_failure_is_a_warning(self) -> None:
        grid: list[list[importer.Cell]] = [
            ["姓名", "身份证号", "银行卡号"],
            ["a", ID1, "6222020200112233445"],
        ]
        result = parse_grid(grid)
        assert result.errors == []
        assert [w.code for w in result.warnings] == ["roster.card_luhn"]
        assert len(result.rows) == 1


class TestFiles:
    def test_encodings(self) -> None:
        text = f"姓名,身份证号\r\n张三,{ID1}\r\n"
        for enc in ("utf-8", "utf-8-sig", "gbk"):
            result = parse_roster_file(text.encode(enc), "r.csv")
            assert [r.name for r in result.rows] == ["张三"], enc

    def test_tab_separated(self) -> None:
        result = parse_roster_file(f"姓名\t身份证号\n张三\t{ID1}\n".encode(), "r.txt")
        assert len(result.rows) == 1

    @pytest.mark.parametrize(
        ("data", "name"), [(b"", "r.csv"), (b"junk", "r.xlsx"), (b"\xd0\xcf\x11\xe0", "r.xls")]
    )
    def test_unreadable(self, data: bytes, name: str) -> None:
        with pytest.raises(RosterFileError):
            parse_roster_file(data, name)

    def test_template_round_trip(self) -> None:
        for english in (False, True):
            data = importer.template_xlsx(english=english)
            wb = load_workbook(io.BytesIO(data), read_only=True)
            headers = next(wb.worksheets[0].iter_rows(values_only=True))
            wb.close()
            assert len(headers) == len(importer.COLUMNS)
            result = parse_roster_file(data, "t.xlsx")
            assert result.errors == []
            assert result.header_row == 1


class TestCells:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [("2026-03-01", dt.date(2026, 3, 1)), ("2026年3月1日", dt.date(2026, 3, 1)),
         ("20260301", dt.date(2026, 3, 1)), (dt.datetime(2026, 3, 1, 8, 0), dt.date(2026, 3, 1))],  # noqa: DTZ001 - as openpyxl gives
    )  # fmt: skip
    def test_dates(self, value: importer.Cell, expected: dt.date) -> None:
        assert importer.parse_date_cell(value) == expected

    def test_text_guard_unwrapped(self) -> None:
        assert importer.text_of('="0123"') == "0123"
        assert importer.text_of("'6222") == "6222"

    def test_rate_too_precise(self) -> None:
        with pytest.raises(CellError):
            importer.parse_rate_cell("1.234")
