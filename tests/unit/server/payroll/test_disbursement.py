"""The 代发 instruction writer: every layout written, filled in as the bank would (status), and
parsed back with the import parsers gives the same people, cards and fen, and the same total."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from models.ids import resident_id_check_char
from models.money import yuan_to_fen
from server.payroll.disbursement import (
    REMARK_HEADER,
    DisbursementBatch,
    DisbursementError,
    DisbursementLine,
    csv_encoding,
    disbursement_csv,
    disbursement_xlsx,
    file_name,
    layout_fields,
    sheet,
    yuan_text,
)
from server.payroll.parsers import (
    CANONICAL,
    BankLayout,
    ParseResult,
    TransferStatus,
    load_layouts,
    parse_payroll_file,
)
from server.payroll.parsers.template import template_headers
from tests.support.bank_result import fill_status

LAYOUTS = load_layouts()
Writer = Callable[[DisbursementBatch, BankLayout], bytes]
WRITERS: dict[str, Writer] = {"xlsx": disbursement_xlsx, "csv": disbursement_csv}
HOSTILE = ["=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3", '@HYPERLINK("x")', '引"号,逗号']


def idn(n: int) -> str:
    first17 = f"11010519900101{n:03d}"
    return first17 + resident_id_check_char(first17)


def line(n: int, name: str, net_fen: int, **kw: object) -> DisbursementLine:
    values: dict[str, object] = {
        "row_no": n,
        "name": name,
        "id_number": idn(n),
        "bank_card": f"62220202001122{n:05d}",
        "bank_name": "中国建设银行北京丰台支行",
        "net_fen": net_fen,
        "gross_fen": net_fen + 5000,
        "days": 21.5,
        "period": "2026-10",
    } | kw
    return DisbursementLine(**values)  # type: ignore[arg-type]


def batch(*lines: DisbursementLine) -> DisbursementBatch:
    return DisbursementBatch(
        project_code="P-A3",
        project_name="城南安置房二期",
        payer_name="北京城建安居建设有限公司",
        payer_account="11050188000000001234",
        payer_bank="中国建设银行北京丰台支行",
        period="2026-10",
        lines=lines,
    )


BATCH = batch(
    line(1, "张三", 1),  # 0.01 yuan
    line(2, "李四", 999_999_999, gross_fen=None, days=None),  # 9,999,999.99 yuan
    line(3, "王五", 680_050, remark="十月工资"),
    *(line(4 + i, name, 100_00 * (i + 1)) for i, name in enumerate(HOSTILE)),
)


def bank_fills_status(data: bytes, kind: str, layout: BankLayout) -> bytes:
    """What the bank sends back: the same file with the status column filled in."""
    return fill_status(data, kind, layout, BATCH)


def parse_back(data: bytes, kind: str, layout: BankLayout | None) -> ParseResult:
    return parse_payroll_file(data, filename=f"result.{kind}", layout=layout)


def assert_same_as_batch(result: ParseResult, layout: BankLayout, b: DisbursementBatch) -> None:
    assert result.errors == (), [str(e) for e in result.errors]
    assert result.layout == layout.name
    fields = set(layout_fields(layout))
    assert [r.name for r in result.rows] == [ln.name for ln in b.lines]
    assert [r.bank_card for r in result.rows] == [ln.bank_card for ln in b.lines]
    assert [r.net_fen for r in result.rows] == [ln.net_fen for ln in b.lines]
    assert {r.status for r in result.rows} == {TransferStatus.SUCCESS}
    assert [r.period for r in result.rows] == ["2026-10"] * b.count
    if "id_number" in fields:
        assert [r.id_number for r in result.rows] == [ln.id_number for ln in b.lines]
    if "gross_amount" in fields:
        assert [r.gross_fen for r in result.rows] == [ln.gross_fen for ln in b.lines]
    if "days" in fields:
        assert [r.days for r in result.rows] == [ln.days for ln in b.lines]
    assert len(result.rows) == b.count
    assert sum(r.net_fen for r in result.rows) == b.total_fen


def totals_in(data: bytes, kind: str, layout: BankLayout) -> tuple[str, str]:
    """The (count, total yuan) the file states, read from its cells as a person would."""
    if kind == "xlsx":
        ws = load_workbook(io.BytesIO(data)).active
        assert ws is not None
        rows = [list(row) for row in ws.iter_rows(values_only=True)]
    else:
        text = data.decode(csv_encoding(layout))
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter or ","))
    for row in rows:
        values = [str(v) for v in row if v not in (None, "")]
        if values and values[0] == "总笔数 Count":
            return values[1], values[3]
        if values and values[0].startswith("合计"):
            return values[1].split()[0], values[2]
    raise AssertionError("no totals in the file")


class TestYuanText:
    @pytest.mark.parametrize(
        ("fen", "text"),
        [(0, "0.00"), (1, "0.01"), (10, "0.10"), (100, "1.00"), (680_050, "6800.50"),
         (999_999_999, "9999999.99"), (-1, "-0.01")],
    )  # fmt: skip
    def test_exact(self, fen: int, text: str) -> None:
        assert yuan_text(fen) == text

    @given(st.integers(min_value=0, max_value=10**14))
    def test_round_trips_through_the_parser_money(self, fen: int) -> None:
        assert yuan_to_fen(yuan_text(fen)) == fen

    @pytest.mark.parametrize("value", [0.01, True, "1"])
    def test_only_integer_fen(self, value: object) -> None:
        with pytest.raises(TypeError):
            yuan_text(value)  # type: ignore[arg-type]


class TestRoundTrip:
    @pytest.mark.parametrize("kind", sorted(WRITERS))
    @pytest.mark.parametrize("name", sorted(LAYOUTS))
    def test_every_layout_parses_back_to_the_batch(self, name: str, kind: str) -> None:
        layout = LAYOUTS[name]
        written = WRITERS[kind](BATCH, layout)
        returned = bank_fills_status(written, kind, layout)
        assert_same_as_batch(parse_back(returned, kind, layout), layout, BATCH)
        # Auto-detection (the CLI's and the page's default) finds the same layout.
        assert_same_as_batch(parse_back(returned, kind, None), layout, BATCH)

    @pytest.mark.parametrize("kind", sorted(WRITERS))
    @pytest.mark.parametrize("name", sorted(LAYOUTS))
    def test_the_stated_totals_equal_the_batch(self, name: str, kind: str) -> None:
        layout = LAYOUTS[name]
        data = WRITERS[kind](BATCH, layout)
        assert totals_in(data, kind, layout) == (str(BATCH.count), yuan_text(BATCH.total_fen))
        assert BATCH.total_fen == 1 + 999_999_999 + 680_050 + sum(
            100_00 * (i + 1) for i in range(len(HOSTILE))
        )

    @pytest.mark.parametrize("kind", sorted(WRITERS))
    @pytest.mark.parametrize("name", sorted(LAYOUTS))
    def test_status_is_left_empty_for_the_bank(self, name: str, kind: str) -> None:
        layout = LAYOUTS[name]
        result = parse_back(WRITERS[kind](BATCH, layout), kind, layout)
        assert result.rows == ()
        assert {(e.field, e.code) for e in result.errors} == {("status", "payroll.bad_status")}
        assert len(result.errors) == BATCH.count

    @pytest.mark.parametrize("header_row", [1, 2, 3, 6])
    @pytest.mark.parametrize("kind", sorted(WRITERS))
    def test_a_fixed_header_row_is_kept_and_the_totals_find_room(
        self, kind: str, header_row: int
    ) -> None:
        layout = BankLayout(
            name=f"fixed_{header_row}",
            columns={"name": ["收款户名"], "bank_card": ["收款卡号"], "net_amount": ["金额"],
                     "period": ["月份"], "status": ["结果"]},
            header_row=header_row,
            encoding="gbk",
            delimiter="\t",
        )  # fmt: skip
        written = WRITERS[kind](BATCH, layout)
        assert sheet(BATCH, layout).header_row == header_row
        assert totals_in(written, kind, layout) == (str(BATCH.count), yuan_text(BATCH.total_fen))
        result = parse_back(bank_fills_status(written, kind, layout), kind, layout)
        assert result.header_row == header_row
        assert_same_as_batch(result, layout, BATCH)
        if header_row == 1:  # the totals went below the data, as a row the parsers skip
            assert "payroll.total_row_skipped" in {w.code for w in result.warnings}


class TestColumns:
    def test_canonical_is_the_import_template_plus_a_remark(self) -> None:
        grid = sheet(BATCH)
        assert grid.headers == (*template_headers(), REMARK_HEADER)
        assert grid.rows[grid.header_row - 1] == grid.headers

    def test_a_bank_layout_uses_each_fields_first_header(self) -> None:
        layout = LAYOUTS["bank_a_result"]
        assert sheet(BATCH, layout).headers == (
            "户名", "证件号码", "收款账号", "收款行", "交易金额(元)", "代发月份", "交易日期",
            "处理结果", "出勤天数", "付款账号", REMARK_HEADER,
        )  # fmt: skip

    def test_lines_in_row_order_with_remark(self) -> None:
        b = batch(line(2, "乙", 200, remark="第二"), line(1, "甲", 100))
        grid = sheet(b)
        data = grid.rows[grid.header_row :]
        assert [r[0] for r in data] == ["甲", "乙"]
        assert data[1][-1] == "第二"

    def test_gb18030_layout_writes_gb18030_without_bom(self) -> None:
        layout = LAYOUTS["bank_b_result"]
        data = disbursement_csv(BATCH, layout)
        assert not data.startswith(b"\xef\xbb\xbf")
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        assert "收款人账号" in data.decode("gb18030")
        assert disbursement_csv(BATCH).startswith(b"\xef\xbb\xbf")  # canonical: UTF-8 BOM

    def test_file_name(self) -> None:
        assert file_name(BATCH, CANONICAL, "xlsx") == "代发_P-A3_2026-10_canonical.xlsx"


class TestHostileText:
    def test_xlsx_cells_stay_text(self) -> None:
        ws = load_workbook(io.BytesIO(disbursement_xlsx(BATCH))).active
        assert ws is not None
        head = sheet(BATCH).header_row
        for r, name in enumerate(HOSTILE, start=head + 4):
            cell = ws.cell(row=r, column=1)
            assert cell.data_type == "s"
            if name[0] in "=+-@":
                assert cell.value == "'" + name
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
        # Card and amount cells are text, so Excel neither rounds nor drops a digit.
        assert ws.cell(row=head + 1, column=3).data_type == "s"
        assert ws.cell(row=head + 1, column=6).value == "0.01"

    def test_csv_fields_never_start_a_formula(self) -> None:
        rows = list(csv.reader(io.StringIO(disbursement_csv(BATCH).decode("utf-8-sig"))))
        for row in rows:
            for value in row:
                assert not value.startswith(("=", "+", "-", "@")), value

    def test_hostile_payer_and_project_stay_text(self) -> None:
        b = DisbursementBatch(
            "=1+1", "=HYPERLINK(1)", "@x", "110060000000000001", "+2", "2026-10", BATCH.lines
        )  # fmt: skip
        ws = load_workbook(io.BytesIO(disbursement_xlsx(b))).active
        assert ws is not None
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
        assert_same_as_batch(
            parse_back(bank_fills_status(disbursement_xlsx(b), "xlsx", CANONICAL), "xlsx", None),
            CANONICAL,
            b,
        )


class TestCheck:
    def test_every_bad_line_is_listed(self) -> None:
        bad = batch(
            line(1, "", 100),
            line(2, "乙", 0),
            line(2, "丙", 100, bank_card="12ab"),
            line(4, "丁", 100, id_number="110105199001010011"),
            line(5, "戊", 100, days=1.25, period="2026-13"),
        )
        with pytest.raises(DisbursementError) as caught:
            sheet(bad)
        found = {(p["row_no"], p["field"]) for p in caught.value.detail}
        assert found == {
            (1, "name"), (2, "net_amount"), (2, "row_no"), (2, "bank_card"), (4, "id_number"),
            (5, "days"), (5, "period"),
        }  # fmt: skip
        assert caught.value.status_code == 422
        assert "7 problems" in caught.value.message_en

    def test_a_foreigners_number_is_no_problem(self) -> None:
        ok = batch(
            line(1, "约翰", 100, id_number="USA119001010101"),
            line(2, "简", 100, id_number="911840198808080012"),
        )
        sheet(ok)  # raises DisbursementError on any problem

    def test_float_money_is_refused(self) -> None:
        with pytest.raises(DisbursementError):
            sheet(batch(line(1, "甲", 1.5)))  # type: ignore[arg-type]

    def test_an_empty_batch_is_refused(self) -> None:
        with pytest.raises(DisbursementError, match="no lines"):
            disbursement_xlsx(batch())

    def test_an_unencodable_name_names_the_character(self) -> None:
        layout = BankLayout(
            name="gbk_only",
            columns={"name": ["户名"], "bank_card": ["卡号"], "net_amount": ["金额"],
                     "period": ["月份"], "status": ["结果"]},
            encoding="gbk",
        )  # fmt: skip
        with pytest.raises(DisbursementError, match="gbk"):
            disbursement_csv(batch(line(1, "\U00020000", 100)), layout)
