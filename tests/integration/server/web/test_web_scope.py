"""Every page family checks role and scope on the server: project B's pages and worker Y's pages
answer 403 or 404 — never 200, never 500 — to the site manager and the inspector of project A,
to an inspector of another region and to worker X; refused forms write nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.models import AuditLog, User
from server.reconciliation.models import Finding, FindingEvent
from server.registry.models import Assignment, Worker
from server.rosters.models import AttendanceCorrection
from tests.factories import make_id_number
from tests.integration.server.web.conftest import PERIOD, World
from tests.integration.server.web.helpers import page_csrf, web_login

ROLES = ["manager_a", "inspector_a", "inspector_elsewhere", "worker_x"]


def _user(world: World, role: str) -> User:
    user: User = getattr(world, role)
    return user


def _get_routes(w: World) -> dict[str, list[str]]:
    a, b, y, p = w.a.id, w.b.id, w.y.id, PERIOD
    return {
        "site": [
            f"/site/{b}/now",
            f"/site/{b}/workers",
            f"/site/{b}/workers/new",
            f"/site/{b}/workers/{y}",
            f"/site/{b}/workers/{y}/edit",
            f"/site/{b}/import",
            f"/site/{b}/month",
            f"/site/{b}/month?period={p}",
            f"/site/{a}/workers/{y}",  # Y is not on A: not through A's pages either
            f"/site/{a}/workers/{y}/edit",
        ],
        "inspect": [
            f"/inspect/{b}/{p}",
            f"/inspect/{b}/{p}/workers/{y}",
            f"/inspect/{a}/{p}/workers/{y}",
        ],
        "me": [f"/me/pay/{b}/{p}"],
        "exports": [
            f"/site/{b}/month.xlsx?period={p}",
            f"/site/{b}/month.xlsx?period={p}&per_company=true",
            f"/site/{b}/import/template.xlsx",
            f"/inspect/{b}/{p}/export.xlsx",
            f"/inspect/{b}/{p}/ledger.xlsx",
            f"/inspect/{b}/{p}/workers/{y}/payslip.pdf",
            f"/inspect/{a}/{p}/workers/{y}/payslip.pdf",
            f"/me/pay/{b}/{p}.pdf",
        ],
    }


def _post_routes(w: World) -> list[tuple[str, dict[str, str]]]:
    a, b, y, p = w.a.id, w.b.id, w.y.id, PERIOD
    correction = {"day": "2026-03-17", "time": "07:30", "direction": "in", "reason": "闸机故障补录"}
    register = {"name": "新来的", "id_number": make_id_number(), "wage_rate": "300"}
    return [
        (f"/site/{b}/workers/new", register),
        (f"/site/{b}/workers/{y}/edit", {"name": "改名", "wage_kind": "daily"}),
        (f"/site/{b}/workers/{y}/enter", {"on": "2026-03-18"}),
        (f"/site/{b}/workers/{y}/leave", {"on": "2026-03-18"}),
        (f"/site/{b}/workers/{y}/correction", correction),
        (f"/site/{b}/workers/{y}/full-id", {}),
        (f"/site/{a}/workers/{y}/correction", correction),
        (f"/site/{a}/workers/{y}/full-id", {}),
        (f"/site/{a}/workers/{y}/leave", {"on": "2026-03-18"}),
        (f"/site/{b}/import", {}),
        (f"/inspect/{b}/{p}/findings/{w.finding_b.id}", {"action": "waive", "comment": "核实"}),
        # B's finding through A's URL: the finding is checked, not only the path's project
        (f"/inspect/{a}/{p}/findings/{w.finding_b.id}", {"action": "waive", "comment": "核实"}),
    ]


def _snapshot(session: Session) -> dict[str, object]:
    """What a refused form must not change."""
    session.expire_all()

    def count(model: type) -> int:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)

    return {
        "workers": count(Worker),
        "assignments": count(Assignment),
        "corrections": count(AttendanceCorrection),
        "finding_events": count(FindingEvent),
        "full_id_views": session.scalar(
            select(func.count()).where(AuditLog.action == "view_full_id")
        ),
        "finding_status": sorted(session.execute(select(Finding.id, Finding.status)).all()),
        "assignments_state": session.execute(
            select(Worker.name, Assignment.status, Assignment.entered_on, Assignment.left_on)
            .join(Assignment, Assignment.worker_id == Worker.id)
            .order_by(Assignment.id)
        ).all(),
    }


def _signed_in(client: TestClient, world: World, role: str) -> str:
    """Sign in as `role`; returns a valid CSRF token of that session."""
    web_login(client, _user(world, role))
    home = {"manager_a": f"/site/{world.a.id}/now", "worker_x": "/me/"}.get(role, "/inspect/")
    return page_csrf(client, home)


def _refused(status: int) -> bool:
    return status in (403, 404)


class TestPagesOutOfScope:
    @pytest.mark.parametrize("role", ROLES)
    def test_get_pages_of_b_and_y_are_refused(
        self, client: TestClient, world: World, role: str
    ) -> None:
        _signed_in(client, world, role)
        wrong: list[str] = []
        for family, paths in _get_routes(world).items():
            for path in paths:
                r = client.get(path, follow_redirects=False)
                if not _refused(r.status_code):
                    wrong.append(f"{family} {path} -> {r.status_code}")
                elif r.headers["content-type"].startswith("text/html"):
                    assert world.y.name not in r.text, path
        assert not wrong, wrong

    @pytest.mark.parametrize("role", ROLES)
    def test_forms_of_b_and_y_are_refused_and_write_nothing(
        self, client: TestClient, session: Session, world: World, role: str
    ) -> None:
        token = _signed_in(client, world, role)
        before = _snapshot(session)
        wrong: list[str] = []
        for path, data in _post_routes(world):
            files = {"file": ("花名册.csv", "姓名,身份证号\n".encode(), "text/csv")}
            r = client.post(
                path,
                data={**data, "csrf_token": token},
                files=files if path.endswith("/import") else None,
                follow_redirects=False,
            )
            if not _refused(r.status_code):
                wrong.append(f"POST {path} -> {r.status_code}")
        assert not wrong, wrong
        assert _snapshot(session) == before

    @pytest.mark.parametrize(
        ("role", "paths"),
        [
            ("inspector_a", lambda w: [f"/site/{w.a.id}/now", "/me/"]),
            ("worker_x", lambda w: [f"/site/{w.a.id}/now", f"/inspect/{w.a.id}/{PERIOD}"]),
            ("manager_a", lambda w: ["/inspect/", f"/inspect/{w.a.id}/{PERIOD}", "/me/pay"]),
        ],
    )
    def test_other_roles_areas_of_own_project_are_403(
        self,
        client: TestClient,
        world: World,
        role: str,
        paths: Callable[[World], list[str]],
    ) -> None:
        _signed_in(client, world, role)
        for path in paths(world):
            r = client.get(path, follow_redirects=False)
            assert r.status_code == 403, path
            assert "无权访问" in r.text

    def test_inspector_may_not_write_on_own_project(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        token = _signed_in(client, world, "inspector_a")
        before = _snapshot(session)
        base = f"/site/{world.a.id}/workers/{world.x.id}"
        for path in (f"{base}/correction", f"{base}/full-id", f"{base}/leave"):
            r = client.post(
                path, data={"csrf_token": token, "reason": "试图补卡", "on": "2026-03-18"}
            )
            assert r.status_code == 403, path
        assert _snapshot(session) == before


class TestOwnScopeWorks:
    """The same routes answer 200 inside the scope, so the refusals above are about scope."""

    def test_manager_and_inspector_of_a(self, client: TestClient, world: World) -> None:
        _signed_in(client, world, "manager_a")
        a, x = world.a.id, world.x.id
        for path in (f"/site/{a}/now", f"/site/{a}/workers/{x}", f"/site/{a}/month"):
            assert client.get(path).status_code == 200, path
        r = client.get(f"/site/{a}/month.xlsx?period={PERIOD}")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/vnd.openxml")
        _signed_in(client, world, "inspector_a")
        r = client.get("/inspect/")
        assert world.a.name in r.text
        assert world.b.name not in r.text
        for path in (
            f"/inspect/{a}/{PERIOD}",
            f"/inspect/{a}/{PERIOD}/workers/{x}",
            f"/inspect/{a}/{PERIOD}/export.xlsx",
            f"/inspect/{a}/{PERIOD}/ledger.xlsx",
        ):
            assert client.get(path).status_code == 200, path
        r = client.get(f"/inspect/{a}/{PERIOD}/workers/{x}/payslip.pdf")
        assert r.status_code == 200
        assert r.content.startswith(b"%PDF")

    def test_inspector_elsewhere_sees_no_project(self, client: TestClient, world: World) -> None:
        _signed_in(client, world, "inspector_elsewhere")
        r = client.get("/inspect/")
        assert r.status_code == 200
        assert world.a.name not in r.text
        assert world.b.name not in r.text


class TestWorkerSeesOnlyThemselves:
    def test_me_pages_never_show_another_workers_name(
        self, client: TestClient, world: World
    ) -> None:
        _signed_in(client, world, "worker_x")
        paths = [
            "/me/",
            f"/me/?period={PERIOD}",
            "/me/pay",
            f"/me/pay/{world.a.id}/{PERIOD}",
            "/me/notice",
        ]
        for path in paths:
            r = client.get(path)
            assert r.status_code == 200, path
            if path != "/me/notice":  # the notice board names the project, not the worker
                assert world.x.name in r.text, path
            for other in (world.colleague.name, world.y.name):
                assert other not in r.text, (path, other)
        r = client.get(f"/me/pay/{world.a.id}/{PERIOD}.pdf")
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")

    def test_a_bad_month_or_unknown_slip_is_404(self, client: TestClient, world: World) -> None:
        _signed_in(client, world, "worker_x")
        for path in (
            f"/me/pay/{world.a.id}/2026-13",
            f"/me/pay/{world.a.id}/2026-01x",
            "/me/pay/999999/2026-02",
            "/me/pay/abc/2026-02",
        ):
            assert client.get(path).status_code == 404, path
