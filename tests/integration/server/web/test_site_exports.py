"""Site pages' exports: the 花名册 export button and download (full for the project's manager,
audited; masked on request), its scope, and the Chinese file name per RFC 5987."""

from __future__ import annotations

import io
from urllib.parse import quote

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.models import AuditLog
from server.web.downloads import XLSX
from tests.integration.server.web.conftest import World
from tests.integration.server.web.helpers import web_login


def _audits(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditLog).where(AuditLog.entity == "worker_export")
    ) or 0  # fmt: skip


class TestWorkersExport:
    def test_button_and_full_download(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        web_login(client, world.manager_a)
        page = client.get(f"/site/{world.a.id}/workers")
        assert page.status_code == 200
        assert f'href="/site/{world.a.id}/workers.xlsx"' in page.text
        assert 'id="workers-xlsx-masked"' in page.text
        r = client.get(f"/site/{world.a.id}/workers.xlsx")
        assert r.status_code == 200
        assert r.headers["content-type"] == XLSX
        name = f"{world.a.code}-花名册.xlsx"
        assert f"filename*=UTF-8''{quote(name)}" in r.headers["content-disposition"]
        assert r.headers["cache-control"] == "no-store"
        ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
        assert ws["A1"].value == "姓名"
        ids = {row[1] for row in ws.iter_rows(min_row=2, values_only=True)}
        assert world.x.id_number in ids
        assert world.y.id_number not in ids  # project B's worker
        assert _audits(session) == 1

    def test_masked_download(self, client: TestClient, session: Session, world: World) -> None:
        web_login(client, world.manager_a)
        r = client.get(f"/site/{world.a.id}/workers.xlsx?masked=true")
        assert r.status_code == 200
        assert quote("脱敏") in r.headers["content-disposition"]
        ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
        assert "不能重新导入" in str(ws["A1"].value)
        assert world.x.id_number.encode() not in r.content
        assert _audits(session) == 0

    def test_scope(self, client: TestClient, session: Session, world: World) -> None:
        web_login(client, world.manager_a)
        assert client.get(f"/site/{world.b.id}/workers.xlsx").status_code == 404
        client.cookies.clear()
        web_login(client, world.inspector_a)
        assert client.get(f"/site/{world.a.id}/workers.xlsx").status_code == 403
        assert _audits(session) == 0


class TestNowExport:
    def test_button_and_download(self, client: TestClient, world: World) -> None:
        web_login(client, world.manager_a)
        page = client.get(f"/site/{world.a.id}/now")
        assert page.status_code == 200
        assert f'href="/site/{world.a.id}/now.xlsx?day=2026-03-18"' in page.text
        r = client.get(f"/site/{world.a.id}/now.xlsx?day=2026-03-18")
        assert r.status_code == 200
        assert r.headers["content-type"] == XLSX
        name = f"{world.a.code}-2026-03-18-当日考勤.xlsx"
        assert f"filename*=UTF-8''{quote(name)}" in r.headers["content-disposition"]
        wb = load_workbook(io.BytesIO(r.content))
        assert str(wb.worksheets[0]["A1"].value).startswith(f"{world.a.name} 2026-03-18")
        # a mangled or future day is a 422 saying so, not today's file under another name
        bad = client.get(f"/site/{world.a.id}/now.xlsx?day=junk")
        assert bad.status_code == 422
        assert "YYYY-MM-DD" in bad.text
        assert client.get(f"/site/{world.a.id}/now.xlsx?day=2026-03-19").status_code == 422

    def test_scope(self, client: TestClient, world: World) -> None:
        web_login(client, world.manager_a)
        assert client.get(f"/site/{world.b.id}/now.xlsx").status_code == 404
