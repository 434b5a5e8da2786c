"""工资支付表 XLSX and PDF built from a plain SheetDoc: no database, no clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import time
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from server.reports import payslip_pdf, wage_sheet, wage_sheet_pdf, wage_sheet_xlsx
from server.wages import rules

NOW = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)
_PAGE = re.compile(rb"/Type /Page\b(?!s)")
_PAGES_OBJ = re.compile(rb"<<((?:(?!>>).)*?/Type /Pages\b(?:(?!>>).)*)>>", re.S)
S = rules.LineState


@pytest.fixture(scope="module")
def font() -> tuple[str, int]:
    try:
        return payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")


def _item(n: int, category: rules.ItemCategory, amount: int, **kw: object) -> wage_sheet.ItemRow:
    values: dict[str, object] = {
        "id": n,
        "category": category,
        "reason": f"事由{n}",
        "amount_fen": amount,
        "quantity": None,
        "unit": "",
        "unit_price_fen": None,
    }
    values.update(kw)
    return wage_sheet.ItemRow(**values)  # type: ignore[arg-type]


def _line(n: int, state: rules.LineState = S.AWAITING, **kw: object) -> wage_sheet.LineRow:
    items = (
        _item(n * 10 + 1, rules.ItemCategory.OVERTIME, 15000, reason="10-09 加班 3 小时"),
        _item(
            n * 10 + 2,
            rules.ItemCategory.PIECE,
            10511,
            reason="楼板钢筋",
            quantity="10.5",
            unit="平方米",
            unit_price_fen=1001,
        ),
        _item(n * 10 + 3, rules.ItemCategory.ADVANCE, 20000, reason="10-05 借支"),
    )
    values: dict[str, object] = {
        "id": n,
        "worker_id": n,
        "name": f"工人{n}",
        "id_number_masked": "110101********0011",
        "team_name": "钢筋班",
        "trade": "钢筋工",
        "wage_kind": "daily",
        "rate_fen": 35000,
        "days": "3",
        "hours": "27.0",
        "corrected_days": n % 2,
        "day_marks": "-------√√√" + "○" * 21,
        "base_fen": 105000,
        "piece_fen": 10511,
        "additions_fen": 15000,
        "deductions_fen": 20000,
        "gross_fen": 130511,
        "net_fen": 110511,
        "state": state,
        "version": 1,
        "bank_card_masked": "6222***********0011",
        "bank_name": "中国建设银行",
        "confirmed_at": NOW if state is S.CONFIRMED else None,
        "confirmed_via": "device" if state is S.CONFIRMED and n % 2 else "web",
        "confirmed_device": "GATE-A-IN" if n % 2 else None,
        "confirmed_seq": 4711 if n % 2 else None,
        "stale": n == 3,
        "items": items,
    }
    values.update(kw)
    return wage_sheet.LineRow(**values)  # type: ignore[arg-type]


def _doc(
    lines: tuple[wage_sheet.LineRow, ...],
    disputes: tuple[wage_sheet.DisputeRow, ...] = (),
    **kw: object,
) -> wage_sheet.SheetDoc:
    values: dict[str, object] = {
        "sheet_id": 1,
        "project_id": 1,
        "project_code": "P1",
        "project_name": "测试项目",
        "company_id": 2,
        "company_name": "河北恒达劳务有限公司",
        "team_name": "",
        "period": "2026-10",
        "state": rules.SheetState.LOCKED,
        "payer_name": "测试项目",
        "payer_bank": "中国建设银行",
        "payer_account_masked": "1100**********0001",
        "general_contractor": "北京城建安居建设有限公司",
        "created_at": NOW,
        "created_by": "张经理",
        "sent_at": NOW,
        "locked_at": NOW,
        "locked_by": "张经理",
        "lock_reason": "工人已返乡,电话确认",
        "paid_at": None,
        "net_total_fen": sum(line.net_fen for line in lines),
        "time_zone": "Asia/Shanghai",
        "lines": lines,
        "disputes": disputes,
    }
    values.update(kw)
    return wage_sheet.SheetDoc(**values)  # type: ignore[arg-type]


def _dispute(line_id: int, *, resolved: bool, open_: bool) -> wage_sheet.DisputeRow:
    return wage_sheet.DisputeRow(
        line_id=line_id,
        name=f"工人{line_id}",
        at=NOW,
        comment="10 月 10 日也上班了",
        claimed_days="4",
        claimed_net_fen=140000,
        resolved_at=NOW if resolved else None,
        resolution="闸机记录 10-10 无进出,维持 3 天" if resolved else None,
        resolved_by="张经理" if resolved else None,
        open=open_,
    )


def _fen(value: object) -> int:
    """A money cell read back (openpyxl reads a float) as fen."""
    return int((Decimal(str(value)) * 100).to_integral_value())


def _pages(body: bytes) -> int:
    """The page tree's count, which must be the number of page objects."""
    tree = _PAGES_OBJ.search(body)
    assert tree, "no page tree"
    count = re.search(rb"/Count (\d+)", tree.group(1))
    assert count
    assert int(count.group(1)) == len(_PAGE.findall(body))
    return int(count.group(1))


MIXED = (
    _line(1, S.CONFIRMED),
    _line(2, S.CONFIRMED),
    _line(3, S.DISPUTED),
    _line(4, S.RESOLVED),
    _line(5, S.AWAITING),
)
DISPUTES = (_dispute(3, resolved=False, open_=True), _dispute(4, resolved=True, open_=False))


