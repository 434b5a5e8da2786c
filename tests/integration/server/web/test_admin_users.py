"""用户管理 for admins: the list with search and filters, creating an account (temporary password
shown once, never in a URL), editing role and scope with field messages, deactivate/reset with
confirm dialogs, self-lockout refused, 403 for every other role, CSRF refusal writing nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.enums import Role
from server.auth import service as auth_service
from server.auth.models import AuditLog, AuthSession, User
from server.registry.models import Project, Worker
from server.web.i18n import LANG_COOKIE
from tests.factories import PASSWORD, login, make_project, make_user, make_worker
from tests.integration.server.web.helpers import page_csrf, web_login

TEMP = re.compile(r'<div class="code-big" id="temp-password">([^<]+)</div>')


@dataclass
class Site:
    admin: User
    manager: User
    inspector: User
    worker_user: User
    project: Project
    other: Project
    spare: Worker


@pytest.fixture
def site(session: Session) -> Site:
    project = make_project(session, name="甲项目")
    other = make_project(session, name="乙项目")
    worker = make_worker(session, name="王工人")
    s = Site(
        admin=make_user(session, Role.ADMIN),
        manager=make_user(session, Role.SITE_MANAGER, [project]),
        inspector=make_user(session, Role.INSPECTOR, [project]),
        worker_user=make_user(session, Role.WORKER, worker=worker),
        project=project,
        other=other,
        spare=make_worker(session, name="李备用"),
    )
    s.manager.full_name = "张经理"
    session.commit()
    return s


def _snapshot(session: Session) -> tuple[object, ...]:
    session.expire_all()
    users = session.execute(
        select(User.username, User.role, User.active, User.password_hash).order_by(User.id)
    ).all()
    audits = session.scalar(select(func.count()).select_from(AuditLog))
    return (users, audits)


class TestScope:
    @pytest.mark.parametrize("who", ["manager", "inspector", "worker_user"])
    def test_non_admins_get_403(self, client: TestClient, site: Site, who: str) -> None:
        web_login(client, getattr(site, who))
        home = client.get("/")
        assert 'id="nav-admin-users"' not in home.text
        assert 'id="nav-admin-inspect"' not in home.text
        for path in ("/admin/users", "/admin/users/new", f"/admin/users/{site.manager.id}"):
            assert client.get(path).status_code == 403, path
        token = page_csrf(client, "/account/password")
        r = client.post(
            f"/admin/users/{site.manager.id}/active", data={"active": "0", "csrf_token": token}
        )
        assert r.status_code == 403

    def test_signed_out_is_sent_to_sign_in(self, client: TestClient) -> None:
        r = client.get("/admin/users", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login")


class TestList:
    def test_search_and_filters(self, client: TestClient, site: Site) -> None:
        web_login(client, site.admin)
        page = client.get("/admin/users")
        assert page.status_code == 200
        assert 'id="nav-admin-users"' in page.text
        # From the accounts page an admin reaches both working areas.
        assert 'href="/site/" id="nav-admin-site"' in page.text
        assert 'id="nav-admin-inspect"' in page.text
        assert client.get("/inspect/").status_code == 200
        for u in (site.manager, site.inspector, site.worker_user):
            assert f'id="user-{u.id}"' in page.text
        r = client.get("/admin/users", params={"q": "张经"})
        assert f'id="user-{site.manager.id}"' in r.text
        assert f'id="user-{site.inspector.id}"' not in r.text
        r = client.get("/admin/users", params={"role": "inspector"})
        assert f'id="user-{site.inspector.id}"' in r.text
        assert f'id="user-{site.manager.id}"' not in r.text
        r = client.get("/admin/users", params={"project": str(site.other.id)})
        assert f'id="user-{site.manager.id}"' not in r.text
        r = client.get("/admin/users", params={"active": "0", "role": "x", "offset": "-4"})
        assert r.status_code == 200
        assert f'id="user-{site.manager.id}"' not in r.text


class TestCreate:
    def test_temporary_password_shown_once_and_forces_a_change(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        web_login(client, site.admin)
        token = page_csrf(client, "/admin/users/new")
        data = {
            "username": "wang.jl",
            "full_name": "王经理",
            "role": "site_manager",
            "project_ids": [str(site.project.id), str(site.other.id)],
            "csrf_token": token,
        }
        r = client.post("/admin/users/new", data=data, follow_redirects=False)
        assert r.status_code == 200
        match = TEMP.search(r.text)
        assert match
        temp = match.group(1)
        assert "no-store" in r.headers["cache-control"]
        session.expire_all()
        user = session.scalar(select(User).where(User.username == "wang.jl"))
        assert user is not None
        assert user.must_change_password
        assert auth_service.project_ids_of(session, user) == sorted(
            [site.project.id, site.other.id]
        )
        audits = session.scalars(select(AuditLog.detail).where(AuditLog.entity_id == user.id))
        assert temp not in str(list(audits))
        r = client.post("/api/v1/auth/token", data={"username": "wang.jl", "password": temp})
        assert r.status_code == 200
        assert r.json()["access_token"]

    def test_field_messages_keep_what_was_typed(self, client: TestClient, site: Site) -> None:
        web_login(client, site.admin)
        token = page_csrf(client, "/admin/users/new")
        data = {
            "username": "new-worker",
            "full_name": "某工人",
            "role": "worker",
            "csrf_token": token,
        }
        r = client.post("/admin/users/new", data=data)
        assert r.status_code == 422
        assert "关联工人" in r.text
        assert 'value="new-worker"' in r.text
        data["role"] = "site_manager"
        r = client.post("/admin/users/new", data=data)
        assert "至少要有一个项目" in r.text
        data["username"] = site.manager.username
        data["project_ids"] = str(site.project.id)
        r = client.post("/admin/users/new", data=data)
        assert "已存在" in r.text
        client.cookies.set(LANG_COOKIE, "en")
        data.update(username="bad name!", role="boss")
        r = client.post("/admin/users/new", data=data)
        assert r.status_code == 422
        assert "Username has an invalid value" in r.text
        assert "Role has an invalid value" in r.text


class TestEdit:
    def test_role_and_scope_change(self, client: TestClient, session: Session, site: Site) -> None:
        web_login(client, site.admin)
        url = f"/admin/users/{site.inspector.id}"
        data = {
            "full_name": "改名",
            "role": "worker",
            "worker_id": str(site.spare.id),
            "csrf_token": page_csrf(client, url),
        }
        r = client.post(url, data=data, follow_redirects=False)
        assert r.status_code == 303
        assert "msg=common.saved" in r.headers["location"]
        session.expire_all()
        user = session.get(User, site.inspector.id)
        assert user is not None
        assert user.role == Role.WORKER
        assert user.worker_id == site.spare.id
        last = session.scalars(
            select(AuditLog).where(AuditLog.entity_id == user.id).order_by(AuditLog.id.desc())
        ).first()
        assert last is not None
        assert last.detail["changes"]["role"] == ["inspector", "worker"]

    def test_worker_number_must_exist(self, client: TestClient, site: Site) -> None:
        web_login(client, site.admin)
        url = f"/admin/users/{site.worker_user.id}"
        data = {"role": "worker", "worker_id": "99999999", "csrf_token": page_csrf(client, url)}
        r = client.post(url, data=data)
        assert r.status_code == 422
        assert "关联工人:工人不存在" in r.text

    def test_admin_cannot_lock_themselves_out(self, client: TestClient, site: Site) -> None:
        web_login(client, site.admin)
        url = f"/admin/users/{site.admin.id}"
        page = client.get(url)
        assert 'id="self-note"' in page.text
        token = page_csrf(client, url)
        r = client.post(f"{url}/active", data={"active": "0", "csrf_token": token})
        assert r.status_code == 409
        assert "不能停用自己的账号" in r.text
        r = client.post(url, data={"role": "inspector", "csrf_token": token})
        assert r.status_code == 409


class TestActiveAndReset:
    def test_deactivate_asks_first_and_ends_sessions(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        victim = login(client, site.manager)
        web_login(client, site.admin)
        url = f"/admin/users/{site.manager.id}"
        page = client.get(url)
        assert 'data-confirm="确定停用账号' in page.text
        assert 'data-confirm="确定为' in page.text
        r = client.post(
            f"{url}/active",
            data={"active": "0", "csrf_token": page_csrf(client, url)},
            follow_redirects=False,
        )
        assert r.status_code == 303
        assert "msg=admin.deactivated" in r.headers["location"]
        assert client.get("/api/v1/auth/me", headers=victim).status_code == 401
        again = client.get(r.headers["location"])
        assert "账号已停用" in again.text
        assert "data-confirm" in again.text  # reset still asks
        r = client.post(f"{url}/active", data={"active": "1", "csrf_token": page_csrf(client, url)})
        assert r.status_code == 200
        assert "账号已启用" in r.text

    def test_reset_shows_password_once_not_in_url(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        victim = login(client, site.inspector)
        web_login(client, site.admin)
        url = f"/admin/users/{site.inspector.id}"
        r = client.post(
            f"{url}/password", data={"csrf_token": page_csrf(client, url)}, follow_redirects=False
        )
        assert r.status_code == 200
        match = TEMP.search(r.text)
        assert match
        temp = match.group(1)
        assert temp not in str(r.url)
        assert client.get("/api/v1/auth/me", headers=victim).status_code == 401
        assert temp not in client.get(url).text
        session.expire_all()
        user = session.get(User, site.inspector.id)
        assert user is not None
        assert user.must_change_password
        assert auth_service.verify_password(user.password_hash, temp)

    def test_csrf_refusal_writes_nothing(
        self, client: TestClient, session: Session, site: Site
    ) -> None:
        login(client, site.manager)
        web_login(client, site.admin)
        before = _snapshot(session)
        sessions = session.scalar(select(func.count()).select_from(AuthSession))
        base = f"/admin/users/{site.manager.id}"
        for path, data in (
            (f"{base}/active", {"active": "0"}),
            (f"{base}/password", {}),
            (base, {"role": "inspector", "full_name": "x"}),
            ("/admin/users/new", {"username": "sneaky", "role": "admin"}),
        ):
            for token in ("", "forged"):
                r = client.post(path, data={**data, "csrf_token": token})
                assert r.status_code == 403, path
        assert _snapshot(session) == before
        assert session.scalar(select(func.count()).select_from(AuthSession)) == sessions
        assert PASSWORD  # the factories' password still signs the manager in
        assert auth_service.verify_password(
            session.get(User, site.manager.id).password_hash,  # type: ignore[union-attr]
            PASSWORD,
        )
