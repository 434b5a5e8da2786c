"""A report downloaded from the app prints the app's own signing key (its settings, not the
environment's): server/reports/key_line.py through the app's middleware."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from server.anchors import server_key
from server.config import Settings
from server.reports import payslip_pdf
from tests.integration.server.web.conftest import PERIOD, World
from tests.integration.server.web.helpers import web_login
from tests.support.pdf_text import pdf_lines


def _line(settings: Settings) -> str:
    return f"服务器签名密钥指纹 / server signing key: {server_key.fingerprint(settings)}"


def test_the_apps_key_not_the_environments(settings: Settings) -> None:
    assert server_key.fingerprint(settings) != server_key.fingerprint(Settings())


def test_xlsx_and_pdf_downloads_print_the_apps_key(
    client: TestClient, settings: Settings, world: World
) -> None:
    web_login(client, world.inspector_a)
    base = f"/inspect/{world.a.id}/{PERIOD}"
    r = client.get(f"{base}/export.xlsx")
    assert r.status_code == 200, r.text
    wb = load_workbook(io.BytesIO(r.content))
    assert all(ws.oddHeader.center.text == _line(settings) for ws in wb.worksheets)
    try:
        payslip_pdf.find_cjk_font()
    except payslip_pdf.CjkFontMissingError:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    r = client.get(f"{base}/report.pdf")
    assert r.status_code == 200, r.text
    assert _line(settings) in "".join(pdf_lines(r.content))
