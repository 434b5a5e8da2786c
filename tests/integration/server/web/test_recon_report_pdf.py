"""The inspector's 打印报告 PDF: the button on the month page, the download, the same scope as the
reconciliation XLSX, and a missing font answered with the clear error, never a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.reports import payslip_pdf
from tests.integration.server.web.conftest import PERIOD, World
from tests.integration.server.web.helpers import page_csrf, web_login


@pytest.fixture
def cjk_font() -> None:
    try:
        payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")


class TestReportPdf:
    @pytest.mark.usefixtures("cjk_font")
    def test_button_and_download(self, client: TestClient, world: World) -> None:
        web_login(client, world.inspector_a)
        url = f"/inspect/{world.a.id}/{PERIOD}/report.pdf"
        page = client.get(f"/inspect/{world.a.id}/{PERIOD}")
        assert page.status_code == 200
        assert f'id="report-pdf" href="{url}"' in page.text
        assert "打印报告 PDF" in page.text
        token = page_csrf(client, f"/inspect/{world.a.id}/{PERIOD}")
        r = client.post(
            f"/inspect/{world.a.id}/{PERIOD}/findings/{world.finding_a.id}",
            data={"csrf_token": token, "action": "waive", "comment": "本人签字委托班组长代收"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        r = client.get(url)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")
        disposition = r.headers["content-disposition"]
        assert (
            "%E5%B7%A5%E8%B5%84%E6%A0%B8%E5%AF%B9%E6%8A%A5%E5%91%8A" in disposition
        )  # 工资核对报告
        assert r.headers["cache-control"] == "no-store"

    @pytest.mark.parametrize(
        "role", ["manager_a", "inspector_a", "inspector_elsewhere", "worker_x"]
    )
    def test_same_scope_as_the_xlsx(self, client: TestClient, world: World, role: str) -> None:
        web_login(client, getattr(world, role))
        for project in (world.a, world.b):
            base = f"/inspect/{project.id}/{PERIOD}"
            xlsx = client.get(f"{base}/export.xlsx", follow_redirects=False).status_code
            pdf = client.get(f"{base}/report.pdf", follow_redirects=False)
            assert pdf.status_code == xlsx, (role, project.code)
            assert pdf.status_code < 500
        refused = client.get(f"/inspect/{world.b.id}/{PERIOD}/report.pdf", follow_redirects=False)
        assert refused.status_code in (302, 303, 403, 404)
        assert not refused.content.startswith(b"%PDF")

    def test_bad_period_is_not_found(self, client: TestClient, world: World) -> None:
        web_login(client, world.inspector_a)
        r = client.get(f"/inspect/{world.a.id}/2026-13/report.pdf")
        assert r.status_code in (400, 404, 422)

    def test_missing_font_is_the_clear_error(
        self, client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        web_login(client, world.inspector_a)
        payslip_pdf.find_cjk_font.cache_clear()
        monkeypatch.setenv(payslip_pdf.FONT_ENV, "/nonexistent/font.ttf")
        try:
            r = client.get(f"/inspect/{world.a.id}/{PERIOD}/report.pdf")
        finally:
            payslip_pdf.find_cjk_font.cache_clear()
        assert r.status_code == 503
        assert not r.content.startswith(b"%PDF")
        assert "SITEGATE_CJK_FONT" in r.text
