"""Payroll file parsers: cells, CSV encodings, XLSX cells, bank layouts, issues, template."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from pydantic import ValidationError

from models.ids import resident_id_check_char
from models.money import format_yuan
from server.payroll.parsers import (
    CANONICAL,
    BankLayout,
    PayrollFileError,
    TransferStatus,
    cells,
    fingerprint,
    load_layouts,
    parse_payroll_file,
    parse_period,
    template_csv_bytes,
    template_xlsx_bytes,
    write_templates,
)
from server.payroll.parsers.cells import CellError
from server.payroll.parsers.layout import BankLayoutFile

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "payroll"
HEADER_ZH = (
    "姓名,身份证号,银行卡号,开户银行,应发金额,实发金额,出勤天数,工资所属期,发放日期,发放状态"
)
HEADER_EN = "name,id_number,bank_card,bank,gross_amount,net_amount,days,period,paid_on,status"
XLSX_DATETIME = dt.datetime(2026, 10, 9, 8)  # noqa: DTZ001 - XLSX date cells are naive
CARD = "6222020200112233446"  # Luhn-valid


def idn(n: int) -> str:
    first17 = f"11010519900101{n:03d}"
    return first17 + resident_id_check_char(first17)


def csv_bytes(*rows: str, header: str = HEADER_ZH, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join((header, *rows)) + "\r\n").encode(encoding)


GOOD_ROW = f'张三,{idn(1)},{CARD},工商银行,"7,000.00",6800.50,20,2026年10月,2026-11-14,成功'
GOOD_ROW_CELLS = [
    "张三", idn(1), CARD, "工商银行", 7000, 6800.5, 20, "2026-10", "2026-11-14", "成功",
]  # fmt: skip


class TestTextOf:
    @pytest.mark.parametrize(
        ("value", "text"),
        [(None, ""), ("  张三 ", "张三"), ('="0123456"', "0123456"), ("'6222", "6222"),
         (12.0, "12"), ("\u3000李四", "李四")],
    )  # fmt: skip
    def test_unwraps(self, value: cells.Cell, text: str) -> None:
        assert cells.text_of(value) == text


class TestParseAmount:
    def _p(self, value: cells.Cell) -> int:
        return cells.parse_amount(value, label_zh="实发金额", label_en="net amount")

    @pytest.mark.parametrize(
        ("value", "fen"),
        [("7,000.00", 700_000), ("¥1,234.5", 123_450), ("88元", 8_800), (6800.5, 680_050),
         (100, 10_000), (Decimal("0.01"), 1), ("0", 0), ("1，234.00", 123_400)],
    )  # fmt: skip
    def test_valid(self, value: cells.Cell, fen: int) -> None:
        assert self._p(value) == fen

    @pytest.mark.parametrize(
        ("value", "code"),
        [("100.001", "payroll.bad_amount"), (0.30000000000000004, "payroll.bad_amount"),
         ("abc", "payroll.bad_amount"), ("-5", "payroll.negative_amount"),
         ("", "payroll.missing_amount"), (True, "payroll.bad_amount")],
    )  # fmt: skip
    def test_invalid(self, value: cells.Cell, code: str) -> None:
        with pytest.raises(CellError) as err:
            self._p(value)
        assert err.value.code == code

    @given(st.integers(min_value=0, max_value=10**12))
    def test_text_round_trip(self, fen: int) -> None:
        assert self._p(format_yuan(fen)) == fen

    @given(st.integers(min_value=0, max_value=10**12))
    def test_xlsx_float_round_trip(self, fen: int) -> None:
        # A yuan amount stored by Excel as a double must come back to the same fen.
        assert self._p(fen / 100) == fen


class TestIdAndCard:
    def test_id_ok_and_lowercase_x(self) -> None:
        assert cells.parse_id_number(idn(1)) == idn(1)

    @pytest.mark.parametrize("number", ["USA119001010101", "911840198808080012"])
    def test_foreigners_permanent_residence_numbers_are_accepted(self, number: str) -> None:
        # 2017 and 2023 editions: a foreigner paid by 代发 must match the registry's number.
        assert cells.parse_id_number(number.lower()) == number

    def test_foreigners_number_with_a_wrong_check_digit_is_refused(self) -> None:
        with pytest.raises(CellError, match="校验位"):
            cells.parse_id_number("911840198808080013")

    def test_id_stored_as_number_refused(self) -> None:
        with pytest.raises(CellError, match="文本"):
            cells.parse_id_number(float(idn(1)[:17] + "1"))

    def test_id_in_scientific_notation(self) -> None:
        with pytest.raises(CellError, match="科学计数法"):
            cells.parse_id_number("1.10105E+17")

    def test_card_as_int_up_to_15_digits_ok(self) -> None:
        assert cells.parse_card(622202020011223) == "622202020011223"

    def test_card_bad(self) -> None:
        with pytest.raises(CellError) as err:
            cells.parse_card("12ab")
        assert err.value.code == "payroll.bad_bank_card"


class TestPeriodAndDates:
    @pytest.mark.parametrize(
        "value", ["2026年10月", "2026年10月份", "202610", "2026-10", "2026/10", "2026.10",
                  "2026-10-01", dt.date(2026, 10, 9), XLSX_DATETIME],
    )  # fmt: skip
    def test_period_formats(self, value: cells.Cell) -> None:
        assert cells.parse_period_cell(value) == "2026-10"

    @pytest.mark.parametrize("value", ["202613", "2026年", "10月", "abc"])
    def test_bad_period(self, value: str) -> None:
        with pytest.raises(CellError):
            cells.parse_period_cell(value)

    def test_parse_period_helper(self) -> None:
        assert parse_period("2026年1月") == dt.date(2026, 1, 1)

    @pytest.mark.parametrize(
        "value", ["2026-11-14", "2026/11/14", "2026年11月14日", "20261114",
                  "2026-11-14 10:20:00", XLSX_DATETIME.replace(month=11, day=14), 46340],
    )  # fmt: skip
    def test_dates(self, value: cells.Cell) -> None:
        assert cells.parse_date_cell(value) == dt.date(2026, 11, 14)

    def test_impossible_date(self) -> None:
        with pytest.raises(CellError):
            cells.parse_date_cell("2026-11-31")


class TestParseStatus:
    @pytest.mark.parametrize(
        ("word", "status"),
        [("成功", TransferStatus.SUCCESS), ("Success", TransferStatus.SUCCESS),
         ("失败", TransferStatus.FAILED), ("退汇", TransferStatus.RETURNED),
         ("returned", TransferStatus.RETURNED)],
    )  # fmt: skip
    def test_words(self, word: str, status: TransferStatus) -> None:
        assert cells.parse_status(word, cells.status_lookup()) is status

    def test_unknown(self) -> None:
        with pytest.raises(CellError):
            cells.parse_status("处理中", cells.status_lookup())


class TestParseCsv:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
    def test_encodings(self, encoding: str) -> None:
        result = parse_payroll_file(csv_bytes(GOOD_ROW, encoding=encoding), filename="x.csv")
        assert result.errors == ()
        (row,) = result.rows
        assert (row.name, row.id_number, row.bank_card) == ("张三", idn(1), CARD)
        assert (row.gross_fen, row.net_fen, row.days) == (700_000, 680_050, 20.0)
        assert (row.period, row.paid_on) == ("2026-10", dt.date(2026, 11, 14))
        assert row.status is TransferStatus.SUCCESS
        assert row.row_number == 2

    def test_english_headers_and_tabs(self) -> None:
        data = csv_bytes(
            GOOD_ROW.replace(",", "\t").replace('"7\t000.00"', "7000"),
            header=HEADER_EN.replace(",", "\t"),
        )
        result = parse_payroll_file(data)
        assert result.errors == ()
        assert result.rows[0].gross_fen == 700_000

    def test_bad_rows_report_row_column_and_reason(self) -> None:
        bad = f"李四,{idn(2)[:-1]}0,{CARD},,100,100.001,21.3,202613,2026-11-31,处理中"
        result = parse_payroll_file(csv_bytes(GOOD_ROW, bad))
        assert len(result.rows) == 1
        where = {(e.row, e.column, e.header) for e in result.errors}
        assert where == {
            (3, "B", "身份证号"), (3, "F", "实发金额"), (3, "G", "出勤天数"),
            (3, "H", "工资所属期"), (3, "I", "发放日期"), (3, "J", "发放状态"),
        }  # fmt: skip
        text = str(result.errors[0])
        assert text.startswith("第 3 行 B 列 身份证号:")
        assert "row 3, column B (身份证号)" in text
        assert idn(2)[6:14] not in text  # masked

    def test_warnings_keep_the_row(self) -> None:
        row = "王五,,6222020200112233445,,5000,5000.00,,2026-10,,失败"  # Luhn fails
        result = parse_payroll_file(csv_bytes(row))
        assert result.errors == ()
        (r,) = result.rows
        assert r.id_number is None
        assert (r.gross_fen, r.days, r.paid_on) == (500_000, None, None)
        assert {w.code for w in result.warnings} == {
            "payroll.missing_id_number",
            "payroll.card_luhn",
        }

    def test_net_above_gross_warning(self) -> None:
        row = GOOD_ROW.replace('"7,000.00"', "100")
        assert [w.code for w in parse_payroll_file(csv_bytes(row)).warnings] == [
            "payroll.net_above_gross"
        ]

    def test_duplicate_rows_warned(self) -> None:
        result = parse_payroll_file(csv_bytes(GOOD_ROW, GOOD_ROW))
        assert len(result.rows) == 2
        (dup,) = result.warnings
        assert (dup.code, dup.row) == ("payroll.duplicate_row", 3)

    def test_blank_and_total_rows(self) -> None:
        result = parse_payroll_file(csv_bytes(GOOD_ROW, ",,,,,,,,,", "合计,,,,,6800.50,,,,"))
        assert len(result.rows) == 1
        assert [(w.code, w.row) for w in result.warnings] == [("payroll.total_row_skipped", 4)]

    def test_missing_required_column_is_reported_not_raised(self) -> None:
        header = HEADER_ZH.replace(",实发金额", "")
        result = parse_payroll_file(csv_bytes("张三", header=header))
        assert result.rows == ()
        assert [(e.code, e.field, e.row) for e in result.errors] == [
            ("payroll.missing_column", "net_amount", 1)
        ]

    def test_default_period_when_column_absent(self) -> None:
        header = HEADER_ZH.replace(",工资所属期", "")
        row = GOOD_ROW.replace(",2026年10月", "")
        result = parse_payroll_file(csv_bytes(row, header=header), default_period="2026年9月")
        assert result.errors == ()
        assert result.rows[0].period == "2026-09"

    def test_no_header(self) -> None:
        result = parse_payroll_file(b"a,b,c\r\n1,2,3\r\n")
        assert [e.code for e in result.errors] == ["payroll.no_header"]
        assert result.header_row is None

    def test_undecodable(self) -> None:
        with pytest.raises(PayrollFileError) as err:
            parse_payroll_file(b"\xff\xff\xfe\x00\x81" * 3 + b"\x80\x80")
        assert err.value.code == "payroll.unreadable_file"
        assert "编码" in err.value.message_zh


class TestUnreadableFiles:
    def test_empty(self) -> None:
        with pytest.raises(PayrollFileError, match="empty"):
            parse_payroll_file(b"  \n")

    def test_legacy_xls(self) -> None:
        with pytest.raises(PayrollFileError, match=r"\.xlsx"):
            parse_payroll_file(b"\xd0\xcf\x11\xe0" + b"\0" * 100, filename="a.xls")

    def test_broken_xlsx(self) -> None:
        with pytest.raises(PayrollFileError, match="XLSX"):
            parse_payroll_file(b"PK\x03\x04garbage", filename="a.xlsx")

    def test_missing_path(self, tmp_path: Path) -> None:
        with pytest.raises(PayrollFileError):
            parse_payroll_file(tmp_path / "nope.csv")

    def test_unknown_layout(self) -> None:
        with pytest.raises(PayrollFileError) as err:
            parse_payroll_file(csv_bytes(GOOD_ROW), layout="nope")
        assert err.value.code == "payroll.unknown_layout"


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class TestParseXlsx:
    def test_typed_cells(self) -> None:
        data = _xlsx([
            HEADER_ZH.split(","),
            ["张三", idn(1), CARD, "工商银行", 7000, 6800.5, 20.5, "202610",
             XLSX_DATETIME.replace(month=11, day=14), "成功"],
        ])  # fmt: skip
        result = parse_payroll_file(data, filename="a.xlsx")
        assert result.errors == ()
        (row,) = result.rows
        assert (row.gross_fen, row.net_fen, row.days) == (700_000, 680_050, 20.5)
        assert row.paid_on == dt.date(2026, 11, 14)

    def test_numeric_id_and_float_noise(self) -> None:
        data = _xlsx([
            HEADER_ZH.split(","),
            ["张三", float(idn(1)[:17] + "0"), CARD, "", 7000, 1234.567, 20, "2026-10", None,
             "成功"],
        ])  # fmt: skip
        result = parse_payroll_file(data)
        assert {(e.row, e.column) for e in result.errors} == {(2, "B"), (2, "F")}

    def test_header_below_title_rows_and_empty_rows_keep_excel_numbers(self) -> None:
        data = _xlsx([
            ["工资发放表"], [],
            HEADER_ZH.split(","),
            [],
            ["张三", idn(1), CARD, "", 7000, 6800, 20, "2026-10", None, "bad"],
        ])  # fmt: skip
        result = parse_payroll_file(data)
        assert result.header_row == 3
        assert [(e.row, e.column) for e in result.errors] == [(5, "J")]


class TestBankLayouts:
    def test_repo_yaml_loads(self) -> None:
        layouts = load_layouts()
        assert next(iter(layouts)) == "canonical"
        assert {"bank_a_result", "bank_b_result"} <= set(layouts)

    def test_bank_a_gbk_fixture_auto_detected(self) -> None:
        result = parse_payroll_file(FIXTURES / "bank_a_result" / "2026-10_gbk.csv")
        assert result.layout == "bank_a_result"
        assert result.header_row == 4
        assert result.errors == ()
        a, b = result.rows
        assert (a.row_number, a.net_fen, a.status, a.period) == (
            5, 700_000, TransferStatus.SUCCESS, "2026-10"
        )  # fmt: skip
        assert (b.net_fen, b.status, b.days) == (650_050, TransferStatus.RETURNED, 19.5)
        assert [w.code for w in result.warnings] == ["payroll.total_row_skipped"]

    def test_bank_b_fixed_header_row_short_statuses_no_id_column(self) -> None:
        lines = [
            "批量代付回单,,,,,,",
            "批次号 20261114001,,,,,,",
            "收款人,收款人账号,应付金额,实付金额,工资月份,入账日期,状态",
            f'张三,{CARD},"8,000.00","7,600.00",202610,20261114,S',
            "李四,6222020200112233453,5000,5000,202610,20261114,R",
        ]
        data = ("\r\n".join(lines) + "\r\n").encode("gbk")
        result = parse_payroll_file(data, layout="bank_b_result")
        assert result.errors == ()
        assert [r.status for r in result.rows] == [TransferStatus.SUCCESS,
                                                   TransferStatus.RETURNED]  # fmt: skip
        assert result.rows[0].paid_on == dt.date(2026, 11, 14)
        assert "payroll.no_id_column" in {w.code for w in result.warnings}

    def test_layout_schema_is_strict(self) -> None:
        with pytest.raises(ValidationError):
            BankLayoutFile.model_validate(
                {"schema_version": 1, "layouts": [{"name": "x", "columns": {}, "colour": 1}]}
            )
        with pytest.raises(ValidationError, match="unknown payroll fields"):
            BankLayout(name="x", columns={"amount": ["金额"]})
        with pytest.raises(ValidationError, match="schema_version"):
            BankLayoutFile.model_validate({"schema_version": 2, "layouts": []})

    def test_default_status(self) -> None:
        layout = BankLayout(
            name="ledger",
            columns={"name": "姓名", "bank_card": "卡号", "net_amount": "金额"},
            default_status=TransferStatus.SUCCESS,
        )
        data = f"姓名,卡号,金额\r\n张三,{CARD},100\r\n".encode()
        result = parse_payroll_file(data, layout=layout, default_period="2026-10")
        assert result.errors == ()
        assert result.rows[0].status is TransferStatus.SUCCESS


class TestFingerprint:
    def test_stable_and_content_based(self) -> None:
        data = csv_bytes(GOOD_ROW)
        assert fingerprint(data) == fingerprint(bytes(data))
        assert len(fingerprint(data)) == 64
        assert fingerprint(data) != fingerprint(data + b"\r\n")
        assert parse_payroll_file(data).fingerprint == fingerprint(data)


class TestTemplate:
    def test_xlsx_headers_and_text_columns(self) -> None:
        wb = load_workbook(io.BytesIO(template_xlsx_bytes()))
        ws = wb.active
        assert ws is not None
        assert [c.value for c in ws[1]] == [*HEADER_ZH.split(","), "付款账号"]
        assert ws["B2"].number_format == "@"
        assert ws["K2"].number_format == "@"  # the payer account keeps its digits too

    def test_templates_parse_clean(self, tmp_path: Path) -> None:
        xlsx, csv_path = write_templates(tmp_path)
        for path in (xlsx, csv_path):
            result = parse_payroll_file(path)
            assert (result.rows, result.errors, result.layout) == ((), (), CANONICAL.name)

    def test_csv_has_bom_and_english_variant(self) -> None:
        assert template_csv_bytes().startswith(b"\xef\xbb\xbf")
        english = template_csv_bytes(english=True).decode("utf-8-sig")
        assert english == HEADER_EN + ",payer_account\r\n"

    def test_filled_template_round_trip(self) -> None:
        wb = load_workbook(io.BytesIO(template_xlsx_bytes()))
        ws = wb.active
        assert ws is not None
        for col, value in enumerate(GOOD_ROW.replace('"7,000.00"', "7000").split(","), 1):
            ws.cell(row=2, column=col, value=value)
        buf = io.BytesIO()
        wb.save(buf)
        result = parse_payroll_file(buf.getvalue(), filename="模板.xlsx")
        assert result.errors == ()
        assert result.rows[0].net_fen == 680_050


class TestPayerAccount:
    """付款账号: a column read per row, or one line above the header for the whole file."""

    WAGE_ACCOUNT = "51050142610800001234"

    @pytest.mark.parametrize("header", ["付款账号", "付款账户", "付款人账号", "payer_account"])
    def test_canonical_column_under_each_header(self, header: str) -> None:
        data = csv_bytes(f"{GOOD_ROW},{self.WAGE_ACCOUNT}", header=f"{HEADER_ZH},{header}")
        result = parse_payroll_file(data)
        assert result.errors == ()
        assert result.rows[0].payer_account == self.WAGE_ACCOUNT

    def test_without_a_column_unknown(self) -> None:
        assert parse_payroll_file(csv_bytes(GOOD_ROW)).rows[0].payer_account is None

    @pytest.mark.parametrize(
        ("cell", "account"),
        [("5105 0142 6108 0000 1234", "51050142610800001234"), ("5105-0142-61", "5105014261"),
         ("5105****1234", "5105****1234"), ("5105＊＊＊＊1234", "5105****1234")],
    )  # fmt: skip
    def test_spaces_dashes_and_masks(self, cell: str, account: str) -> None:
        assert cells.parse_payer_account(cell) == account

    @pytest.mark.parametrize("cell", ["12345", "abc123456", "********12", "1" * 33, 5.105e19])
    def test_bad_is_a_row_error(self, cell: cells.Cell) -> None:
        with pytest.raises(CellError) as err:
            cells.parse_payer_account(cell)
        assert err.value.code == "payroll.bad_payer_account"

    def test_bad_cell_names_row_and_column(self) -> None:
        data = csv_bytes(f"{GOOD_ROW},12ab", header=f"{HEADER_ZH},付款账号")
        result = parse_payroll_file(data)
        assert [(e.row, e.column, e.code) for e in result.errors] == [
            (2, "K", "payroll.bad_payer_account")
        ]

    def test_bank_a_fixture_reads_the_title_line(self) -> None:
        result = parse_payroll_file(FIXTURES / "bank_a_result" / "2026-10_gbk.csv")
        assert {r.payer_account for r in result.rows} == {"1234567890"}

    @pytest.mark.parametrize(
        "title",
        [["付款账号：5105 0142 6108 0000 1234"], ["付款人账号", "", "51050142610800001234"],
         ["付款单位: 某公司", "付款账户: 51050142610800001234"]],
    )  # fmt: skip
    def test_title_line_forms(self, title: list[str]) -> None:
        data = _xlsx([["代发明细"], title, [], HEADER_ZH.split(","), GOOD_ROW_CELLS])
        result = parse_payroll_file(data)
        assert result.errors == ()
        assert result.rows[0].payer_account == self.WAGE_ACCOUNT

    def test_row_column_wins_over_the_title(self) -> None:
        data = _xlsx([
            ["付款账号: 11112222333344445555"], [*HEADER_ZH.split(","), "付款账号"],
            [*GOOD_ROW_CELLS, self.WAGE_ACCOUNT], [*GOOD_ROW_CELLS[:-1], "失败", ""],
        ])  # fmt: skip
        result = parse_payroll_file(data)
        assert result.errors == ()
        assert [r.payer_account for r in result.rows] == [self.WAGE_ACCOUNT, "11112222333344445555"]

    def test_bad_title_value_is_a_warning_and_unknown(self) -> None:
        data = _xlsx([["付款账号: 见附件"], HEADER_ZH.split(","), GOOD_ROW_CELLS])
        result = parse_payroll_file(data)
        assert result.errors == ()
        assert result.rows[0].payer_account is None
        (warning,) = [w for w in result.warnings if w.field == "payer_account"]
        assert (warning.row, warning.column, warning.code) == (1, "A", "payroll.bad_payer_account")

    def test_bank_b_column(self) -> None:
        lines = [
            "批量代付回单,,,,,,,",
            "批次号 20261114001,,,,,,,",
            "收款人,收款人账号,应付金额,实付金额,工资月份,入账日期,状态,付款人账号",
            f"张三,{CARD},8000,7600,202610,20261114,S,{self.WAGE_ACCOUNT}",
        ]
        data = ("\r\n".join(lines) + "\r\n").encode("gbk")
        result = parse_payroll_file(data, layout="bank_b_result")
        assert result.errors == ()
        assert result.rows[0].payer_account == self.WAGE_ACCOUNT
