"""Payroll HTTP API: import (422 with row/column detail, skip, 409), ledger JSON/XLSX,
templates, pay slips (JSON/PDF) and who may see them."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from models.enums import Role
from server.registry.models import Project, Worker
from tests.factories import (
    login,
    make_assignment,
    make_device,
    make_id_number,
    make_project,
    make_user,
    make_worker,
)
from tests.support.payroll_month import attend, card, csv_bytes, line, october


def _site(session: Session) -> tuple[Project, Worker, Worker]:
    project = make_project(session)
    device = make_device(session, project)
    a = make_worker(session, "张三", bank_card=card())
    b = make_worker(session, "李四", bank_card=card())
    for w in (a, b):
        make_assignment(session, project, w, wage_rate_fen=35000)
        attend(session, project, device, w, october(2))
    return project, a, b


def _file(a: Worker, b: Worker) -> bytes:
    return csv_bytes(
        [
            line(a.name, a.id_number, a.bank_card or "", "700.00", days="2"),
            line(b.name, b.id_number, b.bank_card or "", "700.00", days="2"),
        ]
    )


def _upload(client: TestClient, pid: int, data: bytes, headers: dict[str, str], **form: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/projects/{pid}/payroll/imports",
        files={"file": ("代发.csv", data, "text/csv")},
        data=form,
        headers=headers,
    )


class TestImportApi:
    def test_bad_rows_422_then_skip_then_same_file_409(
        self, client: TestClient, session: Session
    ) -> None:
        project, a, _b = _site(session)
        manager = make_user(session, Role.SITE_MANAGER, [project])
        session.commit()
        h = login(client, manager)
        bad = csv_bytes(
            [
                line(a.name, a.id_number, a.bank_card or "", "700.00", days="2"),
                line("王五", make_id_number(), "12ab", "700.00"),
            ]
        )
        r = _upload(client, project.id, bad, h)
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["code"] == "payroll.bad_rows"
        assert body["detail"] == [
            {
                "row": 3,
                "column": "C",
                "header": "银行卡号",
                "field": "bank_card",
                "code": body["detail"][0]["code"],
                "message_zh": body["detail"][0]["message_zh"],
                "message_en": body["detail"][0]["message_en"],
            }
        ]
        assert client.get(f"/api/v1/projects/{project.id}/payroll/imports", headers=h).json() == []

        r = _upload(client, project.id, bad, h, skip_bad_rows="true")
        assert r.status_code == 201, r.text
        assert (r.json()["row_count"], r.json()["skipped_count"]) == (1, 1)

        r = _upload(client, project.id, bad, h, skip_bad_rows="true")
        assert r.status_code == 409
        assert r.json()["message_zh"].startswith("此文件已于")
        imports = client.get(f"/api/v1/projects/{project.id}/payroll/imports", headers=h).json()
        assert len(imports) == 1

    def test_who_may_import(self, client: TestClient, session: Session) -> None:
        project, a, b = _site(session)
        inspector = make_user(session, Role.INSPECTOR, [project])
        stranger = make_user(session, Role.SITE_MANAGER, [make_project(session)])
        session.commit()
        assert _upload(client, project.id, _file(a, b), login(client, inspector)).status_code == 403
        assert _upload(client, project.id, _file(a, b), login(client, stranger)).status_code == 404

    def test_default_period_form_field(self, client: TestClient, session: Session) -> None:
        project, a, _ = _site(session)
        manager = make_user(session, Role.SITE_MANAGER, [project])
        session.commit()
        data = csv_bytes([line(a.name, a.id_number, a.bank_card or "", "700.00", period="")])
        r = _upload(client, project.id, data, login(client, manager), default_period="2026-10")
        assert r.status_code == 201, r.text
        assert r.json()["periods"] == ["2026-10"]


class TestLedgerApi:
    def test_json_and_xlsx(self, client: TestClient, session: Session) -> None:
        project, a, b = _site(session)
        manager = make_user(session, Role.SITE_MANAGER, [project])
        inspector = make_user(session, Role.INSPECTOR, [project])
        session.commit()
        assert _upload(client, project.id, _file(a, b), login(client, manager)).status_code == 201
        h = login(client, inspector)
        r = client.get(f"/api/v1/projects/{project.id}/payroll/ledger?period=2026-10", headers=h)
        assert r.status_code == 200
        rows = r.json()
        assert [(e["worker_name"], e["net_fen"]) for e in rows] == [
            ("张三", 70000),
            ("李四", 70000),
        ]
        assert a.id_number not in r.text
        assert (a.bank_card or "") not in r.text

        r = client.get(
            f"/api/v1/projects/{project.id}/payroll/ledger.xlsx?period=2026-10", headers=h
        )
        assert r.status_code == 200
        assert "filename*=UTF-8''" in r.headers["content-disposition"]
        book = load_workbook(io.BytesIO(r.content))
        assert book.active is not None
        assert book.active["A1"].value == "工资支付台账 / Payroll ledger"
        ws = book["代发明细"]
        cells = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
        assert "张三" in cells
        assert a.id_number not in cells
        assert any(isinstance(c, str) and c.startswith(a.id_number[:6] + "*") for c in cells)
        total = next(row for row in ws.iter_rows(values_only=True) if row[0] == "合计 Total")
        assert total[9] == 1400

    def test_worker_cannot_read_the_ledger(self, client: TestClient, session: Session) -> None:
        project, a, _ = _site(session)
        worker_user = make_user(session, Role.WORKER, worker=a)
        session.commit()
        r = client.get(
            f"/api/v1/projects/{project.id}/payroll/ledger", headers=login(client, worker_user)
        )
        assert r.status_code == 403  # their own project: a project-wide list, not theirs


class TestTemplates:
    def test_xlsx_and_csv(self, client: TestClient, session: Session) -> None:
        user = make_user(session, Role.SITE_MANAGER, [make_project(session)])
        session.commit()
        h = login(client, user)
        r = client.get("/api/v1/payroll/template.xlsx", headers=h)
        assert r.status_code == 200
        ws = load_workbook(io.BytesIO(r.content)).active
        assert ws is not None
        assert ws["A1"].value == "姓名"
        r = client.get("/api/v1/payroll/template.csv", headers=h)
        assert r.content.decode("utf-8-sig").startswith("姓名,身份证号")
        assert client.get("/api/v1/payroll/template.csv").status_code == 401


class TestPaySlipApi:
    def test_worker_sees_own_only(self, client: TestClient, session: Session) -> None:
        project, a, b = _site(session)
        manager = make_user(session, Role.SITE_MANAGER, [project])
        worker_user = make_user(session, Role.WORKER, worker=a)
        other_inspector = make_user(session, Role.INSPECTOR, [make_project(session)])
        inspector = make_user(session, Role.INSPECTOR, [project])
        session.commit()
        assert _upload(client, project.id, _file(a, b), login(client, manager)).status_code == 201
        h = login(client, worker_user)
        own = f"/api/v1/projects/{project.id}/workers/{a.id}/payslips/2026-10"
        r = client.get(own, headers=h)
        assert r.status_code == 200, r.text
        slip = r.json()
        assert (slip["attended_days"], slip["expected_fen"], slip["net_fen"]) == (2, 70000, 70000)
        assert slip["worker_name"] == "张三"
        assert len(slip["payments"]) == 1
        other = f"/api/v1/projects/{project.id}/workers/{b.id}/payslips/2026-10"
        assert client.get(other, headers=h).status_code == 404
        assert client.get(own, headers=login(client, other_inspector)).status_code == 404
        assert client.get(other, headers=login(client, inspector)).status_code == 200

        r = client.get(own + ".pdf", headers=h)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")
        assert len(r.content) > 2000
        assert client.get(other + ".pdf", headers=h).status_code == 404
