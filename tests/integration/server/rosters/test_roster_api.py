"""Rosters over HTTP: JSON, CSV (BOM), XLSX read back, corrections, scope, validation."""

from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import DenyReason, Direction, Role
from server.auth.models import AuditLog
from tests.factories import login, make_project, make_user
from tests.integration.server.rosters.conftest import Site
from tests.integration.server.rosters.roster_support import add_event, local, shift

OCT = "2026-10"


def _seed(session: Session, site: Site) -> dict[str, int]:
    p, gi = site.project, site.gate_in
    a = site.worker(session, "王钢筋")
    b = site.worker(session, "李混凝土", concrete=True, trade="混凝土工")
    for d in (1, 2, 5):
        shift(session, p, gi, a, dt.date(2026, 10, d), (8, 0), (17, 0))
    shift(session, p, gi, b, dt.date(2026, 10, 5), (21, 0), (6, 0))
    shift(session, p, gi, b, dt.date(2026, 10, 6), (8, 0), (11, 0))  # half day
    add_event(session, p, gi, b, local(dt.date(2026, 10, 7), 8), Direction.IN)  # missing OUT
    add_event(
        session, p, gi, b, local(dt.date(2026, 10, 7), 7, 50), Direction.IN,
        refused=DenyReason.NO_SAFETY_TRAINING,
    )  # fmt: skip
    return {"a": a.id, "b": b.id}


