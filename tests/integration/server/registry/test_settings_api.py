"""GET/PATCH /api/v1/projects/{id}/settings: the scope matrix, 422s naming `section.field`,
`null` resets, the audit of old -> new values, and a gate policy change reaching the gates
through a roster version bump."""

from __future__ import annotations

from fastapi.testclient import TestClient
from registry_support import make_site
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import AuditLog
from server.payroll import service as payroll_service
from server.registry.models import Project
from server.rosters import service as roster_service
from tests.factories import (
    login,
    make_assignment,
    make_device,
    make_project,
    make_user,
    make_worker,
)
from tests.integration.server.ingest.ingest_support import Gate


def _url(project: Project) -> str:
    return f"/api/v1/projects/{project.id}/settings"


def _values(body: dict) -> dict[str, object]:  # type: ignore[type-arg]
    return {r["key"]: r for s in body["sections"] for r in s["settings"]}


class TestScope:
    def test_who_reads_and_who_writes(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        other = make_project(session)
        other_manager = make_user(session, Role.SITE_MANAGER, [other])
        inspector = make_user(session, Role.INSPECTOR, [site.project])
        inspector_elsewhere = make_user(session, Role.INSPECTOR, [other])
        worker = make_user(session, Role.WORKER, worker=make_worker(session))
        session.commit()
        url = _url(site.project)
        body = {"gate_policy": {"face_threshold": 0.45}}
        for user, read, write in (
            (site.admin, 200, 200),
            (site.manager, 200, 200),
            (inspector, 200, 403),
            (other_manager, 404, 404),
            (inspector_elsewhere, 404, 404),
            (worker, 404, 404),
        ):
            h = login(client, user)
            assert client.get(url, headers=h).status_code == read, user.role
            assert client.patch(url, json=body, headers=h).status_code == write, user.role
        assert client.get(url).status_code == 401
        missing = "/api/v1/projects/999999/settings"
        assert client.get(missing, headers=login(client, site.admin)).status_code == 404

    def test_a_worker_on_the_project_is_forbidden(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        person = make_worker(session)
        make_assignment(session, site.project, person)
        worker = make_user(session, Role.WORKER, worker=person)
        session.commit()
        h = login(client, worker)
        assert client.get(_url(site.project), headers=h).status_code == 403
        r = client.patch(_url(site.project), json={"roster": {}}, headers=h)
        assert r.status_code == 403


class TestRead:
    def test_defaults_and_overrides(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        site.project.gate_policy = {"anti_passback": False}
        site.project.settings = {"roster": {"full_day_hours": 6}}
        session.commit()
        r = client.get(_url(site.project), headers=login(client, site.manager))
        assert r.status_code == 200, r.text
        rows = _values(r.json())
        assert rows["gate_policy.anti_passback"]["value"] is False
        assert rows["gate_policy.anti_passback"]["default"] is True
        assert rows["gate_policy.anti_passback"]["overridden"] is True
        assert rows["roster.full_day_hours"]["value"] == 6
        assert rows["roster.half_day_hours"]["overridden"] is False
        assert rows["reconciliation.underpaid_tolerance"]["value"] == 0.05
        assert rows["project.pay_day"]["read_only"] is True
        assert rows["gate_policy.face_threshold"]["label_zh"]


class TestUpdate:
    def test_partial_update_reset_audit_and_readers(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        site.project.gate_policy = {"anti_passback": False}
        session.commit()
        version = site.project.roster_version
        h = login(client, site.manager)
        r = client.patch(
            _url(site.project),
            json={
                "gate_policy": {"face_threshold": 0.45, "anti_passback": None},
                "roster": {"full_day_hours": 5, "auto_close_at": "21:00"},
                "reconciliation": {"unpaid_red_after_days": 10},
            },
            headers=h,
        )
        assert r.status_code == 200, r.text
        rows = _values(r.json())
        assert rows["gate_policy.face_threshold"]["value"] == 0.45
        assert rows["gate_policy.anti_passback"]["overridden"] is False
        assert r.json()["roster_version"] == version + 1
        session.expire_all()
        project = session.get(Project, site.project.id)
        assert project is not None
        assert project.gate_policy == {"face_threshold": 0.45}
        # The attendance and reconciliation code read what the API wrote.
        assert roster_service.project_settings(project).full_day_hours == 5
        assert payroll_service.recon_settings(project).unpaid_red_after_days == 10
        audit = session.scalars(
            select(AuditLog).where(
                AuditLog.entity == "project_settings", AuditLog.entity_id == project.id
            )
        ).one()
        assert audit.user_id == site.manager.id
        assert audit.detail["gate_policy.face_threshold"] == [0.55, 0.45]
        assert audit.detail["gate_policy.anti_passback"] == [False, True]
        assert audit.detail["roster.auto_close_at"] == ["20:00", "21:00"]

    def test_roster_only_change_keeps_the_roster_version(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        session.commit()
        version = site.project.roster_version
        r = client.patch(
            _url(site.project),
            json={"roster": {"dedupe_window_s": 120}},
            headers=login(client, site.admin),
        )
        assert r.status_code == 200, r.text
        assert r.json()["roster_version"] == version

    def test_bad_input_is_422_naming_the_field(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        session.commit()
        h = login(client, site.admin)
        url = _url(site.project)
        cases = [
            ({"gate_policy": {"face_threshold": 2}}, "gate_policy.face_threshold"),
            ({"gate_policy": {"helmet_check": True}}, "gate_policy.helmet_check"),
            ({"roster": {"auto_close_at": "noon"}}, "roster.auto_close_at"),
            ({"reconciliation": {"unpaid_red_share": 3}}, "reconciliation.unpaid_red_share"),
            ({"payroll": {"x": 1}}, "payroll"),
            ({"roster": {"half_day_hours": 8}}, "roster.half_day_hours"),
        ]
        for body, field in cases:
            r = client.patch(url, json=body, headers=h)
            assert r.status_code == 422, (body, r.text)
            fields = [d["field"] for d in r.json()["detail"]]
            assert field in fields, (body, r.json())
            assert field in r.json()["message_zh"] or field in r.json()["message_en"]
        session.expire_all()
        project = session.get(Project, site.project.id)
        assert project is not None
        assert project.gate_policy == {}
        assert (
            session.scalars(select(AuditLog).where(AuditLog.entity == "project_settings")).all()
            == []
        )


class TestGateDownload:
    def test_the_gate_receives_the_new_policy(self, client: TestClient, session: Session) -> None:
        site = make_site(session)
        gate = Gate.provision(client, session, make_device(session, site.project))
        first = gate.get("/api/v1/edge/roster", {"since": 0})
        assert first.status_code == 200, first.text
        held = first.json()["version"]
        assert first.json()["policy"]["face_threshold"] == 0.55
        r = client.patch(
            _url(site.project),
            json={"gate_policy": {"face_threshold": 0.42, "max_age_male": 0}},
            headers=login(client, site.manager),
        )
        assert r.status_code == 200, r.text
        beat = gate.get("/api/v1/edge/roster", {"since": held})
        assert beat.status_code == 200, beat.text
        delta = beat.json()
        assert delta["version"] > held
        assert delta["policy"]["face_threshold"] == 0.42
        assert delta["policy"]["max_age_male"] is None  # 0 in the settings: no limit


class TestDeviceModel:
    def test_api_checks_the_gate_model_against_the_profiles(
        self, client: TestClient, session: Session
    ) -> None:
        site = make_site(session)
        legacy = make_device(session, site.project)
        legacy.model = "ZK-SG200"  # registered before the check: stays, and stays editable
        session.commit()
        h = login(client, site.manager)
        base = f"/api/v1/projects/{site.project.id}/devices"
        r = client.post(base, json={"code": "G-NEW", "model": "acme-g100"}, headers=h)
        assert r.status_code == 422, r.text
        assert [d["field"] for d in r.json()["detail"]] == ["model"]
        assert "standard-two-way" in r.text
        r = client.post(base, json={"code": "G-NEW", "model": "standard-two-way"}, headers=h)
        assert r.status_code == 201, r.text
        r = client.post(
            base, json={"code": "E-NEW", "kind": "enrollment", "model": "any-pc"}, headers=h
        )
        assert r.status_code == 201, r.text
        url = f"{base}/{legacy.id}"
        assert client.patch(url, json={"name": "旧闸机"}, headers=h).status_code == 200
        r = client.patch(url, json={"model": "ZK-SG300"}, headers=h)
        assert r.status_code == 422
        assert r.json()["detail"][0]["field"] == "model"
        r = client.patch(url, json={"model": "modbus-with-feedback"}, headers=h)
        assert r.status_code == 200, r.text
