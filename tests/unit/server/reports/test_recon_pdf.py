"""工资核对报告 PDF built from a plain ReconSummary: no database, no clock."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
import zlib

import pytest

from models.enums import WarningLevel
from server.reconciliation.rules import RowStatus
from server.reconciliation.service import CHAIN_BREAK, FindingView, ReconSummary, TableRow
from server.reports import payslip_pdf, recon_pdf

NOW = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)
# fpdf2 compresses page content, so text is not greppable; the page objects are.
_PAGE = re.compile(rb"/Type /Page\b(?!s)")


@pytest.fixture(scope="module")
def font() -> tuple[str, int]:
    try:
        return payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")


def _row(n: int, name: str = "", level: WarningLevel = WarningLevel.GREEN) -> TableRow:
    return TableRow(
        worker_id=n,
        name=name or f"工人{n}",
        id_number_masked="110101********0011",
        company_name="-",
        team_name="-",
        wage_kind=("daily", "monthly", "piece")[n % 3],
        rate_fen=35000,
        attended_days=2.5,
        hours=18.0,
        corrected_days=n % 2,
        expected_fen=None if n % 3 == 2 else 70000,
        paid_fen=50000,
        difference_fen=None if n % 3 == 2 else -20000,
        status=RowStatus.UNDERPAID,
        level=level,
    )


def _finding(
    n: int, level: WarningLevel, status: str = "open", kind: str = "UNDERPAID", text: str = ""
) -> FindingView:
    return FindingView(
        id=n,
        project_id=1,
        period="2026-10",
        kind=kind,
        level=level,
        status=status,
        key=f"{kind}:{n}",
        worker_id=1,
        worker_name="王五",
        payroll_line_id=2,
        device_id=None,
        message_zh=text or "王五 应发 700.00 元,实发 500.00 元",
        message_en="expected ¥700.00, paid ¥500.00",
        evidence={},
        created_at=NOW,
        updated_at=NOW,
    )


def _summary(
    rows: tuple[TableRow, ...] = (),
    findings: tuple[FindingView, ...] = (),
    level: WarningLevel = WarningLevel.GREEN,
) -> ReconSummary:
    return ReconSummary(
        project_id=1,
        project_code="P1",
        project_name="测试项目",
        period="2026-10",
        pay_day=dt.date(2026, 11, 15),
        today=dt.date(2026, 11, 20),
        level=level,
        computed_level=level,
        counts={WarningLevel.RED: 0, WarningLevel.ORANGE: 0, WarningLevel.YELLOW: 0},
        rows=rows,
        findings=findings,
        rule_notes=("发薪日: 次月 15 日 / pay day: day 15 of the next month",),
        last_run_at=NOW,
    )


def _pdf(summary: ReconSummary, font: tuple[str, int], **kw: dict[int, str]) -> bytes:
    body = recon_pdf.recon_pdf(
        summary, generated_at=NOW, time_zone="Asia/Shanghai", font=font, **kw
    )
    assert body.startswith(b"%PDF")
    assert body.rstrip().endswith(b"%%EOF")
    return body


def _pages(body: bytes) -> int:
    return len(_PAGE.findall(body))


_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
_RED = b"%.4g %.4g %.4g rg" % tuple(c / 255 for c in recon_pdf.LEVEL_RGB[WarningLevel.RED])


def _fills(body: bytes) -> tuple[int, int]:
    """(filled rectangles, red fill colour set) over the page contents (fpdf2 deflates them)."""
    filled = red = 0
    for raw in _STREAM.findall(body):
        try:
            page = zlib.decompress(raw)
        except zlib.error:
            continue  # a font or an image, not a page
        filled += page.count(b" re B") + page.count(b" re f")
        red += page.count(_RED)
    return filled, red


class TestReconPdf:
    def test_no_workers_no_findings(self, font: tuple[str, int]) -> None:
        # header, counts, rules, empty tables, statement and signatures: at most two pages
        assert 1 <= _pages(_pdf(_summary(), font)) <= 2

    def test_every_level_and_status(self, font: tuple[str, int]) -> None:
        findings = (
            *(
                _finding(i * 10 + j, level, status)
                for i, level in enumerate(recon_pdf.LEVELS)
                for j, status in enumerate(recon_pdf.FINDING_STATUSES)
            ),
            _finding(99, WarningLevel.RED, kind=CHAIN_BREAK),
            _finding(98, WarningLevel.RED, kind="NEW_KIND"),
        )
        rows = tuple(_row(n, level=level) for n, level in enumerate(WarningLevel))
        comments = {f.id: "本人签字委托班组长代收(insp)" for f in findings}
        for level in WarningLevel:
            body = _pdf(_summary(rows, findings, level), font, comments=comments)
            assert _pages(body) >= 1

    def test_a_row_is_coloured_by_its_own_status(self, font: tuple[str, int]) -> None:
        # Paid workers, one red: the month's red level (the fact at the top) must not fill
        # every cell of the worker table; only the red worker's status cell is red.
        paid = tuple(
            dataclasses.replace(_row(n), status=RowStatus.PAID, level=WarningLevel.GREEN)
            for n in range(20)
        )
        green = _fills(_pdf(_summary(paid), font))
        red_month = _fills(_pdf(_summary(paid, level=WarningLevel.RED), font))
        assert red_month[0] <= green[0] + 1  # the level fact, nothing else
        one_red = _fills(_pdf(_summary((*paid, _row(99, level=WarningLevel.RED))), font))
        assert one_red[0] == green[0] + 1  # that worker's status cell
        assert one_red[1] >= 1

    def test_stale_month_says_so(self, font: tuple[str, int]) -> None:
        stale = dataclasses.replace(
            _summary(),
            stale=True,
            stale_at=NOW,
            stale_reason="补卡 #12(2026-10-20 08:00)已批准 / correction #12 (2026-10-20 08:00) "
            "approved",
        )
        assert _pages(_pdf(stale, font)) == _pages(_pdf(_summary(), font))

    def test_300_workers_break_across_pages(self, font: tuple[str, int]) -> None:
        few = _pages(_pdf(_summary(tuple(_row(n) for n in range(10))), font))
        started = time.perf_counter()
        body = _pdf(_summary(tuple(_row(n) for n in range(300))), font)
        elapsed = time.perf_counter() - started
        assert few <= 2
        assert _pages(body) >= few + 6  # ~35 rows a landscape page
        assert elapsed < 20, elapsed

    def test_long_names_and_messages_wrap(self, font: tuple[str, int]) -> None:
        long_name = "欧阳" + "很长的名字" * 12
        rows = (_row(1, name=long_name), _row(2, name="A" * 80))
        findings = (
            _finding(1, WarningLevel.RED, text="说明" * 300),
            _finding(2, WarningLevel.YELLOW, status="waived"),
        )
        body = _pdf(_summary(rows, findings, WarningLevel.RED), font, comments={2: "理由" * 200})
        assert _pages(body) >= 2

    def test_statement_counts_chain_breaks(self) -> None:
        findings = (
            _finding(1, WarningLevel.RED, kind=CHAIN_BREAK),
            _finding(2, WarningLevel.RED, status="resolved", kind=CHAIN_BREAK),
            _finding(3, WarningLevel.ORANGE),
        )
        text = recon_pdf.statement(_summary((_row(1), _row(3)), findings))
        assert "链断:2 处(其中未处理 1 处" in text
        assert "recorded on ingest this month: 2 (1 open" in text
        assert "(本月合计 2 天)" in text

    def test_missing_font_is_the_clear_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        payslip_pdf.find_cjk_font.cache_clear()
        monkeypatch.setenv(payslip_pdf.FONT_ENV, "/nonexistent/font.ttf")
        try:
            with pytest.raises(payslip_pdf.CjkFontMissingError) as caught:
                recon_pdf.recon_pdf(_summary(), generated_at=NOW, time_zone="Asia/Shanghai")
            assert "SITEGATE_CJK_FONT" in caught.value.message_en
            assert caught.value.message_zh
        finally:
            payslip_pdf.find_cjk_font.cache_clear()


def test_summary_fixture_is_frozen() -> None:
    # The builder must not need to mutate its input: the service hands out frozen dataclasses.
    with pytest.raises(dataclasses.FrozenInstanceError):
        _summary().period = "x"  # type: ignore[misc]
