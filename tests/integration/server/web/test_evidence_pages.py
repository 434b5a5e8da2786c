"""考勤凭证 links and downloads on the inspector's drill-down and on the worker's own page."""

from __future__ import annotations

import io
import json
import zipfile
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import AuditLog
from server.reports import evidence_xlsx
from server.web.period import shift_period
from tests.integration.server.web.conftest import NOW, PERIOD, World
from tests.integration.server.web.helpers import web_login


def test_inspector_links_and_downloads(client: TestClient, session: Session, world: World) -> None:
    a, x = world.a.id, world.x.id
    web_login(client, world.inspector_a)
    page = client.get(f"/inspect/{a}/{PERIOD}/workers/{x}")
    assert page.status_code == 200, page.text
    pdf_url = f"/inspect/{a}/{PERIOD}/workers/{x}/evidence.pdf"
    xlsx_url = f"/inspect/{a}/{PERIOD}/workers/{x}/evidence.xlsx"
    assert pdf_url in page.text
    assert xlsx_url in page.text
    assert "考勤凭证 PDF" in page.text
    r = client.get(pdf_url)
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"%PDF")
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    r = client.get(xlsx_url)
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb[evidence_xlsx.SUMMARY_SHEET]["A1"].value == "考勤凭证 / Attendance evidence"
    views = session.scalars(
        select(AuditLog.detail).where(
            AuditLog.action == "view_evidence", AuditLog.user_id == world.inspector_a.id
        )
    ).all()
    assert [v["format"] for v in views] == ["pdf", "xlsx"]
    zip_url = f"/inspect/{a}/{PERIOD}/workers/{x}/evidence.zip"
    assert zip_url in page.text
    assert "证据包 ZIP" in page.text
    r = client.get(zip_url)
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert {"manifest.json", "records.json", "verify_pack.py"} <= set(z.namelist())
    assert client.get(f"/inspect/{a}/{PERIOD}/workers/{world.y.id}/evidence.zip").status_code == 404
    # Another project's worker, a bad format, a bad month: the usual 404 page.
    assert client.get(f"/inspect/{a}/{PERIOD}/workers/{world.y.id}/evidence.pdf").status_code == 404
    assert client.get(f"/inspect/{a}/{PERIOD}/workers/{x}/evidence.csv").status_code == 404
    assert client.get(f"/inspect/{a}/2026-13/workers/{x}/evidence.pdf").status_code == 404
    assert client.get(f"/inspect/{world.b.id}/{PERIOD}/workers/{x}/evidence.pdf").status_code == 404


def test_worker_links_and_own_records_only(client: TestClient, world: World) -> None:
    web_login(client, world.worker_x)
    page = client.get("/me/", params={"period": PERIOD})
    assert page.status_code == 200, page.text
    url = f"/me/evidence/{world.a.id}/{PERIOD}"
    assert f"{url}.pdf" in page.text
    assert f"{url}.xlsx" in page.text
    r = client.get(f"{url}.pdf")
    assert r.status_code == 200, r.text
    assert r.content.startswith(b"%PDF")
    assert client.get(f"{url}.xlsx").status_code == 200
    assert f"{url}.zip" in page.text
    r = client.get(f"{url}.zip")
    assert r.status_code == 200, r.text
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert json.loads(manifest["body"])["worker"]["id"] == world.x.id
    assert client.get(f"/me/evidence/{world.b.id}/{PERIOD}.zip").status_code == 404
    assert client.get(f"/me/evidence/{world.b.id}/{PERIOD}.pdf").status_code == 404
    assert client.get(f"{url}.txt").status_code == 404


def test_site_manager_links_this_and_last_month(client: TestClient, world: World) -> None:
    a, x = world.a.id, world.x.id
    web_login(client, world.manager_a)
    page = client.get(f"/site/{a}/workers/{x}")
    assert page.status_code == 200, page.text
    this_month = NOW.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    last_month = shift_period(this_month, -1)
    for month in (this_month, last_month):
        url = f"/api/v1/projects/{a}/workers/{x}/evidence.pdf?month={month}"
        assert url in page.text
        assert url.replace(".pdf?", ".zip?") in page.text
    r = client.get(f"/api/v1/projects/{a}/workers/{x}/evidence.pdf", params={"month": last_month})
    assert r.status_code == 200, r.text  # the API takes the page's session cookie
    assert r.content.startswith(b"%PDF")
