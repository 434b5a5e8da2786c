"""Every report prints the server signing key's fingerprint (issue 13), from one place: the
shared PDF page (CjkPdf) and the shared XLSX finish (sheet_style.workbook_bytes)."""

from __future__ import annotations

import ast
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.anchors import server_key
from server.config import Settings
from server.reports import (
    activation_pdf,
    activation_xlsx,
    daily_xlsx,
    key_line,
    ledger_xlsx,
    payslip_pdf,
    recon_pdf,
    reconciliation_xlsx,
    roster_xlsx,
    wage_sheet_pdf,
    wage_sheet_xlsx,
    workers_xlsx,
)
from server.reports.cjk_pdf import CjkPdf, add_cjk_font
from tests.support.pdf_text import pdf_lines
from tests.unit.server.reports.test_activation_reports import _issue
from tests.unit.server.reports.test_daily_xlsx import _board
from tests.unit.server.reports.test_payroll_reports import NOW, _entry, _slip, _summary
from tests.unit.server.reports.test_roster_exports import _roster
from tests.unit.server.reports.test_wage_sheet_exports import DISPUTES, MIXED, _doc
from tests.unit.server.reports.test_workers_xlsx import _export

REPORTS = Path(__file__).resolve().parents[4] / "server" / "reports"
OURS = Settings(secret_key="k" * 48, template_key="t" * 48)


@pytest.fixture(scope="module")
def font() -> tuple[str, int]:
    try:
        return payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")


def _line() -> str:
    return f"服务器签名密钥指纹 / server signing key: {server_key.fingerprint(OURS)}"


def test_the_line_names_the_settings_key() -> None:
    with key_line.using(OURS):
        assert key_line.text() == _line()
    # outside: the environment's settings, as every `sitegate` command builds them
    assert key_line.fingerprint() == server_key.fingerprint(Settings())


PDFS: dict[str, Callable[[tuple[str, int]], bytes]] = {
    "activation": lambda f: activation_pdf.activation_pdf(_issue(4, skipped=1), font=f),
    "payslip": lambda f: payslip_pdf.payslip_pdf(_slip(), font=f),
    "recon": lambda f: recon_pdf.recon_pdf(
        _summary(), generated_at=NOW, time_zone="Asia/Shanghai", font=f
    ),
    "wage_sheet": lambda f: wage_sheet_pdf.wage_sheet_pdf(
        _doc(MIXED, DISPUTES), generated_at=NOW, font=f
    ),
}


@pytest.mark.parametrize("name", sorted(PDFS))
def test_every_pdf_page_prints_the_key(name: str, font: tuple[str, int]) -> None:
    with key_line.using(OURS):
        body = PDFS[name](font)
    # a line may print in more than one text run (a font change): count in the joined text
    printed = "".join(pdf_lines(body))
    pages = len(re.findall(rb"/Type /Page\b(?!s)", body))
    assert pages >= 1
    assert printed.count(_line()) == pages


def test_a_plain_cjk_pdf_prints_it_on_each_page(font: tuple[str, int]) -> None:
    """The 考勤凭证 and the notice poster are CjkPdf too: the line comes with the class."""
    pdf = CjkPdf(orientation="P", unit="mm", format="A4")
    add_cjk_font(pdf, font)
    with key_line.using(OURS):
        for _ in range(3):
            pdf.add_page()
            pdf.set_font("cjk", size=10)
            pdf.cell(0, 10, "考勤")
        body = bytes(pdf.output())
    assert "".join(pdf_lines(body)).count(_line()) == 3


XLSXS: dict[str, Callable[[], bytes]] = {
    "activation": lambda: activation_xlsx.activation_xlsx(_issue(3, skipped=1)),
    "daily": lambda: daily_xlsx.daily_xlsx(_board()),
    "ledger": lambda: ledger_xlsx.ledger_xlsx(
        project_code="P1",
        project_name="测试项目",
        period="2026-10",
        entries=[_entry(1)],
        generated_at=NOW,
    ),
    "reconciliation": lambda: reconciliation_xlsx.reconciliation_xlsx(_summary()),
    "roster": lambda: roster_xlsx.month_xlsx(_roster()),
    "wage_sheet": lambda: wage_sheet_xlsx.wage_sheet_xlsx(_doc(MIXED, DISPUTES), generated_at=NOW),
    "workers": lambda: workers_xlsx.workers_xlsx(_export()),
}


@pytest.mark.parametrize("name", sorted(XLSXS))
def test_every_sheet_of_every_xlsx_prints_the_key(name: str) -> None:
    with key_line.using(OURS):
        body = XLSXS[name]()
    wb = load_workbook(io.BytesIO(body))
    for ws in wb.worksheets:
        assert ws.oddHeader.center.text == _line(), ws.title
        assert ws.firstHeader.center.text == _line(), ws.title


def _workbook_modules() -> list[str]:
    return sorted(
        p.stem for p in REPORTS.glob("*.py") if "Workbook(" in p.read_text(encoding="utf-8")
    )


def test_every_report_module_finishes_its_workbook_in_one_place() -> None:
    """A new XLSX report that saves its workbook itself would print no key."""
    for stem in _workbook_modules():
        tree = ast.parse((REPORTS / f"{stem}.py").read_text(encoding="utf-8"))
        saves = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr == "save"
        ]
        assert not saves, f"{stem} saves its workbook itself; use sheet_style.workbook_bytes"
    assert "evidence_xlsx" in _workbook_modules()


def test_every_report_pdf_is_a_cjk_pdf() -> None:
    """The PDF reports build on CjkPdf (whose page prints the key), never FPDF directly."""
    for path in REPORTS.glob("*_pdf.py"):
        text = path.read_text(encoding="utf-8")
        assert "FPDF(" not in text, path.name
        assert "CjkPdf" in text or "LandscapeReport" in text, path.name
