"""The settings page: grouped by section with value, default and range; a site manager saves a
change (audited, roster version bumped for the gate policy) or resets one; bad input keeps what
was typed and names the field; CSRF; scope (other project 404, worker 403, inspector read-only)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth.models import AuditLog
from server.registry.models import Project
from server.web.i18n import LANG_COOKIE
from tests.factories import make_user
from tests.integration.server.web.conftest import World
from tests.integration.server.web.helpers import page_csrf, web_login


def _url(world: World) -> str:
    return f"/site/{world.a.id}/settings"


def _fresh(session: Session, project_id: int) -> Project:
    session.expire_all()
    project = session.get(Project, project_id)
    assert project is not None
    return project


def _input(html: str, key: str) -> str:
    match = re.search(rf'name="{re.escape(key)}" id="[^"]+" value="([^"]*)"', html)
    assert match, f"no input {key}"
    return match.group(1)


class TestRead:
    def test_manager_sees_sections_defaults_and_nav(self, client: TestClient, world: World) -> None:
        web_login(client, world.manager_a)
        r = client.get(_url(world))
        assert r.status_code == 200, r.text
        html = r.text
        for section in ("gate_policy", "roster", "reconciliation"):
            assert f'id="section-{section}"' in html
        assert 'id="nav-settings"' in html
        assert "人脸比对阈值" in html
        assert _input(html, "gate_policy.face_threshold") == "0.55"
        assert _input(html, "roster.full_day_hours") == "4.0"
        assert 'id="settings-form"' in html
        assert "0 &lt; x &lt; 1.5" in html or "0 < x < 1.5" in html

    def test_english(self, client: TestClient, world: World) -> None:
        web_login(client, world.manager_a)
        client.cookies.set(LANG_COOKIE, "en")
        r = client.get(_url(world))
        assert r.status_code == 200
        assert "Face match threshold" in r.text
        assert "Project settings" in r.text

    @pytest.mark.parametrize("path", ["/site/{id}/settings", "/inspect/{id}/settings"])
    def test_inspector_reads_without_a_form(
        self, client: TestClient, session: Session, world: World, path: str
    ) -> None:
        world.a.gate_policy = {"anti_passback": False}
        session.commit()
        web_login(client, world.inspector_a)
        r = client.get(path.format(id=world.a.id))
        assert r.status_code == 200, r.text
        assert 'id="read-only"' in r.text
        assert 'id="settings-form"' not in r.text
        assert "已修改" in r.text

    def test_inspector_month_links_to_the_settings(self, client: TestClient, world: World) -> None:
        web_login(client, world.inspector_a)
        month = client.get(f"/inspect/{world.a.id}/2026-02")
        assert month.status_code == 200, month.text
        assert f'href="/inspect/{world.a.id}/settings"' in month.text

    def test_scope(self, client: TestClient, session: Session, world: World) -> None:
        web_login(client, world.manager_a)
        assert client.get(f"/site/{world.b.id}/settings").status_code == 404
        client.cookies.clear()
        web_login(client, world.worker_x)
        assert client.get(_url(world)).status_code == 403
        client.cookies.clear()
        web_login(client, world.inspector_elsewhere)
        assert client.get(_url(world)).status_code == 404


class TestSave:
    def test_change_and_reset(self, client: TestClient, session: Session, world: World) -> None:
        world.a.settings = {"roster": {"dedupe_window_s": 90}}
        session.commit()
        version = world.a.roster_version
        web_login(client, world.manager_a)
        token = page_csrf(client, _url(world))
        r = client.post(
            _url(world),
            data={
                "csrf_token": token,
                "gate_policy.face_threshold": "0.45",
                "gate_policy.anti_passback": "false",
                "roster.full_day_hours": "4.0",  # as shown: unchanged
                "roster.dedupe_window_s": "90",
                "reset": ["roster.dedupe_window_s"],
            },
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text
        assert r.headers["location"].endswith("msg=settings.saved")
        project = _fresh(session, world.a.id)
        assert project.gate_policy == {"face_threshold": 0.45, "anti_passback": False}
        assert project.settings["roster"] == {}
        assert project.roster_version == version + 1
        audit = session.scalars(select(AuditLog).where(AuditLog.entity == "project_settings")).one()
        assert audit.user_id == world.manager_a.id
        assert audit.detail == {
            "gate_policy.face_threshold": [0.55, 0.45],
            "gate_policy.anti_passback": [True, False],
            "roster.dedupe_window_s": [90, 60],
        }
        page = client.get(r.headers["location"])
        assert "设置已保存" in page.text
        assert _input(page.text, "gate_policy.face_threshold") == "0.45"

    def test_bad_input_keeps_what_was_typed(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        web_login(client, world.manager_a)
        token = page_csrf(client, _url(world))
        r = client.post(
            _url(world),
            data={
                "csrf_token": token,
                "gate_policy.face_threshold": "2",
                "roster.auto_close_at": "半夜",
                "roster.full_day_hours": "5",
            },
        )
        assert r.status_code == 422, r.text
        assert 'id="err-gate_policy-face_threshold"' in r.text
        assert "须小于 1.5" in r.text
        assert 'id="err-roster-auto_close_at"' in r.text
        assert _input(r.text, "gate_policy.face_threshold") == "2"
        assert _input(r.text, "roster.auto_close_at") == "半夜"
        assert _input(r.text, "roster.full_day_hours") == "5"
        project = _fresh(session, world.a.id)
        assert project.gate_policy == {}
        assert not project.settings

    def test_cross_field_error_is_on_the_field(self, client: TestClient, world: World) -> None:
        web_login(client, world.manager_a)
        token = page_csrf(client, _url(world))
        r = client.post(_url(world), data={"csrf_token": token, "roster.half_day_hours": "6"})
        assert r.status_code == 422
        assert 'id="err-roster-half_day_hours"' in r.text

    def test_nothing_changed(self, client: TestClient, session: Session, world: World) -> None:
        web_login(client, world.manager_a)
        token = page_csrf(client, _url(world))
        r = client.post(_url(world), data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].endswith("msg=settings.unchanged")
        assert (
            session.scalars(select(AuditLog).where(AuditLog.entity == "project_settings")).all()
            == []
        )

    def test_csrf_inspector_and_other_project(
        self, client: TestClient, session: Session, world: World
    ) -> None:
        web_login(client, world.manager_a)
        r = client.post(_url(world), data={"gate_policy.face_threshold": "0.4"})
        assert r.status_code == 403
        token = page_csrf(client, _url(world))
        r = client.post(
            f"/site/{world.b.id}/settings",
            data={"csrf_token": token, "gate_policy.face_threshold": "0.4"},
        )
        assert r.status_code == 404
        client.cookies.clear()
        web_login(client, world.inspector_a)
        token = page_csrf(client, _url(world))
        r = client.post(
            _url(world), data={"csrf_token": token, "gate_policy.face_threshold": "0.4"}
        )
        assert r.status_code == 403
        other = make_user(session, Role.SITE_MANAGER, [world.b])
        session.commit()
        client.cookies.clear()
        web_login(client, other)
        assert client.get(_url(world)).status_code == 404
        assert _fresh(session, world.a.id).gate_policy == {}
        assert _fresh(session, world.b.id).gate_policy == {}
