"""工资支付台账 with every Art. 15 field: from a locked sheet with its payment, and from a bank
line of a month without a sheet."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from server.wages import confirm, sheets
from server.wages.rules import ItemCategory
from tests.factories import login, make_payment
from tests.support.wage_month import Site


def test_art15_fields_from_the_sheet_and_the_bank(client: TestClient, session: Session) -> None:
    site = Site(session)
    site.a.phone = "13800138000"
    sheet = sheets.build_sheet(
        session, project_id=site.project.id, company_id=site.company.id, period="2026-10",
        user=site.manager,
    )  # fmt: skip
    lines = {line.name: line for line in sheets.lines_of(session, sheet.id)}
    a = lines["张三"]
    sheets.add_item(session, sheet, a, user=site.manager, category=ItemCategory.OVERTIME,
                    reason="10-09 加班", amount_fen=15000)  # fmt: skip
    sheets.add_item(session, sheet, a, user=site.manager, category=ItemCategory.SOCIAL_INSURANCE,
                    reason="10 月社保个人部分", amount_fen=3000)  # fmt: skip
    sheets.send_sheet(session, sheet, user=site.manager)
    session.refresh(a)
    confirm.confirm(session, a, shown_hash=a.shown_hash, user=site.wa)
    sheets.lock_sheet(session, sheet, user=site.manager, reason="李四未确认,已电话联系")
    make_payment(session, site.project, site.a, period="2026-10", net_yuan=1170)
    make_payment(session, site.project, site.a, period="2026-09", net_yuan=500)  # no sheet
    session.flush()

    h = login(client, site.inspector)
    rows = client.get(f"/api/v1/projects/{site.project.id}/wage-ledger", headers=h).json()
    by = {(r["period"], r["name"]): r for r in rows}
    row = by[("2026-10", "张三")]
    assert row["employer"] == site.company.name
    assert row["contact"] == "138****8000"
    assert (row["days"], row["hours"]) == ("3", "27.0")
    assert "基本 1,050.00" in row["items"]
    assert "加班" in row["items"]
    assert "社保个人部分" in row["deductions"]
    assert (row["gross_fen"], row["deductions_fen"], row["net_fen"]) == (120000, 3000, 117000)
    assert row["paid_fen"] == 117000
    assert row["paid_on"] is not None
    assert "第1行" in row["voucher"]
    assert "手机确认" in row["confirmation"]
    assert site.a.id_number not in str(rows)
    assert by[("2026-10", "李四")]["confirmation"] == "待确认"
    old = by[("2026-09", "张三")]
    assert old["source"] == "bank"
    assert old["paid_fen"] == 50000
    assert old["employer"] == site.company.name

    r = client.get(f"/api/v1/projects/{site.project.id}/payroll/ledger.xlsx", headers=h)
    ws = load_workbook(io.BytesIO(r.content))["工资支付台账"]
    cells = [c for row_ in ws.iter_rows(values_only=True) for c in row_ if c is not None]
    assert "工人确认\nWorker's confirmation" in cells
    assert "138****8000" in cells
