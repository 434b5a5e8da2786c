"""工资核对报告 PDF through the API (same scope as the .xlsx) and `sitegate reconcile --pdf`."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from recon_support import Month, build_month
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from models.enums import Role
from server.db import migrate
from server.db.session import make_engine
from server.reports import payslip_pdf
from sitegate_cli.app import app
from tests.factories import login, make_project, make_user

RUN = "/api/v1/projects/{pid}/reconciliation/2026-10/run?today=2026-11-20"
PDF = "/api/v1/projects/{pid}/reconciliation/2026-10.pdf?today=2026-11-20"
runner = CliRunner()


@pytest.fixture
def cjk_font() -> None:
    try:
        payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")


class TestReconciliationPdfApi:
    @pytest.mark.usefixtures("cjk_font")
    def test_manager_and_inspector_get_the_report(
        self, client: TestClient, session: Session
    ) -> None:
        month = build_month(session)
        pid = month.project.id
        manager = make_user(session, Role.SITE_MANAGER, [month.project])
        inspector = make_user(session, Role.INSPECTOR, [month.project])
        session.commit()
        hm, hi = login(client, manager), login(client, inspector)
        findings = client.post(RUN.format(pid=pid), headers=hm).json()["findings"]
        r = client.post(
            f"/api/v1/findings/{findings[0]['id']}/actions",
            json={"action": "waive", "comment": "本人签字委托班组长代收"},
            headers=hi,
        )
        assert r.status_code == 200, r.text
        for h in (hm, hi):
            r = client.get(PDF.format(pid=pid), headers=h)
            assert r.status_code == 200, r.text
            assert r.headers["content-type"] == "application/pdf"
            assert r.content.startswith(b"%PDF")
            assert "2026-10.pdf" in r.headers["content-disposition"]

    @pytest.mark.usefixtures("cjk_font")
    def test_a_month_never_reconciled_still_prints(
        self, client: TestClient, session: Session
    ) -> None:
        project = make_project(session)
        inspector = make_user(session, Role.INSPECTOR, [project])
        session.commit()
        r = client.get(PDF.format(pid=project.id), headers=login(client, inspector))
        assert r.status_code == 200, r.text
        assert r.content.startswith(b"%PDF")

    def test_scope(self, client: TestClient, session: Session) -> None:
        month = build_month(session)
        pid = month.project.id
        elsewhere = make_user(session, Role.INSPECTOR, [make_project(session)])
        worker_user = make_user(session, Role.WORKER, worker=month.workers["A"])
        session.commit()
        for user in (elsewhere, worker_user):
            r = client.get(PDF.format(pid=pid), headers=login(client, user))
            assert r.status_code in (403, 404), r.text
            assert not r.content.startswith(b"%PDF")
        assert client.get(PDF.format(pid=pid)).status_code == 401

    def test_bad_period_is_a_clear_422(self, client: TestClient, session: Session) -> None:
        month = build_month(session)
        inspector = make_user(session, Role.INSPECTOR, [month.project])
        session.commit()
        r = client.get(
            f"/api/v1/projects/{month.project.id}/reconciliation/2026-13.pdf",
            headers=login(client, inspector),
        )
        assert r.status_code == 422, r.text
        assert r.json()["message_zh"]
        assert r.json()["message_en"]

    def test_missing_font_is_the_clear_error(
        self, client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        month = build_month(session)
        inspector = make_user(session, Role.INSPECTOR, [month.project])
        session.commit()
        h = login(client, inspector)
        payslip_pdf.find_cjk_font.cache_clear()
        monkeypatch.setenv(payslip_pdf.FONT_ENV, "/nonexistent/font.ttf")
        try:
            r = client.get(PDF.format(pid=month.project.id), headers=h)
        finally:
            payslip_pdf.find_cjk_font.cache_clear()
        assert r.status_code == 503
        assert r.json()["code"] == "reports.no_cjk_font"
        assert "SITEGATE_CJK_FONT" in r.json()["message_en"]
        assert "字体" in r.json()["message_zh"]


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def month(cli_db: str) -> Month:
    engine = make_engine(cli_db)
    with Session(engine, expire_on_commit=False) as s:
        built = build_month(s)
        s.commit()
    engine.dispose()
    return built


class TestReconcileCliPdf:
    @pytest.mark.usefixtures("cjk_font")
    def test_writes_the_pdf_beside_the_xlsx(
        self, cli_db: str, month: Month, tmp_path: Path
    ) -> None:
        pdf, xlsx = tmp_path / "out" / "report.pdf", tmp_path / "recon.xlsx"
        args = ["reconcile", "--project", month.project.code, "--month", "2026-10",
                "--today", "2026-11-20", "--pdf", str(pdf), "--xlsx", str(xlsx),
                "--database-url", cli_db]  # fmt: skip
        r = runner.invoke(app, args, env={"COLUMNS": "200"})
        assert r.exit_code == 0, r.output
        assert pdf.read_bytes().startswith(b"%PDF")
        assert xlsx.is_file()
        assert str(pdf) in r.output.replace("\n", "")

    def test_missing_font_is_one_line(
        self, cli_db: str, month: Month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        payslip_pdf.find_cjk_font.cache_clear()
        monkeypatch.setenv(payslip_pdf.FONT_ENV, "/nonexistent/font.ttf")
        pdf = tmp_path / "report.pdf"
        args = ["reconcile", "--project", month.project.code, "--month", "2026-10",
                "--pdf", str(pdf), "--database-url", cli_db]  # fmt: skip
        try:
            r = runner.invoke(app, args, env={"COLUMNS": "200"})
        finally:
            payslip_pdf.find_cjk_font.cache_clear()
        assert r.exit_code == 1, r.output
        assert "SITEGATE_CJK_FONT" in r.output
        assert "Traceback" not in r.output
        assert not pdf.exists()
