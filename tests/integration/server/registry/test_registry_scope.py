"""Every role against objects of another project and of another worker: 403/404, never 200."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import User
from tests.factories import (
    login,
    make_assignment,
    make_company,
    make_device,
    make_project,
    make_team,
    make_user,
    make_worker,
)


@dataclass
class World:
    users: dict[str, User]
    a: dict[str, int]  # ids on project A
    b: dict[str, int]  # ids on project B


def _project_objects(session: Session, region: str) -> tuple[dict[str, int], int]:
    project = make_project(session, region=region)
    company = make_company(session, project)
    team = make_team(session, project, company)
    worker = make_worker(session)
    assignment = make_assignment(session, project, worker, company, team)
    device = make_device(session, project)
    ids = {
        "project": project.id,
        "company": company.id,
        "team": team.id,
        "worker": worker.id,
        "assignment": assignment.id,
        "device": device.id,
    }
    return ids, worker.id


@pytest.fixture
def world(session: Session) -> World:
    a, _ = _project_objects(session, "华东")
    b, _ = _project_objects(session, "华南")
    from server.registry.models import Project, Worker

    project_a = session.get(Project, a["project"])
    worker_a = session.get(Worker, a["worker"])
    assert project_a is not None
    assert worker_a is not None
    # a second worker on project A: the worker account must not see this one either
    colleague = make_worker(session, "同事")
    a["colleague_assignment"] = make_assignment(session, project_a, colleague).id
    a["colleague"] = colleague.id
    users = {
        "manager_a": make_user(session, Role.SITE_MANAGER, [project_a]),
        "inspector_a": make_user(session, Role.INSPECTOR, [project_a]),
        "inspector_region": make_user(session, Role.INSPECTOR, region="华东"),
        "worker_a": make_user(session, Role.WORKER, worker=worker_a),
    }
    session.commit()
    return World(users, a, b)


ROLES = ["manager_a", "inspector_a", "inspector_region", "worker_a"]


def _reads(ids: dict[str, int]) -> list[str]:
    p = ids["project"]
    return [
        f"/api/v1/projects/{p}",
        f"/api/v1/projects/{p}/companies",
        f"/api/v1/projects/{p}/teams",
        f"/api/v1/projects/{p}/assignments",
        f"/api/v1/projects/{p}/assignments/{ids['assignment']}",
        f"/api/v1/projects/{p}/devices",
        f"/api/v1/projects/{p}/devices/{ids['device']}",
        f"/api/v1/companies/{ids['company']}",
        f"/api/v1/workers/{ids['worker']}",
        f"/api/v1/audit?project_id={p}",
    ]


def _writes(ids: dict[str, int]) -> list[tuple[str, str, dict[str, object]]]:
    p = ids["project"]
    a = f"/api/v1/projects/{p}/assignments/{ids['assignment']}"
    return [
        ("PATCH", f"/api/v1/projects/{p}", {"name": "x"}),
        ("PUT", f"/api/v1/projects/{p}/companies/{ids['company']}", {"role": "subcontractor"}),
        ("POST", f"/api/v1/projects/{p}/teams", {"company_id": ids["company"], "name": "n"}),
        ("PATCH", f"/api/v1/projects/{p}/teams/{ids['team']}", {"name": "n2"}),
        ("POST", f"/api/v1/projects/{p}/assignments", {"worker_id": ids["worker"]}),
        ("PATCH", a, {"trade": "木工"}),
        ("POST", f"{a}/enter", {"entered_on": "2026-01-02"}),
        ("POST", f"{a}/leave", {"left_on": "2026-01-02"}),
        ("POST", f"{a}/cards", {"uid": "0A0B0C0D"}),
        ("POST", f"/api/v1/projects/{p}/devices", {"code": "NEW-GATE"}),
        ("POST", f"/api/v1/projects/{p}/devices/{ids['device']}/provisioning-code", {}),
        ("PATCH", f"/api/v1/workers/{ids['worker']}", {"name": "改"}),
        ("PUT", f"/api/v1/workers/{ids['worker']}/blocklist", {"blocklisted": False}),
        ("PATCH", f"/api/v1/companies/{ids['company']}", {"contact_name": "x"}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_other_project_is_invisible(client: TestClient, world: World, role: str) -> None:
    h = login(client, world.users[role])
    for url in _reads(world.b):
        r = client.get(url, headers=h)
        assert r.status_code in (403, 404), (role, url, r.status_code)
    for method, url, body in _writes(world.b):
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code in (403, 404), (role, method, url, r.status_code)
    r = client.get("/api/v1/projects", headers=h)
    assert world.b["project"] not in {p["id"] for p in r.json()["items"]}
    r = client.get("/api/v1/workers", headers=h)
    assert world.b["worker"] not in {w["id"] for w in r.json()["items"]}


@pytest.mark.parametrize("role", ["inspector_a", "inspector_region"])
def test_inspector_reads_own_project_but_cannot_write(
    client: TestClient, world: World, role: str
) -> None:
    h = login(client, world.users[role])
    for url in _reads(world.a)[:-1]:  # the audit log is for admins and managers
        r = client.get(url, headers=h)
        assert r.status_code == 200, (role, url, r.text)
    for method, url, body in _writes(world.a):
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code == 403, (role, method, url, r.status_code)


def test_worker_sees_only_own_records(client: TestClient, world: World) -> None:
    h = login(client, world.users["worker_a"])
    p = world.a["project"]
    assert client.get(f"/api/v1/workers/{world.a['worker']}", headers=h).status_code == 200
    assert client.get(f"/api/v1/workers/{world.a['colleague']}", headers=h).status_code == 404
    # The project's roster is project-wide: refused; the worker's own row is theirs.
    assert client.get(f"/api/v1/projects/{p}/assignments", headers=h).status_code == 403
    own = f"/api/v1/projects/{p}/assignments/{world.a['assignment']}"
    assert client.get(own, headers=h).status_code == 200
    url = f"/api/v1/projects/{p}/assignments/{world.a['colleague_assignment']}"
    assert client.get(url, headers=h).status_code == 404
    for url in (f"/api/v1/projects/{p}/teams", f"/api/v1/projects/{p}/devices", "/api/v1/audit"):
        assert client.get(url, headers=h).status_code == 403, url
    assert (
        client.get(f"/api/v1/workers/{world.a['worker']}?full=true", headers=h).status_code == 403
    )
    r = client.get("/api/v1/workers", headers=h)
    assert [w["id"] for w in r.json()["items"]] == [world.a["worker"]]
    for method, url, body in _writes(world.a):
        r = client.request(method, url, json=body, headers=h)
        assert r.status_code in (403, 404), (method, url, r.status_code)


def test_manager_writes_own_project(client: TestClient, world: World) -> None:
    h = login(client, world.users["manager_a"])
    for url in _reads(world.a):
        assert client.get(url, headers=h).status_code == 200, url
    r = client.patch(f"/api/v1/projects/{world.a['project']}", json={"name": "新名"}, headers=h)
    assert r.status_code == 200
