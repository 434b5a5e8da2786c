"""The wage-protection records over HTTP: the wage account (masked for inspectors, mirrored
into the project for the reconciliation), deposits with their share, guarantees, the labour
officer's history, labour contracts (the gate's flag set, the roster bumped, the worker reads
their own), scans by magic bytes and size, and the statement import (caps, bad rows, the same
file twice)."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.config import Settings
from server.ingest import service as ingest_service
from server.registry.models import Assignment, Project, Worker
from server.safeguards import rules
from server.safeguards import service as safeguard_service
from server.safeguards.models import WageStatementLine
from tests.factories import login, make_assignment, make_project, make_user, make_worker

ACCOUNT = "51050142610800001234"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


Site = tuple[Project, Worker, Worker, Assignment, Assignment]


@pytest.fixture
def site(session: Session) -> Site:
    project = make_project(session)
    w1, w2 = make_worker(session, "张三"), make_worker(session, "李四")
    a1 = make_assignment(session, project, w1, contract_signed_on=None)
    a2 = make_assignment(session, project, w2, contract_signed_on=None)
    return project, w1, w2, a1, a2


def base(project: Project) -> str:
    return f"/api/v1/projects/{project.id}/safeguards"


def account_body(**kw: object) -> dict[str, object]:
    body: dict[str, object] = {
        "bank_name": "中国建设银行成都分行",
        "account_no": ACCOUNT,
        "account_name": "某某建设集团有限公司农民工工资专用账户",
        "opened_on": "2026-01-05",
        "tripartite_signed_on": "2026-01-10",
        "owner_name": "某某置业有限公司",
    }
    body.update(kw)
    return body


class TestRecords:
    def test_wage_account_full_for_the_manager_masked_for_the_inspector(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        project = site[0]
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        r = client.put(f"{base(project)}/wage-account", json=account_body(), headers=manager)
        assert r.status_code == 200, r.text
        assert r.json()["account_no"] == ACCOUNT
        session.refresh(project)
        assert (project.wage_account_no, project.wage_account_bank) == (
            ACCOUNT, "中国建设银行成都分行",
        )  # fmt: skip
        inspector = login(client, make_user(session, Role.INSPECTOR, [project]))
        got = client.get(base(project), headers=inspector).json()
        assert got["wage_account"]["account_no"] == "5105************1234"
        assert got["wage_account"]["tripartite_signed_on"] == "2026-01-10"
        r = client.put(f"{base(project)}/wage-account", json=account_body(), headers=inspector)
        assert r.status_code == 403
        summary = safeguard_service.summary(session, project.id)
        assert (summary.wage_account, summary.tripartite, summary.deposit) == (True, True, False)

    def test_bad_input_is_a_bilingual_422(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        project = site[0]
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        r = client.put(
            f"{base(project)}/wage-account", json=account_body(account_no="12ab"), headers=manager
        )
        assert r.status_code == 422
        assert r.json()["message_zh"]
        assert r.json()["message_en"]
        r = client.post(
            f"{base(project)}/deposits",
            json={"form": "cash", "amount_fen": 100, "paid_on": "2026-03-01",
                  "released_on": "2026-02-01"},
            headers=manager,
        )  # fmt: skip
        assert r.status_code == 422
        assert r.json()["code"] == "safeguards.bad_dates"
        assert "退还日期" in r.json()["message_zh"]

    def test_deposit_guarantee_and_officer_history(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        project = site[0]
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        r = client.post(
            f"{base(project)}/deposits",
            json={"form": "bank_guarantee", "amount_fen": 1_500_000_00,
                  "contract_price_fen": 100_000_000_00, "paid_on": "2026-01-20"},
            headers=manager,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        assert r.json()["share_percent"] == "1.50"
        r = client.post(
            f"{base(project)}/guarantees",
            json={"form": "insurance", "amount_fen": 5_000_000_00, "issuer": "某某保险",
                  "valid_from": "2026-01-01", "valid_to": "2027-12-31"},
            headers=manager,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        for name, on in (("王劳资", "2026-01-01"), ("赵专管", "2026-06-01")):
            r = client.post(
                f"{base(project)}/officers",
                json={"name": name, "phone": "13800138000", "appointed_on": on},
                headers=manager,
            )
            assert r.status_code == 201, r.text
        r = client.post(
            f"{base(project)}/officers",
            json={"name": "早于现任", "phone": "13800138000", "appointed_on": "2026-05-01"},
            headers=manager,
        )
        assert r.status_code == 422
        officers = client.get(base(project), headers=manager).json()["officers"]
        assert [(o["name"], o["ended_on"]) for o in officers] == [
            ("赵专管", None),
            ("王劳资", "2026-06-01"),
        ]
        summary = safeguard_service.summary(session, project.id)
        assert (summary.deposit, summary.payment_guarantee, summary.labour_officer) == (
            True, True, True,
        )  # fmt: skip


class TestContracts:
    def body(self, **kw: object) -> dict[str, object]:
        body: dict[str, object] = {
            "kind": "labour_contract", "code": "HT-2026-001", "start_on": "2026-03-01",
            "pay_unit": "day", "unit_price_fen": 35000,
        }  # fmt: skip
        body.update(kw)
        return body

    def test_recording_sets_the_gate_flag_and_bumps_the_roster(
        self, client: TestClient, session: Session, site: Site, settings: Settings
    ) -> None:
        project, _, _, a1, _ = site
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        before = project.roster_version
        url = f"{base(project)}/contracts/{a1.id}"
        assert client.get(url, headers=manager).status_code == 404  # none recorded yet
        r = client.post(url, json=self.body(signed_on="2026-02-27"), headers=manager)
        assert r.status_code == 200, r.text
        assert r.json()["worker_name"] == "张三"
        session.refresh(a1)
        session.refresh(project)
        assert a1.contract_signed_on == dt.date(2026, 2, 27)
        assert project.roster_version > before
        entries = ingest_service.roster_entries(
            session,
            settings,
            project.id,
            since=before,
            with_templates=False,
        )
        assert [(e.assignment_id, e.contract_signed) for e in entries] == [(a1.id, True)]
        assert safeguard_service.summary(session, project.id).contract_assignment_ids == {a1.id}
        r = client.post(url, json=self.body(end_on="2026-02-01"), headers=manager)
        assert r.status_code == 422  # ends before it starts

    def test_a_worker_reads_their_own_only(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        project, w1, _, a1, a2 = site
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        for a in (a1, a2):
            r = client.post(f"{base(project)}/contracts/{a.id}", json=self.body(), headers=manager)
            assert r.status_code == 200, r.text
        worker = login(client, make_user(session, Role.WORKER, worker=w1))
        assert client.get(f"{base(project)}/contracts/{a1.id}", headers=worker).status_code == 200
        r = client.get(f"{base(project)}/contracts/{a2.id}", headers=worker)
        assert r.status_code == 404
        assert "李四" not in r.text
        r = client.post(f"{base(project)}/contracts/{a1.id}", json=self.body(), headers=worker)
        assert r.status_code == 403
        assert client.get(base(project), headers=worker).status_code == 403

    def test_scan_by_magic_bytes_and_size(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        project, _, _, a1, _ = site
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        url = f"{base(project)}/contracts/{a1.id}"
        client.post(url, json=self.body(), headers=manager)
        assert client.get(f"{url}/scan", headers=manager).status_code == 404
        r = client.put(
            f"{url}/scan", files={"file": ("c.png", b"GIF89a....", "image/png")}, headers=manager
        )
        assert r.status_code == 422
        assert r.json()["code"] == "safeguards.bad_scan"
        big = b"%PDF-" + b"0" * rules.MAX_SCAN_BYTES
        r = client.put(f"{url}/scan", files={"file": ("c.pdf", big, "application/pdf")},
                       headers=manager)  # fmt: skip
        assert r.status_code == 413
        r = client.put(f"{url}/scan", files={"file": ("c.png", PNG, "image/png")}, headers=manager)
        assert r.status_code == 200, r.text
        assert (r.json()["scan_type"], r.json()["scan_bytes"]) == ("image/png", len(PNG))
        r = client.get(f"{url}/scan", headers=manager)
        assert r.status_code == 200
        assert r.headers["content-type"] == "image/png"
        assert r.content == PNG


ZH = "交易日期,收入金额,支出金额,余额,对方户名,对方账号,摘要"


def statement(*rows: str) -> bytes:
    return ("\r\n".join([ZH, *rows]) + "\r\n").encode("utf-8-sig")


class TestStatementImport:
    def lines(self, session: Session, project: Project) -> int:
        return (
            session.scalar(
                select(func.count(WageStatementLine.id)).where(
                    WageStatementLine.project_id == project.id
                )
            )
            or 0
        )

    def test_import_then_the_same_file_again(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        project = site[0]
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        client.put(f"{base(project)}/wage-account", json=account_body(), headers=manager)
        data = statement(
            "2026-11-05,500000.00,,500000.00,某某置业有限公司,6222,工程款",
            "2026-11-10,,300000.00,200000.00,,,代发工资",
            "2026-11-10,,300000.00,-100000.00,,,代发工资",
        )
        files = {"file": ("流水.csv", data, "text/csv")}
        r = client.post(f"{base(project)}/statements", files=files, headers=manager)
        assert r.status_code == 201, r.text
        got = r.json()
        assert (got["row_count"], got["new_count"], got["already_imported"]) == (3, 3, False)
        assert (got["labour_inflow_fen"], got["payout_fen"]) == (500_000_00, 600_000_00)
        r = client.post(f"{base(project)}/statements", files=files, headers=manager)
        assert r.status_code == 200
        assert r.json()["already_imported"] is True
        assert self.lines(session, project) == 3
        # An overlapping export (the same bookings and one more) adds only the new one.
        more = statement(
            "2026-11-05,500000.00,,500000.00,某某置业有限公司,6222,工程款",
            "2026-11-10,,300000.00,200000.00,,,代发工资",
            "2026-11-10,,300000.00,-100000.00,,,代发工资",
            "2026-11-20,100.00,,-99900.00,,,利息",
        )
        r = client.post(f"{base(project)}/statements", files={"file": ("b.csv", more)},
                        headers=manager)  # fmt: skip
        assert r.status_code == 201
        assert r.json()["new_count"] == 1
        assert self.lines(session, project) == 4

    def test_bad_rows_store_nothing_and_name_row_and_column(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        project = site[0]
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        data = statement("2026-11-05,100.00,,100.00,,,人工费", "2026-11-06,十元,,,,,")
        r = client.post(f"{base(project)}/statements", files={"file": ("s.csv", data)},
                        headers=manager)  # fmt: skip
        assert r.status_code == 422
        assert r.json()["detail"]["problems"][0]["row"] == 3
        assert r.json()["detail"]["problems"][0]["column"] == "收入金额 (B)"
        assert "第 3 行" in r.json()["message_zh"]
        assert self.lines(session, project) == 0

    def test_capped_before_parsing(
        self, client: TestClient, session: Session, site: Site, settings: Settings
    ) -> None:
        project = site[0]
        manager = login(client, make_user(session, Role.SITE_MANAGER, [project]))
        cap = settings.import_max_bytes
        data = statement("2026-11-05,1.00,,,,,人工费") + b" " * cap
        r = client.post(f"{base(project)}/statements", files={"file": ("s.csv", data)},
                        headers=manager)  # fmt: skip
        assert r.status_code == 413
        assert r.json()["message_zh"]
        assert self.lines(session, project) == 0

    def test_inspector_reads_but_does_not_import(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        project = site[0]
        inspector = login(client, make_user(session, Role.INSPECTOR, [project]))
        data = statement("2026-11-05,1.00,,,,,人工费")
        r = client.post(f"{base(project)}/statements", files={"file": ("s.csv", data)},
                        headers=inspector)  # fmt: skip
        assert r.status_code == 403
        assert client.get(base(project), headers=inspector).status_code == 200
