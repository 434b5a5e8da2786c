from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from registry_support import make_site
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role
from models.ids import credit_code_check_char
from server.auth.models import AuditLog
from server.registry.models import Device, FaceTemplate, Project
from server.registry.service import provisioning_code_hash
from tests.factories import (
    login,
    make_assignment,
    make_company,
    make_id_number,
    make_team,
    make_user,
    make_worker,
)

LUHN_BAD_CARD = "6222020200112233445"
LUHN_OK_CARD = "6222020200112233446"


def _version(session: Session, project_id: int) -> int:
    session.expire_all()
    project = session.get(Project, project_id)
    assert project is not None
    return project.roster_version


class TestProjects:
    def test_admin_creates_manager_updates_inspector_reads(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        inspector = make_user(session, Role.INSPECTOR, [site.project])
        session.commit()
        body = {"code": "BJ-001", "name": "北京某住宅项目", "region": "北京", "pay_day": 10}
        r = client.post("/api/v1/projects", json=body, headers=login(client, site.admin))
        assert r.status_code == 201, r.text
        assert r.json()["timezone"] == "Asia/Shanghai"
        r = client.post("/api/v1/projects", json=body, headers=login(client, site.manager))
        assert r.status_code == 403
        url = f"/api/v1/projects/{site.project.id}"
        r = client.patch(url, json={"pay_day": 20}, headers=login(client, site.manager))
        assert r.status_code == 200
        assert r.json()["pay_day"] == 20
        h = login(client, inspector)
        assert client.get(url, headers=h).status_code == 200
        assert client.patch(url, json={"pay_day": 5}, headers=h).status_code == 403

    def test_bad_input_names_the_field(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        h = login(client, site.admin)
        r = client.post(
            "/api/v1/projects",
            json={"code": "X1", "name": "x", "timezone": "Mars/Base", "pay_day": 40},
            headers=h,
        )
        assert r.status_code == 422
        assert {f["field"] for f in r.json()["detail"]} == {"timezone", "pay_day"}
        assert client.get("/api/v1/projects/abc", headers=h).status_code == 422

    def test_paging_and_search(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        h = login(client, site.admin)
        for i in range(3):
            client.post("/api/v1/projects", json={"code": f"PG-{i}", "name": f"分页{i}"}, headers=h)
        r = client.get("/api/v1/projects?q=PG-&limit=2&offset=0", headers=h)
        assert r.json()["total"] == 3
        assert len(r.json()["items"]) == 2
        r = client.get("/api/v1/projects?q=PG-&limit=2&offset=2", headers=h)
        assert [p["code"] for p in r.json()["items"]] == ["PG-2"]


class TestCompaniesAndTeams:
    def test_company_credit_code_validated_and_attached(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        session.commit()
        h = login(client, site.manager)
        first17 = "91310000MA1FL0000"
        good = first17 + credit_code_check_char(first17)
        bad = first17 + ("0" if good[-1] != "0" else "1")
        r = client.post("/api/v1/companies", json={"name": "甲", "credit_code": bad}, headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "credit_code"
        assert "校验位" in r.json()["detail"][0]["message"]
        r = client.post("/api/v1/companies", json={"name": "甲", "credit_code": good}, headers=h)
        assert r.status_code == 201
        cid = r.json()["id"]
        url = f"/api/v1/projects/{site.project.id}/companies/{cid}"
        r = client.put(url, json={"role": "general_contractor"}, headers=h)
        assert r.status_code == 200
        assert r.json()["role"] == "general_contractor"
        r = client.get(f"/api/v1/projects/{site.project.id}/companies", headers=h)
        assert {c["company"]["id"] for c in r.json()} == {cid, site.company.id}
        r = client.put(
            f"/api/v1/projects/{site.project.id}/companies/{site.company.id}",
            json={"role": "general_contractor"},
            headers=h,
        )
        assert r.status_code == 409  # one general contractor per project

    def test_team_with_leader(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        leader = make_worker(session, "李四")
        make_assignment(session, site.project, leader, site.company)
        outsider = make_worker(session, "王五")
        session.commit()
        h = login(client, site.manager)
        url = f"/api/v1/projects/{site.project.id}/teams"
        body = {"company_id": site.company.id, "name": "木工班", "leader_worker_id": outsider.id}
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "leader_worker_id"
        body["leader_worker_id"] = leader.id
        r = client.post(url, json=body, headers=h)
        assert r.status_code == 201
        assert r.json()["leader_worker_id"] == leader.id
        other = make_company(session)
        session.commit()
        body = {"company_id": other.id, "name": "瓦工班"}
        assert client.post(url, json=body, headers=h).json()["detail"][0]["field"] == "company_id"


class TestWorkers:
    def test_create_masks_and_warns_on_luhn(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        h = login(client, site.manager)
        id_number = make_id_number(male=False)
        body = {
            "name": "赵六",
            "id_number": id_number,
            "phone": "+86 138-0013-8000",
            "bank_card": LUHN_BAD_CARD,
        }
        r = client.post("/api/v1/workers", json=body, headers=h)
        assert r.status_code == 201, r.text
        out = r.json()
        assert out["id_number"] == id_number[:6] + "********" + id_number[-4:]
        assert out["id_number_masked"] is True
        assert out["gender"] == "F"
        assert out["phone"] == "13800138000"
        assert out["bank_card"] == "6222***********3445"
        assert any("Luhn" in w for w in out["warnings"])
        r = client.post("/api/v1/workers", json=body, headers=h)
        assert r.status_code == 409

    def test_bad_id_check_digit_is_422_on_field(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        good = make_id_number()
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        r = client.post(
            "/api/v1/workers",
            json={"name": "x", "id_number": bad, "phone": "12345"},
            headers=login(client, site.admin),
        )
        assert r.status_code == 422
        assert {f["field"] for f in r.json()["detail"]} == {"id_number", "phone"}

    def test_full_id_only_for_staff_and_audited(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        worker = make_worker(session)
        make_assignment(session, site.project, worker, site.company)
        inspector = make_user(session, Role.INSPECTOR, [site.project])
        session.commit()
        url = f"/api/v1/workers/{worker.id}?full=true"
        r = client.get(url, headers=login(client, site.manager))
        assert r.status_code == 200
        assert r.json()["id_number"] == worker.id_number
        assert client.get(url, headers=login(client, inspector)).status_code == 403
        r = client.get(f"/api/v1/workers/{worker.id}", headers=login(client, inspector))
        assert "*" in r.json()["id_number"]
        audits = session.scalars(
            select(AuditLog).where(
                AuditLog.action == "view_full_id", AuditLog.entity_id == worker.id
            )
        ).all()
        assert [a.user_id for a in audits] == [site.manager.id]

    def test_identity_change_bumps_roster_and_audits(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        worker = make_worker(session)
        make_assignment(session, site.project, worker, site.company)
        session.commit()
        before = _version(session, site.project.id)
        r = client.patch(
            f"/api/v1/workers/{worker.id}",
            json={"name": "张三丰"},
            headers=login(client, site.manager),
        )
        assert r.status_code == 200
        assert _version(session, site.project.id) > before
        entry = session.scalars(
            select(AuditLog).where(AuditLog.entity == "worker", AuditLog.entity_id == worker.id)
        ).one()
        assert entry.detail == {"name": ["张三", "张三丰"]}

    def test_consent_templates_and_withdrawal(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        worker = make_worker(session)
        make_assignment(session, site.project, worker, site.company)
        session.commit()
        h = login(client, site.manager)
        url = f"/api/v1/workers/{worker.id}"
        encoding = {"encoding": [0.01 * i for i in range(128)]}
        assert client.post(f"{url}/face-templates", json=encoding, headers=h).status_code == 409
        r = client.put(f"{url}/consent", json={"consent": True}, headers=h)
        assert r.json()["face_consent"] is True
        assert r.json()["face_consent_at"] is not None
        before = _version(session, site.project.id)
        assert client.post(f"{url}/face-templates", json=encoding, headers=h).status_code == 201
        assert _version(session, site.project.id) > before
        stored = session.scalars(
            select(FaceTemplate.ciphertext).where(FaceTemplate.worker_id == worker.id)
        ).one()
        assert b"\x00" * 8 not in stored  # encrypted, not the raw doubles
        bad = {"encoding": [0.0] * 3}
        r = client.post(f"{url}/face-templates", json=bad, headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "encoding"
        r = client.put(f"{url}/consent", json={"consent": False}, headers=h)
        assert r.json()["face_templates"] == 0
        assert (
            session.scalars(select(FaceTemplate).where(FaceTemplate.worker_id == worker.id)).all()
            == []
        )

    def test_worker_withdraws_own_consent(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        worker = make_worker(session, face_consent=True)
        make_assignment(session, site.project, worker)
        account = make_user(session, Role.WORKER, worker=worker)
        session.commit()
        h = login(client, account)
        r = client.put(f"/api/v1/workers/{worker.id}/consent", json={"consent": False}, headers=h)
        assert r.status_code == 200
        r = client.put(
            f"/api/v1/workers/{worker.id}/blocklist",
            json={"blocklisted": False},
            headers=h,
        )
        assert r.status_code == 403

    def test_blocklist_needs_reason(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        worker = make_worker(session)
        make_assignment(session, site.project, worker)
        session.commit()
        h = login(client, site.manager)
        url = f"/api/v1/workers/{worker.id}/blocklist"
        r = client.put(url, json={"blocklisted": True}, headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "reason"
        before = _version(session, site.project.id)
        r = client.put(url, json={"blocklisted": True, "reason": "冒用身份证"}, headers=h)
        assert r.json()["blocklisted"] is True
        assert _version(session, site.project.id) > before


class TestAssignments:
    def test_register_enter_card_leave(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        team = make_team(session, site.project, site.company)
        session.commit()
        h = login(client, site.manager)
        base = f"/api/v1/projects/{site.project.id}/assignments"
        body = {
            "worker": {"name": "孙七", "id_number": make_id_number(), "bank_card": LUHN_OK_CARD},
            "team_id": team.id,
            "trade": "钢筋工",
            "wage_kind": "daily",
            "wage_rate_fen": 35000,
            "contract_signed_on": "2026-03-01",
        }
        r = client.post(base, json=body, headers=h)
        assert r.status_code == 201, r.text
        a = r.json()
        assert a["status"] == "pending"
        assert a["company_id"] == site.company.id  # taken from the team
        v1 = a["roster_version"]
        assert v1 > 0
        url = f"{base}/{a['id']}"
        assert (
            client.post(f"{url}/leave", json={"left_on": "2026-03-02"}, headers=h).status_code
            == 409
        )
        r = client.post(f"{url}/enter", json={"entered_on": "2026-03-02"}, headers=h)
        assert r.json()["status"] == "active"
        assert r.json()["roster_version"] > v1
        r = client.post(f"{url}/cards", json={"uid": "04:a1:b2:c3"}, headers=h)
        assert r.status_code == 201
        assert r.json()["card_uids"] == ["04A1B2C3"]
        r = client.post(f"{url}/cards", json={"uid": "zz"}, headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "uid"
        r = client.post(f"{url}/leave", json={"left_on": "2026-03-01"}, headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "left_on"
        r = client.post(f"{url}/leave", json={"left_on": "2026-06-30"}, headers=h)
        assert r.json()["status"] == "left"
        assert r.json()["left_on"] == "2026-06-30"
        r = client.delete(f"{url}/cards/04-A1-B2-C3", headers=h)
        assert r.status_code == 200
        assert r.json()["card_uids"] == []
        # the same person registered again is the same worker, not a duplicate
        r = client.post(base, json=body, headers=h)
        assert r.status_code == 409

    def test_card_unique_across_projects(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        other = make_site(session)
        mine = make_assignment(session, site.project, make_worker(session))
        theirs = make_assignment(session, other.project, make_worker(session))
        session.commit()
        body = {"uid": "DEADBEEF"}
        r = client.post(
            f"/api/v1/projects/{other.project.id}/assignments/{theirs.id}/cards",
            json=body,
            headers=login(client, other.manager),
        )
        assert r.status_code == 201
        r = client.post(
            f"/api/v1/projects/{site.project.id}/assignments/{mine.id}/cards",
            json=body,
            headers=login(client, site.manager),
        )
        assert r.status_code == 409

    def test_filters(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        team = make_team(session, site.project, site.company)
        make_assignment(session, site.project, make_worker(session, "周一"), site.company, team)
        make_assignment(session, site.project, make_worker(session, "吴二"), trade="木工")
        w = make_worker(session, "郑三")
        make_assignment(session, site.project, w, status="left")
        session.commit()
        h = login(client, site.manager)
        base = f"/api/v1/projects/{site.project.id}/assignments"

        def names(query: str) -> list[str]:
            r = client.get(f"{base}?{query}", headers=h)
            assert r.status_code == 200, r.text
            return [a["worker_name"] for a in r.json()["items"]]

        assert names(f"team_id={team.id}") == ["周一"]
        assert names(f"company_id={site.company.id}") == ["周一"]
        assert names("trade=木工") == ["吴二"]
        assert names("status=left") == ["郑三"]
        assert names("q=吴") == ["吴二"]
        assert names(f"q={w.id_number[-6:]}") == ["郑三"]
        assert client.get(f"{base}?status=bogus", headers=h).status_code == 422


class TestDevicesAndAudit:
    def test_device_and_provisioning_code(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        h = login(client, site.manager)
        base = f"/api/v1/projects/{site.project.id}/devices"
        body = {"code": "BJ001-GATE-1-IN", "direction": "in", "model": "standard-two-way"}
        r = client.post(base, json=body, headers=h)
        assert r.status_code == 201
        device_id = r.json()["id"]
        assert client.post(base, json=body, headers=h).status_code == 409
        r = client.post(f"{base}/{device_id}/provisioning-code", headers=h)
        assert r.status_code == 201
        code = r.json()["code"]
        device = session.scalars(select(Device).where(Device.id == device_id)).one()
        session.refresh(device)
        assert device.provisioning_code_hash == provisioning_code_hash(code)
        assert device.provisioning_code_hash != hashlib.sha256(b"").hexdigest()
        assert code not in str(r.json()["expires_at"])
        assert provisioning_code_hash(code.lower().replace("-", " ")) == provisioning_code_hash(
            code
        )
        r = client.get(base, headers=h)
        assert r.json()["items"][0]["provisioned"] is False
        assert "provisioning_code_hash" not in r.json()["items"][0]

    def test_audit_log_scoped(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        other = make_site(session)
        session.commit()
        client.patch(
            f"/api/v1/projects/{site.project.id}",
            json={"name": "改名"},
            headers=login(client, site.manager),
        )
        client.patch(
            f"/api/v1/projects/{other.project.id}",
            json={"name": "改名2"},
            headers=login(client, other.manager),
        )
        r = client.get("/api/v1/audit", headers=login(client, site.manager))
        assert r.status_code == 200
        assert {e["project_id"] for e in r.json()["items"]} == {site.project.id}
        r = client.get("/api/v1/audit", headers=login(client, site.admin))
        assert {site.project.id, other.project.id} <= {e["project_id"] for e in r.json()["items"]}
        r = client.get(
            f"/api/v1/audit?project_id={other.project.id}", headers=login(client, site.manager)
        )
        assert r.status_code == 404
        inspector = make_user(session, Role.INSPECTOR, [site.project])
        session.commit()
        assert client.get("/api/v1/audit", headers=login(client, inspector)).status_code == 403

    def test_openapi_lists_registry(self, client: TestClient) -> None:
        paths = client.get("/openapi.json").json()["paths"]
        assert "/api/v1/projects/{project_id}/roster-import" in paths
        assert "/api/v1/projects/{project_id}/devices/{device_id}/provisioning-code" in paths