class TestMonthly:
    def test_json(self, client: TestClient, session: Session, site: Site) -> None:
        ids = _seed(session, site)
        h = login(client, make_user(session, Role.SITE_MANAGER, [site.project]))
        r = client.get(f"/api/v1/projects/{site.project.id}/rosters/monthly?month={OCT}", headers=h)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["period"] == OCT
        assert len(body["days"]) == 31
        rows = {row["worker_id"]: row for row in body["rows"]}
        assert rows[ids["a"]]["attended_days"] == 3
        assert rows[ids["a"]]["total_hours"] == 27
        assert rows[ids["b"]]["attended_days"] == 2.5  # the missing OUT counts until 20:00
        assert [c["mark"] for c in rows[ids["b"]]["cells"][4:7]] == ["√", "½", "√"]
        assert "*" in rows[ids["a"]]["id_number_masked"]
        assert body["totals"]["workers"] == 2
        assert body["totals"]["attended_days"] == 5.5
        assert body["rule_notes"][0].startswith("计为一天")
        r = client.get(
            f"/api/v1/projects/{site.project.id}/rosters/monthly",
            params={"month": OCT, "company_id": site.concrete.id},
            headers=h,
        )
        assert [row["worker_id"] for row in r.json()["rows"]] == [ids["b"]]

    def test_bad_month_is_422_naming_the_field(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        h = login(client, make_user(session, Role.SITE_MANAGER, [site.project]))
        for path in ("monthly", "monthly.csv", "monthly.xlsx"):
            r = client.get(
                f"/api/v1/projects/{site.project.id}/rosters/{path}?month=2026-13", headers=h
            )
            assert r.status_code == 422
            assert r.json()["detail"][0]["field"] == "month"
        r = client.get(f"/api/v1/projects/{site.project.id}/rosters/monthly", headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "month"

    def test_csv_has_bom(self, client: TestClient, session: Session, site: Site) -> None:
        _seed(session, site)
        h = login(client, make_user(session, Role.SITE_MANAGER, [site.project]))
        r = client.get(
            f"/api/v1/projects/{site.project.id}/rosters/monthly.csv?month={OCT}", headers=h
        )
        assert r.status_code == 200
        assert r.content.startswith(b"\xef\xbb\xbf")
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
        lines = r.content.decode("utf-8-sig").splitlines()
        assert lines[0].startswith("序号 No.,姓名 Name")
        assert len(lines) == 3
        assert "王钢筋" in lines[2] + lines[1]

    def test_xlsx_per_company(self, client: TestClient, session: Session, site: Site) -> None:
        _seed(session, site)
        h = login(client, make_user(session, Role.SITE_MANAGER, [site.project]))
        url = f"/api/v1/projects/{site.project.id}/rosters/monthly.xlsx"
        r = client.get(url, params={"month": OCT, "per_company": "true"}, headers=h)
        assert r.status_code == 200, r.text
        wb = load_workbook(io.BytesIO(r.content))
        assert sorted(wb.sheetnames) == sorted([site.steel.name, site.concrete.name])
        ws = wb[site.steel.name]
        assert ws["A1"].value == "滨江花园项目 2026年10月 考勤表"
        assert ws.cell(row=5, column=9).value == 1
        assert ws.cell(row=6, column=9).value == "四"
        assert ws.cell(row=7, column=2).value == "王钢筋"
        assert ws.cell(row=7, column=9).value == "√"
        assert ws.cell(row=7, column=11).value == "○"
        assert ws.cell(row=7, column=8 + 31 + 1).value == 3  # 出勤天数
        assert ws.freeze_panes == "I7"
        assert ws.page_setup.orientation == "landscape"
        texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
        assert any("班组长签字" in t and "项目负责人" in t for t in texts)
        assert any(t.startswith("计为一天") for t in texts)
        one = load_workbook(io.BytesIO(client.get(url, params={"month": OCT}, headers=h).content))
        assert len(one.sheetnames) == 1


class TestDaily:
    def test_json(self, client: TestClient, session: Session, site: Site) -> None:
        _seed(session, site)
        h = login(client, make_user(session, Role.INSPECTOR, [site.project]))
        r = client.get(
            f"/api/v1/projects/{site.project.id}/rosters/daily?day=2026-10-07", headers=h
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert [a["kind"] for a in body["anomalies"]] == ["missing_out"]
        assert body["refusals"][0]["reason_zh"] == "未完成安全教育"
        assert [w["name"] for w in body["not_come"]] == ["王钢筋"]
        assert body["headcount"] == 0  # a past day: the 08:00 IN auto-closed at 20:00
        assert len(body["hourly"]) == 25


class TestCorrections:
    def test_manager_corrects_and_it_counts(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        ids = _seed(session, site)
        h = login(client, make_user(session, Role.SITE_MANAGER, [site.project]))
        base = f"/api/v1/projects/{site.project.id}"
        r = client.post(
            f"{base}/corrections",
            json={"worker_id": ids["b"], "at": "2026-10-07T17:00:00+08:00", "direction": "out",
                  "reason": "出场闸机断电"},
            headers=h,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        assert r.json()["reason"] == "出场闸机断电"
        assert (
            session.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "attendance.correct")
            )
            == 1
        )
        rows = client.get(f"{base}/rosters/monthly?month={OCT}", headers=h).json()["rows"]
        b = next(row for row in rows if row["worker_id"] == ids["b"])
        assert b["corrected_days"] == 1
        assert b["cells"][6]["corrected"] is True
        listed = client.get(f"{base}/corrections?month={OCT}", headers=h).json()
        assert [c["worker_id"] for c in listed] == [ids["b"]]
        day = client.get(f"{base}/rosters/daily?day=2026-10-07", headers=h).json()
        assert [c["reason"] for c in day["corrections"]] == ["出场闸机断电"]

    def test_reason_required(self, client: TestClient, session: Session, site: Site) -> None:
        ids = _seed(session, site)
        h = login(client, make_user(session, Role.SITE_MANAGER, [site.project]))
        r = client.post(
            f"/api/v1/projects/{site.project.id}/corrections",
            json={"worker_id": ids["a"], "at": "2026-10-07T17:00:00+08:00", "direction": "out",
                  "reason": ""},
            headers=h,
        )  # fmt: skip
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "reason"


class TestScope:
    def test_inspector_reads_but_cannot_correct(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        ids = _seed(session, site)
        h = login(client, make_user(session, Role.INSPECTOR, [site.project]))
        base = f"/api/v1/projects/{site.project.id}"
        assert client.get(f"{base}/rosters/monthly?month={OCT}", headers=h).status_code == 200
        assert client.get(f"{base}/corrections", headers=h).status_code == 200
        r = client.post(
            f"{base}/corrections",
            json={"worker_id": ids["a"], "at": "2026-10-07T17:00:00+08:00", "direction": "out",
                  "reason": "x"},
            headers=h,
        )  # fmt: skip
        assert r.status_code == 403

    def test_other_project_is_404(self, client: TestClient, session: Session, site: Site) -> None:
        _seed(session, site)
        h = login(client, make_user(session, Role.SITE_MANAGER, [make_project(session)]))
        base = f"/api/v1/projects/{site.project.id}"
        for path in (
            f"rosters/monthly?month={OCT}",
            "rosters/daily",
            f"rosters/monthly.xlsx?month={OCT}",
        ):
            assert client.get(f"{base}/{path}", headers=h).status_code == 404
        r = client.post(
            f"{base}/corrections",
            json={"worker_id": 1, "at": "2026-10-07T17:00:00+08:00", "direction": "out",
                  "reason": "x"},
            headers=h,
        )  # fmt: skip
        assert r.status_code == 404

    def test_needs_sign_in(self, client: TestClient, site: Site) -> None:
        r = client.get(f"/api/v1/projects/{site.project.id}/rosters/monthly?month={OCT}")
        assert r.status_code == 401
