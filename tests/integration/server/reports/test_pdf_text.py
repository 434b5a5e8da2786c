"""The printed PDFs never break a time, a gate code or a heading word in two.

The text is read back from the PDF itself (tests.support.pdf_text: each printed line, glyphs
mapped back through the font's ToUnicode map). The 考勤凭证 prints the gate's code and a name
without spaces as long as the demo's old one; every table heading's English words must come
back whole (no "Da / ys") in the 考勤凭证, the 工资支付表 and the 工资核对报告.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import fpdf.table
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from server.ingest import evidence as evidence_service
from server.registry.models import Project, Worker
from server.reports import evidence_pdf, payslip_pdf, recon_pdf, wage_sheet_pdf
from tests.factories import make_assignment, make_device, make_project, make_worker
from tests.integration.server.ingest.ingest_support import Gate
from tests.support.pdf_text import pdf_lines
from tests.unit.server.reports.test_payroll_reports import _summary
from tests.unit.server.reports.test_wage_sheet_exports import DISPUTES, MIXED, NOW, _doc

WORD = re.compile(r"[A-Za-z][A-Za-z'.]*[A-Za-z]|[A-Za-z]")


@pytest.fixture(scope="module")
def font() -> tuple[str, int]:
    try:
        return payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")


@pytest.fixture
def headings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The heading cells of every table rendered meanwhile."""
    seen: list[str] = []
    render = fpdf.table.Table.render

    def spy(self: fpdf.table.Table) -> None:
        if self.rows:
            seen.extend(str(c.text) for c in self.rows[0].cells)
        render(self)

    monkeypatch.setattr(fpdf.table.Table, "render", spy)
    return seen


def _words_whole(lines: list[str], headings: list[str]) -> None:
    assert headings, "no table was rendered"
    printed = Counter(w for line in lines for w in WORD.findall(line))
    wanted = Counter(w for h in headings for w in WORD.findall(h))
    broken = {w: (n, printed[w]) for w, n in wanted.items() if printed[w] < n}
    assert not broken, broken


def test_evidence_keeps_times_and_gate_codes_whole(
    client: TestClient, session: Session, font: tuple[str, int], headings: list[str]
) -> None:
    project: Project = make_project(session, region="北京")
    worker: Worker = make_worker(session, name="王五")
    make_assignment(session, project, worker)
    device = make_device(session, project)
    device.code = "DEMO-GATE-OUT"
    device.name = "演示DEMO-GATE-OUT"
    session.flush()
    gate = Gate.provision(client, session, device)
    # 19:06:03 and so on in Shanghai: seconds that a mid-token break would split off.
    at = dt.datetime(2026, 5, 3, 11, 6, 3, tzinfo=dt.UTC)
    step = dt.timedelta(minutes=1, seconds=7)
    events = [
        gate.event(seq, worker_id=worker.id, device_time=at + seq * step) for seq in range(1, 6)
    ]
    assert gate.upload(events).status_code == 200
    session.expire_all()
    evidence = evidence_service.worker_month_evidence(
        session, project_id=project.id, worker_id=worker.id, period="2026-05",
        now=dt.datetime(2026, 6, 2, 8, 0, tzinfo=dt.UTC),
    )  # fmt: skip
    lines = pdf_lines(evidence_pdf.evidence_pdf(evidence, font=font))
    times = [e.device_time.strftime("%H:%M:%S") for e in evidence.events]
    assert times[0] == "19:07:10"
    for hms in times:
        assert any(hms in line for line in lines), (hms, [ln for ln in lines if hms[:5] in ln])
    assert sum(line.strip() == "DEMO-GATE-OUT" for line in lines) >= len(times)
    assert any("演示DEMO-GATE-OUT" in line for line in lines)
    assert not any(line.strip() in {"UT", ":03", "OUT"} for line in lines)
    _words_whole(lines, headings)


def test_wage_sheet_headings_keep_their_words(font: tuple[str, int], headings: list[str]) -> None:
    body = wage_sheet_pdf.wage_sheet_pdf(_doc(MIXED, DISPUTES), generated_at=NOW, font=font)
    _words_whole(pdf_lines(body), headings)


def test_reconciliation_report_headings_keep_their_words(
    font: tuple[str, int], headings: list[str]
) -> None:
    body = recon_pdf.recon_pdf(_summary(), generated_at=NOW, time_zone="Asia/Shanghai", font=font)
    _words_whole(pdf_lines(body), headings)
