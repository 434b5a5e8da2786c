"""Ledger XLSX, reconciliation XLSX and pay slip PDF built from plain result objects."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from models.enums import WageKind, WarningLevel
from server.payroll.service import LedgerEntry, PaySlip
from server.reconciliation.rules import RowStatus
from server.reconciliation.service import FindingView, ReconSummary, TableRow
from server.reports import ledger_xlsx, payslip_pdf, reconciliation_xlsx

NOW = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)


def _entry(line_id: int, status: str = "success", net: int = 70000) -> LedgerEntry:
    return LedgerEntry(
        line_id=line_id,
        period="2026-10",
        row_no=line_id + 1,
        worker_id=1,
        worker_name="张三",
        payee_name="张三",
        id_number_masked="110101********0011",
        account_masked="6222***********0010",
        bank_name="示例银行",
        gross_fen=80000,
        net_fen=net,
        days_declared=2.0,
        status=status,
        paid_on=dt.date(2026, 11, 10),
        import_id=1,
        file_name="oct.csv",
        imported_at=NOW,
    )


class TestLedgerXlsx:
    def test_title_totals_and_masking(self) -> None:
        body = ledger_xlsx.ledger_xlsx(
            project_code="P1",
            project_name="测试项目",
            period="2026-10",
            entries=[_entry(1), _entry(2, "failed", 12345)],
            generated_at=NOW,
        )
        book = load_workbook(io.BytesIO(body))
        assert book.active is not None
        assert book.active["A1"].value == "工资支付台账 / Payroll ledger"
        ws = book["代发明细"]
        assert ws["A1"].value == "代发明细 / Disbursement lines"
        assert "测试项目" in str(ws["A2"].value)
        assert "2026-10" in str(ws["A3"].value)
        total = next(r for r in ws.iter_rows(values_only=True) if r[0] == "合计 Total")
        assert (total[8], total[9]) == (800, 700)  # only the successful line counts
        values = [c for r in ws.iter_rows(values_only=True) for c in r if isinstance(c, str)]
        assert "110101********0011" in values
        assert "失败 failed" in values


def _summary() -> ReconSummary:
    row = TableRow(
        worker_id=1,
        name="王五",
        id_number_masked="110101********0011",
        company_name="-",
        team_name="-",
        wage_kind="daily",
        rate_fen=35000,
        attended_days=2.0,
        hours=18.0,
        corrected_days=0,
        expected_fen=70000,
        paid_fen=50000,
        difference_fen=-20000,
        status=RowStatus.UNDERPAID,
        level=WarningLevel.ORANGE,
    )
    finding = FindingView(
        id=9,
        project_id=1,
        period="2026-10",
        kind="UNDERPAID",
        level=WarningLevel.ORANGE,
        status="open",
        key="UNDERPAID:1:2",
        worker_id=1,
        worker_name="王五",
        payroll_line_id=2,
        device_id=None,
        message_zh="王五 应发 700.00 元,实发 500.00 元",
        message_en="expected ¥700.00, paid ¥500.00",
        evidence={},
        created_at=NOW,
        updated_at=NOW,
    )
    return ReconSummary(
        project_id=1,
        project_code="P1",
        project_name="测试项目",
        period="2026-10",
        pay_day=dt.date(2026, 11, 15),
        today=dt.date(2026, 11, 20),
        level=WarningLevel.ORANGE,
        computed_level=WarningLevel.ORANGE,
        counts={WarningLevel.RED: 0, WarningLevel.ORANGE: 1, WarningLevel.YELLOW: 0},
        rows=(row,),
        findings=(finding,),
        rule_notes=("发薪日: 次月 15 日 / pay day: day 15 of the next month",),
        last_run_at=NOW,
    )


class TestReconciliationXlsx:
    def test_level_rows_and_coloured_findings(self) -> None:
        wb = load_workbook(io.BytesIO(reconciliation_xlsx.reconciliation_xlsx(_summary())))
        head = wb["核对汇总"]
        assert head["B7"].value == "橙色 orange"
        assert head["B7"].fill.fgColor.rgb.endswith("FFC000")
        row = next(wb["工人明细"].iter_rows(min_row=2, max_row=2, values_only=True))
        assert (row[0], row[9], row[10], row[11]) == ("王五", 700, 500, -200)
        f = wb["预警明细"]
        assert f["B2"].value == "UNDERPAID"
        assert f["A2"].fill.fgColor.rgb.endswith("FFC000")


def _slip() -> PaySlip:
    return PaySlip(
        project_id=1,
        project_code="P1",
        project_name="测试项目",
        worker_id=1,
        worker_name="欧阳娜娜",
        id_number_masked="110101********0011",
        bank_card_masked="6222***********0010",
        trade="钢筋工",
        period="2026-10",
        wage_kind=WageKind.DAILY,
        rate_fen=35000,
        attended_days=2.0,
        hours=18.0,
        corrected_days=0,
        expected_fen=70000,
        gross_fen=80000,
        net_fen=70000,
        difference_fen=0,
        pay_day=dt.date(2026, 11, 15),
        status=RowStatus.PAID,
        payments=(_entry(1),),
    )


class TestPayslipPdf:
    def test_pdf_with_the_workers_name(self) -> None:
        try:
            font = payslip_pdf.find_cjk_font()
        except payslip_pdf.CjkFontMissingError:
            pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
        body = payslip_pdf.payslip_pdf(_slip(), font=font)
        assert body.startswith(b"%PDF")
        assert len(body) > 2000
        try:
            from pypdf import PdfReader
        except ImportError:  # pypdf is not a dependency: the size check above must do
            return
        text = PdfReader(io.BytesIO(body)).pages[0].extract_text()
        assert "欧阳娜娜" in text

    def test_missing_font_is_a_clear_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        payslip_pdf.find_cjk_font.cache_clear()
        monkeypatch.setenv(payslip_pdf.FONT_ENV, "/nonexistent/font.ttf")
        try:
            with pytest.raises(payslip_pdf.CjkFontMissingError) as caught:
                payslip_pdf.find_cjk_font()
            assert "SITEGATE_CJK_FONT" in caught.value.message_en
        finally:
            payslip_pdf.find_cjk_font.cache_clear()