class TestItemSummary:
    def test_each_kind(self) -> None:
        line = MIXED[0]
        assert [i.summary() for i in line.additions] == [
            "加班 150.00(10-09 加班 3 小时)",
            "计件 105.11(楼板钢筋 10.5平方米×10.01)",
        ]
        assert [i.summary() for i in line.deductions] == ["借支/预支 200.00(10-05 借支)"]

    def test_confirmation_text(self) -> None:
        zone = _doc(MIXED).zone
        assert MIXED[0].confirmation_zh(zone) == "已确认 2026-11-20 16:00 设备 GATE-A-IN #4711"
        assert MIXED[1].confirmation_zh(zone) == "已确认 2026-11-20 16:00 手机"
        assert [line.confirmation_zh(zone) for line in MIXED[2:]] == [
            "有异议",
            "异议已处理",
            "未确认",
        ]


class TestXlsx:
    def test_layout_totals_and_disputes(self) -> None:
        doc = _doc(MIXED, DISPUTES)
        wb = load_workbook(io.BytesIO(wage_sheet_xlsx.wage_sheet_xlsx(doc, generated_at=NOW)))
        ws = wb[wage_sheet_xlsx.LINES_SHEET]
        texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
        header = "\n".join(texts[:6])
        assert "河北恒达劳务有限公司" in header
        assert "2026-10" in header
        assert "1100**********0001" in header
        assert "已锁定" in header
        assert "工人已返乡,电话确认" in header
        head = next(r for r in range(1, 10) if ws.cell(row=r, column=1).value == "序号\nNo.")
        first = head + 1
        assert ws.cell(row=first, column=2).value == "工人1"
        assert _fen(ws.cell(row=first, column=17).value) == 110511
        assert ws.cell(row=first, column=17).number_format == wage_sheet_xlsx.MONEY
        # The styles set on the first row are copied to the others, the warning fill too.
        last = first + len(MIXED) - 1
        assert ws.cell(row=last, column=17).number_format == wage_sheet_xlsx.MONEY
        assert ws.cell(row=last, column=13).alignment.wrap_text
        assert ws.cell(row=last, column=20).fill.fgColor.rgb.endswith("FFF2CC")  # awaiting
        assert ws.cell(row=first, column=20).fill.fill_type is None  # confirmed
        assert "计件 105.11" in str(ws.cell(row=first, column=13).value)
        assert "设备 GATE-A-IN #4711" in str(ws.cell(row=first, column=20).value)
        assert "待刷新" in str(ws.cell(row=first + 2, column=21).value)  # the stale line
        total = first + len(MIXED)
        assert ws.cell(row=total, column=1).value == "合计 Total"
        assert _fen(ws.cell(row=total, column=17).value) == doc.net_total_fen
        assert ws.cell(row=total, column=8).value == 15
        assert any("编制人" in t and "审核人" in t and "总包单位" in t for t in texts)
        assert ws.print_title_rows == f"${head}:${head}"
        disputes = wb[wage_sheet_xlsx.DISPUTES_SHEET]
        rows = list(disputes.iter_rows(min_row=2, values_only=True))
        assert [r[5] for r in rows] == ["未处理 open", "已处理 resolved"]
        assert rows[1][8] == "闸机记录 10-10 无进出,维持 3 天"

    def test_hostile_text_stays_text(self) -> None:
        hostile = "=cmd|' /C calc'!A0"
        line = _line(1, name=hostile, team_name="+1+1", items=(
            _item(1, rules.ItemCategory.OTHER_DEDUCTION, 100, reason="@SUM(A1)"),
        ))  # fmt: skip
        doc = _doc((line,), company_name="-2+3")
        wb = load_workbook(io.BytesIO(wage_sheet_xlsx.wage_sheet_xlsx(doc, generated_at=NOW)))
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    assert c.data_type != "f", c.coordinate
                    if isinstance(c.value, str):
                        assert not c.value.startswith(("=", "+", "-", "@")) or c.value == "-"
        names = [c.value for c in wb.worksheets[0]["B"]]
        assert "'" + hostile in names

    def test_file_name_has_no_path(self) -> None:
        doc = _doc(MIXED, company_name="A/B:C*劳务")
        assert wage_sheet.file_name(doc, "pdf") == "工资支付表_P1_A_B_C_劳务_2026-10.pdf"


class TestPdf:
    def test_one_page_for_a_small_sheet(self, font: tuple[str, int]) -> None:
        body = wage_sheet_pdf.wage_sheet_pdf(_doc(MIXED, DISPUTES), generated_at=NOW, font=font)
        assert body.startswith(b"%PDF")
        assert body.rstrip().endswith(b"%%EOF")
        assert _pages(body) == 1

    def test_a_big_sheet_breaks_across_pages(self, font: tuple[str, int]) -> None:
        lines = tuple(_line(n, (S.CONFIRMED, S.AWAITING)[n % 2]) for n in range(1, 301))
        started = time.perf_counter()
        body = wage_sheet_pdf.wage_sheet_pdf(_doc(lines), generated_at=NOW, font=font)
        elapsed = time.perf_counter() - started
        # three items a line, four text lines a row: about 11 rows a landscape page
        assert 20 <= _pages(body) <= 35
        assert elapsed < 30, elapsed

    def test_draft_without_lines_or_lock(self, font: tuple[str, int]) -> None:
        doc = _doc(
            (),
            state=rules.SheetState.DRAFT,
            locked_at=None,
            locked_by="",
            lock_reason=None,
            sent_at=None,
            general_contractor="",
        )
        assert _pages(wage_sheet_pdf.wage_sheet_pdf(doc, generated_at=NOW, font=font)) == 1


def test_snapshot_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        _doc(MIXED).period = "x"  # type: ignore[misc]
